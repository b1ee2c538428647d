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
