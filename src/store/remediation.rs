//! Remediation: every revoke in force is a task until a snapshot imported
//! after it shows whether the access is really gone. Each outcome is a
//! chained event (`remediation_verified`, `remediation_still_effective`)
//! recorded in the import's own transaction; the `remediation` table keeps
//! the latest outcome per revoke for listings.

use super::campaigns::item_range;
use super::events::{ChainWriter, NewEvent};
use super::{CampaignId, EventSeq, ItemId, Result, SnapshotId, SnapshotMeta, Store, StoreError};
use crate::domain::RemediationStatus;
use crate::domain::flags::NOT_DONE_BIT;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use std::collections::BTreeSet;

/// How many open revokes an import checks per batch; each batch is read
/// before it is written.
const CHECK_BATCH: i64 = 1000;

/// A snapshot, as evidence for a remediation outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnapshotRef {
    pub id: i64,
    pub file_name: String,
    pub imported_at: String,
    pub sha256: String,
    pub partial: bool,
}

/// One revoke in force and what the snapshots since have shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RemediationTask {
    pub item: i64,
    pub rank: i64,
    pub tenant: String,
    pub identity_id: String,
    pub identity_name: String,
    pub system: String,
    pub entitlement: String,
    pub revoke_event: i64,
    pub revoked_by: String,
    pub revoked_at: String,
    pub note: Option<String>,
    /// The revoke came from the campaign's close action, not a reviewer.
    pub close_action: bool,
    pub status: RemediationStatus,
    /// The snapshot that proved the status (none while pending).
    pub proof: Option<SnapshotRef>,
    /// The chained event that recorded the status.
    pub outcome_event: Option<i64>,
    /// The earlier campaign (by name) whose revoke this is, when the item
    /// was flagged `revocation_not_done`: the campaign carries the task
    /// until a snapshot shows the grant gone. Absent for its own revokes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carried_from: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RemediationCounts {
    pub pending: u64,
    pub verified: u64,
    pub still_effective: u64,
    /// Of all these, the revokes of earlier campaigns that this campaign's
    /// grants still held when it was created (`revocation_not_done`).
    pub carried_over: u64,
    /// Of those carried over, the ones still effective: revocations not done.
    pub not_done: u64,
}

impl RemediationCounts {
    pub fn total(&self) -> u64 {
        self.pending + self.verified + self.still_effective
    }
}

fn status_condition(status: Option<RemediationStatus>) -> &'static str {
    match status {
        None => "",
        Some(RemediationStatus::Pending) => " AND r.decision_event IS NULL",
        Some(RemediationStatus::Verified) => " AND r.status = 'verified'",
        Some(RemediationStatus::StillEffective) => " AND r.status = 'still_effective'",
    }
}

/// The tasks of an id range (a campaign, or what follows a keyset anchor):
/// its revoked items, read through the partial index of revokes, and the
/// items it carries from an earlier campaign's revoke that a snapshot
/// showed not done (`revocation_not_done`, through their own partial
/// index), each with that earlier revoke and its outcome. A page costs its
/// own rows however many items were attested. `{status}` narrows both
/// parts; `{item}` picks one item.
fn tasks_sql(status: Option<RemediationStatus>, item: &str) -> String {
    let status = status_condition(status);
    format!(
        "SELECT s.item, i.risk_rank, idn.tenant, idn.identity_id, idn.name,
        e.system, e.name, s.decided_event, d.actor, d.at, d.note,
        json_extract(d.body, '$.close_action'), r.status, r.event,
        sn.id, sn.file_name, sn.imported_at, sn.sha256, sn.partial, NULL
    FROM item_state s INDEXED BY item_state_revoked
    JOIN item i ON i.id = s.item
    JOIN entitlement e ON e.id = i.entitlement
    JOIN identity idn ON idn.id = i.identity
    JOIN event d ON d.seq = s.decided_event
    LEFT JOIN remediation r ON r.decision_event = s.decided_event
    LEFT JOIN snapshot sn ON sn.id = r.snapshot
    WHERE s.item BETWEEN ?1 AND ?2 AND s.decision = 'revoke'{status}{item}
    UNION ALL
    SELECT i.id, i.risk_rank, idn.tenant, idn.identity_id, idn.name,
        e.system, e.name, d.seq, d.actor, d.at, d.note,
        json_extract(d.body, '$.close_action'), r.status, r.event,
        sn.id, sn.file_name, sn.imported_at, sn.sha256, sn.partial, c.name
    FROM item i INDEXED BY item_revocation_not_done
    JOIN entitlement e ON e.id = i.entitlement
    JOIN identity idn ON idn.id = i.identity
    JOIN event d ON d.seq = json_extract(i.context, '$.revocation_not_done.revoke_event')
    JOIN campaign c ON c.id = d.campaign
    LEFT JOIN item_state s ON s.item = i.id
    LEFT JOIN remediation r ON r.decision_event = d.seq
    LEFT JOIN snapshot sn ON sn.id = r.snapshot
    WHERE i.id BETWEEN ?1 AND ?2 AND i.flags & {NOT_DONE_BIT} != 0
      AND (s.decision IS NULL OR s.decision <> 'revoke'){status}{item}"
    )
}

/// A page of tasks from the id range ?1..?2; the limit is in the SQL, since
/// SQLite re-prepares a statement with a bound LIMIT on every run.
fn page_sql(status: Option<RemediationStatus>, limit: usize) -> String {
    format!("{} ORDER BY 1 LIMIT {limit}", tasks_sql(status, ""))
}

fn read_task(r: &Row<'_>) -> rusqlite::Result<RemediationTask> {
    let status: Option<String> = r.get(12)?;
    let status = match status.as_deref() {
        Some("verified") => RemediationStatus::Verified,
        Some("still_effective") => RemediationStatus::StillEffective,
        _ => RemediationStatus::Pending,
    };
    let proof = match r.get::<_, Option<i64>>(14)? {
        Some(id) => Some(SnapshotRef {
            id,
            file_name: r.get(15)?,
            imported_at: r.get(16)?,
            sha256: r.get(17)?,
            partial: r.get(18)?,
        }),
        None => None,
    };
    Ok(RemediationTask {
        item: r.get(0)?,
        rank: r.get(1)?,
        tenant: r.get(2)?,
        identity_id: r.get(3)?,
        identity_name: r.get(4)?,
        system: r.get(5)?,
        entitlement: r.get(6)?,
        revoke_event: r.get(7)?,
        revoked_by: r.get(8)?,
        revoked_at: r.get(9)?,
        note: r.get(10)?,
        close_action: r.get::<_, Option<String>>(11)?.is_some(),
        status,
        outcome_event: r.get(13)?,
        proof,
        carried_from: r.get(19)?,
    })
}

impl Store {
    /// Revokes in force per remediation status.
    pub fn remediation_counts(&self, campaign: CampaignId) -> Result<RemediationCounts> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.status, count(*) FROM item_state s
             LEFT JOIN remediation r ON r.decision_event = s.decided_event
             WHERE s.campaign = ?1 AND s.decision = 'revoke'
             GROUP BY r.status",
        )?;
        let rows = stmt.query_map([campaign], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut counts = RemediationCounts::default();
        let mut add = |status: Option<String>, n: i64| {
            let n = n.max(0) as u64;
            match status.as_deref() {
                Some("verified") => counts.verified += n,
                Some("still_effective") => counts.still_effective += n,
                _ => counts.pending += n,
            }
            n
        };
        for row in rows {
            let (status, n) = row?;
            add(status, n);
        }
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut carried = self.conn.prepare_cached(&format!(
            "SELECT r.status, count(*) FROM item i INDEXED BY item_revocation_not_done
             LEFT JOIN item_state s ON s.item = i.id
             LEFT JOIN remediation r ON r.decision_event =
                 json_extract(i.context, '$.revocation_not_done.revoke_event')
             WHERE i.id BETWEEN ?1 AND ?2 AND i.flags & {NOT_DONE_BIT} != 0
               AND (s.decision IS NULL OR s.decision <> 'revoke')
             GROUP BY r.status"
        ))?;
        let rows = carried.query_map([first, last], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })?;
        let (mut carried_over, mut not_done) = (0, 0);
        for row in rows {
            let (status, n) = row?;
            let still = status.as_deref() == Some("still_effective");
            let n = add(status, n);
            carried_over += n;
            not_done += if still { n } else { 0 };
        }
        counts.carried_over = carried_over;
        counts.not_done = not_done;
        Ok(counts)
    }

    /// Up to `limit` tasks in risk order after the risk rank `after`
    /// (keyset paging for a windowed view), optionally of one status.
    pub fn remediation_page(
        &self,
        campaign: CampaignId,
        status: Option<RemediationStatus>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<RemediationTask>> {
        // Ranks are ids within the campaign's range, and the revoked items
        // are indexed by id: the keyset is the range's lower end.
        let sql = page_sql(status, limit);
        let (first, last) = item_range(&self.conn, campaign)?;
        let from = after.map_or(first, |rank| (first + rank + 1).max(first));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![from, last], read_task)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Walks every task (optionally of one status) in risk order without
    /// holding them all.
    pub fn for_each_remediation_task(
        &self,
        campaign: CampaignId,
        status: Option<RemediationStatus>,
        mut visit: impl FnMut(&RemediationTask) -> std::result::Result<(), Box<dyn std::error::Error>>,
    ) -> Result<()> {
        let sql = format!("{} ORDER BY 1", tasks_sql(status, ""));
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params![first, last])?;
        while let Some(row) = rows.next()? {
            let task = read_task(row)?;
            visit(&task).map_err(|e| StoreError::from_output(&*e))?;
        }
        Ok(())
    }

    /// The task of one item, if its decision in force is a revoke.
    pub fn remediation_task(
        &self,
        campaign: CampaignId,
        item: ItemId,
    ) -> Result<Option<RemediationTask>> {
        let sql = tasks_sql(None, " AND i.id = ?3");
        let (first, last) = item_range(&self.conn, campaign)?;
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![first, last, item], read_task)
            .optional()?)
    }

    /// What one import proved, per campaign (by name): the outcomes whose
    /// latest evidence is `snapshot`.
    pub fn remediation_by_snapshot(
        &self,
        snapshot: SnapshotId,
    ) -> Result<Vec<(String, RemediationCounts)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.name, r.status, count(*) FROM remediation r
             JOIN campaign c ON c.id = r.campaign
             WHERE r.snapshot = ?1 GROUP BY c.id, r.status ORDER BY c.id",
        )?;
        let rows = stmt.query_map([snapshot], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out: Vec<(String, RemediationCounts)> = Vec::new();
        for row in rows {
            let (name, status, n) = row?;
            if out.last().is_none_or(|(last, _)| *last != name) {
                out.push((name, RemediationCounts::default()));
            }
            if let Some((_, counts)) = out.last_mut() {
                match status.as_str() {
                    "verified" => counts.verified += n.max(0) as u64,
                    _ => counts.still_effective += n.max(0) as u64,
                }
            }
        }
        Ok(out)
    }
}

/// An open revoke (pending or still effective), as an import checks it.
struct OpenRevoke {
    item: i64,
    campaign: i64,
    revoke_event: i64,
    /// The grant's key: the same grant across its versions.
    entitlement: i64,
    tenant: String,
    system: String,
}

/// Called by an import, inside its transaction, after its own event:
/// checks every open revoke in the snapshot's scopes against what the
/// snapshot holds (`holds` says whether it mentioned a grant, by key) and
/// records each outcome as a chained event.
pub(crate) fn check_after_import(
    conn: &Connection,
    snapshot: SnapshotId,
    scopes: &BTreeSet<(String, String)>,
    meta: &SnapshotMeta,
    holds: &dyn Fn(i64) -> Result<bool>,
) -> Result<()> {
    let (partial, actor, at) = (meta.partial, &meta.imported_by, &meta.imported_at);
    if scopes.is_empty() {
        return Ok(());
    }
    let (file, sha256, imported_at): (String, String, String) = conn.query_row(
        "SELECT file_name, sha256, imported_at FROM snapshot WHERE id = ?1",
        [snapshot],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut chain = ChainWriter::start(conn)?;
    let mut after = 0i64;
    loop {
        let batch: Vec<OpenRevoke> = conn
            .prepare_cached(
                "SELECT s.item, s.campaign, s.decided_event, i.grant_key, idn.tenant, e.system
                 FROM item_state s JOIN item i ON i.id = s.item
                 JOIN entitlement e ON e.id = i.entitlement
                 JOIN identity idn ON idn.id = i.identity
                 LEFT JOIN remediation r ON r.decision_event = s.decided_event
                 WHERE s.decision = 'revoke' AND s.item > ?1
                   AND (r.status IS NULL OR r.status = 'still_effective')
                 ORDER BY s.item LIMIT ?2",
            )?
            .query_map(params![after, CHECK_BATCH], |r| {
                Ok(OpenRevoke {
                    item: r.get(0)?,
                    campaign: r.get(1)?,
                    revoke_event: r.get(2)?,
                    entitlement: r.get(3)?,
                    tenant: r.get(4)?,
                    system: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.item;
        for mut open in batch {
            let scope = (
                std::mem::take(&mut open.tenant),
                std::mem::take(&mut open.system),
            );
            if !scopes.contains(&scope) {
                continue;
            }
            let held = holds(open.entitlement)?;
            let Some(status) = RemediationStatus::proven_by(held, partial) else {
                continue;
            };
            let note = match status {
                RemediationStatus::StillEffective => format!(
                    "snapshot {snapshot} ({file}, imported {imported_at}) still holds the grant \
                     revoked in event {}",
                    open.revoke_event
                ),
                _ => format!(
                    "snapshot {snapshot} ({file}, imported {imported_at}) no longer holds the \
                     grant revoked in event {}",
                    open.revoke_event
                ),
            };
            let body = serde_json::json!({
                "revoke_event": open.revoke_event,
                "snapshot": snapshot.0,
                "file": file,
                "sha256": sha256,
                "partial": partial,
                "entitlement": open.entitlement,
                "status": status.as_str(),
            });
            let seq = chain.append(
                conn,
                &NewEvent {
                    kind: status.event_kind(),
                    campaign: Some(CampaignId(open.campaign)),
                    item: Some(ItemId(open.item)),
                    actor,
                    actor_via: &meta.imported_via,
                    at,
                    note: Some(&note),
                    body: body.to_string(),
                },
            )?;
            record_outcome(conn, &open, status, snapshot, seq)?;
        }
    }
    Ok(())
}

fn record_outcome(
    conn: &Connection,
    open: &OpenRevoke,
    status: RemediationStatus,
    snapshot: SnapshotId,
    seq: EventSeq,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO remediation (decision_event, item, campaign, status, snapshot, event)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(decision_event) DO UPDATE SET status = excluded.status,
             snapshot = excluded.snapshot, event = excluded.event",
    )?
    .execute(params![
        open.revoke_event,
        open.item,
        open.campaign,
        status.as_str(),
        snapshot,
        seq
    ])?;
    // The item's latest event moved: a console that drew it before this
    // import sees the change instead of deciding over it.
    conn.prepare_cached("UPDATE item_state SET last_event = ?2 WHERE item = ?1")?
        .execute(params![open.item, seq])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RemediationCounts;
    use crate::domain::{Decision, RemediationStatus};
    use crate::store::campaigns::item_range;
    use crate::store::{CampaignSummary, ItemId, Store};
    use crate::testing::{
        OWNER, SAMPLE, decide, import_file, item_of, sample_store, sample_without,
    };

    /// Lena Brandt's Salesforce grant, on the first line of data.
    const LENA_SALESFORCE: &str = "salesforce,l.brandt@copperline.example.com";

    fn lena(store: &Store, q4: &CampaignSummary) -> ItemId {
        ItemId(item_of(
            store,
            q4,
            "salesforce",
            "l.brandt@copperline.example.com",
        ))
    }

    fn revoked_store() -> (Store, CampaignSummary) {
        let (mut store, q4) = sample_store();
        let item = lena(&store, &q4).0;
        decide(
            &mut store,
            &q4,
            OWNER,
            item,
            Some(Decision::Revoke),
            "contract ended",
        );
        (store, q4)
    }

    fn task(store: &Store, q4: &CampaignSummary) -> super::RemediationTask {
        store
            .remediation_task(q4.id, lena(store, q4))
            .unwrap()
            .unwrap()
    }

    fn counts(pending: u64, verified: u64, still_effective: u64) -> RemediationCounts {
        RemediationCounts {
            pending,
            verified,
            still_effective,
            carried_over: 0,
            not_done: 0,
        }
    }

    #[test]
    fn a_later_snapshot_without_the_grant_verifies_the_revoke() {
        let (mut store, q4) = revoked_store();
        assert_eq!(task(&store, &q4).status, RemediationStatus::Pending);
        assert_eq!(store.remediation_counts(q4.id).unwrap(), counts(1, 0, 0));

        import_file(
            &mut store,
            "december.csv",
            &sample_without(&[LENA_SALESFORCE]),
            false,
        );
        let done = task(&store, &q4);
        assert_eq!(done.status, RemediationStatus::Verified);
        let proof = done.proof.unwrap();
        assert_eq!((proof.id, proof.file_name.as_str()), (2, "december.csv"));
        let history = store.item_events(lena(&store, &q4)).unwrap();
        let last = history.last().unwrap();
        assert_eq!(last.kind, "remediation_verified");
        assert_eq!(Some(last.seq.0), done.outcome_event);
        assert!(last.note.as_deref().unwrap().contains("no longer holds"));
        assert_eq!(
            store
                .remediation_by_snapshot(crate::store::SnapshotId(2))
                .unwrap(),
            [("Q4".to_string(), counts(0, 1, 0))]
        );
        assert!(store.verify(&[], false).unwrap().ok());

        // Verified stays verified: a later import does not check it again.
        let before = store.chain_head().unwrap();
        import_file(
            &mut store,
            "again.csv",
            &sample_without(&[LENA_SALESFORCE]),
            false,
        );
        assert_eq!(
            store.chain_head().unwrap().0,
            before.0 + 1,
            "only the import event"
        );
    }

    #[test]
    fn a_later_snapshot_still_holding_it_is_still_effective_until_one_does_not() {
        let (mut store, q4) = revoked_store();
        import_file(&mut store, "december.csv", SAMPLE, false);
        let task1 = task(&store, &q4);
        assert_eq!(task1.status, RemediationStatus::StillEffective);
        assert_eq!(task1.proof.as_ref().unwrap().id, 2);
        assert_eq!(store.remediation_counts(q4.id).unwrap(), counts(0, 0, 1));
        let listed = store
            .remediation_page(q4.id, Some(RemediationStatus::StillEffective), None, 10)
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert!(
            store
                .remediation_page(q4.id, Some(RemediationStatus::Pending), None, 10)
                .unwrap()
                .is_empty()
        );

        import_file(
            &mut store,
            "january.csv",
            &sample_without(&[LENA_SALESFORCE]),
            false,
        );
        let task2 = task(&store, &q4);
        assert_eq!(task2.status, RemediationStatus::Verified);
        assert_eq!(task2.proof.unwrap().id, 3);
        let kinds: Vec<String> = store
            .item_events(lena(&store, &q4))
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "revoke",
                "remediation_still_effective",
                "remediation_verified"
            ]
        );
        assert!(store.verify(&[], false).unwrap().ok());
    }

    #[test]
    fn pages_follow_the_risk_order_by_keyset_and_filter_by_status() {
        let (mut store, q4) = sample_store();
        // The first campaign's items are ids 1… in risk order: rank + 1.
        let revoked: Vec<i64> = [3, 7, 8, 12, 20].iter().map(|rank| rank + 1).collect();
        for item in &revoked {
            decide(
                &mut store,
                &q4,
                OWNER,
                *item,
                Some(Decision::Revoke),
                "gone",
            );
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store.remediation_page(q4.id, None, after, 2).unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 2);
            after = page.last().map(|t| t.rank);
            seen.extend(page.iter().map(|t| t.item));
        }
        assert_eq!(seen, revoked, "every task once, riskiest first");
        let later = store
            .remediation_page(q4.id, Some(RemediationStatus::Pending), Some(8), 10)
            .unwrap();
        assert_eq!(
            later.iter().map(|t| t.rank).collect::<Vec<_>>(),
            [12, 20],
            "after rank 8"
        );
    }

    #[test]
    fn a_page_seeks_instead_of_sorting_every_revoke() {
        let (store, q4) = sample_store();
        let (first, last) = item_range(&store.conn, q4.id).unwrap();
        for status in [None, Some(RemediationStatus::StillEffective)] {
            for from in [first, first + 6] {
                let sql = format!("EXPLAIN QUERY PLAN {}", super::page_sql(status, 10));
                let plan: Vec<String> = store
                    .conn
                    .prepare(&sql)
                    .unwrap()
                    .query_map(rusqlite::params![from, last], |r| r.get::<_, String>(3))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap();
                assert!(
                    !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                    "{status:?} from {from}: {plan:#?}"
                );
            }
        }
    }

    #[test]
    fn partial_exports_prove_presence_but_never_removal() {
        let (mut store, q4) = revoked_store();
        let others = sample_without(&[LENA_SALESFORCE]);
        import_file(&mut store, "part.csv", &others, true);
        assert_eq!(task(&store, &q4).status, RemediationStatus::Pending);
        let just_lena: String = SAMPLE
            .lines()
            .enumerate()
            .filter(|(n, line)| *n == 0 || line.contains(LENA_SALESFORCE))
            .map(|(_, line)| format!("{line}\n"))
            .collect();
        import_file(&mut store, "lena.csv", &just_lena, true);
        assert_eq!(task(&store, &q4).status, RemediationStatus::StillEffective);
    }

    #[test]
    fn other_scopes_prove_nothing_and_an_undone_revoke_is_no_task() {
        let (mut store, q4) = revoked_store();
        let github: String = SAMPLE
            .lines()
            .enumerate()
            .filter(|(n, line)| *n == 0 || line.contains(",github,"))
            .map(|(_, line)| format!("{line}\n"))
            .collect();
        import_file(&mut store, "github.csv", &github, false);
        assert_eq!(task(&store, &q4).status, RemediationStatus::Pending);
        let item = lena(&store, &q4);
        decide(&mut store, &q4, OWNER, item.0, None, "");
        assert_eq!(store.remediation_task(q4.id, item).unwrap(), None);
        assert_eq!(store.remediation_counts(q4.id).unwrap().total(), 0);
    }
}
