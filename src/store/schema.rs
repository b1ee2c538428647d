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

CREATE TABLE identity (
    id           INTEGER PRIMARY KEY,
    tenant       TEXT NOT NULL,
    identity_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    relationship TEXT NOT NULL,
    organization TEXT,
    region       TEXT,
    sponsor      TEXT,
    email        TEXT,
    first_snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    UNIQUE (tenant, identity_id)
) STRICT;
CREATE INDEX identity_by_id ON identity(identity_id);
CREATE INDEX identity_by_email ON identity(email) WHERE email IS NOT NULL;

-- The current register of grants. Rows are never deleted: a grant a later
-- snapshot lacks gets removed_snapshot, and every change is logged below.
CREATE TABLE entitlement (
    id              INTEGER PRIMARY KEY,
    identity        INTEGER NOT NULL REFERENCES identity(id),
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
    first_snapshot  INTEGER NOT NULL REFERENCES snapshot(id),
    updated_snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    removed_snapshot INTEGER REFERENCES snapshot(id),
    source_line     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX entitlement_key ON entitlement(identity, system, name);
CREATE INDEX entitlement_by_system ON entitlement(system);

CREATE TABLE entitlement_change (
    id          INTEGER PRIMARY KEY,
    snapshot    INTEGER NOT NULL REFERENCES snapshot(id),
    entitlement INTEGER NOT NULL REFERENCES entitlement(id),
    kind        TEXT NOT NULL CHECK (kind IN ('changed', 'removed', 'restored')),
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
    item_count    INTEGER NOT NULL
) STRICT;

-- One row per in-scope grant, with the evidence frozen as it was when the
-- campaign was created. risk_rank is the dense 0-based queue order.
CREATE TABLE item (
    id              INTEGER PRIMARY KEY,
    campaign        INTEGER NOT NULL REFERENCES campaign(id),
    entitlement     INTEGER NOT NULL REFERENCES entitlement(id),
    risk_rank       INTEGER NOT NULL,
    risk_score      INTEGER NOT NULL,
    reviewer        TEXT NOT NULL,
    flags           INTEGER NOT NULL,
    findings        TEXT NOT NULL,
    recommendation  TEXT NOT NULL,
    since           TEXT NOT NULL CHECK (since IN ('new', 'changed', 'unchanged')),
    since_detail    TEXT,
    previous_item   INTEGER REFERENCES item(id),
    tenant          TEXT NOT NULL,
    identity_id     TEXT NOT NULL,
    identity_name   TEXT NOT NULL,
    identity_kind   TEXT NOT NULL,
    relationship    TEXT NOT NULL,
    organization    TEXT,
    region          TEXT,
    sponsor         TEXT,
    email           TEXT,
    system          TEXT NOT NULL,
    environment     TEXT,
    entitlement_name TEXT NOT NULL,
    privileged      INTEGER NOT NULL,
    shared          INTEGER NOT NULL,
    business_owner  TEXT,
    technical_owner TEXT,
    justification   TEXT,
    granted_at      TEXT,
    expires_at      TEXT,
    last_used_at    TEXT,
    credential_rotated_at TEXT,
    ticket          TEXT
) STRICT;
CREATE UNIQUE INDEX item_queue ON item(campaign, risk_rank);
CREATE INDEX item_by_entitlement ON item(entitlement, campaign);

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

/// Evidence an auditor trusts: frozen items and campaigns refuse change,
/// remediation outcomes are derived from their chained events, and the
/// lookups that sign-off, exceptions and remediation need are indexed.
const V2_EVIDENCE: &str = r#"
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
    status   TEXT NOT NULL CHECK (status IN ('verified', 'still_effective')),
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    event    INTEGER NOT NULL REFERENCES event(seq)
) STRICT;
CREATE INDEX remediation_by_snapshot ON remediation(snapshot);

-- Every import looks for revokes still open, across campaigns.
CREATE INDEX item_state_revoked ON item_state(item) WHERE decision = 'revoke';
-- `recert exceptions` lists by end date.
CREATE INDEX item_state_exception ON item_state(exception_until) WHERE decision = 'exception';
"#;

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1), M::up(V2_EVIDENCE)])
}

/// The schema version this build writes.
pub fn latest_version() -> usize {
    2
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }
}
