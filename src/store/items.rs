//! Reading a campaign's items: keyset pages in risk order for the queue
//! (never OFFSET, never the whole campaign in memory), one item's full
//! evidence and history, and a streaming walk for listings and reports.

use super::events::DecisionBody;
use super::query::{Target, like_pattern, push_filters};
use super::{CampaignId, EventSeq, ItemId, Result, Store, StoreError};
use crate::domain::insight::Finding;
use crate::domain::{DecisionKind, Filter, FlagSet, Recommendation};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};

/// Which items of a campaign to show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemQuery {
    pub campaign: CampaignId,
    pub filters: Vec<Filter>,
    /// Matched anywhere in identity, organization, system, entitlement or notes.
    pub search: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageDirection {
    /// Ascending risk rank from the anchor.
    Forward,
    /// Descending risk rank from the anchor (returned in ascending order).
    Backward,
}

/// One item as the queue, listings and reports show it, with the decision
/// in force.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemRow {
    pub id: ItemId,
    pub rank: i64,
    pub score: i64,
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
    /// Who the item waits for now (the reviewer, or whom it was reassigned to).
    pub assignee: String,
    pub flags: FlagSet,
    pub recommendation: Recommendation,
    pub decision: Option<DecisionKind>,
    /// The item's latest event, for detecting concurrent changes.
    pub last_event: Option<EventSeq>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub note: Option<String>,
    pub exception_until: Option<String>,
    pub exception_ticket: Option<String>,
    pub since: String,
}

const ROW_SELECT: &str = "SELECT i.id, i.risk_rank, i.risk_score, i.tenant, i.identity_id,
        i.identity_name, i.identity_kind, i.relationship, i.organization, i.system,
        i.environment, i.entitlement_name, i.privileged, coalesce(s.assignee, i.reviewer),
        i.flags, i.recommendation, s.decision, s.last_event, d.actor, d.at, d.note,
        s.exception_until, d.body, i.since
    FROM item i
    LEFT JOIN item_state s ON s.item = i.id
    LEFT JOIN event d ON d.seq = s.decided_event
    WHERE i.campaign = ?";

fn read_row(row: &Row<'_>) -> rusqlite::Result<ItemRow> {
    let body: Option<String> = row.get(22)?;
    let exception_ticket = body
        .and_then(|b| serde_json::from_str::<DecisionBody>(&b).ok())
        .and_then(|b| b.ticket);
    Ok(ItemRow {
        id: row.get(0)?,
        rank: row.get(1)?,
        score: row.get(2)?,
        tenant: row.get(3)?,
        identity_id: row.get(4)?,
        identity_name: row.get(5)?,
        kind: row.get(6)?,
        relationship: row.get(7)?,
        organization: row.get(8)?,
        system: row.get(9)?,
        environment: row.get(10)?,
        entitlement: row.get(11)?,
        privileged: row.get(12)?,
        assignee: row.get(13)?,
        flags: FlagSet::from_bits(row.get::<_, i64>(14)? as u32),
        recommendation: row
            .get::<_, String>(15)?
            .parse()
            .unwrap_or(Recommendation::ReviewWithCare),
        decision: row
            .get::<_, Option<String>>(16)?
            .and_then(|d| d.parse().ok()),
        last_event: row.get(17)?,
        decided_by: row.get(18)?,
        decided_at: row.get(19)?,
        note: row.get(20)?,
        exception_until: row.get(21)?,
        exception_ticket,
        since: row.get(23)?,
    })
}

/// The WHERE clause (after the campaign) and its values for a query.
pub(super) fn conditions(query: &ItemQuery) -> Result<(String, Vec<Value>)> {
    let mut sql = String::new();
    let mut values = vec![Value::Integer(query.campaign.0)];
    push_filters(&query.filters, Target::Items, &mut sql, &mut values)
        .map_err(|field| StoreError::Invalid(format!("cannot filter items by {field}")))?;
    if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
        sql.push_str(
            " AND (i.identity_name LIKE ? ESCAPE '\\' OR i.identity_id LIKE ? ESCAPE '\\'
               OR i.organization LIKE ? ESCAPE '\\' OR i.system LIKE ? ESCAPE '\\'
               OR i.entitlement_name LIKE ? ESCAPE '\\'
               OR EXISTS (SELECT 1 FROM event n WHERE n.item = i.id
                          AND n.note LIKE ? ESCAPE '\\'))",
        );
        let pattern = Value::Text(like_pattern(search));
        values.extend(std::iter::repeat_n(pattern, 6));
    }
    Ok((sql, values))
}

/// One entry of an item's decision history.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryEntry {
    pub seq: EventSeq,
    pub kind: String,
    pub actor: String,
    pub at: String,
    pub note: Option<String>,
    pub until: Option<String>,
    pub ticket: Option<String>,
    pub to: Option<String>,
    pub undoes: Option<i64>,
    pub bulk: bool,
    pub self_review: bool,
}

/// The same grant's outcome in an earlier campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct EarlierDecision {
    pub campaign: String,
    pub item: ItemId,
    pub decision: Option<DecisionKind>,
    pub actor: Option<String>,
    pub at: Option<String>,
    pub note: Option<String>,
}

/// Everything known about one item.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemDetail {
    pub row: ItemRow,
    pub reviewer: String,
    pub region: Option<String>,
    pub sponsor: Option<String>,
    pub email: Option<String>,
    pub shared: bool,
    pub business_owner: Option<String>,
    pub technical_owner: Option<String>,
    pub justification: Option<String>,
    pub granted_at: Option<String>,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub credential_rotated_at: Option<String>,
    pub ticket: Option<String>,
    pub findings: Vec<Finding>,
    pub since_detail: Option<String>,
    pub history: Vec<HistoryEntry>,
    pub earlier: Vec<EarlierDecision>,
}

impl Store {
    /// Up to `limit` items from `anchor` (a risk rank; `None` is the start
    /// for `Forward` and the end for `Backward`), in ascending rank order.
    /// With `inclusive` the anchor itself may be returned.
    pub fn page(
        &self,
        query: &ItemQuery,
        anchor: Option<i64>,
        direction: PageDirection,
        inclusive: bool,
        limit: usize,
    ) -> Result<Vec<ItemRow>> {
        let (conds, mut values) = conditions(query)?;
        let mut sql = format!("{ROW_SELECT}{conds}");
        if let Some(rank) = anchor {
            sql.push_str(match (direction, inclusive) {
                (PageDirection::Forward, true) => " AND i.risk_rank >= ?",
                (PageDirection::Forward, false) => " AND i.risk_rank > ?",
                (PageDirection::Backward, true) => " AND i.risk_rank <= ?",
                (PageDirection::Backward, false) => " AND i.risk_rank < ?",
            });
            values.push(Value::Integer(rank));
        }
        sql.push_str(match direction {
            PageDirection::Forward => " ORDER BY i.risk_rank ASC LIMIT ?",
            PageDirection::Backward => " ORDER BY i.risk_rank DESC LIMIT ?",
        });
        values.push(Value::Integer(limit as i64));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows: Vec<ItemRow> = stmt
            .query_map(params_from_iter(values), read_row)?
            .collect::<rusqlite::Result<_>>()?;
        if direction == PageDirection::Backward {
            rows.reverse();
        }
        Ok(rows)
    }

    /// Walks every matching item in risk order without holding them all.
    pub fn for_each_item(
        &self,
        query: &ItemQuery,
        mut visit: impl FnMut(&ItemRow) -> std::result::Result<(), Box<dyn std::error::Error>>,
    ) -> Result<()> {
        let (conds, values) = conditions(query)?;
        let sql = format!("{ROW_SELECT}{conds} ORDER BY i.risk_rank");
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(values))?;
        while let Some(row) = rows.next()? {
            let item = read_row(row)?;
            visit(&item).map_err(|e| StoreError::Invalid(e.to_string()))?;
        }
        Ok(())
    }

    /// How many items match; a scan, so not for every frame.
    pub fn count_items(&self, query: &ItemQuery) -> Result<u64> {
        let (conds, values) = conditions(query)?;
        let sql = format!(
            "SELECT count(*) FROM item i LEFT JOIN item_state s ON s.item = i.id
             WHERE i.campaign = ?{conds}"
        );
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(values), |r| r.get(0))?;
        Ok(n as u64)
    }

    /// One item of a campaign, as the queue shows it.
    pub fn item_row(&self, campaign: CampaignId, item: ItemId) -> Result<Option<ItemRow>> {
        let sql = format!("{ROW_SELECT} AND i.id = ?");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![campaign, item], read_row)
            .optional()?)
    }

    pub fn item_detail(&self, campaign: CampaignId, item: ItemId) -> Result<Option<ItemDetail>> {
        let Some(row) = self.item_row(campaign, item)? else {
            return Ok(None);
        };
        let extra = self
            .conn
            .prepare_cached(
                "SELECT reviewer, region, sponsor, email, shared, business_owner, technical_owner,
                    justification, granted_at, expires_at, last_used_at, credential_rotated_at,
                    ticket, findings, since_detail, entitlement
             FROM item WHERE id = ?1",
            )?
            .query_row([item], |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ),
                    (
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, Option<String>>(10)?,
                        r.get::<_, Option<String>>(11)?,
                        r.get::<_, Option<String>>(12)?,
                        r.get::<_, String>(13)?,
                        r.get::<_, Option<String>>(14)?,
                        r.get::<_, i64>(15)?,
                    ),
                ))
            })?;
        let (
            (
                reviewer,
                region,
                sponsor,
                email,
                shared,
                business_owner,
                technical_owner,
                justification,
            ),
            (
                granted_at,
                expires_at,
                last_used_at,
                rotated,
                ticket,
                findings,
                since_detail,
                entitlement,
            ),
        ) = extra;
        let findings: Vec<Finding> = serde_json::from_str(&findings)
            .map_err(|e| StoreError::Corrupt(format!("item {item} findings: {e}")))?;
        Ok(Some(ItemDetail {
            history: self.item_events(item)?,
            earlier: self.earlier_decisions(campaign, entitlement)?,
            row,
            reviewer,
            region,
            sponsor,
            email,
            shared,
            business_owner,
            technical_owner,
            justification,
            granted_at,
            expires_at,
            last_used_at,
            credential_rotated_at: rotated,
            ticket,
            findings,
            since_detail,
        }))
    }

    /// An item's events, oldest first.
    pub fn item_events(&self, item: ItemId) -> Result<Vec<HistoryEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, actor, at, note, body FROM event WHERE item = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([item], |r| {
            let body: String = r.get(5)?;
            let body: DecisionBody = serde_json::from_str(&body).unwrap_or_default();
            Ok(HistoryEntry {
                seq: r.get(0)?,
                kind: r.get(1)?,
                actor: r.get(2)?,
                at: r.get(3)?,
                note: r.get(4)?,
                until: body.until.map(|d| d.to_string()),
                ticket: body.ticket,
                to: body.to,
                undoes: body.undoes,
                bulk: body.bulk,
                self_review: body.self_review,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn earlier_decisions(
        &self,
        campaign: CampaignId,
        entitlement: i64,
    ) -> Result<Vec<EarlierDecision>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.name, p.id, s.decision, d.actor, d.at, d.note
             FROM item p JOIN campaign c ON c.id = p.campaign
             LEFT JOIN item_state s ON s.item = p.id
             LEFT JOIN event d ON d.seq = s.decided_event
             WHERE p.entitlement = ?1 AND p.campaign < ?2
             ORDER BY p.campaign DESC LIMIT 10",
        )?;
        let rows = stmt.query_map(params![entitlement, campaign], |r| {
            Ok(EarlierDecision {
                campaign: r.get(0)?,
                item: r.get(1)?,
                decision: r.get::<_, Option<String>>(2)?.and_then(|d| d.parse().ok()),
                actor: r.get(3)?,
                at: r.get(4)?,
                note: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
