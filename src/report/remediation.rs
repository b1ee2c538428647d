//! The report's remediation sections: revocations an earlier campaign
//! left not done, this campaign's revocations and where each stands, and
//! the rotations promised.

use super::render::{Renderer, identity, opt};
use super::{Context, Error};
use crate::domain::RemediationStatus;
use crate::domain::text::count;
use crate::store::{ReportRows, Store};
use std::io;

/// Grants an earlier campaign revoked that a snapshot imported after the
/// revoke still held when this campaign was created: the failure auditors
/// care about most, carried until a snapshot shows the grant gone.
pub(super) fn revocations_not_done(ctx: &Context<'_>, r: &mut dyn Renderer) -> io::Result<()> {
    let not_done = &ctx.evidence.revocations_not_done;
    r.heading("Revocations not done")?;
    if not_done.is_empty() {
        return r.paragraph(
            "None: no grant that an earlier campaign revoked was still held when this \
             campaign was created.",
            false,
        );
    }
    let still = not_done
        .iter()
        .filter(|n| n.status == RemediationStatus::StillEffective)
        .count() as u64;
    r.paragraph(
        &format!(
            "{} revoked in an earlier campaign and still held by a snapshot imported after \
             the revoke when this campaign was created; {still} still effective now. The \
             access was not removed.",
            count(not_done.len() as u64, "grant"),
        ),
        true,
    )?;
    r.table_start(&[
        "#",
        "Tenant",
        "Identity",
        "System",
        "Entitlement",
        "Revoked in",
        "Why flagged",
        "Now",
        "Decision here",
    ])?;
    for n in not_done {
        let who = if n.identity_name == n.identity_id {
            n.identity_id.clone()
        } else {
            format!("{} ({})", n.identity_name, n.identity_id)
        };
        let now = match (n.status, n.status_snapshot) {
            (RemediationStatus::Verified, Some(s)) => format!("verified by snapshot {s}"),
            (status, _) => status.label().to_string(),
        };
        r.table_row(
            &[
                n.item.to_string(),
                n.tenant.clone(),
                who,
                n.system.clone(),
                n.entitlement.clone(),
                n.revoked_in.campaign.clone(),
                n.reason.clone(),
                now,
                n.state.to_string(),
            ],
            n.status == RemediationStatus::StillEffective,
        )?;
    }
    r.table_end()
}

pub(super) fn remediation(
    store: &Store,
    ctx: &Context<'_>,
    r: &mut dyn Renderer,
) -> Result<(), Error> {
    let m = ctx.evidence.remediation;
    r.heading("Remediation")?;
    r.paragraph(
        &format!(
            "{}: {} verified by a later snapshot, {} pending, {} still effective.",
            count(m.total(), "revocation"),
            m.verified,
            m.pending,
            m.still_effective
        ),
        false,
    )?;
    if m.carried_over > 0 {
        r.paragraph(
            &format!(
                "These include {} carried over from earlier campaigns (see Revocations not \
                 done).",
                count(m.carried_over, "revocation")
            ),
            false,
        )?;
    }
    // This campaign's own revokes; those carried over are listed above.
    let carried_still = ctx
        .evidence
        .revocations_not_done
        .iter()
        .filter(|n| n.status == RemediationStatus::StillEffective && n.state != "revoked")
        .count() as u64;
    let own_still = m.still_effective.saturating_sub(carried_still);
    if own_still == 0 {
        return Ok(());
    }
    r.paragraph(
        &format!(
            "STILL EFFECTIVE: {} still present in a snapshot imported after the revoke. The \
             access was not removed.",
            count(own_still, "revoked grant")
        ),
        true,
    )?;
    r.table_start(&[
        "#",
        "Tenant",
        "Identity",
        "System",
        "Entitlement",
        "Revoked by",
        "Revoked at",
        "Seen again in snapshot",
    ])?;
    store.for_each_report_row(ctx.campaign.id, ReportRows::StillEffective, |row| {
        r.table_row(
            &[
                row.id.to_string(),
                row.tenant.to_string(),
                identity(row),
                row.system.to_string(),
                row.entitlement.to_string(),
                opt(row.decided_by),
                opt(row.decided_at),
                row.remediation_snapshot
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            ],
            true,
        )?;
        Ok(())
    })?;
    r.table_end()?;
    Ok(())
}

/// Rotations promised (`rotate --by`), beside the revocations: each
/// pending, verified by a later snapshot's newer rotation date, OVERDUE on
/// the day of the report, or removed when a complete later snapshot no
/// longer holds the grant. Nothing while the campaign has none.
pub(super) fn rotations(
    store: &Store,
    ctx: &Context<'_>,
    r: &mut dyn Renderer,
) -> Result<(), Error> {
    let today = ctx.today();
    let m = store.rotation_counts(ctx.campaign.id, today)?;
    if m.total() == 0 {
        return Ok(());
    }
    r.heading("Rotations")?;
    // Said only once there is one, so that an auditor reads it apart from
    // the verified: the grant went, the credential was never rotated.
    let removed = match m.removed {
        0 => String::new(),
        n => format!(
            ", {n} removed (a complete later snapshot no longer holds the grant: nothing \
             was rotated)"
        ),
    };
    r.paragraph(
        &format!(
            "{} kept on a promise to rotate the credential by a date: {} verified by a later \
             snapshot, {} pending, {} overdue on {today}{removed}.",
            count(m.total(), "grant"),
            m.verified,
            m.pending,
            m.overdue
        ),
        false,
    )?;
    if m.overdue > 0 {
        r.paragraph(
            &format!(
                "OVERDUE: {} past the date decided, and no snapshot imported since shows the \
                 credential rotated.",
                count(m.overdue, "rotation")
            ),
            true,
        )?;
    }
    r.table_start(&[
        "#",
        "Tenant",
        "Identity",
        "System",
        "Entitlement",
        "Rotate by",
        "Decided by",
        "Status",
        "Rotated (snapshot)",
    ])?;
    store.for_each_rotation_task(ctx.campaign.id, None, today, |t| {
        let by = if t.close_action {
            format!("{} (close action)", t.decided_by)
        } else {
            t.decided_by.clone()
        };
        let proof = match (&t.rotated_at, &t.proof) {
            (Some(at), Some(s)) => format!("{at} (snapshot {}, {})", s.id, s.file_name),
            (None, Some(s)) => format!("grant gone (snapshot {}, {})", s.id, s.file_name),
            _ => String::new(),
        };
        r.table_row(
            &[
                t.item.to_string(),
                t.tenant.clone(),
                format!("{} ({})", t.identity_name, t.identity_id),
                t.system.clone(),
                t.entitlement.clone(),
                t.by.to_string(),
                by,
                t.status.label().to_string(),
                proof,
            ],
            t.status == crate::domain::rotation::RotationStatus::Overdue,
        )?;
        Ok(())
    })?;
    r.table_end()?;
    Ok(())
}
