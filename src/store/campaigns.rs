//! Campaigns: creating one freezes the in-scope grants as items, with the
//! evidence, insights, reviewer and risk order fixed at that moment.

use super::events::{ChainWriter, NewEvent, campaign_state};
use super::query::{Target, push_filters};
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

/// Frozen evidence on an item and where it comes from in the register
/// (`e` the grant, `idn` its identity). The same list drives the copy at
/// creation, the comparison with the previous campaign and the digest.
pub(crate) const EVIDENCE: [(&str, &str); 22] = [
    ("tenant", "idn.tenant"),
    ("identity_id", "idn.identity_id"),
    ("identity_name", "idn.name"),
    ("identity_kind", "idn.kind"),
    ("relationship", "idn.relationship"),
    ("organization", "idn.organization"),
    ("region", "idn.region"),
    ("sponsor", "idn.sponsor"),
    ("email", "idn.email"),
    ("system", "e.system"),
    ("environment", "e.environment"),
    ("entitlement_name", "e.name"),
    ("privileged", "e.privileged"),
    ("shared", "e.shared"),
    ("business_owner", "e.business_owner"),
    ("technical_owner", "e.technical_owner"),
    ("justification", "e.justification"),
    ("granted_at", "e.granted_at"),
    ("expires_at", "e.expires_at"),
    ("last_used_at", "e.last_used_at"),
    ("credential_rotated_at", "e.credential_rotated_at"),
    ("ticket", "e.ticket"),
];

/// What the insights read of each in-scope grant; far less than the
/// evidence, so the pass over a million rows stays light.
const INSIGHT_SELECT: &str = "SELECT e.id, idn.tenant, idn.identity_id, idn.email, idn.kind,
        idn.relationship, idn.sponsor, e.privileged, e.shared, e.business_owner,
        e.technical_owner, e.granted_at, e.expires_at, e.last_used_at, e.credential_rotated_at
    FROM entitlement e JOIN identity idn ON idn.id = e.identity
    WHERE e.removed_snapshot IS NULL";

/// What an item's insights saw beyond the grant itself; stored as JSON only
/// when there is something to say.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct ItemContext {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_tenants: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapsed_exception: Option<NaiveDate>,
}

/// The page cache campaign creation may use while it copies a million rows.
const CREATION_CACHE_KIB: i64 = 64 * 1024;

fn day(value: Option<&str>) -> Option<NaiveDate> {
    value.and_then(|s| Stamp::parse(s).ok()).map(|s| s.day())
}

/// Everything about the register that the insights need beyond one row.
struct Surroundings {
    /// Lower-cased identity id or e-mail → the tenants it holds access in,
    /// for people present in more than one.
    tenants_by_person: HashMap<String, BTreeSet<String>>,
    lapsed: HashMap<i64, NaiveDate>,
}

impl Surroundings {
    fn load(conn: &Connection, as_of: NaiveDate) -> Result<Surroundings> {
        let mut tenants_by_person: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut stmt = conn.prepare(
            "SELECT idn.tenant, idn.identity_id, idn.email FROM identity idn
             WHERE EXISTS (SELECT 1 FROM entitlement e
                           WHERE e.identity = idn.id AND e.removed_snapshot IS NULL)",
        )?;
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

        // An exception lapses when the latest campaign that reviewed the
        // grant left it as an exception whose end has passed.
        let mut lapsed = HashMap::new();
        let mut stmt = conn.prepare(
            "SELECT i.entitlement, s.exception_until FROM item i
             JOIN item_state s ON s.item = i.id
             WHERE s.decision = 'exception' AND s.exception_until < ?1
               AND i.id = (SELECT max(i2.id) FROM item i2 WHERE i2.entitlement = i.entitlement)",
        )?;
        let mut rows = stmt.query([as_of.to_string()])?;
        while let Some(row) = rows.next()? {
            let until: String = row.get(1)?;
            if let Ok(until) = crate::domain::date::parse_day(&until) {
                lapsed.insert(row.get(0)?, until);
            }
        }
        Ok(Surroundings {
            tenants_by_person,
            lapsed,
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

/// The SQL that copies the computed items, with their evidence, from the
/// register into `item`; built from the fixed column list. Rows go in
/// grant order, so that every lookup walks its table in order.
fn copy_items_sql() -> String {
    let columns: Vec<&str> = EVIDENCE.iter().map(|(c, _)| *c).collect();
    let sources: Vec<&str> = EVIDENCE.iter().map(|(_, s)| *s).collect();
    let same: Vec<String> = EVIDENCE
        .iter()
        .map(|(c, s)| format!("p.{c} IS {s}"))
        .collect();
    let changes: Vec<String> = EVIDENCE
        .iter()
        .map(|(c, s)| {
            format!(
                "CASE WHEN p.{c} IS NOT {s} THEN '{c}: ' || coalesce(p.{c}, '(none)') || ' → ' \
                 || coalesce({s}, '(none)') END"
            )
        })
        .collect();
    format!(
        "INSERT INTO item (campaign, entitlement, risk_rank, risk_score, reviewer, flags, context,
             recommendation, since, since_detail, previous_item, {columns})
         SELECT ?1, c.entitlement, c.rank, c.score, c.reviewer, c.flags, c.context, c.recommendation,
             CASE WHEN p.id IS NULL THEN 'new' WHEN {same} THEN 'unchanged' ELSE 'changed' END,
             CASE WHEN p.id IS NULL THEN NULL ELSE nullif(concat_ws('; ', {changes}), '') END,
             p.id, {sources}
         FROM temp.campaign_calc c
         JOIN entitlement e ON e.id = c.entitlement
         JOIN identity idn ON idn.id = e.identity
         LEFT JOIN item p ON p.entitlement = c.entitlement AND p.campaign = ?2
         ORDER BY c.entitlement",
        columns = columns.join(", "),
        same = same.join(" AND "),
        changes = changes.join(", "),
        sources = sources.join(", "),
    )
}

/// SHA-256 over a campaign's frozen items in the order they were written: what the item
/// says about the grant, its insights and its reviewer. Recorded in the
/// `campaign_created` event, recomputed by verification.
pub(crate) fn items_digest(conn: &Connection, campaign: CampaignId) -> Result<String> {
    let columns: Vec<&str> = EVIDENCE.iter().map(|(c, _)| *c).collect();
    let sql = format!(
        "SELECT entitlement, risk_rank, risk_score, reviewer, flags, context, recommendation,
             since, since_detail, previous_item, {}
         FROM item WHERE campaign = ?1 ORDER BY id",
        columns.join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let width = stmt.column_count();
    let mut rows = stmt.query([campaign])?;
    let mut digest = Sha256::new();
    while let Some(row) = rows.next()? {
        for i in 0..width {
            // Tag and length before every value: no two rows encode alike.
            match row.get_ref(i)? {
                ValueRef::Null => digest.update(b"n"),
                ValueRef::Integer(n) => {
                    digest.update(b"i");
                    digest.update(n.to_le_bytes());
                }
                ValueRef::Real(f) => {
                    digest.update(b"r");
                    digest.update(f.to_le_bytes());
                }
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    digest.update(b"t");
                    digest.update((t.len() as u64).to_le_bytes());
                    digest.update(t);
                }
            }
        }
    }
    Ok(audit::hex(&digest.finalize()))
}

/// Assesses every in-scope grant into `temp.campaign_calc` (flags, score,
/// recommendation, reviewer, context); returns how many.
fn compute_items(conn: &Connection, spec: &NewCampaign, around: &Surroundings) -> Result<u64> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS campaign_calc (
             entitlement INTEGER PRIMARY KEY, score INTEGER NOT NULL, flags INTEGER NOT NULL,
             recommendation TEXT NOT NULL, reviewer TEXT NOT NULL, context TEXT,
             rank INTEGER);
         DELETE FROM temp.campaign_calc;",
    )?;
    let mut sql = INSIGHT_SELECT.to_string();
    let mut values = Vec::new();
    push_filters(&spec.scope, Target::Register, &mut sql, &mut values).map_err(|field| {
        StoreError::Invalid(format!(
            "--where {field}: a campaign's scope can only use register fields"
        ))
    })?;
    let mut select = conn.prepare(&sql)?;
    let mut insert = conn.prepare(
        "INSERT INTO temp.campaign_calc (entitlement, score, flags, recommendation, reviewer, context)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut rows = select.query(params_from_iter(values))?;
    let mut count = 0u64;
    while let Some(row) = rows.next()? {
        let entitlement: i64 = row.get(0)?;
        let text = |i: usize| -> Result<Option<&str>> { Ok(row.get_ref(i)?.as_str_or_null()?) };
        let tenant = text(1)?.unwrap_or_default();
        let identity_id = text(2)?.unwrap_or_default();
        let email = text(3)?;
        let sponsor = text(6)?;
        let reviewer = spec.reviewer_rule.pick(sponsor, text(9)?, text(10)?, &spec.owner);
        let context = ItemContext {
            other_tenants: around.other_tenants(tenant, identity_id, email),
            lapsed_exception: around.lapsed.get(&entitlement).copied(),
        };
        let subject = Subject {
            identity_id,
            email,
            kind: text(4)?
                .and_then(|k| k.parse().ok())
                .unwrap_or(crate::domain::IdentityKind::Human),
            relationship: text(5)?
                .and_then(|r| r.parse().ok())
                .unwrap_or(crate::domain::Relationship::Unknown),
            sponsor,
            privileged: row.get::<_, bool>(7)?,
            shared: row.get::<_, bool>(8)?,
            granted_at: day(text(11)?),
            expires_at: day(text(12)?),
            last_used_at: day(text(13)?),
            credential_rotated_at: day(text(14)?),
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
        let context = (context != ItemContext::default())
            .then(|| serde_json::to_string(&context).unwrap_or_default());
        insert.execute(params![
            entitlement,
            score,
            i64::from(flags.bits()),
            recommendation.as_str(),
            reviewer,
            context
        ])?;
        count += 1;
    }
    // The queue order: riskiest first, then in grant order.
    conn.execute_batch(
        "UPDATE temp.campaign_calc SET rank = ranked.rank
         FROM (SELECT entitlement AS id,
                      row_number() OVER (ORDER BY score DESC, entitlement) - 1 AS rank
               FROM temp.campaign_calc) AS ranked
         WHERE campaign_calc.entitlement = ranked.id",
    )?;
    Ok(count)
}

impl Store {
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
            let around = Surroundings::load(tx, spec.as_of)?;
            let count = compute_items(tx, spec, &around)?;

            let policy_json = serde_json::to_string(&spec.policy)
                .map_err(|e| StoreError::Corrupt(format!("policy: {e}")))?;
            tx.execute(
                "INSERT INTO campaign (name, created_at, owner, as_of, due, scope, reviewer_rule,
                     on_close, previous, policy, item_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
                    count as i64,
                ],
            )?;
            let campaign = CampaignId(tx.last_insert_rowid());
            tx.execute(
                &copy_items_sql(),
                params![campaign, previous.as_ref().map(|p| p.0)],
            )?;
            tx.execute("DELETE FROM temp.campaign_calc", [])?;
            tx.execute(
                "INSERT INTO tally (campaign, state, n) VALUES (?1, 'undecided', ?2)",
                params![campaign, count as i64],
            )?;
            let body = serde_json::json!({
                "name": spec.name,
                "due": spec.due.to_string(),
                "as_of": spec.as_of.to_string(),
                "scope": scope,
                "reviewer_rule": spec.reviewer_rule.to_string(),
                "on_close": spec.on_close.as_str(),
                "previous": previous.as_ref().map(|p| &p.1),
                "items": count,
                "items_sha256": items_digest(tx, campaign)?,
                "policy": spec.policy,
            });
            tx.pragma_update(None, "cache_size", -2000)?;
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
        let mut tally = Tally::default();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, n FROM tally WHERE campaign = ?1")?;
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
}
