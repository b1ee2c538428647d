//! The identity register in the database: importing it (one snapshot per
//! file, all-or-nothing, entries never deleted) and matching its entries to
//! identities (what they then fill in is `effective`'s SQL).

use super::bulk::Value;
use super::digest::{Digests, Stream};
use super::imports::{
    ImportCounts, RowProblem, SnapshotMeta, Warnings, record_counts, record_import,
};
use super::{Result, SnapshotId, Store};
use crate::domain::register::{RegisterEntry, best_match, match_key};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// What a register import did, beyond the usual counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RegisterCounts {
    pub rows: ImportCounts,
    /// Identities described by a live entry after the import.
    pub matched_identities: u64,
    /// Of those, identities whose source says `unknown` and the register classifies.
    pub classified_identities: u64,
    /// Live entries that describe no identity yet.
    pub unmatched_entries: u64,
}

/// A register import in progress; dropping it without
/// [`RegisterImport::commit`] rolls everything back.
pub struct RegisterImport<'a> {
    conn: &'a Connection,
    snapshot: SnapshotId,
    meta: SnapshotMeta,
    seen: HashMap<i64, u64>,
    counts: ImportCounts,
    warnings: Warnings,
    /// What this import writes and marks, for its event.
    digest: Digests,
    open: bool,
}

impl Store {
    pub fn begin_register_import(&mut self, meta: SnapshotMeta) -> Result<RegisterImport<'_>> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let mut session = RegisterImport {
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
}

const FIELDS: [&str; 9] = [
    "identity_id",
    "email",
    "relationship",
    "organization",
    "sponsor",
    "business_owner",
    "technical_owner",
    "contract_end",
    "tier",
];

fn values(entry: &RegisterEntry) -> [Option<String>; 9] {
    [
        Some(entry.identity_id.clone()),
        entry.email.as_deref().map(match_key),
        entry.relationship.map(|r| r.as_str().to_string()),
        entry.organization.clone(),
        entry.sponsor.clone(),
        entry.business_owner.clone(),
        entry.technical_owner.clone(),
        entry.contract_end.map(|d| d.to_string()),
        entry.tier.clone(),
    ]
}

impl RegisterImport<'_> {
    /// Writes a version of an entry, seen on `line`; returns its id.
    fn insert_version(
        &mut self,
        line: u64,
        entry: &RegisterEntry,
        key: &str,
        new: &[Option<String>],
    ) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO register_entry (tenant, identity_id, match_id, email,
                     relationship, organization, sponsor, business_owner, technical_owner,
                     contract_end, snapshot, source_line, tier)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                entry.tenant,
                new[0],
                key,
                new[1],
                new[2],
                new[3],
                new[4],
                new[5],
                new[6],
                new[7],
                self.snapshot,
                line as i64,
                new[8]
            ])?;
        let id = self.conn.last_insert_rowid();
        // The tier came later: covered only when there is one, so that
        // the digests of registers imported before it still hold.
        let tier = new[8].as_deref().map(Value::from);
        let values = [
            id.into(),
            entry.tenant.as_str().into(),
            Value::from(&new[0]),
            key.into(),
            Value::from(&new[1]),
            Value::from(&new[2]),
            Value::from(&new[3]),
            Value::from(&new[4]),
            Value::from(&new[5]),
            Value::from(&new[6]),
            Value::from(&new[7]),
            self.snapshot.0.into(),
            (line as i64).into(),
        ];
        match tier {
            None => self.digest.row(Stream::Register, &values),
            Some(tier) => {
                let mut with_tier = values.to_vec();
                with_tier.push(tier);
                self.digest.row(Stream::Register, &with_tier);
            }
        }
        self.seen.insert(id, line);
        Ok(id)
    }

    /// Logs what this snapshot changed about the entry version `entry`.
    fn log_change(&mut self, entry: i64, kind: &str, detail: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO register_change (snapshot, entry, kind, detail)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![self.snapshot, entry, kind, detail])?;
        let id = self.conn.last_insert_rowid();
        self.digest.row(
            Stream::RegisterChange,
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
    pub fn add(&mut self, line: u64, entry: &RegisterEntry) -> Result<Option<RowProblem>> {
        self.counts.rows += 1;
        let key = match_key(&entry.identity_id);
        let new = values(entry);
        let existing = self
            .conn
            .prepare_cached(
                "SELECT id, identity_id, email, relationship, organization, sponsor,
                        business_owner, technical_owner, contract_end, tier, removed_snapshot
                 FROM register_entry
                 WHERE tenant = ?1 AND match_id = ?2 AND superseded IS NULL",
            )?
            .query_row(params![entry.tenant, key], |row| {
                let mut old: Vec<Option<String>> = Vec::with_capacity(9);
                for i in 1..=9 {
                    old.push(row.get(i)?);
                }
                Ok((row.get::<_, i64>(0)?, old, row.get::<_, Option<i64>>(10)?))
            })
            .optional()?;
        let Some((id, old, removed)) = existing else {
            self.insert_version(line, entry, &key, &new)?;
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
            .prepare_cached("UPDATE register_entry SET superseded = ?2 WHERE id = ?1")?
            .execute(params![id, self.snapshot])?;
        self.digest.mark(Stream::RegisterSuperseded, id);
        self.insert_version(line, entry, &key, &new)?;
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

    /// Marks entries this (full) register lacks as removed, re-matches
    /// identities, records the snapshot and its audit event, and commits
    /// (or, with `dry_run`, rolls back after counting).
    pub fn commit(mut self, sha256: &str, dry_run: bool) -> Result<RegisterCounts> {
        if !self.meta.partial {
            let live: Vec<i64> = self
                .conn
                .prepare(
                    "SELECT id FROM register_entry
                     WHERE removed_snapshot IS NULL AND superseded IS NULL",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let conn = self.conn;
            let mut mark =
                conn.prepare("UPDATE register_entry SET removed_snapshot = ?1 WHERE id = ?2")?;
            for id in live {
                if self.seen.contains_key(&id) {
                    continue;
                }
                self.log_change(id, "removed", "{}")?;
                mark.execute(params![self.snapshot, id])?;
                self.digest.mark(Stream::RegisterRemoved, id);
                self.counts.removed += 1;
            }
        }
        refresh_register_matches(self.conn)?;
        let c = self.counts;
        let (matched, classified, unmatched) = self.conn.query_row(
            "SELECT
                 (SELECT count(*) FROM identity_register),
                 (SELECT count(*) FROM identity_register ir
                    JOIN identity idn ON idn.key = ir.identity AND idn.superseded IS NULL
                    JOIN register_entry r ON r.id = ir.entry
                  WHERE idn.relationship = 'unknown' AND r.relationship IS NOT NULL
                    AND r.relationship <> 'unknown'),
                 (SELECT count(*) FROM register_entry r WHERE r.removed_snapshot IS NULL
                    AND r.superseded IS NULL AND NOT EXISTS (SELECT 1 FROM identity_register ir WHERE ir.entry = r.id))",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )?;
        record_counts(self.conn, self.snapshot, &c, sha256)?;
        let counts = RegisterCounts {
            rows: c,
            matched_identities: matched as u64,
            classified_identities: classified as u64,
            unmatched_entries: unmatched as u64,
        };
        let mut body = serde_json::json!({
            "snapshot": self.snapshot.0,
            "file": self.meta.file_name,
            "sha256": sha256,
            "format": self.meta.format,
            "partial": self.meta.partial,
            "counts": c,
            "matched_identities": counts.matched_identities,
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

impl Drop for RegisterImport<'_> {
    fn drop(&mut self) {
        if self.open {
            // As for grant imports: nothing may remain of a rejected file.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Rebuilds which live register entry describes each identity. Runs inside
/// every import's transaction; costs nothing while the register is empty.
pub(crate) fn refresh_register_matches(conn: &Connection) -> Result<()> {
    let mapped: i64 = conn.query_row("SELECT count(*) FROM identity_register", [], |r| r.get(0))?;
    if mapped > 0 {
        // Derived rows, rebuilt below from the entries and identities.
        conn.execute("DELETE FROM identity_register", [])?;
    }
    let mut insert =
        conn.prepare("INSERT INTO identity_register (identity, entry) VALUES (?1, ?2)")?;
    for (identity, entry) in register_matches(conn)? {
        insert.execute(params![identity, entry])?;
    }
    Ok(())
}

/// Which live register entry describes each current identity (by key), in
/// the order identities are read: what `identity_register` holds after an
/// import, and what verify expects of it.
pub(crate) fn register_matches(conn: &Connection) -> Result<Vec<(i64, i64)>> {
    let entries: i64 = conn.query_row(
        "SELECT count(*) FROM register_entry WHERE removed_snapshot IS NULL AND superseded IS NULL",
        [],
        |r| r.get(0),
    )?;
    let mut matches = Vec::new();
    if entries == 0 {
        return Ok(matches);
    }
    let mut by_key: HashMap<(String, String), i64> = HashMap::new();
    let mut by_email: HashMap<(String, String), i64> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT id, tenant, match_id, email FROM register_entry
             WHERE removed_snapshot IS NULL AND superseded IS NULL ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let tenant: String = row.get(1)?;
            by_key.insert((tenant.clone(), row.get(2)?), id);
            if let Some(email) = row.get::<_, Option<String>>(3)? {
                by_email.entry((tenant, email)).or_insert(id);
            }
        }
    }
    let find = |tenant: &str, key: &str| {
        let k = (tenant.to_string(), key.to_string());
        by_key.get(&k).or_else(|| by_email.get(&k)).copied()
    };
    let mut stmt = conn
        .prepare("SELECT key, tenant, identity_id, email FROM identity WHERE superseded IS NULL")?;
    let mut rows = stmt.query([])?;
    let mut done = HashSet::new();
    while let Some(row) = rows.next()? {
        let identity: i64 = row.get(0)?;
        let tenant: String = row.get(1)?;
        let identity_id: String = row.get(2)?;
        let email: Option<String> = row.get(3)?;
        if let Some(entry) = best_match(&tenant, &identity_id, email.as_deref(), find)
            && done.insert(identity)
        {
            matches.push((identity, entry));
        }
    }
    Ok(matches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Relationship, Stamp};
    use crate::testing;

    fn meta(partial: bool) -> SnapshotMeta {
        SnapshotMeta {
            partial,
            ..testing::register_meta()
        }
    }

    fn import(store: &mut Store, entries: &[RegisterEntry], partial: bool) -> RegisterCounts {
        let mut session = store.begin_register_import(meta(partial)).unwrap();
        for (n, entry) in entries.iter().enumerate() {
            assert!(session.add(n as u64 + 2, entry).unwrap().is_none());
        }
        session.commit("0", false).unwrap()
    }

    fn svc(relationship: Option<Relationship>) -> RegisterEntry {
        RegisterEntry {
            relationship,
            contract_end: Some(Stamp::parse("2027-01-31").unwrap()),
            ..RegisterEntry::new("SVC-SALTMARSH-ETL")
        }
    }

    #[test]
    fn entries_match_identities_and_full_imports_mark_the_rest_removed() {
        let mut store = Store::open_in_memory().unwrap();
        testing::import(&mut store, testing::SAMPLE);
        let counts = import(
            &mut store,
            &[
                svc(Some(Relationship::Vendor)),
                RegisterEntry::new("nobody@example.com"),
            ],
            false,
        );
        assert_eq!(counts.rows.added, 2);
        assert_eq!(counts.matched_identities, 1, "ids match ignoring case");
        assert_eq!(
            counts.classified_identities, 0,
            "the source already says partner"
        );
        assert_eq!(counts.unmatched_entries, 1);

        let again = import(&mut store, &[svc(Some(Relationship::Partner))], false);
        assert_eq!(again.rows.changed, 1);
        assert_eq!(again.rows.removed, 1);
        let dump = store.dump().unwrap();
        assert!(
            dump.contains("## register_entry (3 rows)"),
            "never deleted: two entries, one changed into a new version"
        );
        assert!(dump.contains("## register_change (2 rows)"), "{dump}");

        let partial = import(&mut store, &[RegisterEntry::new("other")], true);
        assert_eq!(partial.rows.removed, 0);
    }

    #[test]
    fn a_rejected_register_leaves_nothing_behind() {
        let mut store = Store::open_in_memory().unwrap();
        testing::import(&mut store, testing::SAMPLE);
        let before = store.dump().unwrap();
        {
            let mut session = store.begin_register_import(meta(false)).unwrap();
            session.add(2, &svc(None)).unwrap();
            let dup = session.add(3, &svc(None)).unwrap();
            assert_eq!(dup, Some(RowProblem::Duplicate { first_line: 2 }));
        }
        assert_eq!(store.dump().unwrap(), before);
    }
}
