//! Real sources end to end: the AWS IAM credential report, SCIM 2.0
//! ListResponses, the identity register, format detection and the
//! cross-tenant view, through the real binary.

use crate::util::{Sandbox, fixture};
use recert::store::Store;
use serde_json::Value;

const AWS: &str = "aws/credential-report-sample.csv";
const USERS: &str = "scim/users-sample.json";
const GROUPS: &str = "scim/groups-sample.json";

fn path(name: &str) -> String {
    fixture(name).to_str().unwrap().to_string()
}

fn content(sandbox: &Sandbox) -> String {
    Store::open(&sandbox.db()).unwrap().dump().unwrap()
}

fn local(sandbox: &Sandbox, text: &str) -> String {
    text.replace(&format!("{}/", sandbox.dir.path().display()), "")
}

fn campaign(sandbox: &Sandbox, name: &str, extra: &[&str]) {
    let mut args = vec![
        "campaign",
        "new",
        name,
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-22",
    ];
    args.extend_from_slice(extra);
    sandbox.ok(&args);
}

fn items(sandbox: &Sandbox, name: &str) -> Vec<Value> {
    sandbox
        .json(&["items", name, "--json"])
        .as_array()
        .unwrap()
        .clone()
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

/// The credential report as AWS writes it, with the header and the rows
/// changed by `edit`.
fn report(edit: impl Fn(&str) -> String) -> String {
    let text = std::fs::read_to_string(fixture(AWS)).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines {
        out.push_str(&edit(line));
        out.push('\n');
    }
    out
}

#[test]
fn the_aws_credential_report_is_detected_and_imported() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(&["import", &path(AWS)]);
    assert!(
        out.contains("6 rows (snapshot 1): 6 added, 0 changed, 0 unchanged, 0 removed"),
        "{out}"
    );
    campaign(&sandbox, "aws", &[]);
    let items = items(&sandbox, "aws");
    assert_eq!(items.len(), 6);
    assert!(items.iter().all(|i| i["tenant"] == "111122223333"));
    assert!(items.iter().all(|i| i["system"] == "aws-iam"));
    let root = find(&items, "<root_account>", "console");
    assert_eq!(root["kind"], "break_glass");
    assert!(flags(root).contains(&"privileged"));
    assert!(flags(root).contains(&"unclassified"));
    let etl = find(&items, "svc-saltmarsh-etl", "access_key_1");
    assert_eq!(etl["kind"], "service_account", "API-only users");
    assert_eq!(
        flags(etl),
        ["unrotated", "unclassified"],
        "key from 2024, used recently"
    );
    // A key never used (N/A) and older than 30 days.
    let unused = find(&items, "key-billing-export", "access_key_1");
    assert!(flags(unused).contains(&"never_used"), "{unused}");
    // no_information: a console password never used.
    let ops = find(&items, "ops-harbour", "console");
    assert_eq!(ops["kind"], "human");
    assert!(flags(ops).contains(&"never_used"), "{ops}");
    assert!(
        !items
            .iter()
            .any(|i| i["identity_id"] == "ops-harbour" && i["entitlement"] == "access_key_1"),
        "an inactive key is no grant, dates or not"
    );
}

#[test]
fn the_tenant_option_replaces_the_account_and_a_later_report_removes_keys() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "import",
        "--format",
        "aws-iam",
        "--tenant",
        "northwind-aws",
        &path(AWS),
    ]);
    // The vendor's second key is deactivated; its dates stay in the report.
    let later = sandbox.write(
        "later.csv",
        &report(|line| {
            if line.starts_with("key-billing-export") {
                line.replacen(",true,2025-06-01", ",false,2025-06-01", 1)
            } else {
                line.to_string()
            }
        }),
    );
    let out = sandbox.ok(&[
        "import",
        "--tenant",
        "northwind-aws",
        later.to_str().unwrap(),
    ]);
    assert!(
        out.contains("0 added, 0 changed, 5 unchanged, 1 removed"),
        "{out}"
    );
    // An empty report of the account: every grant there is gone.
    let header = report(|_| String::new());
    let empty = sandbox.write("empty.csv", header.lines().next().unwrap());
    let out = sandbox.ok(&[
        "import",
        "--tenant",
        "northwind-aws",
        empty.to_str().unwrap(),
    ]);
    assert!(out.contains("0 rows") && out.contains("5 removed"), "{out}");
    // Without --tenant an empty report cannot name its account: nothing removed.
    sandbox.ok(&["import", "--tenant", "northwind-aws", &path(AWS)]);
    let out = sandbox.ok(&["import", "--format", "aws-iam", empty.to_str().unwrap()]);
    assert!(out.contains("0 removed"), "{out}");
}

#[test]
fn aws_rejections_name_line_and_column_and_change_nothing() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", &path(AWS)]);
    let before = content(&sandbox);
    let bad = sandbox.write(
        "bad.csv",
        &report(|line| {
            if line.starts_with("c.lena.brandt") {
                line.replace("2026-10-28T16:40:02+00:00", "last tuesday")
            } else if line.starts_with("ops-harbour") {
                line.replace(",true,no_information", ",yes,no_information")
            } else {
                line.to_string()
            }
        }),
    );
    let err = local(
        &sandbox,
        &sandbox.fails(1, &["import", bad.to_str().unwrap()]),
    );
    assert!(
        err.contains("bad.csv:3: password_last_used: \"last tuesday\" is not an ISO 8601"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:6: password_enabled: \"yes\""),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(content(&sandbox), before);
}

#[test]
fn scim_users_and_groups_are_one_snapshot() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(&[
        "import",
        &path(USERS),
        &path(GROUPS),
        "--tenant",
        "northwind",
    ]);
    assert!(out.contains("9 rows (snapshot 1): 9 added"), "{out}");
    assert!(out.contains("(4 users, 2 groups)"), "{out}");
    let dump = content(&sandbox);
    assert!(
        dump.contains("## snapshot (1 rows)"),
        "one snapshot for both files"
    );
    assert!(dump.contains("users-sample.json, groups-sample.json"));
    campaign(&sandbox, "scim", &[]);
    let items = items(&sandbox, "scim");
    let ruth = find(
        &items,
        "r.achebe@copperline.example.com",
        "group:Billing Admins",
    );
    // SCIM carries no end dates or justifications.
    assert_eq!(
        flags(ruth),
        ["inactive", "no_end_date", "no_justification"],
        "active: false"
    );
    assert_eq!(ruth["recommendation"], "revoke");
    assert_eq!(ruth["relationship"], "contractor");
    assert_eq!(
        ruth["reviewer"], "a.kowalski@northwind.example.com",
        "the manager, resolved from their id, is the sponsor"
    );
    let svc = find(&items, "svc-billing-sync", "role:api:billing.read");
    assert_eq!(svc["kind"], "service_account");
    find(&items, "a.kowalski@northwind.example.com", "account");
}

#[test]
fn a_bad_groups_file_rejects_the_users_file_too() {
    let sandbox = Sandbox::new();
    let before = content(&sandbox);
    let groups = std::fs::read_to_string(fixture(GROUPS))
        .unwrap()
        .replace("\"displayName\": \"Billing Admins\",", "");
    let bad = sandbox.write("groups.json", &groups);
    let err = local(
        &sandbox,
        &sandbox.fails(1, &["import", &path(USERS), bad.to_str().unwrap()]),
    );
    assert!(
        err.contains("groups.json:$.Resources[1].displayName: a group needs a displayName"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(content(&sandbox), before);

    let broken = sandbox.write("users.json", "{\"Resources\": [\n  {\"userName\": tru}\n]}");
    let err = local(
        &sandbox,
        &sandbox.fails(1, &["import", "--format", "scim", broken.to_str().unwrap()]),
    );
    assert!(err.contains("users.json:2:"), "{err}");
    assert!(err.contains("invalid JSON"), "{err}");
}

#[test]
fn dangling_members_are_warned_about_and_recorded() {
    let sandbox = Sandbox::new();
    let groups = std::fs::read_to_string(fixture(GROUPS))
        .unwrap()
        .replace("\"value\": \"u-1003\"", "\"value\": \"u-9999\"");
    let dangling = sandbox.write("groups.json", &groups);
    let output = sandbox
        .cmd()
        .args(["import", &path(USERS), dangling.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success());
    let err = local(&sandbox, &String::from_utf8_lossy(&output.stderr));
    assert!(
        err.contains(
            "warning: groups.json:$.Resources[1].members[1].value: member \"u-9999\" of group \
             \"Billing Admins\" is not a user in this import"
        ),
        "{err}"
    );
    assert!(
        content(&sandbox).contains("u-9999"),
        "the warning is in the audit log"
    );
    campaign(&sandbox, "c", &[]);
    let items = items(&sandbox, "c");
    assert!(
        !items.iter().any(|i| i["identity_id"] == "svc-billing-sync"
            && i["entitlement"] == "group:Billing Admins")
    );
}

#[test]
fn formats_are_detected_or_refused_with_a_reason() {
    let sandbox = Sandbox::new();
    let odd = sandbox.write("odd.csv", "colour,size\nred,9\n");
    let err = local(
        &sandbox,
        &sandbox.fails(2, &["import", odd.to_str().unwrap()]),
    );
    assert!(
        err.contains("cannot tell the format of odd.csv: its header (colour,size)"),
        "{err}"
    );
    assert!(err.contains("--format"), "{err}");
    let json = sandbox.write("x.json", "{\"name\": \"not scim\"}");
    let err = sandbox.fails(2, &["import", json.to_str().unwrap()]);
    assert!(err.contains("not a SCIM ListResponse"), "{err}");
    // Nothing of the readable file before it was imported either.
    let before = content(&sandbox);
    sandbox.fails(2, &["import", &path(AWS), odd.to_str().unwrap()]);
    assert_eq!(content(&sandbox), before);
}

const REGISTER: &str = "tenant,identity_id,email,relationship,organization,sponsor,business_owner,technical_owner,contract_end
111122223333,c.lena.brandt,l.brandt@copperline.example.com,contractor,Copperline Engineering,a.kowalski@northwind.example.com,,,2026-11-21
,svc-saltmarsh-etl,,partner,Saltmarsh Analytics,a.kowalski@northwind.example.com,m.santos@northwind.example.com,,2026-11-22
111122223333,ops-harbour,,msp,Harbour Managed IT,,,,2026-11-23
,someone@else.example,,vendor,,,,,
";

#[test]
fn the_register_classifies_identities_and_contract_ends_matter() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", &path(AWS)]);
    let register = sandbox.write("register.csv", REGISTER);
    let out = sandbox.ok(&["import", register.to_str().unwrap()]);
    assert!(out.contains("4 rows (snapshot 2): 4 added"), "{out}");
    assert!(
        out.contains("it describes 3 identities (3 classified), 1 entry matches no identity yet"),
        "{out}"
    );
    // The scope sees the register's relationships.
    campaign(
        &sandbox,
        "externals",
        &["--where", "relationship=contractor,partner,msp"],
    );
    let listed = items(&sandbox, "externals");
    let ids: Vec<&str> = listed
        .iter()
        .map(|i| i["identity_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 3, "{ids:?}");
    let lena = find(&listed, "c.lena.brandt", "console");
    assert_eq!(lena["relationship"], "contractor");
    assert_eq!(lena["reviewer"], "a.kowalski@northwind.example.com");
    // Contract ended yesterday: flagged; ends today or tomorrow: not yet.
    assert_eq!(
        flags(lena),
        ["contract_ended", "no_end_date", "no_justification"]
    );
    assert_eq!(lena["recommendation"], "revoke");
    let etl = find(&listed, "svc-saltmarsh-etl", "access_key_1");
    assert!(!flags(etl).contains(&"contract_ended"), "{etl}");
    let ops = find(&listed, "ops-harbour", "console");
    assert!(!flags(ops).contains(&"contract_ended"), "{ops}");
    assert!(
        flags(ops).contains(&"no_sponsor"),
        "classified, still nobody accountable"
    );

    // The evidence is frozen: a later register does not change the items.
    let later = sandbox.write("later.csv", &REGISTER.replace("contractor,", "partner,"));
    let out = sandbox.ok(&["import", "--format", "register", later.to_str().unwrap()]);
    assert!(out.contains("1 changed"), "{out}");
    let again = items(&sandbox, "externals");
    assert_eq!(
        find(&again, "c.lena.brandt", "console")["relationship"],
        "contractor"
    );
}

#[test]
fn register_rejections_name_line_and_field() {
    let sandbox = Sandbox::new();
    let before = content(&sandbox);
    let bad = sandbox.write(
        "reg.csv",
        "identity_id,relationship,contract_end\na,partner,2026-12-31\nb,friend,\nc,vendor,soon\nA,vendor,\n",
    );
    let err = local(
        &sandbox,
        &sandbox.fails(1, &["import", bad.to_str().unwrap()]),
    );
    assert!(
        err.contains("reg.csv:3: relationship: \"friend\" is not one of"),
        "{err}"
    );
    assert!(
        err.contains("reg.csv:4: contract_end: expected a date"),
        "{err}"
    );
    assert!(
        err.contains("reg.csv:5: identity_id: duplicate of line 2"),
        "ids match ignoring case: {err}"
    );
    assert_eq!(content(&sandbox), before);
}

#[test]
fn identities_appearing_in_several_tenants_are_listed_and_flagged() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", &path(AWS)]);
    sandbox.ok(&["import", &path("canonical/sample.csv")]);
    let register = sandbox.write("register.csv", REGISTER);
    sandbox.ok(&["import", register.to_str().unwrap()]);

    let people = sandbox.json(&["identities", "--cross-tenant", "--json"]);
    let keys: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    // The same id in both tenants, and an AWS user linked by the
    // register's e-mail to the person in the canonical export.
    assert_eq!(
        keys,
        [
            "key-billing-export",
            "l.brandt@copperline.example.com",
            "svc-saltmarsh-etl"
        ]
    );
    let lena = &people[1];
    assert_eq!(
        lena["tenants"],
        serde_json::json!(["111122223333", "northwind"])
    );
    let text = sandbox.ok(&["identities", "--cross-tenant"]);
    assert!(
        text.contains("3 people (3 in more than one tenant)"),
        "{text}"
    );
    let all = sandbox.ok(&["identities", "--where", "tenant=111122223333"]);
    assert!(
        all.contains("<root_account>") && !all.contains("northwind  "),
        "{all}"
    );

    campaign(&sandbox, "msp", &[]);
    let flagged = sandbox.json(&["items", "msp", "--json", "--where", "flag=cross_tenant"]);
    let flagged = flagged.as_array().unwrap();
    assert!(flagged.iter().any(|i| i["identity_id"] == "c.lena.brandt"));
    assert!(
        flagged
            .iter()
            .any(|i| i["identity_id"] == "l.brandt@copperline.example.com")
    );
    assert!(flagged.iter().all(|i| flags(i).contains(&"cross_tenant")));
}
