//! `recert verify`: recompute the audit chain, check the evidence, derived
//! tables and schema it protects, replay the rules, and check that chain
//! heads taken from reports are still in it with nothing up to them
//! changed. Exit 1 names what is wrong, one line each.
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
    check(&store, &args.heads, args.chain_only)
}

/// Verifies `store` (the database, or a backup of it) and says what was
/// found, one line each; fails naming what does not verify.
pub(crate) fn check(store: &crate::store::Store, heads: &[String], chain_only: bool) -> Result<()> {
    let v = store.verify(heads, chain_only)?;
    let mut failed = Vec::new();
    match &v.chain.first_break {
        None => unless_reader_gone(outln!(
            "audit chain intact: {} events, head {}",
            v.chain.events,
            sanitize(&v.chain.head)
        ))?,
        Some(broken) => {
            errln!(
                "{}",
                sanitize(&format!(
                    "audit chain broken at event {} ({}): {}",
                    broken.seq, broken.kind, broken.fault
                ))
            );
            errln!(
                "the {} events before it verify; their head is {}",
                v.chain.events,
                sanitize(&v.chain.head)
            );
            failed.push(format!("event {} does not verify", broken.seq));
        }
    }
    for head in &v.heads {
        match (head.seq, head.changed_at) {
            (Some(seq), Some(changed)) => {
                errln!(
                    "head {} is event {seq} of {}, but evidence recorded at or before it no \
                     longer matches (event {changed}, below): it was changed after the report \
                     that carries it was made",
                    head.hash.to_lowercase(),
                    v.chain.events
                );
                failed.push(format!(
                    "evidence up to head {} was changed",
                    head.hash.to_lowercase()
                ));
            }
            (Some(seq), None) => unless_reader_gone(outln!(
                "head {} is event {seq} of {}: nothing up to it has changed{}",
                head.hash.to_lowercase(),
                v.chain.events,
                match v.chain.events.saturating_sub(seq as u64) {
                    0 => String::new(),
                    n => format!("; {} appended since", count(n, "event")),
                }
            ))?,
            (None, _) => {
                errln!(
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
    if v.chain.first_break.is_none() && !chain_only {
        if v.discrepancy_count == 0 {
            unless_reader_gone(outln!(
                "evidence matches the log: {} ({}) match their creation digests and policies, \
                 {} their imports, and what {} wrote {} digests; item states, tallies and \
                 remediation agree with the events, and no event breaks the rules",
                count(v.campaigns, "campaign"),
                count(v.items, "frozen item"),
                count(v.snapshots, "snapshot"),
                count(v.imports_digested, "import"),
                if v.imports_digested == 1 {
                    "its"
                } else {
                    "their"
                }
            ))?;
            unless_reader_gone(outln!(
                "schema is recert's: {} tables, indexes, triggers and views as its migrations \
                 make them",
                v.schema_objects
            ))?;
        } else {
            for d in &v.discrepancies {
                let at = d.seq.map(|s| format!("event {s}: ")).unwrap_or_default();
                errln!("{}", sanitize(&format!("{at}{}", d.message)));
            }
            let hidden = v.discrepancy_count - v.discrepancies.len() as u64;
            if hidden > 0 {
                errln!("… and {hidden} more");
            }
            failed.push(format!(
                "the stored evidence disagrees with the log in {}",
                count(v.discrepancy_count, "place")
            ));
        }
        // Not failures: what older recerts did not record cannot be checked.
        if v.imports_undigested > 0 {
            unless_reader_gone(outln!(
                "not checked: what {} wrote ({} made before recert recorded import digests)",
                count(v.imports_undigested, "import"),
                if v.imports_undigested == 1 {
                    "it was"
                } else {
                    "they were"
                }
            ))?;
        }
        if v.campaigns_without_policy > 0 {
            unless_reader_gone(outln!(
                "not checked: the policy of {} and decisions against it (created before \
                 recert recorded policies)",
                count(v.campaigns_without_policy, "campaign")
            ))?;
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CheckFailed(failed.join("; ")).into())
    }
}
