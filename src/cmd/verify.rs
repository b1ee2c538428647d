//! `recert verify`: recompute the audit chain, check the evidence and
//! derived tables it protects, and check that chain heads taken from
//! reports are still in it. Exit 1 names the first thing that is wrong.
//! Everything read back is sanitised before it is printed: verify is the
//! command run on a database nobody trusts.

use super::{CheckFailed, Env, UsageError};
use crate::cli::VerifyArgs;
use crate::domain::text::{count, sanitize};
use crate::output::unless_reader_gone;
use color_eyre::Result;

pub fn run(args: &VerifyArgs, env: &Env) -> Result<()> {
    for head in &args.heads {
        if head.len() != 64 || !head.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(UsageError(format!(
                "--head {}: expected a SHA-256 hash, 64 hex digits, as reports print it",
                sanitize(head)
            ))
            .into());
        }
    }
    let store = env.open()?;
    let v = store.verify(&args.heads, args.chain_only)?;
    let mut failed = Vec::new();
    match &v.chain.first_break {
        None => unless_reader_gone(outln!(
            "audit chain intact: {} events, head {}",
            v.chain.events,
            sanitize(&v.chain.head)
        ))?,
        Some(broken) => {
            eprintln!(
                "{}",
                sanitize(&format!(
                    "audit chain broken at event {} ({}): {}",
                    broken.seq, broken.kind, broken.fault
                ))
            );
            eprintln!(
                "the {} events before it verify; their head is {}",
                v.chain.events,
                sanitize(&v.chain.head)
            );
            failed.push(format!("event {} does not verify", broken.seq));
        }
    }
    for head in &v.heads {
        match head.seq {
            Some(seq) => unless_reader_gone(outln!(
                "head {} is event {seq} of {}: nothing up to it has changed{}",
                head.hash.to_lowercase(),
                v.chain.events,
                match v.chain.events.saturating_sub(seq as u64) {
                    0 => String::new(),
                    n => format!("; {} appended since", count(n, "event")),
                }
            ))?,
            None => {
                eprintln!(
                    "head {} is not in the {}audit chain: events up to it were deleted or \
                     rewritten after the report that carries it was made",
                    head.hash.to_lowercase(),
                    if v.chain.first_break.is_some() {
                        "verified part of the "
                    } else {
                        ""
                    }
                );
                failed.push(format!("head {} is not in the chain", head.hash));
            }
        }
    }
    if v.chain.first_break.is_none() && !args.chain_only {
        if v.discrepancy_count == 0 {
            unless_reader_gone(outln!(
                "evidence matches the log: {} ({}) match their creation digests, {} \
                 their imports; item states, tallies and remediation agree with the events",
                count(v.campaigns, "campaign"),
                count(v.items, "frozen item"),
                count(v.snapshots, "snapshot")
            ))?;
        } else {
            for d in &v.discrepancies {
                let at = d.seq.map(|s| format!("event {s}: ")).unwrap_or_default();
                eprintln!("{}", sanitize(&format!("{at}{}", d.message)));
            }
            let hidden = v.discrepancy_count - v.discrepancies.len() as u64;
            if hidden > 0 {
                eprintln!("… and {hidden} more");
            }
            failed.push(format!(
                "the stored evidence disagrees with the log in {}",
                count(v.discrepancy_count, "place")
            ));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CheckFailed(failed.join("; ")).into())
    }
}
