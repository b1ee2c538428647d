//! Remediation through the real binary: import → campaign → revoke →
//! re-import, and what the later snapshot proves.

use crate::util::{Sandbox, fixture};

/// Lena Brandt's Salesforce grant: the first data line of the sample.
const LENA_SALESFORCE: &str = "northwind,salesforce,l.brandt@copperline.example.com";

fn revoked() -> Sandbox {
    let sandbox = Sandbox::with_campaign();
    let item = sandbox.sample_item("Q4", 1);
    sandbox.ok(&["decide", "Q4", &item, "revoke", "--note", "contract ended"]);
    let out = sandbox.ok(&["remediation", "Q4"]);
    assert!(out.contains(&format!("{item:<6}pending")), "{out}");
    sandbox
}

fn sample_without_lena() -> String {
    std::fs::read_to_string(fixture("canonical/sample.csv"))
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with(LENA_SALESFORCE))
        .map(|line| format!("{line}\n"))
        .collect()
}

#[test]
fn a_reimport_without_the_grant_verifies_the_revoke() {
    let sandbox = revoked();
    let later = sandbox.write("december.csv", &sample_without_lena());
    let out = sandbox.ok(&["import", later.to_str().unwrap()]);
    assert!(out.contains("1 removed"), "{out}");
    assert!(
        out.contains("verified 1 revocation of campaign \"Q4\": the grants are gone"),
        "{out}"
    );
    let out = sandbox.ok(&["remediation", "Q4", "--check"]);
    let lena = sandbox.sample_item("Q4", 1);
    assert!(out.contains(&format!("{lena:<6}verified")), "{out}");
    assert!(out.contains("snapshot 2 (december.csv)"), "{out}");
    let tasks = sandbox.json(&["remediation", "Q4", "--json"]);
    assert_eq!(tasks[0]["status"], "verified");
    assert_eq!(tasks[0]["proof"]["id"], 2);
    assert_eq!(tasks[0]["proof"]["file_name"], "december.csv");
    let report = sandbox.json(&["report", "Q4", "--format", "json"]);
    assert_eq!(report["remediation"]["verified"], 1);
    let verify = sandbox.ok(&["verify"]);
    assert!(verify.contains("audit chain intact: 5 events"), "{verify}");
}

#[test]
fn a_reimport_still_holding_the_grant_is_still_effective_and_loud() {
    let sandbox = revoked();
    let sample = fixture("canonical/sample.csv");
    let output = sandbox
        .cmd()
        .args(["import", sample.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("1 revocation of campaign \"Q4\" STILL EFFECTIVE"),
        "{err}"
    );
    let err = sandbox.fails(1, &["remediation", "Q4", "--check"]);
    assert!(err.contains("1 revocation STILL EFFECTIVE"), "{err}");
    let out = sandbox.cmd().args(["remediation", "Q4"]).output().unwrap();
    assert!(out.status.success(), "without --check it only lists");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains(&format!(
            "{:<6}STILL EFFECTIVE  northwind  Lena Brandt",
            sandbox.sample_item("Q4", 1)
        )),
        "{listing}"
    );
    let only = sandbox.json(&["remediation", "Q4", "--json", "--status", "pending"]);
    assert_eq!(only.as_array().unwrap().len(), 0);

    let md = sandbox.ok(&["report", "Q4", "--format", "md"]);
    assert!(
        md.contains("STILL EFFECTIVE: 1 revoked grant still present"),
        "{md}"
    );
    let csv = sandbox.ok(&["report", "Q4", "--format", "csv"]);
    assert!(csv.contains(",still_effective,2,"), "{csv}");

    // The grant finally goes: the task is verified.
    let later = sandbox.write("january.csv", &sample_without_lena());
    sandbox.ok(&["import", later.to_str().unwrap()]);
    let out = sandbox.ok(&["remediation", "Q4", "--check"]);
    let lena = sandbox.sample_item("Q4", 1);
    assert!(out.contains(&format!("{lena:<6}verified")), "{out}");
    assert!(sandbox.ok(&["verify"]).contains("evidence matches the log"));
}
