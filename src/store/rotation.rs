//! Rotation tasks: every rotate decision in force, and whether a snapshot
//! imported after it shows the credential rotated. Nothing is recorded for
//! them: the status follows from the decision's event and the imported
//! grant versions, both of which `verify` checks, and from the day it is
//! asked on (a rotation is overdue once its date has passed).

use super::campaigns::{ItemContext, item_range};
use super::remediation::SnapshotRef;
use super::{CampaignId, ItemId, Result, Store};
use crate::domain::flags::{Flag, FlagSet};
use crate::domain::rotation::{
    OverdueRotation, RotationStatus, Settlement, is_overdue, proves_rotation,
};
use crate::domain::{Stamp, date::parse_day};
use chrono::NaiveDate;
use foldhash::{HashMap, HashMapExt};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// One rotate decision in force and what the snapshots since have shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RotationTask {
    pub item: i64,
    pub rank: i64,
    pub tenant: String,
    pub identity_id: String,
    pub identity_name: String,
    pub system: String,
    pub entitlement: String,
    pub rotate_event: i64,
    pub decided_by: String,
    pub decided_at: String,
    /// The last day the credential may be rotated on.
    pub by: NaiveDate,
    pub note: Option<String>,
    /// The rotate came from the campaign's close action, not a reviewer.
    pub close_action: bool,
    /// The rotation date the reviewer saw, if the source gave one.
    pub seen_rotated_at: Option<String>,
    pub status: RotationStatus,
    /// The first snapshot imported after the decision that settled it: one
    /// that shows a newer rotation (and `rotated_at`, the date it shows), or
    /// a complete one that no longer holds the grant (status `removed`).
    pub proof: Option<SnapshotRef>,
    pub rotated_at: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RotationCounts {
    pub pending: u64,
    pub verified: u64,
    pub overdue: u64,
    /// Settled by a complete snapshot without the grant: nothing to rotate.
    pub removed: u64,
}

impl RotationCounts {
    pub fn total(&self) -> u64 {
        self.pending + self.verified + self.overdue + self.removed
    }
}

/// Rotate decisions in force among the items ?1..?2 of campaign ?3.
const TASK_SELECT: &str = "SELECT i.id, i.risk_rank, idn.tenant, idn.identity_id, idn.name,
        e.system, e.name, s.decided_event, d.actor, d.at, d.note,
        json_extract(d.body, '$.close_action'), json_extract(d.body, '$.by'),
        e.credential_rotated_at, i.grant_key
    FROM item_state s
    JOIN item i ON i.id = s.item
    JOIN entitlement e ON e.id = i.entitlement
    JOIN identity idn ON idn.id = i.identity
    JOIN event d ON d.seq = s.decided_event
    WHERE s.campaign = ?3 AND s.decision = 'rotate' AND s.item BETWEEN ?1 AND ?2";

fn day_of(text: Option<&str>) -> Option<NaiveDate> {
    text.and_then(|t| Stamp::parse(t).ok()).map(|s| s.day())
}

/// What settled a rotation task: the snapshot, and what it showed.
struct Shown {
    snapshot: SnapshotRef,
    settlement: Settlement,
    /// The rotation date it shows; none when it shows the grant gone.
    rotated_at: Option<String>,
}

fn snapshot_ref(row: &Row<'_>) -> rusqlite::Result<SnapshotRef> {
    Ok(SnapshotRef {
        id: row.get(0)?,
        file_name: row.get(1)?,
        imported_at: row.get(2)?,
        sha256: row.get(3)?,
        partial: row.get(4)?,
    })
}

/// The last snapshot imported before event `seq` (0 when none was).
/// Snapshots are numbered in the order they are imported, so those after
/// an event follow the last one an import event before it names.
fn last_snapshot_before(conn: &Connection, seq: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce((SELECT json_extract(body, '$.snapshot') FROM event
                              WHERE campaign IS NULL AND kind = 'import' AND seq < ?1
                              ORDER BY seq DESC LIMIT 1), 0)",
        )?
        .query_row([seq], |r| r.get(0))?)
}

/// The first snapshot imported after event `decision`, and no later than
/// snapshot `upto`, that settles the rotation of grant `grant_key`: one
/// whose version shows a rotation that proves it (`proves_rotation`), or
/// a complete one that no longer holds the grant, whichever came first.
fn proof(
    conn: &Connection,
    grant_key: i64,
    decision: i64,
    decided: NaiveDate,
    seen: Option<NaiveDate>,
    upto: i64,
) -> Result<Option<Shown>> {
    let before = last_snapshot_before(conn, decision)?;
    // Only a complete import marks a version removed; the partial test
    // keeps it so should that ever change, as a revoke's check does.
    let removed = conn
        .prepare_cached(
            "SELECT sn.id, sn.file_name, sn.imported_at, sn.sha256, sn.partial
             FROM entitlement v JOIN snapshot sn ON sn.id = v.removed_snapshot
             WHERE v.key = ?1 AND v.removed_snapshot > ?2 AND v.removed_snapshot <= ?3
               AND sn.partial = 0
             ORDER BY v.removed_snapshot LIMIT 1",
        )?
        .query_row(params![grant_key, before, upto], snapshot_ref)
        .optional()?;
    let gone = removed.as_ref().map_or(i64::MAX, |s| s.id);
    let mut stmt = conn.prepare_cached(
        "SELECT sn.id, sn.file_name, sn.imported_at, sn.sha256, sn.partial,
                v.credential_rotated_at
         FROM entitlement v JOIN snapshot sn ON sn.id = v.snapshot
         WHERE v.key = ?1 AND v.snapshot > ?2 AND v.snapshot < ?3 AND v.snapshot <= ?4
           AND v.credential_rotated_at IS NOT NULL
         ORDER BY v.snapshot, v.id",
    )?;
    let mut rows = stmt.query(params![grant_key, before, gone, upto])?;
    while let Some(row) = rows.next()? {
        let rotated: String = row.get(5)?;
        if day_of(Some(&rotated)).is_some_and(|day| proves_rotation(day, decided, seen)) {
            return Ok(Some(Shown {
                snapshot: snapshot_ref(row)?,
                settlement: Settlement::Rotated,
                rotated_at: Some(rotated),
            }));
        }
    }
    Ok(removed.map(|snapshot| Shown {
        snapshot,
        settlement: Settlement::Removed,
        rotated_at: None,
    }))
}

fn read_task(conn: &Connection, r: &Row<'_>, today: NaiveDate) -> Result<RotationTask> {
    let decided_at: String = r.get(9)?;
    let event: i64 = r.get(7)?;
    let by: Option<String> = r.get(12)?;
    let by = by
        .as_deref()
        .and_then(|b| parse_day(b).ok())
        .ok_or_else(|| {
            super::StoreError::Corrupt(format!("rotate event {event} records no date"))
        })?;
    let seen: Option<String> = r.get(13)?;
    let decided = day_of(Some(&decided_at)).unwrap_or(by);
    let shown = proof(
        conn,
        r.get(14)?,
        event,
        decided,
        day_of(seen.as_deref()),
        i64::MAX,
    )?;
    let status = RotationStatus::on(by, shown.as_ref().map(|s| s.settlement), today);
    let (proof, rotated_at) = shown.map_or((None, None), |s| (Some(s.snapshot), s.rotated_at));
    Ok(RotationTask {
        item: r.get(0)?,
        rank: r.get(1)?,
        tenant: r.get(2)?,
        identity_id: r.get(3)?,
        identity_name: r.get(4)?,
        system: r.get(5)?,
        entitlement: r.get(6)?,
        rotate_event: event,
        decided_by: r.get(8)?,
        decided_at,
        by,
        note: r.get(10)?,
        close_action: r.get::<_, Option<String>>(11)?.is_some(),
        seen_rotated_at: seen,
        status,
        proof,
        rotated_at,
    })
}

impl Store {
    /// Walks every rotation task of a campaign (optionally of one status,
    /// as of `today`) in risk order.
    pub fn for_each_rotation_task(
        &self,
        campaign: CampaignId,
        status: Option<RotationStatus>,
        today: NaiveDate,
        mut visit: impl FnMut(&RotationTask) -> std::result::Result<(), Box<dyn std::error::Error>>,
    ) -> Result<()> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{TASK_SELECT} ORDER BY s.item"))?;
        let mut rows = stmt.query(params![first, last, campaign])?;
        while let Some(row) = rows.next()? {
            let task = read_task(&self.conn, row, today)?;
            if status.is_none_or(|s| s == task.status) {
                visit(&task).map_err(|e| super::StoreError::from_output(&*e))?;
            }
        }
        Ok(())
    }

    /// Rotation tasks per status as of `today`.
    pub fn rotation_counts(
        &self,
        campaign: CampaignId,
        today: NaiveDate,
    ) -> Result<RotationCounts> {
        let mut counts = RotationCounts::default();
        self.for_each_rotation_task(campaign, None, today, |task| {
            match task.status {
                RotationStatus::Pending => counts.pending += 1,
                RotationStatus::Verified => counts.verified += 1,
                RotationStatus::Overdue => counts.overdue += 1,
                RotationStatus::Removed => counts.removed += 1,
            }
            Ok(())
        })?;
        Ok(counts)
    }

    /// Up to `limit` rotation tasks as of `today`, in risk order after the
    /// risk rank `after`, optionally of one status.
    pub fn rotation_page(
        &self,
        campaign: CampaignId,
        status: Option<RotationStatus>,
        today: NaiveDate,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<RotationTask>> {
        let mut page = Vec::new();
        self.for_each_rotation_task(campaign, status, today, |task| {
            if page.len() < limit && after.is_none_or(|rank| task.rank > rank) {
                page.push(task.clone());
            }
            Ok(())
        })?;
        Ok(page)
    }

    /// The rotation task of one item, if its decision in force is a rotate.
    pub fn rotation_task(
        &self,
        campaign: CampaignId,
        item: ItemId,
        today: NaiveDate,
    ) -> Result<Option<RotationTask>> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let sql = format!("{TASK_SELECT} AND s.item = ?4");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![first, last, campaign, item])?;
        match rows.next()? {
            Some(row) => Ok(Some(read_task(&self.conn, row, today)?)),
            None => Ok(None),
        }
    }
}

/// A rotate decision as the log holds it.
struct Rotate<'a> {
    grant: i64,
    event: i64,
    /// When it was decided.
    at: &'a str,
    by: NaiveDate,
    /// The rotation date the reviewer saw, if the source gave one.
    seen: Option<&'a str>,
}

impl Rotate<'_> {
    /// Whether the rotation is still owed on `as_of`: its date passed, and
    /// no snapshot up to `upto` settled it. What flags `rotation_overdue`
    /// at creation, and what verify asks again of every such flag.
    fn owed_on(&self, conn: &Connection, as_of: NaiveDate, upto: i64) -> Result<bool> {
        if !is_overdue(self.by, as_of) {
            return Ok(false);
        }
        let decided = day_of(Some(self.at)).unwrap_or(self.by);
        let shown = proof(
            conn,
            self.grant,
            self.event,
            decided,
            day_of(self.seen),
            upto,
        )?;
        Ok(shown.is_none())
    }
}

/// Grant key → the rotate decision an earlier campaign left in force and
/// that is overdue on `as_of` with no snapshot since showing a newer
/// rotation or the grant gone: what campaign creation flags
/// `rotation_overdue`. (A grant gone is in no new campaign; one that comes
/// back is a new grant to review, not a rotation still owed.) Only the
/// latest campaign that decided the grant counts, as for lapsed exceptions.
pub(crate) fn overdue_rotations(
    conn: &Connection,
    as_of: NaiveDate,
) -> Result<HashMap<i64, OverdueRotation>> {
    let mut overdue = HashMap::new();
    // Through the index of states by campaign: campaigns are few.
    let mut stmt = conn.prepare(
        "SELECT i.grant_key, c.name, s.decided_event, json_extract(d.body, '$.by'), d.at,
                e.credential_rotated_at
         FROM item_state s JOIN item i ON i.id = s.item
         JOIN campaign c ON c.id = s.campaign
         JOIN event d ON d.seq = s.decided_event
         JOIN entitlement e ON e.id = i.entitlement
         WHERE s.campaign IN (SELECT id FROM campaign) AND s.decision = 'rotate'
           AND NOT EXISTS (SELECT 1 FROM event x WHERE x.campaign = s.campaign
                           AND x.kind = 'campaign_cancelled' AND x.item IS NULL)
           AND i.id = (SELECT max(i2.id) FROM item i2 JOIN item_state s2 ON s2.item = i2.id
                       WHERE i2.grant_key = i.grant_key
                         AND s2.decision IN ('attest', 'revoke', 'exception', 'rotate')
                         AND NOT EXISTS (SELECT 1 FROM event x2 WHERE x2.campaign = s2.campaign
                                         AND x2.kind = 'campaign_cancelled'
                                         AND x2.item IS NULL))",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let by: Option<String> = row.get(3)?;
        let Some(by) = by.as_deref().and_then(|b| parse_day(b).ok()) else {
            continue;
        };
        let grant: i64 = row.get(0)?;
        let event: i64 = row.get(2)?;
        let at: String = row.get(4)?;
        let seen: Option<String> = row.get(5)?;
        let rotate = Rotate {
            grant,
            event,
            at: &at,
            by,
            seen: seen.as_deref(),
        };
        if !rotate.owed_on(conn, as_of, i64::MAX)? {
            continue;
        }
        overdue.insert(
            grant,
            OverdueRotation {
                campaign: row.get(1)?,
                event,
                by,
            },
        );
    }
    Ok(overdue)
}

impl Store {
    /// An item flagged `rotation_overdue` whose grounds the log does not
    /// hold: the rotate it names (of the same grant, in the campaign it
    /// names, not cancelled before this one was created, due by that date)
    /// still owed on the campaign's `as_of` by what the snapshots imported
    /// before its creation (event `created`) showed. The flag is evidence;
    /// verify re-reads what it rests on.
    pub(super) fn rotation_overdue_problem(
        &self,
        campaign: CampaignId,
        created: i64,
        as_of: Option<NaiveDate>,
    ) -> Result<Option<String>> {
        let (first, last) = item_range(&self.conn, campaign)?;
        // No index of these flags: verify reads every item anyway.
        let mut items = self.conn.prepare(
            "SELECT id, grant_key, context FROM item
             WHERE id BETWEEN ?1 AND ?2 AND flags & ?3 != 0 ORDER BY id",
        )?;
        let mut rotate = self.conn.prepare(
            "SELECT d.kind, c.name, ri.grant_key, json_extract(d.body, '$.by'), d.at,
                    e.credential_rotated_at,
                    EXISTS (SELECT 1 FROM event x WHERE x.campaign = d.campaign
                            AND x.kind = 'campaign_cancelled' AND x.item IS NULL
                            AND x.seq < ?2)
             FROM event d
             LEFT JOIN campaign c ON c.id = d.campaign
             LEFT JOIN item ri ON ri.id = d.item
             LEFT JOIN entitlement e ON e.id = ri.entitlement
             WHERE d.seq = ?1 AND d.seq < ?2",
        )?;
        let upto = last_snapshot_before(&self.conn, created)?;
        let flag = FlagSet::mask(Flag::RotationOverdue);
        let mut rows = items.query(params![first, last, flag])?;
        while let Some(row) = rows.next()? {
            let (item, grant): (i64, i64) = (row.get(0)?, row.get(1)?);
            let context: Option<String> = row.get(2)?;
            let Some(o) = context
                .as_deref()
                .and_then(|json| serde_json::from_str::<ItemContext>(json).ok())
                .and_then(|c| c.overdue_rotation)
            else {
                return Ok(Some(format!(
                    "item {item} is flagged rotation_overdue without the rotate it names"
                )));
            };
            type Found = (
                String,
                Option<String>,
                Option<i64>,
                Option<String>,
                String,
                Option<String>,
                bool,
            );
            let found: Option<Found> = rotate
                .query_row(params![o.event, created], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })
                .optional()?;
            let grounded = match (found, as_of) {
                (Some((kind, name, key, by, at, seen, cancelled)), Some(as_of)) => {
                    kind == "rotate"
                        && !cancelled
                        && name.as_deref() == Some(o.campaign.as_str())
                        && key == Some(grant)
                        && by.as_deref().and_then(|b| parse_day(b).ok()) == Some(o.by)
                        && Rotate {
                            grant,
                            event: o.event,
                            at: &at,
                            by: o.by,
                            seen: seen.as_deref(),
                        }
                        .owed_on(&self.conn, as_of, upto)?
                }
                _ => false,
            };
            if !grounded {
                let on = as_of.map_or_else(|| "(unreadable)".into(), |d| d.to_string());
                return Ok(Some(format!(
                    "item {item} is flagged rotation_overdue, but the log holds no rotate of \
                     its grant in event {} of campaign {:?} by {} that was past its date on \
                     {on} with no snapshot showing it rotated before the campaign was created",
                    o.event, o.campaign, o.by
                )));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Decision;
    use crate::testing::{
        SAMPLE, day, decide, import_file, sample_item, sample_store, sample_without,
    };

    /// A cancelled campaign decided nothing (it is never a new campaign's
    /// previous one): its rotate promises nothing to flag.
    #[test]
    fn a_cancelled_campaigns_rotate_is_never_overdue() {
        use crate::domain::roster::Established;
        use crate::rules::authority::Actor;
        use crate::testing::{OWNER, acting};
        let (mut store, q4) = sample_store();
        let item = sample_item(&store, &q4, 21);
        decide(
            &mut store,
            &q4,
            "m.santos@northwind.example.com",
            item,
            Some(Decision::Rotate {
                by: day("2026-12-15"),
            }),
            "the vault rotates it",
        );
        let overdue = |store: &Store| overdue_rotations(&store.conn, day("2026-12-16")).unwrap();
        assert_eq!(overdue(&store).len(), 1, "in force, past its date");
        let owner = Actor {
            email: OWNER.into(),
            via: Established::Asserted,
            roles: Default::default(),
        };
        store
            .cancel_campaign(q4.id, &acting(OWNER), &owner, "made with the wrong scope")
            .unwrap();
        assert!(overdue(&store).is_empty());
    }

    #[test]
    fn a_rotation_is_overdue_for_the_next_campaign_from_the_day_after_until_a_snapshot_shows_it() {
        let (mut store, q4) = sample_store();
        // The billing key's Mailbox grant, rotated 2025-10-15.
        let item = sample_item(&store, &q4, 21);
        let by = day("2026-12-15");
        decide(
            &mut store,
            &q4,
            "m.santos@northwind.example.com",
            item,
            Some(Decision::Rotate { by }),
            "the vault rotates it",
        );
        let overdue =
            |store: &Store, as_of: &str| overdue_rotations(&store.conn, day(as_of)).unwrap();
        assert!(overdue(&store, "2026-12-14").is_empty(), "the day before");
        assert!(overdue(&store, "2026-12-15").is_empty(), "the day itself");
        let after = overdue(&store, "2026-12-16");
        assert_eq!(after.len(), 1, "the day after");
        let found = after.values().next().unwrap();
        assert_eq!((found.campaign.as_str(), found.by), ("Q4", by));

        // An export with the date the reviewer saw proves nothing; a newer
        // one does, even when it comes after the date.
        let with = |rotated: &str| -> String {
            SAMPLE
                .lines()
                .map(
                    |l| match l.starts_with("northwind,m365,key-billing-export,") {
                        true => format!("{}\n", l.replace(",2025-10-15,", &format!(",{rotated},"))),
                        false => format!("{l}\n"),
                    },
                )
                .collect()
        };
        import_file(&mut store, "same.csv", &with("2025-10-15"), false);
        assert_eq!(overdue(&store, "2026-12-16").len(), 1);
        let task = store
            .rotation_task(q4.id, crate::store::ItemId(item), day("2026-12-16"))
            .unwrap()
            .unwrap();
        assert_eq!(task.status, RotationStatus::Overdue);
        import_file(&mut store, "rotated.csv", &with("2026-12-20"), false);
        assert!(overdue(&store, "2026-12-21").is_empty());
        let task = store
            .rotation_task(q4.id, crate::store::ItemId(item), day("2026-12-21"))
            .unwrap()
            .unwrap();
        assert_eq!(task.status, RotationStatus::Verified);
        assert_eq!(task.proof.unwrap().file_name, "rotated.csv");
    }

    #[test]
    fn a_complete_snapshot_without_the_grant_settles_its_rotation_as_removed_not_verified() {
        let (mut store, q4) = sample_store();
        let item = sample_item(&store, &q4, 21);
        decide(
            &mut store,
            &q4,
            "m.santos@northwind.example.com",
            item,
            Some(Decision::Rotate {
                by: day("2026-12-15"),
            }),
            "the vault rotates it",
        );
        let task = |store: &Store| {
            store
                .rotation_task(q4.id, crate::store::ItemId(item), day("2026-12-16"))
                .unwrap()
                .unwrap()
        };
        let gone = sample_without(&["northwind,m365,key-billing-export,"]);

        // A partial export says nothing of what it leaves out.
        import_file(&mut store, "partial.csv", &gone, true);
        let partial = task(&store);
        assert_eq!(
            (partial.status, partial.proof),
            (RotationStatus::Overdue, None)
        );
        assert_eq!(
            overdue_rotations(&store.conn, day("2026-12-16"))
                .unwrap()
                .len(),
            1
        );
        let counts = store.rotation_counts(q4.id, day("2026-12-16")).unwrap();
        assert_eq!((counts.overdue, counts.removed), (1, 0));

        import_file(&mut store, "complete.csv", &gone, false);
        let removed = task(&store);
        assert_eq!(removed.status, RotationStatus::Removed);
        assert_eq!(removed.rotated_at, None, "nothing was rotated");
        let proof = removed.proof.unwrap();
        assert_eq!(
            (proof.file_name.as_str(), proof.partial),
            ("complete.csv", false)
        );
        let counts = store.rotation_counts(q4.id, day("2026-12-16")).unwrap();
        assert_eq!(
            (
                counts.overdue,
                counts.pending,
                counts.verified,
                counts.removed
            ),
            (0, 0, 0, 1)
        );
        assert_eq!(counts.total(), 1);
        assert!(
            overdue_rotations(&store.conn, day("2026-12-16"))
                .unwrap()
                .is_empty(),
            "no rotation is owed on a grant gone"
        );
    }
}
