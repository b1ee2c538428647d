//! What reports read: every item with its decision in force and the facts
//! an auditor checks beside it (self-review, bulk, time on screen, against
//! the recommendation, close action, remediation, the deciding event and
//! its hash), streamed in risk order; and the campaign-level evidence
//! (sign-offs, close, per-reviewer signals, chain head) gathered once.

use super::bodies::{BodyFacts, BodyMemo};
use super::campaigns::item_range;
use super::events::DecisionBody;
use super::items::ITEM_JOINS;
use super::lifecycle::{Closure, SignOff};
use super::register::{EFFECTIVE_ORGANIZATION, EFFECTIVE_RELATIONSHIP};
use super::remediation::RemediationCounts;
use super::versions::Versions;
use super::{CampaignId, Result, Store, StoreError};
use crate::domain::people::{person_key, same_person};
use crate::domain::signals::ReviewerSignals;
use crate::domain::{DecisionKind, FlagSet, Recommendation, RemediationStatus};
use rusqlite::Row;
use rusqlite::types::ValueRef;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// One item as every report format shows it.
#[derive(Clone, Debug, Default, PartialEq)]
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
    /// How the decider was established, as events store it.
    pub decided_via: Option<String>,
    /// The decision was made for another reviewer: in what capacity, whose.
    pub acting_for: Option<(Capacity, String)>,
    /// The identity's sponsor, whose part the item is in (the owner's when
    /// none).
    pub sponsor: Option<String>,
}

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

/// How a report reads each item's identity and grant versions.
#[derive(Clone, Copy)]
pub(super) enum VersionLookup<'v> {
    /// Joined in the query, item by item.
    Joined,
    /// Looked up in versions read beforehand.
    Loaded(&'v Versions),
}

impl<'v> VersionLookup<'v> {
    /// Looked up in `versions` when they were loaded, else joined.
    pub(super) fn of(versions: Option<&'v Versions>) -> Self {
        versions.map_or(VersionLookup::Joined, VersionLookup::Loaded)
    }
}

/// What every report row reads besides the versions, columns 0 to 15.
const DECISION_COLUMNS: &str = "i.id, i.risk_rank, i.risk_score,
    coalesce(s.assignee, i.reviewer), i.flags, i.recommendation, s.decision, d.actor, d.at,
    d.note, s.exception_until, d.body, d.seq, d.hash, rem.status, rem.snapshot";
const DECISION_JOINS: &str = "
    LEFT JOIN event d ON d.seq = s.decided_event
    LEFT JOIN remediation rem ON rem.decision_event = s.decided_event";

/// A campaign's items (its id range, in queue order) with their frozen
/// versions, decision in force and remediation outcome.
pub(super) fn report_select(lookup: VersionLookup<'_>) -> String {
    match lookup {
        VersionLookup::Joined => format!(
            "SELECT {DECISION_COLUMNS}, idn.tenant, idn.identity_id, idn.name, idn.kind,
                {EFFECTIVE_RELATIONSHIP}, {EFFECTIVE_ORGANIZATION}, e.system, e.environment,
                e.name, e.privileged, d.actor_via, coalesce(idn.sponsor, r.sponsor)
            FROM item i{ITEM_JOINS}{DECISION_JOINS}
            WHERE i.id BETWEEN ?1 AND ?2"
        ),
        VersionLookup::Loaded(_) => format!(
            "SELECT {DECISION_COLUMNS}, i.identity, i.entitlement, r.relationship,
                r.organization, d.actor_via, r.sponsor
            FROM item i
            LEFT JOIN register_entry r ON r.id = i.register
            LEFT JOIN item_state s ON s.item = i.id{DECISION_JOINS}
            WHERE i.id BETWEEN ?1 AND ?2"
        ),
    }
}

/// One report row as read, borrowing its text from the SQLite row: what a
/// renderer that writes each row out at once needs, without copying a
/// million rows' thirty fields into owned strings first. [`ReportRow`] is
/// the owned copy, for formats that keep rows or reorder them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportCells<'r> {
    pub item: i64,
    pub rank: i64,
    pub risk_score: i64,
    pub tenant: &'r str,
    pub identity_id: &'r str,
    pub identity_name: &'r str,
    pub kind: &'r str,
    pub relationship: &'r str,
    pub organization: Option<&'r str>,
    pub system: &'r str,
    pub environment: Option<&'r str>,
    pub entitlement: &'r str,
    pub privileged: bool,
    pub flags: FlagSet,
    pub recommendation: Recommendation,
    pub reviewer: &'r str,
    pub decision: Option<DecisionKind>,
    pub decided_by: Option<&'r str>,
    pub decided_at: Option<&'r str>,
    pub note: Option<&'r str>,
    pub exception_until: Option<&'r str>,
    /// Borrowed from the decision body unless JSON escapes had to be undone.
    pub ticket: Option<Cow<'r, str>>,
    pub self_review: bool,
    pub bulk: bool,
    pub against_recommendation: bool,
    pub seconds_on_screen: Option<f64>,
    pub close_action: Option<Cow<'r, str>>,
    pub decided_event: Option<i64>,
    pub decided_hash: Option<&'r str>,
    pub remediation: Option<RemediationStatus>,
    pub remediation_snapshot: Option<i64>,
    pub decided_via: Option<&'r str>,
    pub acting_for: Option<(Capacity, Cow<'r, str>)>,
    pub sponsor: Option<&'r str>,
}

pub(super) fn text<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(Into::into)
}

/// A text column's bytes, its UTF-8 unchecked: for readers that check it
/// once per distinct value. Anything but text is an error, as for [`text`].
pub(super) fn bytes<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r [u8]> {
    opt_bytes(r, i)?.ok_or(rusqlite::Error::InvalidColumnType(
        i,
        String::new(),
        rusqlite::types::Type::Null,
    ))
}

pub(super) fn opt_bytes<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<Option<&'r [u8]>> {
    match r.get_ref(i)? {
        ValueRef::Text(bytes) => Ok(Some(bytes)),
        ValueRef::Null => Ok(None),
        other => Err(rusqlite::Error::InvalidColumnType(
            i,
            String::new(),
            other.data_type(),
        )),
    }
}

pub(super) fn opt_text<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    r.get_ref(i)?.as_str_or_null().map_err(Into::into)
}

/// Reads one row of [`report_select`]; `None` for an item whose versions
/// are missing, which the joined query would not have returned either.
/// `bodies` remembers the decision bodies read so far.
pub(super) fn read_cells<'r>(
    r: &'r Row<'_>,
    lookup: VersionLookup<'r>,
    bodies: &'r mut BodyMemo,
) -> rusqlite::Result<Option<ReportCells<'r>>> {
    // The versions first: their rows are cache misses (items are in risk
    // order, versions in import order), which the core can wait on while
    // it reads the other columns. A tenth of the report's CPU at 1M.
    let versions = match lookup {
        VersionLookup::Joined => None,
        VersionLookup::Loaded(versions) => {
            let (Some(identity), Some(grant)) =
                (versions.identity(r.get(16)?), versions.grant(r.get(17)?))
            else {
                return Ok(None);
            };
            Some((identity, grant))
        }
    };
    let body = match r.get_ref(11)?.as_bytes_or_null()? {
        Some(bytes) => bodies
            .facts(bytes)
            .map_err(|e| rusqlite::Error::Utf8Error(11, e))?,
        None => BodyFacts::default(),
    };
    let decision = opt_text(r, 6)?.and_then(|d| d.parse().ok());
    let remediation = match opt_text(r, 14)? {
        Some("verified") => Some(RemediationStatus::Verified),
        Some("still_effective") => Some(RemediationStatus::StillEffective),
        _ if decision == Some(DecisionKind::Revoke) => Some(RemediationStatus::Pending),
        _ => None,
    };
    let mut cells = ReportCells {
        item: r.get(0)?,
        rank: r.get(1)?,
        risk_score: r.get(2)?,
        reviewer: text(r, 3)?,
        flags: FlagSet::from_bits(r.get::<_, i64>(4)? as u32),
        recommendation: text(r, 5)?
            .parse()
            .unwrap_or(Recommendation::ReviewWithCare),
        decision,
        decided_by: opt_text(r, 7)?,
        decided_at: opt_text(r, 8)?,
        note: opt_text(r, 9)?,
        exception_until: opt_text(r, 10)?,
        ticket: body.ticket,
        self_review: body.self_review,
        bulk: body.bulk,
        against_recommendation: body.against_recommendation,
        seconds_on_screen: body.seconds_on_screen,
        close_action: body.close_action,
        decided_event: r.get(12)?,
        decided_hash: opt_text(r, 13)?,
        remediation,
        remediation_snapshot: r.get(15)?,
        acting_for: match (body.override_of, body.on_behalf_of, body.delegate_for) {
            (Some(of), _, _) => Some((Capacity::Override, of)),
            (_, Some(of), _) => Some((Capacity::OnBehalf, of)),
            (_, _, Some(of)) => Some((Capacity::Delegate, of)),
            _ => None,
        },
        ..ReportCells::default()
    };
    match versions {
        None => {
            cells.tenant = text(r, 16)?;
            cells.identity_id = text(r, 17)?;
            cells.identity_name = text(r, 18)?;
            cells.kind = text(r, 19)?;
            cells.relationship = text(r, 20)?;
            cells.organization = opt_text(r, 21)?;
            cells.system = text(r, 22)?;
            cells.environment = opt_text(r, 23)?;
            cells.entitlement = text(r, 24)?;
            cells.privileged = r.get(25)?;
            cells.decided_via = opt_text(r, 26)?;
            cells.sponsor = opt_text(r, 27)?;
        }
        Some((identity, grant)) => {
            let (register_relationship, register_organization) =
                (opt_text(r, 18)?, opt_text(r, 19)?);
            cells.tenant = identity.tenant;
            cells.identity_id = identity.identity_id;
            cells.identity_name = identity.name;
            cells.kind = identity.kind;
            // As EFFECTIVE_RELATIONSHIP and EFFECTIVE_ORGANIZATION say.
            cells.relationship = match register_relationship {
                Some(relationship) if identity.relationship == "unknown" => relationship,
                _ => identity.relationship,
            };
            cells.organization = identity.organization.or(register_organization);
            cells.system = grant.system;
            cells.environment = grant.environment;
            cells.entitlement = grant.name;
            cells.privileged = grant.privileged;
            cells.decided_via = opt_text(r, 20)?;
            cells.sponsor = identity.sponsor.or(opt_text(r, 21)?);
        }
    }
    Ok(Some(cells))
}

fn set(field: &mut String, value: &str) {
    field.clear();
    field.push_str(value);
}

fn set_opt(field: &mut Option<String>, value: Option<&str>) {
    match (field.as_mut(), value) {
        (Some(f), Some(v)) => set(f, v),
        (_, v) => *field = v.map(str::to_string),
    }
}

impl ReportCells<'_> {
    /// Copies the row into `row`, reusing its buffers: the owned path
    /// allocates per changed field, not per field.
    pub fn fill(&self, row: &mut ReportRow) {
        row.item = self.item;
        row.rank = self.rank;
        row.risk_score = self.risk_score;
        set(&mut row.tenant, self.tenant);
        set(&mut row.identity_id, self.identity_id);
        set(&mut row.identity_name, self.identity_name);
        set(&mut row.kind, self.kind);
        set(&mut row.relationship, self.relationship);
        set_opt(&mut row.organization, self.organization);
        set(&mut row.system, self.system);
        set_opt(&mut row.environment, self.environment);
        set(&mut row.entitlement, self.entitlement);
        row.privileged = self.privileged;
        set(&mut row.reviewer, self.reviewer);
        row.flags = self.flags;
        row.recommendation = self.recommendation;
        row.decision = self.decision;
        set_opt(&mut row.decided_by, self.decided_by);
        set_opt(&mut row.decided_at, self.decided_at);
        set_opt(&mut row.note, self.note);
        set_opt(&mut row.exception_until, self.exception_until);
        set_opt(&mut row.ticket, self.ticket.as_deref());
        row.self_review = self.self_review;
        row.bulk = self.bulk;
        row.against_recommendation = self.against_recommendation;
        row.seconds_on_screen = self.seconds_on_screen;
        set_opt(&mut row.close_action, self.close_action.as_deref());
        row.decided_event = self.decided_event;
        set_opt(&mut row.decided_hash, self.decided_hash);
        row.remediation = self.remediation;
        row.remediation_snapshot = self.remediation_snapshot;
        set_opt(&mut row.decided_via, self.decided_via);
        row.acting_for = self
            .acting_for
            .as_ref()
            .map(|(capacity, of)| (*capacity, of.to_string()));
        set_opt(&mut row.sponsor, self.sponsor);
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

    /// Walks the campaign's report rows in risk order without holding them.
    pub fn for_each_report_row(
        &self,
        campaign: CampaignId,
        rows: ReportRows,
        mut visit: impl FnMut(&ReportRow) -> std::result::Result<(), Box<dyn std::error::Error>>,
    ) -> Result<()> {
        let mut row = ReportRow::default();
        self.for_each_report_cells(campaign, rows, |cells| {
            cells.fill(&mut row);
            visit(&row)
        })
    }

    /// [`Store::for_each_report_row`] without the owned copy of each row.
    pub(super) fn for_each_report_cells(
        &self,
        campaign: CampaignId,
        rows: ReportRows,
        visit: impl FnMut(&ReportCells<'_>) -> std::result::Result<(), Box<dyn std::error::Error>>,
    ) -> Result<()> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let versions = self.report_versions(rows, last - first + 1)?;
        let lookup = VersionLookup::of(versions.as_ref());
        self.walk_report_cells((first, last), rows, lookup, visit)
    }

    /// [`Store::for_each_report_cells`] over the items `first..=last`, with
    /// their versions read as `lookup` says.
    pub(super) fn walk_report_cells(
        &self,
        (first, last): (i64, i64),
        rows: ReportRows,
        lookup: VersionLookup<'_>,
        mut visit: impl FnMut(&ReportCells<'_>) -> std::result::Result<(), Box<dyn std::error::Error>>,
    ) -> Result<()> {
        let sql = format!(
            "{}{} ORDER BY i.id",
            report_select(lookup),
            rows.condition()
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut cursor = stmt.query([first, last])?;
        let mut bodies = BodyMemo::default();
        while let Some(r) = cursor.next()? {
            if let Some(cells) = read_cells(r, lookup, &mut bodies)? {
                visit(&cells).map_err(|e| StoreError::from_output(&*e))?;
            }
        }
        Ok(())
    }

    /// The versions of every identity and grant, when a pass over `items`
    /// items reads them faster that way than joined item by item. Only a pass
    /// over every item: the other passes print a few.
    pub(super) fn report_versions(&self, rows: ReportRows, items: i64) -> Result<Option<Versions>> {
        if rows != ReportRows::All {
            return Ok(None);
        }
        Versions::load_for(&self.conn, items)
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
            head_events,
            head_hash,
        };
        if detail == Detail::Full {
            self.add_review_signals(campaign, &mut evidence)?;
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
                    count(CASE WHEN s.decision IN ('attest', 'revoke', 'exception') THEN 1 END)
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
