//! Tampering, end to end: someone with the database file drops the
//! append-only triggers (as anyone with the `sqlite3` shell can) and edits,
//! deletes, inserts or reorders events, or edits the evidence they protect.
//! `recert verify` must name what was touched and exit 1. The evidence
//! imports wrote, the schema and the rules are in `evidence.rs`.

use crate::util::{REVIEWER, Sandbox};
use recert::audit::{EventContent, event_hash};
use rusqlite::{Connection, params};

/// A campaign with a few decisions and a sign-off: events 1 (import),
/// 2 (campaign created), 3–6 (decisions), 7 (sign-off).
fn audited() -> Sandbox {
    let sandbox = Sandbox::with_campaign();
    sandbox.ok(&[
        "decide",
        "Q4",
        &sandbox.sample_item("Q4", 1),
        "revoke",
        "--note",
        "contract ended",
    ]);
    sandbox.ok(&["decide", "Q4", &sandbox.sample_item("Q4", 3), "attest"]);
    sandbox.ok(&[
        "decide",
        "Q4",
        &sandbox.sample_item("Q4", 5),
        "revoke",
        "--note",
        "left the partner",
    ]);
    sandbox.ok(&[
        "decide",
        "Q4",
        &sandbox.sample_item("Q4", 14),
        "revoke",
        "--note",
        "shared login",
    ]);
    sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--accept-unsigned",
        "1",
        "--note",
        "26 undecided: owners away",
        "--accept-undecided",
        "26",
    ]);
    assert!(
        sandbox
            .ok(&["verify"])
            .contains("audit chain intact: 7 events")
    );
    sandbox
}

/// The database opened behind recert's back, foreign keys off and the
/// append-only triggers dropped.
fn tamper(sandbox: &Sandbox) -> Connection {
    let conn = Connection::open(sandbox.db()).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         DROP TRIGGER event_no_update; DROP TRIGGER event_no_delete;
         DROP TRIGGER item_no_update; DROP TRIGGER item_no_delete;",
    )
    .unwrap();
    conn
}

/// Runs SQL on the file as a careful forger with the `sqlite3` shell
/// would: every trigger dropped first and put back afterwards exactly as it
/// was, so that the schema shows no trace.
pub fn behind_recerts_back(sandbox: &Sandbox, sql: &str) {
    let conn = Connection::open(sandbox.db()).unwrap();
    let triggers: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for (name, _) in &triggers {
        conn.execute_batch(&format!("DROP TRIGGER \"{name}\""))
            .unwrap();
    }
    conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; {sql}"))
        .unwrap();
    for (_, sql) in &triggers {
        conn.execute_batch(sql).unwrap();
    }
}

fn head(sandbox: &Sandbox) -> String {
    let report = sandbox.json(&["report", "Q4", "--format", "json"]);
    report["chain"]["head"].as_str().unwrap().to_string()
}

#[test]
fn the_triggers_refuse_changes_to_events() {
    let sandbox = audited();
    let conn = Connection::open(sandbox.db()).unwrap();
    let err = conn
        .execute("UPDATE event SET note = 'x' WHERE seq = 3", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = conn
        .execute("DELETE FROM event WHERE seq = 7", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[test]
fn an_edited_note_is_named() {
    let sandbox = audited();
    tamper(&sandbox)
        .execute("UPDATE event SET note = 'still needed' WHERE seq = 5", [])
        .unwrap();
    let err = sandbox.fails(1, &["verify"]);
    assert!(
        err.contains("audit chain broken at event 5 (revoke)"),
        "{err}"
    );
    assert!(err.contains("it was edited"), "{err}");
    assert!(err.contains("the 4 events before it verify"), "{err}");
}

#[test]
fn a_deleted_event_in_the_middle_is_named() {
    let sandbox = audited();
    tamper(&sandbox)
        .execute("DELETE FROM event WHERE seq = 4", [])
        .unwrap();
    let err = sandbox.fails(1, &["verify"]);
    assert!(err.contains("audit chain broken at event 5"), "{err}");
    assert!(
        err.contains("event 4 before it is missing: it was deleted"),
        "{err}"
    );
}

#[test]
fn a_deleted_last_event_is_caught_by_the_state_it_left_and_by_a_held_head() {
    let sandbox = audited();
    // Sign-off froze Q4; a second campaign takes the last decision.
    sandbox.ok(&[
        "campaign",
        "new",
        "Q1",
        "--due",
        "2027-01-15",
        "--as-of",
        "2026-11-22",
    ]);
    let item = sandbox.sample_item("Q1", 1);
    sandbox.ok(&["decide", "Q1", &item, "revoke", "--note", "gone"]);
    let held = head(&sandbox);
    assert!(
        sandbox
            .ok(&["verify", "--head", &held])
            .contains("is event 9 of 9")
    );

    // The last event deleted: the item state it produced no longer agrees.
    behind_recerts_back(&sandbox, "DELETE FROM event WHERE seq = 9");
    let err = sandbox.fails(1, &["verify"]);
    assert!(
        err.contains(&format!("item {item} has a recorded state but no events")),
        "{err}"
    );

    // A careful forger also removes the derived state and puts the
    // triggers back: only the head an auditor holds from an earlier report
    // still shows the cut.
    behind_recerts_back(
        &sandbox,
        &format!(
            "DELETE FROM item_state WHERE item = {item};
             UPDATE tally SET n = n - 1 WHERE campaign = 2 AND state = 'revoke';
             UPDATE tally SET n = n + 1 WHERE campaign = 2 AND state = 'undecided';"
        ),
    );
    let out = sandbox.ok(&["verify"]);
    assert!(out.contains("audit chain intact: 8 events"), "{out}");
    let err = sandbox.fails(1, &["verify", "--head", &held]);
    assert!(
        err.contains(&format!("head {held} is not in the audit chain")),
        "{err}"
    );
}

#[test]
fn an_inserted_event_is_named_even_with_a_correct_hash() {
    let sandbox = audited();
    let conn = tamper(&sandbox);
    // Make room at 4 and insert a forged attest there, hashed correctly
    // onto event 3: the chain breaks at the event that follows it.
    conn.execute_batch(
        "UPDATE event SET seq = seq + 100 WHERE seq >= 4;
         UPDATE event SET seq = seq - 99 WHERE seq >= 104;",
    )
    .unwrap();
    let prev: String = conn
        .query_row("SELECT hash FROM event WHERE seq = 3", [], |r| r.get(0))
        .unwrap();
    let body = r#"{"assigned_to":"x","recommendation":"revoke","against_recommendation":true,"self_review":false,"bulk":false}"#;
    let forged = EventContent {
        seq: 4,
        kind: "attest",
        campaign: Some(1),
        item: Some(13),
        actor: REVIEWER,
        actor_via: Some("asserted"),
        at: "2026-11-22T10:00:00.000Z",
        note: Some("approved"),
        body,
    };
    let hash = event_hash(&prev, &forged);
    conn.execute(
        "INSERT INTO event (seq, kind, campaign, item, actor, actor_via, at, note, body,
             prev_hash, hash)
         VALUES (4, 'attest', 1, 13, ?1, 'asserted', '2026-11-22T10:00:00.000Z', 'approved', ?2,
             ?3, ?4)",
        params![REVIEWER, body, prev, hash],
    )
    .unwrap();
    let err = sandbox.fails(1, &["verify"]);
    assert!(err.contains("audit chain broken at event 5"), "{err}");
    assert!(err.contains("deleted, inserted or reordered"), "{err}");

    // A clumsier forger who appends without the right hash is named directly.
    let sandbox = audited();
    tamper(&sandbox)
        .execute(
            "INSERT INTO event (seq, kind, campaign, item, actor, actor_via, at, note, body,
                 prev_hash, hash)
             SELECT 8, 'attest', 1, 13, actor, actor_via, at, 'ok', body, hash, hash
             FROM event WHERE seq = 7",
            [],
        )
        .unwrap();
    let err = sandbox.fails(1, &["verify"]);
    assert!(
        err.contains("audit chain broken at event 8 (attest)"),
        "{err}"
    );
}

#[test]
fn swapped_events_are_named() {
    let sandbox = audited();
    tamper(&sandbox)
        .execute_batch(
            "UPDATE event SET seq = 100 WHERE seq = 4;
             UPDATE event SET seq = 4 WHERE seq = 5;
             UPDATE event SET seq = 5 WHERE seq = 100;",
        )
        .unwrap();
    let err = sandbox.fails(1, &["verify"]);
    assert!(err.contains("audit chain broken at event 4"), "{err}");
}

#[test]
fn edited_evidence_is_caught_by_the_campaign_digest() {
    let sandbox = audited();
    behind_recerts_back(
        &sandbox,
        // The frozen evidence is the grant version the item points at.
        "UPDATE entitlement SET last_used_at = '2026-11-20'
         WHERE id = (SELECT entitlement FROM item WHERE id = 1)",
    );
    let err = sandbox.fails(1, &["verify"]);
    assert!(
        err.contains("event 2: campaign \"Q4\": its 30 frozen items do not match"),
        "{err}"
    );
    let out = sandbox.cmd().arg("verify").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("audit chain intact"),
        "the log itself is fine: {stdout}"
    );
    let chain_only = sandbox.ok(&["verify", "--chain-only"]);
    assert!(!chain_only.contains("evidence"), "{chain_only}");
}

#[test]
fn a_report_head_verifies_and_a_malformed_one_is_a_usage_error() {
    let sandbox = audited();
    let held = head(&sandbox);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q1",
        "--due",
        "2027-01-15",
        "--as-of",
        "2026-11-22",
    ]);
    let out = sandbox.ok(&["verify", "--head", &held.to_uppercase()]);
    assert!(out.contains("is event 7 of 8"), "{out}");
    assert!(out.contains("1 event appended since"), "{out}");
    assert!(out.contains("evidence matches the log"), "{out}");
    let err = sandbox.fails(2, &["verify", "--head", "abc"]);
    assert!(err.contains("64 hex digits"), "{err}");
}
