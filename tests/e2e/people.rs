//! Who acts, through the real binary: a person is one person however they
//! type their e-mail (spaces, capitals), and nobody acts without a name.

use crate::util::{REVIEWER, Sandbox};
use serde_json::Value;

const ANNA: &str = "a.kowalski@northwind.example.com";

fn item(sandbox: &Sandbox, campaign: &str, id: &str) -> Value {
    sandbox
        .json(&["items", campaign, "--json"])
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"].as_i64() == id.parse().ok())
        .expect("the item")
        .clone()
}

#[test]
fn a_person_typed_with_spaces_or_capitals_is_the_same_person() {
    let sandbox = Sandbox::with_campaign();
    // Anna's own GitHub membership, decided by Anna as she typed herself.
    let own = sandbox.sample_item("Q4", 30);
    sandbox.ok(&[
        "--as",
        " A.Kowalski@Northwind.example.com ",
        "decide",
        "Q4",
        &own,
        "attest",
        "--note",
        "I still need it",
    ]);
    let decided = item(&sandbox, "Q4", &own);
    assert_eq!(decided["decided_by"], ANNA, "recorded as people are kept");
    let report = sandbox.json(&["report", "Q4", "--format", "json"]);
    let row = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"].as_i64() == own.parse().ok())
        .unwrap();
    assert_eq!(row["self_review"], true, "{row}");
    assert_eq!(report["single_admin"]["self_review_decisions"], 1);

    // A decision she made is hers whatever she types next time: no
    // --expect-event needed to change her own mind.
    sandbox.ok(&[
        "--as",
        "A.KOWALSKI@NORTHWIND.EXAMPLE.COM",
        "decide",
        "Q4",
        &own,
        "revoke",
        "--note",
        "on second thoughts",
    ]);

    // The owner, with a stray space and capitals, is still the owner.
    let preview = sandbox.ok(&[
        "--as",
        " M.Santos@Northwind.example.com",
        "signoff",
        "Q4",
        "--preview",
    ]);
    assert!(
        preview.contains(&format!("signing as {REVIEWER} (campaign owner)")),
        "{preview}"
    );
    assert!(
        preview.contains(&format!("{ANNA}: 1 decision, 1 on their own access")),
        "{preview}"
    );
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn reassign_targets_and_fixed_reviewers_are_kept_as_people_are() {
    let sandbox = Sandbox::with_campaign();
    let first = sandbox.sample_item("Q4", 1);
    sandbox.ok(&[
        "--as",
        ANNA,
        "decide",
        "Q4",
        &first,
        "reassign",
        "--to",
        " T.Nguyen@Northwind.example.com ",
        "--note",
        "Tuan owns Salesforce",
    ]);
    assert_eq!(
        item(&sandbox, "Q4", &first)["reviewer"],
        "t.nguyen@northwind.example.com"
    );
    let err = sandbox.fails(
        1,
        &[
            "--as",
            "t.nguyen@northwind.example.com",
            "decide",
            "Q4",
            &first,
            "reassign",
            "--to",
            "T.NGUYEN@northwind.example.com",
            "--note",
            "mine",
        ],
    );
    assert!(err.contains("already assigned to t.nguyen@"), "{err}");

    sandbox.ok(&[
        "campaign",
        "new",
        "Audit",
        "--due",
        "2026-12-15",
        "--reviewer-rule",
        "fixed: Audit@Northwind.example.com ",
    ]);
    let items = sandbox.json(&["items", "Audit", "--json"]);
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["reviewer"] == "audit@northwind.example.com"),
        "{items}"
    );
    let show = sandbox.json(&["campaign", "show", "Audit", "--json"]);
    assert_eq!(show["reviewer_rule"], "fixed:audit@northwind.example.com");
    let mine = sandbox.json(&[
        "items",
        "Audit",
        "--where",
        "reviewer=AUDIT@northwind.example.com",
        "--json",
    ]);
    assert_eq!(mine.as_array().unwrap().len(), 30);
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn nobody_acts_without_a_name() {
    let sandbox = Sandbox::with_campaign();
    let before = sandbox.dump();
    let item = sandbox.sample_item("Q4", 3);
    let decide = ["decide", "Q4", item.as_str(), "attest"];
    let nameless = |how: &str| {
        let mut cmd = sandbox.cmd();
        match how {
            "--as \"\"" => cmd.args(["--as", ""]),
            "--as \"  \"" => cmd.args(["--as", "  "]),
            "RECERT_REVIEWER=\"\"" => cmd.env("RECERT_REVIEWER", ""),
            _ => cmd.env_remove("RECERT_REVIEWER"),
        };
        cmd
    };
    for how in ["--as \"\"", "--as \"  \"", "RECERT_REVIEWER=\"\""] {
        let output = nameless(how).args(decide).output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{how}: {err}");
        assert!(err.contains("who acts must be known"), "{how}: {err}");
        assert!(err.contains("--as EMAIL"), "{how}: {err}");
    }
    for args in [
        &["campaign", "new", "Q5", "--due", "2026-12-31"][..],
        &["signoff", "Q4", "--preview"],
        &["close", "Q4"],
        &["report", "Q4"],
    ] {
        let output = nameless("--as \"\"").args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let sample = crate::util::fixture("canonical/sample.csv");
    let output = sandbox
        .cmd()
        .args(["--as", "", "import", sample.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    // A name that draws nothing, or with a character that draws nothing,
    // is somebody else who looks the same: refused, not recorded.
    for hidden in [
        "\u{200b}",
        "m.santos\u{200b}@northwind.example.com",
        "a\u{1b}[2Jb@x",
    ] {
        let output = sandbox
            .cmd()
            .args(["--as", hidden, "decide", "Q4", &item, "attest"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{hidden:?}: {err}");
        assert!(
            err.contains("holds a control character or one that draws nothing"),
            "{hidden:?}: {err}"
        );
        assert!(
            !err.contains('\u{200b}') && !err.contains('\u{1b}'),
            "{err}"
        );
    }
    let to = [
        "decide", "Q4", &item, "reassign", "--to", "\u{200b}", "--note", "n",
    ];
    let err = sandbox.fails(1, &to);
    assert!(err.contains("holds a control character"), "{err}");
    assert_eq!(sandbox.dump(), before, "nothing was recorded");
    // Reading needs nobody.
    let output = nameless("--as \"\"").arg("verify").output().unwrap();
    assert!(output.status.success());
}

/// With no name given anywhere, the OS account running recert is who acts
/// (as the system names it: `$USER` can say anything), taken as stated.
#[test]
fn without_a_name_the_os_account_acts_as_stated() {
    let sandbox = Sandbox::with_campaign();
    let whoami = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let account = String::from_utf8(whoami.stdout)
        .unwrap()
        .trim()
        .to_lowercase();
    let item = sandbox.sample_item("Q4", 3);
    let output = sandbox
        .cmd()
        .env_remove("RECERT_REVIEWER")
        .env("USER", "someone-else")
        .args(["decide", "Q4", item.as_str(), "attest"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let events = sandbox.json(&["items", "Q4", "--json"]);
    let decided = events
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == item.parse::<i64>().unwrap())
        .unwrap()["decided_by"]
        .clone();
    assert_eq!(decided, serde_json::Value::String(account));
}
