//! Campaigns as created: their summaries and tallies, the evidence an item
//! freezes, and the digest over a campaign's items that its creation event
//! records and verification recomputes (creating one is `creation`'s).

use super::effective::{
    EFFECTIVE_BUSINESS_OWNER, EFFECTIVE_EMAIL, EFFECTIVE_ORGANIZATION, EFFECTIVE_RELATIONSHIP,
    EFFECTIVE_SPONSOR, EFFECTIVE_TECHNICAL_OWNER,
};
use super::events::campaign_state;
use super::{CampaignId, Result, Store, StoreError};
use crate::audit;
use crate::domain::{CampaignState, Filter, OnClose, Policy, ReviewerRule};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub name: String,
    pub due: NaiveDate,
    pub as_of: NaiveDate,
    pub scope: Vec<Filter>,
    pub reviewer_rule: ReviewerRule,
    pub on_close: OnClose,
    pub owner: String,
    /// How the owner was established, as events record it.
    pub owner_via: String,
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
    /// Kept with their credential to rotate by a date; absent while none.
    #[serde(skip_serializing_if = "is_zero")]
    pub rotate: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Tally {
    /// Items with a final decision (a reassigned item still waits).
    pub fn decided(&self) -> u64 {
        self.attested + self.revoked + self.exception + self.rotate
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

/// What an item's insights saw beyond the grant itself; stored as JSON only
/// when there is something to say.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct ItemContext {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_tenants: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapsed_exception: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue_rotation: Option<crate::domain::rotation::OverdueRotation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_not_done: Option<crate::domain::insight::NotDone>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context_changes: Vec<crate::domain::insight::ContextChange>,
    // Issue 24.
    /// Grants of the same identity that a `[[policy.sod]]` rule pairs with
    /// this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sod: Vec<crate::domain::sod::SodConflict>,
    /// The previous review of the scope, kept when a break-glass use after
    /// it was flagged (its reason names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_review: Option<NaiveDate>,
    /// The catalog entry version that described the entitlement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogRef>,
}

/// The catalog entry an item saw: its version, and the sensitivity the
/// insights read (kept so that filters and reasons need no join).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct CatalogRef {
    pub entry: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<crate::domain::catalog::Sensitivity>,
}

impl ItemContext {
    /// What the insights of issue 24 read from it.
    pub(crate) fn around(&self) -> crate::domain::insight::Around<'_> {
        crate::domain::insight::Around {
            previous_review: self.previous_review,
            sod: &self.sod,
            sensitivity: self.catalog.and_then(|c| c.sensitivity),
        }
    }
}

/// The campaign digest: SHA-256 over the items' own hashes in queue order.
pub(super) fn fold_digest(item_hashes: impl Iterator<Item = [u8; 32]>) -> String {
    let mut digest = Sha256::new();
    for hash in item_hashes {
        digest.update(hash);
    }
    audit::hex(&digest.finalize())
}

pub(super) fn item_hash(encoded: &[u8]) -> [u8; 32] {
    Sha256::digest(encoded).into()
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
            audit::encode(&mut encoded, row.get_ref(i)?.into());
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

impl Store {
    /// The queue is revocations not done first, then riskiest first, ties
    /// in the order items were written, ranks 0, 1, 2…; anything else
    /// means the ranks were edited.
    pub(super) fn queue_order_problem(&self, campaign: CampaignId) -> Result<Option<String>> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, risk_rank, risk_score, grant_key, campaign, flags FROM item
             WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        )?;
        let mut rows = stmt.query(params![first, last])?;
        let mut previous: Option<(bool, i64)> = None;
        let mut expected = first;
        while let Some(row) = rows.next()? {
            let (id, rank, score, of, flags): (i64, i64, i64, CampaignId, i64) = (
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(4)?,
                row.get(5)?,
            );
            let key = crate::domain::flags::queue_key(flags as u32, score);
            let out_of_order = previous.is_some_and(|p| p < key);
            if id != expected || rank != id - first || of != campaign || out_of_order {
                return Ok(Some(format!(
                    "item {id} is at rank {rank}, out of risk order: the queue was edited"
                )));
            }
            previous = Some(key);
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

    /// The most recently created campaign not cancelled, for commands where
    /// it is implied.
    pub fn latest_campaign(&self) -> Result<Option<CampaignSummary>> {
        let id: Option<CampaignId> = self.conn.query_row(
            "SELECT max(id) FROM campaign WHERE NOT EXISTS (
                 SELECT 1 FROM event WHERE event.campaign = campaign.id
                     AND kind = 'campaign_cancelled' AND item IS NULL)",
            [],
            |r| r.get(0),
        )?;
        id.map(|id| self.campaign_by_id(id)).transpose()
    }

    pub(super) fn campaign_by_id(&self, id: CampaignId) -> Result<CampaignSummary> {
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
            "rotate" => tally.rotate = n,
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
        store
            .set_people(
                &testing::acting(testing::OWNER),
                &[crate::domain::roster::Person::new("newcomer@example.com")],
                None,
            )
            .unwrap();
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
