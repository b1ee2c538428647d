//! `recert delegate`: the acting reviewer hands their items (of one
//! campaign, or of every campaign) to someone recert knows until a day;
//! while it lasts the delegate decides them, recorded as deciding for the
//! reviewer. `--list` shows the delegations in force.

use super::table::Table;
use super::{Env, day_arg};
use crate::cli::DelegateArgs;
use crate::domain::text::sanitize;
use color_eyre::Result;

pub fn run(args: &DelegateArgs, env: &Env) -> Result<()> {
    if args.list {
        return list(args.json, env);
    }
    let (Some(to), Some(until)) = (&args.to, &args.until) else {
        return Err(super::UsageError("delegate needs --to EMAIL and --until DATE".into()).into());
    };
    let until = day_arg("--until", until)?;
    let mut store = env.open()?;
    let actor = env.actor()?;
    let campaign = match &args.campaign {
        Some(name) => Some(store.campaign(name)?),
        None => None,
    };
    let at = env.now_stamp();
    let seq = store.delegate(
        &env.acting(actor, &at),
        to,
        until,
        campaign.as_ref().map(|c| c.id),
        args.note.as_deref(),
    )?;
    let to = crate::domain::people::person_key(to);
    outln!(
        "{}",
        sanitize(&format!(
            "{to} may decide {}'s items of {} until {until} (event {seq}), recorded as deciding \
             for {}",
            actor.email,
            campaign
                .as_ref()
                .map_or_else(|| "every campaign".to_string(), |c| format!("{:?}", c.name)),
            actor.email
        ))
    )?;
    Ok(())
}

fn list(json: bool, env: &Env) -> Result<()> {
    let store = env.open()?;
    let delegations = store.delegations_in_force(env.today())?;
    if json {
        return super::print_json(&delegations);
    }
    if delegations.is_empty() {
        outln!("no delegation is in force")?;
        return Ok(());
    }
    let mut table = Table::new(&["FROM", "TO", "UNTIL", "CAMPAIGN", "EVENT"]);
    for d in &delegations {
        table.row(vec![
            d.from.clone(),
            d.to.clone(),
            d.until.to_string(),
            d.campaign.clone().unwrap_or_else(|| "(every)".into()),
            d.seq.to_string(),
        ]);
    }
    out!("{}", table.render())?;
    Ok(())
}
