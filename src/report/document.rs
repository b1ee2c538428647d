//! The human-readable report, once, for every markup: what it says and in
//! which order. A `Renderer` turns it into Markdown or HTML; every piece of
//! text it receives is plain and the renderer escapes all of it.

use super::groups::{self, Summary};
use super::render::{Renderer, catalogued, evidence_dates, identity, opt, people, reasons};
use super::{Context, Error, decision_text, remediation};
use crate::domain::RemediationStatus;
use crate::domain::framework::{Mapping, control_ids};
use crate::domain::signals::percent;
use crate::domain::text::count;
use crate::store::{ReportRows, Store};
use foldhash::HashMap;
use std::io;

/// Writes the whole document; returns how many items it lists.
pub fn write(store: &Store, ctx: &Context<'_>, r: &mut dyn Renderer) -> Result<u64, Error> {
    let c = ctx.campaign;
    let ev = ctx.evidence;
    r.begin(
        &format!("Access review report: {}", c.name),
        &format!(
            "Generated {} by {} with recert. Audit chain head {} after {} events; check it \
             with: {}",
            ctx.generated.at,
            ctx.generated.by,
            ev.head_hash,
            ev.head_events,
            ctx.verify_command()
        ),
    )?;
    summary(ctx, r)?;
    tenants(ctx, r)?;
    signoff(ctx, r)?;
    parts(ctx, r)?;
    who_acted(ctx, r)?;
    single_admin(store, ctx, r)?;
    reviewers(ctx, r)?;
    remediation::revocations_not_done(ctx, r)?;
    remediation::remediation(store, ctx, r)?;
    remediation::rotations(store, ctx, r)?;

    r.heading("Decisions against the recommendation")?;
    let reviewers_against: u64 = ev.reviewers.iter().map(|s| s.against_recommendation).sum();
    if ev.against_recommendation == 0 {
        r.paragraph(
            "No decision kept access that the insights recommended revoking.",
            false,
        )?;
    } else {
        r.paragraph(
            &format!(
                "{} kept access that the insights recommended revoking ({} by reviewers, {} \
                 by the close action).",
                count(ev.against_recommendation, "decision"),
                reviewers_against,
                ev.against_recommendation - reviewers_against
            ),
            false,
        )?;
        decision_list(store, ctx, r, ReportRows::AgainstRecommendation)?;
    }

    r.heading("Items")?;
    r.paragraph(
        &format!(
            "All {} items in risk order, riskiest first, each flag with its reason. Controls \
             are those the flags evidence: {}.",
            c.items,
            frameworks_cited()
        ),
        false,
    )?;
    r.table_start(&[
        "#",
        "Tenant",
        "Identity",
        "System",
        "Entitlement",
        "Flags and reasons",
        "Controls",
        "Evidence dates",
        "Sponsor and owners",
        "Recommendation",
        "Decision",
        "Reviewer",
        "Decided by",
        "Time",
        "Note",
        "Ticket",
        "Remarks",
    ])?;
    let mut count = 0u64;
    // Few distinct sets of flags recur across a campaign.
    let mut controls: HashMap<u32, String> = HashMap::default();
    store.for_each_report_row(c.id, ReportRows::All, |row| {
        let alert = row.remediation == Some(RemediationStatus::StillEffective);
        r.table_row(
            &[
                row.id.to_string(),
                row.tenant.to_string(),
                identity(row),
                row.system.to_string(),
                catalogued(row),
                reasons(ctx, row),
                controls
                    .entry(row.flags.bits())
                    .or_insert_with(|| control_ids(row.flags).join(", "))
                    .clone(),
                evidence_dates(row),
                people(row),
                row.recommendation.label().to_string(),
                decision_text(row),
                row.assignee.to_string(),
                opt(row.decided_by),
                opt(row.decided_at),
                opt(row.note),
                opt(row.ticket),
                ctx.remarks(row).join(", "),
            ],
            alert,
        )?;
        count += 1;
        Ok(())
    })?;
    r.table_end()?;

    r.heading("Audit chain")?;
    r.paragraph(
        &format!(
            "When this report was read the audit log held {} events; its head hash is {}. \
             Running {} proves that none of those events was changed, removed or reordered \
             since.",
            ev.head_events,
            ev.head_hash,
            ctx.verify_command()
        ),
        false,
    )?;
    r.end()?;
    Ok(count)
}

/// The frameworks the controls column cites, by name and version, for a
/// reader who meets `PR.AA-05` without `recert flags` at hand.
fn frameworks_cited() -> String {
    match Mapping::embedded() {
        Ok(mapping) => mapping
            .frameworks()
            .iter()
            .map(|f| format!("{} {}", f.name, f.version))
            .collect::<Vec<_>>()
            .join(" and "),
        Err(e) => format!("the framework mapping is unreadable ({e})"),
    }
}

fn summary(ctx: &Context<'_>, r: &mut dyn Renderer) -> io::Result<()> {
    let c = ctx.campaign;
    let ev = ctx.evidence;
    let t = &c.tally;
    r.heading("Summary")?;
    let reviewers = ev
        .assignments
        .iter()
        .map(|a| format!("{} ({} of {} decided)", a.reviewer, a.decided, a.items))
        .collect::<Vec<_>>()
        .join("; ");
    let signed = if ev.signoffs.is_empty() {
        "not signed off".to_string()
    } else {
        ev.signoffs
            .iter()
            .map(|s| format!("{} ({}) on {}", s.signer, s.role.as_str(), s.at))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let closed = match &ev.closure {
        Some(cl) => format!("closed by {} on {}", cl.closed_by, cl.at),
        None => "not closed".to_string(),
    };
    r.key_values(&[
        ("Campaign", c.name.clone()),
        ("State", c.state.to_string()),
        ("Owner", c.owner.clone()),
        ("Created", c.created_at.clone()),
        ("Insights as of", c.as_of.to_string()),
        ("Due", c.due.to_string()),
        (
            "Scope",
            if c.scope.is_empty() {
                "everything imported".to_string()
            } else {
                c.scope.join(" and ")
            },
        ),
        ("Reviewer rule", c.reviewer_rule.clone()),
        ("Close action", c.on_close.clone()),
        (
            "Previous campaign",
            c.previous.clone().unwrap_or_else(|| "none".into()),
        ),
        ("Items", c.items.to_string()),
        (
            "Decisions",
            format!(
                "{} attested, {} revoked, {}, {} reassigned, {}{} undecided",
                t.attested,
                t.revoked,
                count(t.exception, "exception"),
                t.reassigned,
                // Only once there is one: most campaigns rotate nothing.
                match t.rotate {
                    0 => String::new(),
                    n => format!("{n} to rotate, "),
                },
                t.undecided
            ),
        ),
        ("Reviewers", reviewers),
        ("Sign-off", signed),
        ("Closed", closed),
        ("Single-admin flags", single_admin_flags(ctx)),
        (
            "Remediation",
            format!(
                "{}: {} verified, {} pending, {} STILL EFFECTIVE",
                count(ev.remediation.total(), "revocation"),
                ev.remediation.verified,
                ev.remediation.pending,
                ev.remediation.still_effective
            ),
        ),
        (
            "Audit chain head",
            format!("{} ({} events)", ev.head_hash, ev.head_events),
        ),
    ])
}

/// The MSP-level view: the items per tenant and per organization.
fn tenants(ctx: &Context<'_>, r: &mut dyn Renderer) -> io::Result<()> {
    const COUNTS: [&str; 6] = [
        "Items",
        "Decided",
        "Revoked",
        "Exceptions",
        "Still effective",
        "Overdue",
    ];
    let counts = |s: &Summary| {
        [
            s.items,
            s.decided,
            s.revoked,
            s.exceptions,
            s.still_effective,
            s.overdue,
        ]
        .map(|n| n.to_string())
    };
    let alert = |s: &Summary| s.still_effective > 0 || s.overdue > 0;
    r.heading("Tenants and organizations")?;
    let c = ctx.campaign;
    r.paragraph(
        &format!(
            "Decided: a decision in force (attest, revoke, rotate, exception). Still effective: a \
             revocation a later snapshot still holds. Overdue: an item still waiting for a \
             decision (none yet, or reassigned) on the day of this report, after the due date \
             {}, in a part nobody has signed{}.",
            c.due,
            if groups::overdue(ctx) {
                ""
            } else {
                " (none is: the due date has not passed, or the campaign is no longer open)"
            }
        ),
        false,
    )?;
    let mut headers = vec!["Tenant"];
    headers.extend(COUNTS);
    r.table_start(&headers)?;
    for s in groups::by_tenant(ctx) {
        let mut cells = vec![opt(s.name.as_deref())];
        cells.extend(counts(&s));
        r.table_row(&cells, alert(&s))?;
    }
    r.table_end()?;
    let mut headers = vec!["Organization", "Tenants"];
    headers.extend(COUNTS);
    r.table_start(&headers)?;
    for s in groups::by_organization(ctx) {
        let name = s.name.clone().unwrap_or_else(|| "(none)".into());
        let mut cells = vec![name, s.tenants.join(", ")];
        cells.extend(counts(&s));
        r.table_row(&cells, alert(&s))?;
    }
    r.table_end()
}

fn single_admin_flags(ctx: &Context<'_>) -> String {
    let ev = ctx.evidence;
    let mut flags = vec![format!(
        "{} on the decider's own access",
        count(ev.self_review_decisions, "decision")
    )];
    for (signer, n) in ev.signers_who_reviewed() {
        flags.push(format!(
            "signer {signer} also made {}",
            count(n, "decision")
        ));
    }
    flags.join("; ")
}

fn signoff(ctx: &Context<'_>, r: &mut dyn Renderer) -> io::Result<()> {
    let ev = ctx.evidence;
    r.heading("Sign-off")?;
    if ev.signoffs.is_empty() {
        r.paragraph("Nobody has signed this campaign off yet.", true)?;
    }
    for s in &ev.signoffs {
        let mut text = format!(
            "Signed off by {} as {} on {} (event {}): \"{}\".",
            s.signer,
            match s.role {
                crate::rules::signoff::SignerRole::Owner => "the campaign owner".to_string(),
                crate::rules::signoff::SignerRole::Sponsor => {
                    format!("sponsor of {}", count(s.sponsored_items, "item"))
                }
            },
            s.at,
            s.seq,
            s.note
        );
        if s.undecided > 0 {
            text.push_str(&format!(
                " {} undecided at sign-off, acknowledged by the signer.",
                count(s.undecided, "item")
            ));
        }
        if !s.unsigned_parts.is_empty() {
            text.push_str(&format!(
                " {} unsigned by their sponsors ({}), acknowledged by the signer.",
                count(s.unsigned_parts.len() as u64, "part"),
                s.unsigned_parts.join(", ")
            ));
        }
        r.paragraph(&text, s.undecided > 0 || !s.unsigned_parts.is_empty())?;
    }
    if let Some(cl) = &ev.closure {
        let mut text = format!(
            "Closed by {} on {} (event {}) with close action {}: {} nobody decided, {} kept \
             and {} revoked.",
            cl.closed_by,
            cl.at,
            cl.seq,
            cl.on_close,
            count(cl.kept + cl.revoked, "item"),
            cl.kept,
            cl.revoked
        );
        if let Some(note) = &cl.note {
            text.push_str(&format!(" Note: \"{note}\"."));
        }
        r.paragraph(&text, false)?;
    }
    Ok(())
}

/// Each part by sponsor: items, decided, who signed it, when, the note.
fn parts(ctx: &Context<'_>, r: &mut dyn Renderer) -> io::Result<()> {
    let ev = ctx.evidence;
    r.heading("Parts by sponsor")?;
    r.paragraph(
        "A sponsor signs their own part, which then takes no more decisions; the items without a \
         sponsor are the owner's part, signed by the final sign-off.",
        false,
    )?;
    r.table_start(&[
        "Sponsor",
        "Items",
        "Decided",
        "Signed by",
        "When",
        "Note",
        "Event",
    ])?;
    for p in &ev.parts {
        let sponsor = if p.owners_part {
            format!("{} (owner)", p.sponsor)
        } else {
            p.sponsor.clone()
        };
        r.table_row(
            &[
                sponsor,
                p.items.to_string(),
                p.decided.to_string(),
                p.signer.clone().unwrap_or_else(|| "unsigned".into()),
                opt(p.signed_at.as_deref()),
                opt(p.note.as_deref()),
                p.event.map(|e| e.to_string()).unwrap_or_default(),
            ],
            !p.is_signed(),
        )?;
    }
    r.table_end()
}

/// Who acted and how recert knew them; decisions made for other reviewers.
fn who_acted(ctx: &Context<'_>, r: &mut dyn Renderer) -> io::Result<()> {
    let acting = &ctx.evidence.acting;
    r.heading("Who acted, and how they were established")?;
    if acting.any_asserted() {
        r.paragraph(
            "Identities were asserted, not authenticated: some actors below were taken as they \
             named themselves (--as, RECERT_REVIEWER or the config), which nothing checked.",
            true,
        )?;
    } else {
        r.paragraph(
            "Every actor was established by their OS account or the SSH key of their session.",
            false,
        )?;
    }
    r.table_start(&["Actor", "Established by", "Events"])?;
    for a in &acting.actors {
        let how = match a.established {
            "asserted" => "asserted (not authenticated)",
            "os_user" => "OS account",
            _ => "SSH key",
        };
        r.table_row(
            &[a.actor.clone(), how.to_string(), a.events.to_string()],
            a.established != "os_user" && a.established != "ssh_key",
        )?;
    }
    r.table_end()?;
    r.heading("Overrides and decisions on another's behalf")?;
    if acting.acted_for.is_empty() {
        r.paragraph("Every decision was made by the item's own reviewer.", false)?;
        return Ok(());
    }
    r.paragraph(
        &format!(
            "{} by the campaign owner, {} on a reviewer's behalf (a personal database), {} by \
             a delegate.",
            count(acting.count("override"), "override"),
            count(acting.count("on_behalf"), "decision"),
            count(acting.count("delegate"), "decision")
        ),
        acting.count("override") > 0,
    )?;
    r.table_start(&["Decided by", "For", "Decisions"])?;
    for a in &acting.acted_for {
        let capacity = match a.capacity {
            "override" => "override of",
            "on_behalf" => "on behalf of",
            _ => "delegate of",
        };
        r.table_row(
            &[
                a.actor.clone(),
                format!("{capacity} {}", a.of),
                a.decisions.to_string(),
            ],
            a.capacity == "override",
        )?;
    }
    r.table_end()?;
    if !acting.overrides.is_empty() {
        r.table_start(&[
            "Item", "Tenant", "Decision", "By", "Over", "When", "Note", "Event",
        ])?;
        for o in &acting.overrides {
            r.table_row(
                &[
                    o.item.to_string(),
                    o.tenant.clone(),
                    o.kind.clone(),
                    o.actor.clone(),
                    o.of.clone(),
                    o.at.clone(),
                    opt(o.note.as_deref()),
                    o.event.to_string(),
                ],
                true,
            )?;
        }
        r.table_end()?;
    }
    Ok(())
}

fn single_admin(store: &Store, ctx: &Context<'_>, r: &mut dyn Renderer) -> Result<(), Error> {
    let ev = ctx.evidence;
    r.heading("Single-admin and self-review")?;
    let mut facts = Vec::new();
    for (signer, n) in ev.signers_who_reviewed() {
        facts.push(format!(
            "{signer} signed this campaign off and also made {n} of its {} reviewed decisions: \
             the same person reviewed and attested.",
            ev.reviewed_decisions()
        ));
    }
    if ev.self_review_decisions > 0 {
        facts.push(format!(
            "{} on the decider's own access (self-review), listed below.",
            count(ev.self_review_decisions, "decision")
        ));
    }
    if facts.is_empty() {
        r.paragraph(
            "Nobody decided on their own access, and no signer reviewed items themselves.",
            false,
        )?;
        return Ok(());
    }
    r.bullets(&facts)?;
    if ev.self_review_decisions > 0 {
        decision_list(store, ctx, r, ReportRows::SelfReview)?;
    }
    Ok(())
}

fn reviewers(ctx: &Context<'_>, r: &mut dyn Renderer) -> io::Result<()> {
    let ev = ctx.evidence;
    r.heading("Reviewers: signals of rubber-stamping")?;
    if ev.reviewers.is_empty() {
        return r.paragraph("No reviewer has decided anything yet.", false);
    }
    r.paragraph(
        "Per reviewer, over their decisions in force: how long each item was on screen \
         before the decision (recorded by the console, not by scripts), and the share made \
         in bulk or against the recommendation.",
        false,
    )?;
    r.table_start(&[
        "Reviewer",
        "Decisions",
        "Median seconds on screen",
        "In bulk",
        "Against recommendation",
        "Self-review",
    ])?;
    for s in &ev.reviewers {
        let median = match s.median_seconds() {
            Some(m) => format!("{m:.1} ({} timed)", s.timed()),
            None => "not recorded".to_string(),
        };
        r.table_row(
            &[
                s.reviewer.clone(),
                s.decisions.to_string(),
                median,
                percent(s.share(s.bulk)),
                percent(s.share(s.against_recommendation)),
                s.self_review.to_string(),
            ],
            false,
        )?;
    }
    r.table_end()?;
    if ev.close_actions > 0 {
        r.paragraph(
            &format!(
                "{} nobody decided got the close action; they are not counted above.",
                count(ev.close_actions, "item")
            ),
            false,
        )?;
    }
    Ok(())
}

/// A table of the decisions in force that `rows` selects.
fn decision_list(
    store: &Store,
    ctx: &Context<'_>,
    r: &mut dyn Renderer,
    rows: ReportRows,
) -> Result<(), Error> {
    r.table_start(&[
        "#",
        "Tenant",
        "Identity",
        "System",
        "Entitlement",
        "Recommendation",
        "Decision",
        "Decided by",
        "Time",
        "Note",
    ])?;
    store.for_each_report_row(ctx.campaign.id, rows, |row| {
        let by = match row.close_action {
            Some(action) => format!("{} (close action {action})", opt(row.decided_by)),
            None => opt(row.decided_by),
        };
        r.table_row(
            &[
                row.id.to_string(),
                row.tenant.to_string(),
                identity(row),
                row.system.to_string(),
                row.entitlement.to_string(),
                row.recommendation.label().to_string(),
                decision_text(row),
                by,
                opt(row.decided_at),
                opt(row.note),
            ],
            false,
        )?;
        Ok(())
    })?;
    r.table_end()?;
    Ok(())
}
