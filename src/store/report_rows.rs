//! A campaign's item rows handed over for a report: in risk order on the
//! calling thread, or a range of ranks at a time through readers that
//! other threads own. Reading a million items with their versions,
//! decisions and remediation is SQLite's work and bound to one core per
//! connection, so each [`RowReader`] has a read-only connection of its own;
//! what is rendered, on how many threads and in which order it is written
//! is the report's business (`crate::report`). A reader must see the
//! database as the caller does (see `readers::Fingerprint`): when one does
//! not, or cannot open it, there are no readers and the caller reads
//! everything.

use super::bodies::BodyMemo;
use super::campaigns::item_range;
use super::readers::{fingerprint, open_helper};
use super::reporting::ReportRows;
use super::row::{ItemView, VersionLookup, select, walk};
use super::versions::Versions;
use super::{CampaignId, Result, Store, StoreError};
use rusqlite::Connection;
use std::ops::Range;

/// A reader's page cache: SQLite's default.
const READER_CACHE_KIB: i64 = 2000;

/// The rows a report reads: which items, and how their versions are read.
pub struct ReportSource<'s> {
    store: &'s Store,
    /// The campaign's item ids, inclusive.
    first: i64,
    last: i64,
    versions: Option<Versions>,
    /// The rows `rows` selects among the items `?1..=?2`, in risk order.
    sql: String,
}

/// Reads rows on a connection of its own, for one thread.
pub struct RowReader<'s> {
    conn: Connection,
    sql: &'s str,
    lookup: VersionLookup<'s>,
    first: i64,
    last: i64,
    bodies: BodyMemo,
}

impl Store {
    /// The campaign's rows that `rows` selects, ready to be read. Call it
    /// inside [`Store::read_consistent`], so that every reader sees one
    /// moment. A pass over every item reads the identity and grant
    /// versions beforehand when that is faster than joining them item by
    /// item (for a large campaign: about 40 MB at a million).
    pub fn report_source(
        &self,
        campaign: CampaignId,
        rows: ReportRows,
    ) -> Result<ReportSource<'_>> {
        let (first, last) = item_range(&self.conn, campaign)?;
        // The other passes print a few rows.
        let versions = match rows {
            ReportRows::All => Versions::load_for(&self.conn, last - first + 1)?,
            _ => None,
        };
        Ok(ReportSource::new(self, (first, last), rows, versions))
    }

    /// Walks the campaign's report rows in risk order without holding them.
    pub fn for_each_report_row(
        &self,
        campaign: CampaignId,
        rows: ReportRows,
        mut visit: impl FnMut(&ItemView<'_>) -> std::result::Result<(), Box<dyn std::error::Error>>,
    ) -> Result<()> {
        self.report_source(campaign, rows)?
            .for_each(|row| visit(row).map_err(|e| StoreError::from_output(&*e)))
    }
}

impl<'s> ReportSource<'s> {
    fn new(
        store: &'s Store,
        (first, last): (i64, i64),
        rows: ReportRows,
        versions: Option<Versions>,
    ) -> Self {
        let sql = format!(
            "{}{} ORDER BY i.id",
            select(VersionLookup::of(versions.as_ref())),
            rows.condition()
        );
        ReportSource {
            store,
            first,
            last,
            versions,
            sql,
        }
    }

    /// How many items the campaign holds: their ranks are `0..items()`.
    /// The rows read may be fewer, as the source's [`ReportRows`] selects.
    pub fn items(&self) -> u64 {
        u64::try_from(self.last - self.first + 1).unwrap_or(0)
    }

    /// Visits every row in risk order, on the calling thread.
    pub fn for_each<E: From<StoreError>>(
        &self,
        visit: impl FnMut(&ItemView<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let lookup = VersionLookup::of(self.versions.as_ref());
        let mut stmt = self.store.conn.prepare(&self.sql).map_err(db)?;
        let range = [self.first, self.last];
        walk(&mut stmt, range, lookup, &mut BodyMemo::default(), visit)
    }

    /// `count` readers, each on a read-only connection of its own that sees
    /// exactly what the store sees now; `None` when the database is not a
    /// file other connections can open, or when any of them cannot open it
    /// or sees another state of it.
    pub fn readers(&self, count: usize) -> Result<Option<Vec<RowReader<'_>>>> {
        let store = self.store;
        let Some(path) = store
            .conn
            .path()
            .filter(|p| !p.is_empty() && store.path.exists())
        else {
            return Ok(None);
        };
        let seen = fingerprint(&store.conn)?;
        let mut readers = Vec::with_capacity(count);
        for _ in 0..count {
            let Ok(conn) = open_helper(path, &seen, READER_CACHE_KIB) else {
                return Ok(None);
            };
            readers.push(RowReader {
                conn,
                sql: &self.sql,
                lookup: VersionLookup::of(self.versions.as_ref()),
                first: self.first,
                last: self.last,
                bodies: BodyMemo::default(),
            });
        }
        Ok(Some(readers))
    }
}

impl RowReader<'_> {
    /// Visits the rows among the items ranked `ranks`, in risk order.
    pub fn read<E: From<StoreError>>(
        &mut self,
        ranks: Range<u64>,
        visit: impl FnMut(&ItemView<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let id = |rank: u64| {
            i64::try_from(rank)
                .ok()
                .and_then(|rank| self.first.checked_add(rank))
                .unwrap_or(i64::MAX)
        };
        let (start, end) = (id(ranks.start), id(ranks.end).saturating_sub(1));
        if start > end {
            return Ok(());
        }
        let mut stmt = self.conn.prepare_cached(self.sql).map_err(db)?;
        let range = [start, end.min(self.last)];
        walk(&mut stmt, range, self.lookup, &mut self.bodies, visit)
    }
}

fn db<E: From<StoreError>>(e: rusqlite::Error) -> E {
    E::from(StoreError::from(e))
}

/// Every row of `campaign` read with its versions joined, and read with
/// every version loaded (in pieces, on several connections when the store
/// is a file): for tests that the two agree.
#[cfg(test)]
pub(super) fn rows_both_ways(
    store: &Store,
    campaign: CampaignId,
) -> (Vec<super::ItemRow>, Vec<super::ItemRow>) {
    let range = item_range(&store.conn, campaign).unwrap();
    let read = |versions| {
        let mut rows = Vec::new();
        ReportSource::new(store, range, ReportRows::All, versions)
            .for_each(|row| {
                rows.push(row.to_row());
                Ok::<_, StoreError>(())
            })
            .unwrap();
        rows
    };
    let loaded = super::versions::load_all(&store.conn).unwrap();
    assert!(loaded.is_some(), "every version loads");
    (read(None), read(loaded))
}

#[cfg(test)]
mod tests {
    use super::{ReportSource, rows_both_ways};
    use crate::domain::Decision;
    use crate::store::versions::superseded_estate;
    use crate::store::{ItemRow, ReportRows, Store, StoreError};
    use crate::testing;

    fn rows(source: &ReportSource<'_>) -> Vec<ItemRow> {
        let mut rows = Vec::new();
        source
            .for_each(|row| {
                rows.push(row.to_row());
                Ok::<_, StoreError>(())
            })
            .unwrap();
        rows
    }

    /// Every row, read by `readers` a few ranks at a time, in turn.
    fn rows_in_pieces(source: &ReportSource<'_>, readers: usize, piece: u64) -> Vec<ItemRow> {
        let mut readers = source.readers(readers).unwrap().expect("readers");
        let mut rows = Vec::new();
        let starts = (0..source.items()).step_by(piece as usize);
        let count = readers.len();
        for (n, start) in starts.enumerate() {
            readers[n % count]
                .read(start..start + piece, |row| {
                    rows.push(row.to_row());
                    Ok::<_, StoreError>(())
                })
                .unwrap();
        }
        rows
    }

    /// Rows read with their versions joined and with them loaded (in
    /// pieces, on several connections) agree, for a campaign whose items
    /// point at superseded versions and one whose point at current ones;
    /// and readers on their own connections read the same rows.
    #[test]
    fn loaded_versions_and_readers_read_what_the_joined_query_does() {
        let dir = tempfile::tempdir().unwrap();
        let (store, campaigns) = superseded_estate(dir.path());
        for campaign in &campaigns {
            let (joined, loaded) = rows_both_ways(&store, campaign.id);
            assert_eq!(joined.len() as u64, campaign.items);
            assert_eq!(joined, loaded, "{}", campaign.name);
            let range = crate::store::campaigns::item_range(&store.conn, campaign.id).unwrap();
            let versions = crate::store::versions::load_all(&store.conn).unwrap();
            let source = ReportSource::new(&store, range, ReportRows::All, versions);
            assert_eq!(joined, rows_in_pieces(&source, 3, 700), "{}", campaign.name);
            let source = ReportSource::new(&store, range, ReportRows::All, None);
            assert_eq!(joined, rows_in_pieces(&source, 2, 1), "{}", campaign.name);
        }
        // A pass that selects rows reads only those: Q3's revoke, which the
        // second import still holds.
        let [q3, _] = &campaigns;
        let first = crate::store::campaigns::item_range(&store.conn, q3.id)
            .unwrap()
            .0;
        let still = rows(
            &store
                .report_source(q3.id, ReportRows::StillEffective)
                .unwrap(),
        );
        let still: Vec<_> = still.iter().map(|r| (r.id.0, r.remediation)).collect();
        let status = Some(crate::domain::RemediationStatus::StillEffective);
        assert_eq!(still, [(first + 3, status)]);
    }

    /// A reader opened later than the caller's read transaction began sees
    /// any commit made since: then there are no readers at all.
    #[test]
    fn readers_see_what_the_caller_sees_or_there_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let (path, store, campaign) = testing::sample_file_store(dir.path());
        let mut other = Store::open(&path).unwrap();
        store
            .read_consistent(|store| {
                let source = store.report_source(campaign.id, ReportRows::All)?;
                assert_eq!(source.readers(2)?.map(|r| r.len()), Some(2));
                let item = testing::sample_item(store, &campaign, 1);
                let revoke = Some(Decision::Revoke);
                testing::decide(&mut other, &campaign, testing::OWNER, item, revoke, "x");
                assert!(source.readers(2)?.is_none(), "the file moved on");
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let source = store.report_source(campaign.id, ReportRows::All).unwrap();
        assert!(source.readers(2).unwrap().is_some(), "a new moment");
    }

    #[test]
    fn a_database_no_other_connection_can_open_has_no_readers() {
        let (store, campaign) = testing::sample_store();
        let source = store.report_source(campaign.id, ReportRows::All).unwrap();
        assert!(source.readers(2).unwrap().is_none(), "in memory");

        let dir = tempfile::tempdir().unwrap();
        let (path, store, campaign) = testing::sample_file_store(dir.path());
        let source = store.report_source(campaign.id, ReportRows::All).unwrap();
        std::fs::rename(&path, dir.path().join("moved.db")).unwrap();
        assert!(source.readers(2).unwrap().is_none(), "moved");
    }
}
