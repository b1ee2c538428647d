//! `recert verify`: recompute the audit chain, check each campaign's frozen
//! evidence against its digest, and check that every item's recorded state
//! is what its events say. Everything read back is sanitised before it is
//! printed: verify is the command run on a database nobody trusts.

use super::{CheckFailed, Env};
use crate::domain::text::sanitize;
use color_eyre::Result;

pub fn run(env: &Env) -> Result<()> {
    let store = env.open()?;
    let report = store.verify_chain()?;
    if let Some(broken) = report.first_break {
        eprintln!(
            "{}",
            sanitize(&format!(
                "audit chain broken at event {} ({}): {}",
                broken.seq, broken.kind, broken.fault
            ))
        );
        eprintln!(
            "the {} events before it verify; their head is {}",
            report.events,
            sanitize(&report.head)
        );
        return Err(CheckFailed(format!("event {} does not verify", broken.seq)).into());
    }
    println!(
        "audit chain intact: {} events, head {}",
        report.events,
        sanitize(&report.head)
    );
    let mut broken = 0;
    for check in store.verify_campaign_evidence()? {
        let name = sanitize(&check.campaign).into_owned();
        match check.problem {
            None => println!("campaign {name:?}: frozen evidence intact"),
            Some(problem) => {
                broken += 1;
                eprintln!("campaign {name:?}: {}", sanitize(&problem));
            }
        }
    }
    let consistency = store.check_consistency()?;
    if consistency.is_consistent() {
        println!(
            "item states agree with the audit log: {} item{} replayed, {} campaign tall{} \
             recounted",
            consistency.items_checked,
            if consistency.items_checked == 1 {
                ""
            } else {
                "s"
            },
            consistency.campaigns_checked,
            if consistency.campaigns_checked == 1 {
                "y"
            } else {
                "ies"
            }
        );
    } else {
        for problem in &consistency.problems {
            eprintln!("{}", sanitize(problem));
        }
        let hidden = consistency.total_problems - consistency.problems.len() as u64;
        if hidden > 0 {
            eprintln!("… and {hidden} more");
        }
    }
    match (broken, consistency.total_problems) {
        (0, 0) => Ok(()),
        (0, n) => Err(CheckFailed(format!("{n} item state(s) disagree with the audit log")).into()),
        (b, 0) => Err(CheckFailed(format!("{b} campaign(s) fail verification")).into()),
        (b, n) => Err(CheckFailed(format!(
            "{b} campaign(s) fail verification and {n} item state(s) disagree with the audit log"
        ))
        .into()),
    }
}
