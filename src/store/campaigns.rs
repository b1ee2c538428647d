//! Campaigns: creating one freezes the in-scope grants as items, with the
//! evidence, insights, reviewer and risk order fixed at that moment.

use super::events::{ChainWriter, NewEvent, campaign_state};
use super::query::{Target, push_filters};
use super::{CampaignId, Result, Store, StoreError};
use crate::audit;
use crate::domain::insight::{Assessment, Context, Subject, assess};
use crate::domain::{CampaignState, Filter, OnClose, Policy, ReviewerRule, Stamp};
use chrono::NaiveDate;
use rusqlite::types::Value;
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

/// Frozen evidence columns of an item, in the order the register query
/// selects them; the same list drives the insert, the comparison with the
/// previous campaign and the campaign's digest.
pub(super) const EVIDENCE: [&str; 22] = [
    "tenant",
    "identity_id",
    "identity_name",
    "identity_kind",
    "relationship",
    "organization",
    "region",
    "sponsor",
    "email",
    "system",
    "environment",
    "entitlement_name",
    "privileged",
    "shared",
    "business_owner",
    "technical_owner",
    "justification",
    "granted_at",
    "expires_at",
    "last_used_at",
    "credential_rotated_at",
    "ticket",
];

const REGISTER_SELECT: &str = "SELECT e.id, idn.tenant, idn.identity_id, idn.name, idn.kind,
        idn.relationship, idn.organization, idn.region, idn.sponsor, idn.email, e.system,
        e.environment, e.name, e.privileged, e.shared, e.business_owner, e.technical_owner,
        e.justification, e.granted_at, e.expires_at, e.last_used_at, e.credential_rotated_at,
        e.ticket
    FROM entitlement e JOIN identity idn ON idn.id = e.identity
    WHERE e.removed_snapshot IS NULL";

/// Column positions within `EVIDENCE`.
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
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

fn day(v: &Value) -> Option<NaiveDate> {
    text(v).and_then(|s| Stamp::parse(s).ok()).map(|s| s.day())
}

fn flag(v: &Value) -> bool {
    matches!(v, Value::Integer(n) if *n != 0)
}

/// Everything about the register that the insights need beyond one row.
struct Surroundings {
    tenants_by_person: HashMap<String, BTreeSet<String>>,
    lapsed: HashMap<i64, NaiveDate>,
}

impl Surroundings {
    fn load(conn: &Connection, as_of: NaiveDate) -> Result<Surroundings> {
        let mut tenants_by_person: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut stmt = conn.prepare(
            "SELECT DISTINCT idn.tenant, idn.identity_id, idn.email
             FROM identity idn JOIN entitlement e ON e.identity = idn.id
             WHERE e.removed_snapshot IS NULL",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let tenant: String = row.get(0)?;
            let id: String = row.get(1)?;
            let email: Option<String> = row.get(2)?;
            for key in std::iter::once(id).chain(email) {
                tenants_by_person
                    .entry(key.to_lowercase())
                    .or_default()
                    .insert(tenant.clone());
            }
        }
        tenants_by_person.retain(|_, tenants| tenants.len() > 1);

        // An exception lapses when the latest campaign that decided on the
        // grant left it as an exception whose end has passed (a campaign
        // still waiting on the grant does not supersede it).
        let mut lapsed = HashMap::new();
        let mut stmt = conn.prepare(
            "SELECT i.entitlement, s.exception_until FROM item i
             JOIN item_state s ON s.item = i.id
             WHERE s.decision = 'exception' AND s.exception_until < ?1
               AND i.id = (SELECT max(i2.id) FROM item i2 JOIN item_state s2 ON s2.item = i2.id
                           WHERE i2.entitlement = i.entitlement
                             AND s2.decision IN ('attest', 'revoke', 'exception'))",
        )?;
        let mut rows = stmt.query([as_of.to_string()])?;
        while let Some(row) = rows.next()? {
            let until: String = row.get(1)?;
            if let Ok(until) = NaiveDate::parse_from_str(&until, "%Y-%m-%d") {
                lapsed.insert(row.get(0)?, until);
            }
        }
        Ok(Surroundings {
            tenants_by_person,
            lapsed,
        })
    }

    fn other_tenants(&self, evidence: &[Value]) -> Vec<String> {
        let own = text(&evidence[at::TENANT]).unwrap_or_default();
        let mut others = BTreeSet::new();
        let keys = [&evidence[at::IDENTITY_ID], &evidence[at::EMAIL]];
        for key in keys.into_iter().filter_map(text) {
            if let Some(tenants) = self.tenants_by_person.get(&key.to_lowercase()) {
                others.extend(tenants.iter().filter(|t| *t != own).cloned());
            }
        }
        others.into_iter().collect()
    }
}

/// Assesses one register row for a campaign.
fn assess_row(
    spec: &NewCampaign,
    around: &Surroundings,
    entitlement: i64,
    evidence: &[Value],
) -> (String, Assessment) {
    let reviewer = spec
        .reviewer_rule
        .pick(
            text(&evidence[at::SPONSOR]),
            text(&evidence[at::BUSINESS_OWNER]),
            text(&evidence[at::TECHNICAL_OWNER]),
            &spec.owner,
        )
        .to_string();
    let subject = Subject {
        identity_id: text(&evidence[at::IDENTITY_ID]).unwrap_or_default(),
        email: text(&evidence[at::EMAIL]),
        kind: text(&evidence[at::KIND])
            .and_then(|k| k.parse().ok())
            .unwrap_or(crate::domain::IdentityKind::Human),
        relationship: text(&evidence[at::RELATIONSHIP])
            .and_then(|r| r.parse().ok())
            .unwrap_or(crate::domain::Relationship::Unknown),
        sponsor: text(&evidence[at::SPONSOR]),
        privileged: flag(&evidence[at::PRIVILEGED]),
        shared: flag(&evidence[at::SHARED]),
        granted_at: day(&evidence[at::GRANTED]),
        expires_at: day(&evidence[at::EXPIRES]),
        last_used_at: day(&evidence[at::LAST_USED]),
        credential_rotated_at: day(&evidence[at::ROTATED]),
    };
    let others = around.other_tenants(evidence);
    let ctx = Context {
        today: spec.as_of,
        policy: &spec.policy,
        reviewer: &reviewer,
        other_tenants: &others,
        lapsed_exception: around.lapsed.get(&entitlement).copied(),
    };
    let assessment = assess(&subject, &ctx);
    (reviewer, assessment)
}

/// Walks the in-scope register rows in a fixed order.
fn scan_scope(
    conn: &Connection,
    scope: &[Filter],
    mut visit: impl FnMut(i64, &[Value]) -> Result<()>,
) -> Result<()> {
    let mut sql = REGISTER_SELECT.to_string();
    let mut values = Vec::new();
    push_filters(scope, Target::Register, &mut sql, &mut values).map_err(|field| {
        StoreError::Invalid(format!(
            "--where {field}: a campaign's scope can only use register fields"
        ))
    })?;
    sql.push_str(" ORDER BY e.id");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    let mut evidence: Vec<Value> = Vec::with_capacity(EVIDENCE.len());
    while let Some(row) = rows.next()? {
        evidence.clear();
        for i in 1..=EVIDENCE.len() {
            evidence.push(row.get::<_, Value>(i)?);
        }
        visit(row.get(0)?, &evidence)?;
    }
    Ok(())
}

fn describe_change(field: &str, before: &Value, after: &Value) -> String {
    let show = |v: &Value| match v {
        Value::Null => "(none)".to_string(),
        Value::Integer(n) => n.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(s) => s.clone(),
        Value::Blob(_) => "(binary)".to_string(),
    };
    format!("{field}: {} → {}", show(before), show(after))
}

pub(super) fn json_of(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Integer(n) => (*n).into(),
        Value::Real(f) => (*f).into(),
        Value::Text(s) => s.as_str().into(),
        Value::Blob(b) => audit::hex(b).into(),
    }
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
            let around = Surroundings::load(tx, spec.as_of)?;

            // Pass one ranks: the queue order is by risk, then by grant.
            let mut scores: Vec<(i64, u32)> = Vec::new();
            scan_scope(tx, &spec.scope, |entitlement, evidence| {
                let (_, assessment) = assess_row(spec, &around, entitlement, evidence);
                scores.push((assessment.score, scores.len() as u32));
                Ok(())
            })?;
            let mut order: Vec<u32> = (0..scores.len() as u32).collect();
            order.sort_by_key(|&i| (-scores[i as usize].0, i));
            let mut rank = vec![0u32; scores.len()];
            for (position, &i) in order.iter().enumerate() {
                rank[i as usize] = position as u32;
            }
            drop(order);
            drop(scores);

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
                    rank.len() as i64,
                ],
            )?;
            let campaign = CampaignId(tx.last_insert_rowid());

            // Pass two writes the items, in the same order as pass one.
            let insert_sql = format!(
                "INSERT INTO item (campaign, entitlement, risk_rank, risk_score, reviewer, flags,
                     findings, recommendation, since, since_detail, previous_item, {})
                 VALUES ({})",
                EVIDENCE.join(", "),
                (1..=11 + EVIDENCE.len())
                    .map(|n| format!("?{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let previous_sql = format!(
                "SELECT id, {} FROM item WHERE entitlement = ?1 AND campaign = ?2",
                EVIDENCE.join(", ")
            );
            let mut insert = tx.prepare(&insert_sql)?;
            let mut find_previous = tx.prepare(&previous_sql)?;
            let mut digest = Sha256::new();
            let mut position = 0usize;
            scan_scope(tx, &spec.scope, |entitlement, evidence| {
                let (reviewer, assessment) = assess_row(spec, &around, entitlement, evidence);
                let earlier: Option<(i64, Vec<Value>)> = match &previous {
                    Some((prev, _)) => find_previous
                        .query_row(params![entitlement, prev], |row| {
                            let mut values = Vec::with_capacity(EVIDENCE.len());
                            for i in 1..=EVIDENCE.len() {
                                values.push(row.get::<_, Value>(i)?);
                            }
                            Ok((row.get(0)?, values))
                        })
                        .optional()?,
                    None => None,
                };
                let (since, since_detail, previous_item) = match earlier {
                    None => ("new", None, None),
                    Some((id, before)) => {
                        let changes: Vec<String> = EVIDENCE
                            .iter()
                            .zip(before.iter().zip(evidence))
                            .filter(|(_, (b, a))| b != a)
                            .map(|(field, (b, a))| describe_change(field, b, a))
                            .collect();
                        if changes.is_empty() {
                            ("unchanged", None, Some(id))
                        } else {
                            ("changed", Some(changes.join("; ")), Some(id))
                        }
                    }
                };
                let findings = serde_json::to_string(&assessment.findings).unwrap_or_default();
                let mut values: Vec<Value> = vec![
                    Value::Integer(campaign.0),
                    Value::Integer(entitlement),
                    Value::Integer(i64::from(rank[position])),
                    Value::Integer(assessment.score),
                    Value::Text(reviewer),
                    Value::Integer(i64::from(assessment.flags.bits())),
                    Value::Text(findings),
                    Value::Text(assessment.recommendation.as_str().to_string()),
                    Value::Text(since.to_string()),
                    since_detail.map_or(Value::Null, Value::Text),
                    previous_item.map_or(Value::Null, Value::Integer),
                ];
                values.extend(evidence.iter().cloned());
                let line: Vec<serde_json::Value> = values[1..].iter().map(json_of).collect();
                digest.update(serde_json::Value::Array(line).to_string().as_bytes());
                digest.update(b"\n");
                insert.execute(params_from_iter(values))?;
                position += 1;
                Ok(())
            })?;
            drop(insert);
            drop(find_previous);
            tx.execute(
                "INSERT INTO tally (campaign, state, n) VALUES (?1, 'undecided', ?2)",
                params![campaign, rank.len() as i64],
            )?;
            let body = serde_json::json!({
                "name": spec.name,
                "due": spec.due.to_string(),
                "as_of": spec.as_of.to_string(),
                "scope": scope,
                "reviewer_rule": spec.reviewer_rule.to_string(),
                "on_close": spec.on_close.as_str(),
                "previous": previous.as_ref().map(|p| &p.1),
                "items": rank.len(),
                "items_sha256": audit::hex(&digest.finalize()),
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
