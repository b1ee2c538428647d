//! Imports: one snapshot per source file, written in a single transaction
//! so that a rejected file leaves the database exactly as it was. Grants a
//! snapshot's scopes no longer contain are marked removed, never deleted.

use super::{Result, SnapshotId, Store, events::ChainWriter};
use crate::domain::model::IdentityAttributes;
use crate::domain::{EntitlementRecord, Stamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

#[derive(Clone, Debug)]
pub struct SnapshotMeta {
    pub file_name: String,
    pub format: String,
    pub imported_at: String,
    pub imported_by: String,
    pub partial: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub rows: u64,
    pub added: u64,
    pub restored: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub removed: u64,
}

/// Something wrong with one row that only the database can see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowProblem {
    /// The same (tenant, system, identity, entitlement) appeared earlier in this file.
    Duplicate { first_line: u64 },
}

/// Two rows of one file that describe the same identity differently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityConflict {
    pub line: u64,
    pub first_line: u64,
    pub identity_id: String,
    pub field: &'static str,
    pub first_value: String,
    pub value: String,
}

struct SeenIdentity {
    id: i64,
    line: u64,
    attributes: IdentityAttributes,
}

/// An import in progress. Dropping it without [`ImportSession::commit`]
/// rolls everything back.
pub struct ImportSession<'a> {
    conn: &'a Connection,
    snapshot: SnapshotId,
    meta: SnapshotMeta,
    identities: HashMap<(String, String), SeenIdentity>,
    scopes: BTreeSet<(String, String)>,
    counts: ImportCounts,
    conflicts: Vec<IdentityConflict>,
    open: bool,
}

impl Store {
    pub fn begin_import(&mut self, meta: SnapshotMeta) -> Result<ImportSession<'_>> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let mut session = ImportSession {
            conn: &self.conn,
            snapshot: SnapshotId(0),
            meta,
            identities: HashMap::new(),
            scopes: BTreeSet::new(),
            counts: ImportCounts::default(),
            conflicts: Vec::new(),
            open: true,
        };
        session.start()?;
        Ok(session)
    }
}

const ENTITLEMENT_FIELDS: [&str; 12] = [
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
    "removed_snapshot",
];

/// The grant-level values of a record, in `ENTITLEMENT_FIELDS` order (but
/// without `removed_snapshot`), as stored.
fn grant_values(r: &EntitlementRecord) -> [Option<String>; 11] {
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
    ]
}

impl<'a> ImportSession<'a> {
    fn start(&mut self) -> Result<()> {
        let m = &self.meta;
        self.conn.execute(
            "INSERT INTO snapshot (file_name, sha256, format, imported_at, imported_by, partial)
             VALUES (?1, '', ?2, ?3, ?4, ?5)",
            params![
                m.file_name,
                m.format,
                m.imported_at,
                m.imported_by,
                m.partial
            ],
        )?;
        self.snapshot = SnapshotId(self.conn.last_insert_rowid());
        self.conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_seen (
                 entitlement INTEGER PRIMARY KEY, line INTEGER NOT NULL);
             DELETE FROM temp.import_seen;",
        )?;
        Ok(())
    }

    pub fn snapshot(&self) -> SnapshotId {
        self.snapshot
    }

    /// Rows of this file that disagree with an earlier row about an identity.
    pub fn identity_conflicts(&self) -> &[IdentityConflict] {
        &self.conflicts
    }

    /// Declares a (tenant, system) scope this snapshot speaks for even if it
    /// holds no rows there (an export of a system whose grants were all removed).
    pub fn claim_scope(&mut self, tenant: &str, system: &str) {
        self.scopes.insert((tenant.to_string(), system.to_string()));
    }

    /// Adds one validated record read from `line` of the source.
    pub fn add(&mut self, line: u64, record: &EntitlementRecord) -> Result<Option<RowProblem>> {
        self.counts.rows += 1;
        if !self
            .scopes
            .contains(&(record.tenant.clone(), record.system.clone()))
        {
            self.scopes
                .insert((record.tenant.clone(), record.system.clone()));
        }
        let identity = self.identity(line, record)?;
        let values = grant_values(record);
        let existing = self
            .conn
            .prepare_cached(
                "SELECT id, environment, privileged, shared, business_owner, technical_owner,
                        justification, granted_at, expires_at, last_used_at,
                        credential_rotated_at, ticket, removed_snapshot
                 FROM entitlement WHERE identity = ?1 AND system = ?2 AND name = ?3",
            )?
            .query_row(
                params![identity, record.system, record.entitlement],
                |row| {
                    let mut old: Vec<Option<String>> = Vec::with_capacity(12);
                    for i in 1..=12 {
                        old.push(match row.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => None,
                            rusqlite::types::ValueRef::Integer(n) => Some(n.to_string()),
                            v => Some(v.as_str()?.to_string()),
                        });
                    }
                    Ok((row.get::<_, i64>(0)?, old))
                },
            )
            .optional()?;

        let Some((id, old)) = existing else {
            self.conn
                .prepare_cached(
                    "INSERT INTO entitlement (identity, system, name, environment, privileged,
                         shared, business_owner, technical_owner, justification, granted_at,
                         expires_at, last_used_at, credential_rotated_at, ticket,
                         first_snapshot, updated_snapshot, source_line)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                             ?15, ?15, ?16)",
                )?
                .execute(params![
                    identity,
                    record.system,
                    record.entitlement,
                    values[0],
                    record.privileged,
                    record.shared,
                    values[3],
                    values[4],
                    values[5],
                    values[6],
                    values[7],
                    values[8],
                    values[9],
                    values[10],
                    self.snapshot,
                    line as i64,
                ])?;
            let id = self.conn.last_insert_rowid();
            self.mark_seen(id, line)?;
            self.counts.added += 1;
            return Ok(None);
        };

        if let Some(first_line) = self.seen_line(id)? {
            self.counts.rows -= 1;
            return Ok(Some(RowProblem::Duplicate { first_line }));
        }
        self.mark_seen(id, line)?;
        let was_removed = old[11].is_some();
        let changes: serde_json::Map<String, serde_json::Value> = ENTITLEMENT_FIELDS[..11]
            .iter()
            .zip(old.iter().zip(values.iter()))
            .filter(|(_, (before, after))| before != after)
            .map(|(field, (before, after))| (field.to_string(), serde_json::json!([before, after])))
            .collect();
        if !was_removed && changes.is_empty() {
            self.counts.unchanged += 1;
            return Ok(None);
        }
        self.conn
            .prepare_cached(
                "UPDATE entitlement SET environment = ?2, privileged = ?3, shared = ?4,
                     business_owner = ?5, technical_owner = ?6, justification = ?7,
                     granted_at = ?8, expires_at = ?9, last_used_at = ?10,
                     credential_rotated_at = ?11, ticket = ?12, removed_snapshot = NULL,
                     updated_snapshot = ?13, source_line = ?14
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                values[0],
                record.privileged,
                record.shared,
                values[3],
                values[4],
                values[5],
                values[6],
                values[7],
                values[8],
                values[9],
                values[10],
                self.snapshot,
                line as i64,
            ])?;
        let kind = if was_removed { "restored" } else { "changed" };
        self.conn
            .prepare_cached(
                "INSERT INTO entitlement_change (snapshot, entitlement, kind, detail)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                self.snapshot,
                id,
                kind,
                serde_json::Value::Object(changes).to_string()
            ])?;
        if was_removed {
            self.counts.restored += 1;
        } else {
            self.counts.changed += 1;
        }
        Ok(None)
    }

    fn mark_seen(&self, entitlement: i64, line: u64) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO temp.import_seen (entitlement, line) VALUES (?1, ?2)")?
            .execute(params![entitlement, line as i64])?;
        Ok(())
    }

    fn seen_line(&self, entitlement: i64) -> Result<Option<u64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT line FROM temp.import_seen WHERE entitlement = ?1")?
            .query_row([entitlement], |row| row.get::<_, i64>(0))
            .optional()?
            .map(|line| line as u64))
    }

    /// The identity's row id, created or brought up to date with this
    /// file's view of it; disagreements within the file become conflicts.
    fn identity(&mut self, line: u64, record: &EntitlementRecord) -> Result<i64> {
        let key = (record.tenant.clone(), record.identity_id.clone());
        let attributes = record.identity_attributes();
        if let Some(seen) = self.identities.get(&key) {
            for (field, first_value, value) in seen.attributes.differences(&attributes) {
                self.conflicts.push(IdentityConflict {
                    line,
                    first_line: seen.line,
                    identity_id: record.identity_id.clone(),
                    field,
                    first_value,
                    value,
                });
            }
            return Ok(seen.id);
        }
        let email = record.effective_email().map(str::to_string);
        let existing: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM identity WHERE tenant = ?1 AND identity_id = ?2")?
            .query_row(params![record.tenant, record.identity_id], |row| row.get(0))
            .optional()?;
        let id = match existing {
            Some(id) => {
                self.conn
                    .prepare_cached(
                        "UPDATE identity SET name = ?2, kind = ?3, relationship = ?4,
                             organization = ?5, region = ?6, sponsor = ?7, email = ?8
                         WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        attributes.name,
                        attributes.kind.as_str(),
                        attributes.relationship.as_str(),
                        attributes.organization,
                        attributes.region,
                        attributes.sponsor,
                        email,
                    ])?;
                id
            }
            None => {
                self.conn
                    .prepare_cached(
                        "INSERT INTO identity (tenant, identity_id, name, kind, relationship,
                             organization, region, sponsor, email, first_snapshot)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    )?
                    .execute(params![
                        record.tenant,
                        record.identity_id,
                        attributes.name,
                        attributes.kind.as_str(),
                        attributes.relationship.as_str(),
                        attributes.organization,
                        attributes.region,
                        attributes.sponsor,
                        email,
                        self.snapshot,
                    ])?;
                self.conn.last_insert_rowid()
            }
        };
        self.identities.insert(
            key,
            SeenIdentity {
                id,
                line,
                attributes,
            },
        );
        Ok(id)
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
        self.conn.execute(
            "UPDATE snapshot SET rows = ?2, added = ?3, changed = ?4, unchanged = ?5,
                 removed = ?6, sha256 = ?7 WHERE id = ?1",
            params![
                self.snapshot,
                c.rows as i64,
                (c.added + c.restored) as i64,
                c.changed as i64,
                c.unchanged as i64,
                c.removed as i64,
                sha256
            ],
        )?;
        let mut insert_scope = self.conn.prepare_cached(
            "INSERT INTO snapshot_scope (snapshot, tenant, system) VALUES (?1, ?2, ?3)",
        )?;
        for (tenant, system) in &self.scopes {
            insert_scope.execute(params![self.snapshot, tenant, system])?;
        }
        drop(insert_scope);
        let body = serde_json::json!({
            "snapshot": self.snapshot.0,
            "file": self.meta.file_name,
            "sha256": sha256,
            "format": self.meta.format,
            "partial": self.meta.partial,
            "counts": c,
        });
        ChainWriter::start(self.conn)?.append(
            self.conn,
            &super::events::NewEvent {
                kind: "import",
                campaign: None,
                item: None,
                actor: &self.meta.imported_by,
                at: &self.meta.imported_at,
                note: None,
                body: body.to_string(),
            },
        )?;
        super::remediation::check_after_import(self.conn, self.snapshot, &self.scopes, &self.meta)?;
        self.open = false;
        self.conn
            .execute_batch(if dry_run { "ROLLBACK" } else { "COMMIT" })?;
        Ok(c)
    }

    fn mark_removed(&mut self) -> Result<()> {
        const GONE: &str = "removed_snapshot IS NULL AND system = ?2
             AND identity IN (SELECT id FROM identity WHERE tenant = ?3)
             AND id NOT IN (SELECT entitlement FROM temp.import_seen)";
        let log = format!(
            "INSERT INTO entitlement_change (snapshot, entitlement, kind, detail)
             SELECT ?1, id, 'removed', '{{}}' FROM entitlement WHERE {GONE}"
        );
        let mark = format!(
            "UPDATE entitlement SET removed_snapshot = ?1, updated_snapshot = ?1 WHERE {GONE}"
        );
        for (tenant, system) in &self.scopes {
            self.conn
                .prepare_cached(&log)?
                .execute(params![self.snapshot, system, tenant])?;
            let removed =
                self.conn
                    .prepare_cached(&mark)?
                    .execute(params![self.snapshot, system, tenant])?;
            self.counts.removed += removed as u64;
        }
        Ok(())
    }
}

impl Drop for ImportSession<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing may remain of a rejected import; a failed rollback
            // leaves SQLite to discard the transaction when the connection closes.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
