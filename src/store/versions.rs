//! The identity and grant fields a report prints, read for a whole campaign
//! in one pass over each table. Items are stored in risk order and point at
//! versions stored in import order, so joining each item to its versions is
//! two B-tree lookups at random places; when a campaign covers much of the
//! register, reading both tables start to end into compact memory and
//! looking versions up there costs a fraction of that.

use super::Result;
use super::columns::{bytes, opt_bytes, opt_text, text};
use super::readers::{Readers, available_helpers};
use foldhash::{HashMap, HashMapExt};
use rusqlite::Connection;

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
    sponsor: Sym,
    identity_id: Span,
    name: Span,
    email: Option<Span>,
}

#[derive(Clone, Copy)]
struct GrantFields {
    system: Sym,
    name: Sym,
    environment: Sym,
    privileged: bool,
    shared: bool,
    active: Option<bool>,
    business_owner: Sym,
    technical_owner: Sym,
    // Dates recur across grants (an import's day, a policy's end date):
    // interned like the names.
    granted_at: Sym,
    expires_at: Sym,
    last_used_at: Sym,
    credential_rotated_at: Sym,
    justified: bool,
}

/// One identity version's report fields.
pub(super) struct IdentityView<'v> {
    pub tenant: &'v str,
    pub identity_id: &'v str,
    pub name: &'v str,
    pub kind: &'v str,
    pub relationship: &'v str,
    pub organization: Option<&'v str>,
    pub sponsor: Option<&'v str>,
    pub email: Option<&'v str>,
}

/// One grant version's report fields.
pub(super) struct GrantView<'v> {
    pub system: &'v str,
    pub environment: Option<&'v str>,
    pub name: &'v str,
    pub privileged: bool,
    pub shared: bool,
    pub active: Option<bool>,
    pub business_owner: Option<&'v str>,
    pub technical_owner: Option<&'v str>,
    pub granted_at: Option<&'v str>,
    pub expires_at: Option<&'v str>,
    pub last_used_at: Option<&'v str>,
    pub credential_rotated_at: Option<&'v str>,
    pub justified: bool,
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

/// Every identity and grant version's report fields, in pieces read side
/// by side: each table cut into id ranges, in ascending order.
pub(super) struct Versions {
    identities: Vec<Part>,
    grants: Vec<Part>,
}

/// The versions one piece holds: the rows of one table with ids from
/// `from` on. `interned` serves loading only.
struct Part {
    from: i64,
    text: String,
    /// By bytes: a string seen before is found without checking its UTF-8 again.
    interned: HashMap<Box<[u8]>, Sym>,
    symbols: Vec<Span>,
    identities: ById<IdentityFields>,
    grants: ById<GrantFields>,
}

/// Which rows a piece reads: ids, inclusive, of one table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Share {
    Identities(i64, i64),
    Grants(i64, i64),
}

/// Pieces each table is cut into per connection reading: enough that the
/// connections finish within a small piece of each other, however unevenly
/// the machine runs them.
const PIECES_PER_READER: i64 = 4;

/// `(lo, hi)` cut into at most `pieces` consecutive ranges of about the
/// same length; none when it is empty.
fn cut((lo, hi): (i64, i64), pieces: i64) -> impl Iterator<Item = (i64, i64)> {
    // In i128, as a range may span every i64.
    let (lo, hi) = (i128::from(lo), i128::from(hi));
    let len = (hi - lo + 1).max(0);
    let pieces = i128::from(pieces.max(1)).min(len);
    let bound = move |k: i128| lo + len * k / pieces;
    // Every bound lies within lo..=hi + 1, so each end fits in an i64.
    let narrow = |n: i128| i64::try_from(n).unwrap_or(i64::MAX);
    (0..pieces).map(move |k| (narrow(bound(k)), narrow(bound(k + 1) - 1)))
}

/// Each table's lowest and highest id.
#[derive(Clone, Copy)]
struct Extent {
    identities: (i64, i64),
    grants: (i64, i64),
}

impl Extent {
    fn read(conn: &Connection) -> Result<Extent> {
        let (identities, grants) = conn.query_row(
            "SELECT (SELECT min(id) FROM identity), (SELECT max(id) FROM identity),
                    (SELECT min(id) FROM entitlement), (SELECT max(id) FROM entitlement)",
            [],
            |r| {
                let range = |lo: Option<i64>, hi: Option<i64>| (lo.unwrap_or(1), hi.unwrap_or(0));
                Ok((range(r.get(0)?, r.get(1)?), range(r.get(2)?, r.get(3)?)))
            },
        )?;
        Ok(Extent { identities, grants })
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
    pub(super) fn load_for(conn: &Connection, items: i64) -> Result<Option<Versions>> {
        let extent = Extent::read(conn)?;
        if !extent.worth_loading(items) {
            return Ok(None);
        }
        Versions::load(conn, extent)
    }

    /// Reads every version, in pieces read on as many connections as
    /// the machine keeps busy (see [`Readers`]). `None` when a row cannot
    /// be held (text past an arena's 32-bit offsets, ids far apart, columns
    /// not what the schema says): the joined query then reads the items,
    /// and names what is wrong.
    fn load(conn: &Connection, extent: Extent) -> Result<Option<Versions>> {
        let readers = Readers::new(conn, available_helpers());
        let pieces = PIECES_PER_READER * readers.width() as i64;
        let shares: Vec<Share> = cut(extent.identities, pieces)
            .map(|(from, to)| Share::Identities(from, to))
            .chain(cut(extent.grants, pieces).map(|(from, to)| Share::Grants(from, to)))
            .collect();
        let parts = readers.run(&shares, |conn, &share| Part::load(conn, share))?;
        let mut versions = Versions {
            identities: Vec::new(),
            grants: Vec::new(),
        };
        for (share, part) in shares.into_iter().zip(parts) {
            let Some(part) = part else {
                return Ok(None);
            };
            match share {
                Share::Identities(..) => versions.identities.push(part),
                Share::Grants(..) => versions.grants.push(part),
            }
        }
        Ok(Some(versions))
    }

    /// The piece of `parts` (in ascending ranges) whose range holds `id`.
    fn piece(parts: &[Part], id: i64) -> Option<&Part> {
        let after = parts.partition_point(|part| part.from <= id);
        parts.get(after.checked_sub(1)?)
    }

    pub(super) fn identity(&self, id: i64) -> Option<IdentityView<'_>> {
        Versions::piece(&self.identities, id)?.identity(id)
    }

    pub(super) fn grant(&self, id: i64) -> Option<GrantView<'_>> {
        Versions::piece(&self.grants, id)?.grant(id)
    }
}

impl Part {
    fn load(conn: &Connection, share: Share) -> Result<Option<Part>> {
        let (Share::Identities(from, _) | Share::Grants(from, _)) = share;
        let mut part = Part {
            from,
            text: String::new(),
            interned: HashMap::new(),
            symbols: Vec::new(),
            identities: ById::new(),
            grants: ById::new(),
        };
        let held = match share {
            Share::Identities(from, to) => part.load_identities(conn, (from, to))?,
            Share::Grants(from, to) => part.load_grants(conn, (from, to))?,
        };
        if !held {
            return Ok(None);
        }
        // Only loading looks strings up.
        part.interned = HashMap::new();
        Ok(Some(part))
    }

    /// False when a row cannot be held (see [`Versions::load`]).
    fn load_identities(&mut self, conn: &Connection, (from, to): (i64, i64)) -> Result<bool> {
        let mut stmt = conn.prepare(
            "SELECT id, tenant, identity_id, name, kind, relationship, organization, sponsor,
                email
             FROM identity WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        )?;
        let mut rows = stmt.query([from, to])?;
        while let Some(r) = rows.next()? {
            let fields = (|| {
                Some(IdentityFields {
                    tenant: self.intern(bytes(r, 1).ok()?)?,
                    identity_id: self.push(text(r, 2).ok()?)?,
                    name: self.push(text(r, 3).ok()?)?,
                    kind: self.intern(bytes(r, 4).ok()?)?,
                    relationship: self.intern(bytes(r, 5).ok()?)?,
                    organization: self.intern_opt(opt_bytes(r, 6).ok()?)?,
                    sponsor: self.intern_opt(opt_bytes(r, 7).ok()?)?,
                    email: match opt_text(r, 8).ok()? {
                        Some(email) => Some(self.push(email)?),
                        None => None,
                    },
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
            "SELECT id, system, name, environment, privileged, shared, active,
                business_owner, technical_owner, granted_at, expires_at, last_used_at,
                credential_rotated_at, coalesce(trim(justification) != '', 0)
             FROM entitlement
             WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        )?;
        let mut rows = stmt.query([from, to])?;
        while let Some(r) = rows.next()? {
            let fields = (|| {
                Some(GrantFields {
                    system: self.intern(bytes(r, 1).ok()?)?,
                    name: self.intern(bytes(r, 2).ok()?)?,
                    environment: self.intern_opt(opt_bytes(r, 3).ok()?)?,
                    privileged: r.get(4).ok()?,
                    shared: r.get(5).ok()?,
                    active: r.get(6).ok()?,
                    business_owner: self.intern_opt(opt_bytes(r, 7).ok()?)?,
                    technical_owner: self.intern_opt(opt_bytes(r, 8).ok()?)?,
                    granted_at: self.intern_opt(opt_bytes(r, 9).ok()?)?,
                    expires_at: self.intern_opt(opt_bytes(r, 10).ok()?)?,
                    last_used_at: self.intern_opt(opt_bytes(r, 11).ok()?)?,
                    credential_rotated_at: self.intern_opt(opt_bytes(r, 12).ok()?)?,
                    justified: r.get(13).ok()?,
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

    fn intern(&mut self, bytes: &[u8]) -> Option<Sym> {
        if let Some(&sym) = self.interned.get(bytes) {
            return Some(sym);
        }
        let span = self.push(std::str::from_utf8(bytes).ok()?)?;
        let sym = Sym::try_from(self.symbols.len())
            .ok()
            .filter(|&s| s != NO_SYM)?;
        self.symbols.push(span);
        self.interned.insert(bytes.into(), sym);
        Some(sym)
    }

    /// An absent value is [`NO_SYM`].
    fn intern_opt(&mut self, bytes: Option<&[u8]>) -> Option<Sym> {
        bytes.map_or(Some(NO_SYM), |b| self.intern(b))
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
            sponsor: self.sym(fields.sponsor),
            email: fields.email.map(|span| self.span(span)),
        })
    }

    fn grant(&self, id: i64) -> Option<GrantView<'_>> {
        let fields = self.grants.get(id)?;
        Some(GrantView {
            system: self.sym(fields.system)?,
            environment: self.sym(fields.environment),
            name: self.sym(fields.name)?,
            privileged: fields.privileged,
            shared: fields.shared,
            active: fields.active,
            business_owner: self.sym(fields.business_owner),
            technical_owner: self.sym(fields.technical_owner),
            granted_at: self.sym(fields.granted_at),
            expires_at: self.sym(fields.expires_at),
            last_used_at: self.sym(fields.last_used_at),
            credential_rotated_at: self.sym(fields.credential_rotated_at),
            justified: fields.justified,
        })
    }
}

/// Every version loaded, worth it or not: for tests that loaded versions
/// read as joined ones.
#[cfg(test)]
pub(super) fn load_all(conn: &Connection) -> Result<Option<Versions>> {
    Versions::load(conn, Extent::read(conn)?)
}

/// An estate imported twice, the second time with identities renamed and
/// grants changed, so that the first campaign (Q3, one item revoked)
/// points at superseded versions and the second (Q4) at current ones; in
/// a file, so that versions load in pieces on several connections.
#[cfg(test)]
pub(super) fn superseded_estate(
    dir: &std::path::Path,
) -> (super::Store, [super::CampaignSummary; 2]) {
    use crate::domain::Decision;
    use crate::estate::EstateSpec;
    use crate::testing::{self, day};
    let (mut store, _) = super::Store::create(&dir.join("v.db")).unwrap();
    let mut first = Vec::new();
    EstateSpec::new(3000, 11, day("2026-11-01"))
        .write_csv(&mut first)
        .unwrap();
    let first = String::from_utf8(first).unwrap();
    testing::import(&mut store, &first);
    let q3 = testing::campaign(&mut store, "Q3", "2026-11-01");
    let item = super::campaigns::item_range(&store.conn, q3.id).unwrap().0 + 3;
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
    (store, [q3, q4])
}

#[cfg(test)]
mod tests {
    use super::{ById, Extent, MAX_GAP, Versions, cut};
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

    /// Pieces cover a range exactly once, in order, and no more of them
    /// than asked for.
    #[test]
    fn a_range_is_cut_into_consecutive_pieces_that_cover_it() {
        let ranges = [
            (1, 0),
            (5, 5),
            (1, 7),
            (1, 8),
            (1, 9),
            (3, 1002),
            (i64::MAX - 9, i64::MAX),
            (i64::MIN, i64::MIN + 2),
            (i64::MIN, i64::MAX),
        ];
        for (lo, hi) in ranges {
            for pieces in [1, 2, 3, 8, 16] {
                let cut: Vec<_> = cut((lo, hi), pieces).collect();
                let label = format!("{lo}..={hi} in {pieces}: {cut:?}");
                assert!(cut.len() as i64 <= pieces, "{label}");
                let mut next = i128::from(lo);
                for &(from, to) in &cut {
                    assert_eq!(i128::from(from), next, "{label}");
                    assert!(from <= to, "{label}");
                    next = i128::from(to) + 1;
                }
                if lo <= hi {
                    assert_eq!(next, i128::from(hi) + 1, "{label}");
                } else {
                    assert!(cut.is_empty(), "{label}");
                }
            }
        }
        let even: Vec<_> = cut((1, 1000), 4).collect();
        assert_eq!(even, [(1, 250), (251, 500), (501, 750), (751, 1000)]);
    }

    /// Loading pays only when the campaign covers much of what is loaded;
    /// what it loads comes in pieces. (That loaded versions read as joined
    /// ones is `report_rows`' test.)
    #[test]
    fn versions_load_in_pieces_when_the_campaign_covers_enough_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let (store, [_, q4]) = super::superseded_estate(dir.path());
        let items = q4.items as i64;
        let extent = Extent::read(&store.conn).unwrap();
        assert!(extent.worth_loading(items));
        assert!(!extent.worth_loading(items / 4));
        assert!(!extent.worth_loading(0));
        assert!(
            Versions::load_for(&store.conn, items / 4)
                .unwrap()
                .is_none()
        );
        let versions = Versions::load_for(&store.conn, items).unwrap().unwrap();
        assert!(versions.identities.len() > 1 && versions.grants.len() > 1);
    }

    /// Strings are interned by their bytes and checked as UTF-8 once each:
    /// a version that is not UTF-8 still leaves the report to the joined
    /// query.
    #[test]
    fn a_version_that_is_not_utf8_is_not_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::create(&dir.path().join("v.db")).unwrap();
        let mut estate = Vec::new();
        EstateSpec::new(2000, 5, day("2026-11-01"))
            .write_csv(&mut estate)
            .unwrap();
        testing::import(&mut store, &String::from_utf8(estate).unwrap());
        let items = testing::campaign(&mut store, "Q3", "2026-11-01").items as i64;
        assert!(Versions::load_for(&store.conn, items).unwrap().is_some());
        crate::store::integrity::tamper(
            &store,
            "UPDATE entitlement SET system = CAST(x'ff' AS TEXT) WHERE id = 1500",
        );
        assert!(Versions::load_for(&store.conn, items).unwrap().is_none());
    }
}
