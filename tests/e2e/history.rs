//! `recert history`: one identity across campaigns, through the real binary.

use crate::util::Sandbox;

#[test]
fn history_shows_an_identity_in_three_campaigns_with_each_outcome() {
    let sandbox = Sandbox::with_campaign();
    let lena = "l.brandt@copperline.example.com";
    let q4 = sandbox.sample_item("Q4", 1);
    sandbox.ok(&[
        "decide",
        "Q4",
        &q4,
        "revoke",
        "--note",
        "contract ended in June",
    ]);
    for (name, due) in [("Q1", "2027-03-31"), ("Q2", "2027-06-30")] {
        sandbox.ok(&[
            "campaign",
            "new",
            name,
            "--due",
            due,
            "--as-of",
            "2026-11-01",
        ]);
    }
    let q1 = sandbox.sample_item("Q1", 1);
    sandbox.ok(&[
        "decide",
        "Q1",
        &q1,
        "attest",
        "--note",
        "renewed under SOW-200",
    ]);

    let history = sandbox.json(&["history", "L.Brandt@copperline.example.com", "--json"]);
    let entries = history.as_array().unwrap();
    let campaigns: Vec<&str> = entries
        .iter()
        .map(|e| e["campaign"].as_str().unwrap())
        .collect();
    assert_eq!(campaigns.first(), Some(&"Q4"), "oldest campaign first");
    for name in ["Q4", "Q1", "Q2"] {
        assert!(campaigns.contains(&name), "{name}: {campaigns:?}");
    }
    assert!(entries.iter().all(|e| e["identity_id"] == lena));
    let decided: Vec<_> = entries
        .iter()
        .filter(|e| e["state"] != "undecided")
        .collect();
    assert_eq!(decided.len(), 2, "{decided:?}");
    assert_eq!(decided[0]["campaign"], "Q4");
    assert_eq!(decided[0]["state"], "revoked");
    assert_eq!(decided[0]["note"], "contract ended in June");
    assert_eq!(decided[0]["remediation"], "pending");
    assert_eq!(decided[1]["campaign"], "Q1");
    assert_eq!(decided[1]["state"], "attested");

    let text = sandbox.ok(&["history", lena]);
    assert!(text.contains("contract ended in June"), "{text}");
    assert!(text.contains("in 3 campaigns"), "{text}");
    assert!(
        sandbox
            .fails(1, &["history", lena, "--tenant", "elsewhere"])
            .contains("elsewhere")
    );
    let err = sandbox.fails(1, &["history", "nobody@x"]);
    assert!(
        err.contains("no campaign holds an item of identity"),
        "{err}"
    );
}

/// The order of `--where` flags and of a filter's values never makes a new
/// scope: the next campaign finds the last one's outcomes either way.
#[test]
fn a_scope_typed_in_another_order_is_the_same_scope() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "import",
        crate::util::fixture("canonical/sample.csv")
            .to_str()
            .unwrap(),
    ]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q4",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
        "--where",
        "relationship=partner,contractor",
        "--where",
        "tenant=northwind",
    ]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q1",
        "--due",
        "2027-03-31",
        "--as-of",
        "2026-11-01",
        "--where",
        "tenant=northwind",
        "--where",
        "relationship=contractor,partner,partner",
    ]);
    let q4 = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    let q1 = sandbox.json(&["campaign", "show", "Q1", "--json"]);
    assert_eq!(q1["previous"], "Q4", "{q1}");
    assert_eq!(q1["scope"], q4["scope"]);
    assert_eq!(
        q1["scope"],
        serde_json::json!(["relationship=contractor,partner", "tenant=northwind"])
    );
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

/// `decide --where … --expect N` decides exactly what the filters match as
/// one bulk decision, and records nothing when the count is not N.
#[test]
fn decide_where_records_one_bulk_decision_on_exactly_the_expected_items() {
    let sandbox = Sandbox::with_campaign();
    let before = sandbox.dump();
    let dormant = sandbox.json(&["items", "Q4", "--where", "flag=dormant", "--json"]);
    let n = dormant.as_array().unwrap().len();
    assert!(n > 3);
    let err = sandbox.fails(
        1,
        &[
            "decide",
            "Q4",
            "--where",
            "flag=dormant",
            "revoke",
            "--note",
            "dormant",
            "--expect",
            "3",
        ],
    );
    assert!(
        err.contains(&format!(
            "--where matches {n} items (--expect 3): nothing was recorded"
        )),
        "{err}"
    );
    assert_eq!(sandbox.dump(), before);
    sandbox.fails(
        2,
        &[
            "decide",
            "Q4",
            "--where",
            "flag=dormant",
            "revoke",
            "--note",
            "x",
        ],
    );
    sandbox.fails(
        2,
        &[
            "decide",
            "Q4",
            "--where",
            "flag=dormant",
            "revoke",
            "--override",
            "--note",
            "x",
            "--expect",
            &n.to_string(),
        ],
    );
    sandbox.fails(
        2,
        &[
            "decide",
            "Q4",
            "5",
            "attest",
            "--where",
            "flag=dormant",
            "--expect",
            "1",
        ],
    );
    sandbox.fails(
        2,
        &[
            "decide",
            "Q4",
            "--where",
            "flag=dormant",
            "exception",
            "--until",
            "2027-01-01",
            "--note",
            "x",
            "--expect",
            "9",
        ],
    );
    let scope = ["--where", "flag=dormant", "--where", "system=github"];
    let items = sandbox.json(&[&["items", "Q4"][..], &scope, &["--json"]].concat());
    let m = items.as_array().unwrap().len().to_string();
    let decide = [
        &["decide", "Q4"][..],
        &scope,
        &["revoke", "--note", "dormant partner access", "--expect", &m],
    ]
    .concat();
    let out = sandbox.ok(&decide);
    assert!(
        out.contains(&format!("revoked {m} items in one bulk decision")),
        "{out}"
    );
    let items = sandbox.json(&[&["items", "Q4"][..], &scope, &["--json"]].concat());
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["state"] == "revoked"),
        "{items}"
    );
    let report = sandbox.json(&["report", "Q4", "--format", "json"]);
    let bulk = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["bulk"] == true)
        .count();
    assert_eq!(bulk.to_string(), m, "recorded as bulk");
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

/// An item nobody reviewed, kept by the close action, reads as that in the
/// next campaign, not as a review.
#[test]
fn a_close_action_shows_as_one_in_the_next_campaign() {
    let sandbox = Sandbox::with_campaign();
    let show = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    let unsigned = show["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["owners_part"] == false)
        .count()
        .to_string();
    let items = show["items"].to_string();
    sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--note",
        &format!("{items} undecided"),
        "--accept-unsigned",
        &unsigned,
        "--accept-undecided",
        &items,
    ]);
    sandbox.ok(&["close", "Q4"]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q1",
        "--due",
        "2027-03-31",
        "--as-of",
        "2026-11-01",
    ]);
    let q1 = sandbox.json(&["items", "Q1", "--json"]);
    let previous = &q1[0]["previous"];
    assert_eq!(previous["campaign"], "Q4", "{previous}");
    assert_eq!(previous["close_action"], true, "{previous}");
}
