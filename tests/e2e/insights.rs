//! Insights end to end: rules at their boundaries, the policy from the
//! config file, the flag listing with framework controls, and what
//! changed since the previous campaign.

use crate::util::{REVIEWER, Sandbox, fixture};
use chrono::{Duration, NaiveDate};
use serde_json::Value;

const HEADER: &str = "tenant,system,identity_id,identity_name,identity_kind,relationship,entitlement,granted_at,expires_at,last_used_at";

fn find<'a>(items: &'a [Value], identity: &str, system: &str, entitlement: &str) -> &'a Value {
    items
        .iter()
        .find(|i| {
            i["identity_id"] == identity && i["system"] == system && i["entitlement"] == entitlement
        })
        .unwrap_or_else(|| panic!("no item {identity} {system} {entitlement}"))
}

fn flags(item: &Value) -> Vec<&str> {
    item["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect()
}

fn items(sandbox: &Sandbox, campaign: &str) -> Vec<Value> {
    sandbox
        .json(&["items", campaign, "--json"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn rules_fire_after_their_thresholds_not_on_them() {
    let sandbox = Sandbox::new();
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let ago = |days: i64| (today - Duration::days(days)).to_string();
    let mut text = format!("{HEADER}\n");
    for days in [89, 90, 91] {
        text.push_str(&format!(
            "nw,gh,used-{days},U,human,employee,x,2025-01-01,,{}\n",
            ago(days)
        ));
    }
    for days in [-1, 0, 1] {
        text.push_str(&format!(
            "nw,gh,expires-{days},E,human,employee,x,2025-01-01,{},{}\n",
            ago(days),
            ago(1)
        ));
    }
    for days in [29, 30, 31] {
        text.push_str(&format!(
            "nw,gh,granted-{days},G,human,employee,x,{},,\n",
            ago(days)
        ));
    }
    let file = sandbox.write("edges.csv", &text);
    sandbox.ok(&["import", file.to_str().unwrap()]);
    sandbox.ok(&[
        "campaign",
        "new",
        "edges",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-22",
    ]);
    let items = items(&sandbox, "edges");
    let of = |id: &str| flags(find(&items, id, "gh", "x")).join(",");
    assert_eq!(of("used-89"), "");
    assert_eq!(of("used-90"), "", "90 days is not older than 90");
    assert_eq!(of("used-91"), "dormant");
    assert_eq!(of("expires--1"), "");
    assert_eq!(of("expires-0"), "", "expiring today is still valid today");
    assert_eq!(of("expires-1"), "expired");
    assert_eq!(of("granted-30"), "");
    assert_eq!(of("granted-31"), "never_used");
    let dormant = find(&items, "used-91", "gh", "x");
    assert_eq!(dormant["recommendation"], "revoke");
    assert_eq!(
        dormant["controls"],
        serde_json::json!(["NHI1:2025", "PR.AA-05", "DE.CM-03"])
    );
}

fn write_config(sandbox: &Sandbox, text: &str) -> std::path::PathBuf {
    // The sandbox's HOME: this is the platform config directory on Linux.
    let dir = sandbox.dir.path().join(".config/recert");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
#[cfg(target_os = "linux")]
fn policy_overrides_from_the_config_file_change_flags_and_recommendations() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", fixture("canonical/sample.csv").to_str().unwrap()]);
    let args = [
        "campaign",
        "new",
        "Q",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
    ];
    sandbox.ok(&args);
    let kenji = |items: &[Value]| {
        find(
            items,
            "k.ito@saltmarsh.example.net",
            "aws-prod",
            "PowerUserAccess",
        )
        .clone()
    };
    let before = kenji(&items(&sandbox, "Q"));
    assert_eq!(
        flags(&before),
        ["dormant", "no_sponsor", "privileged", "no_end_date"]
    );
    assert_eq!(before["recommendation"], "revoke");
    assert_eq!(before["risk_score"], 35 + 25 + 20 + 15);

    let path = write_config(
        &sandbox,
        "[policy]\ndormant_days = 200\n\n[policy.weights]\nno_sponsor = 90\n\n[policy.notes]\nrevoke = false\n",
    );
    let shown = sandbox.ok(&["config", "show"]);
    assert!(
        shown.contains(&format!("# config: {} (read)", path.display())),
        "{shown}"
    );
    assert!(shown.contains("dormant_days = 200"), "{shown}");
    assert!(
        shown.contains("never_used_days = 30"),
        "defaults fill the rest: {shown}"
    );

    sandbox.ok(&[
        "campaign",
        "new",
        "Q-tuned",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
    ]);
    let after = kenji(&items(&sandbox, "Q-tuned"));
    assert_eq!(
        flags(&after),
        ["no_sponsor", "privileged", "no_end_date"],
        "171 days is within 200"
    );
    assert_eq!(after["recommendation"], "reassign_or_revoke");
    assert_eq!(after["risk_score"], 90 + 20 + 15);
    // The tuned campaign lets a revoke go without a note; the first keeps
    // the policy it was created with.
    let mailbox = |campaign: &str| {
        find(
            &items(&sandbox, campaign),
            "k.ito@saltmarsh.example.net",
            "m365",
            "Mailbox",
        )["id"]
            .to_string()
    };
    sandbox.ok(&["decide", "Q-tuned", &mailbox("Q-tuned"), "revoke"]);
    let err = sandbox.fails(1, &["decide", "Q", &mailbox("Q"), "revoke"]);
    assert!(err.contains("a revoke needs a note"), "{err}");
    let flags_json = sandbox.json(&["flags", "--json"]);
    let dormant = flags_json["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "dormant")
        .unwrap();
    assert_eq!(
        dormant["rule"],
        "last used more than 200 days ago (break-glass accounts excepted)"
    );
}

#[test]
#[cfg(target_os = "linux")]
fn an_invalid_config_is_refused_with_its_line() {
    let sandbox = Sandbox::new();
    write_config(
        &sandbox,
        "[policy]\nrotation_days = 90\ndormant_days = -3\n",
    );
    let err = sandbox.fails(1, &["campaign", "list"]);
    assert!(
        err.contains(".config/recert/config.toml:3:16: -3 is not a valid number of days"),
        "{err}"
    );
    write_config(&sandbox, "[policy]\ncolour = \"red\"\n");
    let err = sandbox.fails(1, &["config", "show"]);
    assert!(
        err.contains("config.toml:2:1: unknown field `colour`"),
        "{err}"
    );
}

#[test]
fn recert_config_names_the_file_and_its_reviewer_acts() {
    let sandbox = Sandbox::new();
    let config = sandbox.write("team.toml", "reviewer = \"audit@northwind.example.com\"\n");
    let run = |args: &[&str]| {
        let output = sandbox
            .cmd()
            .env_remove("RECERT_REVIEWER")
            .env("RECERT_CONFIG", &config)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    run(&["import", fixture("canonical/sample.csv").to_str().unwrap()]);
    run(&["campaign", "new", "C", "--due", "2026-12-15"]);
    let shown: Value = serde_json::from_str(&run(&["config", "show", "--json"])).unwrap();
    assert_eq!(shown["origin"]["source"], "file");
    assert_eq!(shown["acting_reviewer"], "audit@northwind.example.com");
    let campaign = sandbox.json(&["campaign", "show", "C", "--json"]);
    assert_eq!(campaign["owner"], "audit@northwind.example.com");
    // --as (here RECERT_REVIEWER) still wins over the config.
    let output = sandbox
        .cmd()
        .env("RECERT_CONFIG", &config)
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["acting_reviewer"], REVIEWER);
    let missing = sandbox
        .cmd()
        .env("RECERT_CONFIG", sandbox.path("nope.toml"))
        .args(["campaign", "list"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
}

#[test]
fn config_init_writes_the_commented_defaults_once() {
    let sandbox = Sandbox::new();
    let target = sandbox.path("conf/recert.toml");
    let run = |args: &[&str]| {
        sandbox
            .cmd()
            .env("RECERT_CONFIG", &target)
            .args(args)
            .output()
            .unwrap()
    };
    let first = run(&["config", "init"]);
    assert!(first.status.success());
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.contains("# A grant last used more than this many days ago is dormant"));
    assert_eq!(
        run(&["config", "init"]).status.code(),
        Some(2),
        "never overwrites"
    );
    let shown = String::from_utf8(run(&["config", "show"]).stdout).unwrap();
    assert!(shown.contains("dormant_days = 90"), "{shown}");
}

#[test]
fn every_flag_lists_its_rule_weight_and_controls() {
    let sandbox = Sandbox::new();
    let listing = sandbox.json(&["flags", "--json"]);
    let all = listing["flags"].as_array().unwrap();
    assert_eq!(all.len(), recert::domain::Flag::ALL.len());
    for flag in all {
        assert!(!flag["controls"].as_array().unwrap().is_empty(), "{flag}");
        assert!(!flag["rule"].as_str().unwrap().is_empty());
    }
    let unrotated = all.iter().find(|f| f["name"] == "unrotated").unwrap();
    assert_eq!(unrotated["controls"][0]["id"], "NHI7:2025");
    assert_eq!(unrotated["controls"][0]["title"], "Long-Lived Secrets");
    assert_eq!(unrotated["recommendation"], "rotate_or_revoke");
    let frameworks: Vec<&str> = listing["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(frameworks, ["owasp-nhi", "nist-csf"]);
    let text = sandbox.ok(&["flags"]);
    let row = text.lines().find(|l| l.starts_with("unrotated ")).unwrap();
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells,
        [
            "unrotated",
            "ROT",
            "25",
            "rotate or revoke",
            "NHI7:2025 PR.AA-01"
        ]
    );
}

#[test]
fn a_second_campaign_shows_what_moved_and_the_earlier_decisions() {
    let sandbox = Sandbox::new();
    let sample = fixture("canonical/sample.csv");
    sandbox.ok(&["import", sample.to_str().unwrap()]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q3",
        "--due",
        "2026-11-15",
        "--as-of",
        "2026-11-01",
    ]);
    let q3 = items(&sandbox, "Q3");
    let snowflake = find(
        &q3,
        "l.brandt@copperline.example.com",
        "snowflake",
        "ANALYST",
    );
    let mailbox = find(&q3, "k.ito@saltmarsh.example.net", "m365", "Mailbox");
    sandbox.ok(&[
        "decide",
        "Q3",
        &snowflake["id"].to_string(),
        "attest",
        "--note",
        "needed for the close",
    ]);
    sandbox.ok(&[
        "decide",
        "Q3",
        &mailbox["id"].to_string(),
        "revoke",
        "--note",
        "left the project",
    ]);

    // The next export: one grant used since, one new grant.
    let text = std::fs::read_to_string(&sample).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let salesforce = lines
        .iter()
        .position(|l| l.starts_with("northwind,salesforce,l.brandt@"))
        .unwrap();
    lines[salesforce] = lines[salesforce].replace(",2026-05-14,", ",2026-11-15,");
    lines.push(lines[salesforce].replace("Partner Community User", "Report Builder"));
    let later = sandbox.write("later.csv", &(lines.join("\n") + "\n"));
    sandbox.ok(&["import", later.to_str().unwrap()]);
    let out = sandbox.ok(&[
        "campaign",
        "new",
        "Q4",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-22",
    ]);
    assert!(out.contains("compared with \"Q3\""), "{out}");

    let q4 = items(&sandbox, "Q4");
    let same = find(
        &q4,
        "l.brandt@copperline.example.com",
        "snowflake",
        "ANALYST",
    );
    assert_eq!(same["since"], "unchanged");
    assert_eq!(same["previous"]["campaign"], "Q3");
    assert_eq!(same["previous"]["decision"], "attest");
    assert_eq!(same["previous"]["actor"], REVIEWER);
    assert_eq!(
        same["previous"]["reviewer"],
        "a.kowalski@northwind.example.com"
    );
    assert_eq!(same["previous"]["note"], "needed for the close");
    let revoked = find(&q4, "k.ito@saltmarsh.example.net", "m365", "Mailbox");
    assert_eq!(revoked["since"], "unchanged");
    assert_eq!(revoked["previous"]["decision"], "revoke");
    assert_eq!(revoked["previous"]["note"], "left the project");
    let moved = find(
        &q4,
        "l.brandt@copperline.example.com",
        "salesforce",
        "Partner Community User",
    );
    assert_eq!(moved["since"], "changed");
    assert_eq!(
        moved["since_detail"],
        "last_used_at: 2026-05-14 → 2026-11-15"
    );
    assert_eq!(
        moved["previous"]["decision"],
        Value::Null,
        "nobody decided it in Q3"
    );
    let new = find(
        &q4,
        "l.brandt@copperline.example.com",
        "salesforce",
        "Report Builder",
    );
    assert_eq!(new["since"], "new");
    assert_eq!(new["previous"], Value::Null);
    let table = sandbox.ok(&[
        "items",
        "Q4",
        "--where",
        "identity_id=l.brandt@copperline.example.com",
    ]);
    assert!(table.contains("unchanged") && table.contains("changed") && table.contains("new"));
}
