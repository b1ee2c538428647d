//! `recert review`: the console on a campaign.

use super::{Env, day_arg};
use crate::cli::ReviewArgs;
use color_eyre::Result;
use color_eyre::eyre::eyre;

pub fn run(args: &ReviewArgs, env: &Env) -> Result<()> {
    let mut store = env.open()?;
    let actor = env.actor()?.clone();
    let campaign = match &args.campaign {
        Some(name) => store.campaign(name)?,
        None => store.latest_campaign()?.ok_or_else(|| {
            eyre!("there is no campaign to review: create one with `recert campaign new`")
        })?,
    };
    let today = match &args.as_of {
        Some(text) => day_arg("--as-of", text)?,
        None => env.today(),
    };
    let settings = env.config.config.console.clone();
    crate::tui::run(
        &mut store,
        &campaign,
        actor.email,
        actor.via,
        today,
        &settings,
    )
}
