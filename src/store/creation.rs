//! Creating a campaign: reading the in-scope grants and the people behind
//! them (in pieces, on several connections when the machine has cores to
//! spare), assessing each grant's insights, reviewer and risk, and writing
//! the items in queue order with the digest their creation event records.

use super::bulk::{Insert, Value};
use super::campaigns::{
    CampaignSummary, EVIDENCE, ItemContext, NewCampaign, encode_value, fold_digest, item_hash,
    item_range, text_ref,
};
use super::effective::{
    EFFECTIVE_EMAIL, EFFECTIVE_ORGANIZATION, EFFECTIVE_RELATIONSHIP, EFFECTIVE_SPONSOR,
    REGISTER_JOIN,
};
use super::events::{ChainWriter, NewEvent};
use super::query::{Target, push_filters};
use super::readers::Readers;
use super::{CampaignId, Result, Store, StoreError};
use crate::domain::insight::{self, Context, Subject};
use crate::domain::people::person_key;
use crate::domain::{Filter, Stamp};
use chrono::NaiveDate;
use foldhash::{HashMap, HashMapExt};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Positions within `EVIDENCE`.
mod at {
    pub const IDENTITY_ID: usize = 1;
    pub const KIND: usize = 3;
    pub const RELATIONSHIP: usize = 4;
    pub const SPONSOR: usize = 7;
    pub const EMAIL: usize = 8;
    pub const PRIVILEGED: usize = 12;
    pub const SHARED: usize = 13;
    pub const BUSINESS_OWNER: usize = 14;
    pub const TECHNICAL_OWNER: usize = 15;
    pub const GRANTED: usize = 17;
    pub const EXPIRES: usize = 18;
    pub const LAST_USED: usize = 19;
    pub const ROTATED: usize = 20;
    pub const ACTIVE: usize = 22;
    pub const CONTRACT_END: usize = 23;
}

/// Where creation finds each value of `EVIDENCE`. The identity's part is
/// read once per identity rather than joined to each of its grants; the
/// owners are the grant's when it names them, else the register's, as
/// `coalesce` has it in the SQL (a test holds the two definitions together).
#[derive(Clone, Copy, Debug)]
enum Part {
    Identity(usize),
    Grant(usize),
    GrantElseIdentity(usize, usize),
}

/// The identity's (and its register entry's) part of the evidence.
const IDENTITY_EVIDENCE: [&str; 12] = [
    "idn.tenant",
    "idn.identity_id",
    "idn.name",
    "idn.kind",
    EFFECTIVE_RELATIONSHIP,
    EFFECTIVE_ORGANIZATION,
    "idn.region",
    EFFECTIVE_SPONSOR,
    EFFECTIVE_EMAIL,
    "r.business_owner",
    "r.technical_owner",
    "r.contract_end",
];

/// The grant's part of the evidence.
const GRANT_EVIDENCE: [&str; 14] = [
    "e.system",
    "e.environment",
    "e.name",
    "e.privileged",
    "e.shared",
    "e.business_owner",
    "e.technical_owner",
    "e.justification",
    "e.granted_at",
    "e.expires_at",
    "e.last_used_at",
    "e.credential_rotated_at",
    "e.ticket",
    "e.active",
];

/// `EVIDENCE`, value by value, in terms of the two parts.
const PARTS: [Part; 24] = {
    use Part::{Grant, GrantElseIdentity, Identity};
    [
        Identity(0),
        Identity(1),
        Identity(2),
        Identity(3),
        Identity(4),
        Identity(5),
        Identity(6),
        Identity(7),
        Identity(8),
        Grant(0),
        Grant(1),
        Grant(2),
        Grant(3),
        Grant(4),
        GrantElseIdentity(5, 9),
        GrantElseIdentity(6, 10),
        Grant(7),
        Grant(8),
        Grant(9),
        Grant(10),
        Grant(11),
        Grant(12),
        Grant(13),
        Identity(11),
    ]
};

/// The first values of `EVIDENCE` all come from the identity, in order:
/// every item of one identity begins its evidence with the same bytes.
const IDENTITY_HEAD: usize = 9;

/// The cell of `IDENTITY_EVIDENCE` that value `at` of `EVIDENCE` is.
const fn identity_cell(at: usize) -> usize {
    match PARTS[at] {
        Part::Identity(n) => n,
        _ => panic!("not the identity's value"),
    }
}

// What `Known` takes once per identity must be the identity's, and the
// head its first values in order: a change to `PARTS` that breaks either
// fails the build rather than the digests.
const _: () = {
    let mut at = 0;
    while at < IDENTITY_HEAD {
        assert!(identity_cell(at) == at);
        at += 1;
    }
    identity_cell(at::IDENTITY_ID);
    identity_cell(at::KIND);
    identity_cell(at::RELATIONSHIP);
    identity_cell(at::SPONSOR);
    identity_cell(at::EMAIL);
    identity_cell(at::CONTRACT_END);
};

/// Positions within `IDENTITY_EVIDENCE` that say who a person is.
mod cell {
    pub const TENANT: usize = 0;
    pub const IDENTITY_ID: usize = 1;
    pub const EMAIL: usize = 8;
}

/// Page cache for writing the items, per item: room for the grant index
/// the items are inserted into out of its order (the reads before go
/// through each page about once and need no more than SQLite's default).
const WRITE_CACHE_BYTES_PER_ITEM: i64 = 64;

/// The page cache for writing `items` items, in KiB: at least SQLite's
/// default, at most 64 MiB.
fn write_cache_kib(items: usize) -> i64 {
    (items as i64)
        .saturating_mul(WRITE_CACHE_BYTES_PER_ITEM)
        .div_euclid(1024)
        .clamp(2000, 64 * 1024)
}

fn day(value: Option<&str>) -> Option<NaiveDate> {
    value.and_then(|s| Stamp::parse(s).ok()).map(|s| s.day())
}

/// How creation cuts up its reading: grants and identities in ranges of
/// at least `piece` ids, read by the writing connection and up to
/// `helpers` read-only ones on threads of their own. Whatever the cut, the
/// results are put back together in id order, so the items are the same.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Split {
    pub piece: i64,
    pub helpers: usize,
}

impl Default for Split {
    fn default() -> Split {
        Split {
            // Small enough that two connections finish close together,
            // large enough that starting a piece costs nothing.
            piece: 32 * 1024,
            helpers: super::readers::available_helpers(),
        }
    }
}

/// Pieces per reading connection: some to spare, so that a connection
/// slowed down by a busy core or by denser ids does not hold up the rest.
const PIECES_PER_READER: i64 = 8;

impl Split {
    /// Cuts `lo..=hi` into contiguous ranges in ascending order.
    pub(super) fn ranges(self, lo: i64, hi: i64, readers: usize) -> Vec<(i64, i64)> {
        if hi < lo {
            return vec![(lo, hi)];
        }
        // In i128: ids near the ends of i64 must not wrap into no ranges.
        let (lo, hi) = (i128::from(lo), i128::from(hi));
        let span = hi - lo + 1;
        let most = i128::from(PIECES_PER_READER) * readers as i128;
        let count = if readers > 1 {
            (span / i128::from(self.piece.max(1))).clamp(1, most)
        } else {
            1
        };
        let width = (span + count - 1) / count;
        // Every bound lies within the i64 `lo..=hi`.
        let id = |n: i128| i64::try_from(n).unwrap_or(i64::MAX);
        (0..count)
            .map(|n| (lo + n * width, (lo + (n + 1) * width - 1).min(hi)))
            .filter(|(a, b)| a <= b)
            .map(|(a, b)| (id(a), id(b)))
            .collect()
    }
}

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
struct IdentityPart {
    /// The cells' text, one after another.
    text: String,
    rows: Vec<IdentityRow>,
}

struct IdentityRow {
    key: i64,
    version: i64,
    register: Option<i64>,
    /// Where the text of each cell of `IDENTITY_EVIDENCE` starts in the
    /// part's text, and (the last) where this row's ends.
    starts: [u32; IDENTITY_EVIDENCE.len() + 1],
    /// Bit `n` set: cell `n` is NULL.
    nulls: u16,
}

impl IdentityPart {
    fn cell(&self, row: &IdentityRow, n: usize) -> Option<&str> {
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
    u32::try_from(text.len()).map_err(|_| {
        StoreError::Invalid("the identities' evidence is too large to assess in one piece".into())
    })
}

/// One piece of the reading that precedes the assessment.
enum Load {
    Identities((i64, i64)),
    Lapsed,
    Previous(i64),
}

enum Loaded {
    Identities((i64, i64), IdentityPart, People),
    Lapsed(HashMap<i64, NaiveDate>),
    Previous(HashMap<i64, PreviousItem>),
}

/// Everything about the register that the insights need beyond one row.
struct Surroundings {
    /// Identities holding a current grant, by ranges of keys in order.
    identities: Vec<((i64, i64), IdentityPart)>,
    /// Tenant names, indexed by `tenants_by_person`.
    tenant_names: Vec<Box<str>>,
    /// Lower-cased identity id or e-mail → the tenants it holds access in,
    /// for people present in more than one.
    tenants_by_person: HashMap<Box<str>, Vec<u32>>,
    /// Grant key → end of the exception an earlier campaign left in force.
    lapsed: HashMap<i64, NaiveDate>,
    /// Grant key → (item, grant, identity and register versions) in the
    /// previous campaign of the same scope.
    previous: HashMap<i64, PreviousItem>,
}

impl Surroundings {
    fn load(
        readers: &Readers<'_>,
        split: Split,
        as_of: NaiveDate,
        previous: Option<i64>,
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
        let loaded = readers.run(&tasks, |conn, task| {
            Ok(match task {
                Load::Identities(keys) => {
                    let (part, people) = IdentityPart::load(conn, *keys)?;
                    Loaded::Identities(*keys, part, people)
                }
                Load::Lapsed => Loaded::Lapsed(lapsed_exceptions(conn, as_of)?),
                Load::Previous(campaign) => Loaded::Previous(previous_items(conn, *campaign)?),
            })
        })?;
        let mut identities = Vec::new();
        let mut people = People::default();
        let mut lapsed = HashMap::new();
        let mut earlier = HashMap::new();
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
                Loaded::Previous(part) => earlier = part,
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
        Ok(Surroundings {
            identities,
            tenant_names: people.tenants,
            tenants_by_person,
            lapsed,
            previous: earlier,
        })
    }

    /// The current version of the identity with key `key`, if it holds a
    /// current grant.
    fn identity(&self, key: i64) -> Option<(&IdentityPart, &IdentityRow)> {
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

    fn other_tenants(&self, own: &str, id: &str, email: Option<&str>) -> Vec<String> {
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
                         AND s2.decision IN ('attest', 'revoke', 'exception'))",
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

/// Whether an item's grant was in the previous campaign of the same
/// scope, and as the same versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Since {
    New,
    Changed,
    Unchanged,
}

impl Since {
    fn as_str(self) -> &'static str {
        match self {
            Since::New => "new",
            Since::Changed => "changed",
            Since::Unchanged => "unchanged",
        }
    }
}

/// An item as computed, before it is written: the grant order of the scan
/// is the order items are written (and digested) in.
struct Pending {
    /// SHA-256 of the item's canonical encoding.
    hash: [u8; 32],
    grant: i64,
    entitlement: i64,
    identity: i64,
    register: Option<i64>,
    score: i64,
    flags: u32,
    recommendation: crate::domain::Recommendation,
    since: Since,
    reviewer: u32,
    /// Shared by the items of one identity, whose context is usually the same.
    context: Option<Arc<str>>,
    previous: Option<i64>,
    /// The effective relationship, frozen for filters (not in the digest:
    /// the evidence holds it).
    relationship: crate::domain::Relationship,
}

impl Pending {
    /// The item's own fields, in digest order (the evidence follows).
    fn encode_fields(&self, reviewer: &str, out: &mut Vec<u8>) {
        let int = ValueRef::Integer;
        encode_value(out, int(self.grant));
        encode_value(out, int(self.entitlement));
        encode_value(out, int(self.identity));
        encode_value(out, self.register.map_or(ValueRef::Null, int));
        encode_value(out, int(self.score));
        encode_value(out, text_ref(reviewer));
        encode_value(out, int(i64::from(self.flags)));
        encode_value(
            out,
            self.context.as_deref().map_or(ValueRef::Null, text_ref),
        );
        encode_value(out, text_ref(self.recommendation.as_str()));
        encode_value(out, text_ref(self.since.as_str()));
        encode_value(out, self.previous.map_or(ValueRef::Null, int));
    }
}

/// The SQL reading the current grants in a scope: the grant's key and
/// version, its identity's key and its part of the evidence. Only a scope
/// needs the identities joined, to filter on them.
fn scope_sql(scoped: bool) -> String {
    let join = if scoped {
        format!(
            " JOIN identity idn ON idn.key = e.identity AND idn.superseded IS NULL{REGISTER_JOIN}"
        )
    } else {
        String::new()
    };
    format!(
        "SELECT e.key, e.id, e.identity, {}
         FROM entitlement e{join}
         WHERE e.superseded IS NULL AND e.removed_snapshot IS NULL",
        GRANT_EVIDENCE.join(", ")
    )
}

/// Columns of the scope query: grant key, grant version, identity key,
/// then the grant's part of the evidence.
const SCAN_WIDTH: usize = 3 + GRANT_EVIDENCE.len();

/// The items of one piece of the scan, in grant order, with the reviewers
/// they name (indexes into `reviewers`).
struct Assessed {
    items: Vec<Pending>,
    reviewers: Vec<String>,
}

/// The identity of the grants being assessed, with what its items share:
/// its other tenants; when they have no lapsed exception, their context as
/// JSON; its values of the evidence, parsed and encoded once.
struct Known<'a> {
    key: i64,
    part: &'a IdentityPart,
    row: &'a IdentityRow,
    other_tenants: Vec<String>,
    context: Option<Arc<str>>,
    /// Its values of the evidence that the insights read, parsed once.
    identity_id: &'a str,
    email: Option<&'a str>,
    sponsor: Option<&'a str>,
    kind: crate::domain::IdentityKind,
    relationship: crate::domain::Relationship,
    contract_end: Option<NaiveDate>,
    /// The first `IDENTITY_HEAD` values of the evidence, encoded.
    head: Vec<u8>,
}

/// What one connection keeps between the rows of its piece: reviewers
/// interned, and the last identity, since the grants of one identity come
/// one after the other.
struct Assessor<'a> {
    spec: &'a NewCampaign,
    around: &'a Surroundings,
    reviewers: Vec<String>,
    interned: HashMap<String, u32>,
    last_reviewer: Option<u32>,
    last_identity: Option<Known<'a>>,
    encoded: Vec<u8>,
}

impl<'a> Assessor<'a> {
    fn new(spec: &'a NewCampaign, around: &'a Surroundings) -> Assessor<'a> {
        Assessor {
            spec,
            around,
            reviewers: Vec::new(),
            interned: HashMap::new(),
            last_reviewer: None,
            last_identity: None,
            encoded: Vec::with_capacity(512),
        }
    }

    fn reviewer_index(&mut self, reviewer: &str) -> u32 {
        if let Some(last) = self.last_reviewer
            && self.reviewers[last as usize] == reviewer
        {
            return last;
        }
        let index = match self.interned.get(reviewer) {
            Some(index) => *index,
            None => {
                let index = self.reviewers.len() as u32;
                self.reviewers.push(reviewer.to_string());
                self.interned.insert(reviewer.to_string(), index);
                index
            }
        };
        self.last_reviewer = Some(index);
        index
    }

    /// The identity with key `key`, from the last row when it is the same.
    fn identity(&mut self, key: i64) -> Option<Known<'a>> {
        // The last identity's buffer serves the next.
        let mut head = match self.last_identity.take() {
            Some(known) if known.key == key => return Some(known),
            Some(known) => known.head,
            None => Vec::with_capacity(256),
        };
        head.clear();
        let (part, row) = self.around.identity(key)?;
        let cell = |n: usize| part.cell(row, n);
        // Other tenants are a fact of the identity version (its tenant, id
        // and effective e-mail): worked out once for its run of grants.
        let other_tenants = self.around.other_tenants(
            cell(cell::TENANT).unwrap_or_default(),
            cell(cell::IDENTITY_ID).unwrap_or_default(),
            cell(cell::EMAIL),
        );
        let context = (!other_tenants.is_empty()).then(|| {
            let context = ItemContext {
                other_tenants: other_tenants.clone(),
                lapsed_exception: None,
            };
            Arc::from(serde_json::to_string(&context).unwrap_or_default())
        });
        let value = |at: usize| cell(identity_cell(at));
        for at in 0..IDENTITY_HEAD {
            encode_value(&mut head, value(at).map_or(ValueRef::Null, text_ref));
        }
        Some(Known {
            key,
            part,
            row,
            other_tenants,
            context,
            identity_id: value(at::IDENTITY_ID).unwrap_or_default(),
            email: value(at::EMAIL),
            sponsor: value(at::SPONSOR),
            kind: value(at::KIND)
                .and_then(|k| k.parse().ok())
                .unwrap_or(crate::domain::IdentityKind::Human),
            relationship: value(at::RELATIONSHIP)
                .and_then(|r| r.parse().ok())
                .unwrap_or(crate::domain::Relationship::Unknown),
            contract_end: day(value(at::CONTRACT_END)),
            head,
        })
    }

    /// Assesses one row of the scope query; `None` for a grant whose
    /// identity has no current version (which the scope's join leaves out).
    fn assess(&mut self, row: &[ValueRef<'_>; SCAN_WIDTH]) -> Result<Option<Pending>> {
        let spec = self.spec;
        let around = self.around;
        let grant = row[0].as_i64()?;
        let entitlement = row[1].as_i64()?;
        let Some(known) = self.identity(row[2].as_i64()?) else {
            return Ok(None);
        };
        let (part, identity_row) = (known.part, known.row);
        let from_identity = |n: usize| part.cell(identity_row, n).map_or(ValueRef::Null, text_ref);
        let granted = &row[3..];
        let mut evidence = [ValueRef::Null; EVIDENCE.len()];
        for (value, source) in evidence.iter_mut().zip(PARTS) {
            *value = match source {
                Part::Identity(n) => from_identity(n),
                Part::Grant(n) => granted[n],
                Part::GrantElseIdentity(g, n) => match granted[g] {
                    ValueRef::Null => from_identity(n),
                    value => value,
                },
            };
        }
        let identity = identity_row.version;
        let register = identity_row.register;
        let text = |at: usize| evidence[at].as_str_or_null();
        let flag = |at: usize| -> Result<bool> { Ok(evidence[at].as_i64()? != 0) };
        let (email, sponsor) = (known.email, known.sponsor);
        let reviewer = spec.reviewer_rule.pick(
            sponsor,
            text(at::BUSINESS_OWNER)?,
            text(at::TECHNICAL_OWNER)?,
            &spec.owner,
        );
        let reviewer = &*reviewer;
        let reviewer_index = self.reviewer_index(reviewer);
        let lapsed_exception = around.lapsed.get(&grant).copied();
        let subject = Subject {
            identity_id: known.identity_id,
            email,
            kind: known.kind,
            relationship: known.relationship,
            sponsor,
            privileged: flag(at::PRIVILEGED)?,
            shared: flag(at::SHARED)?,
            granted_at: day(text(at::GRANTED)?),
            expires_at: day(text(at::EXPIRES)?),
            last_used_at: day(text(at::LAST_USED)?),
            credential_rotated_at: day(text(at::ROTATED)?),
            active: evidence[at::ACTIVE].as_i64_or_null()?.map(|a| a != 0),
            contract_end: known.contract_end,
        };
        let ctx = Context {
            today: spec.as_of,
            policy: &spec.policy,
            reviewer,
            other_tenants: &known.other_tenants,
            lapsed_exception,
        };
        let flags = insight::flags(&subject, &ctx);
        let (score, recommendation) = insight::score(flags, &spec.policy);
        let context = match lapsed_exception {
            None => known.context.clone(),
            Some(_) => {
                let context = ItemContext {
                    other_tenants: known.other_tenants.clone(),
                    lapsed_exception,
                };
                Some(Arc::from(
                    serde_json::to_string(&context).unwrap_or_default(),
                ))
            }
        };
        let versions = [Some(entitlement), Some(identity), register];
        let (since, previous) = match around.previous.get(&grant) {
            None => (Since::New, None),
            Some((item, seen)) if *seen == versions => (Since::Unchanged, Some(*item)),
            Some((item, _)) => (Since::Changed, Some(*item)),
        };
        let mut pending = Pending {
            hash: [0; 32],
            grant,
            entitlement,
            identity,
            register,
            score,
            flags: flags.bits(),
            recommendation,
            since,
            reviewer: reviewer_index,
            context,
            previous,
            relationship: subject.relationship,
        };
        self.encoded.clear();
        pending.encode_fields(reviewer, &mut self.encoded);
        self.encoded.extend_from_slice(&known.head);
        for value in &evidence[IDENTITY_HEAD..] {
            encode_value(&mut self.encoded, *value);
        }
        pending.hash = item_hash(&self.encoded);
        self.last_identity = Some(known);
        Ok(Some(pending))
    }

    /// Runs the scope query (over `grants`, a range of grant ids, when
    /// given) and assesses every row.
    fn scan(
        mut self,
        conn: &Connection,
        sql: &str,
        values: &[SqlValue],
        grants: Option<(i64, i64)>,
    ) -> Result<Assessed> {
        let mut select = conn.prepare(sql)?;
        let range = grants.map(|(lo, hi)| [SqlValue::Integer(lo), SqlValue::Integer(hi)]);
        let params = values.iter().chain(range.iter().flatten());
        let mut rows = select.query(params_from_iter(params))?;
        let mut items = Vec::new();
        while let Some(row) = rows.next()? {
            let mut columns = [ValueRef::Null; SCAN_WIDTH];
            for (at, column) in columns.iter_mut().enumerate() {
                *column = row.get_ref(at)?;
            }
            if let Some(item) = self.assess(&columns)? {
                items.push(item);
            }
        }
        Ok(Assessed {
            items,
            reviewers: self.reviewers,
        })
    }
}

/// Assesses every in-scope grant; returns the items, each with the hash
/// of what it will hold.
fn compute_items(
    readers: &Readers<'_>,
    split: Split,
    spec: &NewCampaign,
    around: &Surroundings,
) -> Result<Items> {
    let mut sql = scope_sql(!spec.scope.is_empty());
    let mut values = Vec::new();
    push_filters(&spec.scope, Target::Register, &mut sql, &mut values).map_err(|field| {
        StoreError::Invalid(format!(
            "--where {field}: a campaign's scope can only use register fields"
        ))
    })?;
    // Unscoped, the scan is cut into ranges of grant ids read side by
    // side. A scope's filters can make SQLite start from an index on the
    // identities instead, and every range would then repeat that walk:
    // a scoped campaign is read in one go.
    let pieces: Vec<Option<(i64, i64)>> = if spec.scope.is_empty() {
        let (lo, hi): (Option<i64>, Option<i64>) = readers.main().query_row(
            "SELECT (SELECT min(id) FROM entitlement), (SELECT max(id) FROM entitlement)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        match (lo, hi) {
            (Some(lo), Some(hi)) => {
                sql.push_str(" AND e.id BETWEEN ? AND ?");
                split
                    .ranges(lo, hi, readers.width())
                    .into_iter()
                    .map(Some)
                    .collect()
            }
            _ => vec![None],
        }
    } else {
        vec![None]
    };
    sql.push_str(" ORDER BY e.id");
    let assessed = readers.run(&pieces, |conn, grants| {
        Assessor::new(spec, around).scan(conn, &sql, &values, *grants)
    })?;
    // One list of reviewers for all the pieces. The pieces themselves
    // stay where they are: gathering them into one vector would hold two
    // copies of a million items at the moment of the move.
    let mut reviewers: Vec<String> = Vec::new();
    let mut interned: HashMap<String, u32> = HashMap::new();
    let mut pieces = Vec::with_capacity(assessed.len());
    for piece in assessed {
        let local: Vec<u32> = piece
            .reviewers
            .into_iter()
            .map(|name| match interned.get(&name) {
                Some(index) => *index,
                None => {
                    let index = reviewers.len() as u32;
                    reviewers.push(name.clone());
                    interned.insert(name, index);
                    index
                }
            })
            .collect();
        let mut items = piece.items;
        for item in &mut items {
            item.reviewer = local[item.reviewer as usize];
        }
        pieces.push(items);
    }
    Ok(Items { pieces, reviewers })
}

/// Every in-scope item, in grant order across the pieces it was read in,
/// and the reviewers they name.
struct Items {
    pieces: Vec<Vec<Pending>>,
    reviewers: Vec<String>,
}

impl Items {
    fn in_grant_order(&self) -> Vec<&Pending> {
        self.pieces.iter().flatten().collect()
    }
}

/// Queue order: indexes into `items` riskiest first, ties in grant order.
/// Scores take few distinct values, so this counts rather than sorts.
fn queue_order(items: &[&Pending]) -> Vec<u32> {
    let mut counts: BTreeMap<Reverse<i64>, usize> = BTreeMap::new();
    for item in items {
        *counts.entry(Reverse(item.score)).or_default() += 1;
    }
    let mut next: HashMap<i64, usize> = HashMap::with_capacity(counts.len());
    let mut start = 0;
    for (Reverse(score), n) in counts {
        next.insert(score, start);
        start += n;
    }
    let mut order = vec![0u32; items.len()];
    for (index, item) in items.iter().enumerate() {
        if let Some(slot) = next.get_mut(&item.score) {
            order[*slot] = index as u32;
            *slot += 1;
        }
    }
    order
}

/// Items per INSERT statement: a statement of one row spends about as
/// much on being started and finished as on the row.
const ROWS_PER_INSERT: usize = 32;

/// Values bound per item; the campaign, the same for all, is `?1`.
const ITEM_VALUES: usize = 13;

/// An INSERT of `rows` items; item `n`'s values are `?(2 + 13n)` onwards.
/// The ids are SQLite's: one past the largest, which for items written in
/// queue order after `first - 1` is `first + rank` (checked afterwards),
/// and which SQLite finds without the lookup a given id costs.
fn insert_items_sql(rows: usize) -> String {
    let mut sql = String::from(
        // OR FAIL: a failure ends the whole creation, which rolls back, so
        // SQLite need not journal each statement to undo just that one.
        "INSERT OR FAIL INTO item (campaign, grant_key, entitlement, identity, register,
             risk_rank, risk_score, reviewer, flags, context, recommendation, since, previous_item,
             relationship)
         VALUES ",
    );
    for row in 0..rows {
        let base = 2 + row * ITEM_VALUES;
        let values: Vec<String> = (0..ITEM_VALUES).map(|n| format!("?{}", base + n)).collect();
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?1, ");
        sql.push_str(&values.join(", "));
        sql.push(')');
    }
    sql
}

/// Writes the items in queue order (riskiest first, then in grant order),
/// so that SQLite numbers each one past the largest, `first` + rank, and
/// every insert appends; returns the digest.
fn write_items(
    conn: &Connection,
    campaign: CampaignId,
    first: i64,
    items: &[&Pending],
    reviewers: &[String],
) -> Result<String> {
    let order = queue_order(items);
    let dropped_index = drop_grant_index_if_cheaper(conn, first, items.len())?;
    // The digest only needs the hashes in queue order: another core folds
    // them while this one inserts.
    let fold = || fold_digest(order.iter().map(|&i| items[i as usize].hash));
    let digest = std::thread::scope(|scope| -> Result<String> {
        let digest = std::thread::Builder::new().spawn_scoped(scope, fold);
        insert_items(conn, campaign, first, &order, items, reviewers)?;
        Ok(match digest {
            Ok(digest) => digest
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: fold here.
            Err(_) => fold(),
        })
    })?;
    if let Some(index) = dropped_index {
        conn.execute(&index, [])?;
    }
    Ok(digest)
}

/// Items already written, per new item, below which the grant index is
/// dropped before the inserts and built again after them. Items go in in
/// queue order, so each entry of `item_by_grant` lands at a random place;
/// an index built from the table sorts its entries and writes them in
/// order, at about two thirds of the cost an entry inserted at random has
/// (1M items: 0.6 s of inserts against 0.4 s to build), but over every
/// item, old and new. Below a half, the rebuild costs less: a large first
/// campaign.
const REBUILD_BELOW: f64 = 0.5;

/// Drops the grant index when building it again after `new_items` inserts
/// costs less than keeping it up to date (see [`REBUILD_BELOW`]); returns
/// the statement that builds it, as the schema has it.
fn drop_grant_index_if_cheaper(
    conn: &Connection,
    first: i64,
    new_items: usize,
) -> Result<Option<String>> {
    // Ids are dense and start at 1: `first - 1` items are written.
    if ((first - 1) as f64) >= new_items as f64 * REBUILD_BELOW {
        return Ok(None);
    }
    let index: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = 'item_by_grant'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let Some(index) = index else {
        return Ok(None);
    };
    // Text read from the file is run again only as the one statement that
    // builds this index, never as a script.
    if !index.starts_with("CREATE INDEX item_by_grant ") {
        return Err(StoreError::Corrupt(format!(
            "the grant index is defined as {index:?}"
        )));
    }
    conn.execute_batch("DROP INDEX item_by_grant")?;
    Ok(Some(index))
}

/// Inserts the items, `order` giving the queue, and who reviews how many.
fn insert_items(
    conn: &Connection,
    campaign: CampaignId,
    first: i64,
    order: &[u32],
    items: &[&Pending],
    reviewers: &[String],
) -> Result<()> {
    let mut full = Insert::prepare(conn, &insert_items_sql(ROWS_PER_INSERT))?;
    let mut values = Vec::with_capacity(1 + ROWS_PER_INSERT * ITEM_VALUES);
    let mut chunks = order.chunks_exact(ROWS_PER_INSERT);
    let mut rank = 0usize;
    for chunk in chunks.by_ref() {
        item_values(&mut values, campaign, chunk, items, reviewers, rank);
        full.execute(&values)?;
        rank += chunk.len();
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut tail = Insert::prepare(conn, &insert_items_sql(rest.len()))?;
        item_values(&mut values, campaign, rest, items, reviewers, rank);
        tail.execute(&values)?;
    }
    let expected = first.checked_add(order.len() as i64 - 1);
    if !order.is_empty() && Some(conn.last_insert_rowid()) != expected {
        return Err(StoreError::Corrupt(format!(
            "campaign items were numbered from {} rather than {first}",
            conn.last_insert_rowid()
                .saturating_sub(order.len() as i64 - 1)
        )));
    }
    let mut counts = vec![0i64; reviewers.len()];
    for item in items {
        counts[item.reviewer as usize] += 1;
    }
    let mut insert = conn
        .prepare("INSERT INTO campaign_reviewer (campaign, reviewer, items) VALUES (?1, ?2, ?3)")?;
    for (reviewer, n) in reviewers.iter().zip(counts) {
        insert.execute(params![campaign, reviewer, n])?;
    }
    Ok(())
}

/// The values of one multi-row INSERT (see [`insert_items_sql`]): the
/// campaign, then the items at queue positions `rank..` (`chunk` indexes
/// `items`).
fn item_values<'v>(
    values: &mut Vec<Value<'v>>,
    campaign: CampaignId,
    chunk: &[u32],
    items: &[&'v Pending],
    reviewers: &'v [String],
    rank: usize,
) {
    values.clear();
    values.push(campaign.0.into());
    for (n, &index) in chunk.iter().enumerate() {
        let item = items[index as usize];
        let rank = (rank + n) as i64;
        values.extend::<[Value<'v>; ITEM_VALUES]>([
            item.grant.into(),
            item.entitlement.into(),
            item.identity.into(),
            item.register.into(),
            rank.into(),
            item.score.into(),
            reviewers[item.reviewer as usize].as_str().into(),
            i64::from(item.flags).into(),
            item.context.as_deref().into(),
            item.recommendation.as_str().into(),
            item.since.as_str().into(),
            item.previous.into(),
            item.relationship.as_str().into(),
        ]);
    }
}

impl Store {
    pub fn create_campaign(&mut self, spec: &NewCampaign) -> Result<CampaignSummary> {
        self.create_campaign_split(spec, Split::default())
    }

    /// Creates a campaign reading in the pieces `split` says.
    pub(crate) fn create_campaign_split(
        &mut self,
        spec: &NewCampaign,
        split: Split,
    ) -> Result<CampaignSummary> {
        self.write(|tx| {
            let exists: Option<i64> = tx
                .query_row(
                    "SELECT id FROM campaign WHERE name = ?1",
                    [&spec.name],
                    |r| r.get(0),
                )
                .optional()?;
            if exists.is_some() {
                return Err(StoreError::CampaignExists(spec.name.clone()));
            }
            let scope: Vec<String> = spec.scope.iter().map(Filter::to_string).collect();
            let scope_json = serde_json::to_string(&scope).unwrap_or_default();
            let previous: Option<(i64, String)> = tx
                .query_row(
                    "SELECT id, name FROM campaign WHERE scope = ?1 ORDER BY id DESC LIMIT 1",
                    [&scope_json],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            // Everything is read before anything is written, so helpers on
            // other connections see what this transaction sees.
            let readers = Readers::new(tx, split.helpers);
            let around =
                Surroundings::load(&readers, split, spec.as_of, previous.as_ref().map(|p| p.0))?;
            let assessed = compute_items(&readers, split, spec, &around)?;
            drop(around);
            let items = assessed.in_grant_order();
            let first: i64 =
                tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM item", [], |r| {
                    r.get(0)
                })?;

            let policy_json = serde_json::to_string(&spec.policy)
                .map_err(|e| StoreError::Corrupt(format!("policy: {e}")))?;
            tx.execute(
                "INSERT INTO campaign (name, created_at, owner, as_of, due, scope, reviewer_rule,
                     on_close, previous, policy, item_count, first_item)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    spec.name,
                    spec.created_at,
                    spec.owner,
                    spec.as_of.to_string(),
                    spec.due.to_string(),
                    scope_json,
                    spec.reviewer_rule.to_string(),
                    spec.on_close.as_str(),
                    previous.as_ref().map(|p| p.0),
                    policy_json,
                    items.len() as i64,
                    first,
                ],
            )?;
            let campaign = CampaignId(tx.last_insert_rowid());
            // The connection goes on serving the console afterwards, failed
            // or not: its cache goes back to what it was.
            let cache: i64 = tx.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
            tx.pragma_update(None, "cache_size", -write_cache_kib(items.len()))?;
            let written = write_items(tx, campaign, first, &items, &assessed.reviewers);
            tx.pragma_update(None, "cache_size", cache)?;
            let digest = written?;
            tx.execute(
                "INSERT INTO tally (campaign, state, n) VALUES (?1, 'undecided', ?2)",
                params![campaign, items.len() as i64],
            )?;
            let body = serde_json::json!({
                "name": spec.name,
                "due": spec.due.to_string(),
                "as_of": spec.as_of.to_string(),
                "scope": scope,
                "reviewer_rule": spec.reviewer_rule.to_string(),
                "on_close": spec.on_close.as_str(),
                "previous": previous.as_ref().map(|p| &p.1),
                "items": items.len(),
                "items_sha256": digest,
                "policy": spec.policy,
            });
            ChainWriter::start(tx)?.append(
                tx,
                &NewEvent {
                    kind: "campaign_created",
                    campaign: Some(campaign),
                    item: None,
                    actor: &spec.owner,
                    at: &spec.created_at,
                    note: None,
                    body: body.to_string(),
                },
            )?;
            Ok(campaign)
        })
        .and_then(|id| self.campaign_by_id(id))
    }
}
