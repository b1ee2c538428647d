//! Campaigns over real-source data: the identity register's values frozen
//! on items, disabled accounts, the previous campaign's outcome on an item
//! and exceptions that lapsed while a later campaign sat undecided.

use super::{Acting, DecisionRequest, ItemDetail, ItemQuery, PageDirection, SnapshotMeta, Store};
use crate::domain::register::RegisterEntry;
use crate::domain::{Decision, EntitlementRecord, Filter, Flag, IdentityKind, Relationship, Stamp};
use crate::import::{Defaults, aws_iam};
use crate::store::CampaignSummary;
use crate::testing::{self, day};

const AWS: &str = include_str!("../../tests/fixtures/aws/credential-report-sample.csv");

fn meta(format: &str) -> SnapshotMeta {
    SnapshotMeta {
        file_name: format!("{format}.file"),
        format: format.into(),
        imported_at: "2026-11-01T09:00:00.000Z".into(),
        imported_by: "importer@test".into(),
        imported_via: "asserted".into(),
        partial: false,
        source_bytes: None,
    }
}

fn import_records(store: &mut Store, records: &[EntitlementRecord]) -> super::ImportCounts {
    let mut session = store.begin_import(meta("scim")).unwrap();
    for (n, record) in records.iter().enumerate() {
        assert!(session.add(n as u64 + 1, record).unwrap().is_none());
    }
    session.commit("0", false).unwrap()
}

fn import_aws(store: &mut Store) {
    let mut session = store.begin_import(meta("aws-iam")).unwrap();
    for row in aws_iam::Reader::new(AWS.as_bytes(), Defaults::default()).unwrap() {
        let (line, record) = row.unwrap();
        assert!(session.add(line, &record).unwrap().is_none());
    }
    session.commit("0", false).unwrap();
}

fn import_register(store: &mut Store, entries: &[RegisterEntry]) {
    let mut session = store.begin_register_import(meta("register")).unwrap();
    for (n, entry) in entries.iter().enumerate() {
        assert!(session.add(n as u64 + 2, entry).unwrap().is_none());
    }
    session.commit("0", false).unwrap();
}

/// The detail of the one item matching `filters`.
fn detail(store: &Store, campaign: &CampaignSummary, filters: &[&str]) -> ItemDetail {
    let query = ItemQuery {
        campaign: campaign.id,
        filters: filters.iter().map(|f| Filter::parse(f).unwrap()).collect(),
        search: None,
    };
    let rows = store
        .page(&query, None, PageDirection::Forward, true, 10)
        .unwrap();
    assert_eq!(rows.len(), 1, "{filters:?}");
    store.item_detail(campaign.id, rows[0].id).unwrap().unwrap()
}

fn decide(
    store: &mut Store,
    campaign: &CampaignSummary,
    detail: &ItemDetail,
    today: &str,
    decision: Decision,
) {
    let at = format!("{today}T10:00:00.000Z");
    let acting = Acting {
        actor: "m.santos@northwind.example.com",
        via: &crate::domain::roster::ASSERTED,
        at: &at,
        today: day(today),
    };
    let request = DecisionRequest {
        item: detail.row.id,
        decision: Some(decision),
        note: Some("reviewed".into()),
        seen_event: None,
        seconds_on_screen: None,
        overriding: false,
    };
    store.decide(campaign.id, &acting, &[request]).unwrap();
}

#[test]
fn register_values_are_frozen_on_items_with_where_they_came_from() {
    let mut store = Store::open_in_memory().unwrap();
    import_aws(&mut store);
    import_register(
        &mut store,
        &[RegisterEntry {
            tenant: "111122223333".into(),
            relationship: Some(Relationship::Contractor),
            organization: Some("Copperline Engineering".into()),
            sponsor: Some("a.kowalski@northwind.example.com".into()),
            business_owner: Some("m.santos@northwind.example.com".into()),
            contract_end: Some(Stamp::parse("2026-10-31").unwrap()),
            ..RegisterEntry::new("C.Lena.Brandt")
        }],
    );
    let campaign = testing::campaign(&mut store, "aws", "2026-11-22");
    let lena = detail(&store, &campaign, &["identity_id=c.lena.brandt"]);
    assert_eq!(lena.row.relationship, "contractor");
    assert_eq!(
        lena.row.organization.as_deref(),
        Some("Copperline Engineering")
    );
    assert_eq!(
        lena.sponsor.as_deref(),
        Some("a.kowalski@northwind.example.com")
    );
    assert_eq!(
        lena.business_owner.as_deref(),
        Some("m.santos@northwind.example.com")
    );
    assert_eq!(
        lena.reviewer, "a.kowalski@northwind.example.com",
        "the sponsor reviews"
    );
    assert_eq!(lena.contract_end.as_deref(), Some("2026-10-31"));
    assert_eq!(
        lena.register_fields,
        [
            "relationship",
            "organization",
            "sponsor",
            "business_owner",
            "contract_end"
        ]
    );
    assert!(lena.row.flags.contains(Flag::ContractEnded));
    assert!(!lena.row.flags.contains(Flag::Unclassified));
    let reason = &lena.findings[0].reason;
    assert!(reason.contains("2026-10-31 (22 days ago)"), "{reason}");

    let root = detail(&store, &campaign, &["identity_id=<root_account>"]);
    assert!(root.register_fields.is_empty());
    assert_eq!(root.contract_end, None);

    // A report that loads every version beforehand fills in the register's
    // values as the joined query does.
    let (joined, loaded) = super::report_rows::rows_both_ways(&store, campaign.id);
    let lena = joined.iter().find(|r| r.identity_id == "c.lena.brandt");
    assert_eq!(
        lena.map(|r| (r.relationship.as_str(), r.organization.as_deref())),
        Some(("contractor", Some("Copperline Engineering")))
    );
    assert_eq!(joined, loaded);

    // Scopes see the register's values.
    let scoped = store
        .create_campaign(&crate::store::NewCampaign {
            name: "contractors".into(),
            scope: vec![Filter::parse("relationship=contractor").unwrap()],
            ..testing::new_campaign("x", "2026-11-22")
        })
        .unwrap();
    assert_eq!(scoped.items, 1);
}

#[test]
fn a_disabled_account_is_evidence_and_disabling_it_is_a_change() {
    let mut store = Store::open_in_memory().unwrap();
    let record = |active| {
        let mut r = EntitlementRecord::new(
            "scim",
            "r.achebe@copperline.example.com",
            "Ruth Achebe",
            IdentityKind::Human,
            Relationship::Contractor,
            "account",
        );
        r.sponsor = Some("a.kowalski@northwind.example.com".into());
        r.active = active;
        r
    };
    import_records(&mut store, &[record(Some(true))]);
    let counts = import_records(&mut store, &[record(Some(false))]);
    assert_eq!((counts.changed, counts.unchanged), (1, 0));
    let campaign = testing::campaign(&mut store, "c", "2026-11-22");
    let ruth = detail(&store, &campaign, &[]);
    assert_eq!(ruth.active, Some(false));
    // A SCIM membership has no end date and no justification to carry.
    assert_eq!(
        ruth.row.flags.names(),
        ["inactive", "no_end_date", "no_justification"]
    );
    assert_eq!(ruth.row.recommendation.as_str(), "revoke");
}

#[test]
fn an_item_carries_the_previous_campaigns_outcome() {
    let (mut store, q3) = testing::sample_store();
    let filters = [
        "identity_id=l.brandt@copperline.example.com",
        "system=snowflake",
    ];
    let first = detail(&store, &q3, &filters);
    assert_eq!(first.row.since, "new");
    assert_eq!(first.previous, None);
    decide(&mut store, &q3, &first, "2026-11-01", Decision::Attest);

    let q4 = testing::campaign(&mut store, "Q4 again", "2026-11-22");
    let second = detail(&store, &q4, &filters);
    assert_eq!(second.row.since, "unchanged");
    assert_eq!(second.row.previous_item, Some(first.row.id));
    let previous = second.previous.unwrap();
    assert_eq!(previous.campaign, "Q4");
    assert_eq!(previous.decision.map(|d| d.as_str()), Some("attest"));
    assert_eq!(
        previous.actor.as_deref(),
        Some("m.santos@northwind.example.com")
    );
    assert_eq!(previous.reviewer, "a.kowalski@northwind.example.com");
    assert_eq!(previous.note.as_deref(), Some("reviewed"));
    assert_eq!(second.earlier.len(), 1);
}

#[test]
fn an_exception_lapses_even_behind_an_undecided_campaign() {
    let mut store = Store::open_in_memory().unwrap();
    testing::import(&mut store, testing::SAMPLE);
    let filters = [
        "identity_id=l.brandt@copperline.example.com",
        "system=snowflake",
    ];
    let june = testing::campaign(&mut store, "June", "2026-06-01");
    let item = detail(&store, &june, &filters);
    decide(
        &mut store,
        &june,
        &item,
        "2026-06-01",
        Decision::Exception {
            until: day("2026-07-01"),
            ticket: Some("CHG-1".into()),
        },
    );
    let july = testing::campaign(&mut store, "July", "2026-06-30");
    assert!(
        !detail(&store, &july, &filters)
            .row
            .flags
            .contains(Flag::ExceptionLapsed)
    );
    // July was never decided; by August the June exception has run out.
    let august = testing::campaign(&mut store, "August", "2026-08-01");
    let lapsed = detail(&store, &august, &filters);
    assert!(lapsed.row.flags.contains(Flag::ExceptionLapsed));
    assert!(
        lapsed
            .findings
            .iter()
            .any(|f| f.reason.contains("2026-07-01"))
    );
}

/// The source's own relationship and organization win over the register's
/// in a report, whether it joins the versions or loads them.
#[test]
fn reports_keep_what_the_source_states_over_the_register() {
    let mut store = Store::open_in_memory().unwrap();
    testing::import(&mut store, testing::SAMPLE);
    import_register(
        &mut store,
        &[RegisterEntry {
            tenant: "northwind".into(),
            relationship: Some(Relationship::Contractor),
            organization: Some("Register Org".into()),
            ..RegisterEntry::new("k.ito@saltmarsh.example.net")
        }],
    );
    let campaign = testing::campaign(&mut store, "q4", "2026-11-22");
    let (joined, loaded) = super::report_rows::rows_both_ways(&store, campaign.id);
    let kenji: Vec<_> = loaded
        .iter()
        .filter(|r| r.identity_id == "k.ito@saltmarsh.example.net")
        .map(|r| (r.relationship.as_str(), r.organization.as_deref()))
        .collect();
    assert!(!kenji.is_empty());
    assert!(
        kenji
            .iter()
            .all(|k| *k == ("partner", Some("Saltmarsh Analytics"))),
        "{kenji:?}"
    );
    assert_eq!(joined, loaded);
}

/// A relationship filter reads the relationship frozen on the items, and
/// on a campaign from before schema 5, whose items carry none, the
/// identity and register versions as before: the same items either way.
#[test]
fn relationship_filters_find_the_same_items_frozen_or_not() {
    let mut store = Store::open_in_memory().unwrap();
    import_aws(&mut store);
    import_register(
        &mut store,
        &[RegisterEntry {
            tenant: "111122223333".into(),
            relationship: Some(Relationship::Contractor),
            ..RegisterEntry::new("C.Lena.Brandt")
        }],
    );
    let campaign = testing::campaign(&mut store, "aws", "2026-11-22");
    let ids = |store: &Store, value: &str| -> Vec<i64> {
        let query = ItemQuery {
            campaign: campaign.id,
            filters: vec![Filter::parse(&format!("relationship={value}")).unwrap()],
            search: None,
        };
        let rows = store
            .page(&query, None, PageDirection::Forward, true, 100)
            .unwrap();
        rows.iter().map(|r| r.id.0).collect()
    };
    let contractors = ids(&store, "contractor");
    let unknown = ids(&store, "unknown");
    assert!(!contractors.is_empty() && !unknown.is_empty());
    let (first, _) = super::campaigns::item_range(&store.conn, campaign.id).unwrap();
    assert!(super::items::relationship_frozen(&store.conn, first).unwrap());

    super::integrity::tamper(&store, "UPDATE item SET relationship = NULL");
    assert!(!super::items::relationship_frozen(&store.conn, first).unwrap());
    assert_eq!(ids(&store, "contractor"), contractors);
    assert_eq!(ids(&store, "unknown"), unknown);
    let v = store.verify(&[], false).unwrap();
    assert!(
        v.ok(),
        "a campaign without frozen relationships: {:?}",
        v.discrepancies
    );
}
