//! Creating a campaign: reading the in-scope grants and the people behind
//! them (in pieces, on several connections when the machine has cores to
//! spare), assessing each grant's insights, reviewer and risk, and writing
//! the items in queue order with the digest their creation event records.
//!
//! Here: the transaction that does it all, and the items as computed.
//! What is read before the grants is `surroundings`; where each value of
//! the evidence comes from, `evidence`; the grants read and assessed,
//! `assessment`; the items written and digested, `writing`.

use super::campaigns::{CampaignSummary, NewCampaign};
use super::events::{ChainWriter, NewEvent};
use super::readers::Readers;
use super::{CampaignId, Result, Store, StoreError};
use crate::audit;
use crate::domain::Filter;
use rusqlite::{Connection, OptionalExtension, params};
use std::sync::Arc;

mod assessment;
mod evidence;
mod surroundings;
mod writing;

use assessment::compute_items;
use surroundings::Surroundings;
use writing::write_items;

/// Page cache for writing the items, per item: room for the grant index
/// the items are inserted into out of its order (the reads before go
/// through each page about once and need no more than SQLite's default).
const WRITE_CACHE_BYTES_PER_ITEM: i64 = 64;

/// The page cache for writing `items` items, in KiB: at least SQLite's
/// default, at most 64 MiB.
fn write_cache_kib(items: usize) -> i64 {
    (items as i64)
        .saturating_mul(WRITE_CACHE_BYTES_PER_ITEM)
        .div_euclid(1024)
        .clamp(2000, 64 * 1024)
}

/// How creation cuts up its reading: grants and identities in ranges of
/// at least `piece` ids, read by the writing connection and up to
/// `helpers` read-only ones on threads of their own. Whatever the cut, the
/// results are put back together in id order, so the items are the same.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Split {
    pub piece: i64,
    pub helpers: usize,
}

impl Default for Split {
    fn default() -> Split {
        Split {
            // Small enough that two connections finish close together,
            // large enough that starting a piece costs nothing.
            piece: 32 * 1024,
            helpers: super::readers::available_helpers(),
        }
    }
}

/// Pieces per reading connection: some to spare, so that a connection
/// slowed down by a busy core or by denser ids does not hold up the rest.
const PIECES_PER_READER: i64 = 8;

impl Split {
    /// Cuts `lo..=hi` into contiguous ranges in ascending order.
    pub(super) fn ranges(self, lo: i64, hi: i64, readers: usize) -> Vec<(i64, i64)> {
        if hi < lo {
            return vec![(lo, hi)];
        }
        // In i128: ids near the ends of i64 must not wrap into no ranges.
        let (lo, hi) = (i128::from(lo), i128::from(hi));
        let span = hi - lo + 1;
        let most = i128::from(PIECES_PER_READER) * readers as i128;
        let count = if readers > 1 {
            (span / i128::from(self.piece.max(1))).clamp(1, most)
        } else {
            1
        };
        let width = (span + count - 1) / count;
        // Every bound lies within the i64 `lo..=hi`.
        let id = |n: i128| i64::try_from(n).unwrap_or(i64::MAX);
        (0..count)
            .map(|n| (lo + n * width, (lo + (n + 1) * width - 1).min(hi)))
            .filter(|(a, b)| a <= b)
            .map(|(a, b)| (id(a), id(b)))
            .collect()
    }
}

/// Whether an item's grant was in the previous campaign of the same
/// scope, and as the same versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Since {
    New,
    Changed,
    Unchanged,
}

impl Since {
    fn as_str(self) -> &'static str {
        match self {
            Since::New => "new",
            Since::Changed => "changed",
            Since::Unchanged => "unchanged",
        }
    }
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
    since: Since,
    reviewer: u32,
    /// Shared by the items of one identity, whose context is usually the same.
    context: Option<Arc<str>>,
    previous: Option<i64>,
    /// The effective relationship, frozen for filters (not in the digest:
    /// the evidence holds it).
    relationship: crate::domain::Relationship,
}

impl Pending {
    /// The item's own fields, in digest order (the evidence follows).
    fn encode_fields(&self, reviewer: &str, out: &mut Vec<u8>) {
        use audit::{Value, encode};
        let int = Value::Integer;
        encode(out, int(self.grant));
        encode(out, int(self.entitlement));
        encode(out, int(self.identity));
        encode(out, self.register.map_or(Value::Null, int));
        encode(out, int(self.score));
        encode(out, Value::text(reviewer));
        encode(out, int(i64::from(self.flags)));
        encode(
            out,
            self.context.as_deref().map_or(Value::Null, Value::text),
        );
        encode(out, Value::text(self.recommendation.as_str()));
        encode(out, Value::text(self.since.as_str()));
        encode(out, self.previous.map_or(Value::Null, int));
    }
}

impl Store {
    pub fn create_campaign(&mut self, spec: &NewCampaign) -> Result<CampaignSummary> {
        self.create_campaign_split(spec, Split::default())
    }

    /// Creates a campaign reading in the pieces `split` says.
    pub(crate) fn create_campaign_split(
        &mut self,
        spec: &NewCampaign,
        split: Split,
    ) -> Result<CampaignSummary> {
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
            let scope: Vec<String> = crate::domain::filter::normalized(&spec.scope)
                .iter()
                .map(Filter::to_string)
                .collect();
            let scope_json = serde_json::to_string(&scope).unwrap_or_default();
            let previous = previous_of_scope(tx, &baseline(&scope))?;
            // Everything is read before anything is written, so helpers on
            // other connections see what this transaction sees.
            let readers = Readers::new(tx, split.helpers);
            let around = Surroundings::load(
                &readers,
                split,
                spec.as_of,
                previous.as_ref().map(|p| p.0),
                &spec.policy.sod,
            )?;
            let assessed = compute_items(&readers, split, spec, &around)?;
            drop(around);
            let items = assessed.in_grant_order();
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
            // The connection goes on serving the console afterwards, failed
            // or not: its cache goes back to what it was.
            let cache: i64 = tx.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
            tx.pragma_update(None, "cache_size", -write_cache_kib(items.len()))?;
            let written = write_items(tx, campaign, first, &items, &assessed.reviewers);
            tx.pragma_update(None, "cache_size", cache)?;
            let digest = written?;
            tx.execute(
                "INSERT INTO tally (campaign, state, n) VALUES (?1, 'undecided', ?2)",
                params![campaign, items.len() as i64],
            )?;
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
                    actor_via: &spec.owner_via,
                    at: &spec.created_at,
                    note: None,
                    body: body.to_string(),
                },
            )?;
            Ok(campaign)
        })
        .and_then(|id| self.campaign_by_id(id))
    }
}

/// The scope a campaign is compared with: its own without `since=`, which
/// selects by that very comparison. So `relationship=contractor
/// since=changed` is what changed since the last `relationship=contractor`
/// campaign, and its items' outcomes are that campaign's.
fn baseline(scope: &[String]) -> Vec<String> {
    scope
        .iter()
        .filter(|f| !f.starts_with("since="))
        .cloned()
        .collect()
}

/// The latest campaign, not cancelled, whose scope is `scope` in canonical
/// form: campaigns created before scopes were stored so are compared in
/// that form too, so the order their filters were typed in never matters.
fn previous_of_scope(tx: &Connection, scope: &[String]) -> Result<Option<(i64, String)>> {
    Ok(super::cadence::live_campaigns(tx)?
        .into_iter()
        .find(|(.., stored)| super::cadence::canonical(stored).as_deref() == Some(scope))
        .map(|(id, name, ..)| (id, name)))
}
