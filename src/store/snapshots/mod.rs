//! Imports: one snapshot per source file, written in a single transaction
//! so that a rejected file leaves the database exactly as it was. Grants a
//! snapshot's scopes no longer contain are marked removed, never deleted.
//!
//! This is the hottest write path (a million rows must import as fast as
//! the `sqlite3` shell's `.import`), hence the held statements, the
//! allocation-free lookups and the fast path for scopes that hold nothing yet.

use super::bulk::{Insert, Value};
use super::digest::{Digests, Stream};
use super::imports::{
    ImportCounts, RowProblem, SnapshotMeta, Warnings, record_counts, record_import,
};
use super::journal::BulkJournal;
use super::{Result, SnapshotId, Store, StoreError};
use crate::domain::{EntitlementRecord, Stamp};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Statement, params};
use std::collections::{BTreeMap, HashMap, HashSet};

mod identities;
#[cfg(test)]
mod tests;

pub use identities::IdentityConflict;
use identities::SeenIdentity;

/// The page cache an import may use when it writes through the WAL (see
/// [`BulkJournal`] for when it does not). SQLite allocates it as pages are
/// read or dirtied, so a small import uses little of it. A million-row import
/// dirties about 280 MB: with 64 MiB it spilled and re-read 67,000 pages
/// through the WAL (a third of its page I/O); 256 MiB keeps most in memory,
/// for a peak of about 320 MiB against 95.
const IMPORT_CACHE_KIB: i64 = 256 * 1024;

/// Grant-level columns compared on re-import, in the order of `FIND`.
const GRANT_FIELDS: [&str; 12] = [
    "environment",
    "privileged",
    "shared",
    "business_owner",
    "technical_owner",
    "justification",
    "granted_at",
    "expires_at",
    "last_used_at",
    "credential_rotated_at",
    "ticket",
    "active",
];

const FIND: &str = "SELECT id, environment, privileged, shared, business_owner, technical_owner,
        justification, granted_at, expires_at, last_used_at, credential_rotated_at, ticket,
        active, removed_snapshot, key
    FROM entitlement
    WHERE identity = ?1 AND system = ?2 AND name = ?3 AND superseded IS NULL";

const INSERT: &str = "INSERT INTO entitlement (id, key, identity, system, name, environment,
        privileged, shared, business_owner, technical_owner, justification, granted_at,
        expires_at, last_used_at, credential_rotated_at, ticket, snapshot, source_line, active)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";

/// The statements an import runs per row, prepared once.
struct Statements<'a> {
    find: Statement<'a>,
    insert: Insert<'a>,
    supersede: Statement<'a>,
    log_change: Statement<'a>,
    mark_removed: Statement<'a>,
    line_of: Statement<'a>,
    scope_held: Statement<'a>,
    find_identity: Statement<'a>,
    insert_identity: Insert<'a>,
    supersede_identity: Statement<'a>,
}

impl<'a> Statements<'a> {
    fn prepare(conn: &'a Connection) -> Result<Statements<'a>> {
        Ok(Statements {
            find: conn.prepare(FIND)?,
            insert: Insert::prepare(conn, INSERT)?,
            supersede: conn.prepare("UPDATE entitlement SET superseded = ?2 WHERE id = ?1")?,
            log_change: conn.prepare(
                "INSERT INTO entitlement_change (snapshot, entitlement, kind, detail)
                 VALUES (?1, ?2, ?3, ?4)",
            )?,
            mark_removed: conn
                .prepare("UPDATE entitlement SET removed_snapshot = ?2 WHERE id = ?1")?,
            line_of: conn.prepare(
                "SELECT source_line FROM entitlement
                 WHERE identity = ?1 AND system = ?2 AND name = ?3 AND superseded IS NULL",
            )?,
            scope_held: conn.prepare(
                "SELECT EXISTS (SELECT 1 FROM identity i JOIN entitlement e ON e.identity = i.key
                                WHERE i.tenant = ?1 AND i.superseded IS NULL
                                  AND e.system = ?2 AND e.superseded IS NULL)",
            )?,
            find_identity: conn.prepare(
                "SELECT id, key, name, kind, relationship, organization, region, sponsor, email
                 FROM identity WHERE tenant = ?1 AND identity_id = ?2 AND superseded IS NULL",
            )?,
            insert_identity: Insert::prepare(
                conn,
                "INSERT INTO identity (id, key, tenant, identity_id, name, kind, relationship,
                     organization, region, sponsor, email, snapshot)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?,
            supersede_identity: conn
                .prepare("UPDATE identity SET superseded = ?2 WHERE id = ?1")?,
        })
    }
}

/// An import in progress. Dropping it without [`ImportSession::commit`]
/// rolls everything back.
pub struct ImportSession<'a> {
    conn: &'a Connection,
    /// Restored once the transaction ends, whichever way.
    journal: BulkJournal,
    stmts: Statements<'a>,
    snapshot: SnapshotId,
    meta: SnapshotMeta,
    /// The identity of the latest row, as (tenant, identity_id, seen).
    last_identity: Option<(String, String, SeenIdentity)>,
    /// The (tenant, system) scopes this snapshot speaks for, and whether
    /// each held grants before it (a scope that held none takes the fast path).
    /// Keyed by tenant, then system, so that a row's scope is found
    /// without allocating: rows sorted by identity change system nearly
    /// every row, and keying by an owned pair cost 5% of the storing thread.
    scopes: BTreeMap<String, BTreeMap<String, bool>>,
    counts: ImportCounts,
    conflicts: Vec<IdentityConflict>,
    conflict_total: usize,
    warnings: Warnings,
    dates: [String; 4],
    /// For each grant version of a held scope that this file mentioned, the
    /// line (0: not mentioned). Indexed by version id: 4 bytes a version,
    /// far cheaper than a table, and what is not in it gets removed.
    seen: Vec<u32>,
    /// For each identity key this file described, the line that first did
    /// (0: not yet): the identity's current version is then what that line
    /// said, so a later row is checked against it. Lines are kept whole
    /// (a conflict names them); there are far fewer identities than grants.
    described: Vec<u64>,
    /// For each tenant this file named, whether it held no identities
    /// before this import.
    new_tenants: HashMap<String, bool>,
    /// Hashes of the identities this file named in such tenants.
    named_in_new_tenants: HashSet<u64>,
    /// Ids for new versions: taken under the write lock, so they are ours,
    /// and known before insert, so a first version can be its own key.
    next_entitlement: i64,
    /// The first id this import gave a grant version: any version from
    /// here on was written by this snapshot.
    first_entitlement: i64,
    next_identity: i64,
    /// What this import writes and marks, for its event.
    digest: Digests,
    open: bool,
}

impl Store {
    pub fn begin_import(&mut self, meta: SnapshotMeta) -> Result<ImportSession<'_>> {
        let conn = &self.conn;
        let journal = BulkJournal::enter(conn, meta.source_bytes)?;
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            journal.leave(conn);
            return Err(e.into());
        }
        let started = (|| -> Result<(SnapshotId, (i64, i64), Statements<'_>)> {
            let cache = journal.cache_kib(conn, IMPORT_CACHE_KIB)?;
            conn.pragma_update(None, "cache_size", -cache)?;
            conn.execute(
                "INSERT INTO snapshot (file_name, sha256, format, imported_at, imported_by, partial)
                 VALUES (?1, '', ?2, ?3, ?4, ?5)",
                params![
                    meta.file_name,
                    meta.format,
                    meta.imported_at,
                    meta.imported_by,
                    meta.partial
                ],
            )?;
            let snapshot = SnapshotId(conn.last_insert_rowid());
            let next = |table: &str| -> Result<i64> {
                let sql = format!("SELECT coalesce(max(id), 0) + 1 FROM {table}");
                Ok(conn.query_row(&sql, [], |r| r.get(0))?)
            };
            let ids = (next("entitlement")?, next("identity")?);
            Ok((snapshot, ids, Statements::prepare(conn)?))
        })();
        let (snapshot, (next_entitlement, next_identity), stmts) = match started {
            Ok(started) => started,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                after_transaction(conn, journal);
                return Err(e);
            }
        };
        Ok(ImportSession {
            conn,
            journal,
            stmts,
            snapshot,
            meta,
            last_identity: None,
            scopes: BTreeMap::new(),
            counts: ImportCounts::default(),
            conflicts: Vec::new(),
            conflict_total: 0,
            warnings: Warnings::default(),
            dates: Default::default(),
            seen: Vec::new(),
            described: Vec::new(),
            new_tenants: HashMap::new(),
            named_in_new_tenants: HashSet::new(),
            next_entitlement,
            first_entitlement: next_entitlement,
            next_identity,
            digest: Digests::default(),
            open: true,
        })
    }
}

fn stamp_into(buffer: &mut String, stamp: &Option<Stamp>) -> Option<usize> {
    buffer.clear();
    stamp.as_ref()?.push_to(buffer);
    Some(buffer.len())
}

impl<'a> ImportSession<'a> {
    pub fn snapshot(&self) -> SnapshotId {
        self.snapshot
    }

    /// Records a warning about the source with the snapshot.
    pub fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// Declares a (tenant, system) scope this snapshot speaks for even if it
    /// holds no rows there (an export of a system whose grants were all removed).
    pub fn claim_scope(&mut self, tenant: &str, system: &str) -> Result<()> {
        self.scope_held(tenant, system).map(drop)
    }

    /// Whether the scope held grants before this import, recording the scope.
    fn scope_held(&mut self, tenant: &str, system: &str) -> Result<bool> {
        if let Some(held) = self
            .scopes
            .get(tenant)
            .and_then(|systems| systems.get(system))
        {
            return Ok(*held);
        }
        let held = self
            .stmts
            .scope_held
            .query_row(params![tenant, system], |r| r.get(0))?;
        self.scopes
            .entry(tenant.to_string())
            .or_default()
            .insert(system.to_string(), held);
        Ok(held)
    }

    /// Every (tenant, system) scope of this snapshot, in order, and
    /// whether it held grants before.
    fn each_scope(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.scopes.iter().flat_map(|(tenant, systems)| {
            systems
                .iter()
                .map(move |(system, held)| (tenant.as_str(), system.as_str(), *held))
        })
    }

    /// Adds one validated record read from `line` of the source.
    pub fn add(&mut self, line: u64, record: &EntitlementRecord) -> Result<Option<RowProblem>> {
        self.counts.rows += 1;
        let held = self.scope_held(&record.tenant, &record.system)?;
        let identity = self.identity(line, record)?;
        let added = if held {
            self.add_to_held_scope(identity, line, record)?
        } else {
            self.add_to_new_scope(identity, line, record)?
        };
        if added.is_some() {
            self.counts.rows -= 1;
        }
        Ok(added)
    }

    /// Writes a new version of a grant; `key` is the grant it continues, or
    /// `None` for a grant seen for the first time (its own key).
    fn insert(
        &mut self,
        key: Option<i64>,
        identity: i64,
        line: u64,
        r: &EntitlementRecord,
    ) -> rusqlite::Result<i64> {
        let id = self.next_entitlement;
        let [granted, expires, used, rotated] = &mut self.dates;
        let granted = stamp_into(granted, &r.granted_at).map(|_| granted.as_str());
        let expires = stamp_into(expires, &r.expires_at).map(|_| expires.as_str());
        let used = stamp_into(used, &r.last_used_at).map(|_| used.as_str());
        let rotated = stamp_into(rotated, &r.credential_rotated_at).map(|_| rotated.as_str());
        let values = [
            id.into(),
            key.unwrap_or(id).into(),
            identity.into(),
            r.system.as_str().into(),
            r.entitlement.as_str().into(),
            Value::from(&r.environment),
            r.privileged.into(),
            r.shared.into(),
            Value::from(&r.business_owner),
            Value::from(&r.technical_owner),
            Value::from(&r.justification),
            granted.into(),
            expires.into(),
            used.into(),
            rotated.into(),
            Value::from(&r.ticket),
            self.snapshot.0.into(),
            (line as i64).into(),
            r.active.into(),
        ];
        self.stmts.insert.execute(&values)?;
        self.digest.row(Stream::Grant, &values);
        self.next_entitlement += 1;
        Ok(id)
    }

    /// A scope that held nothing before: every row is new, and the unique
    /// key catches a duplicate within the file.
    fn add_to_new_scope(
        &mut self,
        identity: i64,
        line: u64,
        record: &EntitlementRecord,
    ) -> Result<Option<RowProblem>> {
        match self.insert(None, identity, line, record) {
            Ok(_) => {
                self.counts.added += 1;
                Ok(None)
            }
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == ErrorCode::ConstraintViolation =>
            {
                let first_line: i64 = self
                    .stmts
                    .line_of
                    .query_row(params![identity, record.system, record.entitlement], |r| {
                        r.get(0)
                    })?;
                Ok(Some(RowProblem::Duplicate {
                    first_line: first_line as u64,
                }))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A scope that held grants: each row is new, unchanged, changed or a
    /// removed grant coming back; every row is remembered so that what the
    /// file lacks can be marked removed.
    fn add_to_held_scope(
        &mut self,
        identity: i64,
        line: u64,
        record: &EntitlementRecord,
    ) -> Result<Option<RowProblem>> {
        // The record's dates as stored, so that the comparison below
        // allocates nothing for the (usual) unchanged row.
        let stamps = [
            &record.granted_at,
            &record.expires_at,
            &record.last_used_at,
            &record.credential_rotated_at,
        ];
        for (buffer, stamp) in self.dates.iter_mut().zip(stamps) {
            stamp_into(buffer, stamp);
        }
        let dates = &self.dates;
        let existing = self
            .stmts
            .find
            .query_row(
                params![identity, record.system, record.entitlement],
                |row| {
                    let new = |field: usize| -> Option<NewValue<'_>> {
                        let date =
                            |i: usize| (!dates[i].is_empty()).then(|| NewValue::Text(&dates[i]));
                        match field {
                            0 => text_value(&record.environment),
                            1 => Some(NewValue::Int(i64::from(record.privileged))),
                            2 => Some(NewValue::Int(i64::from(record.shared))),
                            3 => text_value(&record.business_owner),
                            4 => text_value(&record.technical_owner),
                            5 => text_value(&record.justification),
                            6..=9 => date(field - 6),
                            10 => text_value(&record.ticket),
                            _ => record.active.map(|a| NewValue::Int(i64::from(a))),
                        }
                    };
                    let mut changes: Vec<(usize, Option<String>)> = Vec::new();
                    for field in 0..GRANT_FIELDS.len() {
                        let old = row.get_ref(field + 1)?;
                        let same = match (old, new(field)) {
                            (ValueRef::Null, None) => true,
                            (ValueRef::Integer(a), Some(NewValue::Int(b))) => a == b,
                            (ValueRef::Text(a), Some(NewValue::Text(b))) => a == b.as_bytes(),
                            _ => false,
                        };
                        if !same {
                            let before = match old {
                                ValueRef::Null => None,
                                ValueRef::Integer(n) => Some(n.to_string()),
                                v => Some(v.as_str()?.to_string()),
                            };
                            changes.push((field, before));
                        }
                    }
                    let removed = row.get_ref(13)?.as_i64_or_null()?.is_some();
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(14)?,
                        removed,
                        changes,
                    ))
                },
            )
            .optional()?;

        let Some((id, key, was_removed, changes)) = existing else {
            let id = self.insert(None, identity, line, record)?;
            self.mark_seen(id, line);
            self.counts.added += 1;
            return Ok(None);
        };
        if let Some(first_line) = self.seen_line(id) {
            return Ok(Some(RowProblem::Duplicate { first_line }));
        }
        self.mark_seen(id, line);
        if !was_removed && changes.is_empty() {
            self.counts.unchanged += 1;
            return Ok(None);
        }
        let values = grant_values(record);
        let detail: serde_json::Map<String, serde_json::Value> = changes
            .into_iter()
            .map(|(field, before)| {
                (
                    GRANT_FIELDS[field].to_string(),
                    serde_json::json!([before, values[field]]),
                )
            })
            .collect();
        self.stmts.supersede.execute(params![id, self.snapshot])?;
        self.digest.mark(Stream::GrantSuperseded, id);
        let new_id = self.insert(Some(key), identity, line, record)?;
        self.mark_seen(new_id, line);
        let kind = if was_removed { "restored" } else { "changed" };
        self.log_change(key, kind, &serde_json::Value::Object(detail).to_string())?;
        if was_removed {
            self.counts.restored += 1;
        } else {
            self.counts.changed += 1;
        }
        Ok(None)
    }

    /// Logs what this snapshot changed about the grant `key`.
    fn log_change(&mut self, key: i64, kind: &str, detail: &str) -> Result<()> {
        self.stmts
            .log_change
            .execute(params![self.snapshot, key, kind, detail])?;
        let id = self.conn.last_insert_rowid();
        self.digest.row(
            Stream::GrantChange,
            &[
                id.into(),
                self.snapshot.0.into(),
                key.into(),
                kind.into(),
                detail.into(),
            ],
        );
        Ok(())
    }

    /// Whether this file mentioned the grant `key` (in any of its versions).
    fn holds(&self, key: i64) -> Result<bool> {
        let current: Option<(i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT id, snapshot FROM entitlement WHERE key = ?1 AND superseded IS NULL",
            )?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(current.is_some_and(|(version, written)| {
            written == self.snapshot.0 || self.seen_line(version).is_some()
        }))
    }

    fn mark_seen(&mut self, version: i64, line: u64) {
        let index = version as usize;
        if index >= self.seen.len() {
            self.seen.resize(index + 1, 0);
        }
        self.seen[index] = u32::try_from(line).unwrap_or(u32::MAX).max(1);
    }

    fn seen_line(&self, version: i64) -> Option<u64> {
        self.seen
            .get(version as usize)
            .filter(|line| **line != 0)
            .map(|line| u64::from(*line))
    }

    /// Marks what the snapshot's scopes no longer hold as removed, records
    /// the snapshot (with the SHA-256 of the source, known only once it has
    /// been read) and its audit event, and commits. With `dry_run` the
    /// counts are computed and everything is rolled back.
    pub fn commit(mut self, sha256: &str, dry_run: bool) -> Result<ImportCounts> {
        if !self.meta.partial {
            self.mark_removed()?;
        }
        let c = self.counts;
        record_counts(self.conn, self.snapshot, &c, sha256)?;
        let mut insert_scope = self
            .conn
            .prepare("INSERT INTO snapshot_scope (snapshot, tenant, system) VALUES (?1, ?2, ?3)")?;
        // The fields themselves, not `each_scope`: the digest is written to
        // while they are read. In (tenant, system) order, as verify reads them.
        for (tenant, systems) in &self.scopes {
            for system in systems.keys() {
                insert_scope.execute(params![self.snapshot, tenant, system])?;
                self.digest.row(
                    Stream::Scope,
                    &[
                        self.snapshot.0.into(),
                        tenant.as_str().into(),
                        system.as_str().into(),
                    ],
                );
            }
        }
        drop(insert_scope);
        super::register::refresh_register_matches(self.conn)?;
        let mut body = serde_json::json!({
            "snapshot": self.snapshot.0,
            "file": self.meta.file_name,
            "sha256": sha256,
            "format": self.meta.format,
            "partial": self.meta.partial,
            "counts": c,
            "written": std::mem::take(&mut self.digest).finish(),
        });
        self.warnings.record_in(&mut body);
        record_import(self.conn, &self.meta, &body)?;
        let scopes: std::collections::BTreeSet<(String, String)> = self
            .each_scope()
            .map(|(tenant, system, _)| (tenant.to_string(), system.to_string()))
            .collect();
        let holds = |grant: i64| -> Result<bool> { self.holds(grant) };
        super::remediation::check_after_import(
            self.conn,
            self.snapshot,
            &scopes,
            &self.meta,
            &holds,
        )?;
        self.open = false;
        let ended = self
            .conn
            .execute_batch(if dry_run { "ROLLBACK" } else { "COMMIT" });
        if ended.is_err() {
            // Nothing may remain of an import whose commit failed either.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        after_transaction(self.conn, self.journal);
        if let Err(e) = ended {
            return Err(self.commit_failed(e));
        }
        Ok(c)
    }

    /// Why a commit failed, and whether the snapshot is in the file anyway:
    /// under a rollback journal the commit can fail after the journal is
    /// gone (the directory's sync), when the data is already written.
    fn commit_failed(&self, e: rusqlite::Error) -> StoreError {
        // Still in the transaction (the rollback failed too): nothing is
        // committed, whatever the transaction itself can see.
        let written = self.conn.is_autocommit()
            && self
                .conn
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM snapshot WHERE id = ?1)",
                    [self.snapshot],
                    |r| r.get::<_, bool>(0),
                )
                .unwrap_or(false);
        if written {
            StoreError::Unconfirmed {
                snapshot: self.snapshot,
                error: e,
            }
        } else {
            e.into()
        }
    }

    /// Grants of a scope that held some before this snapshot, that this
    /// snapshot neither wrote nor saw, are removed.
    ///
    /// The current versions of a tenant's grants are walked on the index
    /// alone (it holds each version's id and system); only a version this
    /// file did not mention is read from the table, so a re-import that
    /// removes little reads little.
    fn mark_removed(&mut self) -> Result<()> {
        let mut held: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (tenant, system, _) in self.each_scope().filter(|(_, _, held)| *held) {
            held.entry(tenant).or_default().push(system);
        }
        let mut current = self.conn.prepare(
            "SELECT e.id, e.system FROM identity i
             JOIN entitlement e ON e.identity = i.key AND e.superseded IS NULL
             WHERE i.tenant = ?1 AND i.superseded IS NULL",
        )?;
        let mut version = self
            .conn
            .prepare("SELECT key, removed_snapshot FROM entitlement WHERE id = ?1")?;
        let mut unmentioned = Vec::new();
        for (tenant, systems) in held {
            let mut rows = current.query([tenant])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let written_now = id >= self.first_entitlement;
                if written_now || self.seen_line(id).is_some() {
                    continue;
                }
                let system = row.get_ref(1)?.as_str()?;
                if systems.contains(&system) {
                    unmentioned.push(id);
                }
            }
        }
        for id in unmentioned {
            let (key, removed): (i64, Option<i64>) =
                version.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if removed.is_some() {
                continue;
            }
            self.stmts
                .mark_removed
                .execute(params![id, self.snapshot])?;
            self.digest.mark(Stream::GrantRemoved, id);
            self.log_change(key, "removed", "{}")?;
            self.counts.removed += 1;
        }
        Ok(())
    }
}

/// A value from the source, as it compares with a stored one.
enum NewValue<'a> {
    Text(&'a str),
    Int(i64),
}

fn text_value(value: &Option<String>) -> Option<NewValue<'_>> {
    value.as_deref().map(NewValue::Text)
}

/// The grant-level values of a record, in `GRANT_FIELDS` order, as stored.
fn grant_values(r: &EntitlementRecord) -> [Option<String>; 12] {
    let stamp = |s: &Option<Stamp>| s.map(|s| s.to_string());
    [
        r.environment.clone(),
        Some(i64::from(r.privileged).to_string()),
        Some(i64::from(r.shared).to_string()),
        r.business_owner.clone(),
        r.technical_owner.clone(),
        r.justification.clone(),
        stamp(&r.granted_at),
        stamp(&r.expires_at),
        stamp(&r.last_used_at),
        stamp(&r.credential_rotated_at),
        r.ticket.clone(),
        r.active.map(|a| i64::from(a).to_string()),
    ]
}

impl Drop for ImportSession<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing may remain of a rejected import; a failed rollback
            // leaves SQLite to discard the transaction when the connection closes.
            let _ = self.conn.execute_batch("ROLLBACK");
            after_transaction(self.conn, self.journal);
        }
    }
}

/// Once an import's transaction has ended, whichever way: SQLite's default
/// page cache, and the file's usual journal.
fn after_transaction(conn: &Connection, journal: BulkJournal) {
    let _ = conn.pragma_update(None, "cache_size", -2000);
    journal.leave(conn);
}
