//! Work that stalls, through the real binary: delegating, what waits for a
//! person, reminders, escalation past due, cancelling a campaign, and
//! self-reviews routed away from the identity.

use crate::util::{REVIEWER, Sandbox, fixture, os_account};
use rusqlite::Connection;

const ANNA: &str = "a.kowalski@northwind.example.com";
const TOM: &str = "t.nguyen@northwind.example.com";

/// Makes the database shared, with the test's OS account established as
/// REVIEWER, an admin.
fn share(sandbox: &Sandbox) {
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
    sandbox.ok(&["mode", "shared"]);
}

/// Events of `kind`, oldest first: actor, note, body.
fn events(sandbox: &Sandbox, kind: &str) -> Vec<(String, Option<String>, String)> {
    Connection::open(sandbox.db())
        .unwrap()
        .prepare("SELECT actor, note, body FROM event WHERE kind = ?1 ORDER BY seq")
        .unwrap()
        .query_map([kind], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn verified(sandbox: &Sandbox) {
    let out = sandbox.ok(&["verify"]);
    assert!(out.contains("audit chain intact"), "{out}");
    assert!(out.contains("no event breaks the rules"), "{out}");
}

#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn a_delegate_decides_the_reviewers_items_while_the_delegation_lasts() {
    let sandbox = Sandbox::with_campaign();
    let delegate = |to: &str, until: &str| {
        vec![
            "--as".to_string(),
            ANNA.into(),
            "delegate".into(),
            "--to".into(),
            to.into(),
            "--until".into(),
            until.into(),
        ]
    };

    let err = sandbox.fails(
        1,
        &args(&delegate("r.santos@northwind.example.com", "2026-11-30")),
    );
    assert!(
        err.contains("did you mean m.santos@northwind.example.com"),
        "{err}"
    );
    let err = sandbox.fails(1, &args(&delegate(REVIEWER, "2026-11-21")));
    assert!(err.contains("is in the past"), "{err}");
    let err = sandbox.fails(1, &args(&delegate(ANNA, "2026-11-30")));
    assert!(err.contains("cannot delegate to themselves"), "{err}");
    assert!(events(&sandbox, "delegated").is_empty());

    let mut hers = delegate(REVIEWER, "2026-11-30");
    hers.extend(["--campaign", "Q4", "--note", "on leave"].map(String::from));
    let out = sandbox.ok(&args(&hers));
    assert!(
        out.contains(&format!(
            "{REVIEWER} may decide {ANNA}'s items of \"Q4\" until 2026-11-30"
        )),
        "{out}"
    );
    let list = sandbox.json(&["delegate", "--list", "--json"]);
    assert_eq!(list[0]["from"], ANNA);
    assert_eq!(list[0]["to"], REVIEWER);
    assert_eq!(list[0]["until"], "2026-11-30");
    assert_eq!(list[0]["campaign"], "Q4");
    let (actor, note, _) = &events(&sandbox, "delegated")[0];
    assert_eq!((actor.as_str(), note.as_deref()), (ANNA, Some("on leave")));

    // Shared: the OS account establishes REVIEWER, who decides Anna's item
    // as her delegate, with no override; another campaign's is not his.
    share(&sandbox);
    sandbox.ok(&[
        "campaign",
        "new",
        "Other",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
    ]);
    let item = sandbox.sample_item("Q4", 1); // Anna sponsors it.
    sandbox.ok(&[
        "decide",
        "Q4",
        &item,
        "attest",
        "--note",
        "checked for Anna",
    ]);
    let (actor, _, body) = events(&sandbox, "attest").pop().unwrap();
    assert_eq!(actor, REVIEWER);
    assert!(
        body.contains(&format!("\"delegate_for\":\"{ANNA}\"")),
        "{body}"
    );
    assert!(!body.contains("override_of"), "{body}");
    let other = sandbox.sample_item("Other", 1);
    let err = sandbox.fails(1, &["decide", "Other", &other, "attest", "--note", "x"]);
    assert!(err.contains(&format!("is {ANNA}'s to decide")), "{err}");
    verified(&sandbox);
}

#[test]
fn pending_lists_what_waits_for_a_person_overdue_first_with_the_commands_to_continue() {
    let sandbox = Sandbox::with_campaign(); // Q4 is due 2026-12-15.
    sandbox.ok(&[
        "campaign",
        "new",
        "Late review",
        "--due",
        "2026-11-10",
        "--as-of",
        "2026-11-01",
        "--where",
        "system=github",
    ]);
    let out = sandbox.json(&["--as", ANNA, "pending", "--json"]);
    assert_eq!(out["person"], ANNA);
    let pending = out["pending"].as_array().unwrap();
    let summary: Vec<(&str, &str, i64)> = pending
        .iter()
        .map(|p| {
            (
                p["campaign"].as_str().unwrap(),
                p["kind"].as_str().unwrap(),
                p["days_overdue"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Late review", "items", 12),
            ("Late review", "signoff", 12),
            ("Q4", "items", 0),
            ("Q4", "signoff", 0),
        ]
    );
    // Anna sponsors five of the github grants.
    assert_eq!(pending[0]["items"], 5);
    let first = pending[0]["riskiest"][0].as_i64().unwrap();
    assert_eq!(pending[0]["commands"][0], "recert review 'Late review'");
    assert!(
        pending[0]["commands"][1]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "recert decide 'Late review' {first} attest|revoke"
            )),
        "{}",
        pending[0]["commands"]
    );
    assert_eq!(
        pending[1]["commands"][1],
        "recert signoff 'Late review' --note TEXT"
    );
    let text = sandbox.ok(&["--as", ANNA, "pending"]);
    assert!(
        text.starts_with("\"Late review\": 5 items to decide"),
        "{text}"
    );
    assert!(text.contains("OVERDUE 12 days (due 2026-11-10)"), "{text}");

    // A delegate sees the items handed to them; deciding one leaves fewer.
    sandbox.ok(&[
        "--as",
        ANNA,
        "delegate",
        "--to",
        TOM,
        "--until",
        "2026-11-30",
    ]);
    let tom = sandbox.json(&["--as", TOM, "pending", "--json"]);
    let delegated: Vec<&serde_json::Value> = tom["pending"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["delegated_by"] == ANNA)
        .collect();
    assert_eq!(delegated.len(), 2, "{tom}");
    sandbox.ok(&[
        "--as",
        TOM,
        "decide",
        "Late review",
        &first.to_string(),
        "revoke",
        "--note",
        "gone",
    ]);
    let after = sandbox.json(&["--as", ANNA, "pending", "--json"]);
    assert_eq!(after["pending"][0]["items"], 4);
    let nobody = sandbox.ok(&["--as", "nobody@x.example", "pending"]);
    assert!(
        nobody.contains("nothing waits for nobody@x.example"),
        "{nobody}"
    );
}

#[cfg(unix)]
#[test]
fn remind_writes_an_owner_only_worklist_per_reviewer_and_an_index_for_mail_merge() {
    let sandbox = Sandbox::new();
    let sample = std::fs::read_to_string(fixture("canonical/sample.csv")).unwrap();
    let hostile = "northwind,github,eve,\"<b>Eve</b> | **x** [l](http://e.example)\",human,\
                   contractor,Evil Corp,eu-west,corp,org:owner,true,=cmd@evil.example,\
                   m.santos@northwind.example.com,t.nguyen@northwind.example.com,SOW,2025-02-27,\
                   2026-06-30,2026-05-14,,false,NW-1\n";
    let estate = sandbox.write("estate.csv", &format!("{sample}{hostile}"));
    sandbox.ok(&["import", estate.to_str().unwrap()]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q4",
        "--due",
        "2026-11-10",
        "--as-of",
        "2026-11-01",
    ]);
    let dir = sandbox.path("reminders/q4");
    let out = sandbox.ok(&["remind", "Q4", "--out", dir.to_str().unwrap()]);
    assert!(out.contains("wrote 3 worklists and index.csv"), "{out}");
    assert_eq!(mode_of(&sandbox.path("reminders")), 0o700);
    assert_eq!(mode_of(&dir), 0o700);
    let index = std::fs::read_to_string(dir.join("index.csv")).unwrap();
    assert_eq!(
        index,
        format!(
            "email,undecided,overdue,file\n\
             '=cmd@evil.example,1,1,_cmd@evil.example.md\n\
             {ANNA},21,21,{ANNA}.md\n\
             {REVIEWER},9,9,{REVIEWER}.md\n"
        )
    );
    for file in ["index.csv", "_cmd@evil.example.md", &format!("{ANNA}.md")] {
        assert_eq!(mode_of(&dir.join(file)), 0o600, "{file}");
    }
    let anna = std::fs::read_to_string(dir.join(format!("{ANNA}.md"))).unwrap();
    assert!(
        anna.contains("21 items wait for your decision in campaign Q4"),
        "{anna}"
    );
    assert!(anna.contains("**overdue by 12 days**"), "{anna}");
    assert!(anna.contains("    recert review Q4\n"), "{anna}");
    let first = sandbox.json(&[
        "items",
        "Q4",
        "--where",
        &format!("reviewer={ANNA}"),
        "--json",
    ])[0]["id"]
        .to_string();
    assert!(
        anna.contains(&format!("|---|\n| {first} |")),
        "riskiest first: {anna}"
    );
    let evil = std::fs::read_to_string(dir.join("_cmd@evil.example.md")).unwrap();
    assert!(
        evil.contains(r"&lt;b&gt;Eve&lt;/b&gt; \| \*\*x\*\* \[l\](http://e.example)"),
        "{evil}"
    );
    assert!(!evil.contains("<b>"), "{evil}");

    // Again after a decision: the files are replaced, the count is less.
    sandbox.ok(&["decide", "Q4", &first, "revoke", "--note", "gone"]);
    sandbox.ok(&["remind", "Q4", "--out", dir.to_str().unwrap()]);
    let index = std::fs::read_to_string(dir.join("index.csv")).unwrap();
    assert!(index.contains(&format!("{ANNA},20,20,")), "{index}");
    let err = sandbox.fails(
        1,
        &["remind", "Q4", "--out", sandbox.db().to_str().unwrap()],
    );
    assert!(err.contains("not a directory"), "{err}");
}

#[test]
fn escalate_moves_items_past_due_to_their_fallback_with_the_reason() {
    let sandbox = Sandbox::with_campaign(); // Q4 is due 2026-12-15.
    let out = sandbox.ok(&["escalate", "Q4", "--overdue-days", "0"]);
    assert!(
        out.contains("not yet past due") && out.contains("nothing was moved"),
        "{out}"
    );
    // Tom owns it, so Anna's items go to their business owner, m.santos.
    sandbox.ok(&[
        "--as",
        TOM,
        "campaign",
        "new",
        "Late",
        "--due",
        "2026-11-10",
        "--as-of",
        "2026-11-01",
    ]);
    let out = sandbox.ok(&["--as", TOM, "escalate", "Late", "--overdue-days", "12"]);
    assert!(out.contains("12 days past due"), "{out}");
    let before = sandbox.dump();
    let out = sandbox.ok(&[
        "--as",
        TOM,
        "escalate",
        "Late",
        "--overdue-days",
        "7",
        "--dry-run",
    ]);
    assert!(
        out.contains("dry run: 21 items would be reassigned"),
        "{out}"
    );
    assert_eq!(sandbox.dump(), before, "a dry run records nothing");

    let out = sandbox.ok(&["--as", TOM, "escalate", "Late", "--overdue-days", "7"]);
    assert!(out.contains("21 items reassigned"), "{out}");
    let moved = events(&sandbox, "reassign");
    assert_eq!(moved.len(), 21);
    let (actor, note, body) = &moved[0];
    assert_eq!(actor, TOM);
    assert!(
        note.as_deref().unwrap().starts_with(&format!(
            "escalated: {ANNA} had not decided it 12 days after the campaign's due date \
             2026-11-10 (escalation after 7 days); moved to {REVIEWER}, its business owner"
        )),
        "{note:?}"
    );
    assert!(body.contains(&format!("\"to\":\"{REVIEWER}\"")), "{body}");
    assert!(
        body.contains(&format!("\"override_of\":\"{ANNA}\"")),
        "{body}"
    );
    let items = sandbox.json(&["items", "Late", "--json"]);
    let with = |who: &str| {
        items
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["reviewer"] == who)
            .count()
    };
    assert_eq!((with(ANNA), with(REVIEWER), with(TOM)), (0, 21, 9));
    // The new reviewer gets their days too: nothing moves again at once.
    let again = sandbox.ok(&["--as", TOM, "escalate", "Late", "--overdue-days", "7"]);
    assert!(
        again.contains("21 items reassigned in the last 7 days stay"),
        "{again}"
    );
    assert_eq!(events(&sandbox, "reassign").len(), 21);
    verified(&sandbox);

    // In a shared database it is the owner's work only.
    share(&sandbox);
    let err = sandbox.fails(1, &["escalate", "Late", "--overdue-days", "1"]);
    assert!(err.contains(&format!("is for its owner, {TOM}")), "{err}");
    let err = sandbox.fails(1, &["remind", "Late", "--out", "r"]);
    assert!(err.contains(&format!("is for its owner, {TOM}")), "{err}");
}

#[test]
fn a_cancelled_campaign_takes_nothing_more_and_is_never_the_previous_one() {
    let sandbox = Sandbox::with_campaign();
    let item = sandbox.sample_item("Q4", 1);
    sandbox.ok(&["decide", "Q4", &item, "attest", "--note", "fine"]);
    let err = sandbox.fails(1, &["campaign", "cancel", "Q4", "--note", " "]);
    assert!(err.contains("needs a note"), "{err}");
    let out = sandbox.ok(&[
        "campaign",
        "cancel",
        "Q4",
        "--note",
        "made with the wrong scope",
    ]);
    assert!(out.contains("cancelled campaign \"Q4\""), "{out}");
    let refusal = format!("campaign \"Q4\" was cancelled by {REVIEWER} on 2026-11-22");
    let other = sandbox.sample_item("Q4", 2);
    for (args, what) in [
        (
            vec!["decide", "Q4", &other, "revoke", "--note", "x"],
            "decisions",
        ),
        (
            vec!["decide", "Q4", &item, "undo", "--note", "x"],
            "decisions",
        ),
        (
            vec!["signoff", "Q4", "--note", "x", "--accept-undecided", "29"],
            "sign-offs",
        ),
        (vec!["close", "Q4"], "closes"),
        (
            vec!["campaign", "cancel", "Q4", "--note", "again"],
            "cancellations",
        ),
    ] {
        let err = sandbox.fails(1, &args);
        assert!(err.contains(&refusal), "{args:?}: {err}");
        assert!(
            err.contains(&format!("takes no more {what}")),
            "{args:?}: {err}"
        );
    }
    let list = sandbox.json(&["campaign", "list", "--json"]);
    assert_eq!(list[0]["state"], "cancelled");
    let show = sandbox.ok(&["campaign", "show", "Q4"]);
    assert!(
        show.contains("cancelled     by m.santos@northwind.example.com"),
        "{show}"
    );
    assert!(show.contains("made with the wrong scope"), "{show}");
    assert!(sandbox.ok(&["campaign", "list"]).contains("cancelled"));

    let out = sandbox.ok(&[
        "campaign",
        "new",
        "Q4 again",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
    ]);
    assert!(!out.contains("compared with"), "{out}");
    let again = sandbox.json(&["campaign", "show", "Q4 again", "--json"]);
    assert_eq!(again["previous"], serde_json::Value::Null);
    let pending = sandbox.json(&["--as", ANNA, "pending", "--json"]);
    assert!(
        pending["pending"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["campaign"] == "Q4 again"),
        "{pending}"
    );
    verified(&sandbox);
}

/// The reviewer rule gives Anna every item, her own three among them.
fn anna_reviews_all(
    sandbox: &Sandbox,
    name: &str,
    config: Option<&std::path::Path>,
) -> serde_json::Value {
    let mut cmd = sandbox.cmd();
    if let Some(config) = config {
        cmd.env("RECERT_CONFIG", config);
    }
    let out = cmd
        .args([
            "campaign",
            "new",
            name,
            "--due",
            "2026-12-15",
            "--as-of",
            "2026-11-01",
            "--reviewer-rule",
            &format!("fixed:{ANNA}"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let items = sandbox.json(&[
        "items",
        name,
        "--where",
        &format!("identity_id={ANNA}"),
        "--json",
    ]);
    assert_eq!(items.as_array().unwrap().len(), 3);
    items
}

#[test]
fn a_self_review_is_routed_or_flagged_as_the_policy_and_mode_say() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", fixture("canonical/sample.csv").to_str().unwrap()]);
    // Personal, policy unset: flag. Anna keeps her own items, flagged.
    let flagged = anna_reviews_all(&sandbox, "Flagged", None);
    for item in flagged.as_array().unwrap() {
        assert_eq!(item["reviewer"], ANNA);
        assert!(
            item["flags"]
                .as_array()
                .unwrap()
                .contains(&"self_review".into()),
            "{item}"
        );
    }
    // The config says route: the business owner reviews them instead.
    let config = sandbox.write("config.toml", "[policy]\nself_review = \"route\"\n");
    let routed = anna_reviews_all(&sandbox, "Routed", Some(&config));
    for item in routed.as_array().unwrap() {
        assert_eq!(item["reviewer"], REVIEWER, "{item}");
        assert!(
            !item["flags"]
                .as_array()
                .unwrap()
                .contains(&"self_review".into()),
            "{item}"
        );
    }
    // Shared, policy unset: route. Each campaign records what it used.
    share(&sandbox);
    let shared = anna_reviews_all(&sandbox, "Shared", None);
    assert!(
        shared
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["reviewer"] == REVIEWER)
    );
    let recorded: Vec<String> = events(&sandbox, "campaign_created")
        .iter()
        .map(|(_, _, body)| {
            serde_json::from_str::<serde_json::Value>(body).unwrap()["policy"]["self_review"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(recorded, ["flag", "route", "route"]);
    verified(&sandbox);
}
