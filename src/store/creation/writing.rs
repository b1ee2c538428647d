//! Writing a campaign's items: in queue order (revocations not done,
//! then riskiest first, then in grant order) so that every insert appends, many rows to a statement,
//! while another core folds the items' hashes into the campaign digest.

use super::Pending;
use crate::store::bulk::{Insert, Value};
use crate::store::campaigns::fold_digest;
use crate::store::{CampaignId, Result, StoreError};
use foldhash::{HashMap, HashMapExt};
use rusqlite::{Connection, OptionalExtension, params};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Queue order: indexes into `items`, revocations not done first (the
/// failure auditors care about most, whatever the weights), then riskiest
/// first, ties in grant order. Scores take few distinct values, so this
/// counts rather than sorts.
fn queue_order(items: &[&Pending]) -> Vec<u32> {
    let key = |item: &Pending| crate::domain::flags::queue_key(item.flags, item.score);
    let mut counts: BTreeMap<Reverse<(bool, i64)>, usize> = BTreeMap::new();
    for item in items {
        *counts.entry(Reverse(key(item))).or_default() += 1;
    }
    let mut next: HashMap<(bool, i64), usize> = HashMap::with_capacity(counts.len());
    let mut start = 0;
    for (Reverse(key), n) in counts {
        next.insert(key, start);
        start += n;
    }
    let mut order = vec![0u32; items.len()];
    for (index, item) in items.iter().enumerate() {
        if let Some(slot) = next.get_mut(&key(item)) {
            order[*slot] = index as u32;
            *slot += 1;
        }
    }
    order
}

/// Items per INSERT statement: a statement of one row spends about as
/// much on being started and finished as on the row.
const ROWS_PER_INSERT: usize = 32;

/// Values bound per item; the campaign, the same for all, is `?1`.
const ITEM_VALUES: usize = 13;

/// An INSERT of `rows` items; item `n`'s values are `?(2 + 13n)` onwards.
/// The ids are SQLite's: one past the largest, which for items written in
/// queue order after `first - 1` is `first + rank` (checked afterwards),
/// and which SQLite finds without the lookup a given id costs.
fn insert_items_sql(rows: usize) -> String {
    let mut sql = String::from(
        // OR FAIL: a failure ends the whole creation, which rolls back, so
        // SQLite need not journal each statement to undo just that one.
        "INSERT OR FAIL INTO item (campaign, grant_key, entitlement, identity, register,
             risk_rank, risk_score, reviewer, flags, context, recommendation, since, previous_item,
             relationship)
         VALUES ",
    );
    for row in 0..rows {
        let base = 2 + row * ITEM_VALUES;
        let values: Vec<String> = (0..ITEM_VALUES).map(|n| format!("?{}", base + n)).collect();
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?1, ");
        sql.push_str(&values.join(", "));
        sql.push(')');
    }
    sql
}

/// Writes the items in queue order (riskiest first, then in grant order),
/// so that SQLite numbers each one past the largest, `first` + rank, and
/// every insert appends; returns the digest.
pub(super) fn write_items(
    conn: &Connection,
    campaign: CampaignId,
    first: i64,
    items: &[&Pending],
    reviewers: &[String],
) -> Result<String> {
    let order = queue_order(items);
    let dropped_index = drop_grant_index_if_cheaper(conn, first, items.len())?;
    // The digest only needs the hashes in queue order: another core folds
    // them while this one inserts.
    let fold = || fold_digest(order.iter().map(|&i| items[i as usize].hash));
    let digest = std::thread::scope(|scope| -> Result<String> {
        let digest = std::thread::Builder::new().spawn_scoped(scope, fold);
        insert_items(conn, campaign, first, &order, items, reviewers)?;
        Ok(match digest {
            Ok(digest) => digest
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: fold here.
            Err(_) => fold(),
        })
    })?;
    if let Some(index) = dropped_index {
        conn.execute(&index, [])?;
    }
    Ok(digest)
}

/// Items already written, per new item, below which the grant index is
/// dropped before the inserts and built again after them. Items go in in
/// queue order, so each entry of `item_by_grant` lands at a random place;
/// an index built from the table sorts its entries and writes them in
/// order, at about two thirds of the cost an entry inserted at random has
/// (1M items: 0.6 s of inserts against 0.4 s to build), but over every
/// item, old and new. Below a half, the rebuild costs less: a large first
/// campaign.
const REBUILD_BELOW: f64 = 0.5;

/// Drops the grant index when building it again after `new_items` inserts
/// costs less than keeping it up to date (see [`REBUILD_BELOW`]); returns
/// the statement that builds it, as the schema has it.
fn drop_grant_index_if_cheaper(
    conn: &Connection,
    first: i64,
    new_items: usize,
) -> Result<Option<String>> {
    // Ids are dense and start at 1: `first - 1` items are written.
    if ((first - 1) as f64) >= new_items as f64 * REBUILD_BELOW {
        return Ok(None);
    }
    let index: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = 'item_by_grant'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let Some(index) = index else {
        return Ok(None);
    };
    // Text read from the file is run again only as the one statement that
    // builds this index, never as a script.
    if !index.starts_with("CREATE INDEX item_by_grant ") {
        return Err(StoreError::Corrupt(format!(
            "the grant index is defined as {index:?}"
        )));
    }
    conn.execute_batch("DROP INDEX item_by_grant")?;
    Ok(Some(index))
}

/// Inserts the items, `order` giving the queue, and who reviews how many.
fn insert_items(
    conn: &Connection,
    campaign: CampaignId,
    first: i64,
    order: &[u32],
    items: &[&Pending],
    reviewers: &[String],
) -> Result<()> {
    let mut full = Insert::prepare(conn, &insert_items_sql(ROWS_PER_INSERT))?;
    let mut values = Vec::with_capacity(1 + ROWS_PER_INSERT * ITEM_VALUES);
    let mut chunks = order.chunks_exact(ROWS_PER_INSERT);
    let mut rank = 0usize;
    for chunk in chunks.by_ref() {
        item_values(&mut values, campaign, chunk, items, reviewers, rank);
        full.execute(&values)?;
        rank += chunk.len();
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut tail = Insert::prepare(conn, &insert_items_sql(rest.len()))?;
        item_values(&mut values, campaign, rest, items, reviewers, rank);
        tail.execute(&values)?;
    }
    let expected = first.checked_add(order.len() as i64 - 1);
    if !order.is_empty() && Some(conn.last_insert_rowid()) != expected {
        return Err(StoreError::Corrupt(format!(
            "campaign items were numbered from {} rather than {first}",
            conn.last_insert_rowid()
                .saturating_sub(order.len() as i64 - 1)
        )));
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
    Ok(())
}

/// The values of one multi-row INSERT (see [`insert_items_sql`]): the
/// campaign, then the items at queue positions `rank..` (`chunk` indexes
/// `items`).
fn item_values<'v>(
    values: &mut Vec<Value<'v>>,
    campaign: CampaignId,
    chunk: &[u32],
    items: &[&'v Pending],
    reviewers: &'v [String],
    rank: usize,
) {
    values.clear();
    values.push(campaign.0.into());
    for (n, &index) in chunk.iter().enumerate() {
        let item = items[index as usize];
        let rank = (rank + n) as i64;
        values.extend::<[Value<'v>; ITEM_VALUES]>([
            item.grant.into(),
            item.entitlement.into(),
            item.identity.into(),
            item.register.into(),
            rank.into(),
            item.score.into(),
            reviewers[item.reviewer as usize].as_str().into(),
            i64::from(item.flags).into(),
            item.context.as_deref().into(),
            item.recommendation.as_str().into(),
            item.since.as_str().into(),
            item.previous.into(),
            item.relationship.as_str().into(),
        ]);
    }
}
