//! Issue 24 end to end: the entitlement catalog (import, rejections,
//! versions, filters, the `sensitive_data` flag), segregation of duties
//! from the config, the seed checks at their boundaries, the register's
//! partner tier, and all of it in `recert demo`.

use crate::util::{Pty, Sandbox};
use recert::domain::Flag;
use recert::store::{CampaignId, ItemId, Store};
use serde_json::Value;

const HEADER: &str = "tenant,system,identity_id,identity_name,identity_kind,relationship,\
                      entitlement,expires_at,justification,last_used_at,sponsor";

/// Noor holds both halves of the payment pair, Lena one half, Omar the
/// release in another system; all employees with an end date and a
/// justification, so that only the checks under test speak.
const ESTATE: &str = "nw,sap-erp,n.haddad,Noor Haddad,human,employee,Z_PAYMENT_RUN_RELEASE,2027-06-30,close,2026-11-01,\n\
nw,sap-erp,n.haddad,Noor Haddad,human,employee,Z_AP_CLERK_NW,2027-06-30,payables,2026-11-01,\n\
nw,github,n.haddad,Noor Haddad,human,employee,org:member,2027-06-30,code,2026-11-01,\n\
nw,sap-erp,l.brandt,Lena Brandt,human,employee,Z_AP_CLERK_DE,2027-06-30,payables,2026-11-01,\n\
nw,oracle-ebs,o.ruiz,Omar Ruiz,human,employee,Z_PAYMENT_RUN_RELEASE,2027-06-30,close,2026-11-01,\n\
nw,sap-erp,o.ruiz,Omar Ruiz,human,employee,Z_AP_CLERK,2027-06-30,payables,2026-11-01,\n";

const SOD: &str = "[[policy.sod]]\n\
name = \"release payments and keep the books\"\n\
system = \"sap-erp\"\n\
a = \"Z_PAYMENT_RUN_RELEASE\"\n\
b = \"Z_AP_CLERK*\"\n\
reason = \"one person could enter and pay the same invoice\"\n";

fn estate(sandbox: &Sandbox, rows: &str) {
    sandbox.write("estate.csv", &format!("{HEADER}\n{rows}"));
    sandbox.ok(&["import", "estate.csv"]);
}

fn items(sandbox: &Sandbox, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["items"];
    all.extend(args);
    all.push("--json");
    sandbox.json(&all).as_array().unwrap().clone()
}

fn find<'a>(items: &'a [Value], identity: &str, entitlement: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["identity_id"] == identity && i["entitlement"] == entitlement)
        .unwrap_or_else(|| panic!("no item {identity} {entitlement}"))
}

fn flags(item: &Value) -> Vec<&str> {
    item["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect()
}

fn has(item: &Value, flag: &str) -> bool {
    flags(item).contains(&flag)
}

/// The reason the item's detail gives for `flag`.
fn reason(sandbox: &Sandbox, campaign: &str, item: &Value, flag: Flag) -> String {
    let store = Store::open(&sandbox.db()).unwrap();
    let id = store.campaign(campaign).unwrap().id;
    reason_in(&store, id, item, flag)
}

fn reason_in(store: &Store, campaign: CampaignId, item: &Value, flag: Flag) -> String {
    let detail = store
        .item_detail(campaign, ItemId(item["id"].as_i64().unwrap()))
        .unwrap()
        .unwrap();
    detail
        .findings
        .iter()
        .find(|f| f.flag == flag.name())
        .unwrap_or_else(|| panic!("no {flag:?} in {:?}", detail.findings))
        .reason
        .clone()
}

const CATALOG: &str = "tenant,system,entitlement,description,sensitivity,data_classes,owner\n\
,sap-erp,Z_PAYMENT_RUN_RELEASE,Releases payment runs to the bank,restricted,payments,m.santos@northwind.example.com\n\
,sap-erp,Z_NOBODY,Held by nobody,internal,,\n\
nw,github,org:member,Reads internal repositories,internal,source code,\n";

#[test]
fn a_catalog_import_counts_what_it_covers_and_freezes_on_items() {
    let sandbox = Sandbox::new();
    estate(&sandbox, ESTATE);
    sandbox.write("catalog.csv", CATALOG);
    let out = sandbox.ok(&["import", "catalog.csv"]);
    assert_eq!(
        out,
        "catalog.csv: 3 rows (snapshot 2): 3 added, 0 changed, 0 unchanged, 0 removed; \
         1 entry matches no current grant, 4 grants have no catalog entry\n",
        "detected as a catalog; Z_NOBODY is held by nobody, the clerks and Omar's \
         oracle-ebs release are not described"
    );
    sandbox.ok(&["campaign", "new", "Q1", "--due", "2026-12-15"]);
    let all = items(&sandbox, &["Q1"]);
    let release = find(&all, "n.haddad", "Z_PAYMENT_RUN_RELEASE");
    assert!(has(release, "sensitive_data"), "{release}");
    assert_eq!(release["sensitivity"], "restricted");
    assert_eq!(release["description"], "Releases payment runs to the bank");
    assert_eq!(
        reason(&sandbox, "Q1", release, Flag::SensitiveData),
        "the entitlement catalog marks its data restricted"
    );
    let member = find(&all, "n.haddad", "org:member");
    assert!(!has(member, "sensitive_data"), "internal is not sensitive");
    assert_eq!(member["sensitivity"], "internal", "the tenant's own entry");
    let other_system = find(&all, "o.ruiz", "Z_PAYMENT_RUN_RELEASE");
    assert!(!has(other_system, "sensitive_data"));
    assert_eq!(other_system.get("sensitivity"), None, "no entry: no field");
    // Sensitive data raises the risk: the release comes first.
    assert_eq!(all[0]["id"], release["id"]);

    let restricted = items(&sandbox, &["Q1", "--where", "sensitivity=restricted"]);
    assert_eq!(restricted.len(), 1);
    assert_eq!(restricted[0]["id"], release["id"]);
    let err = sandbox.fails(2, &["items", "Q1", "--where", "sensitivity=secret"]);
    assert!(err.contains("secret"), "{err}");

    // A new version: the item keeps what it saw, a new scope reads the new.
    sandbox.write(
        "catalog.csv",
        "system,entitlement,sensitivity,tenant,description\n\
         sap-erp,Z_PAYMENT_RUN_RELEASE,confidential,,Releases payment runs to the bank\n\
         github,org:member,internal,nw,Reads internal repositories\n",
    );
    let out = sandbox.ok(&["import", "catalog.csv", "--format", "catalog"]);
    assert_eq!(
        out,
        "catalog.csv: 2 rows (snapshot 3): 0 added, 2 changed, 0 unchanged, 1 removed; \
         0 entries match no current grant, 4 grants have no catalog entry\n",
        "the file is the whole catalog: Z_NOBODY is gone, and columns it lacks \
         (data_classes, owner) are empty now"
    );
    let again = items(&sandbox, &["Q1", "--where", "sensitivity=restricted"]);
    assert_eq!(again.len(), 1, "the campaign froze the version it saw");
    sandbox.ok(&[
        "campaign",
        "new",
        "Q2",
        "--due",
        "2026-12-15",
        "--where",
        "sensitivity=confidential",
    ]);
    let scoped = items(&sandbox, &["Q2"]);
    assert_eq!(scoped.len(), 1, "{scoped:?}");
    assert_eq!(scoped[0]["entitlement"], "Z_PAYMENT_RUN_RELEASE");
    assert_eq!(scoped[0]["sensitivity"], "confidential");
    sandbox.ok(&["verify"]);
}

#[test]
fn a_catalog_with_any_problem_is_rejected_whole() {
    let sandbox = Sandbox::new();
    estate(&sandbox, ESTATE);
    let before = sandbox.dump();
    sandbox.write("catalog.csv", CATALOG);
    let out = sandbox.ok(&["import", "catalog.csv", "--dry-run"]);
    assert!(
        out.starts_with("catalog.csv: 3 rows (dry run, nothing written): 3 added"),
        "{out}"
    );
    assert_eq!(sandbox.dump(), before, "a dry run writes nothing");
    let good = ",sap-erp,Z_PAYMENT_RUN_RELEASE,Releases,restricted,,";
    let cases: [(&str, String, &str); 6] = [
        (
            "sensitivity",
            format!("{good}\n,sap-erp,Z_X,,secret,,\n"),
            "bad.csv:3: sensitivity: \"secret\"",
        ),
        (
            "empty entitlement",
            format!("{good}\n,sap-erp,,what,public,,\n"),
            "bad.csv:3: entitlement: required value is empty",
        ),
        (
            "empty system",
            format!("{good}\nnw,,Z_X,what,public,,\n"),
            "bad.csv:3: system: required value is empty",
        ),
        (
            "duplicate",
            format!("{good}\n,sap-erp,Z_PAYMENT_RUN_RELEASE,Again,public,,\n"),
            "bad.csv:3: entitlement: duplicate of line 2: the same tenant, system and entitlement",
        ),
        (
            "missing column",
            "HEADER:tenant,system,description,sensitivity\n,sap-erp,what,public\n".into(),
            "bad.csv:1: entitlement: required column is missing",
        ),
        (
            "misspelt column",
            "HEADER:tenant,system,entitlement,sensitivty\n,sap-erp,Z_X,public\n".into(),
            "bad.csv:1: sensitivty:",
        ),
    ];
    for (what, rows, expected) in cases {
        let text = match rows.strip_prefix("HEADER:") {
            Some(whole) => whole.to_string(),
            None => format!(
                "tenant,system,entitlement,description,sensitivity,data_classes,owner\n{rows}"
            ),
        };
        sandbox.write("bad.csv", &text);
        let err = sandbox.fails(1, &["import", "bad.csv", "--format", "catalog"]);
        assert!(
            err.lines().any(|l| l.starts_with(expected)),
            "{what}: {err}"
        );
        assert_eq!(sandbox.dump(), before, "{what}: nothing was written");
    }
}

#[test]
fn sod_rules_flag_both_grants_of_a_pair_each_naming_the_other() {
    let sandbox = Sandbox::new();
    estate(&sandbox, ESTATE);
    let config = sandbox.write("sod.toml", SOD);
    let run = |args: &[&str]| {
        let output = sandbox
            .cmd()
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
    run(&["campaign", "new", "Q1", "--due", "2026-12-15"]);
    let all = items(&sandbox, &["Q1"]);
    let release = find(&all, "n.haddad", "Z_PAYMENT_RUN_RELEASE");
    let clerk = find(&all, "n.haddad", "Z_AP_CLERK_NW");
    for item in [release, clerk] {
        assert_eq!(flags(item), ["sod_conflict"], "{item}");
        assert_eq!(item["recommendation"], "revoke_one_of_pair");
    }
    assert_eq!(
        reason(&sandbox, "Q1", release, Flag::SodConflict),
        "also holds sap-erp Z_AP_CLERK_NW (rule \"release payments and keep the books\": \
         one person could enter and pay the same invoice)"
    );
    assert_eq!(
        reason(&sandbox, "Q1", clerk, Flag::SodConflict),
        "also holds sap-erp Z_PAYMENT_RUN_RELEASE (rule \"release payments and keep the \
         books\": one person could enter and pay the same invoice)"
    );
    for (who, what) in [
        ("n.haddad", "org:member"),
        ("l.brandt", "Z_AP_CLERK_DE"),
        ("o.ruiz", "Z_PAYMENT_RUN_RELEASE"),
        ("o.ruiz", "Z_AP_CLERK"),
    ] {
        assert!(
            !has(find(&all, who, what), "sod_conflict"),
            "{who} {what}: one half, or the other half outside the rule's system"
        );
    }
    let paired = items(&sandbox, &["Q1", "--where", "flag=sod_conflict"]);
    assert_eq!(paired.len(), 2);

    let listed = run(&["flags"]);
    assert!(
        listed.contains(
            "Segregation of duties (1 rule):\n  release payments and keep the books: \
             Z_PAYMENT_RUN_RELEASE with Z_AP_CLERK* (system sap-erp): one person could \
             enter and pay the same invoice\n"
        ),
        "{listed}"
    );
    let json: Value = serde_json::from_str(&run(&["flags", "--json"])).unwrap();
    assert_eq!(json["sod"][0]["b"], "Z_AP_CLERK*");
    assert!(
        sandbox
            .ok(&["flags"])
            .contains("Segregation of duties: no [[policy.sod]] rules in the config.")
    );

    // The campaign keeps the rules it was made with; without them, no pair.
    sandbox.ok(&["campaign", "new", "Q2", "--due", "2026-12-15"]);
    let none = items(&sandbox, &["Q2", "--where", "flag=sod_conflict"]);
    assert!(none.is_empty(), "{none:?}");
    sandbox.ok(&["verify"]);
}

#[test]
fn a_sod_rule_that_does_not_read_is_refused_with_its_place() {
    let sandbox = Sandbox::new();
    let config = sandbox.write(
        "sod.toml",
        "[[policy.sod]]\nname = \"x\"\na = \"A*\"\nb = \"\"\n",
    );
    let output = sandbox
        .cmd()
        .env("RECERT_CONFIG", &config)
        .args(["flags"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("sod.toml:") && err.contains("`b` names no entitlement"),
        "{err}"
    );
}

#[test]
fn seed_checks_fire_at_their_boundaries() {
    let sandbox = Sandbox::new();
    let sponsor = "a.kowalski@northwind.example.com";
    let rows = format!(
        "nw,gh,open,P,human,partner,x,,why,2026-11-01,{sponsor}\n\
         nw,gh,ended,P,human,partner,x,2026-11-01,why,2026-11-01,{sponsor}\n\
         nw,gh,vendor,V,human,vendor,x,,why,2026-11-01,{sponsor}\n\
         nw,gh,staff,E,human,employee,x,,,2026-11-01,\n\
         nw,gh,bare,P,human,contractor,x,2027-01-01,,2026-11-01,{sponsor}\n\
         nw,gh,blank,P,human,msp,x,2027-01-01,\"  \",2026-11-01,{sponsor}\n\
         nw,gh,unknown,U,human,unknown,x,,,2026-11-01,\n\
         nw,vault,bg-on-the-day,B,break_glass,employee,root,,,2026-11-01,\n\
         nw,vault,bg-after,B,break_glass,employee,root,,,2026-11-02,\n\
         nw,vault,bg-never,B,break_glass,employee,root,,,,\n"
    );
    estate(&sandbox, &rows);
    sandbox.ok(&[
        "campaign",
        "new",
        "A",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
    ]);
    let first = items(&sandbox, &["A"]);
    let check = |all: &[Value], who: &str, flag: &str, expected: bool| {
        let item = find(all, who, if who.starts_with("bg") { "root" } else { "x" });
        assert_eq!(has(item, flag), expected, "{who} {flag}: {item}");
    };
    for (who, end, justification) in [
        ("open", true, false),
        ("ended", false, false),
        ("vendor", true, false),
        ("staff", false, false),
        ("bare", false, true),
        ("blank", false, true),
        ("unknown", false, false),
    ] {
        check(&first, who, "no_end_date", end);
        check(&first, who, "no_justification", justification);
    }
    assert_eq!(
        find(&first, "open", "x")["recommendation"],
        "set_end_date",
        "no end date is the strongest finding"
    );
    assert_eq!(find(&first, "bare", "x")["recommendation"], "ask_sponsor");
    // A scope's first campaign: any recorded use of a break-glass account.
    check(&first, "bg-on-the-day", "break_glass_used", true);
    check(&first, "bg-after", "break_glass_used", true);
    check(&first, "bg-never", "break_glass_used", false);
    assert_eq!(
        reason(
            &sandbox,
            "A",
            find(&first, "bg-after", "root"),
            Flag::BreakGlassUsed
        ),
        "break-glass account used on 2026-11-02 (tomorrow); no earlier campaign of this scope \
         reviewed it",
        "a first campaign flags any use, even one after its as-of day"
    );

    // The next campaign of the scope: only uses after the previous as-of day.
    sandbox.ok(&[
        "campaign",
        "new",
        "B",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-20",
    ]);
    let second = items(&sandbox, &["B"]);
    check(&second, "bg-on-the-day", "break_glass_used", false);
    check(&second, "bg-after", "break_glass_used", true);
    check(&second, "bg-never", "break_glass_used", false);
    let why = reason(
        &sandbox,
        "B",
        find(&second, "bg-after", "root"),
        Flag::BreakGlassUsed,
    );
    assert!(
        why.contains("used on 2026-11-02") && why.contains("(as of 2026-11-01)"),
        "{why}"
    );
    sandbox.ok(&["verify"]);
}

#[test]
fn the_register_tier_scopes_filters_and_shows() {
    let sandbox = Sandbox::new();
    estate(&sandbox, ESTATE);
    sandbox.write(
        "register.csv",
        "identity_id,organization,tier\nn.haddad,Ledgerpoint Finance,gold\nl.brandt,,silver\n",
    );
    sandbox.ok(&["import", "register.csv"]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Gold",
        "--due",
        "2026-12-15",
        "--where",
        "tier=gold",
    ]);
    let gold = items(&sandbox, &["Gold"]);
    assert_eq!(gold.len(), 3, "Noor's three grants");
    assert!(gold.iter().all(|i| i["tier"] == "gold"), "{gold:?}");
    sandbox.ok(&["campaign", "new", "All", "--due", "2026-12-15"]);
    let silver = items(&sandbox, &["All", "--where", "tier=silver"]);
    assert_eq!(silver.len(), 1);
    assert_eq!(silver[0]["identity_id"], "l.brandt");
    let store = Store::open(&sandbox.db()).unwrap();
    let campaign = store.campaign("All").unwrap().id;
    let detail = store
        .item_detail(campaign, ItemId(silver[0]["id"].as_i64().unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(detail.tier.as_deref(), Some("silver"));
    drop(store);
    // A changed tier is a change the register logs; the digest covers it.
    sandbox.write(
        "register.csv",
        "identity_id,organization,tier\nn.haddad,Ledgerpoint Finance,platinum\nl.brandt,,silver\n",
    );
    let out = sandbox.ok(&["import", "register.csv"]);
    assert!(out.contains("1 changed"), "{out}");
    sandbox.ok(&["verify"]);
}

#[test]
fn the_demo_shows_the_catalog_a_sod_pair_and_tiers() {
    let sandbox = Sandbox::new();
    let mut demo = Pty::spawn(&sandbox, &["demo", "--keep", "demo.db"], 120, 40);
    demo.wait_for("decided");
    demo.send("q");
    demo.wait_exit();
    let store = Store::open(&sandbox.path("demo.db")).unwrap();
    let campaigns = store.campaigns().unwrap();
    let campaign = campaigns[0].id;
    drop(store);
    let output = sandbox
        .cmd()
        .env("RECERT_DB", sandbox.path("demo.db"))
        .args(["items", &campaigns[0].name, "--json"])
        .output()
        .unwrap();
    let all: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let noor = "n.haddad@ledgerpoint.example.com";
    let release = find(&all, noor, "Z_PAYMENT_RUN_RELEASE");
    let clerk = find(&all, noor, "Z_AP_CLERK_NW");
    assert!(has(release, "sod_conflict") && has(clerk, "sod_conflict"));
    assert!(has(release, "sensitive_data"), "restricted in the catalog");
    assert_eq!(release["tier"], "registered");
    assert!(release["description"].as_str().is_some());
    let tenants: std::collections::BTreeSet<&str> = all
        .iter()
        .filter(|i| i["tier"] == "gold")
        .map(|i| i["tenant"].as_str().unwrap())
        .collect();
    assert!(
        tenants.len() >= 2,
        "the MSP's tier in several tenants: {tenants:?}"
    );
    let store = Store::open(&sandbox.path("demo.db")).unwrap();
    let why = reason_in(&store, campaign, release, Flag::SodConflict);
    assert!(why.contains("Z_AP_CLERK_NW"), "{why}");
}

/// What the catalog and the register say reaches every report format: an
/// auditor reads what the entitlement lets someone do and how sensitive
/// its data is beside the decision, and the partner's tier beside the name.
#[test]
fn reports_carry_the_catalogs_description_and_sensitivity_and_the_tier() {
    let sandbox = Sandbox::new();
    estate(&sandbox, ESTATE);
    sandbox.write("catalog.csv", CATALOG);
    sandbox.ok(&["import", "catalog.csv"]);
    sandbox.write(
        "register.csv",
        "identity_id,organization,tier\nn.haddad,Ledgerpoint Finance,gold\n",
    );
    sandbox.ok(&["import", "register.csv"]);
    sandbox.ok(&["campaign", "new", "Q1", "--due", "2026-12-15"]);

    let csv = sandbox.ok(&["report", "Q1", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (tier, sensitivity, description) = (
        at("tier"),
        at("catalog_sensitivity"),
        at("catalog_description"),
    );
    assert_eq!(
        (description, at("rotate_by")),
        (header.len() - 2, header.len() - 1),
        "the catalog's columns come last but for a rotate's date"
    );
    let release = reader
        .records()
        .map(Result::unwrap)
        .find(|r| {
            r[at("identity_id")] == *"n.haddad" && r[at("entitlement")] == *"Z_PAYMENT_RUN_RELEASE"
        })
        .unwrap();
    assert_eq!(&release[tier], "gold");
    assert_eq!(&release[sensitivity], "restricted");
    assert_eq!(&release[description], "Releases payment runs to the bank");

    let json = sandbox.json(&["report", "Q1", "--format", "json"]);
    let items = json["items"].as_array().unwrap();
    let release = find(items, "n.haddad", "Z_PAYMENT_RUN_RELEASE");
    assert_eq!(release["tier"], "gold");
    assert_eq!(release["catalog_sensitivity"], "restricted");
    assert_eq!(
        release["catalog_description"],
        "Releases payment runs to the bank"
    );
    let clerk = find(items, "o.ruiz", "Z_AP_CLERK");
    assert_eq!(clerk.get("catalog_description"), None, "no entry: no field");

    for format in ["md", "html"] {
        let text = sandbox.ok(&["report", "Q1", "--format", format]);
        assert!(
            // Markdown escapes the underscores of the name before it.
            text.contains("RELEASE: Releases payment runs to the bank (restricted)"),
            "{format}: {text}"
        );
        assert!(text.contains("(n.haddad), tier gold"), "{format}");
    }
}
