//! `recert exceptions`: exceptions in force across campaigns, soonest end
//! first, live and expired (`--expired` for the expired only). An expired
//! exception is also flagged `exception_lapsed` in the next campaign.

use super::table::Table;
use super::{Env, day_arg};
use crate::cli::ExceptionsArgs;
use crate::store::ExceptionFilter;
use color_eyre::Result;
use std::io::Write;

pub fn run(args: &ExceptionsArgs, env: &Env) -> Result<()> {
    let today = match &args.as_of {
        Some(text) => day_arg("--as-of", text)?,
        None => env.today(),
    };
    let filter = if args.expired {
        ExceptionFilter::Expired
    } else {
        ExceptionFilter::All
    };
    let store = env.open()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        let mut first = true;
        write!(out, "[")?;
        store.for_each_exception(today, filter, |e| {
            write!(out, "{}", if first { "\n  " } else { ",\n  " })?;
            first = false;
            serde_json::to_writer(&mut out, e)?;
            Ok(())
        })?;
        writeln!(out, "{}]", if first { "" } else { "\n" })?;
        out.flush()?;
        return Ok(());
    }
    let mut table = Table::new(&[
        "STATUS",
        "UNTIL",
        "TICKET",
        "IDENTITY",
        "SYSTEM",
        "ENTITLEMENT",
        "DECIDED BY",
        "CAMPAIGN",
        "ITEM",
    ]);
    let (mut live, mut expired) = (0u64, 0u64);
    store.for_each_exception(today, filter, |e| {
        let status = match (e.expired, e.grant_removed) {
            (true, false) => "EXPIRED",
            (true, true) => "expired, grant gone",
            (false, false) => "live",
            (false, true) => "live, grant gone",
        };
        if e.expired {
            expired += 1;
        } else {
            live += 1;
        }
        table.row(vec![
            status.to_string(),
            e.until.clone(),
            e.ticket.clone().unwrap_or_default(),
            e.identity_name.clone(),
            e.system.clone(),
            e.entitlement.clone(),
            e.decided_by.clone(),
            e.campaign.clone(),
            e.item.to_string(),
        ]);
        Ok(())
    })?;
    if live + expired == 0 {
        writeln!(out, "no exceptions in force")?;
    } else {
        write!(out, "{}", table.render())?;
        writeln!(
            out,
            "\n{live} live, {expired} expired as of {today}{}",
            if expired > 0 {
                "; the next campaign flags expired ones as exception_lapsed"
            } else {
                ""
            }
        )?;
    }
    out.flush()?;
    Ok(())
}
