//! One item row: what every reader of a campaign's items is handed (the
//! queue and `recert items`, sign-off's lists, every report format), read
//! by one SELECT and one reader. [`Item`] names each field once, generic
//! over how it holds text: [`ItemRow`] owns it; [`ItemView`] borrows it
//! from the row as read, for walks over a million items that write each
//! out at once. A new column is a field, a line in [`Item::map`], a column
//! in [`select`] and a line in [`read_view`]; then whichever formats show it.

use super::bodies::{BodyFacts, BodyMemo};
use super::columns::{opt_text, text};
use super::effective::{
    EFFECTIVE_BUSINESS_OWNER, EFFECTIVE_EMAIL, EFFECTIVE_ORGANIZATION, EFFECTIVE_RELATIONSHIP,
    EFFECTIVE_TECHNICAL_OWNER,
};
use super::reporting::Capacity;
use super::versions::Versions;
use super::{EventSeq, ItemId, Result, SnapshotId, StoreError};
use crate::domain::{DecisionKind, FlagSet, Recommendation, RemediationStatus};
use rusqlite::{Params, Row, Statement};

/// One item of a campaign with its frozen versions, its decision in force
/// (and the facts its event recorded) and the remediation of a revoke.
/// `S` is how it holds text: `String` ([`ItemRow`]) or `&str` ([`ItemView`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item<S> {
    pub id: ItemId,
    /// Place in the queue, 0-based: the riskiest item is 0.
    pub rank: i64,
    pub score: i64,
    pub tenant: S,
    pub identity_id: S,
    pub identity_name: S,
    pub kind: S,
    /// As the identity register completes it: see `effective::EFFECTIVE_RELATIONSHIP`.
    pub relationship: S,
    pub organization: Option<S>,
    pub system: S,
    pub environment: Option<S>,
    pub entitlement: S,
    pub privileged: bool,
    /// Who the item waits for now (the reviewer, or whom it was reassigned
    /// to), or who held it when it was decided.
    pub assignee: S,
    pub flags: FlagSet,
    pub recommendation: Recommendation,
    pub decision: Option<DecisionKind>,
    /// The item's latest event, for detecting concurrent changes.
    pub last_event: Option<EventSeq>,
    pub decided_by: Option<S>,
    pub decided_at: Option<S>,
    pub note: Option<S>,
    pub exception_until: Option<S>,
    /// A rotate's last day: the date its credential is to be rotated by.
    pub rotate_by: Option<S>,
    pub ticket: Option<S>,
    /// The decider decided on their own access.
    pub self_review: bool,
    pub bulk: bool,
    pub against_recommendation: bool,
    pub seconds_on_screen: Option<f64>,
    /// Set when the decision is the campaign's close action, not a review.
    pub close_action: Option<S>,
    /// The event of the decision in force, and its hash.
    pub decided_event: Option<EventSeq>,
    pub decided_hash: Option<S>,
    pub remediation: Option<RemediationStatus>,
    /// The snapshot that proved the remediation's outcome.
    pub remediation_snapshot: Option<SnapshotId>,
    /// Against the previous campaign of the same scope: `new`, `changed`
    /// or `unchanged`; `Store::since_detail` says what changed.
    pub since: S,
    /// The same grant's item in the previous campaign, whose outcome
    /// `Store::earlier_outcome` gives.
    pub previous_item: Option<ItemId>,
    /// How the decider was established, as events store it.
    pub decided_via: Option<S>,
    /// The decision was made for another reviewer: in what capacity, whose.
    pub acting_for: Option<(Capacity, S)>,
    /// The identity's sponsor, whose part the item is in (the owner's when
    /// none).
    pub sponsor: Option<S>,
    /// Issue 24: the partner tier (identity register) and what the
    /// entitlement catalog said of the entitlement when the item was made.
    pub tier: Option<S>,
    pub sensitivity: Option<S>,
    pub description: Option<S>,
    /// The evidence the flags' reasons are explained from and reports
    /// print beside them, as frozen on the item: see [`ItemEvidence`].
    pub evidence: ItemEvidence<S>,
}

/// The grant's dates and accountable people, and the rest of what the
/// insights looked at, as the item's frozen versions hold them (the
/// identity register filling what the source left empty).
/// `crate::store::explain` turns them back into the flags' reasons.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemEvidence<S> {
    pub business_owner: Option<S>,
    pub technical_owner: Option<S>,
    pub granted_at: Option<S>,
    pub expires_at: Option<S>,
    pub last_used_at: Option<S>,
    pub credential_rotated_at: Option<S>,
    pub email: Option<S>,
    pub shared: bool,
    /// `Some(false)` when the source reported the account disabled.
    pub active: Option<bool>,
    /// Whether the grant carries a justification (its text is not needed
    /// to explain `no_justification`, and would only cost memory).
    pub justified: bool,
    /// From the identity register.
    pub contract_end: Option<S>,
    /// The reviewer the campaign assigned (before any reassign).
    pub reviewer: S,
    /// What the insights saw beyond the grant (`campaigns::ItemContext`, as JSON).
    pub context: Option<S>,
}

impl<S> ItemEvidence<S> {
    fn map<'a, T>(&'a self, mut f: impl FnMut(&'a S) -> T) -> ItemEvidence<T> {
        ItemEvidence {
            business_owner: self.business_owner.as_ref().map(&mut f),
            technical_owner: self.technical_owner.as_ref().map(&mut f),
            granted_at: self.granted_at.as_ref().map(&mut f),
            expires_at: self.expires_at.as_ref().map(&mut f),
            last_used_at: self.last_used_at.as_ref().map(&mut f),
            credential_rotated_at: self.credential_rotated_at.as_ref().map(&mut f),
            email: self.email.as_ref().map(&mut f),
            shared: self.shared,
            active: self.active,
            justified: self.justified,
            contract_end: self.contract_end.as_ref().map(&mut f),
            reviewer: f(&self.reviewer),
            context: self.context.as_ref().map(&mut f),
        }
    }
}

/// An item row that owns its text: pages, lists and details that outlive
/// the read.
pub type ItemRow = Item<String>;

/// An item row borrowing its text from where it was read: what a walk
/// over a campaign hands each visitor.
pub type ItemView<'r> = Item<&'r str>;

impl<S> Item<S> {
    /// The same row with each text field passed through `f`.
    pub fn map<'a, T>(&'a self, mut f: impl FnMut(&'a S) -> T) -> Item<T> {
        Item {
            id: self.id,
            rank: self.rank,
            score: self.score,
            tenant: f(&self.tenant),
            identity_id: f(&self.identity_id),
            identity_name: f(&self.identity_name),
            kind: f(&self.kind),
            relationship: f(&self.relationship),
            organization: self.organization.as_ref().map(&mut f),
            system: f(&self.system),
            environment: self.environment.as_ref().map(&mut f),
            entitlement: f(&self.entitlement),
            privileged: self.privileged,
            assignee: f(&self.assignee),
            flags: self.flags,
            recommendation: self.recommendation,
            decision: self.decision,
            last_event: self.last_event,
            decided_by: self.decided_by.as_ref().map(&mut f),
            decided_at: self.decided_at.as_ref().map(&mut f),
            note: self.note.as_ref().map(&mut f),
            exception_until: self.exception_until.as_ref().map(&mut f),
            rotate_by: self.rotate_by.as_ref().map(&mut f),
            ticket: self.ticket.as_ref().map(&mut f),
            self_review: self.self_review,
            bulk: self.bulk,
            against_recommendation: self.against_recommendation,
            seconds_on_screen: self.seconds_on_screen,
            close_action: self.close_action.as_ref().map(&mut f),
            decided_event: self.decided_event,
            decided_hash: self.decided_hash.as_ref().map(&mut f),
            remediation: self.remediation,
            remediation_snapshot: self.remediation_snapshot,
            since: f(&self.since),
            previous_item: self.previous_item,
            decided_via: self.decided_via.as_ref().map(&mut f),
            acting_for: self.acting_for.as_ref().map(|(c, of)| (*c, f(of))),
            sponsor: self.sponsor.as_ref().map(&mut f),
            tier: self.tier.as_ref().map(&mut f),
            sensitivity: self.sensitivity.as_ref().map(&mut f),
            description: self.description.as_ref().map(&mut f),
            evidence: self.evidence.map(f),
        }
    }
}

impl<S: AsRef<str>> Item<S> {
    /// The row borrowed, as walks hand it over.
    pub fn view(&self) -> ItemView<'_> {
        self.map(|s| s.as_ref())
    }

    /// The row with its text copied out.
    pub fn to_row(&self) -> ItemRow {
        self.map(|s| s.as_ref().to_owned())
    }
}

/// Joins an item's frozen versions: grant `e`, identity `idn`, register `r`,
/// and its state `s`. SQLite joins in this order and checks each filter as
/// soon as its tables are joined, so the narrow rows most filters read come
/// first and the wide grant row last: a filter that scans far past rows it
/// rejects (a relationship low in risk order) reads no grant for them.
pub(super) const ITEM_JOINS: &str = " JOIN identity idn ON idn.id = i.identity
    LEFT JOIN register_entry r ON r.id = i.register
    LEFT JOIN item_state s ON s.item = i.id
    JOIN entitlement e ON e.id = i.entitlement";

/// Every column but the versions', 0 to [`VERSIONS`] - 1.
const COLUMNS: &str = "i.id, i.risk_rank, i.risk_score, coalesce(s.assignee, i.reviewer),
    i.flags, i.recommendation, s.decision, s.last_event, d.actor, d.at, d.note,
    s.exception_until, d.body, d.seq, d.hash, rem.status, rem.snapshot, i.since,
    i.previous_item, d.actor_via, i.reviewer, i.context";
/// The first of the versions' columns.
const VERSIONS: usize = 22;
/// The decision in force and its remediation.
const DECISION_JOINS: &str = "
    LEFT JOIN event d ON d.seq = s.decided_event
    LEFT JOIN remediation rem ON rem.decision_event = s.decided_event";
/// The catalog entry the item saw (issue 24), and the columns read from it
/// and the register, last in both forms of [`select`].
const CATALOG_JOIN: &str = "
    LEFT JOIN catalog_entry cat ON cat.id = json_extract(i.context, '$.catalog.entry')";
const CONTEXT_COLUMNS: &str = "r.tier, cat.sensitivity, cat.description";
/// Whether the grant carries a justification, as the insights read it.
const JUSTIFIED: &str = "coalesce(trim(e.justification) != '', 0)";

/// How a walk reads each item's identity and grant versions.
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

/// The items `?1..=?2` of a campaign's id range, each row read by
/// [`read_view`]; callers add conditions (`AND …`) and the order.
pub(super) fn select(lookup: VersionLookup<'_>) -> String {
    match lookup {
        VersionLookup::Joined => format!(
            "SELECT {COLUMNS}, idn.tenant, idn.identity_id, idn.name, idn.kind,
                {EFFECTIVE_RELATIONSHIP}, {EFFECTIVE_ORGANIZATION}, e.system, e.environment,
                e.name, e.privileged, coalesce(idn.sponsor, r.sponsor),
                {EFFECTIVE_BUSINESS_OWNER}, {EFFECTIVE_TECHNICAL_OWNER}, e.granted_at,
                e.expires_at, e.last_used_at, e.credential_rotated_at, {EFFECTIVE_EMAIL},
                e.shared, e.active, r.contract_end, {JUSTIFIED}, {CONTEXT_COLUMNS}
            FROM item i{ITEM_JOINS}{DECISION_JOINS}{CATALOG_JOIN}
            WHERE i.id BETWEEN ? AND ?"
        ),
        VersionLookup::Loaded(_) => format!(
            "SELECT {COLUMNS}, i.identity, i.entitlement, r.relationship, r.organization,
                r.sponsor, r.business_owner, r.technical_owner, r.email, r.contract_end,
                {CONTEXT_COLUMNS}
            FROM item i
            LEFT JOIN register_entry r ON r.id = i.register
            LEFT JOIN item_state s ON s.item = i.id{DECISION_JOINS}{CATALOG_JOIN}
            WHERE i.id BETWEEN ? AND ?"
        ),
    }
}

/// Reads one row of [`select`]; `None` for an item whose versions are
/// missing, which the joined query would not have returned either.
/// `bodies` remembers the decision bodies read so far.
fn read_view<'r>(
    r: &'r Row<'_>,
    lookup: VersionLookup<'r>,
    bodies: &'r mut BodyMemo,
) -> rusqlite::Result<Option<ItemView<'r>>> {
    // The versions first: their rows are cache misses (items are in risk
    // order, versions in import order), which the core can wait on while
    // it reads the other columns. A tenth of the report's CPU at 1M.
    let loaded = match lookup {
        VersionLookup::Joined => None,
        VersionLookup::Loaded(versions) => {
            let (Some(identity), Some(grant)) = (
                versions.identity(r.get(VERSIONS)?),
                versions.grant(r.get(VERSIONS + 1)?),
            ) else {
                return Ok(None);
            };
            Some((identity, grant))
        }
    };
    let body = match r.get_ref(12)?.as_bytes_or_null()? {
        Some(bytes) => bodies
            .facts(bytes)
            .map_err(|e| rusqlite::Error::Utf8Error(12, e))?,
        None => BodyFacts::default(),
    };
    let decision = opt_text(r, 6)?.and_then(|d| d.parse().ok());
    let outcome = opt_text(r, 15)?;
    let remediation = match outcome {
        Some("verified") => Some(RemediationStatus::Verified),
        Some("still_effective") => Some(RemediationStatus::StillEffective),
        _ if decision == Some(DecisionKind::Revoke) => Some(RemediationStatus::Pending),
        _ => None,
    };
    // An outcome and its snapshot are one row's, both there or neither:
    // most items have none, and a column not read costs nothing.
    let remediation_snapshot = match outcome {
        Some(_) => r.get(16)?,
        None => None,
    };
    let mut view = ItemView {
        id: r.get(0)?,
        rank: r.get(1)?,
        score: r.get(2)?,
        assignee: text(r, 3)?,
        flags: FlagSet::from_bits(r.get::<_, i64>(4)? as u32),
        recommendation: text(r, 5)?
            .parse()
            .unwrap_or(Recommendation::ReviewWithCare),
        decision,
        last_event: r.get(7)?,
        decided_by: opt_text(r, 8)?,
        decided_at: opt_text(r, 9)?,
        note: opt_text(r, 10)?,
        exception_until: opt_text(r, 11)?,
        // Only a rotate's body has one; checked all the same, as the
        // state is what says which decision is in force.
        rotate_by: body.by.filter(|_| decision == Some(DecisionKind::Rotate)),
        ticket: body.ticket,
        self_review: body.self_review,
        bulk: body.bulk,
        against_recommendation: body.against_recommendation,
        seconds_on_screen: body.seconds_on_screen,
        close_action: body.close_action,
        decided_event: r.get(13)?,
        decided_hash: opt_text(r, 14)?,
        remediation,
        remediation_snapshot,
        since: text(r, 17)?,
        previous_item: r.get(18)?,
        decided_via: opt_text(r, 19)?,
        acting_for: match (body.override_of, body.on_behalf_of, body.delegate_for) {
            (Some(of), _, _) => Some((Capacity::Override, of)),
            (_, Some(of), _) => Some((Capacity::OnBehalf, of)),
            (_, _, Some(of)) => Some((Capacity::Delegate, of)),
            _ => None,
        },
        evidence: ItemEvidence {
            reviewer: text(r, 20)?,
            context: opt_text(r, 21)?,
            ..ItemEvidence::default()
        },
        ..ItemView::default()
    };
    let v = VERSIONS;
    let context_at = match loaded {
        None => v + 22,
        Some(_) => v + 9,
    };
    view.tier = opt_text(r, context_at)?;
    view.sensitivity = opt_text(r, context_at + 1)?;
    view.description = opt_text(r, context_at + 2)?;
    match loaded {
        None => {
            view.tenant = text(r, v)?;
            view.identity_id = text(r, v + 1)?;
            view.identity_name = text(r, v + 2)?;
            view.kind = text(r, v + 3)?;
            view.relationship = text(r, v + 4)?;
            view.organization = opt_text(r, v + 5)?;
            view.system = text(r, v + 6)?;
            view.environment = opt_text(r, v + 7)?;
            view.entitlement = text(r, v + 8)?;
            view.privileged = r.get(v + 9)?;
            view.sponsor = opt_text(r, v + 10)?;
            let evidence = &mut view.evidence;
            evidence.business_owner = opt_text(r, v + 11)?;
            evidence.technical_owner = opt_text(r, v + 12)?;
            evidence.granted_at = opt_text(r, v + 13)?;
            evidence.expires_at = opt_text(r, v + 14)?;
            evidence.last_used_at = opt_text(r, v + 15)?;
            evidence.credential_rotated_at = opt_text(r, v + 16)?;
            evidence.email = opt_text(r, v + 17)?;
            evidence.shared = r.get(v + 18)?;
            evidence.active = r.get(v + 19)?;
            evidence.contract_end = opt_text(r, v + 20)?;
            evidence.justified = r.get(v + 21)?;
        }
        Some((identity, grant)) => {
            view.tenant = identity.tenant;
            view.identity_id = identity.identity_id;
            view.identity_name = identity.name;
            view.kind = identity.kind;
            // As EFFECTIVE_RELATIONSHIP and EFFECTIVE_ORGANIZATION say; the
            // register's columns are read only where the source left a gap.
            view.relationship = match identity.relationship {
                "unknown" => opt_text(r, v + 2)?.unwrap_or(identity.relationship),
                known => known,
            };
            view.organization = match identity.organization {
                None => opt_text(r, v + 3)?,
                known => known,
            };
            view.system = grant.system;
            view.environment = grant.environment;
            view.entitlement = grant.name;
            view.privileged = grant.privileged;
            view.sponsor = identity.sponsor.or(opt_text(r, v + 4)?);
            // As the EFFECTIVE_* columns say: the register fills gaps.
            let evidence = &mut view.evidence;
            evidence.business_owner = grant.business_owner.or(opt_text(r, v + 5)?);
            evidence.technical_owner = grant.technical_owner.or(opt_text(r, v + 6)?);
            evidence.granted_at = grant.granted_at;
            evidence.expires_at = grant.expires_at;
            evidence.last_used_at = grant.last_used_at;
            evidence.credential_rotated_at = grant.credential_rotated_at;
            evidence.email = identity.email.or(opt_text(r, v + 7)?);
            evidence.shared = grant.shared;
            evidence.active = grant.active;
            evidence.justified = grant.justified;
            evidence.contract_end = opt_text(r, v + 8)?;
        }
    }
    Ok(Some(view))
}

/// Reads every row a statement made from [`select`] returns for
/// `params`, with its versions as `lookup` says, and hands each to `visit`.
pub(super) fn walk<E: From<StoreError>>(
    stmt: &mut Statement<'_>,
    params: impl Params,
    lookup: VersionLookup<'_>,
    bodies: &mut BodyMemo,
    mut visit: impl FnMut(&ItemView<'_>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let db = |e: rusqlite::Error| E::from(StoreError::from(e));
    let mut cursor = stmt.query(params).map_err(db)?;
    while let Some(r) = cursor.next().map_err(db)? {
        if let Some(view) = read_view(r, lookup, bodies).map_err(db)? {
            visit(&view)?;
        }
    }
    Ok(())
}

/// Every row of a statement made from [`select`] (versions joined), owned.
pub(super) fn collect_rows(stmt: &mut Statement<'_>, params: impl Params) -> Result<Vec<ItemRow>> {
    let mut rows = Vec::new();
    let mut bodies = BodyMemo::default();
    walk(stmt, params, VersionLookup::Joined, &mut bodies, |view| {
        rows.push(view.to_row());
        Ok::<_, StoreError>(())
    })?;
    Ok(rows)
}
