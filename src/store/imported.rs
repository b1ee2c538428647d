//! Imported evidence against the import events: each snapshot row against
//! its event, and every identity, grant and register version, logged
//! change and scope against the digest the import that wrote (or marked)
//! it recorded. One pass over each table, in id order, however many
//! imports there are.

use super::digest::{Digests, FORMAT, Stream, Written};
use super::integrity::Findings;
use super::{Result, Store};
use crate::domain::text::count;
use foldhash::{HashMap, HashMapExt};
use rusqlite::types::ValueRef;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What an import event records of its snapshot.
#[derive(Deserialize)]
struct ImportBody {
    snapshot: i64,
    file: String,
    sha256: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    partial: Option<bool>,
    #[serde(default)]
    counts: Option<Counts>,
    /// Absent from imports made before recert recorded digests.
    #[serde(default)]
    written: Option<Written>,
}

#[derive(Clone, Copy, Deserialize)]
struct Counts {
    rows: u64,
    added: u64,
    #[serde(default)]
    restored: u64,
    changed: u64,
    unchanged: u64,
    removed: u64,
    /// Identities written anew; absent from imports that changed none and
    /// from those made before recert counted them.
    #[serde(default)]
    identities: Option<IdentityCount>,
}

#[derive(Clone, Copy, Deserialize)]
struct IdentityCount {
    changed: u64,
}

/// An import event, as verify needs it.
struct Recorded {
    seq: i64,
    actor: String,
    at: String,
    body: ImportBody,
}

/// How one table is read back: its columns as the import bound them, then
/// the markers later imports set.
struct Scan {
    table: &'static str,
    /// The INSERT's columns in its order, then the markers.
    columns: &'static str,
    /// How many of the columns are the row's content.
    width: usize,
    /// Where, among them, the snapshot that wrote the row is.
    snapshot_at: usize,
    content: Stream,
    /// Marker columns (after the content) and the stream each feeds.
    markers: &'static [Stream],
    /// A column after the markers that the content covers only when it is
    /// not NULL: one added later, so earlier digests still hold.
    optional_at: Option<usize>,
    order: &'static str,
}

const SCANS: [Scan; 8] = [
    Scan {
        table: "identity",
        columns: "id, key, tenant, identity_id, name, kind, relationship, organization, region,
                  sponsor, email, snapshot, superseded",
        width: 12,
        snapshot_at: 11,
        content: Stream::Identity,
        markers: &[Stream::IdentitySuperseded],
        optional_at: None,
        order: "id",
    },
    Scan {
        table: "entitlement",
        columns: "id, key, identity, system, name, environment, privileged, shared,
                  business_owner, technical_owner, justification, granted_at, expires_at,
                  last_used_at, credential_rotated_at, ticket, snapshot, source_line, active,
                  superseded, removed_snapshot",
        width: 19,
        snapshot_at: 16,
        content: Stream::Grant,
        markers: &[Stream::GrantSuperseded, Stream::GrantRemoved],
        optional_at: None,
        order: "id",
    },
    Scan {
        table: "entitlement_change",
        columns: "id, snapshot, entitlement, kind, detail",
        width: 5,
        snapshot_at: 1,
        content: Stream::GrantChange,
        markers: &[],
        optional_at: None,
        order: "id",
    },
    Scan {
        table: "snapshot_scope",
        columns: "snapshot, tenant, system",
        width: 3,
        snapshot_at: 0,
        content: Stream::Scope,
        markers: &[],
        optional_at: None,
        order: "snapshot, tenant, system",
    },
    Scan {
        table: "register_entry",
        columns: "id, tenant, identity_id, match_id, email, relationship, organization, sponsor,
                  business_owner, technical_owner, contract_end, snapshot, source_line,
                  superseded, removed_snapshot, tier",
        width: 13,
        snapshot_at: 11,
        content: Stream::Register,
        markers: &[Stream::RegisterSuperseded, Stream::RegisterRemoved],
        optional_at: Some(15),
        order: "id",
    },
    Scan {
        table: "register_change",
        columns: "id, snapshot, entry, kind, detail",
        width: 5,
        snapshot_at: 1,
        content: Stream::RegisterChange,
        markers: &[],
        optional_at: None,
        order: "id",
    },
    Scan {
        table: "catalog_entry",
        columns: "id, tenant, system, entitlement, description, sensitivity, data_classes, owner,
                  snapshot, source_line, superseded, removed_snapshot",
        width: 10,
        snapshot_at: 8,
        content: Stream::Catalog,
        markers: &[Stream::CatalogSuperseded, Stream::CatalogRemoved],
        optional_at: None,
        order: "id",
    },
    Scan {
        table: "catalog_change",
        columns: "id, snapshot, entry, kind, detail",
        width: 5,
        snapshot_at: 1,
        content: Stream::CatalogChange,
        markers: &[],
        optional_at: None,
        order: "id",
    },
];

/// The widest scan: values of a row are gathered without allocating.
const WIDEST: usize = 21;

/// What the checks found beyond discrepancies.
#[derive(Default)]
pub(super) struct ImportTally {
    pub snapshots: u64,
    /// Import events whose digest was recomputed.
    pub digested: u64,
    /// Import events made before recert recorded digests.
    pub undigested: u64,
}

impl Store {
    /// Snapshot rows against their import events, and what each import
    /// wrote against its digest.
    pub(super) fn check_imports(&self, findings: &mut Findings) -> Result<ImportTally> {
        let mut recorded: BTreeMap<i64, Recorded> = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT seq, actor, at, body FROM event WHERE kind = 'import' ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let body: String = row.get(3)?;
            match serde_json::from_str::<ImportBody>(&body) {
                Ok(body) => {
                    if let Some(earlier) = recorded.get(&body.snapshot) {
                        findings.add(
                            Some(seq),
                            format!(
                                "its import names snapshot {}, which event {} already recorded",
                                body.snapshot, earlier.seq
                            ),
                        );
                        continue;
                    }
                    recorded.insert(
                        body.snapshot,
                        Recorded {
                            seq,
                            actor: row.get(1)?,
                            at: row.get(2)?,
                            body,
                        },
                    );
                }
                Err(_) => findings.add(Some(seq), "its import body is unreadable".into()),
            }
        }
        drop(rows);
        drop(stmt);
        let mut tally = ImportTally {
            snapshots: self.check_snapshot_rows(&recorded, findings)?,
            ..ImportTally::default()
        };
        let mut found = self.recompute_digests()?;
        for (snapshot, import) in &recorded {
            let found = found
                .remove(snapshot)
                .map(Digests::finish)
                .unwrap_or_default();
            match &import.body.written {
                None => tally.undigested += 1,
                Some(written) => {
                    tally.digested += 1;
                    compare(*snapshot, import, written, &found, findings);
                }
            }
        }
        for (snapshot, digests) in found {
            let written = digests.finish();
            for (name, stream) in &written.streams {
                findings.add(
                    None,
                    format!(
                        "table {} holds {} of snapshot {snapshot}, which no import event \
                         recorded: they were inserted or moved",
                        table_of(name),
                        count(stream.rows, "row")
                    ),
                );
            }
        }
        Ok(tally)
    }

    /// Every snapshot row against its import event.
    fn check_snapshot_rows(
        &self,
        recorded: &BTreeMap<i64, Recorded>,
        findings: &mut Findings,
    ) -> Result<u64> {
        let mut stmt = self.conn.prepare(
            "SELECT id, file_name, sha256, format, imported_at, imported_by, partial, rows,
                    added, changed, unchanged, removed
             FROM snapshot ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut n = 0u64;
        let mut seen = std::collections::HashSet::new();
        while let Some(row) = rows.next()? {
            n += 1;
            let id: i64 = row.get(0)?;
            let file: String = row.get(1)?;
            let sha256: String = row.get(2)?;
            seen.insert(id);
            let Some(import) = recorded.get(&id) else {
                findings.add(
                    None,
                    format!(
                        "snapshot {id} ({file}) has no import event in the log: it was inserted"
                    ),
                );
                continue;
            };
            let body = &import.body;
            let mut differ: Vec<String> = Vec::new();
            let mut field = |name: &str, stored: String, recorded: String| {
                if stored != recorded {
                    differ.push(format!("{name} {stored:?}, recorded {recorded:?}"));
                }
            };
            field("file", file, body.file.clone());
            field("SHA-256", sha256, body.sha256.clone());
            field("imported_at", row.get(4)?, import.at.clone());
            field("imported_by", row.get(5)?, import.actor.clone());
            if let Some(format) = &body.format {
                field("format", row.get(3)?, format.clone());
            }
            if let Some(partial) = body.partial {
                let stored: bool = row.get(6)?;
                field("partial", stored.to_string(), partial.to_string());
            }
            if let Some(c) = body.counts {
                let stored: [i64; 5] = [
                    row.get(7)?,
                    row.get(8)?,
                    row.get(9)?,
                    row.get(10)?,
                    row.get(11)?,
                ];
                let recorded = [
                    c.rows,
                    c.added + c.restored,
                    c.changed,
                    c.unchanged,
                    c.removed,
                ];
                let show = |v: &[String]| v.join("/");
                field(
                    "counts (rows/added/changed/unchanged/removed)",
                    show(&stored.map(|n| n.to_string())),
                    show(&recorded.map(|n| n.to_string())),
                );
            }
            if !differ.is_empty() {
                findings.add(
                    Some(import.seq),
                    format!(
                        "snapshot {id}: its {} differ from its import event: the snapshot \
                         table was edited",
                        differ.join("; ")
                    ),
                );
            }
        }
        for (id, import) in recorded {
            if !seen.contains(id) {
                findings.add(
                    Some(import.seq),
                    format!(
                        "snapshot {id} ({}) was deleted from the snapshot table",
                        import.body.file
                    ),
                );
            }
        }
        Ok(n)
    }

    /// Every import's digest as the tables hold it now, by snapshot.
    fn recompute_digests(&self) -> Result<HashMap<i64, Digests>> {
        let mut by_snapshot: HashMap<i64, Digests> = HashMap::new();
        for scan in &SCANS {
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {}",
                scan.columns, scan.table, scan.order
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let mut values = [ValueRef::Null; WIDEST];
                for (at, value) in values.iter_mut().enumerate().take(scan.width) {
                    *value = row.get_ref(at)?;
                }
                let mut width = scan.width;
                if let Some(at) = scan.optional_at
                    && row.get_ref(at)? != ValueRef::Null
                {
                    values[width] = row.get_ref(at)?;
                    width += 1;
                }
                let snapshot = row.get::<_, i64>(scan.snapshot_at)?;
                by_snapshot
                    .entry(snapshot)
                    .or_default()
                    .row_read(scan.content, &values[..width]);
                for (n, stream) in scan.markers.iter().enumerate() {
                    if let Some(marker) = row.get::<_, Option<i64>>(scan.width + n)? {
                        let id: i64 = row.get(0)?;
                        by_snapshot.entry(marker).or_default().mark(*stream, id);
                    }
                }
            }
        }
        Ok(by_snapshot)
    }
}

/// The table a stream's rows are in, by its recorded name.
fn table_of(name: &str) -> &'static str {
    SCANS
        .iter()
        .flat_map(|scan| {
            std::iter::once(scan.content)
                .chain(scan.markers.iter().copied())
                .map(move |stream| (stream, scan.table))
        })
        .find(|(stream, _)| stream.name() == name)
        .map_or("?", |(_, table)| table)
}

/// One import's recorded digest against the one recomputed.
fn compare(
    snapshot: i64,
    import: &Recorded,
    written: &Written,
    found: &Written,
    findings: &mut Findings,
) {
    let name = format!("import of snapshot {snapshot} ({})", import.body.file);
    if written.format != FORMAT {
        findings.add(
            Some(import.seq),
            format!(
                "{name}: its digest is of format {}, which this recert does not know: use a \
                 newer recert",
                written.format
            ),
        );
        return;
    }
    for unknown in written.unknown_streams() {
        findings.add(
            Some(import.seq),
            format!("{name}: its digest covers {unknown:?}, which this recert does not know"),
        );
    }
    for stream in Stream::ALL {
        let (recorded, now) = (written.get(stream), found.get(stream));
        if recorded == now {
            continue;
        }
        let (what, table) = stream.describe();
        let detail = if recorded.rows == now.rows {
            format!("{} as recorded, but not the values", count(now.rows, "row"))
        } else {
            format!("{} now, {} recorded", now.rows, recorded.rows)
        };
        findings.add(
            Some(import.seq),
            format!(
                "{name}: the {what} do not match its digest ({detail}): the {table} table was \
                 edited"
            ),
        );
    }
    if let Some(c) = import.body.counts {
        check_counts(&name, import, written, c, findings);
    }
}

/// An import's counts against the rows its own digest covers: every
/// version written is an addition, a change or a restoration, and every
/// change logged one of those or a removal. An event that says otherwise
/// was not written by recert.
fn check_counts(
    name: &str,
    import: &Recorded,
    written: &Written,
    c: Counts,
    findings: &mut Findings,
) {
    let format = import.body.format.as_deref();
    let (versions, superseded, removed, changes) = match format {
        Some("register") => (
            Stream::Register,
            Stream::RegisterSuperseded,
            Stream::RegisterRemoved,
            Stream::RegisterChange,
        ),
        Some("catalog") => (
            Stream::Catalog,
            Stream::CatalogSuperseded,
            Stream::CatalogRemoved,
            Stream::CatalogChange,
        ),
        _ => (
            Stream::Grant,
            Stream::GrantSuperseded,
            Stream::GrantRemoved,
            Stream::GrantChange,
        ),
    };
    if let Some(ids) = c.identities
        && !matches!(format, Some("register" | "catalog"))
        && written.rows(Stream::IdentitySuperseded) != ids.changed
    {
        findings.add(
            Some(import.seq),
            format!(
                "{name}: it counts {} changed, but its digest covers {} {}: the event \
                 was not written by recert",
                if ids.changed == 1 {
                    "1 identity".to_string()
                } else {
                    format!("{} identities", ids.changed)
                },
                written.rows(Stream::IdentitySuperseded),
                Stream::IdentitySuperseded.describe().0
            ),
        );
        return;
    }
    let replaced = c.changed + c.restored;
    let expected = [
        (versions, c.added + replaced),
        (superseded, replaced),
        (removed, c.removed),
        (changes, replaced + c.removed),
    ];
    for (stream, n) in expected {
        if written.rows(stream) != n {
            findings.add(
                Some(import.seq),
                format!(
                    "{name}: its counts ({} rows, {} added, {} changed, {} restored, {} \
                     removed) do not add up to the {} {} its digest covers: the event was \
                     not written by recert",
                    c.rows,
                    c.added,
                    c.changed,
                    c.restored,
                    c.removed,
                    written.rows(stream),
                    stream.describe().0
                ),
            );
            return;
        }
    }
}

#[cfg(test)]
#[path = "imported_tests.rs"]
mod tests;
