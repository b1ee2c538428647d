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
