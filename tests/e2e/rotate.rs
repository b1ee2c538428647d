//! Rotation through the real binary: a credential kept on a promise to
//! rotate it by a date, proved by a later export's newer rotation date,
//! loud (and failing `remediation --check`) once the date has passed,
//! settled as removed when a complete export no longer holds the grant, and
//! what the close action `recommendation` does with credentials that only
//! need rotating.

use crate::util::{Sandbox, fixture};

/// The Ledgerly billing key's Mailbox grant (data line 21 of the sample):
/// its only finding is an unrotated credential (rotated 2025-10-15).
const BILLING_KEY: usize = 21;
const BILLING_KEY_LINE: &str = "northwind,m365,key-billing-export,";
/// The Saltmarsh loader's GitHub grant (data line 17): only unrotated too.
const LOADER_GITHUB: usize = 17;

/// The sample as a later export would give it, with the billing key's
/// credential rotation date set to `rotated`.
fn sample_with_billing_key_rotated(rotated: &str) -> String {
    std::fs::read_to_string(fixture("canonical/sample.csv"))
        .unwrap()
        .lines()
        .map(|line| {
            if line.starts_with(BILLING_KEY_LINE) {
                let mut fields: Vec<&str> = line.split(',').collect();
                fields[18] = rotated;
                format!("{}\n", fields.join(","))
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

/// Q4 with the billing key decided `rotate --by 2026-12-15` (the tests run
/// on 2026-11-22).
fn rotating() -> (Sandbox, String) {
    let sandbox = Sandbox::with_campaign();
    let item = sandbox.sample_item("Q4", BILLING_KEY);
    let out = sandbox.ok(&[
        "decide",
        "Q4",
        &item,
        "rotate",
        "--by",
        "2026-12-15",
        "--note",
        "Ledgerly rotates it through the vault",
    ]);
    assert!(out.contains(&format!("item {item}: rotate")), "{out}");
    (sandbox, item)
}

#[test]
fn a_rotation_is_verified_by_a_later_snapshot_with_a_newer_rotation_date() {
    let (sandbox, item) = rotating();
    let out = sandbox.ok(&["remediation", "Q4", "--check"]);
    assert!(out.contains("\"Q4\" has no revocations"), "{out}");
    assert!(
        out.contains(&format!(
            "{item:<6}pending  northwind  Billing export API key"
        )),
        "{out}"
    );
    // What a sponsor signs lists the promise with its date.
    let preview = sandbox.ok(&["signoff", "Q4", "--preview"]);
    let rotations = preview
        .split("\nRotations (1)\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{preview}"));
    assert!(
        rotations
            .lines()
            .any(|l| l.contains(&item) && l.contains("2026-12-15")),
        "{rotations}"
    );
    assert!(
        out.contains("1 rotation: 0 verified, 1 pending, 0 OVERDUE"),
        "{out}"
    );

    // The same export again shows the date the reviewer saw: no rotation.
    let same = sandbox.write("again.csv", &sample_with_billing_key_rotated("2025-10-15"));
    sandbox.ok(&["import", same.to_str().unwrap()]);
    let tasks = sandbox.json(&["remediation", "Q4", "--json"]);
    assert_eq!(tasks.as_array().unwrap().len(), 1, "{tasks}");
    assert_eq!(tasks[0]["task"], "rotate");
    assert_eq!(tasks[0]["status"], "pending");

    let rotated = sandbox.write(
        "december.csv",
        &sample_with_billing_key_rotated("2026-11-22"),
    );
    sandbox.ok(&["import", rotated.to_str().unwrap()]);
    let out = sandbox.ok(&["remediation", "Q4", "--check"]);
    assert!(
        out.contains(&format!("{item:<6}verified")),
        "the later export proves it: {out}"
    );
    assert!(out.contains("2026-12-15  2026-11-22"), "by, rotated: {out}");
    assert!(out.contains("snapshot 3 (december.csv)"), "{out}");
    let tasks = sandbox.json(&["remediation", "Q4", "--json", "--status", "verified"]);
    assert_eq!(tasks[0]["item"].to_string(), item);
    assert_eq!(tasks[0]["by"], "2026-12-15");
    assert_eq!(tasks[0]["proof"]["file_name"], "december.csv");
    assert_eq!(tasks[0]["rotated_at"], "2026-11-22");

    // Verified stays verified after its date: nothing is overdue.
    let later = sandbox
        .cmd()
        .env("RECERT_NOW", "2027-01-10T09:00:00Z")
        .args(["remediation", "Q4", "--check"])
        .output()
        .unwrap();
    assert!(later.status.success(), "{later:?}");
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn a_rotation_past_its_date_is_overdue_fails_the_check_and_flags_the_next_campaign() {
    let (sandbox, item) = rotating();
    let on = |day: &str, args: &[&str]| {
        sandbox
            .cmd()
            .env("RECERT_NOW", format!("{day}T09:00:00Z"))
            .args(args)
            .output()
            .unwrap()
    };
    // The date itself is the last day it may be rotated on.
    let last_day = on("2026-12-15", &["remediation", "Q4", "--check"]);
    assert!(last_day.status.success(), "{last_day:?}");
    let overdue = on("2026-12-16", &["remediation", "Q4", "--check"]);
    assert_eq!(overdue.status.code(), Some(1), "{overdue:?}");
    let err = String::from_utf8_lossy(&overdue.stderr);
    assert!(err.contains("1 rotation OVERDUE"), "{err}");
    assert!(err.contains("recert: 1 rotation overdue"), "{err}");
    let listing = String::from_utf8_lossy(&overdue.stdout);
    assert!(
        listing.contains(&format!(
            "{item:<6}OVERDUE  northwind  Billing export API key"
        )),
        "{listing}"
    );
    let without_check = on("2026-12-16", &["remediation", "Q4", "--status", "overdue"]);
    assert!(
        without_check.status.success(),
        "without --check it only lists"
    );

    // Every report says so, beside the revocations.
    let md = on("2026-12-16", &["report", "Q4", "--format", "md"]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("## Rotations"), "{md}");
    assert!(md.contains("1 to rotate, "), "{md}");
    assert!(
        md.contains("OVERDUE: 1 rotation past the date decided"),
        "{md}"
    );
    let rotations = md.split("## Rotations").nth(1).unwrap();
    assert!(
        rotations.contains(&format!("| {item} | northwind | Billing export API key")),
        "the rotations' table names the tenant: {rotations}"
    );
    let html = on("2026-12-16", &["report", "Q4", "--format", "html"]);
    assert!(String::from_utf8_lossy(&html.stdout).contains("Rotations"));
    let json = on("2026-12-16", &["report", "Q4", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["rotations"]["overdue"], 1, "{}", json["rotations"]);
    assert_eq!(json["rotations"]["tasks"][0]["item"].to_string(), item);
    assert_eq!(json["rotations"]["tasks"][0]["status"], "overdue");
    let on_time = sandbox.json(&["report", "Q4", "--format", "json"]);
    assert_eq!(on_time["rotations"]["pending"], 1, "as of the tests' day");

    // The next campaign, as of a day past the date, flags it first.
    sandbox.ok(&[
        "campaign",
        "new",
        "Q1",
        "--due",
        "2027-01-31",
        "--as-of",
        "2026-12-16",
    ]);
    let items = sandbox.json(&["items", "Q1", "--json"]);
    let key = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["identity_id"] == "key-billing-export" && i["system"] == "m365")
        .unwrap();
    let flags: Vec<&str> = key["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert!(flags.contains(&"rotation_overdue"), "{key}");
    assert_eq!(key["recommendation"], "rotate_or_revoke");
    let shown = sandbox.ok(&["items", "Q1", "--where", "flag=rotation_overdue"]);
    assert!(shown.contains("Billing export API key"), "{shown}");
    let flagged = sandbox.json(&["items", "Q1", "--json", "--where", "flag=rotation_overdue"]);
    assert_eq!(flagged.as_array().unwrap().len(), 1, "{flagged}");
    // As of the last day, nothing is overdue yet.
    sandbox.ok(&[
        "campaign",
        "new",
        "Q1 early",
        "--due",
        "2027-01-31",
        "--as-of",
        "2026-12-15",
        "--where",
        "system=m365",
    ]);
    let early = sandbox.json(&[
        "items",
        "Q1 early",
        "--json",
        "--where",
        "flag=rotation_overdue",
    ]);
    assert_eq!(early.as_array().unwrap().len(), 0, "{early}");
}

/// The sample as a later export would give it without the billing key's
/// Mailbox grant.
fn sample_without_billing_key() -> String {
    std::fs::read_to_string(fixture("canonical/sample.csv"))
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with(BILLING_KEY_LINE))
        .map(|line| format!("{line}\n"))
        .collect()
}

#[test]
fn an_overdue_rotation_whose_grant_a_complete_export_no_longer_holds_is_removed_not_verified() {
    let (sandbox, item) = rotating();
    let on = |day: &str, args: &[&str]| {
        sandbox
            .cmd()
            .env("RECERT_NOW", format!("{day}T09:00:00Z"))
            .args(args)
            .output()
            .unwrap()
    };
    let check = || {
        let out = on("2026-12-16", &["remediation", "Q4", "--check"]);
        let listing = String::from_utf8_lossy(&out.stdout).to_string();
        (out.status.code(), listing)
    };
    assert_eq!(check().0, Some(1), "overdue first");

    // A partial export says nothing of the grants it leaves out.
    let gone = sandbox.write("gone.csv", &sample_without_billing_key());
    sandbox.ok(&["import", "--partial", gone.to_str().unwrap()]);
    let (code, listing) = check();
    assert_eq!(code, Some(1), "{listing}");
    assert!(listing.contains(&format!("{item:<6}OVERDUE")), "{listing}");

    sandbox.ok(&["import", gone.to_str().unwrap()]);
    let (code, listing) = check();
    assert_eq!(code, Some(0), "the credential is gone: {listing}");
    // Whatever columns come between (a tenant's, in a campaign of several).
    let row = listing
        .lines()
        .find(|l| l.starts_with(&format!("{item:<6}removed  ")))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(row.contains("Billing export API key"), "{row}");
    assert!(
        listing.contains("grant gone in snapshot 3 (gone.csv)"),
        "{listing}"
    );
    assert!(
        listing.contains("1 rotation: 0 verified, 0 pending, 0 OVERDUE, 1 removed (grant gone)"),
        "{listing}"
    );
    let removed = on(
        "2026-12-16",
        &["remediation", "Q4", "--json", "--status", "removed"],
    );
    let removed: serde_json::Value = serde_json::from_slice(&removed.stdout).unwrap();
    assert_eq!(removed.as_array().unwrap().len(), 1, "{removed}");
    assert_eq!(removed[0]["status"], "removed");
    assert_eq!(removed[0]["proof"]["file_name"], "gone.csv");
    assert_eq!(
        removed[0]["rotated_at"],
        serde_json::Value::Null,
        "never rotated"
    );
    let verified = sandbox.json(&["remediation", "Q4", "--json", "--status", "verified"]);
    assert_eq!(
        verified.as_array().unwrap().len(),
        0,
        "removed is not verified"
    );

    let md = on("2026-12-16", &["report", "Q4", "--format", "md"]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("0 overdue on 2026-12-16, 1 removed"), "{md}");
    assert!(md.contains("grant gone (snapshot 3, gone.csv)"), "{md}");
    let json = on("2026-12-16", &["report", "Q4", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        (&json["rotations"]["removed"], &json["rotations"]["overdue"]),
        (&serde_json::json!(1), &serde_json::json!(0)),
        "{}",
        json["rotations"]
    );

    // The next campaign has no such grant to flag, and nothing overdue.
    let created = on(
        "2026-12-16",
        &[
            "campaign",
            "new",
            "Q1",
            "--due",
            "2027-01-31",
            "--as-of",
            "2026-12-16",
        ],
    );
    assert!(created.status.success(), "{created:?}");
    let flagged = sandbox.json(&["items", "Q1", "--json", "--where", "flag=rotation_overdue"]);
    assert_eq!(flagged.as_array().unwrap().len(), 0, "{flagged}");
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn rotate_is_refused_for_a_grant_without_a_credential_and_past_the_policy() {
    let sandbox = Sandbox::with_campaign();
    let person = sandbox.sample_item("Q4", 1);
    let err = sandbox.fails(
        1,
        &[
            "decide",
            "Q4",
            &person,
            "rotate",
            "--by",
            "2026-12-15",
            "--note",
            "n",
        ],
    );
    assert!(err.contains("rotate is for credentials"), "{err}");
    let key = sandbox.sample_item("Q4", BILLING_KEY);
    let err = sandbox.fails(
        1,
        &[
            "decide",
            "Q4",
            &key,
            "rotate",
            "--by",
            "2026-11-22",
            "--note",
            "n",
        ],
    );
    assert!(err.contains("must be after the decision's day"), "{err}");
    let err = sandbox.fails(
        1,
        &[
            "decide",
            "Q4",
            &key,
            "rotate",
            "--by",
            "2027-02-21",
            "--note",
            "n",
        ],
    );
    assert!(err.contains("rotation period of 90 days"), "{err}");
    let err = sandbox.fails(2, &["decide", "Q4", &key, "rotate", "--by", "21/02/2027"]);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn the_recommendation_close_action_rotates_credentials_that_only_need_rotating() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", fixture("canonical/sample.csv").to_str().unwrap()]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q4",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
        "--on-close",
        "recommendation",
    ]);
    let show = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    let unsigned = show["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["owners_part"] == false)
        .count()
        .to_string();
    let preview = sandbox.ok(&["signoff", "Q4", "--preview"]);
    assert!(
        preview.contains("10 kept (2 with their credentials to rotate), 20 revoked"),
        "{preview}"
    );
    sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--note",
        "30 undecided",
        "--accept-unsigned",
        &unsigned,
        "--accept-undecided",
        "30",
    ]);
    let out = sandbox.ok(&["close", "Q4"]);
    assert!(
        out.contains(
            "30 items nobody decided got the close action recommendation: 10 kept (2 with their \
             credentials to rotate), 20 revoked"
        ),
        "{out}"
    );
    assert!(
        out.contains("20 revocations and 2 rotations to carry out: recert remediation \"Q4\""),
        "the close names both kinds of task: {out}"
    );
    let items = sandbox.json(&["items", "Q4", "--json"]);
    for line in [BILLING_KEY, LOADER_GITHUB] {
        let id: u64 = sandbox.sample_item("Q4", line).parse().unwrap();
        let item = items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap();
        assert_eq!(item["decision"], "rotate", "never revoked: {item}");
    }
    // Credentials with other findings (dormant, expired) are still revoked.
    let dormant_key = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["identity_id"] == "key-billing-export" && i["system"] == "salesforce")
        .unwrap();
    assert_eq!(dormant_key["decision"], "revoke", "{dormant_key}");

    let tasks = sandbox.json(&["remediation", "Q4", "--json"]);
    let rotations: Vec<_> = tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["task"] == "rotate")
        .collect();
    assert_eq!(rotations.len(), 2, "{tasks}");
    for task in &rotations {
        assert_eq!(task["close_action"], true);
        // The policy's rotation period (90 days) from the close's day.
        assert_eq!(task["by"], "2027-02-20");
        assert_eq!(task["status"], "pending");
    }
    let revocations = tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["task"] == "revoke")
        .count();
    assert_eq!(revocations, 20);
    let out = sandbox.ok(&["remediation", "Q4"]);
    assert!(
        out.lines()
            .any(|l| l.contains("Billing export API key") && l.contains("2027-02-20")),
        "{out}"
    );
    assert!(
        out.contains("2 rotations: 0 verified, 2 pending, 0 OVERDUE"),
        "{out}"
    );
    let verify = sandbox.ok(&["verify"]);
    assert!(verify.contains("audit chain intact"), "{verify}");
}
