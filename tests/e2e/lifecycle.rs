//! The campaign lifecycle through the real binary: what a sign-off shows,
//! what it demands when work is left undecided, decisions refused after
//! sign-off and close, the close action, single-admin and self-review flags
//! in all four report formats, and exceptions from live to lapsed.

use crate::util::{REVIEWER, Sandbox};

const ANNA: &str = "a.kowalski@northwind.example.com";

/// Q4 with a revoke, an exception, an attest by its owner and Anna deciding
/// on her own GitHub membership (item 30).
fn decided() -> Sandbox {
    let sandbox = Sandbox::with_campaign();
    sandbox.ok(&[
        "decide",
        "Q4",
        &sandbox.sample_item("Q4", 1),
        "revoke",
        "--note",
        "contract ended",
    ]);
    sandbox.ok(&[
        "decide",
        "Q4",
        &sandbox.sample_item("Q4", 8),
        "exception",
        "--until",
        "2027-01-31",
        "--ticket",
        "CHG-7",
        "--note",
        "migration",
    ]);
    sandbox.ok(&["decide", "Q4", &sandbox.sample_item("Q4", 3), "attest"]);
    sandbox.ok(&[
        "--as",
        ANNA,
        "decide",
        "Q4",
        &sandbox.sample_item("Q4", 30),
        "attest",
        "--note",
        "I still need it",
    ]);
    sandbox
}

#[test]
fn signoff_shows_what_is_signed_and_demands_the_undecided_be_named() {
    let sandbox = decided();
    let preview = sandbox.ok(&["signoff", "Q4", "--preview"]);
    for expected in [
        "signing as m.santos@northwind.example.com (campaign owner)",
        "attested         2",
        "revoked          1",
        "undecided       26",
        "Exceptions (1)",
        "2027-01-31  CHG-7",
        "Revocations (1)",
        "contract ended",
        "Undecided (26)",
        "Self-review: 1 decision on the decider's own access",
        "Single admin: you made 3 of the 4 decisions you are signing",
        "the close action keep: 26 kept, 0 revoked",
        "preview only: nothing was signed",
    ] {
        assert!(
            preview.contains(expected),
            "missing {expected:?} in:\n{preview}"
        );
    }

    // The owner signs off whole, and is told so.
    let err = sandbox.fails(1, &["signoff", "Q4", "--note", "all good"]);
    assert!(
        err.contains("its owner signs it off whole with --final"),
        "{err}"
    );
    let err = sandbox.fails(1, &["signoff", "Q4", "--final", "--note", "all good"]);
    assert!(
        err.contains(&format!(
            "1 part unsigned by {ANNA} (21 items, 19 undecided)"
        )) && err.contains("--accept-unsigned 1 --accept-undecided 26"),
        "{err}"
    );
    let err = sandbox.fails(
        1,
        &[
            "signoff",
            "Q4",
            "--final",
            "--accept-unsigned",
            "1",
            "--note",
            "all good",
            "--accept-undecided",
            "26",
        ],
    );
    assert!(err.contains("the sign-off note must say so"), "{err}");
    let err = sandbox.fails(
        1,
        &[
            "--as",
            "stranger@x",
            "signoff",
            "Q4",
            "--final",
            "--accept-unsigned",
            "1",
            "--note",
            "26 undecided",
            "--accept-undecided",
            "26",
        ],
    );
    assert!(err.contains("only the owner"), "{err}");
    sandbox.fails(2, &["signoff", "Q4"]);
    let state = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    assert_eq!(state["state"], "open", "nothing was signed");

    let out = sandbox.ok(&[
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
    assert!(out.contains("signed off \"Q4\" as event 7"), "{out}");
    assert!(
        out.contains("you also made 3 of the decisions you signed"),
        "{out}"
    );
    let state = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    assert_eq!(state["state"], "signed_off");
    let err = sandbox.fails(
        1,
        &[
            "decide",
            "Q4",
            &sandbox.sample_item("Q4", 2),
            "revoke",
            "--note",
            "late",
        ],
    );
    assert!(
        err.contains("campaign \"Q4\" is signed_off: it no longer accepts decisions"),
        "{err}"
    );
}

#[test]
fn close_applies_the_close_action_and_refuses_everything_after() {
    let sandbox = decided();
    let err = sandbox.fails(1, &["close", "Q4"]);
    assert!(err.contains("sign it off first"), "{err}");
    sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--accept-unsigned",
        "1",
        "--note",
        "26 undecided",
        "--accept-undecided",
        "26",
    ]);
    let out = sandbox.ok(&["close", "Q4", "--note", "quarter over"]);
    assert!(
        out.contains("26 items nobody decided got the close action keep: 26 kept, 0 revoked"),
        "{out}"
    );
    let show = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    assert_eq!(show["state"], "closed");
    assert_eq!(show["tally"]["attested"], 28);
    assert_eq!(show["tally"]["undecided"], 0);
    let err = sandbox.fails(
        1,
        &[
            "decide",
            "Q4",
            &sandbox.sample_item("Q4", 2),
            "revoke",
            "--note",
            "late",
        ],
    );
    assert!(
        err.contains("campaign \"Q4\" is closed: it no longer accepts decisions"),
        "{err}"
    );
    sandbox.fails(1, &["decide", "Q4", &sandbox.sample_item("Q4", 1), "undo"]);
    let err = sandbox.fails(1, &["close", "Q4"]);
    assert!(err.contains("already closed"), "{err}");
    let second = sandbox.sample_item("Q4", 2);
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let two = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == second.parse::<i64>().unwrap())
        .unwrap();
    assert_eq!(two["state"], "attested");
    assert_eq!(two["decided_by"], REVIEWER, "recorded as the closer's");
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn every_report_format_shows_the_single_admin_and_self_review_flags() {
    let sandbox = decided();
    sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--accept-unsigned",
        "1",
        "--note",
        "26 undecided",
        "--accept-undecided",
        "26",
    ]);
    let csv = sandbox.ok(&["report", "Q4", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // By sample line: 30 is Anna's own grant, 3 one the signer decided.
    let row = |line: usize| {
        let item = sandbox.sample_item("Q4", line);
        rows.iter().find(|r| r[0] == item).unwrap().clone()
    };
    assert_eq!(&row(30)[col("self_review")], "yes");
    assert_eq!(&row(3)[col("reviewed_by_signer")], "yes");
    assert_eq!(&row(30)[col("reviewed_by_signer")], "", "Anna did not sign");
    let json = sandbox.json(&["report", "Q4", "--format", "json"]);
    assert_eq!(json["single_admin"]["self_review_decisions"], 1);
    assert_eq!(
        json["single_admin"]["signers_who_reviewed"][0]["signer"],
        REVIEWER
    );
    let head = json["chain"]["head"].as_str().unwrap();
    assert_eq!(&row(30)[col("chain_head")], head);
    for format in ["md", "html"] {
        let text = sandbox.ok(&["report", "Q4", "--format", format]);
        for expected in [
            "signed this campaign off and also made 3 of its 4 reviewed decisions",
            "1 decision on the decider",
            "self-review",
            "reviewer signed off",
            head,
        ] {
            assert!(text.contains(expected), "{format}: missing {expected:?}");
        }
    }
    let html = sandbox.path("q4.html");
    sandbox.ok(&[
        "report",
        "Q4",
        "--format",
        "html",
        "--out",
        html.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
}

#[test]
fn exceptions_are_listed_live_then_expired_and_lapse_into_the_next_campaign() {
    let sandbox = Sandbox::with_campaign();
    sandbox.ok(&[
        "decide",
        "Q4",
        &sandbox.sample_item("Q4", 3),
        "exception",
        "--until",
        "2026-12-01",
        "--ticket",
        "CHG-1",
        "--note",
        "data migration",
    ]);
    let out = sandbox.ok(&["exceptions"]);
    assert!(out.contains("live    2026-12-01  CHG-1"), "{out}");
    assert!(out.contains("1 live, 0 expired as of 2026-11-22"), "{out}");
    assert!(
        sandbox
            .ok(&["exceptions", "--expired"])
            .contains("no exceptions")
    );

    let expired = sandbox.json(&["exceptions", "--expired", "--as-of", "2026-12-05", "--json"]);
    let expired = expired.as_array().unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["ticket"], "CHG-1");
    assert_eq!(expired[0]["campaign"], "Q4");
    assert_eq!(expired[0]["decided_by"], REVIEWER);
    assert_eq!(expired[0]["expired"], true);

    sandbox.ok(&[
        "campaign",
        "new",
        "Q1",
        "--due",
        "2027-01-15",
        "--as-of",
        "2026-12-05",
    ]);
    let lapsed = sandbox.json(&["items", "Q1", "--json", "--where", "flag=exception_lapsed"]);
    let lapsed = lapsed.as_array().unwrap();
    assert_eq!(lapsed.len(), 1, "{lapsed:?}");
    assert_eq!(lapsed[0]["identity_id"], "l.brandt@copperline.example.com");
    assert_eq!(lapsed[0]["system"], "snowflake");
    assert_eq!(lapsed[0]["recommendation"], "revoke");
}
