//! Bulk writes under a rollback journal while nobody else has the file open.
//!
//! In WAL mode every page a transaction writes goes into the log first and
//! is copied into the database file at the next checkpoint: a million-row
//! import writes its 280 MB twice, and the copy (a third of a second to a
//! second, by how busy the machine's kernel is) comes after the commit,
//! with nothing left to overlap it. A rollback journal writes each new page
//! once, straight into the file, and lets a small page cache spill there
//! without reading pages back through the log. So an import that finds the
//! file otherwise unused switches to a rollback journal for its transaction
//! and back to WAL when it ends, and one that finds anyone else connected
//! (SQLite refuses to leave WAL then) writes through the log as always.
//!
//! The price is paid by whoever arrives meanwhile: a recert that opens the
//! file waits for the import to end (its switch to WAL needs the lock the
//! import holds), readers included, where under WAL only writers wait. So
//! only sources small enough to be written well inside the 30 s others
//! wait for the file take this path ([`MAX_SOURCE_BYTES`], counted over
//! everything one command imports, since its imports follow each other too
//! closely for a waiting reader to slip in between); larger ones, or ones
//! whose size is unknown, write through the log. An import that
//! dies leaves a hot journal, which the next connection rolls back, and a
//! file in rollback mode, which the next [`Store::open`](super::Store::open)
//! sets to WAL.

use super::{BUSY_TIMEOUT, Result, StoreError};
use rusqlite::Connection;
use std::time::Duration;

/// The journal a bulk write runs under, and how to restore the usual one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BulkJournal {
    /// The file's own journal (WAL, or an in-memory database's), untouched.
    Usual,
    /// A rollback journal, with `synchronous=EXTRA`: in rollback mode FULL
    /// syncs the journal's deletion only with EXTRA, and without that sync
    /// a power loss can bring the journal back and undo the commit.
    Rollback,
}

impl BulkJournal {
    /// Switches `conn`, outside any transaction, to a rollback journal if
    /// the source is known to be at most [`MAX_SOURCE_BYTES`] and no other
    /// connection has the file open; never waits for one that has.
    pub(super) fn enter(conn: &Connection, source_bytes: Option<u64>) -> Result<BulkJournal> {
        if source_bytes.is_none_or(|bytes| bytes > MAX_SOURCE_BYTES) {
            return Ok(BulkJournal::Usual);
        }
        conn.busy_timeout(Duration::ZERO)?;
        let switched = journal_mode(conn, "DELETE");
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode = match switched.map_err(StoreError::from) {
            Ok(mode) => mode,
            Err(StoreError::Busy) => return Ok(BulkJournal::Usual),
            Err(e) => return Err(e),
        };
        if !mode.eq_ignore_ascii_case("delete") {
            return Ok(BulkJournal::Usual);
        }
        let journal = BulkJournal::Rollback;
        if let Err(e) = conn.pragma_update(None, "synchronous", "EXTRA") {
            journal.leave(conn);
            return Err(e.into());
        }
        Ok(journal)
    }

    /// The page cache for the bulk write's transaction, given what it wants
    /// under WAL. Asked inside the transaction: another recert may have
    /// switched the file back to WAL between [`BulkJournal::enter`] and the
    /// transaction's start, and then the log's cache is what is needed.
    /// Under a rollback journal new pages spill into the file and stay
    /// there, so a few MB do as well as hundreds.
    pub(super) fn cache_kib(self, conn: &Connection, under_wal: i64) -> Result<i64> {
        if self == BulkJournal::Usual {
            return Ok(under_wal);
        }
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        Ok(if mode.eq_ignore_ascii_case("delete") {
            under_wal.min(ROLLBACK_CACHE_KIB)
        } else {
            under_wal
        })
    }

    /// Back to WAL with `synchronous=FULL`, once the bulk write's
    /// transaction has ended either way. A switch that fails (another
    /// recert caught the file between the commit and here, and is switching
    /// it to WAL itself) leaves EXTRA in force, durable under either
    /// journal: what was committed is committed, so nothing here is an
    /// error.
    pub(super) fn leave(self, conn: &Connection) {
        if self == BulkJournal::Usual {
            return;
        }
        if journal_mode(conn, "WAL").is_ok_and(|mode| mode.eq_ignore_ascii_case("wal")) {
            let _ = conn.pragma_update(None, "synchronous", "FULL");
        }
    }
}

/// Sets the journal mode; SQLite answers with the mode now in force.
fn journal_mode(conn: &Connection, mode: &str) -> rusqlite::Result<String> {
    conn.pragma_update_and_check(None, "journal_mode", mode, |r| r.get(0))
}

/// The largest source an import writes under a rollback journal. A
/// million canonical rows (267 MB) took 3.3–3.6 s to import here, and
/// twice that in the machine's slow hours; 512 MiB keeps an import that
/// others wait for within half of their 30 s.
pub(super) const MAX_SOURCE_BYTES: u64 = 512 << 20;

/// A bulk write's page cache under a rollback journal. Measured on a
/// million-row import: 16 MiB as fast as 256 MiB, and 35 MiB at peak
/// against 288.
const ROLLBACK_CACHE_KIB: i64 = 16 * 1024;

#[cfg(test)]
mod tests {
    use super::{BulkJournal, MAX_SOURCE_BYTES};
    use crate::store::{SnapshotMeta, Store};
    use crate::testing;
    use rusqlite::Connection;

    const SMALL: Option<u64> = Some(1000);

    fn mode(conn: &Connection) -> String {
        conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap()
    }

    fn synchronous(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap()
    }

    fn file_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::create(&dir.path().join("r.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn alone_a_bulk_write_runs_under_a_rollback_journal_and_restores_wal() {
        let (_dir, store) = file_store();
        let journal = BulkJournal::enter(&store.conn, SMALL).unwrap();
        assert_eq!(journal, BulkJournal::Rollback);
        assert_eq!(mode(&store.conn), "delete");
        assert_eq!(synchronous(&store.conn), 3, "EXTRA");
        assert_eq!(journal.cache_kib(&store.conn, 1 << 20).unwrap(), 16 * 1024);
        journal.leave(&store.conn);
        assert_eq!(mode(&store.conn), "wal");
        assert_eq!(synchronous(&store.conn), 2, "FULL");
    }

    /// Others would wait for the whole import: one too large to be quick,
    /// or of unknown size, goes through the log.
    #[test]
    fn a_large_source_or_one_of_unknown_size_keeps_the_log() {
        let (_dir, store) = file_store();
        for size in [None, Some(MAX_SOURCE_BYTES + 1)] {
            let journal = BulkJournal::enter(&store.conn, size).unwrap();
            assert_eq!(journal, BulkJournal::Usual, "{size:?}");
            assert_eq!(mode(&store.conn), "wal");
            assert_eq!(journal.cache_kib(&store.conn, 1 << 20).unwrap(), 1 << 20);
        }
        let journal = BulkJournal::enter(&store.conn, Some(MAX_SOURCE_BYTES)).unwrap();
        assert_eq!(journal, BulkJournal::Rollback);
        journal.leave(&store.conn);
    }

    /// Another connection keeps the file in WAL.
    #[test]
    fn with_anyone_else_connected_the_log_is_kept() {
        let (dir, store) = file_store();
        let other = Store::open(&dir.path().join("r.db")).unwrap();
        let journal = BulkJournal::enter(&store.conn, SMALL).unwrap();
        assert_eq!(journal, BulkJournal::Usual);
        assert_eq!(mode(&store.conn), "wal");
        assert_eq!(synchronous(&store.conn), 2);
        journal.leave(&store.conn);
        assert_eq!(mode(&other.conn), "wal");
    }

    /// Switched back to WAL by someone else before the transaction began,
    /// the bulk write gets the log's cache.
    #[test]
    fn switched_back_meanwhile_the_write_gets_the_logs_cache() {
        let (dir, store) = file_store();
        let journal = BulkJournal::enter(&store.conn, SMALL).unwrap();
        assert_eq!(journal, BulkJournal::Rollback);
        drop(Store::open(&dir.path().join("r.db")).unwrap());
        store.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert_eq!(journal.cache_kib(&store.conn, 1 << 20).unwrap(), 1 << 20);
        store.conn.execute_batch("ROLLBACK").unwrap();
        journal.leave(&store.conn);
        assert_eq!(mode(&store.conn), "wal");
    }

    #[test]
    fn an_in_memory_database_keeps_its_journal() {
        let store = Store::open_in_memory().unwrap();
        let journal = BulkJournal::enter(&store.conn, SMALL).unwrap();
        assert_eq!(journal, BulkJournal::Usual);
        assert_eq!(mode(&store.conn), "memory");
    }

    /// An import of a small file writes under a rollback journal (its
    /// `-journal` file is there once a row is added); however it ends
    /// (committed, dry run, rejected), the file is back in WAL with
    /// `synchronous=FULL` and holds what was committed.
    #[test]
    fn an_import_runs_under_the_journal_and_restores_wal_however_it_ends() {
        let (dir, mut store) = file_store();
        let journal_file = dir.path().join("r.db-journal");
        let meta = || SnapshotMeta {
            source_bytes: Some(testing::SAMPLE.len() as u64),
            ..testing::grant_meta()
        };
        let restored = |store: &Store| (mode(&store.conn), synchronous(&store.conn));
        let record = crate::import::canonical::Reader::new(
            testing::SAMPLE.as_bytes(),
            crate::import::Defaults::default(),
        )
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
        let mut session = store.begin_import(meta()).unwrap();
        session.add(record.0, &record.1).unwrap();
        assert!(journal_file.exists(), "written under a rollback journal");
        drop(session);
        assert_eq!(restored(&store), ("wal".to_string(), 2), "rejected");
        let session = store.begin_import(meta()).unwrap();
        session.commit("", true).unwrap();
        assert_eq!(restored(&store), ("wal".to_string(), 2), "dry run");
        testing::import_as(&mut store, meta(), testing::SAMPLE);
        assert_eq!(restored(&store), ("wal".to_string(), 2), "committed");
        assert!(!journal_file.exists());
        let snapshots: i64 = store
            .conn
            .query_row("SELECT count(*) FROM snapshot", [], |r| r.get(0))
            .unwrap();
        assert_eq!(snapshots, 1);
    }

    /// A file left in rollback mode (a bulk write that died) is back in WAL
    /// once opened.
    #[test]
    fn opening_a_file_left_in_rollback_mode_restores_wal() {
        let (dir, store) = file_store();
        BulkJournal::enter(&store.conn, SMALL).unwrap();
        drop(store);
        let store = Store::open(&dir.path().join("r.db")).unwrap();
        assert_eq!(mode(&store.conn), "wal");
    }
}
