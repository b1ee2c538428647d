//! The JSON report: the campaign summary, sign-offs, parts, who acted and
//! how each was established, overrides and decisions on another's behalf,
//! close, single-admin and self-review facts, per-reviewer signals, remediation and the chain
//! head first, then the items, streamed one per line. Valid JSON for any
//! input: every string goes through serde_json.

use super::groups::{self, Summary};
use super::{Context, Error, decision_text};
use crate::domain::Flag;
use crate::domain::decision::state_label;
use crate::domain::framework::control_ids;
use crate::domain::signals::ReviewerSignals;
use crate::store::{
    ActedFor, ActorVia, Assignment, CampaignSummary, Closure, EventSeq, ItemView, NotDoneItem,
    Override, Part, RemediationCounts, ReportRows, RotationCounts, RotationTask, SignOff,
    SnapshotId, Store,
};
use serde::Serialize;
use std::io::Write;

/// Names the shape, so that a consumer can tell versions apart.
pub const FORMAT: &str = "recert-report/1";

#[derive(Serialize)]
struct Header<'a> {
    format: &'static str,
    generated_at: &'a str,
    generated_by: &'a str,
    campaign: &'a CampaignSummary,
    chain: Chain,
    assignments: &'a [Assignment],
    reviewers: Vec<ReviewerOut<'a>>,
    signoffs: &'a [SignOff],
    /// The parts by sponsor and who signed each; added within
    /// recert-report/1, which only gained fields.
    parts: &'a [Part],
    /// How each actor was established, and decisions made for others
    /// (overrides, on a reviewer's behalf, as a delegate).
    acting: Acted<'a>,
    closed: Option<&'a Closure>,
    single_admin: SingleAdmin<'a>,
    against_recommendation: u64,
    close_actions: u64,
    remediation: RemediationCounts,
    /// Items an earlier campaign revoked that a later snapshot still held
    /// when this one was created (`revocation_not_done`), with the revoke,
    /// the snapshot, the reason and the outcome now; added within
    /// recert-report/1, which only gained a field.
    revocations_not_done: &'a [NotDoneItem],
    /// Rotations promised (`rotate --by`) and where each stands on the
    /// day of the report; absent while the campaign has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    rotations: Option<RotationsOut>,
    /// The items per tenant and per organization (see `report::groups`
    /// for what overdue means); added within recert-report/1.
    tenants: Vec<Summary>,
    organizations: Vec<Summary>,
}

#[derive(Serialize)]
struct RotationsOut {
    #[serde(flatten)]
    counts: RotationCounts,
    tasks: Vec<RotationTask>,
}

#[derive(Serialize)]
struct Acted<'a> {
    /// False when any actor was only asserted (taken as stated).
    identities_authenticated: bool,
    actors: &'a [ActorVia],
    overrides: u64,
    on_behalf: u64,
    delegated: u64,
    acted_for: &'a [ActedFor],
    /// The overrides one by one (the first 500).
    override_list: &'a [Override],
}

#[derive(Serialize)]
struct Chain {
    events: u64,
    head: String,
    verify_with: String,
}

#[derive(Serialize)]
struct SingleAdmin<'a> {
    /// Signers who also made decisions in force, with how many.
    signers_who_reviewed: Vec<SignerReviewed<'a>>,
    /// Decisions in force on the decider's own access.
    self_review_decisions: u64,
}

#[derive(Serialize)]
struct SignerReviewed<'a> {
    signer: &'a str,
    decisions: u64,
}

#[derive(Serialize)]
struct ReviewerOut<'a> {
    reviewer: &'a str,
    decisions: u64,
    timed_decisions: u64,
    median_seconds_on_screen: Option<f64>,
    bulk_share: f64,
    against_recommendation_share: f64,
    self_review: u64,
}

impl<'a> ReviewerOut<'a> {
    fn of(s: &'a ReviewerSignals) -> Self {
        let round = |share: f64| (share * 1000.0).round() / 1000.0;
        ReviewerOut {
            reviewer: &s.reviewer,
            decisions: s.decisions,
            timed_decisions: s.timed(),
            median_seconds_on_screen: s.median_seconds(),
            bulk_share: round(s.share(s.bulk)),
            against_recommendation_share: round(s.share(s.against_recommendation)),
            self_review: s.self_review,
        }
    }
}

#[derive(Serialize)]
struct ItemOut<'a> {
    item: i64,
    rank: i64,
    risk_score: i64,
    tenant: &'a str,
    identity_id: &'a str,
    identity_name: &'a str,
    kind: &'a str,
    relationship: &'a str,
    organization: Option<&'a str>,
    system: &'a str,
    environment: Option<&'a str>,
    entitlement: &'a str,
    privileged: bool,
    flags: Vec<&'static str>,
    /// The framework controls the flags evidence, as `recert items --json`
    /// lists them; added within recert-report/1, which only gained a field.
    controls: Vec<&'static str>,
    /// How the decider was established (asserted, os_user, ssh_key).
    decided_via: &'static str,
    /// `override of X`, `on behalf of X` or `delegate of X`.
    acting_for: Option<String>,
    /// The item's part: its sponsor (the owner's part when none).
    part: Option<String>,
    recommendation: &'static str,
    state: &'static str,
    decision: String,
    reviewer: &'a str,
    decided_by: Option<&'a str>,
    decided_at: Option<&'a str>,
    note: Option<&'a str>,
    exception_until: Option<&'a str>,
    /// A rotate's last day; added within recert-report/1.
    rotate_by: Option<&'a str>,
    ticket: Option<&'a str>,
    self_review: bool,
    reviewed_by_signer: bool,
    against_recommendation: bool,
    bulk: bool,
    seconds_on_screen: Option<f64>,
    close_action: Option<&'a str>,
    remediation: Option<&'static str>,
    remediation_snapshot: Option<SnapshotId>,
    event: Option<EventSeq>,
    event_hash: Option<&'a str>,
    // Added within recert-report/1, which only gained fields: the evidence
    // the detail pane shows beside the flags.
    /// Each flag with its reason and the controls it evidences, in the
    /// order of `flags`.
    findings: Vec<FindingOut>,
    sponsor: Option<&'a str>,
    business_owner: Option<&'a str>,
    technical_owner: Option<&'a str>,
    granted_at: Option<&'a str>,
    expires_at: Option<&'a str>,
    last_used_at: Option<&'a str>,
    credential_rotated_at: Option<&'a str>,
    /// The partner tier (identity register) and what the entitlement
    /// catalog said of the entitlement when the item was made, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog_sensitivity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog_description: Option<&'a str>,
}

#[derive(Serialize)]
struct FindingOut {
    flag: String,
    reason: String,
    controls: Vec<&'static str>,
}

fn findings(ctx: &Context<'_>, row: &ItemView<'_>) -> Vec<FindingOut> {
    ctx.findings(row)
        .into_iter()
        .map(|f| {
            let controls = Flag::from_name(&f.flag)
                .map(|flag| control_ids(std::iter::once(flag).collect()))
                .unwrap_or_default();
            FindingOut {
                flag: f.flag,
                reason: f.reason,
                controls,
            }
        })
        .collect()
}

fn item<'a>(ctx: &Context<'_>, row: &ItemView<'a>) -> ItemOut<'a> {
    ItemOut {
        item: row.id.0,
        rank: row.rank + 1,
        risk_score: row.score,
        tenant: row.tenant,
        identity_id: row.identity_id,
        identity_name: row.identity_name,
        kind: row.kind,
        relationship: row.relationship,
        organization: row.organization,
        system: row.system,
        environment: row.environment,
        entitlement: row.entitlement,
        privileged: row.privileged,
        flags: row.flags.names(),
        controls: control_ids(row.flags),
        decided_via: super::established_method(row.decided_via, row.decided_event.is_some()),
        acting_for: row
            .acting_for
            .as_ref()
            .map(|(capacity, of)| format!("{} {of}", capacity.words())),
        part: ctx.part_of(row.sponsor).map(|p| p.sponsor.clone()),
        recommendation: row.recommendation.as_str(),
        state: state_label(row.decision),
        decision: decision_text(row),
        reviewer: row.assignee,
        decided_by: row.decided_by,
        decided_at: row.decided_at,
        note: row.note,
        exception_until: row.exception_until,
        rotate_by: row.rotate_by,
        ticket: row.ticket,
        self_review: row.self_review,
        reviewed_by_signer: ctx.reviewed_by_signer(row),
        against_recommendation: row.against_recommendation,
        bulk: row.bulk,
        seconds_on_screen: row.seconds_on_screen,
        close_action: row.close_action,
        remediation: row.remediation.map(|s| s.as_str()),
        remediation_snapshot: row.remediation_snapshot,
        event: row.decided_event,
        event_hash: row.decided_hash,
        findings: findings(ctx, row),
        sponsor: row.sponsor,
        business_owner: row.evidence.business_owner,
        technical_owner: row.evidence.technical_owner,
        granted_at: row.evidence.granted_at,
        expires_at: row.evidence.expires_at,
        last_used_at: row.evidence.last_used_at,
        credential_rotated_at: row.evidence.credential_rotated_at,
        tier: row.tier,
        catalog_sensitivity: row.sensitivity,
        catalog_description: row.description,
    }
}

fn rotations(store: &Store, ctx: &Context<'_>) -> Result<Option<RotationsOut>, Error> {
    let counts = store.rotation_counts(ctx.campaign.id, ctx.today())?;
    if counts.total() == 0 {
        return Ok(None);
    }
    let mut tasks = Vec::new();
    store.for_each_rotation_task(ctx.campaign.id, None, ctx.today(), |task| {
        tasks.push(task.clone());
        Ok(())
    })?;
    Ok(Some(RotationsOut { counts, tasks }))
}

/// Writes the report; returns how many items it holds.
pub fn write(store: &Store, ctx: &Context<'_>, out: &mut dyn Write) -> Result<u64, Error> {
    let ev = ctx.evidence;
    let header = Header {
        format: FORMAT,
        generated_at: &ctx.generated.at,
        generated_by: &ctx.generated.by,
        campaign: ctx.campaign,
        chain: Chain {
            events: ev.head_events,
            head: ev.head_hash.clone(),
            verify_with: ctx.verify_command(),
        },
        assignments: &ev.assignments,
        reviewers: ev.reviewers.iter().map(ReviewerOut::of).collect(),
        signoffs: &ev.signoffs,
        parts: &ev.parts,
        acting: Acted {
            identities_authenticated: !ev.acting.any_asserted(),
            actors: &ev.acting.actors,
            overrides: ev.acting.count("override"),
            on_behalf: ev.acting.count("on_behalf"),
            delegated: ev.acting.count("delegate"),
            acted_for: &ev.acting.acted_for,
            override_list: &ev.acting.overrides,
        },
        closed: ev.closure.as_ref(),
        single_admin: SingleAdmin {
            signers_who_reviewed: ev
                .signers_who_reviewed()
                .into_iter()
                .map(|(signer, decisions)| SignerReviewed { signer, decisions })
                .collect(),
            self_review_decisions: ev.self_review_decisions,
        },
        against_recommendation: ev.against_recommendation,
        close_actions: ev.close_actions,
        remediation: ev.remediation,
        rotations: rotations(store, ctx)?,
        revocations_not_done: &ev.revocations_not_done,
        tenants: groups::by_tenant(ctx),
        organizations: groups::by_organization(ctx),
    };
    // The header is an object; the items go in as its last member, so the
    // closing brace is held back while they stream.
    let header = serde_json::to_string_pretty(&header)?;
    let open = header
        .strip_suffix("\n}")
        .ok_or("the report header is not a JSON object")?;
    write!(out, "{open},\n  \"items\": [")?;
    let mut count = 0u64;
    store.for_each_report_row(ctx.campaign.id, ReportRows::All, |row| {
        out.write_all(if count == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, &item(ctx, row))?;
        count += 1;
        Ok(())
    })?;
    writeln!(out, "{}]\n}}", if count == 0 { "" } else { "\n  " })?;
    Ok(count)
}
