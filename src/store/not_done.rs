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
use rusqlite::OptionalExtension;
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

impl Store {
    /// An item flagged `revocation_not_done` whose grounds the log does not
    /// hold: the revoke it names (the same grant, in the campaign it names,
    /// by that decider at that time) and the still-effective outcome that
    /// snapshot recorded, both before the campaign's creation (event
    /// `created`). The flag is evidence; verify re-reads what it rests on.
    pub(super) fn not_done_problem(
        &self,
        campaign: CampaignId,
        created: i64,
    ) -> Result<Option<String>> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut items = self.conn.prepare(&format!(
            "SELECT id, grant_key, context FROM item INDEXED BY item_revocation_not_done
             WHERE id BETWEEN ?1 AND ?2 AND flags & {NOT_DONE_BIT} != 0 ORDER BY id"
        ))?;
        let mut revoke = self.conn.prepare(
            "SELECT d.kind, d.actor, d.at, c.name, ri.grant_key, d.item FROM event d
             LEFT JOIN campaign c ON c.id = d.campaign LEFT JOIN item ri ON ri.id = d.item
             WHERE d.seq = ?1 AND d.seq < ?2",
        )?;
        let mut outcome = self.conn.prepare(
            "SELECT EXISTS (SELECT 1 FROM event WHERE item = ?1 AND seq < ?2
                 AND kind = 'remediation_still_effective'
                 AND json_extract(body, '$.revoke_event') = ?3
                 AND json_extract(body, '$.snapshot') = ?4)",
        )?;
        let mut rows = items.query([first, last])?;
        while let Some(row) = rows.next()? {
            let (item, grant): (i64, i64) = (row.get(0)?, row.get(1)?);
            let context: Option<String> = row.get(2)?;
            let Some(n) = context
                .as_deref()
                .and_then(|json| serde_json::from_str::<ItemContext>(json).ok())
                .and_then(|c| c.revocation_not_done)
            else {
                return Ok(Some(format!(
                    "item {item} is flagged revocation_not_done without the revoke it names"
                )));
            };
            let found = revoke
                .query_row(rusqlite::params![n.revoke_event, created], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                    ))
                })
                .optional()?;
            let grounded = match found {
                Some((kind, actor, at, name, key, Some(revoked_item))) => {
                    kind == "revoke"
                        && actor == n.revoked_by
                        && at == n.revoked_at
                        && name.as_deref() == Some(n.campaign.as_str())
                        && key == Some(grant)
                        && outcome.query_row(
                            rusqlite::params![revoked_item, created, n.revoke_event, n.snapshot],
                            |r| r.get::<_, bool>(0),
                        )?
                }
                _ => false,
            };
            if !grounded {
                return Ok(Some(format!(
                    "item {item} is flagged revocation_not_done, but the log holds no revoke \
                     of its grant in event {} of campaign {:?} by {} that snapshot {} found \
                     still effective before the campaign was created",
                    n.revoke_event, n.campaign, n.revoked_by, n.snapshot
                )));
            }
        }
        Ok(None)
    }
}
