//! `recert remediation`: every revocation in force and whether a snapshot
//! imported after it proved the access gone (verified), still there (STILL
//! EFFECTIVE) or has not spoken yet (pending). `--check` exits 1 when any
//! revoked access is still effective.

use super::table::Table;
use super::{CheckFailed, Env};
use crate::cli::{RemediationArgs, RemediationState};
use crate::domain::RemediationStatus;
use crate::domain::text::{count, sanitize};
use std::io::Write;

use crate::store::{CampaignSummary, RemediationCounts, Store};
use color_eyre::Result;

pub fn run(args: &RemediationArgs, env: &Env) -> Result<()> {
    let store = env.open()?;
    let campaign = store.campaign(&args.campaign)?;
    let status = args.status.map(|s| match s {
        RemediationState::Pending => RemediationStatus::Pending,
        RemediationState::Verified => RemediationStatus::Verified,
        RemediationState::StillEffective => RemediationStatus::StillEffective,
    });
    let counts = store.remediation_counts(campaign.id)?;
    // A reader that stops early (`| head`) ends the listing, not the
    // warning and the verdict of --check below.
    match list(&store, &campaign, status, counts, args.json) {
        Err(e) if e.chain().any(crate::output::is_broken_pipe) => {}
        listed => listed?,
    }
    if counts.still_effective > 0 {
        errln!(
            "warning: {} STILL EFFECTIVE: a snapshot imported after the revoke still holds \
             the grant",
            count(counts.still_effective, "revocation")
        );
        if args.check {
            return Err(CheckFailed(format!(
                "{} still effective",
                count(counts.still_effective, "revocation")
            ))
            .into());
        }
    }
    Ok(())
}

fn list(
    store: &Store,
    campaign: &CampaignSummary,
    status: Option<RemediationStatus>,
    counts: RemediationCounts,
    json: bool,
) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if json {
        // Streamed, so that a large campaign never sits in memory.
        let mut first = true;
        write!(out, "[")?;
        store.for_each_remediation_task(campaign.id, status, |task| {
            write!(out, "{}", if first { "\n  " } else { ",\n  " })?;
            first = false;
            serde_json::to_writer(&mut out, task)?;
            Ok(())
        })?;
        writeln!(out, "{}]", if first { "" } else { "\n" })?;
    } else {
        // Revokes carried over from earlier campaigns say which one.
        let carried = counts.carried_over > 0;
        let mut heading = vec!["ITEM", "STATUS", "IDENTITY", "SYSTEM", "ENTITLEMENT"];
        if carried {
            heading.push("REVOKED IN");
        }
        heading.extend(["REVOKED BY", "REVOKED AT", "EVIDENCE"]);
        let mut table = Table::new(&heading);
        store.for_each_remediation_task(campaign.id, status, |t| {
            let evidence = match &t.proof {
                Some(s) => format!("snapshot {} ({})", s.id, s.file_name),
                None => "no later import of its scope yet".to_string(),
            };
            let by = if t.close_action {
                format!("{} (close action)", t.revoked_by)
            } else {
                t.revoked_by.clone()
            };
            let mut row = vec![
                t.item.to_string(),
                t.status.label().to_string(),
                t.identity_name.clone(),
                t.system.clone(),
                t.entitlement.clone(),
            ];
            if carried {
                row.push(match &t.carried_from {
                    Some(earlier) => format!("{earlier:?} (not done)"),
                    None => "this campaign".to_string(),
                });
            }
            row.extend([by, t.revoked_at.clone(), evidence]);
            table.row(row);
            Ok(())
        })?;
        if counts.total() == 0 {
            writeln!(
                out,
                "{}",
                sanitize(&format!("{:?} has no revocations", campaign.name))
            )?;
        } else {
            write!(out, "{}", table.render())?;
            writeln!(
                out,
                "\n{}: {} verified, {} pending, {} STILL EFFECTIVE",
                count(counts.total(), "revocation"),
                counts.verified,
                counts.pending,
                counts.still_effective
            )?;
            if counts.carried_over > 0 {
                writeln!(
                    out,
                    "{} carried over: revoked in an earlier campaign, still held when this \
                     one was created",
                    count(counts.carried_over, "revocation")
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
