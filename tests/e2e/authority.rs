//! People, modes and authority through the real binary: the people
//! register (all-or-nothing, audited), switching to shared mode, who acts
//! and how that was established, and who may decide an item.

use crate::util::{REVIEWER, Sandbox, os_account};
use rusqlite::Connection;

const ANNA: &str = "a.kowalski@northwind.example.com";
const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwPfk5oJSAN6n5b7Tz3sR0K6K0bGv8+4qVfPzpr2wP3 dana@laptop";

/// The latest event's actor, how it was established, and its body.
fn last_event(sandbox: &Sandbox) -> (String, String, String) {
    Connection::open(sandbox.db())
        .unwrap()
        .query_row(
            "SELECT actor, actor_via, body FROM event ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

#[test]
fn the_people_register_is_imported_whole_or_not_at_all_and_audited() {
    let sandbox = Sandbox::new();
    let bad = sandbox.write(
        "people.csv",
        "email,name,roles,os_user,ssh_key\n\
         dana@x.example,Dana,admin,dana,\n\
         lee@x.example,Lee,boss,dana,\n",
    );
    let before = sandbox.dump();
    let err = sandbox.fails(1, &["people", "import", bad.to_str().unwrap()]);
    assert!(
        err.contains("people.csv:3: roles: \"boss\" is not one of admin, auditor"),
        "{err}"
    );
    assert!(
        err.contains("people.csv:3: os_user: dana is dana@x.example's OS account already (line 2)"),
        "{err}"
    );
    assert_eq!(sandbox.dump(), before, "nothing was recorded");

    let good = sandbox.write(
        "people.csv",
        &format!(
            "email,name,roles,os_user,ssh_key\n\
             Dana@X.example ,Dana,admin;auditor,dana,{KEY}\n\
             lee@x.example,Lee,,,\n"
        ),
    );
    let out = sandbox.ok(&["people", "import", good.to_str().unwrap(), "--dry-run"]);
    assert!(out.contains("2 people would be added"), "{out}");
    assert_eq!(sandbox.dump(), before, "a dry run records nothing");
    let out = sandbox.ok(&["people", "import", good.to_str().unwrap()]);
    assert!(
        out.contains("2 people were added, 0 changed, 0 unchanged"),
        "{out}"
    );
    let list = sandbox.json(&["people", "list", "--json"]);
    assert_eq!(list[0]["email"], "dana@x.example");
    assert_eq!(list[0]["roles"], serde_json::json!(["admin", "auditor"]));
    assert_eq!(
        list[0]["ssh_key_fingerprints"][0],
        "SHA256:0YS7ACIBC+D1e5CWCUygvcgGUfu+07ZcRYD25As9fk4"
    );
    let again = sandbox.ok(&["people", "import", good.to_str().unwrap()]);
    assert!(again.contains("0 changed, 2 unchanged"), "{again}");

    let out = sandbox.ok(&[
        "people",
        "add",
        "LEE@x.example",
        "--role",
        "auditor",
        "--name",
        "Lee K.",
    ]);
    assert!(out.contains("lee@x.example updated"), "{out}");
    sandbox.ok(&["people", "remove", "lee@x.example"]);
    assert_eq!(
        sandbox
            .json(&["people", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    sandbox.fails(1, &["people", "remove", "lee@x.example"]);
    sandbox.fails(2, &["people", "add", "not-an-email"]);
    sandbox.fails(2, &["people", "add", "x@y", "--ssh-key", "ssh-rsa AAAA"]);

    let (actor, via, body) = last_event(&sandbox);
    assert_eq!((actor.as_str(), via.as_str()), (REVIEWER, "asserted"));
    assert!(body.contains("lee@x.example"), "{body}");
    let verify = sandbox.ok(&["verify"]);
    assert!(verify.contains("audit chain intact"), "{verify}");
}

/// A database becomes shared at the hands of an admin recert recognises by
/// their OS account; from then on that account is who acts, a foreign --as
/// is refused, and only an item's reviewer decides it (the owner with
/// --override and a note).
#[test]
fn shared_mode_establishes_who_acts_and_holds_each_to_their_items() {
    let sandbox = Sandbox::with_campaign();
    let me = os_account();
    // Not an admin yet, or only as stated: refused.
    let err = sandbox.fails(1, &["mode", "shared"]);
    assert!(
        err.contains("only an admin makes a database shared"),
        "{err}"
    );
    sandbox.ok(&["people", "add", REVIEWER, "--role", "admin"]);
    let err = sandbox.fails(1, &["mode", "shared"]);
    assert!(
        err.contains("takes m.santos@northwind.example.com as stated"),
        "{err}"
    );
    sandbox.ok(&["people", "add", REVIEWER, "--os-user", &me]);
    let out = sandbox.ok(&["mode", "shared", "--note", "Q4 with the sponsors"]);
    assert!(out.contains("the database is shared now"), "{out}");
    let (_, via, _) = last_event(&sandbox);
    assert_eq!(via, format!("os_user:{me}"));
    assert!(sandbox.ok(&["mode"]).starts_with("shared"));

    // Someone else's name is refused, saying who recert takes you for.
    let err = sandbox.fails(1, &["--as", ANNA, "items", "Q4"]);
    assert!(err.is_empty() || !err.contains("panicked"), "{err}");
    let item = sandbox.sample_item("Q4", 1); // Anna sponsors it.
    let err = sandbox.fails(
        1,
        &["--as", ANNA, "decide", "Q4", &item, "attest", "--note", "x"],
    );
    assert!(
        err.contains(&format!(
            "recert takes you for {REVIEWER} (by the OS account {me})"
        )),
        "{err}"
    );
    // The owner is not the item's reviewer: refused, told who may.
    let err = sandbox.fails(1, &["decide", "Q4", &item, "revoke", "--note", "gone"]);
    assert!(
        err.contains(&format!("item {item} is {ANNA}'s to decide")),
        "{err}"
    );
    assert!(err.contains("--override and a note"), "{err}");
    // With --override and a note, recorded as an override.
    let err = sandbox.fails(1, &["decide", "Q4", &item, "revoke", "--override"]);
    assert!(err.contains("needs a note"), "{err}");
    sandbox.ok(&[
        "decide",
        "Q4",
        &item,
        "revoke",
        "--override",
        "--note",
        "Anna is on leave; contract ended",
    ]);
    let (actor, via, body) = last_event(&sandbox);
    assert_eq!((actor.as_str(), via), (REVIEWER, format!("os_user:{me}")));
    assert!(
        body.contains(&format!("\"override_of\":\"{ANNA}\"")),
        "{body}"
    );

    // An unknown reassign target is refused with the closest known names;
    // in shared mode only the people register counts.
    let own = sandbox.sample_item("Q4", 8); // Kenji has no sponsor: the owner reviews it.
    let err = sandbox.fails(
        1,
        &[
            "decide",
            "Q4",
            &own,
            "reassign",
            "--to",
            "m.santo@northwind.example.com",
            "--note",
            "x",
        ],
    );
    assert!(
        err.contains("did you mean m.santos@northwind.example.com"),
        "{err}"
    );
    // The last admin recert can establish cannot give the role up.
    let err = sandbox.fails(1, &["people", "add", REVIEWER, "--no-roles"]);
    assert!(err.contains("admin"), "{err}");
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

/// In a personal database anyone may decide any item, recorded as on
/// behalf of its reviewer; a reassign needs a target recert knows, and the
/// reviewer it moved away from then decides only on the new one's behalf.
#[test]
fn a_personal_database_records_decisions_on_anothers_behalf() {
    let sandbox = Sandbox::with_campaign();
    let item = sandbox.sample_item("Q4", 1); // Anna sponsors it.
    sandbox.ok(&[
        "decide",
        "Q4",
        &item,
        "attest",
        "--note",
        "checked with Anna",
    ]);
    let (actor, via, body) = last_event(&sandbox);
    assert_eq!((actor.as_str(), via.as_str()), (REVIEWER, "asserted"));
    assert!(
        body.contains(&format!("\"on_behalf_of\":\"{ANNA}\"")),
        "{body}"
    );

    let other = sandbox.sample_item("Q4", 2);
    for (target, hint) in [("f.als", ""), ("jdoe@", ""), ("foo", "")] {
        let err = sandbox.fails(
            1,
            &[
                "--as", ANNA, "decide", "Q4", &other, "reassign", "--to", target, "--note", "x",
            ],
        );
        assert!(
            err.contains("is not someone recert knows"),
            "{target}: {err}{hint}"
        );
    }
    sandbox.ok(&[
        "--as",
        ANNA,
        "decide",
        "Q4",
        &other,
        "reassign",
        "--to",
        "T.Nguyen@northwind.example.com",
        "--note",
        "his system",
    ]);
    sandbox.ok(&[
        "--as",
        ANNA,
        "decide",
        "Q4",
        &other,
        "attest",
        "--note",
        "still needed",
    ]);
    let (_, _, body) = last_event(&sandbox);
    assert!(
        body.contains("\"on_behalf_of\":\"t.nguyen@northwind.example.com\""),
        "the item moved to Tom: Anna decides it on his behalf now: {body}"
    );
}

/// In a shared database the register, the mode, imports and new campaigns
/// are an admin's: someone recert establishes who is not one is refused.
#[test]
fn a_shared_database_keeps_admin_work_for_admins() {
    let sandbox = Sandbox::with_campaign();
    let me = os_account();
    sandbox.ok(&[
        "people",
        "add",
        REVIEWER,
        "--role",
        "admin",
        "--os-user",
        &me,
    ]);
    // Another admin, reachable by an SSH key, so the last step keeps one.
    sandbox.ok(&[
        "people",
        "add",
        "d.moreau@northwind.example.com",
        "--role",
        "admin",
        "--ssh-key",
        KEY,
    ]);
    sandbox.ok(&["mode", "shared"]);
    sandbox.ok(&["people", "add", REVIEWER, "--no-roles"]);
    let before = sandbox.dump();
    let sample = crate::util::fixture("canonical/sample.csv");
    for args in [
        vec!["import", sample.to_str().unwrap()],
        vec!["people", "add", "x@northwind.example.com"],
        vec!["mode", "personal"],
        vec!["campaign", "new", "Q1", "--due", "2027-03-31"],
    ] {
        let err = sandbox.fails(1, &args);
        assert!(err.contains("admin"), "{args:?}: {err}");
        assert!(err.contains(REVIEWER), "says who was refused: {err}");
    }
    assert_eq!(sandbox.dump(), before, "nothing was recorded");
    // Reading stays open to them.
    sandbox.ok(&["items", "Q4"]);
    sandbox.ok(&["verify"]);
}

/// The README's walkthrough as a single admin: no people register, a
/// personal database, every decision and sign-off taken as stated, the
/// owner deciding a sponsor's item on her behalf and signing off whole in
/// one command, then close, a report and verify.
#[test]
fn a_single_admin_walks_the_readme_with_no_people_register() {
    let sandbox = Sandbox::new();
    let campaign = "Q4 partner review";
    sandbox.ok(&["init"]);
    let estate = crate::util::fixture("canonical/sample.csv");
    sandbox.ok(&["import", estate.to_str().unwrap()]);
    sandbox.ok(&[
        "campaign",
        "new",
        campaign,
        "--due",
        "2026-12-15",
        "--where",
        "relationship=contractor,partner",
        "--reviewer-rule",
        "sponsor",
    ]);
    assert!(sandbox.ok(&["mode"]).starts_with("personal"));
    assert_eq!(
        sandbox.json(&["people", "list", "--json"]),
        serde_json::json!([])
    );
    sandbox.ok(&["campaign", "list"]);
    let dormant = sandbox.json(&["items", campaign, "--where", "flag=dormant", "--json"]);
    let annas = dormant
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reviewer"] == ANNA)
        .expect("Anna sponsors a dormant item");
    let item = annas["id"].to_string();
    // Anna's item, decided by the admin: on her behalf, as stated.
    sandbox.ok(&[
        "decide",
        campaign,
        &item,
        "revoke",
        "--note",
        "contract ended in June",
    ]);
    let (actor, via, body) = last_event(&sandbox);
    assert_eq!((actor.as_str(), via.as_str()), (REVIEWER, "asserted"));
    assert!(
        body.contains(&format!("\"on_behalf_of\":\"{ANNA}\"")),
        "{body}"
    );
    sandbox.ok(&["signoff", campaign, "--preview"]);
    // The owner without --final is told what to type.
    let err = sandbox.fails(1, &["signoff", campaign, "--note", "done"]);
    assert!(err.contains("--final"), "{err}");
    let show = sandbox.json(&["campaign", "show", campaign, "--json"]);
    let unsigned = show["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["owners_part"] == false && p["signer"].is_null())
        .count()
        .to_string();
    let undecided = (show["items"].as_u64().unwrap() - 1).to_string();
    sandbox.ok(&[
        "signoff",
        campaign,
        "--final",
        "--note",
        &format!("checked; {undecided} undecided wait for owners"),
        "--accept-unsigned",
        &unsigned,
        "--accept-undecided",
        &undecided,
    ]);
    sandbox.ok(&["close", campaign]);
    let report = sandbox.path("q4.html");
    sandbox.ok(&[
        "report",
        campaign,
        "--format",
        "html",
        "--out",
        report.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("asserted, not authenticated"),
        "the report says so"
    );
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
    let vias: Vec<String> = Connection::open(sandbox.db())
        .unwrap()
        .prepare("SELECT DISTINCT actor_via FROM event")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(vias, ["asserted"], "every event was taken as stated");
}
