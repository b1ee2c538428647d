//! Imports of grants: identities described alike or in conflict across a
//! file's rows, and removal within the scopes a file holds.

use super::identities::KEPT_CONFLICTS;
use super::*;
use crate::import::{Defaults, canonical};
use crate::testing::{grant_meta, import};

fn session_with(store: &mut Store, text: &str) -> (Vec<IdentityConflict>, usize) {
    let mut session = store.begin_import(grant_meta()).unwrap();
    for row in canonical::Reader::new(text.as_bytes(), Defaults::default()).unwrap() {
        let (line, record) = row.unwrap();
        assert_eq!(session.add(line, &record).unwrap(), None);
    }
    (
        session.identity_conflicts().to_vec(),
        session.identity_conflict_total(),
    )
}

const HEADER: &str =
    "tenant,system,identity_id,identity_name,identity_kind,relationship,entitlement";

/// Rows of one identity apart from each other still meet: the first
/// row's attributes are found again, and the disagreement names both
/// lines. The same id in another tenant is another identity.
#[test]
fn disagreements_name_both_lines_however_far_apart() {
    let mut store = Store::open_in_memory().unwrap();
    let text = format!(
        "{HEADER}\nnw,gh,a@x,Ann,human,partner,e1\nnw,gh,b@x,Bob,human,partner,e1\n\
         bf,gh,a@x,Someone,human,vendor,e1\nnw,gh,a@x,Anne,human,partner,e2\n"
    );
    let (conflicts, total) = session_with(&mut store, &text);
    assert_eq!(total, 1);
    assert_eq!(
        conflicts,
        [IdentityConflict {
            line: 5,
            first_line: 2,
            identity_id: "a@x".into(),
            field: "identity_name",
            first_value: "Ann".into(),
            value: "Anne".into(),
        }]
    );
}

/// An identity the file describes anew, on rows apart from each other:
/// the second row agrees with the first, not with the stored version
/// the first row replaced.
#[test]
fn a_changed_identity_named_again_later_agrees_with_its_first_row() {
    let mut store = Store::open_in_memory().unwrap();
    import(
        &mut store,
        &format!("{HEADER}\nnw,gh,a@x,Ann,human,partner,e1\n"),
    );
    let text = format!(
        "{HEADER}\nnw,gh,a@x,Annie,human,partner,e1\nnw,gh,b@x,Bob,human,partner,e1\n\
         nw,gh,a@x,Annie,human,partner,e2\n"
    );
    let (conflicts, total) = session_with(&mut store, &text);
    assert_eq!((conflicts, total), (vec![], 0));
}

/// An address the identity id supplies is the same address written out
/// (the SCIM and IAM importers give one); a different address is a
/// disagreement with the first row's.
#[test]
fn emails_are_compared_as_stored() {
    use crate::domain::{IdentityKind, Relationship};
    let mut store = Store::open_in_memory().unwrap();
    let mut session = store.begin_import(grant_meta()).unwrap();
    let rows = [
        ("a@x", "e1", None),
        ("b@x", "e1", None),
        ("a@x", "e2", Some("a@x")),
        ("a@x", "e3", Some("ann@y")),
    ];
    for (line, (id, entitlement, email)) in (2..).zip(rows) {
        let mut record = EntitlementRecord::new(
            "gh",
            id,
            "Ann",
            IdentityKind::Human,
            Relationship::Partner,
            entitlement,
        );
        record.tenant = "nw".into();
        record.email = email.map(str::to_string);
        assert_eq!(session.add(line, &record).unwrap(), None);
    }
    let conflicts = session.identity_conflicts();
    assert_eq!(session.identity_conflict_total(), 1);
    let c = &conflicts[0];
    assert_eq!((c.line, c.first_line, c.field), (5, 2, "email"));
    assert_eq!((c.first_value.as_str(), c.value.as_str()), ("a@x", "ann@y"));
}

/// A file speaks for the (tenant, system) scopes it holds: what it lacks
/// there is removed once, and other scopes keep their grants.
#[test]
fn removal_stays_within_the_scopes_the_file_holds() {
    let mut store = Store::open_in_memory().unwrap();
    let first = format!(
        "{HEADER}\nnw,gh,a@x,Ann,human,partner,e1\nnw,gh,a@x,Ann,human,partner,e2\n\
         nw,okta,a@x,Ann,human,partner,e1\nbf,gh,a@x,Al,human,vendor,e1\n"
    );
    assert_eq!(import(&mut store, &first).added, 4);
    let later = format!("{HEADER}\nnw,gh,a@x,Ann,human,partner,e2\n");
    let counts = import(&mut store, &later);
    assert_eq!((counts.unchanged, counts.removed), (1, 1));
    let again = import(&mut store, &later);
    assert_eq!((again.unchanged, again.removed), (1, 0), "removed once");
    let current: Vec<(String, String, bool)> = store
        .conn
        .prepare(
            "SELECT i.tenant || '/' || e.system, e.name, e.removed_snapshot IS NOT NULL
             FROM entitlement e JOIN identity i ON i.key = e.identity
             WHERE e.superseded IS NULL AND i.superseded IS NULL ORDER BY 1, 2",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let expected = [
        ("bf/gh", "e1", false),
        ("nw/gh", "e1", true),
        ("nw/gh", "e2", false),
        ("nw/okta", "e1", false),
    ]
    .map(|(scope, name, removed)| (scope.to_string(), name.to_string(), removed));
    assert_eq!(current, expected);
}

/// Lines past 2^32 are named as they are: a file that large is rare,
/// but a conflict must point at the right row.
#[test]
fn conflicts_name_lines_past_four_billion() {
    let mut store = Store::open_in_memory().unwrap();
    let mut session = store.begin_import(grant_meta()).unwrap();
    let text = format!(
        "{HEADER}\nnw,gh,a@x,Ann,human,partner,e1\nnw,gh,b@x,Bob,human,partner,e1\n\
         nw,gh,a@x,Annie,human,partner,e2\n"
    );
    let far = 5_000_000_000;
    for (n, row) in canonical::Reader::new(text.as_bytes(), Defaults::default())
        .unwrap()
        .enumerate()
    {
        let (_, record) = row.unwrap();
        assert_eq!(session.add(far + n as u64, &record).unwrap(), None);
    }
    let conflict = &session.identity_conflicts()[0];
    assert_eq!((conflict.line, conflict.first_line), (far + 2, far));
}

/// A file that disagrees with itself on every row keeps the first
/// disagreements and counts the rest: memory does not grow with it.
#[test]
fn disagreements_are_kept_up_to_a_bound_and_counted() {
    let mut store = Store::open_in_memory().unwrap();
    let mut text = format!("{HEADER}\n");
    for n in 0..250 {
        text.push_str(&format!("nw,gh,a@x,Name {n},human,partner,e{n}\n"));
    }
    let (conflicts, total) = session_with(&mut store, &text);
    assert_eq!(total, 249);
    assert_eq!(conflicts.len(), KEPT_CONFLICTS);
    assert_eq!(conflicts[0].first_value, "Name 0");
}
