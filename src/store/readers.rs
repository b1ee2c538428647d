//! Reading one snapshot on several connections at once, a thread each.
//!
//! Campaign creation takes the write lock (`BEGIN IMMEDIATE`) before it
//! reads anything, and reads everything before it writes: no other
//! connection can commit in between, so a read-only connection opened then
//! sees exactly what the writing one sees, and a scan of a million grants
//! can be cut into pieces read side by side. A report reads inside one read
//! transaction instead: a connection opened later sees any commit made
//! since, so it takes part only if nothing was (see [`Fingerprint`]).

use super::{Result, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Page cache of each helper connection: the pieces are scans that read
/// each page once, so a small cache loses little.
const HELPER_CACHE_KIB: i64 = 1024;

/// Helper connections at most, whatever the machine offers: beyond a few,
/// the pieces wait on memory and disk rather than on a core.
const MAX_HELPERS: usize = 3;

/// How many helper connections this machine can keep busy besides the
/// calling thread.
pub(super) fn available_helpers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .min(MAX_HELPERS)
}

/// The calling thread's connection and up to `helpers` read-only ones.
pub(super) struct Readers<'c> {
    main: &'c Connection,
    /// The database file, when other connections can open it (an in-memory
    /// database is private to its connection).
    path: Option<String>,
    /// What `main` sees, which a helper must see too to take part.
    seen: Option<Fingerprint>,
    helpers: usize,
}

impl<'c> Readers<'c> {
    /// Helpers may read only what `main` would read: call this while `main`
    /// holds the write lock and has written nothing, or inside the read
    /// transaction whose snapshot the helpers are to read.
    pub(super) fn new(main: &'c Connection, helpers: usize) -> Readers<'c> {
        let path = main.path().filter(|p| !p.is_empty()).map(str::to_string);
        // A helper reopens the file by its name; what it finds there must be
        // this database as `main` sees it, not a file since put in its place.
        let seen = fingerprint(main).ok();
        let helpers = if path.is_some() && seen.is_some() {
            helpers
        } else {
            0
        };
        Readers {
            main,
            path,
            seen,
            helpers,
        }
    }

    /// The calling thread's connection (in campaign creation, the one that
    /// will write).
    pub(super) fn main(&self) -> &'c Connection {
        self.main
    }

    /// How many connections may read at once.
    pub(super) fn width(&self) -> usize {
        self.helpers + 1
    }

    /// Runs `work` on every task, each on whichever connection is free
    /// first, and returns the results in task order, or the error of the
    /// first task (in task order) that failed. A helper that cannot open
    /// its connection leaves its share to the others.
    pub(super) fn run<W, T, F>(&self, tasks: &[W], work: F) -> Result<Vec<T>>
    where
        W: Sync,
        T: Send,
        F: Fn(&Connection, &W) -> Result<T> + Sync,
    {
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let drain = |conn: &Connection| {
            let mut done = Vec::new();
            while !failed.load(Ordering::Relaxed) {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(task) = tasks.get(index) else { break };
                let result = work(conn, task);
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                done.push((index, result));
            }
            done
        };
        let helpers = self.helpers.min(tasks.len().saturating_sub(1));
        let mut done = std::thread::scope(|scope| {
            let drain = &drain;
            // A helper that cannot start, open its connection or see what
            // `main` sees leaves its share to the others.
            let spawned: Vec<_> = (0..helpers)
                .filter_map(|_| Some((self.path.as_deref()?, self.seen.as_ref()?)))
                .filter_map(|(path, seen)| {
                    std::thread::Builder::new()
                        .spawn_scoped(scope, move || {
                            match open_helper(path, seen, HELPER_CACHE_KIB) {
                                Ok(conn) => drain(&conn),
                                Err(_) => Vec::new(),
                            }
                        })
                        .ok()
                })
                .collect();
            let mut done = drain(self.main);
            for handle in spawned {
                done.extend(
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
            done
        });
        // Tasks are taken in order and each taken task is finished, so
        // everything before the first failure is here.
        done.sort_unstable_by_key(|(index, _)| *index);
        done.into_iter().map(|(_, result)| result).collect()
    }
}

/// The schema and the newest row of each table creation and reports read,
/// and the newest audit event. Rows are only ever added and every change
/// appends an event, so two connections to one database with equal
/// fingerprints read the same rows: under the write lock, or in two read
/// transactions with no commit between their starts.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Fingerprint {
    schema: i64,
    newest: [Option<i64>; 5],
}

pub(super) fn fingerprint(conn: &Connection) -> Result<Fingerprint> {
    let schema = conn.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    let newest = conn.query_row(
        "SELECT (SELECT max(id) FROM identity), (SELECT max(id) FROM entitlement),
                (SELECT max(id) FROM register_entry), (SELECT max(id) FROM item),
                (SELECT max(seq) FROM event)",
        [],
        |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]),
    )?;
    Ok(Fingerprint { schema, newest })
}

/// Page cache of the console's reader: SQLite's own default, since what
/// it reads (counts, summaries, a search) is the console's usual reading.
const READER_CACHE_KIB: i64 = 2000;

impl super::Store {
    /// Another connection to this database that only reads, for reading on
    /// another thread beside this one: the console computes its counts,
    /// filter values and summaries there while the reviewer goes on. Each
    /// read sees what was committed when it began; it never takes the write
    /// lock, so it never keeps this connection from writing. `None` for a
    /// database in memory, which no other connection can see.
    pub fn reader(&self) -> Result<Option<super::Store>> {
        let Some(path) = self.conn.path().filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        // Opened by name: it must find this database there, not a file
        // since put in its place. A commit landing between the two looks
        // the same, so that is tried again.
        for _ in 0..3 {
            let seen = fingerprint(&self.conn)?;
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(path, flags)?;
            conn.busy_timeout(super::BUSY_TIMEOUT)?;
            conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
            if fingerprint(&conn)? == seen {
                return Ok(Some(super::Store {
                    conn,
                    path: self.path.clone(),
                }));
            }
        }
        Err(StoreError::Corrupt(format!(
            "{path} is no longer the database being read"
        )))
    }

    /// A handle that stops, from another thread, what this store is
    /// reading now.
    pub fn interrupter(&self) -> Interrupter {
        Interrupter(self.conn.get_interrupt_handle())
    }
}

/// Stops, from another thread, the statement a store is running: it fails
/// with an error instead of finishing. Nothing happens when none runs.
pub struct Interrupter(rusqlite::InterruptHandle);

impl Interrupter {
    pub fn interrupt(&self) {
        self.0.interrupt();
    }
}

/// A read-only connection holding a read transaction (so every piece it
/// reads comes from one snapshot) on a database that looks as `seen` says,
/// with a page cache of `cache_kib`.
pub(super) fn open_helper(path: &str, seen: &Fingerprint, cache_kib: i64) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.execute_batch("BEGIN")?;
    if fingerprint(&conn)? != *seen {
        return Err(StoreError::Corrupt(format!(
            "{path} is no longer the database being read"
        )));
    }
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::Readers;
    use crate::store::{Store, StoreError};
    use crate::testing;

    /// A database file holding the sample estate.
    fn sample_file(dir: &std::path::Path) -> Store {
        let (mut store, _) = Store::create(&dir.join("r.db")).unwrap();
        testing::import_file(&mut store, "sample.csv", testing::SAMPLE, false);
        store
    }

    /// Per task: the grant ids in its range, and whether a helper read it.
    fn read_ranges(readers: &Readers<'_>, tasks: &[(i64, i64)]) -> Vec<(Vec<i64>, bool)> {
        readers
            .run(tasks, |conn, &(lo, hi)| {
                // Slow enough that helpers, when allowed, take some tasks.
                std::thread::sleep(std::time::Duration::from_millis(1));
                let ids = conn
                    .prepare("SELECT id FROM entitlement WHERE id BETWEEN ?1 AND ?2 ORDER BY id")?
                    .query_map([lo, hi], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<i64>>>()?;
                Ok((ids, conn.is_readonly("main")?))
            })
            .unwrap()
    }

    #[test]
    fn results_come_back_in_task_order_whoever_read_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = sample_file(dir.path());
        let readers = Readers::new(&store.conn, 3);
        assert_eq!(readers.width(), 4);
        let tasks: Vec<(i64, i64)> = (0..50).map(|i| (i * 3 + 1, i * 3 + 3)).collect();
        let ids: Vec<i64> = read_ranges(&readers, &tasks)
            .into_iter()
            .flat_map(|(ids, _)| ids)
            .collect();
        let all: Vec<i64> = store
            .conn
            .prepare("SELECT id FROM entitlement WHERE id <= 150 ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(!all.is_empty());
        assert_eq!(ids, all);
    }

    #[test]
    fn helpers_take_no_part_once_the_file_is_not_what_the_reader_saw() {
        let dir = tempfile::tempdir().unwrap();
        let store = sample_file(dir.path());
        let readers = Readers::new(&store.conn, 3);
        // Written after the readers looked (creation holds the write lock,
        // so only a file put in place of the database can do this).
        let other = rusqlite::Connection::open(dir.path().join("r.db")).unwrap();
        other
            .execute(
                "INSERT INTO event (seq, at, actor, kind, body, prev_hash, hash)
                      SELECT max(seq) + 1, at, actor, kind, body, prev_hash, hash
                      FROM event WHERE seq = (SELECT max(seq) FROM event)",
                [],
            )
            .unwrap();
        let tasks: Vec<(i64, i64)> = (0..50).map(|i| (i * 3 + 1, i * 3 + 3)).collect();
        let read = read_ranges(&readers, &tasks);
        assert!(
            read.iter().all(|(_, by_helper)| !by_helper),
            "only main read"
        );
    }

    #[test]
    fn the_first_failure_in_task_order_is_reported() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let readers = Readers::new(&conn, 3);
        assert_eq!(readers.width(), 1, "nobody else can see a memory database");
        let tasks: Vec<i64> = (0..10).collect();
        let result = readers.run(&tasks, |_, &n| {
            if n >= 4 {
                Err(StoreError::Corrupt(format!("task {n}")))
            } else {
                Ok(n)
            }
        });
        assert!(matches!(result, Err(StoreError::Corrupt(m)) if m == "task 4"));
    }

    /// The console's reader: the same database, each commit seen by the
    /// next read, and no way to write through it.
    #[test]
    fn a_reader_sees_each_commit_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let (_, mut store, q4) = testing::sample_file_store(dir.path());
        let reader = store.reader().unwrap().expect("a file can have a reader");
        assert_eq!(reader.tally(q4.id).unwrap().decided(), 0);
        let item = testing::sample_item(&store, &q4, 1);
        testing::decide(
            &mut store,
            &q4,
            "m.santos@northwind.example.com",
            item,
            Some(crate::domain::Decision::Revoke),
            "gone",
        );
        assert_eq!(reader.tally(q4.id).unwrap().revoked, 1);
        assert!(reader.conn.is_readonly("main").unwrap());
        assert!(reader.conn.execute_batch("CREATE TABLE x (y)").is_err());
        let (memory, _) = testing::sample_store();
        assert!(
            memory.reader().unwrap().is_none(),
            "nobody else sees memory"
        );
    }

    /// A read of minutes stops when interrupted from another thread, and
    /// the connection reads as usual afterwards.
    #[test]
    fn an_interrupted_read_fails_and_the_next_one_runs() {
        let dir = tempfile::tempdir().unwrap();
        let (_, store, q4) = testing::sample_file_store(dir.path());
        let reader = store.reader().unwrap().unwrap();
        let stop = reader.interrupter();
        let endless = std::thread::spawn(move || {
            let result: rusqlite::Result<i64> = reader.conn.query_row(
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 2000000000)
                 SELECT count(*) FROM n",
                [],
                |r| r.get(0),
            );
            (result, reader)
        });
        while !endless.is_finished() {
            stop.interrupt();
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let (result, reader) = endless.join().unwrap();
        assert_eq!(
            result.unwrap_err().sqlite_error_code(),
            Some(rusqlite::ErrorCode::OperationInterrupted)
        );
        assert_eq!(reader.tally(q4.id).unwrap().total, 30);
    }
}
