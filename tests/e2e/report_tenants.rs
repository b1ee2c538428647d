//! Reports an MSP lead reads: per-tenant and per-organization summaries
//! with exact counts, a tenant column in every item table, and each
//! item's evidence (flags with reasons, dates, sponsor, owners, controls)
//! in every format. The fixture holds two tenants: one vendor key in both,
//! a partner, a contractor and a service account with no organization.

use crate::util::{Sandbox, fixture};
use serde_json::{Value, json};

/// The fixture imported, campaign "Q4" due before the tests' now
/// (2026-11-22), and its items decided so that every count differs:
///
/// | item | tenant | organization | decision |
/// |---|---|---|---|
/// | ingest key | contoso | Lumen Metrics | revoke, still held by a re-import |
/// | Ana Ruiz | contoso | Lumen Metrics | exception |
/// | Kai Berg | contoso | Acme Consulting | none (overdue) |
/// | ingest key | fabrikam | Lumen Metrics | attest |
/// | svc-deploy | fabrikam | none | reassigned (still waiting: overdue) |
pub fn two_tenants() -> Sandbox {
    let sandbox = Sandbox::new();
    let estate = fixture("canonical/two-tenants.csv");
    let estate = estate.to_str().unwrap();
    sandbox.ok(&["import", estate]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q4",
        "--due",
        "2026-11-15",
        "--as-of",
        "2026-11-01",
    ]);
    let item = |tenant: &str, identity: &str| {
        let items = sandbox.json(&["items", "Q4", "--json"]);
        let found = items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["tenant"] == tenant && i["identity_id"] == identity);
        found.expect("the item")["id"].to_string()
    };
    let decide = |tenant: &str, identity: &str, decision: &[&str]| {
        let id = item(tenant, identity);
        let mut args = vec!["decide", "Q4", &id];
        args.extend(decision);
        args.extend(["--note", "checked with the sponsor"]);
        sandbox.ok(&args);
    };
    decide("contoso", "ingest@lumen.example", &["revoke"]);
    decide(
        "contoso",
        "a.ruiz@lumen.example",
        &["exception", "--until", "2027-01-31", "--ticket", "CHG-1"],
    );
    decide("fabrikam", "ingest@lumen.example", &["attest"]);
    decide(
        "fabrikam",
        "svc-deploy",
        &["reassign", "--to", "p.lind@fabrikam.example"],
    );
    // The same export again: the revoked key is still there.
    sandbox.ok(&["import", estate]);
    sandbox
}

fn summary(name: Value, counts: [u64; 6]) -> Value {
    let [
        items,
        decided,
        revoked,
        exceptions,
        still_effective,
        overdue,
    ] = counts;
    json!({
        "name": name, "items": items, "decided": decided, "revoked": revoked,
        "exceptions": exceptions, "still_effective": still_effective, "overdue": overdue,
    })
}

#[test]
fn per_tenant_and_per_organization_summaries_count_exactly() {
    let sandbox = two_tenants();
    let report = sandbox.json(&["report", "Q4", "--format", "json"]);
    assert_eq!(
        report["tenants"],
        json!([
            summary(json!("contoso"), [3, 2, 1, 1, 1, 1]),
            summary(json!("fabrikam"), [2, 1, 0, 0, 0, 1]),
        ])
    );
    let mut acme = summary(json!("Acme Consulting"), [1, 0, 0, 0, 0, 1]);
    acme["tenants"] = json!(["contoso"]);
    let mut lumen = summary(json!("Lumen Metrics"), [3, 3, 1, 1, 1, 0]);
    lumen["tenants"] = json!(["contoso", "fabrikam"]);
    let mut none = summary(Value::Null, [1, 0, 0, 0, 0, 1]);
    none["tenants"] = json!(["fabrikam"]);
    assert_eq!(report["organizations"], json!([acme, lumen, none]));

    let md = sandbox.ok(&["report", "Q4", "--format", "md"]);
    let lines: Vec<&str> = md.lines().collect();
    for row in [
        "| Tenant | Items | Decided | Revoked | Exceptions | Still effective | Overdue |",
        "| ⚠ contoso | 3 | 2 | 1 | 1 | 1 | 1 |",
        "| ⚠ fabrikam | 2 | 1 | 0 | 0 | 0 | 1 |",
        "| Organization | Tenants | Items | Decided | Revoked | Exceptions | Still effective | \
         Overdue |",
        "| ⚠ Acme Consulting | contoso | 1 | 0 | 0 | 0 | 0 | 1 |",
        "| ⚠ Lumen Metrics | contoso, fabrikam | 3 | 3 | 1 | 1 | 1 | 0 |",
        "| ⚠ (none) | fabrikam | 1 | 0 | 0 | 0 | 0 | 1 |",
    ] {
        assert!(lines.contains(&row), "{row}\n{md}");
    }
    let html = sandbox.ok(&["report", "Q4", "--format", "html"]);
    assert!(
        html.contains(
            "<tr class=\"alert\"><td>contoso</td><td>3</td><td>2</td><td>1</td><td>1</td>\
             <td>1</td><td>1</td></tr>"
        ),
        "{html}"
    );

    // Before the due date nothing is overdue; the other counts stand.
    let early = sandbox
        .cmd()
        .env("RECERT_NOW", "2026-11-15T18:00:00Z")
        .args(["report", "Q4", "--format", "json"])
        .output()
        .unwrap();
    assert!(early.status.success());
    let early: Value = serde_json::from_slice(&early.stdout).unwrap();
    assert_eq!(
        early["tenants"][0],
        summary(json!("contoso"), [3, 2, 1, 1, 1, 0])
    );
    assert_eq!(early["organizations"][2]["overdue"], 0);
}

/// A signed part takes no more decisions, nor does a signed-off campaign:
/// what waits in them is acknowledged, not overdue.
#[test]
fn nothing_in_a_signed_part_or_a_signed_off_campaign_is_overdue() {
    let sandbox = two_tenants();
    // Kai Berg's item waits in j.ode's part (contoso).
    sandbox.ok(&[
        "signoff",
        "Q4",
        "--as",
        "j.ode@contoso.example",
        "--note",
        "Kai's role waits for his new contract: 1 undecided",
        "--accept-undecided",
        "1",
    ]);
    let report = sandbox.json(&["report", "Q4", "--format", "json"]);
    assert_eq!(
        report["tenants"],
        json!([
            summary(json!("contoso"), [3, 2, 1, 1, 1, 0]),
            summary(json!("fabrikam"), [2, 1, 0, 0, 0, 1]),
        ])
    );
    assert_eq!(report["organizations"][0]["name"], "Acme Consulting");
    assert_eq!(report["organizations"][0]["overdue"], 0);

    sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--note",
        "svc-deploy waits for its new owner: 1 undecided",
        "--accept-unsigned",
        "1",
        "--accept-undecided",
        "2",
    ]);
    let report = sandbox.json(&["report", "Q4", "--format", "json"]);
    assert_eq!(
        report["tenants"][1],
        summary(json!("fabrikam"), [2, 1, 0, 0, 0, 0])
    );
    let md = sandbox.ok(&["report", "Q4", "--format", "md"]);
    assert!(md.contains("the campaign is no longer open"), "{md}");
}

/// The two ingest keys read alike but for their tenant: every item table
/// (the remediation list of still-effective revocations included) says which.
#[test]
fn every_item_table_has_a_tenant_column() {
    let sandbox = two_tenants();
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let id = |tenant: &str, identity: &str| {
        items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["tenant"] == tenant && i["identity_id"] == identity)
            .unwrap()["id"]
            .to_string()
    };
    let key = id("contoso", "ingest@lumen.example");
    // The owner overrides j.ode on Kai Berg's item: the overrides table.
    let kai = id("contoso", "k.berg@acme.example");
    sandbox.ok(&[
        "decide",
        "Q4",
        &kai,
        "attest",
        "--note",
        "the owner checked",
        "--override",
    ]);
    let md = sandbox.ok(&["report", "Q4", "--format", "md"]);
    assert!(
        md.contains("| Item | Tenant | Decision | By | Over | When | Note | Event |"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "| ⚠ {kai} | contoso | attest | m.santos@northwind.example.com | \
             j.ode@contoso.example |"
        )),
        "{md}"
    );
    let against = md
        .split("## Decisions against the recommendation")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the section");
    assert!(
        against.contains(&format!(
            "| {} | fabrikam | Lumen Metrics ingest key",
            id("fabrikam", "ingest@lumen.example")
        )),
        "{against}"
    );
    let still = md
        .split("## Remediation")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the remediation section");
    assert!(
        still.contains(r"| \# | Tenant | Identity | System | Entitlement | Revoked by |"),
        "{still}"
    );
    assert!(
        still.contains(&format!(
            "| ⚠ {key} | contoso | Lumen Metrics ingest key (ingest@lumen.example) | aws-prod |"
        )),
        "{still}"
    );
    let items = md.split("\n## Items\n").nth(1).expect("the items section");
    assert!(items.contains(r"| \# | Tenant | Identity |"), "{items}");
    assert!(
        items.contains("| fabrikam | Lumen Metrics ingest key"),
        "{items}"
    );
}

/// Each flag with its reason, the evidence dates, sponsor and owners, the
/// tenant and the controls, in every format.
#[test]
fn every_format_carries_reasons_dates_owners_and_controls() {
    let sandbox = two_tenants();
    let report = sandbox.json(&["report", "Q4", "--format", "json"]);
    let items = report["items"].as_array().unwrap();
    let key = items
        .iter()
        .find(|i| i["tenant"] == "contoso" && i["identity_id"] == "ingest@lumen.example")
        .unwrap();
    assert_eq!(key["sponsor"], "j.ode@contoso.example");
    assert_eq!(key["business_owner"], "finance@contoso.example");
    assert_eq!(key["technical_owner"], "cloudops@contoso.example");
    assert_eq!(key["granted_at"], "2025-01-10");
    assert_eq!(key["expires_at"], Value::Null);
    assert_eq!(key["last_used_at"], "2026-10-30");
    assert_eq!(key["credential_rotated_at"], "2025-01-10");
    assert_eq!(
        key["findings"],
        json!([
            {
                "flag": "unrotated",
                "reason": "credential last rotated 2025-01-10 (660 days ago); policy is 90 days",
                "controls": ["NHI7:2025", "PR.AA-01"],
            },
            {
                "flag": "cross_tenant",
                "reason": "also holds access in fabrikam",
                "controls": ["NHI8:2025", "NHI9:2025", "GV.SC-07"],
            },
            {
                "flag": "no_end_date",
                "reason": "vendor identity's grant with no end date",
                "controls": ["NHI1:2025", "GV.SC-10", "PR.AA-05"],
            },
            {
                "flag": "no_justification",
                "reason": "vendor identity's grant with no justification recorded",
                "controls": ["GV.SC-07", "PR.AA-05"],
            },
        ])
    );
    assert_eq!(
        key["controls"],
        json!([
            "NHI1:2025",
            "NHI7:2025",
            "NHI8:2025",
            "NHI9:2025",
            "GV.SC-07",
            "GV.SC-10",
            "PR.AA-01",
            "PR.AA-05"
        ])
    );
    let ana = items
        .iter()
        .find(|i| i["identity_id"] == "a.ruiz@lumen.example")
        .unwrap();
    assert_eq!(
        ana["findings"][0]["reason"],
        "expired on 2026-06-30 (124 days ago)"
    );

    let csv = sandbox.ok(&["report", "Q4", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let names: Vec<&str> = header.iter().collect();
    // The columns q-repeat's `decide --from` reads back keep their names;
    // the new ones come after every earlier column: the evidence, the
    // catalog's three and, last, a rotate's date.
    assert_eq!(names[..3], ["item", "rank", "tenant"]);
    assert_eq!(names.last(), Some(&"rotate_by"));
    assert_eq!(
        names[names.len() - 12..names.len() - 4],
        [
            "reasons",
            "sponsor",
            "business_owner",
            "technical_owner",
            "granted_at",
            "expires_at",
            "last_used_at",
            "credential_rotated_at"
        ]
    );
    let column = |name: &str| names.iter().position(|n| *n == name).unwrap();
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|r| {
            &r[column("tenant")] == "contoso" && &r[column("identity_id")] == "ingest@lumen.example"
        })
        .unwrap();
    assert_eq!(
        &row[column("reasons")],
        "unrotated: credential last rotated 2025-01-10 (660 days ago); policy is 90 days | \
         cross_tenant: also holds access in fabrikam | \
         no_end_date: vendor identity's grant with no end date | \
         no_justification: vendor identity's grant with no justification recorded"
    );
    assert_eq!(
        &row[column("controls")],
        "NHI1:2025 NHI7:2025 NHI8:2025 NHI9:2025 GV.SC-07 GV.SC-10 PR.AA-01 PR.AA-05"
    );
    assert_eq!(&row[column("sponsor")], "j.ode@contoso.example");
    assert_eq!(&row[column("technical_owner")], "cloudops@contoso.example");
    assert_eq!(&row[column("credential_rotated_at")], "2025-01-10");

    // The contoso key's row of the items table, in each document.
    let md = sandbox.ok(&["report", "Q4", "--format", "md"]);
    let md_row = md
        .split("\n## Items\n")
        .nth(1)
        .and_then(|items| {
            items
                .lines()
                .find(|l| l.contains("| contoso | Lumen Metrics ingest key"))
        })
        .expect("the key's row")
        .to_string();
    let html = sandbox.ok(&["report", "Q4", "--format", "html"]);
    let html_row = html
        .split("<h2>Items</h2>")
        .nth(1)
        .and_then(|items| {
            items
                .split("</tr>")
                .find(|r| r.contains("<td>contoso</td><td>Lumen Metrics ingest key"))
        })
        .expect("the key's row")
        .to_string();
    for (format, row) in [("md", md_row), ("html", html_row)] {
        for text in [
            "unrotated: credential last rotated 2025-01-10 (660 days ago); policy is 90 days",
            "cross_tenant: also holds access in fabrikam",
            "granted 2025-01-10",
            "last used 2026-10-30",
            "credential rotated 2025-01-10",
            "sponsor: j.ode@contoso.example",
            "business owner: finance@contoso.example",
            "technical owner: cloudops@contoso.example",
            "NHI1:2025, NHI7:2025, NHI8:2025, NHI9:2025, GV.SC-07, GV.SC-10, PR.AA-01, PR.AA-05",
        ] {
            // Markdown escapes the flags' underscores.
            let text = match format {
                "md" => text.replace('_', "\\_"),
                _ => text.to_string(),
            };
            assert!(row.contains(&text), "{format}: {text}\n{row}");
        }
        // One flag, one date, one person a line.
        assert!(row.contains("90 days<br>cross"), "{format}: {row}");
        assert!(!row.contains("expires"), "no expiry to show: {row}");
    }
}
