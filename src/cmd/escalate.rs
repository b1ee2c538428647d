//! `recert escalate CAMPAIGN --overdue-days N`: once a campaign is more
//! than N days past due, its owner reassigns every item nobody has decided
//! to the item's fallback (its business owner, else the campaign owner;
//! never the identity itself, never who holds it now), each a reassign
//! event whose note gives the reason, all in one transaction. `--dry-run`
//! shows what would move.

use super::table::Table;
use super::{CheckFailed, Env, refused};
use crate::cli::EscalateArgs;
use crate::domain::people::same_person;
use crate::domain::text::sanitize;
use crate::domain::{CampaignState, Decision};
use crate::rules::stalled::{self, Stalled, days_overdue, require_owner};
use crate::store::{DecisionRequest, ItemId};
use color_eyre::Result;

/// One item's move.
struct Move {
    item: i64,
    from: String,
    to: String,
    note: String,
}

pub fn run(args: &EscalateArgs, env: &Env) -> Result<()> {
    let mut store = env.open()?;
    let actor = env.actor()?;
    let campaign = store.campaign(&args.campaign)?;
    require_owner(
        store.mode()?,
        actor,
        &campaign.name,
        &campaign.owner,
        "escalating",
    )
    .map_err(refused)?;
    if campaign.state == CampaignState::Cancelled
        && let Some(c) = store.cancellation(campaign.id)?
    {
        return Err(refused(stalled::cancelled(
            &campaign.name,
            &c,
            "escalations",
        )));
    }
    if campaign.state != CampaignState::Open {
        return Err(CheckFailed(
            sanitize(&format!(
                "campaign {:?} is {}: it takes no more decisions, so nothing escalates",
                campaign.name, campaign.state
            ))
            .into_owned(),
        )
        .into());
    }
    let today = env.today();
    let late = days_overdue(campaign.due, today);
    if !stalled::escalates(campaign.due, args.overdue_days, today) {
        outln!(
            "{}",
            sanitize(&format!(
                "campaign {:?} is due {} and {}: items escalate once it is more than {} days \
                 past due; nothing was moved",
                campaign.name,
                campaign.due,
                match late {
                    0 => "not yet past due".to_string(),
                    n => format!("{n} days past due"),
                },
                args.overdue_days
            ))
        )?;
        return Ok(());
    }
    let known = store.reassign_targets()?;
    let mut moves = Vec::new();
    let mut stay: Vec<(i64, String)> = Vec::new();
    let mut waiting_again = 0u64;
    for item in store.stalled_items(campaign.id)? {
        if !stalled::had_its_time(item.reassigned_on, args.overdue_days, today) {
            waiting_again += 1;
            continue;
        }
        let facts = Stalled {
            assignee: &item.assignee,
            identity_id: &item.identity_id,
            identity_email: item.identity_email.as_deref(),
            business_owner: item.business_owner.as_deref(),
            owner: &campaign.owner,
        };
        match stalled::fallback(&facts, |who| known.contains(who)) {
            Some(to) => {
                let role = match &item.business_owner {
                    Some(bo) if same_person(bo, &to) => "its business owner",
                    _ => "the campaign owner",
                };
                let note = format!(
                    "escalated: {} had not decided it {late} days after the campaign's due date \
                     {} (escalation after {} days); moved to {to}, {role}",
                    item.assignee, campaign.due, args.overdue_days
                );
                moves.push(Move {
                    item: item.item,
                    from: item.assignee,
                    to,
                    note,
                });
            }
            None if !same_person(&item.assignee, &campaign.owner) => {
                stay.push((item.item, item.assignee));
            }
            None => {}
        }
    }
    let mut table = Table::new(&["ITEM", "FROM", "TO"]);
    for m in &moves {
        table.row(vec![m.item.to_string(), m.from.clone(), m.to.clone()]);
    }
    if !moves.is_empty() {
        out!("{}", table.render())?;
    }
    for (item, assignee) in &stay {
        outln!(
            "{}",
            sanitize(&format!(
                "item {item} stays with {assignee}: nobody else qualifies (its business owner and \
                 the campaign owner are the identity, the reviewer, or unknown)"
            ))
        )?;
    }
    if waiting_again > 0 {
        outln!(
            "{waiting_again} items reassigned in the last {} days stay: their new reviewers get \
             that long too",
            args.overdue_days
        )?;
    }
    if args.dry_run {
        outln!(
            "dry run: {} items would be reassigned; nothing was recorded",
            moves.len()
        )?;
        return Ok(());
    }
    if moves.is_empty() {
        outln!("nothing to escalate: no item past due waits for a reviewer other than the owner")?;
        return Ok(());
    }
    let overriding = same_person(&actor.email, &campaign.owner);
    let requests: Vec<DecisionRequest> = moves
        .iter()
        .map(|m| DecisionRequest {
            item: ItemId(m.item),
            decision: Some(Decision::Reassign { to: m.to.clone() }),
            note: Some(m.note.clone()),
            overriding,
            ..DecisionRequest::default()
        })
        .collect();
    let at = env.now_stamp();
    let outcomes = store.decide(campaign.id, &env.acting(actor, &at), &requests)?;
    let (first, last) = (
        outcomes.first().map(|o| o.seq.0).unwrap_or_default(),
        outcomes.last().map(|o| o.seq.0).unwrap_or_default(),
    );
    outln!(
        "{} items reassigned (events {first}–{last}), each with the reason in its note",
        outcomes.len()
    )?;
    Ok(())
}
