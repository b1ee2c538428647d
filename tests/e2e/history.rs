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
