//! Campaigns: creating one freezes the in-scope grants as items, with the
//! evidence, insights, reviewer and risk order fixed at that moment.

use super::events::{ChainWriter, NewEvent, campaign_state};
use super::query::{Target, push_filters};
use super::register::{
    EFFECTIVE_BUSINESS_OWNER, EFFECTIVE_EMAIL, EFFECTIVE_ORGANIZATION, EFFECTIVE_RELATIONSHIP,
    EFFECTIVE_SPONSOR, EFFECTIVE_TECHNICAL_OWNER, REGISTER_JOIN,
};
use super::{CampaignId, Result, Store, StoreError};
use crate::audit;
use crate::domain::insight::{self, Context, Subject};
use crate::domain::{CampaignState, Filter, OnClose, Policy, ReviewerRule, Stamp};
use chrono::NaiveDate;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};

#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub name: String,
    pub due: NaiveDate,
    pub as_of: NaiveDate,
    pub scope: Vec<Filter>,
    pub reviewer_rule: ReviewerRule,
    pub on_close: OnClose,
    pub owner: String,
    pub created_at: String,
    pub policy: Policy,
}

/// Items per state, maintained as decisions are recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub total: u64,
    pub undecided: u64,
    pub attested: u64,
    pub revoked: u64,
    pub exception: u64,
    pub reassigned: u64,
}

impl Tally {
    /// Items with a final decision (a reassigned item still waits).
    pub fn decided(&self) -> u64 {
        self.attested + self.revoked + self.exception
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct CampaignSummary {
    #[serde(skip)]
    pub id: CampaignId,
    pub name: String,
    pub state: CampaignState,
    pub created_at: String,
    pub owner: String,
    pub as_of: NaiveDate,
    pub due: NaiveDate,
    pub scope: Vec<String>,
    pub reviewer_rule: String,
    pub on_close: String,
    pub previous: Option<String>,
    pub items: u64,
    pub tally: Tally,
    #[serde(skip)]
    pub policy: Policy,
}

/// The evidence an item freezes, by the versions it points at: grant (`e`),
/// identity (`idn`) and identity-register entry (`r`, which fills in what
/// the source left unknown). The same list drives the digest and the
/// comparison with the previous campaign.
pub(crate) const EVIDENCE: [(&str, &str); 24] = [
    ("tenant", "idn.tenant"),
    ("identity_id", "idn.identity_id"),
    ("identity_name", "idn.name"),
    ("identity_kind", "idn.kind"),
    ("relationship", EFFECTIVE_RELATIONSHIP),
    ("organization", EFFECTIVE_ORGANIZATION),
    ("region", "idn.region"),
    ("sponsor", EFFECTIVE_SPONSOR),
    ("email", EFFECTIVE_EMAIL),
    ("system", "e.system"),
    ("environment", "e.environment"),
    ("entitlement", "e.name"),
    ("privileged", "e.privileged"),
    ("shared", "e.shared"),
    ("business_owner", EFFECTIVE_BUSINESS_OWNER),
    ("technical_owner", EFFECTIVE_TECHNICAL_OWNER),
    ("justification", "e.justification"),
    ("granted_at", "e.granted_at"),
    ("expires_at", "e.expires_at"),
    ("last_used_at", "e.last_used_at"),
    ("credential_rotated_at", "e.credential_rotated_at"),
    ("ticket", "e.ticket"),
    ("active", "e.active"),
    ("contract_end", "r.contract_end"),
];

/// Positions within `EVIDENCE`.
mod at {
    pub const TENANT: usize = 0;
    pub const IDENTITY_ID: usize = 1;
    pub const KIND: usize = 3;
    pub const RELATIONSHIP: usize = 4;
    pub const SPONSOR: usize = 7;
    pub const EMAIL: usize = 8;
    pub const PRIVILEGED: usize = 12;
    pub const SHARED: usize = 13;
    pub const BUSINESS_OWNER: usize = 14;
    pub const TECHNICAL_OWNER: usize = 15;
    pub const GRANTED: usize = 17;
    pub const EXPIRES: usize = 18;
    pub const LAST_USED: usize = 19;
    pub const ROTATED: usize = 20;
    pub const ACTIVE: usize = 22;
    pub const CONTRACT_END: usize = 23;
}

/// What an item's insights saw beyond the grant itself; stored as JSON only
/// when there is something to say.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct ItemContext {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_tenants: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapsed_exception: Option<NaiveDate>,
}

/// The page cache campaign creation may use while it reads a million rows.
const CREATION_CACHE_KIB: i64 = 64 * 1024;

fn day(value: Option<&str>) -> Option<NaiveDate> {
    value.and_then(|s| Stamp::parse(s).ok()).map(|s| s.day())
}

/// Everything about the register that the insights need beyond one row.
struct Surroundings {
    /// Lower-cased identity id or e-mail → the tenants it holds access in,
    /// for people present in more than one.
    tenants_by_person: HashMap<String, BTreeSet<String>>,
    /// Grant key → end of the exception an earlier campaign left in force.
    lapsed: HashMap<i64, NaiveDate>,
    /// Grant key → (item, grant, identity and register versions) in the
    /// previous campaign of the same scope.
    previous: HashMap<i64, (i64, [Option<i64>; 3])>,
}

impl Surroundings {
    fn load(conn: &Connection, as_of: NaiveDate, previous: Option<i64>) -> Result<Surroundings> {
        let mut tenants_by_person: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut stmt = conn.prepare(&format!(
            "SELECT idn.tenant, idn.identity_id, {EFFECTIVE_EMAIL} FROM identity idn{REGISTER_JOIN}
             WHERE idn.superseded IS NULL
               AND EXISTS (SELECT 1 FROM entitlement e
                           WHERE e.identity = idn.key AND e.superseded IS NULL
                             AND e.removed_snapshot IS NULL)"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let tenant = row.get_ref(0)?.as_str()?;
            let id = row.get_ref(1)?.as_str()?;
            let email = row.get_ref(2)?.as_str_or_null()?;
            for key in std::iter::once(id).chain(email) {
                let tenants = tenants_by_person.entry(key.to_lowercase()).or_default();
                if !tenants.contains(tenant) {
                    tenants.insert(tenant.to_string());
                }
            }
        }
        tenants_by_person.retain(|_, tenants| tenants.len() > 1);

        // An exception lapses when the latest campaign that decided the
        // grant left it as an exception whose end has passed. Later
        // campaigns that left it undecided (or only reassigned it) do not
        // hide the lapse.
        let mut lapsed = HashMap::new();
        let mut stmt = conn.prepare(
            "SELECT i.grant_key, s.exception_until FROM item i
             JOIN item_state s ON s.item = i.id
             WHERE s.decision = 'exception' AND s.exception_until < ?1
               AND i.id = (SELECT max(i2.id) FROM item i2 JOIN item_state s2 ON s2.item = i2.id
                           WHERE i2.grant_key = i.grant_key
                             AND s2.decision IN ('attest', 'revoke', 'exception'))",
        )?;
        let mut rows = stmt.query([as_of.to_string()])?;
        while let Some(row) = rows.next()? {
            let until: String = row.get(1)?;
            if let Ok(until) = crate::domain::date::parse_day(&until) {
                lapsed.insert(row.get(0)?, until);
            }
        }

        let mut earlier = HashMap::new();
        if let Some(previous) = previous {
            let (first, last) = item_range(conn, CampaignId(previous))?;
            let mut stmt = conn.prepare(
                "SELECT grant_key, id, entitlement, identity, register FROM item
                 WHERE id BETWEEN ?1 AND ?2",
            )?;
            let mut rows = stmt.query(params![first, last])?;
            while let Some(row) = rows.next()? {
                let versions = [row.get(2)?, row.get(3)?, row.get(4)?];
                earlier.insert(row.get(0)?, (row.get(1)?, versions));
            }
        }
        Ok(Surroundings {
            tenants_by_person,
            lapsed,
            previous: earlier,
        })
    }

    fn tenants_of(&self, key: &str) -> Option<&BTreeSet<String>> {
        if self.tenants_by_person.is_empty() {
            return None;
        }
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.tenants_by_person.get(&key.to_lowercase())
        } else {
            self.tenants_by_person.get(key)
        }
    }

    fn other_tenants(&self, own: &str, id: &str, email: Option<&str>) -> Vec<String> {
        let mut others = BTreeSet::new();
        for key in std::iter::once(id).chain(email) {
            if let Some(tenants) = self.tenants_of(key) {
                others.extend(tenants.iter().filter(|t| *t != own).cloned());
            }
        }
        others.into_iter().collect()
    }
}

/// Appends one value of an item's canonical encoding: tagged and
/// length-prefixed, so that no two different items encode alike.
fn encode_value(out: &mut Vec<u8>, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => out.push(b'n'),
        ValueRef::Integer(n) => {
            out.push(b'i');
            out.extend_from_slice(&n.to_le_bytes());
        }
        ValueRef::Real(f) => {
            out.push(b'r');
            out.extend_from_slice(&f.to_le_bytes());
        }
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            out.push(b't');
            out.extend_from_slice(&(t.len() as u64).to_le_bytes());
            out.extend_from_slice(t);
        }
    }
}

fn text_ref(text: &str) -> ValueRef<'_> {
    ValueRef::Text(text.as_bytes())
}

/// The campaign digest: SHA-256 over the items' own hashes in queue order.
fn fold_digest(item_hashes: impl Iterator<Item = [u8; 32]>) -> String {
    let mut digest = Sha256::new();
    for hash in item_hashes {
        digest.update(hash);
    }
    audit::hex(&digest.finalize())
}

fn item_hash(encoded: &[u8]) -> [u8; 32] {
    Sha256::digest(encoded).into()
}

/// An item as computed, before it is written: the grant order of the scan
/// is the order items are written (and digested) in.
struct Pending {
    /// SHA-256 of the item's canonical encoding.
    hash: [u8; 32],
    grant: i64,
    entitlement: i64,
    identity: i64,
    register: Option<i64>,
    score: i64,
    flags: u32,
    recommendation: crate::domain::Recommendation,
    reviewer: u32,
    context: Option<Box<str>>,
    since: &'static str,
    previous: Option<i64>,
}

impl Pending {
    /// The item's own fields, in digest order (the evidence follows).
    fn encode_fields(&self, reviewer: &str, out: &mut Vec<u8>) {
        let int = ValueRef::Integer;
        encode_value(out, int(self.grant));
        encode_value(out, int(self.entitlement));
        encode_value(out, int(self.identity));
        encode_value(out, self.register.map_or(ValueRef::Null, int));
        encode_value(out, int(self.score));
        encode_value(out, text_ref(reviewer));
        encode_value(out, int(i64::from(self.flags)));
        encode_value(
            out,
            self.context.as_deref().map_or(ValueRef::Null, text_ref),
        );
        encode_value(out, text_ref(self.recommendation.as_str()));
        encode_value(out, text_ref(self.since));
        encode_value(out, self.previous.map_or(ValueRef::Null, int));
    }
}

/// The SQL reading the current grants (and their identities) in a scope.
fn scope_sql() -> String {
    let sources: Vec<&str> = EVIDENCE.iter().map(|(_, s)| *s).collect();
    format!(
        "SELECT e.key, e.id, idn.id, r.id, {}
         FROM entitlement e
         JOIN identity idn ON idn.key = e.identity AND idn.superseded IS NULL{REGISTER_JOIN}
         WHERE e.superseded IS NULL AND e.removed_snapshot IS NULL",
        sources.join(", ")
    )
}

/// SHA-256 over a campaign's items in queue order, each item contributing
/// the hash of its own fields and the evidence of the versions it points at
/// (its place in the queue is its id, checked on its own). Recorded in the
/// `campaign_created` event, recomputed by verification.
pub(crate) fn items_digest(conn: &Connection, campaign: CampaignId) -> Result<String> {
    let (first, last) = item_range(conn, campaign)?;
    let sources: Vec<&str> = EVIDENCE.iter().map(|(_, s)| *s).collect();
    let sql = format!(
        "SELECT i.grant_key, i.entitlement, i.identity, i.register, i.risk_score, i.reviewer,
             i.flags, i.context, i.recommendation, i.since, i.previous_item, {}
         FROM item i
         JOIN entitlement e ON e.id = i.entitlement
         JOIN identity idn ON idn.id = i.identity
         LEFT JOIN register_entry r ON r.id = i.register
         WHERE i.id BETWEEN ?1 AND ?2 ORDER BY i.id",
        sources.join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let width = stmt.column_count();
    let mut rows = stmt.query(params![first, last])?;
    let mut hashes = Vec::new();
    let mut encoded = Vec::with_capacity(512);
    while let Some(row) = rows.next()? {
        encoded.clear();
        for i in 0..width {
            encode_value(&mut encoded, row.get_ref(i)?);
        }
        hashes.push(item_hash(&encoded));
    }
    Ok(fold_digest(hashes.into_iter()))
}

/// The ids of a campaign's items, first and last (empty when last < first).
pub(crate) fn item_range(conn: &Connection, campaign: CampaignId) -> Result<(i64, i64)> {
    conn.prepare_cached(
        "SELECT first_item, first_item + item_count - 1 FROM campaign WHERE id = ?1",
    )?
    .query_row([campaign], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()?
    .ok_or_else(|| StoreError::NoCampaign(format!("#{campaign}")))
}

/// Assesses every in-scope grant; returns the items in grant order, each
/// with the hash of what it will hold.
fn compute_items(
    conn: &Connection,
    spec: &NewCampaign,
    around: &Surroundings,
    reviewers: &mut Vec<String>,
) -> Result<Vec<Pending>> {
    let mut sql = scope_sql();
    let mut values = Vec::new();
    push_filters(&spec.scope, Target::Register, &mut sql, &mut values).map_err(|field| {
        StoreError::Invalid(format!(
            "--where {field}: a campaign's scope can only use register fields"
        ))
    })?;
    sql.push_str(" ORDER BY e.id");
    let mut select = conn.prepare(&sql)?;
    let mut rows = select.query(params_from_iter(values))?;
    let mut interned: HashMap<String, u32> = HashMap::new();
    let mut items = Vec::new();
    let mut encoded = Vec::with_capacity(512);
    while let Some(row) = rows.next()? {
        let grant: i64 = row.get(0)?;
        let entitlement: i64 = row.get(1)?;
        let identity: i64 = row.get(2)?;
        let register: Option<i64> = row.get(3)?;
        let evidence = |at: usize| row.get_ref(4 + at);
        let text = |at: usize| -> Result<Option<&str>> { Ok(evidence(at)?.as_str_or_null()?) };
        let flag = |at: usize| -> Result<bool> { Ok(evidence(at)?.as_i64()? != 0) };
        let tenant = text(at::TENANT)?.unwrap_or_default();
        let identity_id = text(at::IDENTITY_ID)?.unwrap_or_default();
        let email = text(at::EMAIL)?;
        let sponsor = text(at::SPONSOR)?;
        let reviewer = spec.reviewer_rule.pick(
            sponsor,
            text(at::BUSINESS_OWNER)?,
            text(at::TECHNICAL_OWNER)?,
            &spec.owner,
        );
        let context = ItemContext {
            other_tenants: around.other_tenants(tenant, identity_id, email),
            lapsed_exception: around.lapsed.get(&grant).copied(),
        };
        let subject = Subject {
            identity_id,
            email,
            kind: text(at::KIND)?
                .and_then(|k| k.parse().ok())
                .unwrap_or(crate::domain::IdentityKind::Human),
            relationship: text(at::RELATIONSHIP)?
                .and_then(|r| r.parse().ok())
                .unwrap_or(crate::domain::Relationship::Unknown),
            sponsor,
            privileged: flag(at::PRIVILEGED)?,
            shared: flag(at::SHARED)?,
            granted_at: day(text(at::GRANTED)?),
            expires_at: day(text(at::EXPIRES)?),
            last_used_at: day(text(at::LAST_USED)?),
            credential_rotated_at: day(text(at::ROTATED)?),
            active: evidence(at::ACTIVE)?.as_i64_or_null()?.map(|a| a != 0),
            contract_end: day(text(at::CONTRACT_END)?),
        };
        let ctx = Context {
            today: spec.as_of,
            policy: &spec.policy,
            reviewer,
            other_tenants: &context.other_tenants,
            lapsed_exception: context.lapsed_exception,
        };
        let flags = insight::flags(&subject, &ctx);
        let (score, recommendation) = insight::score(flags, &spec.policy);
        let reviewer_index = match interned.get(reviewer) {
            Some(index) => *index,
            None => {
                let index = reviewers.len() as u32;
                reviewers.push(reviewer.to_string());
                interned.insert(reviewer.to_string(), index);
                index
            }
        };
        let versions = [Some(entitlement), Some(identity), register];
        let (since, previous) = match around.previous.get(&grant) {
            None => ("new", None),
            Some((item, seen)) if *seen == versions => ("unchanged", Some(*item)),
            Some((item, _)) => ("changed", Some(*item)),
        };
        let mut pending = Pending {
            hash: [0; 32],
            grant,
            entitlement,
            identity,
            register,
            score,
            flags: flags.bits(),
            recommendation,
            reviewer: reviewer_index,
            context: (context != ItemContext::default())
                .then(|| serde_json::to_string(&context).unwrap_or_default().into()),
            since,
            previous,
        };
        encoded.clear();
        pending.encode_fields(reviewer, &mut encoded);
        for at in 0..EVIDENCE.len() {
            encode_value(&mut encoded, evidence(at)?);
        }
        pending.hash = item_hash(&encoded);
        items.push(pending);
    }
    Ok(items)
}

/// Writes the items in queue order (riskiest first, then in grant order),
/// item id = `first` + rank, so every insert appends; returns the digest.
fn write_items(
    conn: &Connection,
    campaign: CampaignId,
    first: i64,
    items: &[Pending],
    reviewers: &[String],
) -> Result<String> {
    let mut order: Vec<u32> = (0..items.len() as u32).collect();
    order.sort_by_key(|&i| (-items[i as usize].score, i));
    let mut insert = conn.prepare(
        "INSERT INTO item (id, campaign, grant_key, entitlement, identity, register, risk_rank,
             risk_score, reviewer, flags, context, recommendation, since, previous_item)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    for (rank, &index) in order.iter().enumerate() {
        let item = &items[index as usize];
        insert.execute(params![
            first + rank as i64,
            campaign,
            item.grant,
            item.entitlement,
            item.identity,
            item.register,
            rank as i64,
            item.score,
            reviewers[item.reviewer as usize],
            i64::from(item.flags),
            item.context.as_deref(),
            item.recommendation.as_str(),
            item.since,
            item.previous,
        ])?;
    }
    let mut counts = vec![0i64; reviewers.len()];
    for item in items {
        counts[item.reviewer as usize] += 1;
    }
    let mut insert = conn
        .prepare("INSERT INTO campaign_reviewer (campaign, reviewer, items) VALUES (?1, ?2, ?3)")?;
    for (reviewer, n) in reviewers.iter().zip(counts) {
        insert.execute(params![campaign, reviewer, n])?;
    }
    Ok(fold_digest(order.iter().map(|&i| items[i as usize].hash)))
}

impl Store {
    /// The queue is riskiest first, ties in the order items were written,
    /// ranks 0, 1, 2…; anything else means the ranks were edited.
    pub(super) fn queue_order_problem(&self, campaign: CampaignId) -> Result<Option<String>> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, risk_rank, risk_score, grant_key, campaign FROM item
             WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        )?;
        let mut rows = stmt.query(params![first, last])?;
        let mut previous: Option<i64> = None;
        let mut expected = first;
        while let Some(row) = rows.next()? {
            let (id, rank, score, of): (i64, i64, i64, CampaignId) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(4)?);
            let out_of_order = previous.is_some_and(|p| p < score);
            if id != expected || rank != id - first || of != campaign || out_of_order {
                return Ok(Some(format!(
                    "item {id} is at rank {rank}, out of risk order: the queue was edited"
                )));
            }
            previous = Some(score);
            expected += 1;
        }
        if expected != last + 1 {
            return Ok(Some(format!(
                "{} of its items are missing",
                last + 1 - expected
            )));
        }
        Ok(None)
    }

    pub fn create_campaign(&mut self, spec: &NewCampaign) -> Result<CampaignSummary> {
        self.write(|tx| {
            let exists: Option<i64> = tx
                .query_row(
                    "SELECT id FROM campaign WHERE name = ?1",
                    [&spec.name],
                    |r| r.get(0),
                )
                .optional()?;
            if exists.is_some() {
                return Err(StoreError::CampaignExists(spec.name.clone()));
            }
            let scope: Vec<String> = spec.scope.iter().map(Filter::to_string).collect();
            let scope_json = serde_json::to_string(&scope).unwrap_or_default();
            let previous: Option<(i64, String)> = tx
                .query_row(
                    "SELECT id, name FROM campaign WHERE scope = ?1 ORDER BY id DESC LIMIT 1",
                    [&scope_json],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            tx.pragma_update(None, "cache_size", -CREATION_CACHE_KIB)?;
            let around = Surroundings::load(tx, spec.as_of, previous.as_ref().map(|p| p.0))?;
            let mut reviewers = Vec::new();
            let items = compute_items(tx, spec, &around, &mut reviewers)?;
            drop(around);
            let first: i64 =
                tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM item", [], |r| {
                    r.get(0)
                })?;

            let policy_json = serde_json::to_string(&spec.policy)
                .map_err(|e| StoreError::Corrupt(format!("policy: {e}")))?;
            tx.execute(
                "INSERT INTO campaign (name, created_at, owner, as_of, due, scope, reviewer_rule,
                     on_close, previous, policy, item_count, first_item)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    spec.name,
                    spec.created_at,
                    spec.owner,
                    spec.as_of.to_string(),
                    spec.due.to_string(),
                    scope_json,
                    spec.reviewer_rule.to_string(),
                    spec.on_close.as_str(),
                    previous.as_ref().map(|p| p.0),
                    policy_json,
                    items.len() as i64,
                    first,
                ],
            )?;
            let campaign = CampaignId(tx.last_insert_rowid());
            let digest = write_items(tx, campaign, first, &items, &reviewers)?;
            tx.execute(
                "INSERT INTO tally (campaign, state, n) VALUES (?1, 'undecided', ?2)",
                params![campaign, items.len() as i64],
            )?;
            tx.pragma_update(None, "cache_size", -2000)?;
            let body = serde_json::json!({
                "name": spec.name,
                "due": spec.due.to_string(),
                "as_of": spec.as_of.to_string(),
                "scope": scope,
                "reviewer_rule": spec.reviewer_rule.to_string(),
                "on_close": spec.on_close.as_str(),
                "previous": previous.as_ref().map(|p| &p.1),
                "items": items.len(),
                "items_sha256": digest,
                "policy": spec.policy,
            });
            ChainWriter::start(tx)?.append(
                tx,
                &NewEvent {
                    kind: "campaign_created",
                    campaign: Some(campaign),
                    item: None,
                    actor: &spec.owner,
                    at: &spec.created_at,
                    note: None,
                    body: body.to_string(),
                },
            )?;
            Ok(campaign)
        })
        .and_then(|id| self.campaign_by_id(id))
    }

    pub fn campaigns(&self) -> Result<Vec<CampaignSummary>> {
        let ids: Vec<CampaignId> = self
            .conn
            .prepare("SELECT id FROM campaign ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter().map(|id| self.campaign_by_id(id)).collect()
    }

    pub fn campaign(&self, name: &str) -> Result<CampaignSummary> {
        let id: CampaignId = self
            .conn
            .query_row("SELECT id FROM campaign WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| StoreError::NoCampaign(name.to_string()))?;
        self.campaign_by_id(id)
    }

    /// The most recently created campaign, for commands where it is implied.
    pub fn latest_campaign(&self) -> Result<Option<CampaignSummary>> {
        let id: Option<CampaignId> =
            self.conn
                .query_row("SELECT max(id) FROM campaign", [], |r| r.get(0))?;
        id.map(|id| self.campaign_by_id(id)).transpose()
    }

    fn campaign_by_id(&self, id: CampaignId) -> Result<CampaignSummary> {
        let row = self.conn.query_row(
            "SELECT c.name, c.created_at, c.owner, c.as_of, c.due, c.scope, c.reviewer_rule,
                    c.on_close, p.name, c.policy, c.item_count
             FROM campaign c LEFT JOIN campaign p ON p.id = c.previous WHERE c.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, i64>(10)?,
                ))
            },
        )?;
        let (name, created_at, owner, as_of, due, scope, rule, on_close, previous, policy, n) = row;
        let corrupt =
            |what: &str, e: String| StoreError::Corrupt(format!("campaign {name:?} {what}: {e}"));
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d");
        Ok(CampaignSummary {
            id,
            state: campaign_state(&self.conn, id)?,
            created_at,
            owner,
            as_of: date(&as_of).map_err(|e| corrupt("as_of", e.to_string()))?,
            due: date(&due).map_err(|e| corrupt("due", e.to_string()))?,
            scope: serde_json::from_str(&scope).map_err(|e| corrupt("scope", e.to_string()))?,
            reviewer_rule: rule,
            on_close,
            previous,
            items: n as u64,
            tally: self.tally(id)?,
            policy: serde_json::from_str(&policy).map_err(|e| corrupt("policy", e.to_string()))?,
            name,
        })
    }

    /// Counts by state, from the maintained tally (no scan of the items).
    pub fn tally(&self, campaign: CampaignId) -> Result<Tally> {
        tally(&self.conn, campaign)
    }

    /// Whether anything in the campaign was assigned or reassigned to
    /// `reviewer` (ignoring case), from the campaign's reviewers and its
    /// reassigned items rather than all its items (no index by assignee:
    /// every decision's commit would write it). Items since reassigned
    /// away still count: a queue that then turns out empty is the caller's
    /// to handle.
    pub fn assigned_anything(&self, campaign: CampaignId, reviewer: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM campaign_reviewer
                                WHERE campaign = ?1 AND reviewer = ?2 COLLATE NOCASE)
                     OR EXISTS (SELECT 1 FROM item_state
                                WHERE campaign = ?1 AND decision = 'reassign'
                                  AND assignee = ?2 COLLATE NOCASE)",
            )?
            .query_row(params![campaign, reviewer], |r| r.get(0))?)
    }
}

/// Counts by state, readable inside a write transaction too.
pub(super) fn tally(conn: &Connection, campaign: CampaignId) -> Result<Tally> {
    let mut tally = Tally::default();
    let mut stmt = conn.prepare_cached("SELECT state, n FROM tally WHERE campaign = ?1")?;
    let rows = stmt.query_map([campaign], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (state, n) = row?;
        let n = n.max(0) as u64;
        tally.total += n;
        match state.as_str() {
            "undecided" => tally.undecided = n,
            "attest" => tally.attested = n,
            "revoke" => tally.revoked = n,
            "exception" => tally.exception = n,
            "reassign" => tally.reassigned = n,
            _ => {}
        }
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use crate::domain::Decision;
    use crate::testing;

    #[test]
    fn whether_a_reviewer_has_anything_comes_from_assignments_and_reassignments() {
        let (mut store, campaign) = testing::sample_store();
        let item = testing::sample_item(&store, &campaign, 1);
        let reviewer = store
            .item_detail(campaign.id, crate::store::ItemId(item))
            .unwrap()
            .unwrap()
            .reviewer;
        assert!(store.assigned_anything(campaign.id, &reviewer).unwrap());
        assert!(
            store
                .assigned_anything(campaign.id, &reviewer.to_uppercase())
                .unwrap(),
            "ignoring case"
        );
        assert!(
            !store
                .assigned_anything(campaign.id, "newcomer@example.com")
                .unwrap()
        );
        testing::decide(
            &mut store,
            &campaign,
            &reviewer,
            item,
            Some(Decision::Reassign {
                to: "newcomer@example.com".into(),
            }),
            "moved to the new owner",
        );
        assert!(
            store
                .assigned_anything(campaign.id, "Newcomer@Example.com")
                .unwrap()
        );
        let other = testing::campaign(&mut store, "Q1", "2027-02-01");
        assert!(
            !store
                .assigned_anything(other.id, "newcomer@example.com")
                .unwrap(),
            "per campaign"
        );
    }
}
