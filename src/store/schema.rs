//! The schema, as versioned migrations applied in one transaction each.
//! A migration, once released, is never edited: add a new one.

use rusqlite_migration::{M, Migrations};

const V1: &str = r#"
CREATE TABLE snapshot (
    id          INTEGER PRIMARY KEY,
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    format      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    partial     INTEGER NOT NULL,
    rows        INTEGER NOT NULL DEFAULT 0,
    added       INTEGER NOT NULL DEFAULT 0,
    changed     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    removed     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The (tenant, system) scopes a snapshot speaks for: what it lacks there is removed.
CREATE TABLE snapshot_scope (
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    tenant   TEXT NOT NULL,
    system   TEXT NOT NULL,
    PRIMARY KEY (snapshot, tenant, system)
) STRICT, WITHOUT ROWID;

-- The register is append-only: a change to an identity or a grant writes a
-- new version and marks the old one superseded by the snapshot that
-- replaced it, so that campaigns can point at exactly what they reviewed.
-- `key` names the identity or grant across its versions (its first version's id).
CREATE TABLE identity (
    id           INTEGER PRIMARY KEY,
    key          INTEGER NOT NULL,
    tenant       TEXT NOT NULL,
    identity_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    relationship TEXT NOT NULL,
    organization TEXT,
    region       TEXT,
    sponsor      TEXT,
    email        TEXT,
    snapshot     INTEGER NOT NULL REFERENCES snapshot(id),
    superseded   INTEGER REFERENCES snapshot(id)
) STRICT;
CREATE UNIQUE INDEX identity_current ON identity(tenant, identity_id) WHERE superseded IS NULL;
CREATE INDEX identity_current_by_key ON identity(key) WHERE superseded IS NULL;

-- Grants: `identity` is the identity's key. A grant a later snapshot lacks
-- keeps its current version, marked with removed_snapshot; nothing is deleted.
CREATE TABLE entitlement (
    id              INTEGER PRIMARY KEY,
    key             INTEGER NOT NULL,
    identity        INTEGER NOT NULL,
    system          TEXT NOT NULL,
    name            TEXT NOT NULL,
    environment     TEXT,
    privileged      INTEGER NOT NULL,
    shared          INTEGER NOT NULL,
    business_owner  TEXT,
    technical_owner TEXT,
    justification   TEXT,
    granted_at      TEXT,
    expires_at      TEXT,
    last_used_at    TEXT,
    credential_rotated_at TEXT,
    ticket          TEXT,
    -- Snapshot ids are written by the import that creates the snapshot, in
    -- its transaction; no foreign keys here, so that a million-row import
    -- does not pay a lookup per column per row.
    snapshot        INTEGER NOT NULL,
    superseded      INTEGER,
    removed_snapshot INTEGER,
    source_line     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX entitlement_current ON entitlement(identity, system, name)
    WHERE superseded IS NULL;
CREATE INDEX entitlement_by_key ON entitlement(key);

-- What each snapshot changed about a grant (by key), for its history.
CREATE TABLE entitlement_change (
    id          INTEGER PRIMARY KEY,
    snapshot    INTEGER NOT NULL REFERENCES snapshot(id),
    entitlement INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind = 'changed' OR kind = 'removed' OR kind = 'restored'),
    detail      TEXT NOT NULL
) STRICT;
CREATE INDEX entitlement_change_by_entitlement ON entitlement_change(entitlement);

CREATE TABLE campaign (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    owner         TEXT NOT NULL,
    as_of         TEXT NOT NULL,
    due           TEXT NOT NULL,
    scope         TEXT NOT NULL,
    reviewer_rule TEXT NOT NULL,
    on_close      TEXT NOT NULL,
    previous      INTEGER REFERENCES campaign(id),
    policy        TEXT NOT NULL,
    item_count    INTEGER NOT NULL,
    -- A campaign's items are the ids first_item .. first_item + item_count - 1,
    -- in queue order: paging the queue is a rowid range scan.
    first_item    INTEGER NOT NULL
) STRICT;

-- One row per in-scope grant, pointing at the exact versions of the grant
-- and its identity that were reviewed. risk_rank is the dense 0-based queue
-- order, and id = campaign.first_item + risk_rank; grant_key ties the item
-- to the same grant in other campaigns.
-- Items are written only by campaign creation, in one transaction, and are
-- covered by the digest its event records; foreign keys would cost four
-- lookups per item for a million items.
CREATE TABLE item (
    id              INTEGER PRIMARY KEY,
    campaign        INTEGER NOT NULL,
    grant_key       INTEGER NOT NULL,
    entitlement     INTEGER NOT NULL,
    identity        INTEGER NOT NULL,
    risk_rank       INTEGER NOT NULL,
    risk_score      INTEGER NOT NULL,
    reviewer        TEXT NOT NULL,
    flags           INTEGER NOT NULL,
    -- What the insights saw beyond the grant itself (other tenants, a
    -- lapsed exception), as JSON; NULL when nothing.
    context         TEXT,
    recommendation  TEXT NOT NULL,
    -- (No IN-list CHECK: SQLite evaluates those with a temporary table per row.)
    since           TEXT NOT NULL CHECK (since = 'new' OR since = 'changed' OR since = 'unchanged'),
    previous_item   INTEGER
) STRICT;
CREATE INDEX item_by_grant ON item(grant_key, campaign);

-- The audit log: one hash chain over every decision, sign-off, campaign
-- state change and import. Append-only, enforced below.
CREATE TABLE event (
    seq       INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    campaign  INTEGER REFERENCES campaign(id),
    item      INTEGER REFERENCES item(id),
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    note      TEXT,
    body      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
CREATE INDEX event_by_item ON event(item, seq) WHERE item IS NOT NULL;
CREATE INDEX event_by_campaign ON event(campaign, kind, seq);

CREATE TRIGGER event_no_update BEFORE UPDATE ON event
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: events cannot be changed'); END;
CREATE TRIGGER event_no_delete BEFORE DELETE ON event
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: events cannot be deleted'); END;

-- Derived from the events, kept in the same transaction so that queues can
-- filter and count by state without replaying histories.
CREATE TABLE item_state (
    item       INTEGER PRIMARY KEY REFERENCES item(id),
    campaign   INTEGER NOT NULL REFERENCES campaign(id),
    decision   TEXT,
    decided_event INTEGER REFERENCES event(seq),
    last_event INTEGER NOT NULL REFERENCES event(seq),
    assignee   TEXT NOT NULL,
    exception_until TEXT
) STRICT;
CREATE INDEX item_state_by_campaign ON item_state(campaign, decision);

-- Per-campaign counts by state, maintained by triggers on item_state.
CREATE TABLE tally (
    campaign INTEGER NOT NULL REFERENCES campaign(id),
    state    TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (campaign, state)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER tally_on_first_event AFTER INSERT ON item_state
BEGIN
    UPDATE tally SET n = n - 1 WHERE campaign = NEW.campaign AND state = 'undecided';
    INSERT INTO tally(campaign, state, n) VALUES (NEW.campaign, coalesce(NEW.decision, 'undecided'), 1)
        ON CONFLICT(campaign, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tally_on_change AFTER UPDATE OF decision ON item_state
BEGIN
    UPDATE tally SET n = n - 1
        WHERE campaign = OLD.campaign AND state = coalesce(OLD.decision, 'undecided');
    INSERT INTO tally(campaign, state, n) VALUES (NEW.campaign, coalesce(NEW.decision, 'undecided'), 1)
        ON CONFLICT(campaign, state) DO UPDATE SET n = n + 1;
END;
"#;

/// Real sources and the identity register: whether a source reports the
/// account behind a grant disabled, the register itself with its change
/// log, which entry describes which identity, and the register's evidence
/// frozen on items.
const V2_SOURCES_AND_REGISTER: &str = r#"
-- Whether the source reports the account holding this grant enabled: NULL
-- when it does not say (CSV sources), 0 for a disabled account (SCIM
-- active: false). Per grant, since one person's accounts differ by system.
ALTER TABLE entitlement ADD COLUMN active INTEGER;

-- The identity register, one entry per (tenant, identity); tenant '' applies
-- in every tenant. Versioned like the grants: a change writes a new version
-- and supersedes the old, so that items can point at what they saw. A full
-- register import that lacks an entry marks its current version removed.
CREATE TABLE register_entry (
    id              INTEGER PRIMARY KEY,
    tenant          TEXT NOT NULL,
    identity_id     TEXT NOT NULL,
    match_id        TEXT NOT NULL,
    email           TEXT,
    relationship    TEXT,
    organization    TEXT,
    sponsor         TEXT,
    business_owner  TEXT,
    technical_owner TEXT,
    contract_end    TEXT,
    snapshot         INTEGER NOT NULL REFERENCES snapshot(id),
    superseded       INTEGER REFERENCES snapshot(id),
    removed_snapshot INTEGER REFERENCES snapshot(id),
    source_line      INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX register_entry_current ON register_entry(tenant, match_id)
    WHERE superseded IS NULL;

CREATE TABLE register_change (
    id       INTEGER PRIMARY KEY,
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    entry    INTEGER NOT NULL REFERENCES register_entry(id),
    kind     TEXT NOT NULL CHECK (kind = 'changed' OR kind = 'removed' OR kind = 'restored'),
    detail   TEXT NOT NULL
) STRICT;
CREATE INDEX register_change_by_entry ON register_change(entry);

-- Derived: the live register entry version that describes each identity
-- (by key), rebuilt in the transaction of every import.
CREATE TABLE identity_register (
    identity INTEGER PRIMARY KEY REFERENCES identity(id),
    entry    INTEGER NOT NULL REFERENCES register_entry(id)
) STRICT;

-- The register entry version an item saw, if any.
ALTER TABLE item ADD COLUMN register INTEGER;
"#;

/// Evidence an auditor trusts: frozen items and campaigns refuse change,
/// remediation outcomes are derived from their chained events, and the
/// lookups that sign-off, exceptions and remediation need are indexed.
const V3_EVIDENCE: &str = r#"
CREATE TRIGGER item_no_update BEFORE UPDATE ON item
BEGIN SELECT RAISE(ABORT, 'campaign items are frozen evidence: they cannot be changed'); END;
CREATE TRIGGER item_no_delete BEFORE DELETE ON item
BEGIN SELECT RAISE(ABORT, 'campaign items are frozen evidence: they cannot be deleted'); END;
CREATE TRIGGER campaign_no_update BEFORE UPDATE ON campaign
BEGIN SELECT RAISE(ABORT, 'campaigns are recorded evidence: state changes are events'); END;
CREATE TRIGGER campaign_no_delete BEFORE DELETE ON campaign
BEGIN SELECT RAISE(ABORT, 'campaigns are recorded evidence: they cannot be deleted'); END;

-- The latest outcome for each revoke decision, derived from the
-- remediation_* events in the same transaction. A revoke without a row here
-- is pending.
CREATE TABLE remediation (
    decision_event INTEGER PRIMARY KEY REFERENCES event(seq),
    item     INTEGER NOT NULL REFERENCES item(id),
    campaign INTEGER NOT NULL REFERENCES campaign(id),
    status   TEXT NOT NULL CHECK (status = 'verified' OR status = 'still_effective'),
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    event    INTEGER NOT NULL REFERENCES event(seq)
) STRICT;
CREATE INDEX remediation_by_snapshot ON remediation(snapshot);

-- Every import looks for revokes still open, across campaigns.
CREATE INDEX item_state_revoked ON item_state(item) WHERE decision = 'revoke';
-- `recert exceptions` lists by end date.
CREATE INDEX item_state_exception ON item_state(exception_until) WHERE decision = 'exception';
"#;

/// Who reviews how much of each campaign, so that opening the console can
/// tell whether the reviewer has anything without scanning every item.
const V4_REVIEWERS: &str = r#"
-- Written with the items and as frozen as they are; `verify` recounts it.
CREATE TABLE campaign_reviewer (
    campaign INTEGER NOT NULL REFERENCES campaign(id),
    reviewer TEXT NOT NULL,
    items    INTEGER NOT NULL,
    PRIMARY KEY (campaign, reviewer)
) STRICT, WITHOUT ROWID;
INSERT INTO campaign_reviewer (campaign, reviewer, items)
    SELECT campaign, reviewer, count(*) FROM item GROUP BY campaign, reviewer;
CREATE TRIGGER campaign_reviewer_no_update BEFORE UPDATE ON campaign_reviewer
BEGIN SELECT RAISE(ABORT, 'a campaign''s reviewers are frozen evidence, like its items'); END;
CREATE TRIGGER campaign_reviewer_no_delete BEFORE DELETE ON campaign_reviewer
BEGIN SELECT RAISE(ABORT, 'a campaign''s reviewers are frozen evidence, like its items'); END;

"#;

/// The relationship an item's filters compare, frozen on the item at
/// creation: as the identity and register versions it points at say it,
/// so that a filter on it reads item rows only, not an identity at random
/// per item it rejects. NULL on items of campaigns created before it;
/// `verify` checks it against those versions.
const V5_ITEM_RELATIONSHIP: &str = r#"
ALTER TABLE item ADD COLUMN relationship TEXT;
"#;

/// Imported evidence refuses change, as frozen items do: identity, grant
/// and register versions, the changes logged and the scopes claimed are
/// never deleted, and a version changes only when a later import marks it
/// superseded or removed, once. Each import event's digest (see
/// `store::digest`) is what proves them; these triggers stop a slip, not
/// someone who drops them, and `verify` names a dropped one.
const V6_IMPORTED_EVIDENCE: &str = r#"
CREATE TRIGGER identity_no_delete BEFORE DELETE ON identity
BEGIN SELECT RAISE(ABORT, 'identity versions are imported evidence: they cannot be deleted'); END;
CREATE TRIGGER identity_no_update BEFORE UPDATE OF id, key, tenant, identity_id, name, kind,
    relationship, organization, region, sponsor, email, snapshot ON identity
BEGIN SELECT RAISE(ABORT, 'identity versions are imported evidence: they cannot be changed'); END;
CREATE TRIGGER identity_superseded_once BEFORE UPDATE OF superseded ON identity
WHEN OLD.superseded IS NOT NULL OR NEW.superseded IS NULL
BEGIN SELECT RAISE(ABORT, 'an identity version is superseded once, by the import that replaced it'); END;

CREATE TRIGGER entitlement_no_delete BEFORE DELETE ON entitlement
BEGIN SELECT RAISE(ABORT, 'grant versions are imported evidence: they cannot be deleted'); END;
CREATE TRIGGER entitlement_no_update BEFORE UPDATE OF id, key, identity, system, name,
    environment, privileged, shared, business_owner, technical_owner, justification, granted_at,
    expires_at, last_used_at, credential_rotated_at, ticket, snapshot, source_line, active
    ON entitlement
BEGIN SELECT RAISE(ABORT, 'grant versions are imported evidence: they cannot be changed'); END;
CREATE TRIGGER entitlement_superseded_once BEFORE UPDATE OF superseded ON entitlement
WHEN OLD.superseded IS NOT NULL OR NEW.superseded IS NULL
BEGIN SELECT RAISE(ABORT, 'a grant version is superseded once, by the import that replaced it'); END;
CREATE TRIGGER entitlement_removed_once BEFORE UPDATE OF removed_snapshot ON entitlement
WHEN OLD.removed_snapshot IS NOT NULL OR NEW.removed_snapshot IS NULL
BEGIN SELECT RAISE(ABORT, 'a grant version is marked removed once, by the import that lacked it'); END;

CREATE TRIGGER register_entry_no_delete BEFORE DELETE ON register_entry
BEGIN SELECT RAISE(ABORT, 'register entries are imported evidence: they cannot be deleted'); END;
CREATE TRIGGER register_entry_no_update BEFORE UPDATE OF id, tenant, identity_id, match_id, email,
    relationship, organization, sponsor, business_owner, technical_owner, contract_end, snapshot,
    source_line ON register_entry
BEGIN SELECT RAISE(ABORT, 'register entries are imported evidence: they cannot be changed'); END;
CREATE TRIGGER register_entry_superseded_once BEFORE UPDATE OF superseded ON register_entry
WHEN OLD.superseded IS NOT NULL OR NEW.superseded IS NULL
BEGIN SELECT RAISE(ABORT, 'a register entry is superseded once, by the import that replaced it'); END;
CREATE TRIGGER register_entry_removed_once BEFORE UPDATE OF removed_snapshot ON register_entry
WHEN OLD.removed_snapshot IS NOT NULL OR NEW.removed_snapshot IS NULL
BEGIN SELECT RAISE(ABORT, 'a register entry is marked removed once, by the import that lacked it'); END;

CREATE TRIGGER entitlement_change_no_update BEFORE UPDATE ON entitlement_change
BEGIN SELECT RAISE(ABORT, 'logged changes are imported evidence: they cannot be changed'); END;
CREATE TRIGGER entitlement_change_no_delete BEFORE DELETE ON entitlement_change
BEGIN SELECT RAISE(ABORT, 'logged changes are imported evidence: they cannot be deleted'); END;
CREATE TRIGGER register_change_no_update BEFORE UPDATE ON register_change
BEGIN SELECT RAISE(ABORT, 'logged changes are imported evidence: they cannot be changed'); END;
CREATE TRIGGER register_change_no_delete BEFORE DELETE ON register_change
BEGIN SELECT RAISE(ABORT, 'logged changes are imported evidence: they cannot be deleted'); END;
CREATE TRIGGER snapshot_scope_no_update BEFORE UPDATE ON snapshot_scope
BEGIN SELECT RAISE(ABORT, 'a snapshot''s scopes are imported evidence: they cannot be changed'); END;
CREATE TRIGGER snapshot_scope_no_delete BEFORE DELETE ON snapshot_scope
BEGIN SELECT RAISE(ABORT, 'a snapshot''s scopes are imported evidence: they cannot be deleted'); END;
"#;

/// People and authority: how each event's actor was established, the
/// people register and delegations, the last two derived from their events
/// in the same transaction and replayed by `verify`.
const V7_PEOPLE: &str = r#"
-- How each event's actor was established: `asserted`, `os_user:NAME` or
-- `ssh_key:SHA256:...`; NULL on events recorded before recert kept it. An
-- event that has it is hashed in the chain's format 2, which covers it.
ALTER TABLE event ADD COLUMN actor_via TEXT;

-- The people register as its events left it. A removed person keeps their
-- row, marked by the event that removed them.
CREATE TABLE person (
    email    TEXT PRIMARY KEY,
    name     TEXT,
    roles    TEXT NOT NULL,
    os_user  TEXT,
    ssh_keys TEXT NOT NULL,
    event    INTEGER NOT NULL REFERENCES event(seq),
    removed  INTEGER REFERENCES event(seq)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX person_by_os_user ON person(os_user)
    WHERE os_user IS NOT NULL AND removed IS NULL;

-- Reviewers' hand-overs of their items, one per `delegated` event.
CREATE TABLE delegation (
    event       INTEGER PRIMARY KEY REFERENCES event(seq),
    from_person TEXT NOT NULL,
    to_person   TEXT NOT NULL,
    until       TEXT NOT NULL,
    campaign    INTEGER REFERENCES campaign(id)
) STRICT;
CREATE INDEX delegation_by_to ON delegation(to_person, until);
CREATE INDEX delegation_by_from ON delegation(from_person, until);
"#;

const V8_CONSOLE_MEMO: &str = r#"
-- What the console keeps for a person between sessions: a note being
-- written on an item (item set) and where they were in the campaign (item
-- NULL). Not evidence: nothing reads it but the console. Appended like
-- everything else; the latest row for a key is what holds.
CREATE TABLE console_memo (
    seq      INTEGER PRIMARY KEY,
    campaign INTEGER NOT NULL REFERENCES campaign(id),
    person   TEXT NOT NULL,
    item     INTEGER REFERENCES item(id),
    body     TEXT NOT NULL
) STRICT;
CREATE INDEX console_memo_by_key ON console_memo(campaign, person, item, seq);
CREATE TRIGGER console_memo_no_update BEFORE UPDATE ON console_memo
BEGIN SELECT RAISE(ABORT, 'console memos are append-only'); END;
CREATE TRIGGER console_memo_no_delete BEFORE DELETE ON console_memo
BEGIN SELECT RAISE(ABORT, 'console memos are append-only'); END;
"#;

/// The entitlement catalog, versioned like the identity register (issue
/// 24), and the register's partner tier.
const V9_CATALOG_AND_TIER: &str = r#"
-- One entry per (tenant, system, entitlement); tenant '' applies in every
-- tenant. A change writes a new version and supersedes the old, so that
-- items can point at what they saw; a full catalog import that lacks an
-- entry marks its current version removed.
CREATE TABLE catalog_entry (
    id               INTEGER PRIMARY KEY,
    tenant           TEXT NOT NULL,
    system           TEXT NOT NULL,
    entitlement      TEXT NOT NULL,
    description      TEXT,
    sensitivity      TEXT,
    data_classes     TEXT,
    owner            TEXT,
    snapshot         INTEGER NOT NULL REFERENCES snapshot(id),
    superseded       INTEGER REFERENCES snapshot(id),
    removed_snapshot INTEGER REFERENCES snapshot(id),
    source_line      INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX catalog_entry_current ON catalog_entry(tenant, system, entitlement)
    WHERE superseded IS NULL;

CREATE TABLE catalog_change (
    id       INTEGER PRIMARY KEY,
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    entry    INTEGER NOT NULL REFERENCES catalog_entry(id),
    kind     TEXT NOT NULL CHECK (kind = 'changed' OR kind = 'removed' OR kind = 'restored'),
    detail   TEXT NOT NULL
) STRICT;
CREATE INDEX catalog_change_by_entry ON catalog_change(entry);

CREATE TRIGGER catalog_entry_no_delete BEFORE DELETE ON catalog_entry
BEGIN SELECT RAISE(ABORT, 'catalog entries are imported evidence: they cannot be deleted'); END;
CREATE TRIGGER catalog_entry_no_update BEFORE UPDATE OF id, tenant, system, entitlement,
    description, sensitivity, data_classes, owner, snapshot, source_line ON catalog_entry
BEGIN SELECT RAISE(ABORT, 'catalog entries are imported evidence: they cannot be changed'); END;
CREATE TRIGGER catalog_entry_superseded_once BEFORE UPDATE OF superseded ON catalog_entry
WHEN OLD.superseded IS NOT NULL OR NEW.superseded IS NULL
BEGIN SELECT RAISE(ABORT, 'a catalog entry is superseded once, by the import that replaced it'); END;
CREATE TRIGGER catalog_entry_removed_once BEFORE UPDATE OF removed_snapshot ON catalog_entry
WHEN OLD.removed_snapshot IS NOT NULL OR NEW.removed_snapshot IS NULL
BEGIN SELECT RAISE(ABORT, 'a catalog entry is marked removed once, by the import that lacked it'); END;
CREATE TRIGGER catalog_change_no_update BEFORE UPDATE ON catalog_change
BEGIN SELECT RAISE(ABORT, 'logged changes are imported evidence: they cannot be changed'); END;
CREATE TRIGGER catalog_change_no_delete BEFORE DELETE ON catalog_change
BEGIN SELECT RAISE(ABORT, 'logged changes are imported evidence: they cannot be deleted'); END;

-- The partner tier the register gives an identity (NULL: it does not say).
ALTER TABLE register_entry ADD COLUMN tier TEXT;
DROP TRIGGER register_entry_no_update;
CREATE TRIGGER register_entry_no_update BEFORE UPDATE OF id, tenant, identity_id, match_id, email,
    relationship, organization, sponsor, business_owner, technical_owner, contract_end, snapshot,
    source_line, tier ON register_entry
BEGIN SELECT RAISE(ABORT, 'register entries are imported evidence: they cannot be changed'); END;
"#;

/// Items flagged `revocation_not_done` (bit 13, `flags::NOT_DONE_BIT`):
/// the remediation of the campaign that carries them lists them beside its
/// own revokes, page by page, without scanning every item for the flag.
const V10_REVOCATIONS_NOT_DONE: &str = r#"
CREATE INDEX item_revocation_not_done ON item(id) WHERE flags & 8192 != 0;
"#;

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1),
        M::up(V2_SOURCES_AND_REGISTER),
        M::up(V3_EVIDENCE),
        M::up(V4_REVIEWERS),
        M::up(V5_ITEM_RELATIONSHIP),
        M::up(V6_IMPORTED_EVIDENCE),
        M::up(V7_PEOPLE),
        M::up(V8_CONSOLE_MEMO),
        M::up(V9_CATALOG_AND_TIER),
        M::up(V10_REVOCATIONS_NOT_DONE),
    ])
}

/// The schema version this build writes.
pub fn latest_version() -> usize {
    10
}

/// Each table's columns (name and declared type), in order: what a
/// migration's SQL produced, to compare one database with another.
pub type Shape = std::collections::BTreeMap<String, Vec<(String, String)>>;

pub fn shape(conn: &rusqlite::Connection) -> rusqlite::Result<Shape> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut shape = Shape::new();
    for table in tables {
        let columns = conn
            .prepare("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")?
            .query_map([&table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        shape.insert(table, columns);
    }
    Ok(shape)
}

/// The shape a database has at `version` when this build's migrations
/// made it.
pub fn expected_shape(version: usize) -> Result<Shape, rusqlite_migration::Error> {
    let mut conn = rusqlite::Connection::open_in_memory()?;
    migrations().to_version(&mut conn, version)?;
    Ok(shape(&conn)?)
}

/// The first difference between a database's shape and the expected one.
pub fn difference(found: &Shape, expected: &Shape) -> Option<String> {
    for (table, columns) in expected {
        match found.get(table) {
            None => return Some(format!("it has no table {table}")),
            Some(have) if have != columns => {
                let has = |list: &[(String, String)], name: &str| list.iter().any(|c| c.0 == name);
                let detail = match columns.iter().find(|c| !has(have, &c.0)) {
                    Some((missing, _)) => format!("its table {table} has no column {missing}"),
                    None => match have.iter().find(|c| !has(columns, &c.0)) {
                        Some((extra, _)) => {
                            format!("its table {table} has a column {extra} that was not expected")
                        }
                        None => {
                            format!("its table {table} has its columns in another order or type")
                        }
                    },
                };
                return Some(detail);
            }
            Some(_) => {}
        }
    }
    found
        .keys()
        .find(|t| !expected.contains_key(*t))
        .map(|t| format!("it has a table {t} that was not expected"))
}

/// Every table, index, trigger and view, by (type, name): the table it
/// belongs to and its SQL. SQLite's own objects (`sqlite_sequence`, the
/// `sqlite_stat` tables, the indexes behind UNIQUE constraints, which have
/// no SQL) are left out by exactly those names: SQLite refuses to create
/// anything else called `sqlite_…`, but an object written into the schema
/// table under such a name (`PRAGMA writable_schema`) still loads and runs.
pub type Objects = std::collections::BTreeMap<(String, String), (String, Option<String>)>;

pub fn objects(conn: &rusqlite::Connection) -> rusqlite::Result<Objects> {
    conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema
         WHERE NOT (type = 'table' AND name IN ('sqlite_sequence', 'sqlite_stat1',
                        'sqlite_stat2', 'sqlite_stat3', 'sqlite_stat4'))
           AND NOT (type = 'index' AND sql IS NULL
                    AND name LIKE 'sqlite\\_autoindex\\_%' ESCAPE '\\')",
    )?
    .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))?
    .collect()
}

/// The objects a database has at `version` when this build's migrations
/// made it, fresh or upgraded: both run the same statements.
pub fn expected_objects(version: usize) -> Result<Objects, rusqlite_migration::Error> {
    let mut conn = rusqlite::Connection::open_in_memory()?;
    migrations().to_version(&mut conn, version)?;
    Ok(objects(&conn)?)
}

/// Every difference between a database's objects and the expected ones,
/// one sentence each: extra first (what someone added is what launders
/// evidence), then changed, then missing.
pub fn object_differences(found: &Objects, expected: &Objects) -> Vec<String> {
    let on = |kind: &str, table: &str| {
        if kind == "table" || kind == "view" {
            String::new()
        } else {
            format!(" on table {table}")
        }
    };
    let excerpt = |sql: &Option<String>| {
        let sql = sql.as_deref().unwrap_or("");
        let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        match flat.char_indices().nth(120) {
            Some((at, _)) => format!("{}…", &flat[..at]),
            None => flat,
        }
    };
    let mut differences = Vec::new();
    for ((kind, name), (table, sql)) in found {
        if !expected.contains_key(&(kind.clone(), name.clone())) {
            let article = if kind == "index" { "an" } else { "a" };
            differences.push(format!(
                "the schema has {article} {kind} {name}{} that recert does not create: {}",
                on(kind, table),
                excerpt(sql)
            ));
        }
    }
    for ((kind, name), (table, sql)) in found {
        if let Some((expected_table, expected_sql)) = expected.get(&(kind.clone(), name.clone()))
            && (table != expected_table || sql != expected_sql)
        {
            differences.push(format!(
                "the schema's {kind} {name}{} is not the one recert creates: it reads {}",
                on(kind, table),
                excerpt(sql)
            ));
        }
    }
    for ((kind, name), (table, _)) in expected {
        if !found.contains_key(&(kind.clone(), name.clone())) {
            differences.push(format!(
                "the schema lacks recert's {kind} {name}{}: it was dropped",
                on(kind, table)
            ));
        }
    }
    differences
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }

    #[test]
    fn a_schema_1_database_of_this_lineage_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            rusqlite_migration::Migrations::new(vec![rusqlite_migration::M::up(super::V1)])
                .to_latest(&mut conn)
                .unwrap();
            conn.execute(
                "INSERT INTO snapshot (file_name, sha256, format, imported_at, imported_by, partial)
                 VALUES ('old.csv', 'abc', 'canonical', '2026-01-01', 'me', 0)",
                [],
            )
            .unwrap();
        }
        let store = crate::store::Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), super::latest_version());
        let dump = store.dump().unwrap();
        assert!(dump.contains("old.csv"), "data survives the upgrade");
        assert!(dump.contains("## register_entry (0 rows)"), "{dump}");
        // Upgraded or fresh, the same statements made the same schema, to
        // the text that verify compares.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let expected = super::expected_objects(super::latest_version()).unwrap();
        let found = super::objects(&conn).unwrap();
        assert_eq!(
            super::object_differences(&found, &expected),
            Vec::<String>::new()
        );
        assert_eq!(found, expected);
    }

    #[test]
    fn every_object_difference_is_named_and_sqlites_own_are_not_objects() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_latest(&mut conn).unwrap();
        conn.execute_batch(
            "CREATE TABLE extra (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT UNIQUE);
             INSERT INTO extra (x) VALUES ('a'); ANALYZE;
             DROP TRIGGER item_no_delete; DROP INDEX item_by_grant;
             DROP TRIGGER tally_on_change;
             CREATE TRIGGER tally_on_change AFTER UPDATE OF decision ON item_state
             BEGIN SELECT 1; END;
             CREATE INDEX extra_x ON extra (x);",
        )
        .unwrap();
        let found = super::objects(&conn).unwrap();
        assert!(found.keys().all(|(_, name)| !name.starts_with("sqlite_")));
        // Under SQLite's own prefix, written into the schema table: it runs.
        conn.execute_batch(
            "PRAGMA writable_schema = ON;
             INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql)
             VALUES ('trigger', 'sqlite_hidden', 'event', 0,
                     'CREATE TRIGGER sqlite_hidden BEFORE INSERT ON event BEGIN SELECT 1; END');
             PRAGMA writable_schema = OFF;",
        )
        .unwrap();
        let hidden = super::objects(&conn).unwrap();
        assert!(
            hidden.contains_key(&("trigger".to_string(), "sqlite_hidden".to_string())),
            "{hidden:#?}"
        );
        let expected = super::expected_objects(super::latest_version()).unwrap();
        let differences = super::object_differences(&found, &expected);
        assert_eq!(differences.len(), 5, "{differences:#?}");
        for expected in [
            "the schema has a table extra that recert does not create: CREATE TABLE extra",
            "the schema has an index extra_x on table extra that recert does not create",
            "the schema's trigger tally_on_change on table item_state is not the one recert \
             creates",
            "the schema lacks recert's index item_by_grant on table item",
            "the schema lacks recert's trigger item_no_delete on table item",
        ] {
            assert!(
                differences.iter().any(|d| d.starts_with(expected)),
                "{expected}: {differences:#?}"
            );
        }
    }

    #[test]
    fn every_version_has_the_shape_its_migrations_give_it() {
        let v1 = super::expected_shape(1).unwrap();
        let v2 = super::expected_shape(2).unwrap();
        assert_eq!(super::difference(&v1, &v1), None);
        assert_eq!(
            super::difference(&v1, &v2).as_deref(),
            Some("its table entitlement has no column active")
        );
        let mut renamed = v1.clone();
        renamed.get_mut("identity").unwrap()[1].0 = "first_snapshot".into();
        assert_eq!(
            super::difference(&renamed, &v1).as_deref(),
            Some("its table identity has no column key")
        );
    }

    #[test]
    fn the_latest_version_is_the_number_of_migrations() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_latest(&mut conn).unwrap();
        let version: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .unwrap() as usize;
        assert_eq!(version, super::latest_version());
    }
}
