//! Reading one snapshot on several connections at once, a thread each.
//!
//! Campaign creation takes the write lock (`BEGIN IMMEDIATE`) before it
//! reads anything, and reads everything before it writes: no other
//! connection can commit in between, so a read-only connection opened then
//! sees exactly what the writing one sees, and a scan of a million grants
//! can be cut into pieces read side by side.

use super::Result;
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
    helpers: usize,
}

impl<'c> Readers<'c> {
    /// Helpers may read only what `main` would read: call this while `main`
    /// holds the write lock and has written nothing.
    pub(super) fn new(main: &'c Connection, helpers: usize) -> Readers<'c> {
        let path = main.path().filter(|p| !p.is_empty()).map(str::to_string);
        let helpers = if path.is_some() { helpers } else { 0 };
        Readers {
            main,
            path,
            helpers,
        }
    }

    /// The calling thread's connection, the one that will write.
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
            let spawned: Vec<_> = (0..helpers)
                .filter_map(|_| self.path.as_deref())
                .map(|path| {
                    scope.spawn(move || match open_helper(path) {
                        Ok(conn) => drain(&conn),
                        Err(_) => Vec::new(),
                    })
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

fn open_helper(path: &str) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    conn.pragma_update(None, "cache_size", -HELPER_CACHE_KIB)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::Readers;
    use crate::store::StoreError;

    #[test]
    fn results_come_back_in_task_order_whoever_read_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE t (n INTEGER PRIMARY KEY);
             WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000)
             INSERT INTO t SELECT n FROM c;",
        )
        .unwrap();
        let readers = Readers::new(&conn, 3);
        assert_eq!(readers.width(), 4);
        let tasks: Vec<(i64, i64)> = (0..50).map(|i| (i * 20 + 1, i * 20 + 20)).collect();
        let sums = readers
            .run(&tasks, |conn, &(lo, hi)| {
                Ok(conn.query_row(
                    "SELECT sum(n) FROM t WHERE n BETWEEN ?1 AND ?2",
                    [lo, hi],
                    |r| r.get::<_, i64>(0),
                )?)
            })
            .unwrap();
        let expected: Vec<i64> = tasks.iter().map(|&(lo, hi)| (lo..=hi).sum()).collect();
        assert_eq!(sums, expected);
    }

    #[test]
    fn the_first_failure_in_task_order_is_reported() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let readers = Readers::new(&conn, 3);
        assert_eq!(readers.width(), 1, "nobody else can see a memory database");
        let tasks: Vec<i64> = (0..10).collect();
        let result = readers.run(&tasks, |_, &n| {
            if n >= 4 {
                Err(StoreError::Invalid(format!("task {n}")))
            } else {
                Ok(n)
            }
        });
        assert!(matches!(result, Err(StoreError::Invalid(m)) if m == "task 4"));
    }
}
