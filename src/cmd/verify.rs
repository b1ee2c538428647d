//! `recert verify`: recompute the audit chain.

use super::{CheckFailed, Env};
use color_eyre::Result;

pub fn run(env: &Env) -> Result<()> {
    let store = env.open()?;
    let report = store.verify_chain()?;
    match report.first_break {
        None => {
            println!(
                "audit chain intact: {} events, head {}",
                report.events, report.head
            );
            let mut broken = 0;
            for check in store.verify_campaign_evidence()? {
                let name = crate::domain::text::sanitize(&check.campaign).into_owned();
                match check.problem {
                    None => println!("campaign {name:?}: frozen evidence intact"),
                    Some(problem) => {
                        broken += 1;
                        eprintln!("campaign {name:?}: {problem}");
                    }
                }
            }
            if broken > 0 {
                return Err(CheckFailed(format!("{broken} campaign(s) fail verification")).into());
            }
            Ok(())
        }
        Some(broken) => {
            eprintln!(
                "audit chain broken at event {} ({}): {}",
                broken.seq, broken.kind, broken.fault
            );
            eprintln!(
                "the {} events before it verify; their head is {}",
                report.events, report.head
            );
            Err(CheckFailed(format!("event {} does not verify", broken.seq)).into())
        }
    }
}
