//! `recert decide`: one decision from a script, under the same rules as
//! the console — including that nobody's decision is silently replaced.
//! A script says which event it saw with `--expect-event`; without it, an
//! item whose decision in force someone else recorded is refused, and the
//! check and the decision are one transaction, so a decision recorded in
//! between is reported as a conflict rather than overwritten.

use super::{CheckFailed, Env, UsageError};
use crate::cli::{DecideAction, DecideArgs};
use crate::domain::Decision;
use crate::domain::text::sanitize;
use crate::store::{DecisionRequest, EventSeq, ItemId, ItemQuery, Selection, Store};
use color_eyre::Result;

pub fn run(args: DecideArgs, env: &Env) -> Result<()> {
    // Clap leaves `requires` unchecked when a decision follows: a dry run
    // that silently recorded would be the worst way to find out.
    if args.dry_run && args.from.is_none() {
        return Err(UsageError("--dry-run goes with --from; nothing was recorded".into()).into());
    }
    let action = match (args.action, &args.from) {
        (None, Some(file)) => {
            return super::decide_from::run(&args.campaign, file, args.dry_run, env);
        }
        (Some(_), Some(_)) => {
            return Err(UsageError(
                "--from takes each row's decision from the file: name no decision".into(),
            )
            .into());
        }
        (None, None) => {
            return Err(UsageError(
                "name a decision: attest, revoke, exception, reassign, rotate or undo".into(),
            )
            .into());
        }
        (Some(action), None) => action,
    };
    let (decision, note) = decision_arg(action)?;
    let expected = args.expect_event.as_deref().map(expect_event).transpose()?;
    let mut store = env.open()?;
    let actor = env.actor()?;
    let campaign = store.campaign(&args.campaign)?;
    let item = match (args.item, args.filters.is_empty(), args.expect) {
        (Some(_), false, _) => {
            return Err(UsageError("name one ITEM or --where, not both".into()).into());
        }
        (_, false, None) => {
            return Err(UsageError(
                "--where needs --expect N, the number of items it must match".into(),
            )
            .into());
        }
        (None, false, Some(_)) if args.overriding => {
            // An override is one item's, with a note saying why for it.
            return Err(UsageError(
                "--override decides one ITEM; --where decides only the acting reviewer's items"
                    .into(),
            )
            .into());
        }
        (Some(_), true, Some(_)) => {
            return Err(UsageError("--expect goes with --where".into()).into());
        }
        (item, _, _) => item,
    };
    let Some(item) = item.map(ItemId) else {
        return bulk(
            (&args.filters, args.expect),
            decision,
            note,
            &mut store,
            campaign.id,
            env,
        );
    };
    let seen_event = match expected {
        Some(seen) => Some(seen),
        None => seen_unless_someone_elses(&store, campaign.id, item, &actor.email)?,
    };
    let at = env.now_stamp();
    let acting = env.acting(actor, &at);
    let request = DecisionRequest {
        item,
        decision,
        note,
        seen_event,
        seconds_on_screen: None,
        overriding: args.overriding,
    };
    let outcome = store
        .decide(campaign.id, &acting, std::slice::from_ref(&request))?
        .remove(0);
    // Only an item without a final decision waits for someone.
    let waiting = match &outcome.state.decision {
        Some(decision) if decision.is_final() => String::new(),
        _ => format!(", waiting on {}", outcome.state.assignee),
    };
    outln!(
        "{}",
        sanitize(&format!(
            "item {}: {} (event {}){waiting}",
            outcome.item,
            outcome.state.label(),
            outcome.seq,
        ))
    )?;
    Ok(())
}

/// `decide CAMPAIGN --where F… attest|revoke --note T --expect N`: one
/// decision on exactly the items the filters match, recorded as a bulk
/// decision in one transaction, or nothing when they are not N.
fn bulk(
    (filters, expect): (&[String], Option<u64>),
    decision: Option<Decision>,
    note: Option<String>,
    store: &mut Store,
    campaign: crate::store::CampaignId,
    env: &Env,
) -> Result<()> {
    let decision = match decision {
        Some(d @ (Decision::Attest | Decision::Revoke)) => d,
        _ => {
            return Err(UsageError(
                "--where decides attest or revoke only; one item at a time for the others".into(),
            )
            .into());
        }
    };
    let expect = expect.unwrap_or_default();
    let filters = super::filters_arg(filters)?;
    let (head, _) = store.chain_head()?;
    let selection = Selection {
        campaign,
        queries: vec![ItemQuery {
            campaign,
            filters,
            search: None,
        }],
        added: Vec::new(),
        removed: Vec::new(),
        marked_at: EventSeq(head as i64),
    };
    let kind = decision.kind();
    let preview = store.preview_selected(&selection, kind, None)?;
    if preview.items != expect || preview.left_alone > 0 {
        return Err(CheckFailed(format!(
            "--where matches {} items (--expect {expect}){}: nothing was recorded",
            preview.items + preview.left_alone,
            if preview.left_alone > 0 {
                format!(", {} of them with nothing to change", preview.left_alone)
            } else {
                String::new()
            }
        ))
        .into());
    }
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if let (Some(reason), None) = (preview.note_required, &note) {
        return Err(CheckFailed(format!(
            "--note is required: {reason}; nothing was recorded"
        ))
        .into());
    }
    let actor = env.actor()?;
    let at = env.now_stamp();
    let outcome = store.decide_selected(
        &env.acting(actor, &at),
        &selection,
        Some(&decision),
        note.as_deref(),
    )?;
    if outcome.decided != expect {
        // Something changed between the count and the transaction.
        outln!(
            "{}",
            format!(
                "{} of {expect} items decided: {} changed meanwhile and were left as they are",
                outcome.decided,
                outcome.left_alone()
            )
        )?;
        return Err(CheckFailed("not every matched item was decided".into()).into());
    }
    outln!(
        "{} {} items in one bulk decision{}",
        match kind {
            crate::domain::DecisionKind::Attest => "attested",
            _ => "revoked",
        },
        outcome.decided,
        if preview.replacing > 0 {
            format!(", replacing {} earlier decisions", preview.replacing)
        } else {
            String::new()
        }
    )?;
    Ok(())
}

/// The decision the subcommand names, built as a decisions file's rows
/// are: through [`Decision::from_fields`].
fn decision_arg(action: DecideAction) -> Result<(Option<Decision>, Option<String>)> {
    use crate::domain::DecisionKind;
    use crate::domain::decision::DecisionFields;
    let none = DecisionFields::default();
    let (kind, fields, note) = match &action {
        DecideAction::Attest(n) => (DecisionKind::Attest, none, &n.note),
        DecideAction::Revoke(n) => (DecisionKind::Revoke, none, &n.note),
        DecideAction::Exception {
            until,
            ticket,
            note,
        } => (
            DecisionKind::Exception,
            DecisionFields {
                until: Some(until),
                ticket: ticket.as_deref(),
                ..none
            },
            &note.note,
        ),
        DecideAction::Reassign { to, note } => (
            DecisionKind::Reassign,
            DecisionFields {
                to: Some(to),
                ..none
            },
            &note.note,
        ),
        DecideAction::Rotate { by, note } => (
            DecisionKind::Rotate,
            DecisionFields {
                by: Some(by),
                ..none
            },
            &note.note,
        ),
        DecideAction::Undo(n) => (DecisionKind::Undo, none, &n.note),
    };
    let decision = Decision::from_fields(kind, &fields)
        .map_err(|problem| UsageError(format!("--{} {}", problem.field, problem.message)))?;
    Ok((decision, note.clone()))
}

/// `--expect-event SEQ|none`.
fn expect_event(text: &str) -> Result<Option<EventSeq>> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    match text.parse::<i64>() {
        Ok(seq) if seq > 0 => Ok(Some(EventSeq(seq))),
        _ if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Err(UsageError(format!(
                "--expect-event {text}: no event has this number: events are numbered from 1 \
                 to {} (`items --json` shows the item's last_event)",
                i64::MAX
            ))
            .into())
        }
        _ => Err(UsageError(format!(
            "--expect-event {text:?}: expected an event number (`items --json` shows the \
             item's last_event) or none"
        ))
        .into()),
    }
}

/// The item's latest event, which the decision then expects to still be
/// the latest; or a refusal when the decision in force is someone else's.
/// A reassigned item is waiting for its next reviewer, so it is not one.
fn seen_unless_someone_elses(
    store: &Store,
    campaign: crate::store::CampaignId,
    item: ItemId,
    actor: &str,
) -> Result<Option<Option<EventSeq>>> {
    // An item not in the campaign is the store's to report.
    let Some(row) = store.item_row(campaign, item)? else {
        return Ok(None);
    };
    if crate::rules::decision::replaces_anothers(row.decision, row.decided_by.as_deref(), actor)
        && let (Some(kind), Some(by)) = (row.decision, &row.decided_by)
    {
        let last = row.last_event.map_or(0, |e| e.0);
        return Err(CheckFailed(format!(
            "item {item} already has a decision in force: {} by {by}; nothing was recorded. \
             To record yours on top of it, say you have seen it: --expect-event {last}",
            kind.as_str()
        ))
        .into());
    }
    Ok(Some(row.last_event))
}
