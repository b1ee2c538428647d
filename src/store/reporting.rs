//! What reports read: every item with its decision in force and the facts
//! an auditor checks beside it (self-review, bulk, time on screen, against
//! the recommendation, close action, remediation, the deciding event and
//! its hash), streamed in risk order; and the campaign-level evidence
//! (sign-offs, close, per-reviewer signals, chain head) gathered once.

use super::events::DecisionBody;
use super::lifecycle::{Closure, SignOff};
use super::remediation::RemediationCounts;
use super::{CampaignId, Result, Store, StoreError};
use crate::domain::signals::ReviewerSignals;
use crate::domain::{DecisionKind, FlagSet, Recommendation, RemediationStatus};
use rusqlite::Row;
use serde::Serialize;
use std::collections::HashMap;

/// One item as every report format shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRow {
    pub item: i64,
    pub rank: i64,
    pub risk_score: i64,
    pub tenant: String,
    pub identity_id: String,
    pub identity_name: String,
    pub kind: String,
    pub relationship: String,
    pub organization: Option<String>,
    pub system: String,
    pub environment: Option<String>,
    pub entitlement: String,
    pub privileged: bool,
    pub flags: FlagSet,
    pub recommendation: Recommendation,
    /// Who the item waits for, or who held it when it was decided.
    pub reviewer: String,
    pub decision: Option<DecisionKind>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub note: Option<String>,
    pub exception_until: Option<String>,
    pub ticket: Option<String>,
    /// The decider decided on their own access.
    pub self_review: bool,
    pub bulk: bool,
    pub against_recommendation: bool,
    pub seconds_on_screen: Option<f64>,
    /// Set when the decision is the campaign's close action, not a review.
    pub close_action: Option<String>,
    pub decided_event: Option<i64>,
    pub decided_hash: Option<String>,
    pub remediation: Option<RemediationStatus>,
    pub remediation_snapshot: Option<i64>,
}

/// Which rows a pass over the report reads; fixed SQL conditions only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportRows {
    All,
    AgainstRecommendation,
    SelfReview,
    StillEffective,
}

impl ReportRows {
    fn condition(self) -> &'static str {
        match self {
            ReportRows::All => "",
            ReportRows::AgainstRecommendation => {
                " AND json_extract(d.body, '$.against_recommendation') = 1"
            }
            ReportRows::SelfReview => " AND json_extract(d.body, '$.self_review') = 1",
            ReportRows::StillEffective => " AND r.status = 'still_effective'",
        }
    }
}

const REPORT_SELECT: &str = "SELECT i.id, i.risk_rank, i.risk_score, i.tenant, i.identity_id,
        i.identity_name, i.identity_kind, i.relationship, i.organization, i.system,
        i.environment, i.entitlement_name, i.privileged, coalesce(s.assignee, i.reviewer),
        i.flags, i.recommendation, s.decision, d.actor, d.at, d.note, s.exception_until,
        d.body, d.seq, d.hash, r.status, r.snapshot
    FROM item i
    LEFT JOIN item_state s ON s.item = i.id
    LEFT JOIN event d ON d.seq = s.decided_event
    LEFT JOIN remediation r ON r.decision_event = s.decided_event
    WHERE i.campaign = ?1";

fn read_row(r: &Row<'_>) -> rusqlite::Result<ReportRow> {
    let body: Option<String> = r.get(21)?;
    let body: DecisionBody = body
        .and_then(|b| serde_json::from_str(&b).ok())
        .unwrap_or_default();
    let decision: Option<DecisionKind> =
        r.get::<_, Option<String>>(16)?.and_then(|d| d.parse().ok());
    let remediation = match r.get::<_, Option<String>>(24)?.as_deref() {
        Some("verified") => Some(RemediationStatus::Verified),
        Some("still_effective") => Some(RemediationStatus::StillEffective),
        _ if decision == Some(DecisionKind::Revoke) => Some(RemediationStatus::Pending),
        _ => None,
    };
    Ok(ReportRow {
        item: r.get(0)?,
        rank: r.get(1)?,
        risk_score: r.get(2)?,
        tenant: r.get(3)?,
        identity_id: r.get(4)?,
        identity_name: r.get(5)?,
        kind: r.get(6)?,
        relationship: r.get(7)?,
        organization: r.get(8)?,
        system: r.get(9)?,
        environment: r.get(10)?,
        entitlement: r.get(11)?,
        privileged: r.get(12)?,
        reviewer: r.get(13)?,
        flags: FlagSet::from_bits(r.get::<_, i64>(14)? as u32),
        recommendation: r
            .get::<_, String>(15)?
            .parse()
            .unwrap_or(Recommendation::ReviewWithCare),
        decision,
        decided_by: r.get(17)?,
        decided_at: r.get(18)?,
        note: r.get(19)?,
        exception_until: r.get(20)?,
        ticket: body.ticket,
        self_review: body.self_review,
        bulk: body.bulk,
        against_recommendation: body.against_recommendation,
        seconds_on_screen: body.seconds_on_screen,
        close_action: body.close_action,
        decided_event: r.get(22)?,
        decided_hash: r.get(23)?,
        remediation,
        remediation_snapshot: r.get(25)?,
    })
}

/// Who was asked to review how many items, and how many they finished.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub reviewer: String,
    pub items: u64,
    pub decided: u64,
}

/// Everything about a campaign that a report states once.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignEvidence {
    pub signoffs: Vec<SignOff>,
    pub closure: Option<Closure>,
    /// Who was asked to review, by items assigned.
    pub assignments: Vec<Assignment>,
    /// Rubber-stamping signals per person over their decisions in force;
    /// close actions are not a review and are left out.
    pub reviewers: Vec<ReviewerSignals>,
    /// Decisions in force that the campaign's close action made.
    pub close_actions: u64,
    /// Decisions in force on the decider's own access (close actions included).
    pub self_review_decisions: u64,
    /// Decisions in force that kept what the insights said to revoke.
    pub against_recommendation: u64,
    pub remediation: RemediationCounts,
    /// The audit chain's head when the report was read: (events, hash).
    pub head_events: u64,
    pub head_hash: String,
}

impl CampaignEvidence {
    /// Whether `actor` signed the campaign off; a decision by a signer is
    /// one the same person both made and attested.
    pub fn is_signer(&self, actor: &str) -> bool {
        self.signoffs
            .iter()
            .any(|s| s.signer.eq_ignore_ascii_case(actor))
    }

    /// Signers who also made decisions in force, with how many.
    pub fn signers_who_reviewed(&self) -> Vec<(&str, u64)> {
        self.signoffs
            .iter()
            .filter_map(|s| {
                let n: u64 = self
                    .reviewers
                    .iter()
                    .filter(|r| r.reviewer.eq_ignore_ascii_case(&s.signer))
                    .map(|r| r.decisions)
                    .sum();
                (n > 0).then_some((s.signer.as_str(), n))
            })
            .collect()
    }

    /// Decisions in force made by reviewers (close actions excluded).
    pub fn reviewed_decisions(&self) -> u64 {
        self.reviewers.iter().map(|r| r.decisions).sum()
    }
}

impl Store {
    /// Runs `work` inside one read transaction, so that everything it reads
    /// (the chain head included) is one consistent moment even while
    /// reviewers keep deciding in other terminals.
    pub fn read_consistent<T, E: From<StoreError>>(
        &self,
        work: impl FnOnce(&Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(StoreError::from)?;
        let value = work(self)?;
        drop(tx);
        Ok(value)
    }

    /// Walks the campaign's report rows in risk order without holding them.
    pub fn for_each_report_row(
        &self,
        campaign: CampaignId,
        rows: ReportRows,
        mut visit: impl FnMut(&ReportRow) -> std::result::Result<(), Box<dyn std::error::Error>>,
    ) -> Result<()> {
        let sql = format!("{REPORT_SELECT}{} ORDER BY i.risk_rank", rows.condition());
        let mut stmt = self.conn.prepare(&sql)?;
        let mut cursor = stmt.query([campaign])?;
        while let Some(row) = cursor.next()? {
            let row = read_row(row)?;
            visit(&row).map_err(|e| StoreError::Invalid(e.to_string()))?;
        }
        Ok(())
    }

    /// The campaign-level facts a report states, read in one pass over the
    /// decisions in force (memory bounded by reviewers, not items).
    pub fn campaign_evidence(&self, campaign: CampaignId) -> Result<CampaignEvidence> {
        let mut by_reviewer: HashMap<String, ReviewerSignals> = HashMap::new();
        let (mut close_actions, mut self_review, mut against) = (0u64, 0u64, 0u64);
        let mut stmt = self.conn.prepare(
            "SELECT d.actor, d.body FROM item_state s JOIN event d ON d.seq = s.decided_event
             WHERE s.campaign = ?1 AND s.decision IN ('attest', 'revoke', 'exception')",
        )?;
        let mut rows = stmt.query([campaign])?;
        while let Some(row) = rows.next()? {
            let actor: String = row.get(0)?;
            let body: String = row.get(1)?;
            let body: DecisionBody = serde_json::from_str(&body).unwrap_or_default();
            self_review += u64::from(body.self_review);
            against += u64::from(body.against_recommendation);
            if body.close_action.is_some() {
                close_actions += 1;
                continue;
            }
            by_reviewer
                .entry(actor.to_lowercase())
                .or_insert_with(|| ReviewerSignals::new(actor.clone()))
                .add(
                    body.bulk,
                    body.against_recommendation,
                    body.self_review,
                    body.seconds_on_screen,
                );
        }
        drop(rows);
        drop(stmt);
        let mut reviewers: Vec<ReviewerSignals> = by_reviewer.into_values().collect();
        reviewers.sort_by(|a, b| {
            b.decisions
                .cmp(&a.decisions)
                .then_with(|| a.reviewer.cmp(&b.reviewer))
        });

        let mut stmt = self.conn.prepare(
            "SELECT coalesce(s.assignee, i.reviewer) AS who, count(*),
                    count(CASE WHEN s.decision IN ('attest', 'revoke', 'exception') THEN 1 END)
             FROM item i LEFT JOIN item_state s ON s.item = i.id
             WHERE i.campaign = ?1
             GROUP BY who ORDER BY count(*) DESC, who",
        )?;
        let assignments = stmt
            .query_map([campaign], |r| {
                Ok(Assignment {
                    reviewer: r.get(0)?,
                    items: r.get::<_, i64>(1)?.max(0) as u64,
                    decided: r.get::<_, i64>(2)?.max(0) as u64,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let (head_events, head_hash) = self.chain_head()?;
        Ok(CampaignEvidence {
            signoffs: self.signoffs(campaign)?,
            closure: self.closure(campaign)?,
            assignments,
            reviewers,
            close_actions,
            self_review_decisions: self_review,
            against_recommendation: against,
            remediation: self.remediation_counts(campaign)?,
            head_events,
            head_hash,
        })
    }
}
