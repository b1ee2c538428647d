//! The entitlement catalog in the database: importing it (one snapshot per
//! file, all-or-nothing, entries versioned and never deleted, as the
//! identity register is) and looking entries up for campaign creation and
//! the console.

use super::bulk::Value;
use super::digest::{Digests, Stream};
use super::imports::{
    ImportCounts, RowProblem, SnapshotMeta, Warnings, record_counts, record_import,
};
use super::{Result, SnapshotId, Store};
use crate::domain::catalog::{CatalogEntry, Sensitivity};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// What a catalog import did, beyond the usual counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CatalogCounts {
    pub rows: ImportCounts,
    /// Live entries that describe no current grant.
    pub entries_without_grant: u64,
    /// Current grants that no live entry describes.
    pub grants_without_entry: u64,
}

/// A catalog entry version as the console and reports show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CatalogView {
    pub description: Option<String>,
    pub sensitivity: Option<String>,
    pub data_classes: Option<String>,
    pub owner: Option<String>,
}

/// A catalog import in progress; dropping it without
/// [`CatalogImport::commit`] rolls everything back.
pub struct CatalogImport<'a> {
    conn: &'a Connection,
    snapshot: SnapshotId,
    meta: SnapshotMeta,
    seen: HashMap<i64, u64>,
    counts: ImportCounts,
    warnings: Warnings,
    digest: Digests,
    open: bool,
}

impl Store {
    pub fn begin_catalog_import(&mut self, meta: SnapshotMeta) -> Result<CatalogImport<'_>> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let mut session = CatalogImport {
            conn: &self.conn,
            snapshot: SnapshotId(0),
            meta,
            seen: HashMap::new(),
            counts: ImportCounts::default(),
            warnings: Warnings::default(),
            digest: Digests::default(),
            open: true,
        };
        session.conn.execute(
            "INSERT INTO snapshot (file_name, sha256, format, imported_at, imported_by, partial)
             VALUES (?1, '', ?2, ?3, ?4, ?5)",
            params![
                session.meta.file_name,
                session.meta.format,
                session.meta.imported_at,
                session.meta.imported_by,
                session.meta.partial
            ],
        )?;
        session.snapshot = SnapshotId(session.conn.last_insert_rowid());
        Ok(session)
    }

    /// The catalog entry version `id`, as an item froze it.
    pub fn catalog_entry(&self, id: i64) -> Result<Option<CatalogView>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT description, sensitivity, data_classes, owner FROM catalog_entry
                 WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(CatalogView {
                    description: r.get(0)?,
                    sensitivity: r.get(1)?,
                    data_classes: r.get(2)?,
                    owner: r.get(3)?,
                })
            })
            .optional()?)
    }
}

/// The compared fields of an entry, in the table's order.
const FIELDS: [&str; 4] = ["description", "sensitivity", "data_classes", "owner"];

fn values(entry: &CatalogEntry) -> [Option<String>; 4] {
    [
        entry.description.clone(),
        entry.sensitivity.map(|s| s.as_str().to_string()),
        entry.data_classes.clone(),
        entry.owner.clone(),
    ]
}

impl CatalogImport<'_> {
    fn insert_version(
        &mut self,
        line: u64,
        entry: &CatalogEntry,
        new: &[Option<String>],
    ) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO catalog_entry (tenant, system, entitlement, description,
                     sensitivity, data_classes, owner, snapshot, source_line)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                entry.tenant,
                entry.system,
                entry.entitlement,
                new[0],
                new[1],
                new[2],
                new[3],
                self.snapshot,
                line as i64
            ])?;
        let id = self.conn.last_insert_rowid();
        self.digest.row(
            Stream::Catalog,
            &[
                id.into(),
                entry.tenant.as_str().into(),
                entry.system.as_str().into(),
                entry.entitlement.as_str().into(),
                Value::from(&new[0]),
                Value::from(&new[1]),
                Value::from(&new[2]),
                Value::from(&new[3]),
                self.snapshot.0.into(),
                (line as i64).into(),
            ],
        );
        self.seen.insert(id, line);
        Ok(id)
    }

    fn log_change(&mut self, entry: i64, kind: &str, detail: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO catalog_change (snapshot, entry, kind, detail)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![self.snapshot, entry, kind, detail])?;
        let id = self.conn.last_insert_rowid();
        self.digest.row(
            Stream::CatalogChange,
            &[
                id.into(),
                self.snapshot.0.into(),
                entry.into(),
                kind.into(),
                detail.into(),
            ],
        );
        Ok(())
    }

    pub fn snapshot(&self) -> SnapshotId {
        self.snapshot
    }

    /// Records a warning about the file with the snapshot.
    pub fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// Adds one validated entry read from `line`.
    pub fn add(&mut self, line: u64, entry: &CatalogEntry) -> Result<Option<RowProblem>> {
        self.counts.rows += 1;
        let new = values(entry);
        let existing = self
            .conn
            .prepare_cached(
                "SELECT id, description, sensitivity, data_classes, owner, removed_snapshot
                 FROM catalog_entry
                 WHERE tenant = ?1 AND system = ?2 AND entitlement = ?3 AND superseded IS NULL",
            )?
            .query_row(
                params![entry.tenant, entry.system, entry.entitlement],
                |row| {
                    let mut old: Vec<Option<String>> = Vec::with_capacity(4);
                    for i in 1..=4 {
                        old.push(row.get(i)?);
                    }
                    Ok((row.get::<_, i64>(0)?, old, row.get::<_, Option<i64>>(5)?))
                },
            )
            .optional()?;
        let Some((id, old, removed)) = existing else {
            self.insert_version(line, entry, &new)?;
            self.counts.added += 1;
            return Ok(None);
        };
        if let Some(&first_line) = self.seen.get(&id) {
            self.counts.rows -= 1;
            return Ok(Some(RowProblem::Duplicate { first_line }));
        }
        self.seen.insert(id, line);
        let changes: serde_json::Map<String, serde_json::Value> = FIELDS
            .iter()
            .zip(old.iter().zip(new.iter()))
            .filter(|(_, (before, after))| before != after)
            .map(|(field, (before, after))| (field.to_string(), serde_json::json!([before, after])))
            .collect();
        if removed.is_none() && changes.is_empty() {
            self.counts.unchanged += 1;
            return Ok(None);
        }
        // A new version, the old one superseded: items keep pointing at
        // the entry they saw.
        self.conn
            .prepare_cached("UPDATE catalog_entry SET superseded = ?2 WHERE id = ?1")?
            .execute(params![id, self.snapshot])?;
        self.digest.mark(Stream::CatalogSuperseded, id);
        self.insert_version(line, entry, &new)?;
        let kind = if removed.is_some() {
            self.counts.restored += 1;
            "restored"
        } else {
            self.counts.changed += 1;
            "changed"
        };
        self.log_change(id, kind, &serde_json::Value::Object(changes).to_string())?;
        Ok(None)
    }

    /// Marks entries this (full) catalog lacks as removed, counts what
    /// matches, records the snapshot and its audit event, and commits (or,
    /// with `dry_run`, rolls back after counting).
    pub fn commit(mut self, sha256: &str, dry_run: bool) -> Result<CatalogCounts> {
        if !self.meta.partial {
            let live: Vec<i64> = self
                .conn
                .prepare(
                    "SELECT id FROM catalog_entry
                     WHERE removed_snapshot IS NULL AND superseded IS NULL",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let conn = self.conn;
            let mut mark =
                conn.prepare("UPDATE catalog_entry SET removed_snapshot = ?1 WHERE id = ?2")?;
            for id in live {
                if self.seen.contains_key(&id) {
                    continue;
                }
                self.log_change(id, "removed", "{}")?;
                mark.execute(params![self.snapshot, id])?;
                self.digest.mark(Stream::CatalogRemoved, id);
                self.counts.removed += 1;
            }
        }
        let (entries_without_grant, grants_without_entry) = coverage(self.conn)?;
        let c = self.counts;
        record_counts(self.conn, self.snapshot, &c, sha256)?;
        let counts = CatalogCounts {
            rows: c,
            entries_without_grant,
            grants_without_entry,
        };
        let mut body = serde_json::json!({
            "snapshot": self.snapshot.0,
            "file": self.meta.file_name,
            "sha256": sha256,
            "format": self.meta.format,
            "partial": self.meta.partial,
            "counts": c,
            "entries_without_grant": entries_without_grant,
            "grants_without_entry": grants_without_entry,
            "written": std::mem::take(&mut self.digest).finish(),
        });
        self.warnings.record_in(&mut body);
        record_import(self.conn, &self.meta, &body)?;
        self.open = false;
        self.conn
            .execute_batch(if dry_run { "ROLLBACK" } else { "COMMIT" })?;
        Ok(counts)
    }
}

impl Drop for CatalogImport<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// The live entries, by system, then entitlement, then tenant: their
/// version id and sensitivity. What campaign creation looks a million
/// grants up in, by borrowed names (no key built per lookup).
#[derive(Default)]
pub(crate) struct LiveCatalog {
    by_system: HashMap<Box<str>, HashMap<Box<str>, Tenants>>,
}

/// The entries of one entitlement, by tenant (`""` for every tenant).
type Tenants = Vec<(Box<str>, CatalogHit)>;

/// The entry that describes a grant, as an item records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CatalogHit {
    pub entry: i64,
    pub sensitivity: Option<Sensitivity>,
}

impl LiveCatalog {
    pub(crate) fn load(conn: &Connection) -> Result<LiveCatalog> {
        let mut live = LiveCatalog::default();
        let mut stmt = conn.prepare(
            "SELECT id, tenant, system, entitlement, sensitivity FROM catalog_entry
             WHERE removed_snapshot IS NULL AND superseded IS NULL",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let sensitivity: Option<String> = row.get(4)?;
            let (tenant, system, name): (String, String, String) =
                (row.get(1)?, row.get(2)?, row.get(3)?);
            let hit = CatalogHit {
                entry: row.get(0)?,
                sensitivity: sensitivity.and_then(|s| s.parse().ok()),
            };
            live.by_system
                .entry(system.into())
                .or_default()
                .entry(name.into())
                .or_default()
                .push((tenant.into(), hit));
        }
        Ok(live)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_system.is_empty()
    }

    /// The entry that describes a grant of `system`/`entitlement` in
    /// `tenant`: the tenant's own before one for every tenant.
    pub(crate) fn describe(
        &self,
        tenant: &str,
        system: &str,
        entitlement: &str,
    ) -> Option<CatalogHit> {
        let entries = self.by_system.get(system)?.get(entitlement)?;
        let find = |t: &str| {
            entries
                .iter()
                .find(|(et, _)| &**et == t)
                .map(|(_, hit)| *hit)
        };
        find(tenant).or_else(|| find(""))
    }

    fn entries(&self) -> impl Iterator<Item = &CatalogHit> {
        self.by_system
            .values()
            .flat_map(|names| names.values())
            .flatten()
            .map(|(_, hit)| hit)
    }
}

/// Live entries no current grant matches, and current grants no live
/// entry describes: one pass over the grants, grouped.
fn coverage(conn: &Connection) -> Result<(u64, u64)> {
    let live = LiveCatalog::load(conn)?;
    let mut used: HashSet<i64> = HashSet::new();
    let mut without = 0u64;
    let mut stmt = conn.prepare(
        "SELECT idn.tenant, e.system, e.name, count(*) FROM entitlement e
         JOIN identity idn ON idn.key = e.identity AND idn.superseded IS NULL
         WHERE e.superseded IS NULL AND e.removed_snapshot IS NULL
         GROUP BY idn.tenant, e.system, e.name",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (tenant, system, name): (String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        let n: i64 = row.get(3)?;
        match live.describe(&tenant, &system, &name) {
            Some(hit) => {
                used.insert(hit.entry);
            }
            None => without += n as u64,
        }
    }
    let unused = live
        .entries()
        .filter(|hit| !used.contains(&hit.entry))
        .count();
    Ok((unused as u64, without))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn meta(partial: bool) -> SnapshotMeta {
        SnapshotMeta {
            partial,
            format: "catalog".into(),
            ..testing::register_meta()
        }
    }

    fn entry(system: &str, entitlement: &str, sensitivity: Option<Sensitivity>) -> CatalogEntry {
        CatalogEntry {
            tenant: String::new(),
            system: system.into(),
            entitlement: entitlement.into(),
            description: Some("what it does".into()),
            sensitivity,
            data_classes: None,
            owner: None,
        }
    }

    fn import(store: &mut Store, entries: &[CatalogEntry], partial: bool) -> CatalogCounts {
        let mut session = store.begin_catalog_import(meta(partial)).unwrap();
        for (n, e) in entries.iter().enumerate() {
            assert!(session.add(n as u64 + 2, e).unwrap().is_none());
        }
        session.commit("0", false).unwrap()
    }

    #[test]
    fn entries_are_versioned_and_full_imports_mark_the_rest_removed() {
        let mut store = Store::open_in_memory().unwrap();
        let first = import(
            &mut store,
            &[
                entry("sap-erp", "SAP_ALL", Some(Sensitivity::Restricted)),
                entry("sap-erp", "Z_VIEW", None),
            ],
            false,
        );
        assert_eq!(first.rows.added, 2);
        let again = import(
            &mut store,
            &[entry("sap-erp", "SAP_ALL", Some(Sensitivity::Confidential))],
            false,
        );
        assert_eq!((again.rows.changed, again.rows.removed), (1, 1));
        let dump = store.dump().unwrap();
        assert!(dump.contains("## catalog_entry (3 rows)"), "{dump}");
        assert!(dump.contains("## catalog_change (2 rows)"), "{dump}");
        let partial = import(&mut store, &[entry("x", "y", None)], true);
        assert_eq!(partial.rows.removed, 0);
        let verified = store.verify(&[], false).unwrap();
        assert!(
            verified.ok(),
            "the digests cover the catalog: {:?}",
            verified.discrepancies
        );
    }

    #[test]
    fn each_kind_of_catalog_row_is_bound_to_its_import() {
        // A catalog (snapshot 1), then again with one entry changed and
        // the other gone (2).
        let store_of_two = || {
            let mut store = Store::open_in_memory().unwrap();
            testing::catalog(
                &mut store,
                &[("org:owner", Some("restricted")), ("org:member", None)],
            );
            testing::catalog(&mut store, &[("org:owner", Some("confidential"))]);
            store
        };
        for (sql, snapshot, what) in [
            (
                "UPDATE catalog_entry SET removed_snapshot = NULL WHERE removed_snapshot = 2",
                2,
                "catalog entries it marked removed",
            ),
            (
                "UPDATE catalog_entry SET superseded = 1 WHERE superseded = 2",
                2,
                "catalog entries it superseded",
            ),
            ("DELETE FROM catalog_change", 2, "catalog changes it logged"),
            (
                "UPDATE catalog_entry SET description = 'x' WHERE snapshot = 1",
                1,
                "catalog entries it wrote",
            ),
        ] {
            let store = store_of_two();
            crate::store::integrity::tamper(&store, sql);
            let v = store.verify(&[], false).unwrap();
            let found: Vec<&str> = v.discrepancies.iter().map(|d| d.message.as_str()).collect();
            assert!(
                found.iter().any(
                    |m| m.starts_with(&format!("import of snapshot {snapshot} "))
                        && m.contains(&format!("the {what} do not match its digest"))
                ),
                "{sql}: {found:#?}"
            );
        }
    }

    #[test]
    fn a_rejected_catalog_leaves_nothing_behind() {
        let mut store = Store::open_in_memory().unwrap();
        let before = store.dump().unwrap();
        {
            let mut session = store.begin_catalog_import(meta(false)).unwrap();
            session.add(2, &entry("a", "b", None)).unwrap();
            let dup = session.add(3, &entry("a", "b", None)).unwrap();
            assert_eq!(dup, Some(RowProblem::Duplicate { first_line: 2 }));
        }
        assert_eq!(store.dump().unwrap(), before);
    }
}
