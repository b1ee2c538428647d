//! `recert decide`: one decision from a script, under the same rules as
//! the console.

use super::{Env, day_arg};
use crate::cli::{DecideAction, DecideArgs};
use crate::domain::Decision;
use crate::domain::text::sanitize;
use crate::store::{Acting, DecisionRequest, ItemId};
use color_eyre::Result;

pub fn run(args: DecideArgs, env: &Env) -> Result<()> {
    let (decision, note) = match args.action {
        DecideAction::Attest(n) => (Some(Decision::Attest), n.note),
        DecideAction::Revoke(n) => (Some(Decision::Revoke), n.note),
        DecideAction::Exception {
            until,
            ticket,
            note,
        } => (
            Some(Decision::Exception {
                until: day_arg("--until", &until)?,
                ticket: ticket.filter(|t| !t.trim().is_empty()),
            }),
            note.note,
        ),
        DecideAction::Reassign { to, note } => (Some(Decision::Reassign { to }), note.note),
        DecideAction::Undo(n) => (None, n.note),
    };
    let mut store = env.open()?;
    let campaign = store.campaign(&args.campaign)?;
    let at = env.now_stamp();
    let acting = Acting {
        actor: &env.actor,
        at: &at,
        today: env.today(),
    };
    let request = DecisionRequest {
        item: ItemId(args.item),
        decision,
        note,
        seen_event: None,
        seconds_on_screen: None,
    };
    let outcome = store
        .decide(campaign.id, &acting, std::slice::from_ref(&request))?
        .remove(0);
    println!(
        "{}",
        sanitize(&format!(
            "item {}: {} (event {}), waiting on {}",
            outcome.item,
            outcome.state.label(),
            outcome.seq,
            outcome.state.assignee
        ))
    );
    Ok(())
}
