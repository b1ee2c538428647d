//! `recert remediation`: every revocation in force and whether a snapshot
//! imported after it proved the access gone (verified), still there (STILL
//! EFFECTIVE) or has not spoken yet (pending); and beside them every
//! rotation promised, verified by a later snapshot's newer rotation date,
//! OVERDUE past its date, or removed when a complete later snapshot no
//! longer holds the grant (nothing left to rotate; never called verified).
//! `--check` exits 1 when any revoked access is still effective or any
//! rotation is overdue.

use super::table::Table;
use super::{CheckFailed, Env};
use crate::cli::{RemediationArgs, RemediationState};
use crate::domain::RemediationStatus;
use crate::domain::rotation::RotationStatus;
use crate::domain::text::{count, sanitize};
use chrono::NaiveDate;
use std::io::Write;

use crate::store::{CampaignSummary, RemediationCounts, RotationCounts, Store};
use color_eyre::Result;

/// Which tasks `--status` keeps: the revocations and the rotations in that
/// state (`None`: none of that kind).
#[derive(Clone, Copy)]
struct Wanted {
    revocations: Option<Option<RemediationStatus>>,
    rotations: Option<Option<RotationStatus>>,
}

impl Wanted {
    fn from(state: Option<RemediationState>) -> Wanted {
        let (revocations, rotations) = match state {
            None => (Some(None), Some(None)),
            Some(RemediationState::Pending) => (
                Some(Some(RemediationStatus::Pending)),
                Some(Some(RotationStatus::Pending)),
            ),
            Some(RemediationState::Verified) => (
                Some(Some(RemediationStatus::Verified)),
                Some(Some(RotationStatus::Verified)),
            ),
            Some(RemediationState::StillEffective) => {
                (Some(Some(RemediationStatus::StillEffective)), None)
            }
            Some(RemediationState::Overdue) => (None, Some(Some(RotationStatus::Overdue))),
            Some(RemediationState::Removed) => (None, Some(Some(RotationStatus::Removed))),
        };
        Wanted {
            revocations,
            rotations,
        }
    }
}

/// A task in the `--json` listing, named by what it asks for.
#[derive(serde::Serialize)]
struct Tagged<'a, T> {
    task: &'static str,
    #[serde(flatten)]
    inner: &'a T,
}

pub fn run(args: &RemediationArgs, env: &Env) -> Result<()> {
    let store = env.open()?;
    let campaign = store.campaign(&args.campaign)?;
    let wanted = Wanted::from(args.status);
    let today = env.today();
    let counts = store.remediation_counts(campaign.id)?;
    let rotations = store.rotation_counts(campaign.id, today)?;
    // A reader that stops early (`| head`) ends the listing, not the
    // warning and the verdict of --check below.
    let listing = Listing {
        store: &store,
        campaign: &campaign,
        wanted,
        today,
        counts,
        rotations,
    };
    match listing.print(args.json) {
        Err(e) if e.chain().any(crate::output::is_broken_pipe) => {}
        listed => listed?,
    }
    let mut failures = Vec::new();
    if counts.still_effective > 0 {
        errln!(
            "warning: {} STILL EFFECTIVE: a snapshot imported after the revoke still holds \
             the grant",
            count(counts.still_effective, "revocation")
        );
        failures.push(format!(
            "{} still effective",
            count(counts.still_effective, "revocation")
        ));
    }
    if rotations.overdue > 0 {
        errln!(
            "warning: {} OVERDUE: past the date decided, and no snapshot imported since shows \
             the credential rotated",
            count(rotations.overdue, "rotation")
        );
        failures.push(format!("{} overdue", count(rotations.overdue, "rotation")));
    }
    if args.check && !failures.is_empty() {
        return Err(CheckFailed(failures.join(", ")).into());
    }
    Ok(())
}

struct Listing<'a> {
    store: &'a Store,
    campaign: &'a CampaignSummary,
    wanted: Wanted,
    today: NaiveDate,
    counts: RemediationCounts,
    rotations: RotationCounts,
}

impl Listing<'_> {
    fn print(&self, json: bool) -> Result<()> {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        if json {
            self.json(&mut out)?;
        } else {
            self.revocations(&mut out)?;
            self.rotation_table(&mut out)?;
        }
        out.flush()?;
        Ok(())
    }

    /// Revocations then rotations, each tagged `"task": "revoke"|"rotate"`;
    /// streamed, so that a large campaign never sits in memory.
    fn json(&self, out: &mut impl Write) -> Result<()> {
        let (store, id) = (self.store, self.campaign.id);
        let mut first = true;
        write!(out, "[")?;
        if let Some(status) = self.wanted.revocations {
            store.for_each_remediation_task(id, status, |task| {
                write!(out, "{}", if first { "\n  " } else { ",\n  " })?;
                first = false;
                let task = Tagged {
                    task: "revoke",
                    inner: task,
                };
                serde_json::to_writer(&mut *out, &task)?;
                Ok(())
            })?;
        }
        if let Some(status) = self.wanted.rotations {
            store.for_each_rotation_task(id, status, self.today, |task| {
                write!(out, "{}", if first { "\n  " } else { ",\n  " })?;
                first = false;
                let task = Tagged {
                    task: "rotate",
                    inner: task,
                };
                serde_json::to_writer(&mut *out, &task)?;
                Ok(())
            })?;
        }
        writeln!(out, "{}]", if first { "" } else { "\n" })?;
        Ok(())
    }

    fn revocations(&self, out: &mut impl Write) -> Result<()> {
        let Some(status) = self.wanted.revocations else {
            return Ok(());
        };
        let counts = self.counts;
        // Revokes carried over from earlier campaigns say which one.
        let carried = counts.carried_over > 0;
        let mut heading = vec![
            "ITEM",
            "STATUS",
            "TENANT",
            "IDENTITY",
            "SYSTEM",
            "ENTITLEMENT",
        ];
        if carried {
            heading.push("REVOKED IN");
        }
        heading.extend(["REVOKED BY", "REVOKED AT", "EVIDENCE"]);
        let mut table = Table::new(&heading);
        self.store
            .for_each_remediation_task(self.campaign.id, status, |t| {
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
                    t.tenant.clone(),
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
                sanitize(&format!("{:?} has no revocations", self.campaign.name))
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
        Ok(())
    }

    /// The rotations, after the revocations; nothing at all for a campaign
    /// that decided none (most have no credentials to rotate).
    fn rotation_table(&self, out: &mut impl Write) -> Result<()> {
        let (Some(status), counts) = (self.wanted.rotations, self.rotations) else {
            return Ok(());
        };
        if counts.total() == 0 {
            return Ok(());
        }
        let mut table = Table::new(&[
            "ITEM",
            "STATUS",
            "TENANT",
            "IDENTITY",
            "SYSTEM",
            "ENTITLEMENT",
            "ROTATE BY",
            "ROTATED",
            "DECIDED BY",
            "EVIDENCE",
        ]);
        self.store
            .for_each_rotation_task(self.campaign.id, status, self.today, |t| {
                let evidence = match (&t.proof, t.status) {
                    (Some(s), RotationStatus::Removed) => {
                        format!("grant gone in snapshot {} ({})", s.id, s.file_name)
                    }
                    (Some(s), _) => format!("snapshot {} ({})", s.id, s.file_name),
                    (None, _) => "no later import shows a newer rotation".to_string(),
                };
                let by = if t.close_action {
                    format!("{} (close action)", t.decided_by)
                } else {
                    t.decided_by.clone()
                };
                table.row(vec![
                    t.item.to_string(),
                    t.status.label().to_string(),
                    t.tenant.clone(),
                    t.identity_name.clone(),
                    t.system.clone(),
                    t.entitlement.clone(),
                    t.by.to_string(),
                    t.rotated_at.clone().unwrap_or_default(),
                    by,
                    evidence,
                ]);
                Ok(())
            })?;
        writeln!(out)?;
        write!(out, "{}", table.render())?;
        // Removed only once there is one: most campaigns never see it.
        let removed = match counts.removed {
            0 => String::new(),
            n => format!(", {n} removed (grant gone)"),
        };
        writeln!(
            out,
            "\n{}: {} verified, {} pending, {} OVERDUE{removed}",
            count(counts.total(), "rotation"),
            counts.verified,
            counts.pending,
            counts.overdue
        )?;
        Ok(())
    }
}
