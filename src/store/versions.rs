//! The identity and grant fields a report prints, read for a whole campaign
//! in one pass over each table. Items are stored in risk order and point at
//! versions stored in import order, so joining each item to its versions is
//! two B-tree lookups at random places; when a campaign covers much of the
//! register, reading both tables start to end into compact memory and
//! looking versions up there costs a fraction of that.

use super::Result;
use super::reporting::{opt_text, text};
use foldhash::{HashMap, HashMapExt};
use rusqlite::{Connection, OpenFlags};
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

/// Rows by id, from the table's first id. Ids are dense, as rows are never
/// deleted; a database where they are not is left to the joined query.
struct ById<T> {
    first: i64,
    rows: Vec<Option<T>>,
}

/// Missing ids in a row that `ById` still holds as gaps.
const MAX_GAP: usize = 1024;

impl<T: Copy> ById<T> {
    fn new() -> Self {
        ById {
            first: 0,
            rows: Vec::new(),
        }
    }

    /// Rows come in ascending id order; false for one out of order or past
    /// a gap of more than [`MAX_GAP`] ids.
    fn put(&mut self, id: i64, row: T) -> bool {
        if self.rows.is_empty() {
            self.first = id;
        }
        let Some(at) = id
            .checked_sub(self.first)
            .and_then(|at| usize::try_from(at).ok())
        else {
            return false;
        };
        if at < self.rows.len() || at - self.rows.len() > MAX_GAP {
            return false;
        }
        self.rows.resize(at, None);
        self.rows.push(Some(row));
        true
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
/// from a range each, possibly empty. `interned` serves loading only.
struct Part {
    text: String,
    interned: HashMap<Box<str>, Sym>,
    symbols: Vec<Span>,
    identities: ById<IdentityFields>,
    grants: ById<GrantFields>,
}

/// Which rows a part reads: ids, inclusive.
#[derive(Clone, Copy)]
struct Share {
    identities: Option<(i64, i64)>,
    grants: (i64, i64),
}

/// Each table's lowest and highest id, and the schema's version: what a
/// second connection must see as well to read the versions the caller's
/// items point at.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Extent {
    schema: i64,
    identities: (i64, i64),
    grants: (i64, i64),
}

impl Extent {
    fn read(conn: &Connection) -> Result<Extent> {
        let schema = conn.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
        let (identities, grants) = conn.query_row(
            "SELECT (SELECT min(id) FROM identity), (SELECT max(id) FROM identity),
                    (SELECT min(id) FROM entitlement), (SELECT max(id) FROM entitlement)",
            [],
            |r| {
                let range = |lo: Option<i64>, hi: Option<i64>| (lo.unwrap_or(1), hi.unwrap_or(0));
                Ok((range(r.get(0)?, r.get(1)?), range(r.get(2)?, r.get(3)?)))
            },
        )?;
        Ok(Extent {
            schema,
            identities,
            grants,
        })
    }

    fn rows(&self) -> i64 {
        let count = |(lo, hi): (i64, i64)| hi.saturating_sub(lo).saturating_add(1).max(0);
        count(self.identities).saturating_add(count(self.grants))
    }

    /// Whether loading both tables costs less than looking up `items`
    /// items' versions one at a time.
    fn worth_loading(&self, items: i64) -> bool {
        items > 0 && self.rows() <= items.saturating_mul(ROWS_PER_ITEM)
    }
}

impl Versions {
    /// [`Versions::load`], when it is worth it for a pass over `items`
    /// items; `None` otherwise.
    pub(super) fn load_for(
        conn: &Connection,
        path: Option<&Path>,
        items: i64,
    ) -> Result<Option<Versions>> {
        let extent = Extent::read(conn)?;
        if !extent.worth_loading(items) {
            return Ok(None);
        }
        Versions::load(conn, path, extent)
    }

    /// Reads every version. With a `path`, a second connection reads the
    /// later grants while the caller reads the identities and the first
    /// grants; it takes part only if it sees the caller's extent (versions
    /// are only ever added and the fields read here never change, so it
    /// then reads exactly the caller's versions), else the caller reads its
    /// share too. `None` when a row cannot be held (text past an arena's
    /// 32-bit offsets, ids far apart, columns not what the schema says):
    /// the joined query then reads the items, and names what is wrong.
    fn load(conn: &Connection, path: Option<&Path>, extent: Extent) -> Result<Option<Versions>> {
        let (lo, hi) = extent.grants;
        let split = match path {
            // Identity rows are wider: weigh one as about two grant rows.
            Some(_) => {
                let identities = extent.identities.1 - extent.identities.0 + 1;
                let identity_weight = 2 * identities.max(0);
                (lo - 1 + (hi - lo + 1 - identity_weight) / 2).clamp(lo - 1, hi)
            }
            None => hi,
        };
        let first = Share {
            identities: Some(extent.identities),
            grants: (lo, split),
        };
        let second = Share {
            identities: None,
            grants: (split + 1, hi),
        };
        let (first, helped) = std::thread::scope(|scope| {
            let helper = path.map(|path| scope.spawn(move || help(path, extent, second)));
            let first = Part::load(conn, first);
            (first, helper.and_then(|h| h.join().ok().flatten()))
        });
        let Some(first) = first? else {
            return Ok(None);
        };
        let second = match helped {
            Some(second) => second,
            None => Part::load(conn, second)?,
        };
        Ok(second.map(|second| Versions {
            parts: vec![first, second],
        }))
    }

    pub(super) fn identity(&self, id: i64) -> Option<IdentityView<'_>> {
        self.parts.iter().find_map(|part| part.identity(id))
    }

    pub(super) fn grant(&self, id: i64) -> Option<GrantView<'_>> {
        self.parts.iter().find_map(|part| part.grant(id))
    }
}

/// The second connection's share, or `None` when it cannot take part: it
/// could not open the file, failed, or saw another extent there.
fn help(path: &Path, extent: Extent, share: Share) -> Option<Option<Part>> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).ok()?;
    conn.busy_timeout(super::BUSY_TIMEOUT).ok()?;
    conn.execute_batch("BEGIN").ok()?;
    if Extent::read(&conn).ok()? != extent {
        return None;
    }
    Part::load(&conn, share).ok()
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
        if let Some(identities) = share.identities
            && !part.load_identities(conn, identities)?
        {
            return Ok(None);
        }
        if !part.load_grants(conn, share.grants)? {
            return Ok(None);
        }
        // Only loading looks strings up.
        part.interned = HashMap::new();
        Ok(Some(part))
    }

    /// False when a row cannot be held (see [`Versions::load`]).
    fn load_identities(&mut self, conn: &Connection, (from, to): (i64, i64)) -> Result<bool> {
        let mut stmt = conn.prepare(
            "SELECT id, tenant, identity_id, name, kind, relationship, organization
             FROM identity WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        )?;
        let mut rows = stmt.query([from, to])?;
        while let Some(r) = rows.next()? {
            let fields = (|| {
                Some(IdentityFields {
                    tenant: self.intern(text(r, 1).ok()?)?,
                    identity_id: self.push(text(r, 2).ok()?)?,
                    name: self.push(text(r, 3).ok()?)?,
                    kind: self.intern(text(r, 4).ok()?)?,
                    relationship: self.intern(text(r, 5).ok()?)?,
                    organization: self.intern_opt(opt_text(r, 6).ok()?)?,
                })
            })();
            match fields {
                Some(fields) if self.identities.put(r.get(0)?, fields) => {}
                _ => return Ok(false),
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
            let fields = (|| {
                Some(GrantFields {
                    system: self.intern(text(r, 1).ok()?)?,
                    name: self.intern(text(r, 2).ok()?)?,
                    environment: self.intern_opt(opt_text(r, 3).ok()?)?,
                    privileged: r.get(4).ok()?,
                })
            })();
            match fields {
                Some(fields) if self.grants.put(r.get(0)?, fields) => {}
                _ => return Ok(false),
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

    /// An absent value is [`NO_SYM`].
    fn intern_opt(&mut self, s: Option<&str>) -> Option<Sym> {
        s.map_or(Some(NO_SYM), |s| self.intern(s))
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
    let extent = Extent::read(&store.conn).unwrap();
    let versions = Versions::load(&store.conn, path, extent).unwrap().unwrap();
    (
        read(VersionLookup::Joined),
        read(VersionLookup::Loaded(&versions)),
    )
}

#[cfg(test)]
mod tests {
    use super::{ById, Extent, MAX_GAP, Share, Versions, help, rows_both_ways};
    use crate::domain::Decision;
    use crate::estate::EstateSpec;
    use crate::store::Store;
    use crate::testing::{self, day};

    #[test]
    fn rows_by_id_hold_small_gaps_and_refuse_disorder_and_far_ids() {
        let mut rows = ById::new();
        assert!(rows.put(5, 'a'));
        assert!(rows.put(8, 'b'));
        assert_eq!(rows.get(5), Some('a'));
        assert_eq!(rows.get(8), Some('b'));
        for absent in [i64::MIN, 0, 4, 6, 7, 9, i64::MAX] {
            assert_eq!(rows.get(absent), None, "{absent}");
        }
        assert!(!rows.put(8, 'c'), "an id again");
        assert!(!rows.put(4, 'c'), "an id before the first");
        assert!(!rows.put(9 + MAX_GAP as i64 + 1, 'c'), "past a wide gap");
        assert!(!rows.put(i64::MIN, 'c'));
        assert!(
            rows.put(9 + MAX_GAP as i64, 'c'),
            "past the widest gap held"
        );
        assert_eq!(rows.get(8), Some('b'));
    }

    /// A second connection takes part only where it sees the caller's
    /// versions: not in another database, nor once more were imported.
    #[test]
    fn a_helper_reads_only_the_database_the_caller_sees() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::create(&dir.path().join("v.db")).unwrap();
        testing::import(&mut store, testing::SAMPLE);
        let extent = Extent::read(&store.conn).unwrap();
        let share = Share {
            identities: Some(extent.identities),
            grants: extent.grants,
        };
        let helped = help(&store.path, extent, share).expect("the same file");
        assert!(helped.is_some());
        let (mut other, _) = Store::create(&dir.path().join("other.db")).unwrap();
        assert!(
            help(&other.path, extent, share).is_none(),
            "another database"
        );
        testing::import(&mut other, testing::SAMPLE);
        assert!(
            help(&other.path, extent, share).is_some(),
            "the same versions"
        );
        let changed = testing::SAMPLE.replace(",prod,", ",staging,");
        testing::import_file(&mut other, "changed.csv", &changed, false);
        assert!(help(&other.path, extent, share).is_none(), "more versions");
        assert!(help(&dir.path().join("missing.db"), extent, share).is_none());
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
        let extent = Extent::read(&store.conn).unwrap();
        assert!(extent.worth_loading(items));
        assert!(!extent.worth_loading(items / 4));
        assert!(!extent.worth_loading(0));
        let path = Some(store.path.as_path());
        assert!(
            Versions::load_for(&store.conn, path, items / 4)
                .unwrap()
                .is_none()
        );
        assert!(
            Versions::load_for(&store.conn, path, items)
                .unwrap()
                .is_some()
        );
    }
}
