//! The next quarter starts where the last one ended: a Q4 campaign over a
//! 300-grant estate, a revoke, a later export (10 added, 5 changed, 20
//! removed, one identity moved to another region and sponsor, the revoked
//! grant still there) and a Q1 campaign that must not bury the revocation
//! that was not done.

use crate::util::Sandbox;
use chrono::NaiveDate;
use serde_json::Value;

/// Canonical columns the test edits.
const TENANT: usize = 0;
const SYSTEM: usize = 1;
const IDENTITY: usize = 2;
const REGION: usize = 7;
const ENTITLEMENT: usize = 9;
const SPONSOR: usize = 11;
const LAST_USED: usize = 17;

fn at(sandbox: &Sandbox, now: &str, args: &[&str]) -> std::process::Output {
    sandbox
        .cmd()
        .env("RECERT_NOW", now)
        .args(args)
        .output()
        .expect("run recert")
}

fn ok_at(sandbox: &Sandbox, now: &str, args: &[&str]) -> (String, String) {
    let out = at(sandbox, now, args);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "recert {args:?}: {stderr}\n{stdout}");
    (stdout, stderr)
}

fn csv(header: &str, rows: &[Vec<String>]) -> String {
    let mut text = format!("{header}\n");
    for row in rows {
        text.push_str(&row.join(","));
        text.push('\n');
    }
    text
}

fn key(row: &[String]) -> [&str; 4] {
    [
        &row[TENANT],
        &row[SYSTEM],
        &row[IDENTITY],
        &row[ENTITLEMENT],
    ]
}

fn item_key(item: &Value) -> [String; 4] {
    ["tenant", "system", "identity_id", "entitlement"].map(|f| item[f].as_str().unwrap().into())
}

fn flagged<'a>(items: &'a [Value], flag: &str) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|i| i["flags"].as_array().unwrap().iter().any(|f| f == flag))
        .collect()
}

struct Cycle {
    sandbox: Sandbox,
    header: String,
    later: Vec<Vec<String>>,
    revoked: [String; 4],
    moved_grants: usize,
}

/// Q4 over the estate, one grant revoked, and the later export imported.
fn q4_then_later_export() -> (Cycle, String, String) {
    let sandbox = Sandbox::new();
    let today = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let mut first = Vec::new();
    recert::estate::EstateSpec::new(300, 22, today)
        .write_csv(&mut first)
        .unwrap();
    let first = String::from_utf8(first).unwrap();
    sandbox.write("q4.csv", &first);
    ok_at(&sandbox, "2026-11-02T09:00:00Z", &["import", "q4.csv"]);
    ok_at(
        &sandbox,
        "2026-11-02T09:05:00Z",
        &[
            "campaign",
            "new",
            "Q4",
            "--due",
            "2026-12-15",
            "--as-of",
            "2026-11-01",
        ],
    );
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 300);
    // The grant revoked: one the insights rank low, so that only the new
    // flag can bring it to the front in Q1.
    let quiet = items
        .iter()
        .rev()
        .find(|i| i["flags"].as_array().unwrap().is_empty())
        .expect("an unflagged grant");
    let revoked = item_key(quiet);
    let id = quiet["id"].to_string();
    ok_at(
        &sandbox,
        "2026-12-10T09:30:00Z",
        &[
            "decide",
            "Q4",
            &id,
            "revoke",
            "--note",
            "dispatcher role no longer needed",
        ],
    );

    let mut lines = first.lines();
    let header = lines.next().unwrap().to_string();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert!(rows.iter().all(|r| r.len() == 21), "no quoted commas");
    let revoked_identity = (revoked[0].clone(), revoked[2].clone());
    let identity_of = |r: &Vec<String>| (r[TENANT].clone(), r[IDENTITY].clone());
    // One identity moves region and sponsor on all of its rows.
    let moved = rows
        .iter()
        .map(identity_of)
        .find(|who| *who != revoked_identity)
        .unwrap();
    let mut later = Vec::new();
    let (mut removed, mut changed) = (0, 0);
    let mut moved_grants = 0;
    for mut row in rows.clone() {
        let who = identity_of(&row);
        if who == moved {
            row[REGION] = "ap-south".into();
            row[SPONSOR] = "r.iyer@northwind.example.com".into();
            moved_grants += 1;
        } else if who != revoked_identity && removed < 20 {
            removed += 1;
            continue;
        } else if who != revoked_identity && changed < 5 {
            row[LAST_USED] = "2027-01-02".into();
            changed += 1;
        }
        later.push(row);
    }
    // Ten new grants for identities the export already describes as they are.
    let donors: Vec<Vec<String>> = later
        .iter()
        .rev()
        .filter(|r| identity_of(r) != moved && identity_of(r) != revoked_identity)
        .take(10)
        .cloned()
        .collect();
    for (n, mut row) in donors.into_iter().enumerate() {
        row[ENTITLEMENT] = format!("dispatch:queue-{n}");
        later.push(row);
    }
    assert_eq!(later.len(), 290);
    assert!(
        later
            .iter()
            .any(|r| key(r) == revoked.each_ref().map(|s| s.as_str()))
    );
    sandbox.write("january.csv", &csv(&header, &later));
    let (out, err) = ok_at(&sandbox, "2027-01-05T08:00:00Z", &["import", "january.csv"]);
    (
        Cycle {
            sandbox,
            header,
            later,
            revoked,
            moved_grants,
        },
        out,
        err,
    )
}

#[test]
fn a_q4_revocation_still_in_effect_leads_q1_until_a_snapshot_shows_it_gone() {
    let (cycle, out, err) = q4_then_later_export();
    let sandbox = &cycle.sandbox;
    assert!(
        out.contains(
            "january.csv: 290 rows (snapshot 2): 10 added, 5 changed, 275 unchanged, 20 removed; \
             1 identity changed (region 1, sponsor 1)"
        ),
        "{out}"
    );
    assert!(
        err.contains("1 revocation of campaign \"Q4\" STILL EFFECTIVE"),
        "{err}"
    );

    ok_at(
        sandbox,
        "2027-01-06T09:00:00Z",
        &[
            "campaign",
            "new",
            "Q1",
            "--due",
            "2027-02-15",
            "--as-of",
            "2027-01-05",
        ],
    );
    let items = sandbox.json(&["items", "Q1", "--json"]);
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 290);
    let not_done = flagged(items, "revocation_not_done");
    assert_eq!(not_done.len(), 1, "exactly the revoked grant");
    let first = &items[0];
    assert_eq!(item_key(first), cycle.revoked, "ranked first");
    assert_eq!(first["recommendation"], "revoke");
    let moved = flagged(items, "context_changed");
    assert_eq!(moved.len(), cycle.moved_grants);
    assert!(
        moved
            .iter()
            .all(|i| i["identity_id"] == moved[0]["identity_id"])
    );

    // Every report format gives it a section of its own.
    let report = sandbox.json(&["report", "Q1", "--format", "json"]);
    assert_eq!(report["format"], "recert-report/1");
    let section = report["revocations_not_done"].as_array().unwrap();
    assert_eq!(section.len(), 1);
    assert_eq!(section[0]["item"], first["id"]);
    assert_eq!(section[0]["revoked_in"]["campaign"], "Q4");
    assert_eq!(section[0]["status"], "still_effective");
    let reason = section[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "revoked in campaign \"Q4\" on 2026-12-10 by m.santos@northwind.example.com (event "
        ) && reason
            .ends_with("yet snapshot 2 (january.csv, imported 2027-01-05) still holds the grant"),
        "{reason}"
    );
    assert_eq!(report["remediation"]["carried_over"], 1);
    let csv_report = sandbox.ok(&["report", "Q1", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv_report.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let not_done = at("revocation_not_done");
    let top = reader.records().next().unwrap().unwrap();
    assert_eq!(top[0], first["id"].to_string(), "{top:?}");
    assert_eq!(&top[1], "1", "{top:?}");
    assert_eq!(top[not_done], format!("{reason}; now STILL EFFECTIVE"));
    // Only that row says so: in its reasons and in its own column.
    assert_eq!(csv_report.matches("revoked in campaign").count(), 2);
    assert!(top[at("reasons")].contains("revocation_not_done: revoked in campaign"));
    for format in ["md", "html"] {
        let text = sandbox.ok(&["report", "Q1", "--format", format]);
        assert!(text.contains("Revocations not done"), "{format}");
        assert!(
            text.contains("REVOCATION NOT DONE"),
            "{format}: the item's remark"
        );
        let section = text.split("Revocations not done").nth(1).unwrap();
        let (id, tenant) = (first["id"].to_string(), first["tenant"].as_str().unwrap());
        let row = match format {
            "html" => format!("<td>{id}</td><td>{tenant}</td>"),
            // Markdown marks the alerting row's number.
            _ => format!("| ⚠ {id} | {tenant} |"),
        };
        assert!(
            section.contains(&row),
            "{format}: the table names the tenant: {row} in {section}"
        );
        let escaped = reason.replace('"', if format == "html" { "&quot;" } else { "\"" });
        assert!(text.contains(&escaped), "{format}: {text}");
    }
    let since = |what: &str| items.iter().filter(|i| i["since"] == what).count();
    assert_eq!(
        (since("new"), since("changed"), since("unchanged")),
        (10, 5 + cycle.moved_grants, 275 - cycle.moved_grants)
    );

    // Q1's remediation carries Q4's revoke, and --check fails on it.
    let tasks = sandbox.json(&["remediation", "Q1", "--json"]);
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["item"], first["id"]);
    assert_eq!(tasks[0]["carried_from"], "Q4");
    assert_eq!(tasks[0]["status"], "still_effective");
    assert_eq!(tasks[0]["proof"]["file_name"], "january.csv");
    let listing = sandbox.ok(&["remediation", "Q1"]);
    assert!(listing.contains("REVOKED IN"), "{listing}");
    assert!(listing.contains("\"Q4\" (not done)"), "{listing}");
    assert!(
        listing.contains("1 revocation: 0 verified, 0 pending, 1 STILL EFFECTIVE"),
        "{listing}"
    );
    let refused = sandbox.fails(1, &["remediation", "Q1", "--check"]);
    assert!(
        refused.contains("1 revocation STILL EFFECTIVE"),
        "{refused}"
    );

    // A snapshot without the grant verifies Q4's revoke: Q1's remediation
    // says so, and the next campaign no longer flags it.
    let gone: Vec<Vec<String>> = cycle
        .later
        .iter()
        .filter(|r| key(r) != cycle.revoked.each_ref().map(|s| s.as_str()))
        .cloned()
        .collect();
    sandbox.write("february.csv", &csv(&cycle.header, &gone));
    let (out, _) = ok_at(sandbox, "2027-02-01T08:00:00Z", &["import", "february.csv"]);
    assert!(
        out.contains("verified 1 revocation of campaign \"Q4\": the grants are gone"),
        "{out}"
    );
    let tasks = sandbox.json(&["remediation", "Q1", "--json"]);
    assert_eq!(tasks[0]["status"], "verified");
    sandbox.ok(&["remediation", "Q1", "--check"]);
    ok_at(
        sandbox,
        "2027-02-02T09:00:00Z",
        &[
            "campaign",
            "new",
            "Q1-bis",
            "--due",
            "2027-03-15",
            "--as-of",
            "2027-02-01",
        ],
    );
    let items = sandbox.json(&["items", "Q1-bis", "--json"]);
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 289);
    assert!(flagged(items, "revocation_not_done").is_empty());
    let verify = sandbox.ok(&["verify"]);
    assert!(verify.contains("audit chain intact"), "{verify}");
}
