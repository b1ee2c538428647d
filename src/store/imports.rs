//! What every import shares, grants and identity register alike: the
//! snapshot's metadata, its counts, the warnings it raised about its
//! source, and the audit event and snapshot row that record it. A leaf
//! below both kinds of import (`snapshots`, `register`).

use super::events::{ChainWriter, NewEvent};
use super::{Result, SnapshotId};
use rusqlite::{Connection, params};
use serde::Serialize;

#[derive(Clone, Debug)]
pub struct SnapshotMeta {
    pub file_name: String,
    pub format: String,
    pub imported_at: String,
    pub imported_by: String,
    /// How the importer was established, as events record it.
    pub imported_via: String,
    pub partial: bool,
    /// The size of what the command imports, this source included, when
    /// known: it decides whether the import may hold the file to itself
    /// (see [`BulkJournal`](super::journal::BulkJournal)). Not recorded.
    pub source_bytes: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub rows: u64,
    pub added: u64,
    pub restored: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub removed: u64,
    /// Identities the file describes differently from their current
    /// version (grants that did not change are still `unchanged`).
    #[serde(skip_serializing_if = "IdentityChanges::is_empty")]
    pub identities: IdentityChanges,
}

/// How many identities an import wrote anew because their attributes
/// changed, and how many of them changed each context attribute (what
/// `context_changed` looks at); `other` counts name, kind or e-mail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IdentityChanges {
    pub changed: u64,
    pub relationship: u64,
    pub organization: u64,
    pub region: u64,
    pub sponsor: u64,
    pub other: u64,
}

impl IdentityChanges {
    pub fn is_empty(&self) -> bool {
        self.changed == 0
    }

    /// Counts one identity whose attributes `fields` changed.
    pub fn count(&mut self, fields: impl IntoIterator<Item = &'static str>) {
        self.changed += 1;
        let mut other = false;
        for field in fields {
            match field {
                "relationship" => self.relationship += 1,
                "organization" => self.organization += 1,
                "region" => self.region += 1,
                "sponsor" => self.sponsor += 1,
                _ => other = true,
            }
        }
        self.other += u64::from(other);
    }
}

/// Something wrong with one row that only the database can see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowProblem {
    /// The same (tenant, system, identity, entitlement) appeared earlier in this file.
    Duplicate { first_line: u64 },
}

/// Warnings the importer raised about the source (a dangling group member,
/// an unresolved manager, a column recert does not read): recorded with the
/// snapshot's audit event, the first ones in full.
#[derive(Default)]
pub(crate) struct Warnings {
    kept: Vec<String>,
    total: u64,
}

impl Warnings {
    pub(crate) fn push(&mut self, warning: String) {
        self.total += 1;
        if self.kept.len() < KEPT_WARNINGS {
            self.kept.push(warning);
        }
    }

    /// Adds them to an import event's body, if there are any.
    pub(crate) fn record_in(&self, body: &mut serde_json::Value) {
        if self.total > 0 {
            body["warnings"] = serde_json::json!(self.kept);
            body["warning_count"] = serde_json::json!(self.total);
        }
    }
}

/// How many warnings the audit event keeps in full.
const KEPT_WARNINGS: usize = 100;

/// Appends an import's audit event, its `body` saying what it found.
pub(super) fn record_import(
    conn: &Connection,
    meta: &SnapshotMeta,
    body: &serde_json::Value,
) -> Result<()> {
    ChainWriter::start(conn)?.append(
        conn,
        &NewEvent {
            kind: "import",
            campaign: None,
            item: None,
            actor: &meta.imported_by,
            actor_via: &meta.imported_via,
            at: &meta.imported_at,
            note: None,
            body: body.to_string(),
        },
    )?;
    Ok(())
}

/// Writes what an import found, and the file's SHA-256, on its snapshot.
pub(super) fn record_counts(
    conn: &Connection,
    snapshot: SnapshotId,
    c: &ImportCounts,
    sha256: &str,
) -> Result<()> {
    conn.execute(
        "UPDATE snapshot SET rows = ?2, added = ?3, changed = ?4, unchanged = ?5,
             removed = ?6, sha256 = ?7 WHERE id = ?1",
        params![
            snapshot,
            c.rows as i64,
            (c.added + c.restored) as i64,
            c.changed as i64,
            c.unchanged as i64,
            c.removed as i64,
            sha256
        ],
    )?;
    Ok(())
}
