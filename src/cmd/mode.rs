//! `recert mode`: whose database this is. `personal` (after `init`): one
//! person's, names taken as stated. `shared`: many people's, each
//! established by their OS account or their SSH session's key. Changing it
//! is an admin's, and an audited event.

use super::{Env, refused};
use crate::cli::{ModeArgs, ModeValue};
use crate::domain::roster::Mode;
use crate::domain::text::sanitize;
use crate::rules::authority;
use color_eyre::Result;

pub fn run(args: &ModeArgs, env: &Env) -> Result<()> {
    let mut store = env.open()?;
    let current = store.mode()?;
    let Some(to) = args.mode else {
        outln!("{current}")?;
        if let Ok(actor) = env.actor() {
            outln!(
                "{}",
                sanitize(&format!(
                    "acting: {} ({})",
                    actor.email,
                    authority::describe(&actor.via)
                ))
            )?;
        }
        return Ok(());
    };
    let to = match to {
        ModeValue::Personal => Mode::Personal,
        ModeValue::Shared => Mode::Shared,
    };
    let actor = env.actor()?;
    authority::may_change_mode(current, to, actor).map_err(refused)?;
    let at = env.now_stamp();
    let note = args
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let seq = store.set_mode(&env.acting(actor, &at), to, note)?;
    outln!(
        "{}",
        sanitize(&format!(
            "the database is {to} now (event {seq}, by {} {})",
            actor.email,
            authority::describe(&actor.via)
        ))
    )?;
    Ok(())
}
