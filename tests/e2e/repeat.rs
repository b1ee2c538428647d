//! The next quarter: repeating a campaign with `--like`, `campaign due`
//! on a fixed day, and scopes that target flags or what changed.

use crate::util::{Sandbox, fixture};

fn sample() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", fixture("canonical/sample.csv").to_str().unwrap()]);
    sandbox
}

fn shown(sandbox: &Sandbox, name: &str) -> serde_json::Value {
    sandbox.json(&["campaign", "show", name, "--json"])
}

fn items(sandbox: &Sandbox, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["items"];
    all.extend_from_slice(args);
    all.push("--json");
    sandbox.json(&all).as_array().expect("items").clone()
}

fn has_flag(item: &serde_json::Value, flag: &str) -> bool {
    item["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .any(|f| f == flag)
}

#[test]
fn a_campaign_like_another_repeats_its_scope_reviewers_policy_and_close_action() {
    let sandbox = sample();
    // Q4 ran under a policy where nothing is dormant yet.
    let lenient = sandbox.write("lenient.toml", "[policy]\ndormant_days = 3000\n");
    let q4 = sandbox
        .cmd()
        .env("RECERT_CONFIG", &lenient)
        .args([
            "campaign",
            "new",
            "Q4",
            "--due",
            "2026-12-15",
            "--where",
            "relationship=partner,contractor",
            "--where",
            "tenant=northwind",
            "--reviewer-rule",
            "business_owner",
            "--on-close",
            "recommendation",
        ])
        .output()
        .unwrap();
    assert!(q4.status.success(), "{q4:?}");
    // Q1, under the built-in policy, repeats Q4's.
    let out = sandbox.ok(&[
        "campaign",
        "new",
        "Q1",
        "--like",
        "Q4",
        "--due",
        "2027-03-15",
    ]);
    assert!(out.contains("compared with \"Q4\""), "{out}");
    let (q4, q1) = (shown(&sandbox, "Q4"), shown(&sandbox, "Q1"));
    for field in ["scope", "reviewer_rule", "on_close", "items"] {
        assert_eq!(q1[field], q4[field], "{field}");
    }
    assert_eq!(
        q1["scope"],
        serde_json::json!(["relationship=contractor,partner", "tenant=northwind"])
    );
    assert_eq!(q1["reviewer_rule"], "business_owner");
    assert_eq!(q1["on_close"], "recommendation");
    assert_eq!(q1["due"], "2027-03-15");
    let dormant = |name: &str| {
        items(&sandbox, &[name])
            .iter()
            .filter(|i| has_flag(i, "dormant"))
            .count()
    };
    assert_eq!(
        (dormant("Q4"), dormant("Q1")),
        (0, 0),
        "Q4's policy came along"
    );
    // The same scope under the built-in policy does find dormant grants.
    sandbox.ok(&[
        "campaign",
        "new",
        "Fresh",
        "--due",
        "2027-03-15",
        "--where",
        "tenant=northwind",
        "--where",
        "relationship=contractor,partner",
    ]);
    assert!(dormant("Fresh") > 0);

    // Explicit options win; what they leave alone still comes from Q4.
    sandbox.ok(&[
        "campaign",
        "new",
        "MSP",
        "--like",
        "Q4",
        "--due",
        "2027-03-15",
        "--where",
        "relationship=msp",
        "--on-close",
        "keep",
    ]);
    let msp = shown(&sandbox, "MSP");
    assert_eq!(msp["scope"], serde_json::json!(["relationship=msp"]));
    assert_eq!(msp["on_close"], "keep");
    assert_eq!(msp["reviewer_rule"], "business_owner");
    assert!(msp["previous"].is_null(), "a scope of its own: {msp}");

    let err = sandbox.fails(
        1,
        &[
            "campaign",
            "new",
            "Q2",
            "--like",
            "Q9",
            "--due",
            "2027-06-15",
        ],
    );
    assert!(err.contains("Q9"), "{err}");
}

/// `campaign due` at `day` (10:00 UTC), under `config`.
fn due(
    sandbox: &Sandbox,
    config: &std::path::Path,
    day: &str,
    args: &[&str],
) -> (i32, String, String) {
    let output = sandbox
        .cmd()
        .env("RECERT_CONFIG", config)
        .env("RECERT_NOW", format!("{day}T10:00:00Z"))
        .args(["campaign", "due"])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn line_of<'a>(out: &'a str, scope: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(scope))
        .unwrap_or_else(|| panic!("no line for {scope}: {out}"))
}

#[test]
fn campaign_due_paces_each_scope_by_its_cadence_and_fails_when_one_is_overdue() {
    let sandbox = sample();
    let config = sandbox.write(
        "cadence.toml",
        "[policy]\ncadence_days = 90\n[policy.cadence]\nmsp = 30\nprivileged = 60\n",
    );
    let none = due(&sandbox, &config, "2026-11-22", &[]);
    assert_eq!(none.0, 0);
    assert!(
        none.1.contains("no scope has been reviewed yet"),
        "{}",
        none.1
    );
    // All three reviewed on 2026-11-22 (the sandbox's now).
    for (name, filters) in [
        ("MSP", &["relationship=msp"][..]),
        ("Contractors", &["relationship=contractor"]),
        ("Vendors", &["relationship=vendor", "privileged=false"]),
    ] {
        let mut args = vec!["campaign", "new", name, "--due", "2026-12-15"];
        for f in filters {
            args.extend(["--where", f]);
        }
        sandbox.ok(&args);
    }
    // A cancelled campaign reviewed nothing.
    sandbox.ok(&[
        "campaign",
        "new",
        "Oops",
        "--due",
        "2026-12-15",
        "--where",
        "region=apac",
    ]);
    sandbox.ok(&["campaign", "cancel", "Oops", "--note", "wrong scope"]);

    // The day before MSP's is due (msp 30 days), the day of, the day after.
    let before = due(&sandbox, &config, "2026-12-21", &[]);
    assert_eq!(before.0, 0, "{before:?}");
    let msp = line_of(&before.1, "relationship=msp");
    for part in ["MSP", "2026-11-22", "30 days", "2026-12-22", "due in 1 day"] {
        assert!(msp.contains(part), "{msp}");
    }
    // Contractors hold privileged grants (60 days); these vendors none (90).
    assert!(line_of(&before.1, "relationship=contractor").contains("2027-01-21"));
    assert!(line_of(&before.1, "privileged=false and relationship=vendor").contains("2027-02-20"));
    assert!(!before.1.contains("region=apac"), "{}", before.1);
    let scopes: Vec<&str> = before.1.lines().skip(1).collect();
    assert_eq!(scopes.len(), 3, "soonest first: {}", before.1);
    assert!(scopes[0].starts_with("relationship=msp"));

    let on = due(&sandbox, &config, "2026-12-22", &[]);
    assert_eq!(on.0, 0, "{on:?}");
    assert!(line_of(&on.1, "relationship=msp").contains("due today"));

    let after = due(&sandbox, &config, "2026-12-23", &[]);
    assert_eq!(after.0, 1, "{after:?}");
    assert!(line_of(&after.1, "relationship=msp").contains("OVERDUE by 1 day"));
    assert!(
        after.2.contains("1 scope overdue for review"),
        "{}",
        after.2
    );

    // --within: what falls due in that many days, and the overdue always.
    let (code, json, _) = due(
        &sandbox,
        &config,
        "2026-12-23",
        &["--within", "30", "--json"],
    );
    assert_eq!(code, 1);
    let listed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "{json}");
    assert_eq!(listed[0]["last_campaign"], "MSP");
    assert_eq!(listed[0]["overdue"], true);
    assert_eq!(listed[0]["days_left"], -1);
    assert_eq!(listed[0]["cadence_days"], 30);
    assert_eq!(listed[1]["last_campaign"], "Contractors");
    assert_eq!(listed[1]["next_due"], "2027-01-21");
    assert_eq!(listed[1]["days_left"], 29);
    let (code, out, _) = due(&sandbox, &config, "2026-11-22", &["--within", "5"]);
    assert_eq!((code, out.trim()), (0, "no scope is due within 5 days"));

    // The next MSP campaign, repeated: the scope is up to date again.
    let repeated = sandbox
        .cmd()
        .env("RECERT_NOW", "2026-12-23T10:00:00Z")
        .args([
            "campaign",
            "new",
            "MSP Q1",
            "--like",
            "MSP",
            "--due",
            "2027-01-15",
        ])
        .output()
        .unwrap();
    assert!(repeated.status.success(), "{repeated:?}");
    let again = due(&sandbox, &config, "2026-12-23", &[]);
    assert_eq!(again.0, 0, "{again:?}");
    let msp = line_of(&again.1, "relationship=msp");
    assert!(
        msp.contains("MSP Q1") && msp.contains("2027-01-22"),
        "{msp}"
    );

    // Without a cadence of their own, every scope is due after 90 days.
    let plain = sandbox.write("plain.toml", "");
    let (code, out, _) = due(&sandbox, &plain, "2026-12-23", &[]);
    assert_eq!(code, 0);
    assert!(
        line_of(&out, "relationship=contractor").contains("2027-02-20"),
        "{out}"
    );
}

#[test]
fn scopes_and_filters_target_flags_and_what_changed_since_the_last_campaign() {
    let sandbox = sample();
    sandbox.ok(&[
        "campaign",
        "new",
        "Q4",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
    ]);
    let all = items(&sandbox, &["Q4"]);
    let dormant: Vec<_> = all.iter().filter(|i| has_flag(i, "dormant")).collect();
    assert!(!dormant.is_empty() && dormant.len() < all.len());
    assert_eq!(
        items(&sandbox, &["Q4", "--where", "flag=dormant"]).len(),
        dormant.len()
    );
    assert_eq!(
        items(&sandbox, &["Q4", "--where", "since=new"]).len(),
        all.len()
    );
    assert_eq!(
        items(&sandbox, &["Q4", "--where", "since=changed,unchanged"]).len(),
        0
    );

    // A campaign of the dormant grants only.
    let out = sandbox.ok(&[
        "campaign",
        "new",
        "Dormant",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
        "--where",
        "flag=dormant",
    ]);
    assert!(out.contains(&format!("{} items", dormant.len())), "{out}");
    assert!(
        items(&sandbox, &["Dormant"])
            .iter()
            .all(|i| has_flag(i, "dormant"))
    );

    // A later export: one grant changed (used again), one added.
    let sample = std::fs::read_to_string(fixture("canonical/sample.csv")).unwrap();
    let mut lines: Vec<String> = sample.lines().map(String::from).collect();
    let first: Vec<&str> = lines[1].split(',').collect();
    let mut changed = first.clone();
    changed[17] = "2026-11-20";
    let mut added = first.clone();
    added[9] = "Partner Admin";
    let (changed, added) = (changed.join(","), added.join(","));
    lines[1] = changed;
    lines.push(added);
    let later = sandbox.write("later.csv", &(lines.join("\n") + "\n"));
    sandbox.ok(&["import", later.to_str().unwrap()]);

    let out = sandbox.ok(&[
        "campaign",
        "new",
        "Q1 delta",
        "--due",
        "2027-03-15",
        "--as-of",
        "2026-11-21",
        "--where",
        "since=new,changed",
    ]);
    // Compared with Q4, the last campaign of the same scope without since=.
    assert!(
        out.contains("2 items") && out.contains("compared with \"Q4\""),
        "{out}"
    );
    let delta = items(&sandbox, &["Q1 delta"]);
    let mut since: Vec<&str> = delta.iter().map(|i| i["since"].as_str().unwrap()).collect();
    since.sort();
    assert_eq!(since, ["changed", "new"]);
    assert!(delta.iter().any(|i| i["entitlement"] == "Partner Admin"));

    // Fields that exist only once items do are refused, and say where they work.
    let err = sandbox.fails(
        1,
        &[
            "campaign",
            "new",
            "Bad",
            "--due",
            "2027-03-15",
            "--where",
            "state=undecided",
        ],
    );
    assert!(err.contains("recert items --where state="), "{err}");
    let err = sandbox.fails(
        2,
        &[
            "campaign",
            "new",
            "Bad",
            "--due",
            "2027-03-15",
            "--where",
            "since=recent",
        ],
    );
    assert!(err.contains("not new, changed or unchanged"), "{err}");
}
