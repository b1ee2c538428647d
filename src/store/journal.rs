//! Bulk writes under a rollback journal while nobody else has the file open.
//!
//! In WAL mode every page a transaction writes goes into the log first and
//! is copied into the database file at the next checkpoint: a million-row
//! import writes its 280 MB twice, and the copy (a third of a second to a
//! second, by how busy the machine's kernel is) comes after the commit,
//! with nothing left to overlap it. A rollback journal writes each new page
//! once, straight into the file, and lets a small page cache spill there
//! without reading pages back through the log. So a bulk write that finds
//! the file otherwise unused switches to a rollback journal for its
//! transaction and back to WAL when it ends, and one that finds anyone else
//! connected (SQLite refuses to leave WAL then) writes through the log as
//! always.
//!
//! Meanwhile another recert that opens the file waits for the bulk write to
//! end (its switch to WAL needs the lock the writer holds), as its first
//! write would have waited under WAL. A bulk write that dies leaves a hot
//! journal, which the next connection rolls back, and a file in rollback
//! mode, which the next [`Store::open`](super::Store::open) sets to WAL.

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
    /// no other connection has the file open; never waits for one that
    /// has.
    pub(super) fn enter(conn: &Connection) -> Result<BulkJournal> {
        conn.busy_timeout(Duration::ZERO)?;
        let switched = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| {
            r.get::<_, String>(0)
        });
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

    /// The page cache a bulk write under this journal should use, given
    /// what it wants under WAL: under a rollback journal new pages spill
    /// into the file and stay there, so a few MB do as well as hundreds.
    pub(super) fn cache_kib(self, under_wal: i64) -> i64 {
        match self {
            BulkJournal::Usual => under_wal,
            BulkJournal::Rollback => under_wal.min(ROLLBACK_CACHE_KIB),
        }
    }

    /// Back to WAL with `synchronous=FULL`, once the bulk write's
    /// transaction has ended either way. A switch that fails (another
    /// process caught the file between the commit and here) leaves EXTRA in
    /// force, durable under either journal, and the file to the next
    /// [`Store::open`](super::Store::open), which switches it: what was
    /// committed is committed, so nothing here is an error.
    pub(super) fn leave(self, conn: &Connection) {
        if self == BulkJournal::Usual {
            return;
        }
        let back = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
        if back.is_ok_and(|mode| mode.eq_ignore_ascii_case("wal")) {
            let _ = conn.pragma_update(None, "synchronous", "FULL");
        }
    }
}

/// A bulk write's page cache under a rollback journal. Measured on a
/// million-row import: 16 MiB as fast as 256 MiB, and 35 MiB at peak
/// against 288.
const ROLLBACK_CACHE_KIB: i64 = 16 * 1024;

#[cfg(test)]
mod tests {
    use super::BulkJournal;
    use crate::store::Store;
    use crate::testing;
    use rusqlite::Connection;

    fn mode(conn: &Connection) -> String {
        conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap()
    }

    fn synchronous(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn alone_a_bulk_write_runs_under_a_rollback_journal_and_restores_wal() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::create(&dir.path().join("r.db")).unwrap();
        let journal = BulkJournal::enter(&store.conn).unwrap();
        assert_eq!(journal, BulkJournal::Rollback);
        assert_eq!(mode(&store.conn), "delete");
        assert_eq!(synchronous(&store.conn), 3, "EXTRA");
        journal.leave(&store.conn);
        assert_eq!(mode(&store.conn), "wal");
        assert_eq!(synchronous(&store.conn), 2, "FULL");
    }

    /// Another connection keeps the file in WAL, and the attempt does not
    /// wait for it.
    #[test]
    fn with_anyone_else_connected_the_log_is_kept_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let (store, _) = Store::create(&path).unwrap();
        let other = Store::open(&path).unwrap();
        let started = std::time::Instant::now();
        let journal = BulkJournal::enter(&store.conn).unwrap();
        assert_eq!(journal, BulkJournal::Usual);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(mode(&store.conn), "wal");
        assert_eq!(synchronous(&store.conn), 2);
        journal.leave(&store.conn);
        assert_eq!(mode(&other.conn), "wal");
    }

    #[test]
    fn an_in_memory_database_keeps_its_journal() {
        let store = Store::open_in_memory().unwrap();
        let journal = BulkJournal::enter(&store.conn).unwrap();
        assert_eq!(journal, BulkJournal::Usual);
        assert_eq!(journal.cache_kib(256 * 1024), 256 * 1024);
        assert_eq!(mode(&store.conn), "memory");
    }

    /// However an import ends (committed, dry run, rejected), the file is
    /// back in WAL with `synchronous=FULL`, and holds what was committed.
    #[test]
    fn an_import_restores_wal_however_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::create(&dir.path().join("r.db")).unwrap();
        let restored = |store: &Store| (mode(&store.conn), synchronous(&store.conn));
        drop(store.begin_import(testing::grant_meta()).unwrap());
        assert_eq!(restored(&store), ("wal".to_string(), 2), "rejected");
        let session = store.begin_import(testing::grant_meta()).unwrap();
        session.commit("", true).unwrap();
        assert_eq!(restored(&store), ("wal".to_string(), 2), "dry run");
        testing::import(&mut store, testing::SAMPLE);
        assert_eq!(restored(&store), ("wal".to_string(), 2), "committed");
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
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let (store, _) = Store::create(&path).unwrap();
        BulkJournal::enter(&store.conn).unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(mode(&store.conn), "wal");
    }
}
