//! Reading a campaign's items: keyset pages in risk order for the queue
//! (never OFFSET, never the whole campaign in memory), one item's full
//! evidence and history, and a streaming walk for listings. Each item is
//! the one row model of `row.rs`.

use super::campaigns::{EVIDENCE, ItemContext, item_range};
use super::effective::{
    EFFECTIVE_BUSINESS_OWNER, EFFECTIVE_EMAIL, EFFECTIVE_SPONSOR, EFFECTIVE_TECHNICAL_OWNER,
};

/// Which of an item's fields the identity register supplied (the source
/// left them unknown), as a comma-separated list or NULL.
const REGISTER_SUPPLIED: &str = "nullif(concat_ws(',',
        CASE WHEN idn.relationship = 'unknown' AND r.relationship IS NOT NULL
             THEN 'relationship' END,
        CASE WHEN idn.organization IS NULL AND r.organization IS NOT NULL
             THEN 'organization' END,
        CASE WHEN idn.sponsor IS NULL AND r.sponsor IS NOT NULL THEN 'sponsor' END,
        CASE WHEN idn.email IS NULL AND r.email IS NOT NULL THEN 'email' END,
        CASE WHEN e.business_owner IS NULL AND r.business_owner IS NOT NULL
             THEN 'business_owner' END,
        CASE WHEN e.technical_owner IS NULL AND r.technical_owner IS NOT NULL
             THEN 'technical_owner' END,
        CASE WHEN r.contract_end IS NOT NULL THEN 'contract_end' END), '')";
use super::bodies::BodyMemo;
use super::events::DecisionBody;
use super::query::{Target, like_pattern, push_filters};
use super::row::{ITEM_JOINS, ItemRow, ItemView, VersionLookup, collect_rows, select, walk};
use super::{CampaignId, EventSeq, ItemId, Result, Store, StoreError};
use crate::domain::insight::Finding;
use crate::domain::{DecisionKind, Filter, Policy};
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

/// Whether the campaign whose first item is `first` froze each item's
/// relationship: created since schema 5, it did for every item.
pub(super) fn relationship_frozen(conn: &rusqlite::Connection, first: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT relationship IS NOT NULL FROM item WHERE id = ?1")?
        .query_row([first], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// The WHERE clause (after the campaign) and its values for a query.
pub(super) fn conditions(
    conn: &rusqlite::Connection,
    query: &ItemQuery,
) -> Result<(String, Vec<Value>)> {
    let (first, last) = item_range(conn, query.campaign)?;
    let mut sql = String::new();
    let mut values = vec![Value::Integer(first), Value::Integer(last)];
    let target = Target::Items {
        relationship_frozen: relationship_frozen(conn, first)?,
    };
    push_filters(&query.filters, target, &mut sql, &mut values)
        .map_err(|field| StoreError::Invalid(format!("cannot filter items by {field}")))?;
    if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
        sql.push_str(
            " AND (idn.name LIKE ? ESCAPE '\\' OR idn.identity_id LIKE ? ESCAPE '\\'
               OR idn.organization LIKE ? ESCAPE '\\' OR e.system LIKE ? ESCAPE '\\'
               OR e.name LIKE ? ESCAPE '\\'
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
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EarlierDecision {
    pub campaign: String,
    pub item: ItemId,
    /// The decision in force there (`None`: nobody decided).
    pub decision: Option<DecisionKind>,
    /// Who the item was waiting for there (its reviewer, or whom it was
    /// reassigned to).
    pub reviewer: String,
    /// Who recorded the decision in force, when, and with what note.
    pub actor: Option<String>,
    pub at: Option<String>,
    pub note: Option<String>,
    /// The decision was the campaign's close action, not a review.
    pub close_action: bool,
}

const EARLIER_SELECT: &str = "SELECT c.name, p.id, s.decision, coalesce(s.assignee, p.reviewer),
        d.actor, d.at, d.note, coalesce(json_extract(d.body, '$.close_action') IS NOT NULL, 0)
    FROM item p JOIN campaign c ON c.id = p.campaign
    LEFT JOIN item_state s ON s.item = p.id
    LEFT JOIN event d ON d.seq = s.decided_event";

fn read_earlier(r: &Row<'_>) -> rusqlite::Result<EarlierDecision> {
    Ok(EarlierDecision {
        campaign: r.get(0)?,
        item: r.get(1)?,
        decision: r.get::<_, Option<String>>(2)?.and_then(|d| d.parse().ok()),
        reviewer: r.get(3)?,
        actor: r.get(4)?,
        at: r.get(5)?,
        note: r.get(6)?,
        close_action: r.get(7)?,
    })
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
    /// `Some(false)` when the source reported the account disabled.
    pub active: Option<bool>,
    /// When the identity's contract ends, from the identity register.
    pub contract_end: Option<String>,
    /// Fields whose value came from the identity register rather than the
    /// source (e.g. `relationship`, `sponsor`, `contract_end`).
    pub register_fields: Vec<String>,
    pub history: Vec<HistoryEntry>,
    /// The outcome in the previous campaign of the same scope, which an
    /// unchanged item can usually repeat.
    pub previous: Option<EarlierDecision>,
    /// Outcomes in earlier campaigns of any scope, latest first.
    pub earlier: Vec<EarlierDecision>,
    /// The entitlement catalog's entry, as the item saw it.
    pub catalog: Option<super::CatalogView>,
    /// The partner tier, from the identity register.
    pub tier: Option<String>,
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
        let (conds, mut values) = conditions(&self.conn, query)?;
        let mut sql = format!("{}{conds}", select(VersionLookup::Joined));
        // Ranks are ids within the campaign's range, so the anchor narrows
        // the range itself: SQLite seeks on one bound per side, and a
        // separate `i.id > ?` would leave it scanning from the campaign's
        // first item.
        if let (Some(rank), [Value::Integer(first), Value::Integer(last), ..]) =
            (anchor, values.as_mut_slice())
        {
            let at = *first + rank;
            match (direction, inclusive) {
                (PageDirection::Forward, true) => *first = at.max(*first),
                (PageDirection::Forward, false) => *first = (at + 1).max(*first),
                (PageDirection::Backward, true) => *last = at.min(*last),
                (PageDirection::Backward, false) => *last = (at - 1).min(*last),
            }
        }
        // The limit is written into the SQL: SQLite re-prepares a statement
        // with a bound LIMIT every time it runs, which cost more than the
        // page itself.
        sql.push_str(match direction {
            PageDirection::Forward => " ORDER BY i.id ASC LIMIT ",
            PageDirection::Backward => " ORDER BY i.id DESC LIMIT ",
        });
        sql.push_str(&limit.to_string());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = collect_rows(&mut stmt, params_from_iter(values))?;
        if direction == PageDirection::Backward {
            rows.reverse();
        }
        Ok(rows)
    }

    /// Walks every matching item in risk order without holding them all.
    pub fn for_each_item(
        &self,
        query: &ItemQuery,
        mut visit: impl FnMut(&ItemView<'_>) -> std::result::Result<(), Box<dyn std::error::Error>>,
    ) -> Result<()> {
        let (conds, values) = conditions(&self.conn, query)?;
        let sql = format!("{}{conds} ORDER BY i.id", select(VersionLookup::Joined));
        let mut stmt = self.conn.prepare(&sql)?;
        let mut bodies = BodyMemo::default();
        walk(
            &mut stmt,
            params_from_iter(values),
            VersionLookup::Joined,
            &mut bodies,
            |item| visit(item).map_err(|e| StoreError::from_output(&*e)),
        )
    }

    /// How many items match; a scan, so not for every frame.
    pub fn count_items(&self, query: &ItemQuery) -> Result<u64> {
        let (conds, values) = conditions(&self.conn, query)?;
        let sql =
            format!("SELECT count(*) FROM item i{ITEM_JOINS} WHERE i.id BETWEEN ? AND ?{conds}");
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(values), |r| r.get(0))?;
        Ok(n as u64)
    }

    /// One item of a campaign, as the queue shows it.
    pub fn item_row(&self, campaign: CampaignId, item: ItemId) -> Result<Option<ItemRow>> {
        let sql = format!("{} AND i.id = ?", select(VersionLookup::Joined));
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(collect_rows(&mut stmt, params![first, last, item])?.pop())
    }

    pub fn item_detail(&self, campaign: CampaignId, item: ItemId) -> Result<Option<ItemDetail>> {
        let Some(row) = self.item_row(campaign, item)? else {
            return Ok(None);
        };
        let detail = self
            .conn
            .prepare_cached(&format!(
                "SELECT i.reviewer, idn.region, {EFFECTIVE_SPONSOR}, {EFFECTIVE_EMAIL},
                        e.shared, {EFFECTIVE_BUSINESS_OWNER}, {EFFECTIVE_TECHNICAL_OWNER},
                        e.justification, e.granted_at, e.expires_at, e.last_used_at,
                        e.credential_rotated_at, e.ticket, e.active, r.contract_end,
                        i.grant_key, i.context, c.as_of, c.policy,
                        {REGISTER_SUPPLIED}, r.tier
                     FROM item i
                     JOIN entitlement e ON e.id = i.entitlement
                     JOIN identity idn ON idn.id = i.identity
                     LEFT JOIN register_entry r ON r.id = i.register
                     JOIN campaign c ON c.id = i.campaign WHERE i.id = ?1"
            ))?
            .query_row([item], |r| {
                Ok(ItemDetail {
                    row: row.clone(),
                    reviewer: r.get(0)?,
                    region: r.get(1)?,
                    sponsor: r.get(2)?,
                    email: r.get(3)?,
                    shared: r.get(4)?,
                    business_owner: r.get(5)?,
                    technical_owner: r.get(6)?,
                    justification: r.get(7)?,
                    granted_at: r.get(8)?,
                    expires_at: r.get(9)?,
                    last_used_at: r.get(10)?,
                    credential_rotated_at: r.get(11)?,
                    ticket: r.get(12)?,
                    active: r.get(13)?,
                    contract_end: r.get(14)?,
                    register_fields: r
                        .get::<_, Option<String>>(19)?
                        .map(|f| f.split(',').map(str::to_string).collect())
                        .unwrap_or_default(),
                    since_detail: None,
                    findings: Vec::new(),
                    history: Vec::new(),
                    previous: None,
                    earlier: Vec::new(),
                    catalog: None,
                    tier: r.get(20)?,
                })
                .map(|d| {
                    (
                        d,
                        r.get::<_, i64>(15),
                        r.get::<_, Option<String>>(16),
                        r.get::<_, String>(17),
                        r.get::<_, String>(18),
                    )
                })
            })?;
        let (mut detail, entitlement, context, as_of, policy) = detail;
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("item {item} {what}: {e}"))
        };
        let context: ItemContext = match context? {
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt("context", &e))?,
            None => ItemContext::default(),
        };
        let policy: Policy = serde_json::from_str(&policy?).map_err(|e| corrupt("policy", &e))?;
        let as_of = crate::domain::date::parse_day(&as_of?).map_err(|e| corrupt("as_of", &e))?;
        detail.findings = detail.row.explain(&context, &policy, as_of);
        if let Some(catalog) = context.catalog {
            detail.catalog = self.catalog_entry(catalog.entry)?;
        }
        detail.since_detail = self.since_detail(item)?;
        detail.previous = match detail.row.previous_item {
            Some(previous) => self.earlier_outcome(previous)?,
            None => None,
        };
        detail.history = self.item_events(item)?;
        detail.earlier = self.earlier_decisions(campaign, entitlement?)?;
        Ok(Some(detail))
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

    /// What changed in the grant or its identity since the previous
    /// campaign of the same scope: "field: before → after; …".
    pub fn since_detail(&self, item: ItemId) -> Result<Option<String>> {
        let sources: Vec<&str> = EVIDENCE.iter().map(|(_, s)| *s).collect();
        let sql = format!(
            "SELECT {cols} FROM item i
             JOIN entitlement e ON e.id = i.entitlement
             JOIN identity idn ON idn.id = i.identity
             LEFT JOIN register_entry r ON r.id = i.register
             WHERE i.id = ?1",
            cols = sources.join(", ")
        );
        let read = |item: i64| -> Result<Option<Vec<rusqlite::types::Value>>> {
            Ok(self
                .conn
                .prepare_cached(&sql)?
                .query_row([item], |row| {
                    (0..EVIDENCE.len()).map(|i| row.get(i)).collect()
                })
                .optional()?)
        };
        let previous: Option<i64> = self
            .conn
            .prepare_cached("SELECT previous_item FROM item WHERE id = ?1 AND since = 'changed'")?
            .query_row([item], |r| r.get(0))
            .optional()?
            .flatten();
        let Some(previous) = previous else {
            return Ok(None);
        };
        let (Some(now), Some(before)) = (read(item.0)?, read(previous)?) else {
            return Ok(None);
        };
        let show = |v: &rusqlite::types::Value| match v {
            rusqlite::types::Value::Null => "(none)".to_string(),
            rusqlite::types::Value::Integer(n) => n.to_string(),
            rusqlite::types::Value::Real(f) => f.to_string(),
            rusqlite::types::Value::Text(t) => t.clone(),
            rusqlite::types::Value::Blob(_) => "(binary)".to_string(),
        };
        let changes: Vec<String> = EVIDENCE
            .iter()
            .zip(before.iter().zip(&now))
            .filter(|(_, (b, a))| b != a)
            .map(|((field, _), (b, a))| format!("{field}: {} → {}", show(b), show(a)))
            .collect();
        Ok((!changes.is_empty()).then(|| changes.join("; ")))
    }

    /// The outcome of an item (usually another campaign's, from
    /// [`ItemRow`]'s `previous_item`): its decision in force, reviewer, who
    /// decided and the note.
    pub fn earlier_outcome(&self, item: ItemId) -> Result<Option<EarlierDecision>> {
        let sql = format!("{EARLIER_SELECT} WHERE p.id = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([item], read_earlier)
            .optional()?)
    }

    fn earlier_decisions(&self, campaign: CampaignId, grant: i64) -> Result<Vec<EarlierDecision>> {
        let sql = format!(
            "{EARLIER_SELECT} WHERE p.grant_key = ?1 AND p.campaign < ?2
             ORDER BY p.campaign DESC LIMIT 10"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![grant, campaign], read_earlier)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::{ItemQuery, PageDirection};
    use crate::domain::Filter;
    use crate::store::Store;
    use crate::testing;

    fn walk(store: &Store, query: &ItemQuery) -> Vec<i64> {
        let mut ranks = Vec::new();
        store
            .for_each_item(query, |row| {
                ranks.push(row.rank);
                Ok(())
            })
            .unwrap();
        ranks
    }

    fn ranks(
        store: &Store,
        query: &ItemQuery,
        anchor: Option<i64>,
        d: PageDirection,
        inclusive: bool,
        limit: usize,
    ) -> Vec<i64> {
        store
            .page(query, anchor, d, inclusive, limit)
            .unwrap()
            .iter()
            .map(|r| r.rank)
            .collect()
    }

    /// A filtered page rejects most rows it reads when the value is rare
    /// near the top of the queue: the identity (and register) a filter
    /// reads are joined before the wide grant row, so rejected rows cost
    /// no grant read.
    #[test]
    fn filtered_pages_join_the_grant_last() {
        let (store, campaign) = testing::sample_store();
        let query = ItemQuery {
            campaign: campaign.id,
            filters: vec![Filter::parse("relationship=employee").unwrap()],
            search: None,
        };
        let (conds, values) = super::conditions(&store.conn, &query).unwrap();
        let sql = format!(
            "EXPLAIN QUERY PLAN {}{conds} ORDER BY i.id LIMIT 40",
            super::select(super::VersionLookup::Joined)
        );
        let plan: Vec<String> = store
            .conn
            .prepare(&sql)
            .unwrap()
            .query_map(rusqlite::params_from_iter(values), |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let at = |table: &str| {
            plan.iter()
                .position(|step| step.starts_with(&format!("SEARCH {table} ")))
                .unwrap_or_else(|| panic!("{table} in {plan:?}"))
        };
        assert!(at("idn") < at("e") && at("r") < at("e"), "{plan:?}");
    }

    #[test]
    fn keyset_pages_from_any_anchor_agree_with_the_full_walk() {
        let (mut store, _) = testing::sample_store();
        // A second campaign, so the first one's range has a neighbour.
        let campaign = testing::campaign(&mut store, "Q1", "2027-02-01");
        for filters in [vec![], vec![Filter::parse("privileged=true").unwrap()]] {
            let query = ItemQuery {
                campaign: campaign.id,
                filters,
                search: None,
            };
            let all = walk(&store, &query);
            assert!(all.len() > 3, "{all:?}");
            let max = *all.last().unwrap();
            for anchor in -1..=max + 1 {
                let after: Vec<i64> = all
                    .iter()
                    .copied()
                    .filter(|&r| r > anchor)
                    .take(3)
                    .collect();
                let from: Vec<i64> = all
                    .iter()
                    .copied()
                    .filter(|&r| r >= anchor)
                    .take(3)
                    .collect();
                let mut before: Vec<i64> = all
                    .iter()
                    .rev()
                    .copied()
                    .filter(|&r| r < anchor)
                    .take(3)
                    .collect();
                before.reverse();
                let mut upto: Vec<i64> = all
                    .iter()
                    .rev()
                    .copied()
                    .filter(|&r| r <= anchor)
                    .take(3)
                    .collect();
                upto.reverse();
                let at = Some(anchor);
                assert_eq!(
                    ranks(&store, &query, at, PageDirection::Forward, false, 3),
                    after
                );
                assert_eq!(
                    ranks(&store, &query, at, PageDirection::Forward, true, 3),
                    from
                );
                assert_eq!(
                    ranks(&store, &query, at, PageDirection::Backward, false, 3),
                    before
                );
                assert_eq!(
                    ranks(&store, &query, at, PageDirection::Backward, true, 3),
                    upto
                );
            }
            let first: Vec<i64> = all.iter().copied().take(3).collect();
            let last = all[all.len() - 3..].to_vec();
            assert_eq!(
                ranks(&store, &query, None, PageDirection::Forward, true, 3),
                first
            );
            assert_eq!(
                ranks(&store, &query, None, PageDirection::Backward, true, 3),
                last
            );
        }
    }
}
