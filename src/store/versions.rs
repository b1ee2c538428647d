//! The identity and grant fields a report prints, read for a whole campaign
//! in one pass over each table. Items are stored in risk order and point at
//! versions stored in import order, so joining each item to its versions is
//! two B-tree lookups at random places; when a campaign covers much of the
//! register, reading both tables start to end into compact memory and
//! looking versions up there costs a fraction of that.

use super::{Result, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::Path;

/// Table rows read per item at which loading stops paying: a row read in
/// order costs about a fifth of a lookup at random.
const ROWS_PER_ITEM: i64 = 4;

/// A string in the arena.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

/// An interned string: few distinct tenants, kinds, systems and
/// entitlement names recur across a million rows.
type Sym = u32;
const NO_SYM: Sym = Sym::MAX;

#[derive(Clone, Copy)]
struct IdentityFields {
    tenant: Sym,
    kind: Sym,
    relationship: Sym,
    organization: Sym,
    identity_id: Span,
    name: Span,
}

#[derive(Clone, Copy)]
struct GrantFields {
    system: Sym,
    name: Sym,
    environment: Sym,
    privileged: bool,
}

/// One identity version's report fields.
pub(super) struct IdentityView<'v> {
    pub tenant: &'v str,
    pub identity_id: &'v str,
    pub name: &'v str,
    pub kind: &'v str,
    pub relationship: &'v str,
    pub organization: Option<&'v str>,
}

/// One grant version's report fields.
pub(super) struct GrantView<'v> {
    pub system: &'v str,
    pub environment: Option<&'v str>,
    pub name: &'v str,
    pub privileged: bool,
}

/// Rows by id, from the table's first id: ids are dense, as rows are never
/// deleted, and a gap is simply absent.
struct ById<T> {
    first: i64,
    rows: Vec<Option<T>>,
}

impl<T: Copy> ById<T> {
    fn new() -> Self {
        ById {
            first: 0,
            rows: Vec::new(),
        }
    }

    fn put(&mut self, id: i64, row: T) {
        if self.rows.is_empty() {
            self.first = id;
        }
        let Ok(at) = usize::try_from(id - self.first) else {
            return;
        };
        if at >= self.rows.len() {
            self.rows.resize(at + 1, None);
        }
        self.rows[at] = Some(row);
    }

    fn get(&self, id: i64) -> Option<T> {
        let at = usize::try_from(id.checked_sub(self.first)?).ok()?;
        self.rows.get(at).copied().flatten()
    }
}

/// Every identity and grant version's report fields, in parts read side
/// by side: the identities and the first grants, then the other grants.
pub(super) struct Versions {
    parts: Vec<Part>,
}

/// The versions one connection read: `identities` and `grants` hold ids
/// from a range each, possibly empty.
struct Part {
    text: String,
    interned: HashMap<Box<str>, Sym>,
    symbols: Vec<Span>,
    identities: ById<IdentityFields>,
    grants: ById<GrantFields>,
}

/// Which rows a part reads.
#[derive(Clone, Copy)]
struct Share {
    identities: bool,
    /// Grant ids, inclusive.
    grants: (i64, i64),
}

impl Versions {
    /// Whether loading both tables costs less than looking up `items`
    /// items' versions one at a time.
    pub(super) fn worth_loading(conn: &Connection, items: i64) -> Result<bool> {
        let (identities, grants) = table_sizes(conn)?;
        Ok(items > 0 && identities + grants <= items.saturating_mul(ROWS_PER_ITEM))
    }

    /// Reads every version, on a second connection to `path` for half the
    /// work when there is one (any read of the file sees every version the
    /// caller's items point at: versions are only ever added). `None` when
    /// the text would not fit an arena's 32-bit offsets (4 GiB) or a row is
    /// not what the schema says: the joined query then reads the items, and
    /// names what is wrong.
    pub(super) fn load(conn: &Connection, path: Option<&Path>) -> Result<Option<Versions>> {
        let (identities, grants) = table_sizes(conn)?;
        let Some(path) = path else {
            let all = Share {
                identities: true,
                grants: (1, grants),
            };
            return Ok(Part::load(conn, all)?.map(|part| Versions { parts: vec![part] }));
        };
        // Identity rows are wider: weigh one as about two grant rows.
        let split = ((grants - 2 * identities) / 2).clamp(0, grants);
        let first = Share {
            identities: true,
            grants: (1, split),
        };
        let second = Share {
            identities: false,
            grants: (split + 1, grants),
        };
        let (first, second) = std::thread::scope(|scope| {
            let helper = scope.spawn(|| -> Result<Option<Part>> {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let helper = Connection::open_with_flags(path, flags)?;
                helper.busy_timeout(super::BUSY_TIMEOUT)?;
                Part::load(&helper, second)
            });
            let first = Part::load(conn, first);
            let second = helper
                .join()
                .unwrap_or_else(|_| Err(StoreError::Invalid("a report reader stopped".into())));
            (first, second)
        });
        Ok(match (first?, second?) {
            (Some(first), Some(second)) => Some(Versions {
                parts: vec![first, second],
            }),
            _ => None,
        })
    }

    pub(super) fn identity(&self, id: i64) -> Option<IdentityView<'_>> {
        self.parts.iter().find_map(|part| part.identity(id))
    }

    pub(super) fn grant(&self, id: i64) -> Option<GrantView<'_>> {
        self.parts.iter().find_map(|part| part.grant(id))
    }
}

/// The highest identity and grant ids: how many rows each table holds, as
/// rows are never deleted.
fn table_sizes(conn: &Connection) -> Result<(i64, i64)> {
    Ok(conn.query_row(
        "SELECT coalesce((SELECT max(id) FROM identity), 0),
                coalesce((SELECT max(id) FROM entitlement), 0)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

impl Part {
    fn load(conn: &Connection, share: Share) -> Result<Option<Part>> {
        let mut part = Part {
            text: String::new(),
            interned: HashMap::new(),
            symbols: Vec::new(),
            identities: ById::new(),
            grants: ById::new(),
        };
        if share.identities && !part.load_identities(conn)? {
            return Ok(None);
        }
        if !part.load_grants(conn, share.grants)? {
            return Ok(None);
        }
        Ok(Some(part))
    }

    /// False when a row cannot be held (see [`Versions::load`]).
    fn load_identities(&mut self, conn: &Connection) -> Result<bool> {
        let mut stmt = conn.prepare(
            "SELECT id, tenant, identity_id, name, kind, relationship, organization
             FROM identity ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let text = |i| r.get_ref(i).and_then(|v| Ok(v.as_str()?));
            let opt = |i| r.get_ref(i).and_then(|v| Ok(v.as_str_or_null()?));
            let fields = (|| {
                Some(IdentityFields {
                    tenant: self.intern(text(1).ok()?)?,
                    identity_id: self.push(text(2).ok()?)?,
                    name: self.push(text(3).ok()?)?,
                    kind: self.intern(text(4).ok()?)?,
                    relationship: self.intern(text(5).ok()?)?,
                    organization: match opt(6).ok()? {
                        Some(o) => self.intern(o)?,
                        None => NO_SYM,
                    },
                })
            })();
            match fields {
                Some(fields) => self.identities.put(r.get(0)?, fields),
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    fn load_grants(&mut self, conn: &Connection, (from, to): (i64, i64)) -> Result<bool> {
        let mut stmt = conn.prepare(
            "SELECT id, system, name, environment, privileged FROM entitlement
             WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        )?;
        let mut rows = stmt.query([from, to])?;
        while let Some(r) = rows.next()? {
            let text = |i| r.get_ref(i).and_then(|v| Ok(v.as_str()?));
            let opt = |i| r.get_ref(i).and_then(|v| Ok(v.as_str_or_null()?));
            let fields = (|| {
                Some(GrantFields {
                    system: self.intern(text(1).ok()?)?,
                    name: self.intern(text(2).ok()?)?,
                    environment: match opt(3).ok()? {
                        Some(e) => self.intern(e)?,
                        None => NO_SYM,
                    },
                    privileged: r.get(4).ok()?,
                })
            })();
            match fields {
                Some(fields) => self.grants.put(r.get(0)?, fields),
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    fn push(&mut self, s: &str) -> Option<Span> {
        let start = u32::try_from(self.text.len()).ok()?;
        let len = u32::try_from(s.len()).ok()?;
        start.checked_add(len)?;
        self.text.push_str(s);
        Some(Span { start, len })
    }

    fn intern(&mut self, s: &str) -> Option<Sym> {
        if let Some(&sym) = self.interned.get(s) {
            return Some(sym);
        }
        let span = self.push(s)?;
        let sym = Sym::try_from(self.symbols.len())
            .ok()
            .filter(|&s| s != NO_SYM)?;
        self.symbols.push(span);
        self.interned.insert(s.into(), sym);
        Some(sym)
    }

    fn span(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.text
            .get(start..start + span.len as usize)
            .unwrap_or_default()
    }

    fn sym(&self, sym: Sym) -> Option<&str> {
        self.symbols.get(sym as usize).map(|&span| self.span(span))
    }

    fn identity(&self, id: i64) -> Option<IdentityView<'_>> {
        let fields = self.identities.get(id)?;
        Some(IdentityView {
            tenant: self.sym(fields.tenant)?,
            identity_id: self.span(fields.identity_id),
            name: self.span(fields.name),
            kind: self.sym(fields.kind)?,
            relationship: self.sym(fields.relationship)?,
            organization: self.sym(fields.organization),
        })
    }

    fn grant(&self, id: i64) -> Option<GrantView<'_>> {
        let fields = self.grants.get(id)?;
        Some(GrantView {
            system: self.sym(fields.system)?,
            environment: self.sym(fields.environment),
            name: self.sym(fields.name)?,
            privileged: fields.privileged,
        })
    }
}

/// Every report row of `campaign` read with its versions joined, and read
/// with them loaded (in two parts when the store is a file): for tests that
/// the two agree.
#[cfg(test)]
pub(super) fn rows_both_ways(
    store: &super::Store,
    campaign: super::CampaignId,
) -> (Vec<super::ReportRow>, Vec<super::ReportRow>) {
    use super::reporting::VersionLookup;
    let range = super::campaigns::item_range(&store.conn, campaign).unwrap();
    let read = |lookup| {
        let mut rows = Vec::new();
        store
            .walk_report_cells(range, super::ReportRows::All, lookup, |cells| {
                let mut row = super::ReportRow::default();
                cells.fill(&mut row);
                rows.push(row);
                Ok(())
            })
            .unwrap();
        rows
    };
    let path = Some(store.path.as_path()).filter(|p| p.exists());
    let versions = Versions::load(&store.conn, path).unwrap().unwrap();
    assert_eq!(versions.parts.len(), if path.is_some() { 2 } else { 1 });
    (
        read(VersionLookup::Joined),
        read(VersionLookup::Loaded(&versions)),
    )
}

#[cfg(test)]
mod tests {
    use super::{ById, Versions, rows_both_ways};
    use crate::domain::Decision;
    use crate::estate::EstateSpec;
    use crate::store::Store;
    use crate::testing::{self, day};

    #[test]
    fn rows_by_id_hold_gaps_and_refuse_ids_outside() {
        let mut rows = ById::new();
        rows.put(5, 'a');
        rows.put(8, 'b');
        assert_eq!(rows.get(5), Some('a'));
        assert_eq!(rows.get(8), Some('b'));
        for absent in [i64::MIN, 0, 4, 6, 7, 9, i64::MAX] {
            assert_eq!(rows.get(absent), None, "{absent}");
        }
    }

    /// An estate imported twice, the second time with identities renamed
    /// and grants changed, so that the first campaign's items point at
    /// superseded versions; in a file, so that versions load in two parts.
    #[test]
    fn loaded_versions_read_as_the_joined_query_does() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::create(&dir.path().join("v.db")).unwrap();
        let mut first = Vec::new();
        EstateSpec::new(3000, 11, day("2026-11-01"))
            .write_csv(&mut first)
            .unwrap();
        let first = String::from_utf8(first).unwrap();
        testing::import(&mut store, &first);
        let q3 = testing::campaign(&mut store, "Q3", "2026-11-01");
        let item = crate::store::campaigns::item_range(&store.conn, q3.id)
            .unwrap()
            .0
            + 3;
        testing::decide(
            &mut store,
            &q3,
            "owner@x",
            item,
            Some(Decision::Revoke),
            "gone",
        );
        let second = first
            .replace(",prod,", ",staging,")
            .replacen(",Person ", ",Renamed ", 200);
        assert_ne!(second, first);
        testing::import_file(&mut store, "second.csv", &second, false);
        let q4 = testing::campaign(&mut store, "Q4", "2026-11-15");
        for campaign in [&q3, &q4] {
            let (joined, loaded) = rows_both_ways(&store, campaign.id);
            assert_eq!(joined.len() as u64, campaign.items);
            assert_eq!(joined, loaded, "{}", campaign.name);
        }
        let items = q4.items as i64;
        assert!(Versions::worth_loading(&store.conn, items).unwrap());
        assert!(!Versions::worth_loading(&store.conn, items / 4).unwrap());
        assert!(!Versions::worth_loading(&store.conn, 0).unwrap());
    }
}
