//! Evidence `recert verify` must not let change unnoticed, end to end:
//! what imports wrote, the schema, a campaign's policy, and events the
//! rules would have refused, each changed as someone with the file and the
//! `sqlite3` shell (or with recert's own code) could. And what only a held
//! head proves: history rewritten wholesale verifies on its own.

use crate::audit::behind_recerts_back;
use crate::util::{REVIEWER, Sandbox, fixture};
use recert::audit::{EventContent, GENESIS, event_hash};
use rusqlite::{Connection, params};

fn sample() -> String {
    fixture("canonical/sample.csv")
        .to_str()
        .unwrap()
        .to_string()
}

/// A database holding the sample's 30 grants: event 1 is their import.
fn imported() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", &sample()]);
    sandbox
}

/// The chain head `verify` prints, as an auditor would keep it.
fn held_head(sandbox: &Sandbox) -> String {
    let out = sandbox.ok(&["verify", "--chain-only"]);
    let (_, head) = out.split_once(", head ").expect("a head");
    head.trim().to_string()
}

#[test]
fn rows_an_import_wrote_cannot_change_before_a_campaign_freezes_them() {
    let cases = [
        (
            "DELETE FROM entitlement WHERE id = 5",
            "the grant versions it wrote do not match its digest (29 now, 30 recorded): the \
             entitlement table was edited",
        ),
        (
            "UPDATE entitlement SET privileged = 0 WHERE privileged = 1",
            "the grant versions it wrote do not match its digest (30 rows as recorded, but \
             not the values)",
        ),
        (
            "INSERT INTO entitlement (key, identity, system, name, privileged, shared, snapshot,
                 source_line)
             VALUES (99, 1, 'github', 'repo:admin', 1, 0, 1, 99)",
            "the grant versions it wrote do not match its digest (31 now, 30 recorded)",
        ),
        (
            "UPDATE identity SET name = 'Someone Else' WHERE id = 1",
            "the identity versions it wrote do not match its digest",
        ),
        (
            "DELETE FROM snapshot_scope WHERE system = 'github'",
            "the scopes it speaks for do not match its digest",
        ),
        (
            "UPDATE snapshot SET rows = 29",
            "snapshot 1: its counts (rows/added/changed/unchanged/removed) \"29/30/0/0/0\", \
             recorded \"30/30/0/0/0\"",
        ),
    ];
    for (sql, expected) in cases {
        let sandbox = imported();
        let held = held_head(&sandbox);
        behind_recerts_back(&sandbox, sql);
        let err = sandbox.fails(1, &["verify"]);
        assert!(err.contains("event 1: "), "{sql}: {err}");
        assert!(err.contains(expected), "{sql}: {err}");
        assert!(!err.contains("schema"), "a careful forger: {err}");
        let err = sandbox.fails(1, &["verify", "--head", &held]);
        assert!(
            err.contains(&format!(
                "head {held} is event 1 of 1, but evidence recorded at or before it no longer \
                 matches (event 1, below)"
            )),
            "{sql}: {err}"
        );
    }
}

#[test]
fn later_imports_mark_earlier_rows_without_breaking_their_digests_and_own_the_marks() {
    let sandbox = imported();
    // Two grants gone, one changed: the second import supersedes one
    // version and marks two removed.
    let sample = std::fs::read_to_string(fixture("canonical/sample.csv")).unwrap();
    let mut lines: Vec<String> = sample.lines().map(str::to_string).collect();
    lines.remove(5);
    lines.remove(4);
    lines[1] = lines[1].replace(
        "Partner Community User,false",
        "Partner Community User,true",
    );
    sandbox.write("next.csv", &(lines.join("\n") + "\n"));
    sandbox.ok(&["import", "next.csv"]);
    sandbox.write(
        "register.csv",
        "identity_id,relationship\nl.brandt@copperline.example.com,vendor\n",
    );
    sandbox.ok(&["import", "register.csv"]);
    let out = sandbox.ok(&["verify"]);
    assert!(
        out.contains("3 snapshots their imports, and what 3 imports wrote their digests"),
        "{out}"
    );

    let cases = [
        (
            "UPDATE entitlement SET removed_snapshot = NULL WHERE removed_snapshot = 2",
            "event 2: import of snapshot 2 (next.csv): the grant versions it marked removed do \
             not match its digest (0 now, 2 recorded)",
        ),
        (
            "DELETE FROM entitlement_change WHERE snapshot = 2 AND kind = 'changed'",
            "event 2: import of snapshot 2 (next.csv): the grant changes it logged do not match \
             its digest (2 now, 3 recorded): the entitlement_change table was edited",
        ),
        (
            "UPDATE register_entry SET relationship = 'employee'",
            "event 3: import of snapshot 3 (register.csv): the register entries it wrote do not \
             match its digest (1 row as recorded, but not the values): the register_entry \
             table was edited",
        ),
    ];
    let db = std::fs::read(sandbox.db()).unwrap();
    for (sql, expected) in cases {
        std::fs::write(sandbox.db(), &db).unwrap();
        behind_recerts_back(&sandbox, sql);
        let err = sandbox.fails(1, &["verify"]);
        assert!(err.contains(expected), "{sql}: {err}");
        assert!(
            !err.contains("event 1:"),
            "the first import is intact: {err}"
        );
    }
}

#[test]
fn every_difference_from_recerts_schema_is_named() {
    let sandbox = imported();
    let conn = Connection::open(sandbox.db()).unwrap();
    conn.execute_batch(
        "DROP TRIGGER entitlement_no_update;
         CREATE TRIGGER launder AFTER INSERT ON entitlement
         BEGIN UPDATE entitlement SET privileged = 0 WHERE id = NEW.id; END;
         DROP TRIGGER event_no_delete;
         CREATE TRIGGER event_no_delete BEFORE DELETE ON event WHEN 0
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
         DROP INDEX event_by_item;
         CREATE VIEW everything AS SELECT * FROM entitlement;
         ANALYZE;",
    )
    .unwrap();
    drop(conn);
    // The planted trigger launders the next import's privileged grant.
    sandbox.write(
        "more.csv",
        &format!(
            "{}\nnorthwind,okta,z.new@northwind.example.com,Zed New,human,employee,,,,\
             Super Admin,true,,,,,,,,,false,\n",
            std::fs::read_to_string(fixture("canonical/sample.csv"))
                .unwrap()
                .trim_end()
        ),
    );
    sandbox.ok(&["import", "more.csv"]);
    let err = sandbox.fails(1, &["verify"]);
    let schema: Vec<&str> = err.lines().filter(|l| l.contains("schema")).collect();
    assert_eq!(
        schema,
        [
            "the schema has a trigger launder on table entitlement that recert does not \
             create: CREATE TRIGGER launder AFTER INSERT ON entitlement BEGIN UPDATE \
             entitlement SET privileged = 0 WHERE id = NEW.id; END",
            "the schema has a view everything that recert does not create: CREATE VIEW \
             everything AS SELECT * FROM entitlement",
            "the schema's trigger event_no_delete on table event is not the one recert \
             creates: it reads CREATE TRIGGER event_no_delete BEFORE DELETE ON event WHEN 0 \
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); …",
            "the schema lacks recert's index event_by_item on table event: it was dropped",
            "the schema lacks recert's trigger entitlement_no_update on table entitlement: it \
             was dropped",
        ],
        "{err}"
    );
    assert!(
        err.contains(
            "event 2: import of snapshot 2 (more.csv): the grant versions it wrote do not \
             match its digest (1 row as recorded, but not the values)"
        ),
        "what the trigger laundered shows too: {err}"
    );
    assert!(!err.contains("sqlite_stat"), "SQLite's own tables: {err}");
}

/// SQLite refuses `CREATE TRIGGER sqlite_…`, but a row written into its
/// schema table under that name loads and runs like any trigger.
#[test]
fn a_trigger_hidden_under_sqlites_own_prefix_is_named() {
    let sandbox = imported();
    let conn = Connection::open(sandbox.db()).unwrap();
    conn.execute_batch(
        "PRAGMA writable_schema = ON;
         INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql)
         VALUES ('trigger', 'sqlite_hidden', 'event', 0,
                 'CREATE TRIGGER sqlite_hidden BEFORE INSERT ON event
                  WHEN NEW.kind = ''campaign_created''
                  BEGIN SELECT RAISE(ABORT, ''the hidden trigger ran''); END');
         PRAGMA writable_schema = OFF;",
    )
    .unwrap();
    drop(conn);
    let err = sandbox.fails(1, &["campaign", "new", "Q4", "--due", "2026-12-15"]);
    assert!(err.contains("the hidden trigger ran"), "it runs: {err}");
    let err = sandbox.fails(1, &["verify"]);
    assert!(
        err.contains(
            "the schema has a trigger sqlite_hidden on table event that recert does not create"
        ),
        "{err}"
    );
}

#[test]
fn a_campaign_policy_edited_to_let_decisions_through_is_named_with_what_it_let_through() {
    let sandbox = Sandbox::with_campaign();
    behind_recerts_back(
        &sandbox,
        "UPDATE campaign SET policy = json_set(policy, '$.exception_max_days', 36500,
             '$.notes.revoke', json('false')) WHERE name = 'Q4'",
    );
    let (long, silent) = (sandbox.sample_item("Q4", 2), sandbox.sample_item("Q4", 1));
    // The edited policy lets a 93-year exception and a note-less revoke in.
    sandbox.ok(&[
        "decide",
        "Q4",
        &long,
        "exception",
        "--until",
        "2119-11-01",
        "--ticket",
        "T-1",
        "--note",
        "a long migration",
    ]);
    sandbox.ok(&["decide", "Q4", &silent, "revoke"]);
    let err = sandbox.fails(1, &["verify"]);
    for expected in [
        "event 2: campaign \"Q4\": its policy differs from the one its creation event \
         recorded: exception_max_days 36500 (recorded 365), notes.revoke false (recorded \
         true): the campaign table was edited"
            .to_string(),
        format!(
            "event 3: an exception of item {long} in campaign \"Q4\" until 2119-11-01, refused \
             by the recorded policy on its date 2026-11-22 (the exception end 2119-11-01 is \
             beyond the policy maximum of 365 days (2027-11-22)): the rules refuse it"
        ),
        format!(
            "event 4: a revoke of item {silent} in campaign \"Q4\" without a note, which the \
             campaign's recorded policy requires (a revoke needs a note): the rules refuse it"
        ),
    ] {
        assert!(err.contains(&expected), "{expected}\n{err}");
    }
}

/// Q4 with two decisions, signed off (event 5) and closed: the close
/// action keeps the other 28 (events 6–33), then the close (event 34).
fn closed() -> Sandbox {
    let sandbox = Sandbox::with_campaign();
    for (n, decision) in [(1, "revoke"), (3, "attest")] {
        sandbox.ok(&[
            "decide",
            "Q4",
            &sandbox.sample_item("Q4", n),
            decision,
            "--note",
            "checked",
        ]);
    }
    sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--accept-unsigned",
        "1",
        "--note",
        "28 undecided: the rest keep",
        "--accept-undecided",
        "28",
    ]);
    sandbox.ok(&["close", "Q4"]);
    let out = sandbox.ok(&["verify"]);
    assert!(out.contains("audit chain intact: 34 events"), "{out}");
    assert!(out.contains("no event breaks the rules"), "{out}");
    sandbox
}

/// Appends a correctly hashed revoke of `item`, as someone with recert's
/// code could, with the derived state made to agree.
fn append_revoke(sandbox: &Sandbox, item: &str, at: &str, close_action: bool) -> i64 {
    let conn = Connection::open(sandbox.db()).unwrap();
    let (seq, prev): (i64, String) = conn
        .query_row(
            "SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let body = format!(
        r#"{{"assigned_to":"{REVIEWER}","recommendation":"keep","against_recommendation":false,"self_review":false,"bulk":false{}}}"#,
        if close_action {
            r#","close_action":"keep""#
        } else {
            ""
        }
    );
    let item_id: i64 = item.parse().unwrap();
    let forged = EventContent {
        seq: seq + 1,
        kind: "revoke",
        campaign: Some(1),
        item: Some(item_id),
        actor: REVIEWER,
        actor_via: Some("asserted"),
        at,
        note: Some("left in October"),
        body: &body,
    };
    conn.execute(
        "INSERT INTO event (seq, kind, campaign, item, actor, actor_via, at, note, body,
             prev_hash, hash)
         VALUES (?1, 'revoke', 1, ?2, ?3, 'asserted', ?4, 'left in October', ?5, ?6, ?7)",
        params![
            seq + 1,
            item_id,
            REVIEWER,
            at,
            body,
            prev,
            event_hash(&prev, &forged)
        ],
    )
    .unwrap();
    // The tally's triggers follow the item state.
    conn.execute(
        "INSERT INTO item_state (item, campaign, decision, decided_event, last_event, assignee)
         SELECT id, campaign, 'revoke', ?2, ?2, reviewer FROM item WHERE id = ?1
         ON CONFLICT (item) DO UPDATE SET decision = 'revoke',
             decided_event = excluded.decided_event, last_event = excluded.last_event",
        params![item_id, seq + 1],
    )
    .unwrap();
    seq + 1
}

#[test]
fn a_correctly_hashed_back_dated_decision_after_the_close_is_refused() {
    for close_action in [false, true] {
        let sandbox = closed();
        let item = sandbox.sample_item("Q4", 2);
        let forged = append_revoke(&sandbox, &item, "2026-11-20T10:00:00.000Z", close_action);
        // The report shows the closed campaign with a changed outcome.
        let report = sandbox.json(&["report", "Q4", "--format", "json"]);
        assert_eq!(report["campaign"]["state"], "closed", "{report}");
        let err = sandbox.fails(1, &["verify"]);
        assert!(
            err.contains(&format!(
                "event {forged}: a revoke of item {item} in campaign \"Q4\" recorded after the \
                 campaign was closed (event 34): the rules refuse it"
            )),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "event {forged}: revoke event: its time 2026-11-20T10:00:00.000Z is before event \
                 34's 2026-11-22T10:00:00.000Z, which it follows in the log: it was back-dated \
                 or inserted"
            )),
            "{err}"
        );
        assert!(!err.contains("item_state was edited"), "{err}");
    }
}

#[test]
fn a_decision_after_the_sign_off_is_refused_and_small_clock_differences_are_not() {
    let sandbox = Sandbox::with_campaign();
    sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--accept-unsigned",
        "1",
        "--note",
        "all undecided",
        "--accept-undecided",
        "30",
    ]);
    let item = sandbox.sample_item("Q4", 2);
    // Two minutes before the sign-off: within what several processes'
    // clocks may differ by, so only the sign-off rule speaks.
    let forged = append_revoke(&sandbox, &item, "2026-11-22T09:58:00.000Z", false);
    let err = sandbox.fails(1, &["verify"]);
    assert!(
        err.contains(&format!(
            "event {forged}: a revoke of item {item} in campaign \"Q4\" recorded after the \
             campaign was signed off (event 3): the rules refuse it"
        )),
        "{err}"
    );
    assert!(!err.contains("back-dated"), "{err}");
}

/// Appends a correctly hashed event as someone with recert's code could.
fn append_event(conn: &Connection, kind: &str, item: Option<i64>, note: &str, body: &str) -> i64 {
    let (seq, prev): (i64, String) = conn
        .query_row(
            "SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let at = "2026-11-22T10:00:00.000Z";
    let content = EventContent {
        seq: seq + 1,
        kind,
        campaign: Some(1),
        item,
        actor: REVIEWER,
        actor_via: Some("asserted"),
        at,
        note: Some(note),
        body,
    };
    conn.execute(
        "INSERT INTO event (seq, kind, campaign, item, actor, actor_via, at, note, body,
                            prev_hash, hash)
         VALUES (?1, ?2, 1, ?3, ?4, 'asserted', ?5, ?6, ?7, ?8, ?9)",
        params![
            seq + 1,
            kind,
            item,
            REVIEWER,
            at,
            note,
            body,
            prev,
            event_hash(&prev, &content)
        ],
    )
    .unwrap();
    seq + 1
}

#[test]
fn a_forged_close_that_changes_a_signed_off_decision_is_refused() {
    let sandbox = Sandbox::with_campaign();
    let item = sandbox.sample_item("Q4", 1);
    let decided = sandbox.ok(&["decide", "Q4", &item, "revoke", "--note", "left in June"]);
    assert!(decided.contains("(event 3)"), "{decided}");
    sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--accept-unsigned",
        "1",
        "--note",
        "29 undecided: the rest keep",
        "--accept-undecided",
        "29",
    ]);
    let head = held_head(&sandbox);
    // The close, as recert writes it, but its first close action keeps the
    // revoked item: appended after the held head, all hashes correct.
    let conn = Connection::open(sandbox.db()).unwrap();
    let id: i64 = item.parse().unwrap();
    let body = r#"{"assigned_to":"m.santos@northwind.example.com","recommendation":"revoke","against_recommendation":true,"self_review":false,"bulk":true,"close_action":"keep"}"#;
    let forged = append_event(&conn, "attest", Some(id), "nobody decided this item", body);
    conn.execute(
        "UPDATE item_state SET decision = 'attest', decided_event = ?2, last_event = ?2
         WHERE item = ?1",
        params![id, forged],
    )
    .unwrap();
    append_event(
        &conn,
        "campaign_closed",
        None,
        "closed",
        r#"{"on_close":"keep","kept":1,"revoked":0}"#,
    );
    drop(conn);
    let report = sandbox.json(&["report", "Q4", "--format", "json"]);
    assert_eq!(report["campaign"]["state"], "closed", "{report}");
    let err = sandbox.fails(1, &["verify", "--head", &head]);
    assert!(
        err.contains(&format!(
            "event {forged}: an attest of item {item} in campaign \"Q4\" marked as a close \
             action, but the item was already decided (revoke, event 3) and a close decides only \
             what nobody decided: the rules refuse it"
        )),
        "{err}"
    );
    assert!(!err.contains("item_state was edited"), "{err}");
}

#[test]
fn a_forged_close_that_leaves_items_undecided_is_refused() {
    let sandbox = Sandbox::with_campaign();
    sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--accept-unsigned",
        "1",
        "--note",
        "30 undecided: the close revokes them",
        "--accept-undecided",
        "30",
    ]);
    let head = held_head(&sandbox);
    // A close event that says what the close action did, without doing it.
    let conn = Connection::open(sandbox.db()).unwrap();
    let close = append_event(
        &conn,
        "campaign_closed",
        None,
        "closed",
        r#"{"on_close":"keep","kept":30,"revoked":0}"#,
    );
    drop(conn);
    let err = sandbox.fails(1, &["verify", "--head", &head]);
    assert!(
        err.contains(&format!(
            "event {close}: campaign \"Q4\" was closed (event {close}) with 30 items nobody \
             decided: a close gives each its close action, so the rules refuse this close"
        )),
        "{err}"
    );
}

/// Rewrites the whole log as someone who can write the file can: each
/// event's body through `edit`, every hash after it recomputed.
fn rewrite_history(sandbox: &Sandbox, edit: impl Fn(&str, &mut serde_json::Value) -> bool) {
    let conn = Connection::open(sandbox.db()).unwrap();
    type Row = (
        i64,
        String,
        Option<i64>,
        Option<i64>,
        String,
        String,
        Option<String>,
        String,
    );
    let events: Vec<Row> = conn
        .prepare("SELECT seq, kind, campaign, item, actor, at, note, body FROM event ORDER BY seq")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    drop(conn);
    let mut sql = String::new();
    let mut prev = GENESIS.to_string();
    for (seq, kind, campaign, item, actor, at, note, body) in events {
        let mut value: serde_json::Value = serde_json::from_str(&body).unwrap();
        let body = if edit(&kind, &mut value) {
            value.to_string()
        } else {
            body
        };
        let hash = event_hash(
            &prev,
            &EventContent {
                seq,
                kind: &kind,
                campaign,
                item,
                actor: &actor,
                actor_via: Some("asserted"),
                at: &at,
                note: note.as_deref(),
                body: &body,
            },
        );
        sql.push_str(&format!(
            "UPDATE event SET body = '{}', prev_hash = '{prev}', hash = '{hash}' WHERE seq = {seq};\n",
            body.replace('\'', "''")
        ));
        prev = hash;
    }
    behind_recerts_back(sandbox, &sql);
}

#[test]
fn history_rewritten_wholesale_verifies_on_its_own_but_not_under_a_held_head() {
    let sandbox = Sandbox::with_campaign();
    let held = held_head(&sandbox);
    // As if made before recert recorded import digests and policies.
    rewrite_history(&sandbox, |kind, body| match kind {
        "import" => body.as_object_mut().unwrap().remove("written").is_some(),
        "campaign_created" => body.as_object_mut().unwrap().remove("policy").is_some(),
        _ => false,
    });
    let out = sandbox.ok(&["verify"]);
    assert!(
        out.contains(
            "not checked: what 1 import wrote (it was made before recert recorded import \
             digests)"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "not checked: the policy of 1 campaign and decisions against it (created before \
             recert recorded policies)"
        ),
        "{out}"
    );
    let err = sandbox.fails(1, &["verify", "--head", &held]);
    assert!(
        err.contains(&format!("head {held} is not in the audit chain")),
        "{err}"
    );
}

#[test]
fn every_source_format_binds_what_it_wrote_to_its_import() {
    let sandbox = Sandbox::new();
    let aws = fixture("aws/credential-report-sample.csv");
    let aws = aws.to_str().unwrap();
    sandbox.ok(&["import", "--tenant", "northwind-aws", aws]);
    // The account's empty report: every grant there is marked removed.
    let header = std::fs::read_to_string(aws).unwrap();
    let empty = sandbox.write("empty.csv", header.lines().next().unwrap());
    sandbox.ok(&[
        "import",
        "--tenant",
        "northwind-aws",
        empty.to_str().unwrap(),
    ]);
    let (users, groups) = (
        fixture("scim/users-sample.json"),
        fixture("scim/groups-sample.json"),
    );
    sandbox.ok(&[
        "import",
        users.to_str().unwrap(),
        groups.to_str().unwrap(),
        "--tenant",
        "northwind",
    ]);
    sandbox.ok(&["import", &sample()]);
    sandbox.write("register.csv", "identity_id,relationship\nx@y,partner\n");
    sandbox.ok(&["import", "register.csv"]);
    let out = sandbox.ok(&["verify"]);
    assert!(
        out.contains("5 snapshots their imports, and what 5 imports wrote their digests"),
        "{out}"
    );
    behind_recerts_back(
        &sandbox,
        "UPDATE entitlement SET active = 1 WHERE snapshot = 3 AND active = 0",
    );
    let err = sandbox.fails(1, &["verify"]);
    assert!(
        err.contains(
            "event 3: import of snapshot 3 (users-sample.json, groups-sample.json): the grant \
             versions it wrote do not match its digest"
        ),
        "{err}"
    );
}
