//! What reports read once per campaign: the evidence they state beside the
//! items (sign-offs, close, per-reviewer signals, assignments, remediation
//! counts, the chain head), all of it inside one read transaction
//! ([`Store::read_consistent`]) so that it and the rows describe one moment.
//! The rows themselves come from `report_rows.rs`.

use super::campaigns::item_range;
use super::events::DecisionBody;
use super::lifecycle::{Closure, SignOff};
use super::remediation::RemediationCounts;
use super::{CampaignId, Result, Store, StoreError};
use crate::domain::people::{person_key, same_person};
use crate::domain::signals::ReviewerSignals;
use serde::Serialize;
use std::collections::HashMap;

/// In what capacity a decision was made for another reviewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    Override,
    OnBehalf,
    Delegate,
}

impl Capacity {
    /// How reports word it before the reviewer's name.
    pub fn words(self) -> &'static str {
        match self {
            Capacity::Override => "override of",
            Capacity::OnBehalf => "on behalf of",
            Capacity::Delegate => "delegate of",
        }
    }
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
    pub(super) fn condition(self) -> &'static str {
        match self {
            ReportRows::All => "",
            ReportRows::AgainstRecommendation => {
                " AND json_extract(d.body, '$.against_recommendation') = 1"
            }
            ReportRows::SelfReview => " AND json_extract(d.body, '$.self_review') = 1",
            ReportRows::StillEffective => " AND rem.status = 'still_effective'",
        }
    }
}

/// How much campaign-level evidence to gather.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Sign-offs, close, remediation counts and the chain head.
    Brief,
    /// Also assignments and per-reviewer signals.
    Full,
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
    /// The campaign's parts by sponsor and who signed each.
    pub parts: Vec<super::Part>,
    /// Who acted, how each was established, and what they decided for
    /// other reviewers.
    pub acting: super::ActingEvidence,
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
    /// Items flagged `revocation_not_done`, with the earlier revoke each
    /// carries and its outcome now.
    pub revocations_not_done: Vec<super::NotDoneItem>,
    /// The items per (tenant, organization), for the MSP-level summaries
    /// ([`Detail::Full`] only).
    pub groups: Vec<super::GroupTally>,
    /// The audit chain's head when the report was read: (events, hash).
    pub head_events: u64,
    pub head_hash: String,
}

impl CampaignEvidence {
    /// Whether `actor` signed the campaign off; a decision by a signer is
    /// one the same person both made and attested.
    pub fn is_signer(&self, actor: &str) -> bool {
        self.signoffs.iter().any(|s| same_person(&s.signer, actor))
    }

    /// Signers who also made decisions in force, with how many.
    pub fn signers_who_reviewed(&self) -> Vec<(&str, u64)> {
        self.signoffs
            .iter()
            .filter_map(|s| {
                let n: u64 = self
                    .reviewers
                    .iter()
                    .filter(|r| same_person(&r.reviewer, &s.signer))
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

    /// The campaign-level facts a report states. `Detail::Full` adds the
    /// per-reviewer signals and assignments, a pass over the decisions in
    /// force and one over the items (memory bounded by reviewers, not
    /// items); `Detail::Brief` leaves them empty and their counts zero.
    pub fn campaign_evidence(
        &self,
        campaign: CampaignId,
        detail: Detail,
    ) -> Result<CampaignEvidence> {
        let (head_events, head_hash) = self.chain_head()?;
        let mut evidence = CampaignEvidence {
            signoffs: self.signoffs(campaign)?,
            parts: self.parts(campaign)?,
            acting: self.acting_evidence(campaign)?,
            closure: self.closure(campaign)?,
            assignments: Vec::new(),
            reviewers: Vec::new(),
            close_actions: 0,
            self_review_decisions: 0,
            against_recommendation: 0,
            remediation: self.remediation_counts(campaign)?,
            revocations_not_done: self.revocations_not_done(campaign)?,
            groups: Vec::new(),
            head_events,
            head_hash,
        };
        if detail == Detail::Full {
            self.add_review_signals(campaign, &mut evidence)?;
            evidence.groups = self.group_tallies(campaign)?;
        }
        Ok(evidence)
    }

    fn add_review_signals(
        &self,
        campaign: CampaignId,
        evidence: &mut CampaignEvidence,
    ) -> Result<()> {
        let mut by_reviewer: HashMap<String, ReviewerSignals> = HashMap::new();
        let (mut close_actions, mut self_review, mut against) = (0u64, 0u64, 0u64);
        let mut stmt = self.conn.prepare(
            "SELECT d.actor, d.body FROM item_state s JOIN event d ON d.seq = s.decided_event
             WHERE s.campaign = ?1 AND s.decision IN ('attest', 'revoke', 'exception', 'rotate')",
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
                .entry(person_key(&actor).into_owned())
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

        let (first, last) = item_range(&self.conn, campaign)?;
        let mut stmt = self.conn.prepare(
            "SELECT coalesce(s.assignee, i.reviewer) AS who, count(*),
                    count(CASE WHEN s.decision IN ('attest', 'revoke', 'exception', 'rotate') THEN 1 END)
             FROM item i LEFT JOIN item_state s ON s.item = i.id
             WHERE i.id BETWEEN ?1 AND ?2
             GROUP BY who ORDER BY count(*) DESC, who",
        )?;
        let assignments = stmt
            .query_map([first, last], |r| {
                Ok(Assignment {
                    reviewer: r.get(0)?,
                    items: r.get::<_, i64>(1)?.max(0) as u64,
                    decided: r.get::<_, i64>(2)?.max(0) as u64,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        evidence.assignments = assignments;
        evidence.reviewers = reviewers;
        evidence.close_actions = close_actions;
        evidence.self_review_decisions = self_review;
        evidence.against_recommendation = against;
        Ok(())
    }
}
