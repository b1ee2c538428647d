//! `recert close`: closes a signed-off campaign. Items nobody decided get
//! the campaign's close action, recorded as decisions by the closer; after
//! that the campaign refuses every decision.

use super::Env;
use crate::cli::CloseArgs;
use crate::domain::text::{count, sanitize};
use color_eyre::Result;

pub fn run(args: &CloseArgs, env: &Env) -> Result<()> {
    let mut store = env.open()?;
    let actor = env.actor()?;
    let campaign = store.campaign(&args.campaign)?;
    let at = env.now_stamp();
    let acting = env.acting(actor, &at);
    let closed = store.close_campaign(campaign.id, &acting, args.note.as_deref())?;
    let nobody = closed.kept + closed.revoked;
    let applied = if nobody == 0 {
        "every item had a decision".to_string()
    } else {
        format!(
            "{} nobody decided got the close action {}: {} kept{}, {} revoked",
            count(nobody, "item"),
            closed.on_close,
            closed.kept,
            crate::domain::rotation::kept_with_rotate(closed.rotated),
            closed.revoked
        )
    };
    outln!(
        "{}",
        sanitize(&format!(
            "closed {:?} as event {}: {applied}; it accepts no more decisions",
            campaign.name, closed.seq
        ))
    )?;
    let counts = store.remediation_counts(campaign.id)?;
    let rotations = store.rotation_counts(campaign.id, env.today())?;
    let tasks: Vec<String> = [
        (counts.total(), "revocation"),
        (rotations.total(), "rotation"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| count(n, what))
    .collect();
    if !tasks.is_empty() {
        outln!(
            "{}",
            sanitize(&format!(
                "{} to carry out: recert remediation {:?}",
                tasks.join(" and "),
                campaign.name
            ))
        )?;
    }
    Ok(())
}
