//! A campaign's revocations not done: its items flagged
//! `revocation_not_done` (an earlier campaign revoked the grant and a
//! snapshot imported after the revoke still held it when this campaign was
//! created), each with the earlier revoke as the item froze it and what
//! the snapshots have shown since. Reports give them a section of their
//! own; there are few (each is a failure), so they are read whole.

use super::campaigns::{ItemContext, item_range};
use super::{CampaignId, Result, Store, StoreError};
use crate::domain::RemediationStatus;
use crate::domain::decision::state_label;
use crate::domain::flags::NOT_DONE_BIT;
use crate::domain::insight::NotDone;
use serde::Serialize;

/// One item flagged `revocation_not_done`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotDoneItem {
    pub item: i64,
    pub rank: i64,
    pub tenant: String,
    pub identity_id: String,
    pub identity_name: String,
    pub system: String,
    pub entitlement: String,
    /// The earlier revoke and the snapshot that still held the grant.
    pub revoked_in: NotDone,
    /// The flag's reason, as the item states it.
    pub reason: String,
    /// The earlier revoke's outcome now: still effective, or verified by a
    /// snapshot imported since.
    pub status: RemediationStatus,
    /// The snapshot that proved `status`.
    pub status_snapshot: Option<i64>,
    /// The decision in force on the item in this campaign.
    pub state: &'static str,
}

impl Store {
    /// The campaign's items flagged `revocation_not_done`, in queue order
    /// (they lead it), through the partial index of such items.
    pub fn revocations_not_done(&self, campaign: CampaignId) -> Result<Vec<NotDoneItem>> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT i.id, i.risk_rank, idn.tenant, idn.identity_id, idn.name, e.system, e.name,
                    i.context, r.status, r.snapshot, s.decision
             FROM item i INDEXED BY item_revocation_not_done
             JOIN entitlement e ON e.id = i.entitlement
             JOIN identity idn ON idn.id = i.identity
             LEFT JOIN item_state s ON s.item = i.id
             LEFT JOIN remediation r ON r.decision_event =
                 json_extract(i.context, '$.revocation_not_done.revoke_event')
             WHERE i.id BETWEEN ?1 AND ?2 AND i.flags & {NOT_DONE_BIT} != 0
             ORDER BY i.id"
        ))?;
        let mut rows = stmt.query([first, last])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let item: i64 = row.get(0)?;
            let context: Option<String> = row.get(7)?;
            let revoked_in = context
                .as_deref()
                .and_then(|json| serde_json::from_str::<ItemContext>(json).ok())
                .and_then(|c| c.revocation_not_done)
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "item {item} is flagged revocation_not_done without the revoke it names"
                    ))
                })?;
            let status = match row.get::<_, Option<String>>(8)?.as_deref() {
                Some("verified") => RemediationStatus::Verified,
                _ => RemediationStatus::StillEffective,
            };
            let decision: Option<String> = row.get(10)?;
            out.push(NotDoneItem {
                item,
                rank: row.get(1)?,
                tenant: row.get(2)?,
                identity_id: row.get(3)?,
                identity_name: row.get(4)?,
                system: row.get(5)?,
                entitlement: row.get(6)?,
                reason: revoked_in.reason(),
                revoked_in,
                status,
                status_snapshot: row.get(9)?,
                state: state_label(decision.as_deref().and_then(|d| d.parse().ok())),
            });
        }
        Ok(out)
    }
}
