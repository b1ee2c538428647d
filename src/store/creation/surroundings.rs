//! What creation reads before it assesses a grant: the identities holding
//! current grants (their part of the evidence, kept once each), who holds
//! access in which tenants, exceptions an earlier campaign left lapsing,
//! revokes a later snapshot showed not done, and the previous campaign's
//! items (with what their identities were then), the entitlement catalog and
//! the grants that segregation-of-duties rules name, read in pieces side by side.

use super::Split;
use super::evidence::{IDENTITY_EVIDENCE, cell};
use crate::domain::insight::NotDone;
use crate::domain::people::person_key;
use crate::domain::rotation::OverdueRotation;
use crate::domain::sod::{Held, SodConflict, SodRule};
use crate::store::campaigns::item_range;
use crate::store::catalog::{CatalogHit, LiveCatalog};
use crate::store::effective::{
    EFFECTIVE_ORGANIZATION, EFFECTIVE_RELATIONSHIP, EFFECTIVE_SPONSOR, REGISTER_JOIN,
};
use crate::store::readers::Readers;
use crate::store::{CampaignId, Result, StoreError};
use chrono::NaiveDate;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, params};
use std::collections::BTreeSet;

/// The tenants a person key (identity id or e-mail) holds access in:
/// nearly always one, so one is kept without a vector.
enum TenantSet {
    One(u32),
    Many(Vec<u32>),
}

impl TenantSet {
    fn add(&mut self, tenant: u32) {
        match self {
            TenantSet::One(t) if *t == tenant => {}
            TenantSet::One(t) => *self = TenantSet::Many(vec![*t, tenant]),
            TenantSet::Many(all) => {
                if !all.contains(&tenant) {
                    all.push(tenant);
                }
            }
        }
    }
}

/// Who holds access in which tenants, by lower-cased identity id or
/// e-mail, over the identities that hold a current grant. Tenant names
/// are interned: there are a handful, and a million lookups.
#[derive(Default)]
struct People {
    tenants: Vec<Box<str>>,
    tenant_index: HashMap<Box<str>, u32>,
    by_key: HashMap<Box<str>, TenantSet>,
}

impl People {
    fn tenant(&mut self, name: &str) -> u32 {
        if let Some(index) = self.tenant_index.get(name) {
            return *index;
        }
        let index = self.tenants.len() as u32;
        self.tenants.push(name.into());
        self.tenant_index.insert(name.into(), index);
        index
    }

    fn add(&mut self, key: &str, tenant: u32) {
        let key = person_key(key);
        match self.by_key.get_mut(key.as_ref()) {
            Some(set) => set.add(tenant),
            None => {
                self.by_key.insert(key.into(), TenantSet::One(tenant));
            }
        }
    }

    /// Takes in what another piece of the identities found.
    fn merge(&mut self, other: People) {
        let names: Vec<u32> = other.tenants.iter().map(|t| self.tenant(t)).collect();
        for (key, set) in other.by_key {
            let theirs = match set {
                TenantSet::One(t) => vec![t],
                TenantSet::Many(all) => all,
            };
            let mut theirs = theirs.into_iter().map(|t| names[t as usize]);
            match self.by_key.get_mut(&key) {
                Some(mine) => theirs.for_each(|t| mine.add(t)),
                None => {
                    let mut set = TenantSet::One(theirs.next().unwrap_or_default());
                    theirs.for_each(|t| set.add(t));
                    self.by_key.insert(key, set);
                }
            }
        }
    }
}

/// Identities that hold a current grant, in key order, with their part of
/// the evidence: what every item of theirs repeats, kept once.
#[derive(Default)]
pub(super) struct IdentityPart {
    /// The cells' text, one after another.
    text: String,
    rows: Vec<IdentityRow>,
}

pub(super) struct IdentityRow {
    key: i64,
    pub(super) version: i64,
    pub(super) register: Option<i64>,
    /// Where the text of each cell of `IDENTITY_EVIDENCE` starts in the
    /// part's text, and (the last) where this row's ends.
    starts: [u32; IDENTITY_EVIDENCE.len() + 1],
    /// Bit `n` set: cell `n` is NULL.
    nulls: u16,
}

impl IdentityPart {
    pub(super) fn cell(&self, row: &IdentityRow, n: usize) -> Option<&str> {
        (row.nulls & (1 << n) == 0)
            .then(|| &self.text[row.starts[n] as usize..row.starts[n + 1] as usize])
    }

    fn find(&self, key: i64) -> Option<&IdentityRow> {
        self.rows
            .binary_search_by_key(&key, |row| row.key)
            .ok()
            .map(|at| &self.rows[at])
    }

    /// Reads the identities with keys in `keys` that hold a current grant,
    /// and who they are across tenants.
    fn load(conn: &Connection, keys: (i64, i64)) -> Result<(IdentityPart, People)> {
        let mut part = IdentityPart::default();
        let mut people = People::default();
        let mut stmt = conn.prepare(&format!(
            "SELECT idn.key, idn.id, r.id, {} FROM identity idn{REGISTER_JOIN}
             WHERE idn.superseded IS NULL AND idn.key BETWEEN ?1 AND ?2
               AND EXISTS (SELECT 1 FROM entitlement e
                           WHERE e.identity = idn.key AND e.superseded IS NULL
                             AND e.removed_snapshot IS NULL)
             ORDER BY idn.key",
            IDENTITY_EVIDENCE.join(", ")
        ))?;
        let mut rows = stmt.query(params![keys.0, keys.1])?;
        while let Some(row) = rows.next()? {
            let mut starts = [0u32; IDENTITY_EVIDENCE.len() + 1];
            let mut nulls = 0u16;
            for n in 0..IDENTITY_EVIDENCE.len() {
                starts[n] = text_offset(&part.text)?;
                match row.get_ref(3 + n)? {
                    ValueRef::Null => nulls |= 1 << n,
                    ValueRef::Text(_) => part.text.push_str(row.get_ref(3 + n)?.as_str()?),
                    _ => {
                        return Err(StoreError::Corrupt(format!(
                            "identity {}: {} is not text",
                            row.get::<_, i64>(1)?,
                            IDENTITY_EVIDENCE[n]
                        )));
                    }
                }
            }
            starts[IDENTITY_EVIDENCE.len()] = text_offset(&part.text)?;
            let identity = IdentityRow {
                key: row.get(0)?,
                version: row.get(1)?,
                register: row.get(2)?,
                starts,
                nulls,
            };
            let tenant = people.tenant(part.cell(&identity, cell::TENANT).unwrap_or_default());
            if let Some(id) = part.cell(&identity, cell::IDENTITY_ID) {
                people.add(id, tenant);
            }
            if let Some(email) = part.cell(&identity, cell::EMAIL) {
                people.add(email, tenant);
            }
            part.rows.push(identity);
        }
        Ok((part, people))
    }
}

fn text_offset(text: &str) -> Result<u32> {
    u32::try_from(text.len()).map_err(|_| StoreError::TooLarge {
        what: "the identities' evidence",
    })
}

/// One piece of the reading that precedes the assessment.
enum Load {
    Identities((i64, i64)),
    Lapsed,
    NotDone,
    Previous(i64),
    OverdueRotations,
    Catalog,
    Duties,
}

enum Loaded {
    Identities((i64, i64), IdentityPart, People),
    Lapsed(HashMap<i64, NaiveDate>),
    NotDone(HashMap<i64, NotDone>),
    Previous(HashMap<i64, PreviousItem>),
    OverdueRotations(HashMap<i64, OverdueRotation>),
    Catalog(LiveCatalog),
    Duties(HashMap<i64, Vec<Held>>),
}

/// An identity's context as an item froze it: effective relationship,
/// organization, region and sponsor (`insight::CONTEXT_FIELDS`).
pub(super) type ContextValues = [Option<String>; 4];

/// Everything about the register that the insights need beyond one row.
pub(super) struct Surroundings {
    /// Identities holding a current grant, by ranges of keys in order.
    identities: Vec<((i64, i64), IdentityPart)>,
    /// Tenant names, indexed by `tenants_by_person`.
    tenant_names: Vec<Box<str>>,
    /// Lower-cased identity id or e-mail → the tenants it holds access in,
    /// for people present in more than one.
    tenants_by_person: HashMap<Box<str>, Vec<u32>>,
    /// Grant key → end of the exception an earlier campaign left in force.
    pub(super) lapsed: HashMap<i64, NaiveDate>,
    /// Grant key → the latest earlier revoke of it that a snapshot imported
    /// after it still showed in force.
    pub(super) not_done: HashMap<i64, NotDone>,
    /// Grant key → (item, grant, identity and register versions) in the
    /// previous campaign of the same scope.
    pub(super) previous: HashMap<i64, PreviousItem>,
    /// Grant key → an earlier campaign's rotate decision, overdue unrotated.
    pub(super) overdue_rotations: HashMap<i64, OverdueRotation>,
    /// The as-of day of the previous campaign of the same scope.
    pub(super) previous_review: Option<NaiveDate>,
    /// The live entitlement catalog.
    catalog: LiveCatalog,
    /// Identity key → its current grants that a SoD rule names: a few per
    /// identity at most, so pairing them is never quadratic in the grants.
    holdings: HashMap<i64, Vec<Held>>,
    /// (identity version, register version) of a previous item that is no
    /// longer current → the context it froze.
    pub(super) previous_context: HashMap<(i64, Option<i64>), ContextValues>,
}

impl Surroundings {
    pub(super) fn load(
        readers: &Readers<'_>,
        split: Split,
        as_of: NaiveDate,
        previous: Option<i64>,
        rules: &[SodRule],
    ) -> Result<Surroundings> {
        let (lo, hi): (Option<i64>, Option<i64>) = readers.main().query_row(
            // Two subqueries: SQLite finds a lone min() or max() in the
            // index, but scans every row for the pair.
            "SELECT (SELECT min(key) FROM identity WHERE superseded IS NULL),
                    (SELECT max(key) FROM identity WHERE superseded IS NULL)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // The previous campaign's items first: one piece, the largest.
        let mut tasks: Vec<Load> = previous.into_iter().map(Load::Previous).collect();
        if let (Some(lo), Some(hi)) = (lo, hi) {
            tasks.extend(
                split
                    .ranges(lo, hi, readers.width())
                    .into_iter()
                    .map(Load::Identities),
            );
        }
        tasks.push(Load::Lapsed);
        tasks.push(Load::OverdueRotations);
        tasks.push(Load::Catalog);
        if !rules.is_empty() {
            tasks.push(Load::Duties);
        }
        let previous_review = match previous {
            Some(campaign) => {
                let day: String = readers.main().query_row(
                    "SELECT as_of FROM campaign WHERE id = ?1",
                    [campaign],
                    |r| r.get(0),
                )?;
                crate::domain::date::parse_day(&day).ok()
            }
            None => None,
        };
        tasks.push(Load::NotDone);
        let loaded = readers.run(&tasks, |conn, task| {
            Ok(match task {
                Load::Identities(keys) => {
                    let (part, people) = IdentityPart::load(conn, *keys)?;
                    Loaded::Identities(*keys, part, people)
                }
                Load::Lapsed => Loaded::Lapsed(lapsed_exceptions(conn, as_of)?),
                Load::NotDone => Loaded::NotDone(revocations_not_done(conn)?),
                Load::Previous(campaign) => Loaded::Previous(previous_items(conn, *campaign)?),
                Load::OverdueRotations => Loaded::OverdueRotations(
                    crate::store::rotation::overdue_rotations(conn, as_of)?,
                ),
                Load::Catalog => Loaded::Catalog(LiveCatalog::load(conn)?),
                Load::Duties => Loaded::Duties(holdings(conn, rules)?),
            })
        })?;
        let mut identities = Vec::new();
        let mut people = People::default();
        let mut lapsed = HashMap::new();
        let mut not_done = HashMap::new();
        let mut earlier = HashMap::new();
        let mut overdue_rotations = HashMap::new();
        let mut catalog = LiveCatalog::default();
        let mut duties = HashMap::new();
        for part in loaded {
            match part {
                Loaded::Identities(keys, part, found) => {
                    identities.push((keys, part));
                    if people.by_key.is_empty() {
                        people = found;
                    } else {
                        people.merge(found);
                    }
                }
                Loaded::Lapsed(part) => lapsed = part,
                Loaded::NotDone(part) => not_done = part,
                Loaded::Previous(part) => earlier = part,
                Loaded::OverdueRotations(part) => overdue_rotations = part,
                Loaded::Catalog(part) => catalog = part,
                Loaded::Duties(part) => duties = part,
            }
        }
        let tenants_by_person = people
            .by_key
            .into_iter()
            .filter_map(|(key, set)| match set {
                TenantSet::Many(all) => Some((key, all)),
                TenantSet::One(_) => None,
            })
            .collect();
        let previous_context = previous_context(readers.main(), &identities, &earlier)?;
        Ok(Surroundings {
            identities,
            tenant_names: people.tenants,
            tenants_by_person,
            lapsed,
            not_done,
            previous: earlier,
            overdue_rotations,
            previous_review,
            catalog,
            holdings: duties,
            previous_context,
        })
    }

    /// The catalog entry describing a grant, if the catalog has one.
    pub(super) fn catalog(&self, tenant: &str, system: &str, name: &str) -> Option<CatalogHit> {
        if self.catalog.is_empty() {
            return None;
        }
        self.catalog.describe(tenant, system, name)
    }

    /// The grants that `rules` pair with the grant `system`/`name` of the
    /// identity with key `identity`.
    pub(super) fn sod(
        &self,
        rules: &[SodRule],
        identity: i64,
        system: &str,
        name: &str,
    ) -> Vec<SodConflict> {
        let Some(held) = self.holdings.get(&identity).filter(|h| h.len() > 1) else {
            return Vec::new();
        };
        match Held::of(rules, system, name) {
            Some(grant) => crate::domain::sod::conflicts(rules, &grant, held),
            None => Vec::new(),
        }
    }

    /// The current version of the identity with key `key`, if it holds a
    /// current grant.
    pub(super) fn identity(&self, key: i64) -> Option<(&IdentityPart, &IdentityRow)> {
        let at = self.identities.partition_point(|((_, hi), _)| *hi < key);
        let ((lo, _), part) = self.identities.get(at)?;
        if key < *lo {
            return None;
        }
        part.find(key).map(|row| (part, row))
    }

    fn tenants_of(&self, key: &str) -> Option<&[u32]> {
        if self.tenants_by_person.is_empty() {
            return None;
        }
        self.tenants_by_person
            .get(&*person_key(key))
            .map(Vec::as_slice)
    }

    pub(super) fn other_tenants(&self, own: &str, id: &str, email: Option<&str>) -> Vec<String> {
        let mut others = BTreeSet::new();
        for key in std::iter::once(id).chain(email) {
            if let Some(tenants) = self.tenants_of(key) {
                others.extend(
                    tenants
                        .iter()
                        .map(|t| &*self.tenant_names[*t as usize])
                        .filter(|t| *t != own),
                );
            }
        }
        others.into_iter().map(str::to_string).collect()
    }
}

/// Identity key → its current grants that a rule of `rules` names.
fn holdings(conn: &Connection, rules: &[SodRule]) -> Result<HashMap<i64, Vec<Held>>> {
    let mut held: HashMap<i64, Vec<Held>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT identity, system, name FROM entitlement
         WHERE superseded IS NULL AND removed_snapshot IS NULL",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (system, name) = (row.get_ref(1)?.as_str()?, row.get_ref(2)?.as_str()?);
        if let Some(grant) = Held::of(rules, system, name) {
            held.entry(row.get(0)?).or_default().push(grant);
        }
    }
    Ok(held)
}

/// Grant key → end of the exception it was left in, for grants whose
/// latest decision was an exception that ended before `as_of`.
fn lapsed_exceptions(conn: &Connection, as_of: NaiveDate) -> Result<HashMap<i64, NaiveDate>> {
    // An exception lapses when the latest campaign that decided the
    // grant left it as an exception whose end has passed. Later
    // campaigns that left it undecided (or only reassigned it) do not
    // hide the lapse.
    let mut lapsed = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT i.grant_key, s.exception_until FROM item i
         JOIN item_state s ON s.item = i.id
         WHERE s.decision = 'exception' AND s.exception_until < ?1
           AND i.id = (SELECT max(i2.id) FROM item i2 JOIN item_state s2 ON s2.item = i2.id
                       WHERE i2.grant_key = i.grant_key
                         AND s2.decision IN ('attest', 'revoke', 'exception', 'rotate'))",
    )?;
    let mut rows = stmt.query([as_of.to_string()])?;
    while let Some(row) = rows.next()? {
        let until: String = row.get(1)?;
        if let Ok(until) = crate::domain::date::parse_day(&until) {
            lapsed.insert(row.get(0)?, until);
        }
    }
    Ok(lapsed)
}

/// Grant key → the latest revoke in force (its campaign not cancelled)
/// whose remediation a snapshot imported after it found still effective.
/// Read in one query: creation looks each grant up in the map. Later
/// decisions on the grant do not hide it; only a snapshot without the
/// grant (which verifies the revoke) does.
fn revocations_not_done(conn: &Connection) -> Result<HashMap<i64, NotDone>> {
    let mut not_done = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT i.grant_key, c.name, d.seq, d.at, d.actor, sn.id, sn.file_name, sn.imported_at
         FROM remediation r
         JOIN item_state s ON s.item = r.item AND s.decided_event = r.decision_event
         JOIN item i ON i.id = r.item
         JOIN event d ON d.seq = r.decision_event
         JOIN campaign c ON c.id = r.campaign
         JOIN snapshot sn ON sn.id = r.snapshot
         WHERE r.status = 'still_effective' AND s.decision = 'revoke'
           AND NOT EXISTS (SELECT 1 FROM event x WHERE x.campaign = c.id
                           AND x.kind = 'campaign_cancelled' AND x.item IS NULL)
         ORDER BY r.decision_event",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        // In event order: a later revoke of the same grant replaces an earlier.
        not_done.insert(
            row.get(0)?,
            NotDone {
                campaign: row.get(1)?,
                revoke_event: row.get(2)?,
                revoked_at: row.get(3)?,
                revoked_by: row.get(4)?,
                snapshot: row.get(5)?,
                file: row.get(6)?,
                imported_at: row.get(7)?,
            },
        );
    }
    Ok(not_done)
}

/// The context the previous campaign's items froze, for the identity and
/// register versions among them that are no longer an identity's current
/// pair: only those can have changed. One lookup per such pair (there are
/// far fewer identities than grants, and fewer still changed).
fn previous_context(
    conn: &Connection,
    identities: &[((i64, i64), IdentityPart)],
    previous: &HashMap<i64, PreviousItem>,
) -> Result<HashMap<(i64, Option<i64>), ContextValues>> {
    let mut found = HashMap::new();
    if previous.is_empty() {
        return Ok(found);
    }
    let current: HashSet<(i64, Option<i64>)> = identities
        .iter()
        .flat_map(|(_, part)| part.rows.iter().map(|row| (row.version, row.register)))
        .collect();
    let mut stale: HashSet<(i64, Option<i64>)> = HashSet::new();
    for (_, [_, identity, register]) in previous.values() {
        if let Some(identity) = identity {
            let pair = (*identity, *register);
            if !current.contains(&pair) {
                stale.insert(pair);
            }
        }
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT {EFFECTIVE_RELATIONSHIP}, {EFFECTIVE_ORGANIZATION}, idn.region, {EFFECTIVE_SPONSOR}
         FROM identity idn LEFT JOIN register_entry r ON r.id = ?2
         WHERE idn.id = ?1"
    ))?;
    for pair in stale {
        let mut rows = stmt.query(params![pair.0, pair.1])?;
        if let Some(row) = rows.next()? {
            found.insert(pair, [row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?]);
        }
    }
    Ok(found)
}

/// An item of the previous campaign: its id and the versions of grant,
/// identity and register entry it froze.
type PreviousItem = (i64, [Option<i64>; 3]);

/// Grant key → the item for it in campaign `previous`.
fn previous_items(conn: &Connection, previous: i64) -> Result<HashMap<i64, PreviousItem>> {
    let (first, last) = item_range(conn, CampaignId(previous))?;
    let mut earlier = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT grant_key, id, entitlement, identity, register FROM item
         WHERE id BETWEEN ?1 AND ?2",
    )?;
    let mut rows = stmt.query(params![first, last])?;
    while let Some(row) = rows.next()? {
        let versions = [row.get(2)?, row.get(3)?, row.get(4)?];
        earlier.insert(row.get(0)?, (row.get(1)?, versions));
    }
    Ok(earlier)
}
