//! Storage: the only module that speaks SQL. Opens the database (WAL,
//! synchronous=FULL, foreign keys, busy timeout, owner-only file mode),
//! migrates it, and offers typed operations to the rest of recert.

mod access;
mod acted;
mod authority_replay;
mod backup;
mod bodies;
mod bulk;
mod cadence;
mod campaigns;
mod catalog;
mod chain;
mod closing;
mod columns;
mod creation;
#[cfg(test)]
mod creation_tests;
mod dashboard;
mod derived;
mod digest;
mod effective;
#[cfg(test)]
mod enrichment_tests;
#[cfg(test)]
mod error_tests;
mod events;
mod exceptions;
mod explain;
mod from_file;
mod grouping;
mod groups;
mod history;
mod identities;
mod imported;
mod imports;
mod integrity;
mod items;
mod journal;
mod lifecycle;
mod memo;
#[cfg(test)]
mod next_quarter_tests;
mod not_done;
mod parts;
mod people;
mod query;
mod readers;
mod refusals;
mod register;
mod remediation;
mod report_rows;
mod reporting;
mod rotation;
mod row;
mod schema;
mod selection;
#[cfg(test)]
mod shape_tests;
mod signoff;
mod snapshots;
pub mod sqlite;
mod stalled;
mod standing;
mod typed;
mod versions;

pub use acted::{ActedFor, Acting as ActingEvidence, ActorVia, Override};
pub use cadence::ScopeReviewed;
pub use campaigns::{CampaignSummary, NewCampaign, Tally};
pub use catalog::{CatalogCounts, CatalogImport, CatalogView};
pub use dashboard::{Dashboard, FACET_FIELDS, Facet, ReviewerProgress};
pub use events::{Acting, ChainBreak, ChainReport, DecisionOutcome, DecisionRequest, Misdated};
pub use from_file::{FileDecisions, FileRow, FileSource, LineProblem};
pub use imports::{IdentityChanges, ImportCounts, RowProblem, SnapshotMeta};
pub use items::{EarlierDecision, HistoryEntry, ItemDetail, ItemQuery, PageDirection};
pub use people::PeopleCounts;
pub use register::{RegisterCounts, RegisterImport};
pub use rotation::{RotationCounts, RotationTask};
pub use selection::{BulkOutcome, Selection, SelectionPreview};
pub use snapshots::ImportSession;
pub use stalled::{DelegationEntry, StalledItem, Waiting};

pub use exceptions::{ExceptionEntry, ExceptionFilter};
pub use grouping::PersonRow;
pub use groups::GroupTally;
pub use history::IdentityHistoryEntry;
pub use integrity::{Discrepancy, HeadCheck, Verification};
pub use lifecycle::{Closure, SignOff};
pub use not_done::NotDoneItem;
pub use parts::Part;
pub use readers::Interrupter;
pub use remediation::{RemediationCounts, RemediationTask, SnapshotRef};
pub use report_rows::{ReportSource, RowReader};
pub use reporting::{Assignment, CampaignEvidence, Capacity, Detail, ReportRows};
pub use row::{Item, ItemEvidence, ItemRow, ItemView};
pub use signoff::{ClosePreview, DecisionsBy, ItemList, SignoffSummary};

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another process's transaction before giving
/// up; long enough that several reviewers on one file never see "locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                i64::column_result(value).map($name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.0)
            }
        }
    )+};
}

id_type!(
    /// A campaign's row id.
    CampaignId,
    /// An item's row id; also the number reviewers quote.
    ItemId,
    /// A snapshot's row id.
    SnapshotId,
    /// An audit event's sequence number: the chain's order.
    EventSeq,
);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no recert database at {0}: run `recert init` first")]
    Missing(PathBuf),
    #[error("{path} is not a recert database ({detail}); it was left untouched")]
    NotADatabase { path: PathBuf, detail: String },
    #[error("cannot use {path}: {detail}; nothing was changed")]
    NoAccess { path: PathBuf, detail: String },
    #[error(
        "{path} is damaged ({detail}); recert cannot read it and left it untouched: \
         restore it from a backup"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "{path} says schema version {found}, but its tables are not the ones this recert's \
         version {found} has: {detail}. It was made by another build of recert (the first \
         release wrote a different schema 1); it was left untouched: keep using the recert \
         that made it, or import its source files into a new database"
    )]
    OtherLineage {
        path: PathBuf,
        found: usize,
        detail: String,
    },
    #[error(
        "{path} has schema version {found}, newer than this recert understands ({known}); \
         use a newer recert"
    )]
    NewerSchema {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("no campaign named {0:?}")]
    NoCampaign(String),
    #[error("a campaign named {0:?} already exists")]
    CampaignExists(String),
    #[error("item {item} is not in campaign {campaign:?}")]
    NoItem { campaign: String, item: i64 },
    #[error("item {item} changed since you saw it: {actor} recorded {what} (event {seq})")]
    Conflict {
        item: i64,
        actor: String,
        what: String,
        seq: i64,
    },
    #[error("{0}")]
    Invalid(String),
    /// An import's commit failed after its snapshot reached the file (the
    /// disk did not confirm it): it is there, and should be verified.
    #[error(
        "snapshot {snapshot} was written, but the disk failed to confirm it ({error}): \
         check the disk, then `recert verify`"
    )]
    Unconfirmed {
        snapshot: SnapshotId,
        error: rusqlite::Error,
    },
    /// More than one piece of work can hold (`what` names it).
    #[error("{what} is too large to assess in one piece")]
    TooLarge { what: &'static str },
    /// A caller's row visitor or writer failed, other than on a closed
    /// pipe: its message.
    #[error("{0}")]
    Output(String),
    /// A process rule refused what was asked; see [`crate::rules`].
    #[error(transparent)]
    Refused(#[from] crate::rules::Refusal),
    #[error(
        "the database is busy: another recert held it for more than {} s; nothing was \
         changed, try again",
        BUSY_TIMEOUT.as_secs()
    )]
    Busy,
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("stored data has an unexpected type: {0}")]
    Type(#[from] rusqlite::types::FromSqlError),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// Standard output's reader went away while rows were written to it.
    #[error("cannot write the output")]
    ReaderGone(#[source] std::io::Error),
}

impl StoreError {
    /// What an error from a caller's row visitor or writer becomes: a
    /// broken pipe keeps its kind, so that `main` ends quietly on it; any
    /// other failure is reported in words.
    pub(crate) fn from_output(error: &(dyn std::error::Error + 'static)) -> StoreError {
        if crate::output::is_broken_pipe(error) {
            StoreError::ReaderGone(std::io::ErrorKind::BrokenPipe.into())
        } else {
            StoreError::Output(error.to_string())
        }
    }
}

/// SQLite's "database is locked" means another process outlasted the busy
/// timeout: say so in words a reviewer can act on.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        if is_busy(&e) {
            StoreError::Busy
        } else {
            StoreError::Sqlite(e)
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Creates the database if it does not exist, and the directories
    /// above it, all owner-only whatever the umask, and brings its schema
    /// up to date. Returns whether it was created. A path that exists must
    /// be a regular file.
    pub fn create(path: &Path) -> Result<(Store, bool)> {
        let created = !access::existing_file(path)?;
        if created {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                crate::files::create_private_dirs(parent)
                    .map_err(|e| access::refusal(path, access::Step::CreateDir(parent), &e))?;
            }
            crate::files::create_private_file(path)
                .map_err(|e| access::refusal(path, access::Step::Create, &e))?;
        } else {
            make_empty_file_owner_only(path)?;
        }
        let store = Store::connect(path, true)?;
        Ok((store, created))
    }

    /// Opens an existing database, upgrading an older schema.
    pub fn open(path: &Path) -> Result<Store> {
        if !access::existing_file(path)? {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        Store::connect(path, false)
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrations().to_latest(&mut conn)?;
        Ok(Store {
            conn,
            path: PathBuf::from(":memory:"),
        })
    }

    /// Opens and upgrades the file, retrying while another process holds a
    /// lock SQLite does not wait for through the busy timeout (recovering
    /// the WAL after a crash, deleting it as the last connection closes).
    fn connect(path: &Path, initialising: bool) -> Result<Store> {
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match Store::connect_once(path, initialising) {
                Err(StoreError::Busy) if started.elapsed() < BUSY_TIMEOUT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    fn connect_once(path: &Path, initialising: bool) -> Result<Store> {
        access::check_header(path)?;
        Store::connect_checked(path, initialising).map_err(|e| match e {
            StoreError::Sqlite(e) => {
                access::sqlite_refusal(path, &e).unwrap_or(StoreError::Sqlite(e))
            }
            other => other,
        })
    }

    fn connect_checked(path: &Path, initialising: bool) -> Result<Store> {
        // Refusals to access the files are named by `connect_once`.
        let not_db = |e: rusqlite::Error| match StoreError::from(e) {
            StoreError::Sqlite(e) if access::sqlite_refusal(path, &e).is_some() => {
                StoreError::Sqlite(e)
            }
            StoreError::Sqlite(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) =>
            {
                StoreError::Damaged {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                }
            }
            StoreError::Sqlite(e) => StoreError::NotADatabase {
                path: path.to_path_buf(),
                detail: e.to_string(),
            },
            other => other,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(not_db)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // The first read of the schema is where SQLite notices a file that
        // only looks like a database.
        let version: usize = conn
            .pragma_query_value(None, "user_version", |row| row.get::<_, i64>(0))
            .map_err(not_db)? as usize;
        // Another program's file: tables, but not recert's audit log. Its
        // own user_version says nothing about recert's schema.
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(not_db)?;
        let ours: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table'
                   AND name IN ('event', 'campaign', 'snapshot')",
                [],
                |r| r.get(0),
            )
            .map_err(not_db)?;
        if tables > 0 && ours < 3 {
            return Err(StoreError::NotADatabase {
                path: path.to_path_buf(),
                detail: "it is an SQLite file of some other program".into(),
            });
        }
        let known = schema::latest_version();
        if version > known {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found: version,
                known,
            });
        }
        if version == 0 && !initialising {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        if version > 0 && version < known {
            check_lineage(&conn, path)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        if version < known {
            upgrade(&mut conn, known)?;
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Leaves checkpoints (copying the write-ahead log into the database
    /// file) to [`Store::idle_maintenance`], so that an interactive session
    /// pays for them while the reviewer reads rather than inside a
    /// decision's commit. A commit is durable in the log either way; other
    /// processes keep checkpointing as usual.
    pub fn maintain_when_idle(&self) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(())
    }

    /// The upkeep an interactive session does while its user reads:
    /// copies what the log holds into the database file (a checkpoint), as
    /// far as other readers allow, without waiting for them.
    ///
    /// Once the file holds everything, the next write starts the log over,
    /// and SQLite syncs the new log's header before writing to it: a second
    /// `fsync` inside the next decision's commit (strace of the bench's
    /// commits: four per decision, two of them in the commit). So the log
    /// is started over here, while the reviewer reads, by a write that
    /// changes nothing (the schema version, set to itself, inside the
    /// transaction that read it). That write needs no sync of its own (the
    /// header still gets one): the next commit's sync covers it, and losing
    /// it loses nothing. If another connection holds the write lock, it is
    /// skipped rather than waited for; if one still reads the old log,
    /// SQLite appends instead of starting over, which costs a frame.
    pub fn idle_maintenance(&self) -> Result<()> {
        if !self.conn.is_autocommit() {
            return Ok(());
        }
        let (busy, log, copied): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        if busy != 0 || log <= 0 || copied != log {
            return Ok(());
        }
        self.conn.busy_timeout(Duration::ZERO)?;
        // From here every path restores the timeout and synchronous=FULL.
        let restarted = self
            .conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(StoreError::from)
            .and_then(|()| self.start_log_over());
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let restored = self
            .conn
            .pragma_update(None, "synchronous", "FULL")
            .and_then(|()| self.conn.busy_timeout(BUSY_TIMEOUT));
        match restarted {
            Err(StoreError::Busy) => {}
            other => other?,
        }
        Ok(restored?)
    }

    fn start_log_over(&self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        self.conn
            .execute_batch(&format!("PRAGMA user_version = {version}; COMMIT"))?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<usize> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?;
        Ok(v as usize)
    }

    /// Every row of every table as text, sorted: two equal dumps mean
    /// equal content. Tests use it to prove a rejected import changed nothing.
    pub fn dump(&self) -> Result<String> {
        let tables: Vec<String> = self
            .conn
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table'
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = String::new();
        for table in tables {
            // Table names come from the schema itself, not from input.
            let mut stmt = self.conn.prepare(&format!("SELECT * FROM \"{table}\""))?;
            let width = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |row| {
                    let mut cells = Vec::with_capacity(width);
                    for i in 0..width {
                        cells.push(format!("{:?}", row.get::<_, rusqlite::types::Value>(i)?));
                    }
                    Ok(cells.join("|"))
                })?
                .collect::<rusqlite::Result<_>>()?;
            rows.sort();
            out.push_str(&format!("## {table} ({} rows)\n", rows.len()));
            for row in rows {
                out.push_str(&row);
                out.push('\n');
            }
        }
        Ok(out)
    }

    /// Runs `work` in a write transaction taken up front (`BEGIN IMMEDIATE`),
    /// so that concurrent writers queue on the busy timeout instead of
    /// failing halfway through.
    fn write<T>(
        &mut self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// Before an upgrade touches the file: its tables must be what this
/// build's migrations made at its version, or the next migration would
/// run on tables it was not written for and leave a file no recert can
/// read. Version and tables are read in one transaction, so a concurrent
/// upgrade by another recert is seen whole or not at all.
fn check_lineage(conn: &Connection, path: &Path) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let version = version as usize;
    if version == 0 || version >= schema::latest_version() {
        return Ok(());
    }
    let found = schema::shape(&tx)?;
    let expected = schema::expected_shape(version)?;
    match schema::difference(&found, &expected) {
        None => Ok(()),
        Some(detail) => Err(StoreError::OtherLineage {
            path: path.to_path_buf(),
            found: version,
            detail,
        }),
    }
}

/// Brings the schema up to date. Several recerts may open an old file at
/// once: each waits for the write lock (an immediate transaction) instead
/// of failing on it, and one that finds the upgrade already done by
/// another (its SQL then fails on tables that exist) reads the version
/// again rather than reporting an error.
fn upgrade(conn: &mut Connection, known: usize) -> Result<()> {
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    let outcome = schema::migrations().to_latest(conn);
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Deferred);
    match outcome {
        Ok(()) => Ok(()),
        Err(e) => {
            let now: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
            if now as usize >= known {
                return Ok(());
            }
            match e {
                rusqlite_migration::Error::RusqliteError { err, .. } if is_busy(&err) => {
                    Err(StoreError::Busy)
                }
                e => Err(e.into()),
            }
        }
    }
}

/// An existing empty file becomes the database: it must then be as private
/// as one recert creates. A file with content is never touched here.
fn make_empty_file_owner_only(path: &Path) -> Result<()> {
    let empty = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0);
    #[cfg(unix)]
    if empty {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
            StoreError::NotADatabase {
                path: path.to_path_buf(),
                detail: format!("cannot make it readable by its owner only: {e}"),
            }
        })?;
    }
    let _ = empty;
    Ok(())
}

#[cfg(test)]
mod checkpoint_tests {
    use super::*;

    fn pragma(store: &Store, name: &str) -> i64 {
        store
            .conn
            .pragma_query_value(None, name, |r| r.get(0))
            .unwrap()
    }

    /// The write that starts the log over changes the connection's settings
    /// for a moment only, and gives way to another writer at once.
    #[test]
    fn a_checkpoint_restores_durability_and_patience_and_never_waits() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut store, _) = crate::testing::sample_file_store(dir.path());
        let settings =
            |store: &Store| (pragma(store, "synchronous"), pragma(store, "busy_timeout"));
        let full = (2, BUSY_TIMEOUT.as_millis() as i64);
        assert_eq!(settings(&store), full);
        store.idle_maintenance().unwrap();
        assert_eq!(settings(&store), full, "after starting the log over");

        crate::testing::campaign(&mut store, "Q1", "2026-11-01");
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        // Busy at once (with the 30 s timeout this test would take 30 s),
        // and not an error: the log is simply not started over.
        store.idle_maintenance().unwrap();
        assert_eq!(settings(&store), full, "after giving way");
        assert!(store.conn.is_autocommit());
        other.execute_batch("COMMIT").unwrap();
    }

    /// Revokes the sample's riskiest item as the console would: a commit,
    /// with checkpoints left to idle maintenance.
    fn revoke(store: &mut Store, n: usize, note: &str) {
        let campaign = store.campaign("Q4").unwrap();
        let item = crate::testing::sample_item(store, &campaign, n);
        crate::testing::decide(
            store,
            &campaign,
            "m.santos@northwind.example.com",
            item,
            Some(crate::domain::Decision::Revoke),
            note,
        );
    }

    /// A decision is durable in the log when committed, and reaches the
    /// database file itself with the next idle maintenance.
    #[test]
    fn idle_maintenance_copies_the_log_into_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut store, _) = crate::testing::sample_file_store(dir.path());
        store.maintain_when_idle().unwrap();
        store.idle_maintenance().unwrap();
        // The database file alone, as a copy without its log sees it.
        let revokes_in_file = || {
            let copy = dir.path().join("copy.db");
            std::fs::copy(&path, &copy).unwrap();
            let conn = rusqlite::Connection::open(&copy).unwrap();
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM event WHERE kind = 'revoke'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            drop(conn);
            std::fs::remove_file(&copy).unwrap();
            n
        };
        revoke(&mut store, 1, "gone");
        assert_eq!(revokes_in_file(), 0, "in the log, not yet in the file");
        store.idle_maintenance().unwrap();
        assert_eq!(revokes_in_file(), 1, "copied into the file");
    }

    /// Idle maintenance also starts the log over, so that the next
    /// decision's commit appends to it and syncs once, instead of writing
    /// and syncing a new log header first. The log's salt (bytes 16..24 of
    /// its header) changes exactly when it starts over.
    #[test]
    fn after_idle_maintenance_the_next_commit_appends_to_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut store, _) = crate::testing::sample_file_store(dir.path());
        let salt = || {
            let log = std::fs::read(path.with_file_name("r.db-wal")).unwrap();
            log[16..24].to_vec()
        };
        let version = store.schema_version().unwrap();
        store.maintain_when_idle().unwrap();
        revoke(&mut store, 1, "first");
        store.idle_maintenance().unwrap();
        let started_over = salt();
        revoke(&mut store, 2, "second");
        assert_eq!(salt(), started_over, "the commit appended to the log");
        store.idle_maintenance().unwrap();
        assert_ne!(salt(), started_over, "maintenance started it over again");
        assert_eq!(
            store.schema_version().unwrap(),
            version,
            "the write that starts the log over changes nothing"
        );
    }
}
