//! SCIM import on the samples and on constructed edge cases.

use super::*;

const USERS: &str = include_str!("../../../tests/fixtures/scim/users-sample.json");
const GROUPS: &str = include_str!("../../../tests/fixtures/scim/groups-sample.json");

fn read_all(files: &[&str]) -> Result<Directory, Vec<FileProblem>> {
    read(
        files.iter().map(|f| f.as_bytes()).collect(),
        &Defaults::default(),
        false,
    )
}

fn grants(dir: &Directory) -> Vec<(String, String)> {
    dir.records()
        .map(|(_, r)| (r.identity_id, r.entitlement))
        .collect()
}

fn rendered(problems: &[FileProblem], names: &[&str]) -> Vec<String> {
    problems
        .iter()
        .map(|(file, p)| p.render(names[*file]))
        .collect()
}

/// A ListResponse of the given resources (JSON object texts).
fn list(resources: &[&str]) -> String {
    format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults":{},"Resources":[{}]}}"#,
        resources.len(),
        resources.join(",")
    )
}

fn user(id: &str, extra: &str) -> String {
    format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"{id}",
            "userName":"{id}@x.example"{extra}}}"#
    )
}

fn group(id: &str, members: &[(&str, &str)]) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|(value, kind)| format!(r#"{{"value":"{value}","type":"{kind}"}}"#))
        .collect();
    format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"{id}",
            "displayName":"{id} group","members":[{}]}}"#,
        members.join(",")
    )
}

#[test]
fn imports_the_sample_users_and_groups() {
    let dir = read_all(&[USERS, GROUPS]).unwrap();
    assert_eq!((dir.user_count(), dir.group_count()), (4, 2));
    assert!(dir.warnings().is_empty(), "{:?}", dir.warnings());
    let got = grants(&dir);
    let expected = [
        ("k.ito@saltmarsh.example.net", "account"),
        ("k.ito@saltmarsh.example.net", "group:Finance Readers"),
        ("r.achebe@copperline.example.com", "account"),
        (
            "r.achebe@copperline.example.com",
            "entitlement:billing:refunds",
        ),
        ("r.achebe@copperline.example.com", "group:Billing Admins"),
        ("svc-billing-sync", "account"),
        ("svc-billing-sync", "group:Billing Admins"),
        ("svc-billing-sync", "role:api:billing.read"),
        ("a.kowalski@northwind.example.com", "account"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, expected);

    let records: Vec<EntitlementRecord> = dir.records().map(|(_, r)| r).collect();
    let kenji = &records[0];
    assert_eq!(kenji.system, SYSTEM);
    assert_eq!(kenji.identity_name, "Kenji Ito");
    assert_eq!(kenji.relationship, Relationship::Partner);
    assert_eq!(kenji.organization.as_deref(), Some("Saltmarsh Analytics"));
    assert_eq!(
        kenji.sponsor.as_deref(),
        Some("a.kowalski@northwind.example.com"),
        "the manager's id resolved to their userName"
    );
    assert_eq!(kenji.email.as_deref(), Some("k.ito@saltmarsh.example.net"));
    assert_eq!(kenji.active, Some(true));
    let ruth = &records[2];
    assert_eq!(ruth.relationship, Relationship::Contractor);
    assert_eq!(ruth.active, Some(false));
    let svc = &records[5];
    assert_eq!(svc.identity_kind, IdentityKind::ServiceAccount);
    assert_eq!(svc.relationship, Relationship::Unknown);
    assert_eq!(records[8].relationship, Relationship::Employee);
}

#[test]
fn the_users_file_alone_uses_each_users_own_groups() {
    let dir = read_all(&[USERS]).unwrap();
    let got = grants(&dir);
    assert!(got.contains(&(
        "k.ito@saltmarsh.example.net".into(),
        "group:Finance Readers".into()
    )));
    assert!(
        !got.contains(&("svc-billing-sync".into(), "group:Billing Admins".into())),
        "only the groups file says so"
    );
}

#[test]
fn nested_groups_give_every_enclosing_membership() {
    let users = list(&[&user("u1", ""), &user("u2", "")]);
    let groups = list(&[
        &group("inner", &[("u1", "User")]),
        &group("outer", &[("inner", "Group"), ("u2", "User")]),
        &group("top", &[("outer", "Group")]),
        // A cycle must not loop forever.
        &group("loop-a", &[("loop-b", "Group"), ("u2", "User")]),
        &group("loop-b", &[("loop-a", "Group")]),
    ]);
    let dir = read_all(&[&users, &groups]).unwrap();
    let of = |id: &str| -> Vec<String> {
        grants(&dir)
            .into_iter()
            .filter(|(who, _)| who == id)
            .map(|(_, what)| what)
            .collect()
    };
    assert_eq!(
        of("u1@x.example"),
        [
            "account",
            "group:inner group",
            "group:outer group",
            "group:top group"
        ]
    );
    assert_eq!(
        of("u2@x.example"),
        [
            "account",
            "group:loop-a group",
            "group:loop-b group",
            "group:outer group",
            "group:top group"
        ]
    );
}

/// A chain of 20,000 nested groups and a cycle of as many: storing every
/// group's enclosing groups would hold 200 and 400 million of them.
#[test]
fn long_chains_and_cycles_of_nested_groups_resolve_per_user() {
    const N: usize = 20_000;
    let users = list(&[&user("deep", ""), &user("middle", ""), &user("looped", "")]);
    let mut groups: Vec<String> = (0..N)
        .map(|i| {
            let inner = format!("chain{}", i + 1);
            match i {
                _ if i == N - 1 => group("chain-end", &[("deep", "User")]),
                _ if i == N / 2 => group(
                    &format!("chain{i}"),
                    &[(&inner, "Group"), ("middle", "User")],
                ),
                _ => group(&format!("chain{i}"), &[(&inner, "Group")]),
            }
        })
        .collect();
    // chain0 … chain19998, and the innermost one under another id.
    groups[N - 2] = group(&format!("chain{}", N - 2), &[("chain-end", "Group")]);
    groups.extend((0..N).map(|i| {
        let inner = format!("ring{}", (i + 1) % N);
        if i == N / 3 {
            group(
                &format!("ring{i}"),
                &[(&inner, "Group"), ("looped", "User")],
            )
        } else {
            group(&format!("ring{i}"), &[(&inner, "Group")])
        }
    }));
    let refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    let dir = read_all(&[&users, &list(&refs)]).unwrap();
    assert!(dir.warnings().is_empty(), "{:?}", &dir.warnings()[..1]);
    let mut of: HashMap<String, Vec<String>> = HashMap::new();
    for (who, what) in grants(&dir) {
        of.entry(who).or_default().push(what);
    }
    let deep = &of["deep@x.example"];
    assert_eq!(deep.len(), N + 1, "the account and every enclosing group");
    assert!(deep.contains(&"group:chain-end group".to_string()));
    assert!(deep.contains(&"group:chain0 group".to_string()));
    assert!(!deep.iter().any(|g| g.starts_with("group:ring")));
    let middle = &of["middle@x.example"];
    assert_eq!(
        middle.len(),
        N / 2 + 2,
        "chain0 … chain10000 and the account"
    );
    assert!(middle.contains(&format!("group:chain{} group", N / 2)));
    assert!(!middle.contains(&format!("group:chain{} group", N / 2 + 1)));
    let looped = &of["looped@x.example"];
    assert_eq!(looped.len(), N + 1, "every group of the ring, once");
    assert!(looped.iter().skip(1).all(|g| g.starts_with("group:ring")));
}

#[test]
fn dangling_members_and_unknown_managers_are_warnings_at_their_paths() {
    let manager = r#","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
        {"manager":{"value":"gone","displayName":"Old Boss"}}"#;
    let users = list(&[&user("u1", manager)]);
    let groups = list(&[&group(
        "g",
        &[("u1", "User"), ("u-deleted", "User"), ("g-x", "Group")],
    )]);
    let dir = read_all(&[&users, &groups]).unwrap();
    let warnings = rendered(dir.warnings(), &["users.json", "groups.json"]);
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings.iter().any(|w| w.starts_with(
        "groups.json:$.Resources[0].members[1].value: member \"u-deleted\" of group \"g group\" \
         is not a user in this import"
    )));
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("groups.json:$.Resources[0].members[2].value"))
    );
    assert!(warnings.iter().any(|w| w.starts_with(
        "users.json:$.Resources[0][\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"]\
         .manager.value: manager \"gone\""
    )));
    let u1 = dir.records().next().unwrap().1;
    assert_eq!(u1.sponsor.as_deref(), Some("Old Boss"));
    assert_eq!(
        grants(&dir).len(),
        2,
        "account and the group: nothing for the dangling"
    );
}

#[test]
fn attribute_names_ignore_case() {
    let users = r#"{"RESOURCES":[{"Schemas":["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"],
        "ID":"u1","USERNAME":"Shouty@X.example","Active":"FALSE","usertype":"vendor",
        "Roles":[{"VALUE":"admin"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user":{"ORGANIZATION":"Loud Ltd"}}],
        "TOTALRESULTS":1}"#;
    let dir = read_all(&[users]).unwrap();
    let records: Vec<EntitlementRecord> = dir.records().map(|(_, r)| r).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].identity_id, "Shouty@X.example");
    assert_eq!(records[0].active, Some(false));
    assert_eq!(records[0].relationship, Relationship::Vendor);
    assert_eq!(records[0].organization.as_deref(), Some("Loud Ltd"));
    assert_eq!(records[1].entitlement, "role:admin");
}

#[test]
fn user_types_map_to_relationships_ignoring_case_and_punctuation() {
    use IdentityKind::*;
    use Relationship::*;
    for (text, expected) in [
        (Some("Employee"), (Human, Employee)),
        (Some("Member"), (Human, Employee)),
        (Some("Intern"), (Human, Employee)),
        (Some("CONTRACTOR"), (Human, Contractor)),
        (Some("Temp"), (Human, Contractor)),
        (Some("partner"), (Human, Partner)),
        (Some("Supplier"), (Human, Vendor)),
        (Some("Managed Service Provider"), (Human, Msp)),
        (Some("service_account"), (ServiceAccount, Unknown)),
        (Some("Service Account"), (ServiceAccount, Unknown)),
        (Some("API-Key"), (ApiKey, Unknown)),
        (Some("Guest"), (Human, Unknown)),
        (Some("External"), (Human, Unknown)),
        (Some("Wizard"), (Human, Unknown)),
        (None, (Human, Unknown)),
    ] {
        assert_eq!(classify_user_type(text), expected, "{text:?}");
    }
}

#[test]
fn users_without_groups_still_hold_their_account() {
    let dir = read_all(&[&list(&[&user("lonely", "")])]).unwrap();
    assert_eq!(
        grants(&dir),
        [("lonely@x.example".into(), "account".into())]
    );
    assert_eq!(dir.records().next().unwrap().1.active, None, "not said");
}

#[test]
fn groups_of_one_name_stay_apart() {
    let a = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Admins","members":[{"value":"u1"}]}"#;
    let b = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g2","displayName":"Admins","members":[{"value":"u1"}]}"#;
    let dir = read_all(&[&list(&[&user("u1", "")]), &list(&[a, b])]).unwrap();
    let names: Vec<String> = grants(&dir).into_iter().map(|g| g.1).collect();
    assert_eq!(names, ["account", "group:Admins (g1)", "group:Admins (g2)"]);
}

#[test]
fn rejections_name_the_json_path() {
    let users = list(&[
        &user("ok", ""),
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u2"}"#,
        &user("u3", r#","active":"sometimes""#),
        &user("u4", r#","emails":"not-a-list""#),
        r#"{"id":"mystery"}"#,
        &user("ok", ""),
    ]);
    let problems = rendered(&read_all(&[&users]).err().unwrap(), &["users.json"]);
    assert_eq!(
        problems,
        [
            "users.json:$.Resources[1].userName: a user needs a userName (RFC 7643 §4.1)",
            "users.json:$.Resources[2].active: expected true or false, found \"sometimes\"",
            "users.json:$.Resources[3].emails: expected an array, found \"not-a-list\"",
            "users.json:$.Resources[4].schemas: neither a User nor a Group: no core schema \
             URN, meta.resourceType or userName",
            "users.json:$.Resources[5].id: id \"ok\" is also the id of $.Resources[0]",
            "users.json:$.Resources[5].userName: userName \"ok@x.example\" is also the \
             userName of $.Resources[0]",
        ]
    );
}

#[test]
fn broken_json_is_located_by_line_and_column() {
    let problems = read_all(&["{\n  \"Resources\": [\n    {\"id\": }\n"])
        .err()
        .unwrap();
    let shown = rendered(&problems, &["u.json"]);
    assert!(
        shown[0].starts_with("u.json:3:12: invalid JSON"),
        "{shown:?}"
    );
    let problems = read_all(&["[1, 2]"]).err().unwrap();
    let shown = rendered(&problems, &["u.json"]);
    assert!(
        shown[0].starts_with("u.json:1:1: not a SCIM ListResponse"),
        "{shown:?}"
    );
    let problems = read_all(&["{\"Resources\": [{}"]).err().unwrap();
    let shown = rendered(&problems, &["u.json"]);
    assert!(
        shown
            .iter()
            .any(|p| p.contains("u.json:1:17: the JSON ends early")),
        "{shown:?}"
    );
}

#[test]
fn a_single_page_is_refused_unless_partial() {
    let page = r#"{"totalResults":3,"Resources":[
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"a","userName":"a"}]}"#;
    let problems = read_all(&[page]).err().unwrap();
    assert_eq!(
        rendered(&problems, &["p1.json"]),
        [
            "p1.json:$.totalResults: the import holds 1 of 3 results: this is a page of a \
          paginated response; give every page's file, or import with --partial"
        ]
    );
    let partial = read(vec![page.as_bytes()], &Defaults::default(), true);
    assert!(partial.is_ok());
    let rest = r#"{"totalResults":3,"Resources":[
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"b","userName":"b"},
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"c","userName":"c"}]}"#;
    assert_eq!(
        read_all(&[page, rest]).unwrap().user_count(),
        3,
        "all pages together"
    );
}

#[test]
fn an_empty_directory_has_no_grants() {
    let empty =
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0}"#;
    let dir = read_all(&[empty]).unwrap();
    assert_eq!(dir.records().count(), 0);
    assert_eq!(dir.scope(), ("", SYSTEM));
    let missing = read_all(&[r#"{"totalResults":2}"#]).err().unwrap();
    assert!(rendered(&missing, &["f"])[0].starts_with("f:$.Resources: required"));
}

#[test]
fn a_byte_order_mark_is_skipped_and_short_files_still_parse() {
    let with_bom = format!("\u{feff}{}", list(&[&user("u1", "")]));
    let dir = read_all(&[&with_bom]).unwrap();
    assert_eq!(dir.user_count(), 1);
    let problems = read_all(&["{"]).err().unwrap();
    assert!(problems[0].1.message.contains("ends early"), "{problems:?}");
}

const EXT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Reading `file` fails with exactly these problems (after `f.json:`).
/// serde_json's map would keep the last of two values silently, and
/// another JSON tool might read the first.
fn assert_refused(file: &str, expected: &[&str]) {
    let problems = read_all(&[file]).err().unwrap_or_default();
    let expected: Vec<String> = expected.iter().map(|e| format!("f.json:{e}")).collect();
    assert_eq!(rendered(&problems, &["f.json"]), expected, "{file}");
}

#[test]
fn a_resource_naming_an_attribute_twice_in_any_case_is_refused() {
    assert_refused(
        &list(&[
            &user("u1", ""),
            &user("u2", r#","userName":"other@x.example""#),
        ]),
        &[r#"$.Resources[1]: duplicate attribute "userName""#],
    );
    assert_refused(
        &list(&[&user("u1", r#","USERNAME":"other@x.example""#)]),
        &[r#"$.Resources[0]: duplicate attribute "userName" (also "USERNAME")"#],
    );
    assert_refused(
        &list(&[&user("u1", r#","active":true,"Active":false"#)]),
        &[r#"$.Resources[0]: duplicate attribute "active" (also "Active")"#],
    );
    let upper = EXT.to_uppercase();
    assert_refused(
        &list(&[&user("u1", &format!(r#","{EXT}":{{}},"{upper}":{{}}"#))]),
        &[&format!(
            r#"$.Resources[0]: duplicate attribute "{EXT}" (also "{upper}")"#
        )],
    );
}

#[test]
fn a_list_response_naming_resources_twice_is_refused() {
    let (u1, u2) = (user("u1", ""), user("u2", ""));
    assert_refused(
        &format!(r#"{{"Resources":[{u1}],"totalResults":1,"RESOURCES":[{u2}]}}"#),
        &[r#"$: duplicate attribute "Resources" (also "RESOURCES")"#],
    );
    assert_refused(
        &format!(r#"{{"totalResults":1,"Resources":[{u1}],"totalResults":0}}"#),
        &[r#"$: duplicate attribute "totalResults""#],
    );
}

#[test]
fn sub_objects_naming_an_attribute_twice_are_refused_at_their_path() {
    assert_refused(
        &list(&[&user(
            "u1",
            r#","name":{"givenName":"Ann","GivenName":"Bob"}"#,
        )]),
        &[r#"$.Resources[0].name: duplicate attribute "givenName" (also "GivenName")"#],
    );
    assert_refused(
        &list(&[&user(
            "u1",
            r#","emails":[{"value":"a@x"},{"value":"b@x","primary":true,"VALUE":"c@x"}]"#,
        )]),
        &[r#"$.Resources[0].emails[1]: duplicate attribute "value" (also "VALUE")"#],
    );
    assert_refused(
        &list(&[&user(
            "u1",
            &format!(r#","{EXT}":{{"organization":"A","organization":"B"}}"#),
        )]),
        &[&format!(
            r#"$.Resources[0]["{EXT}"]: duplicate attribute "organization""#
        )],
    );
    assert_refused(
        &list(&[&user(
            "u1",
            &format!(r#","{EXT}":{{"manager":{{"value":"u1","Value":"u2"}}}}"#),
        )]),
        &[&format!(
            r#"$.Resources[0]["{EXT}"].manager: duplicate attribute "value" (also "Value")"#
        )],
    );
    assert_refused(
        &list(&[
            &user("u1", ""),
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g",
                "displayName":"G","members":[{"value":"u1"},{"value":"u1","Value":"g"}]}"#,
        ]),
        &[r#"$.Resources[1].members[1]: duplicate attribute "value" (also "Value")"#],
    );
    // meta.resourceType decides whether this is a user or a group.
    assert_refused(
        &list(&[r#"{"id":"x","userName":"x","displayName":"X",
            "meta":{"resourceType":"User","ResourceType":"Group"}}"#]),
        &[r#"$.Resources[0].meta: duplicate attribute "resourceType" (also "ResourceType")"#],
    );
}

/// Past the names a small object searches, they are indexed: the same
/// answers either way.
#[test]
fn wide_objects_naming_an_attribute_twice_are_refused() {
    let wide: String = (0..40).map(|i| format!(r#","x{i}":{i}"#)).collect();
    assert_refused(
        &list(&[&user("u1", &format!(r#"{wide},"X20":0,"x39":1,"x0":2"#))]),
        &[
            r#"$.Resources[0]: duplicate attribute "x20" (also "X20")"#,
            r#"$.Resources[0]: duplicate attribute "x39""#,
            r#"$.Resources[0]: duplicate attribute "x0""#,
        ],
    );
    let dir = read_all(&[&list(&[&user("u1", &wide)])]).unwrap();
    assert_eq!(dir.user_count(), 1, "forty distinct names are fine");
}
