//! A campaign's items counted per tenant and organization, in one
//! aggregate query: what the MSP-level summaries of the reports add up
//! (`crate::report::groups`).

use super::campaigns::item_range;
use super::effective::EFFECTIVE_ORGANIZATION;
use super::{CampaignId, Result, Store};

/// The items of one (tenant, organization, sponsor) triple and where they
/// stand. The sponsor says which part the items are in: a signed part
/// takes no more decisions, so its waiting items are not overdue.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GroupTally {
    pub tenant: String,
    /// As the identity register completes it; `None` when nobody says.
    pub organization: Option<String>,
    /// As `parts` groups items: the identity's, or the register's.
    pub sponsor: Option<String>,
    pub items: u64,
    /// Items still waiting for a decision: none in force, or reassigned.
    pub waiting: u64,
    pub revoked: u64,
    pub exceptions: u64,
    /// Revocations a later snapshot shows still in place.
    pub still_effective: u64,
}

impl GroupTally {
    /// Items with a decision in force (the rest wait).
    pub fn decided(&self) -> u64 {
        self.items - self.waiting
    }
}

impl Store {
    /// The campaign's items per (tenant, organization, sponsor), in that
    /// order.
    pub fn group_tallies(&self, campaign: CampaignId) -> Result<Vec<GroupTally>> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let sql = format!(
            "SELECT idn.tenant, {EFFECTIVE_ORGANIZATION}, coalesce(idn.sponsor, r.sponsor),
                    count(*),
                    coalesce(sum(s.decision IS NULL OR s.decision = 'reassign'), 0),
                    coalesce(sum(s.decision = 'revoke'), 0),
                    coalesce(sum(s.decision = 'exception'), 0),
                    coalesce(sum(s.decision = 'revoke' AND rem.status = 'still_effective'), 0)
             FROM item i
             JOIN identity idn ON idn.id = i.identity
             LEFT JOIN register_entry r ON r.id = i.register
             LEFT JOIN item_state s ON s.item = i.id
             LEFT JOIN remediation rem ON rem.decision_event = s.decided_event
             WHERE i.id BETWEEN ?1 AND ?2
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let rows = stmt.query_map([first, last], |r| {
            Ok(GroupTally {
                tenant: r.get(0)?,
                organization: r.get(1)?,
                sponsor: r.get(2)?,
                items: count(r.get(3)?),
                waiting: count(r.get(4)?),
                revoked: count(r.get(5)?),
                exceptions: count(r.get(6)?),
                still_effective: count(r.get(7)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
