//! The next quarter: what a campaign carries from the one before it. A
//! revoke that a snapshot imported after it still shows is flagged
//! `revocation_not_done` (first in the queue) until a complete snapshot
//! shows the grant gone; an identity whose context changed since the
//! previous campaign is flagged `context_changed`, saying what changed.

use super::{CampaignId, ItemId, Store};
use crate::domain::{Decision, Flag, FlagSet, RemediationStatus};
use crate::testing::{
    OWNER, SAMPLE, campaign, decide, import_file, item_of, sample_store, sample_without,
};

const LENA: &str = "l.brandt@copperline.example.com";
/// Lena Brandt's Salesforce grant, on the first line of data.
const LENA_SALESFORCE: &str = "salesforce,l.brandt@copperline.example.com";

fn flagged(store: &Store, campaign: CampaignId, flag: Flag) -> Vec<(i64, i64)> {
    let mut stmt = store
        .conn
        .prepare("SELECT id, risk_rank, flags FROM item WHERE campaign = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([campaign], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .filter(|(_, _, flags)| FlagSet::from_bits(*flags as u32).contains(flag))
    .map(|(id, rank, _)| (id, rank))
    .collect()
}

fn reason(store: &Store, campaign: CampaignId, item: i64, flag: Flag) -> String {
    let detail = store.item_detail(campaign, ItemId(item)).unwrap().unwrap();
    detail
        .findings
        .iter()
        .find(|f| f.flag == flag.name())
        .unwrap_or_else(|| panic!("{flag:?} in {:?}", detail.findings))
        .reason
        .clone()
}

/// Q4 with Lena's Salesforce grant revoked.
fn revoked() -> (Store, crate::store::CampaignSummary) {
    let (mut store, q4) = sample_store();
    let lena = item_of(&store, &q4, "salesforce", LENA);
    decide(&mut store, &q4, OWNER, lena, Some(Decision::Revoke), "gone");
    (store, q4)
}

#[test]
fn a_revoke_is_not_done_only_once_a_snapshot_after_it_still_holds_the_grant() {
    let (mut store, _) = revoked();
    // The snapshot before the revoke (the one Q4 was created from) proves
    // nothing about it: no flag.
    let before = campaign(&mut store, "Q1 before", "2026-11-01");
    assert!(flagged(&store, before.id, Flag::RevocationNotDone).is_empty());

    // A complete export after the revoke that still holds the grant.
    import_file(&mut store, "december.csv", SAMPLE, false);
    let q1 = campaign(&mut store, "Q1", "2026-11-01");
    let not_done = flagged(&store, q1.id, Flag::RevocationNotDone);
    let lena = item_of(&store, &q1, "salesforce", LENA);
    assert_eq!(not_done, [(lena, 0)], "flagged, and first in the queue");
    let why = reason(&store, q1.id, lena, Flag::RevocationNotDone);
    assert!(
        why.starts_with(
            "revoked in campaign \"Q4\" on 2026-11-22 by m.santos@northwind.example.com"
        ) && why
            .ends_with("yet snapshot 2 (december.csv, imported 2026-11-25) still holds the grant"),
        "{why}"
    );
    let row = store.item_row(q1.id, ItemId(lena)).unwrap().unwrap();
    assert_eq!(row.recommendation.as_str(), "revoke");
    assert!(store.queue_order_problem(q1.id).unwrap().is_none());
    // Q1 carries the task: listed, counted, still effective.
    let counts = store.remediation_counts(q1.id).unwrap();
    assert_eq!(
        (counts.still_effective, counts.carried_over, counts.not_done),
        (1, 1, 1)
    );
    let task = store
        .remediation_task(q1.id, ItemId(lena))
        .unwrap()
        .unwrap();
    assert_eq!(task.carried_from.as_deref(), Some("Q4"));
    assert_eq!(task.status, RemediationStatus::StillEffective);
    assert_eq!(store.revocations_not_done(q1.id).unwrap().len(), 1);

    // A partial export without the grant proves nothing: still flagged.
    let others = sample_without(&[LENA_SALESFORCE]);
    import_file(&mut store, "part.csv", &others, true);
    let q1b = campaign(&mut store, "Q1 bis", "2026-11-01");
    assert_eq!(flagged(&store, q1b.id, Flag::RevocationNotDone).len(), 1);

    // A complete export without it verifies the revoke: the flag is gone,
    // and Q1's carried task says it was verified.
    import_file(&mut store, "january.csv", &others, false);
    let q2 = campaign(&mut store, "Q2", "2026-11-01");
    assert!(flagged(&store, q2.id, Flag::RevocationNotDone).is_empty());
    let task = store
        .remediation_task(q1.id, ItemId(lena))
        .unwrap()
        .unwrap();
    assert_eq!(task.status, RemediationStatus::Verified);
    let counts = store.remediation_counts(q1.id).unwrap();
    assert_eq!(
        (counts.verified, counts.carried_over, counts.not_done),
        (1, 1, 0)
    );
}

#[test]
fn a_revoke_decided_again_in_the_new_campaign_is_its_own_task_not_a_carried_one() {
    let (mut store, _) = revoked();
    import_file(&mut store, "december.csv", SAMPLE, false);
    let q1 = campaign(&mut store, "Q1", "2026-11-01");
    let lena = item_of(&store, &q1, "salesforce", LENA);
    decide(
        &mut store,
        &q1,
        OWNER,
        lena,
        Some(Decision::Revoke),
        "again",
    );
    let counts = store.remediation_counts(q1.id).unwrap();
    assert_eq!((counts.pending, counts.carried_over), (1, 0));
    let task = store
        .remediation_task(q1.id, ItemId(lena))
        .unwrap()
        .unwrap();
    assert_eq!(task.carried_from, None);
    // Still a revocation not done for the report's section.
    assert_eq!(
        store.revocations_not_done(q1.id).unwrap()[0].state,
        "revoked"
    );
}

/// The sample with Lena Brandt's lines moved: `edit` applied to each.
fn lena_edited(edit: impl Fn(&mut Vec<String>)) -> String {
    SAMPLE
        .lines()
        .map(|line| {
            let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
            if fields.get(2).map(String::as_str) == Some(LENA) {
                edit(&mut fields);
            }
            format!("{}\n", fields.join(","))
        })
        .collect()
}

#[test]
fn a_changed_context_is_flagged_with_what_changed_and_counted_by_the_import() {
    let (mut store, _) = sample_store();
    let moved = lena_edited(|f| {
        f[7] = "ap-south".into();
        f[11] = "r.iyer@northwind.example.com".into();
    });
    let counts = import_file(&mut store, "december.csv", &moved, false);
    assert_eq!((counts.changed, counts.removed), (0, 0), "no grant changed");
    let ids = counts.identities;
    assert_eq!(
        (
            ids.changed,
            ids.region,
            ids.sponsor,
            ids.relationship,
            ids.organization,
            ids.other
        ),
        (1, 1, 1, 0, 0, 0)
    );
    let q1 = campaign(&mut store, "Q1", "2026-11-01");
    let changed = flagged(&store, q1.id, Flag::ContextChanged);
    let lenas = SAMPLE
        .lines()
        .filter(|l| l.contains(&format!(",{LENA},")))
        .count();
    assert_eq!(changed.len(), lenas);
    let lena = item_of(&store, &q1, "salesforce", LENA);
    assert!(changed.iter().any(|(id, _)| *id == lena));
    assert_eq!(
        reason(&store, q1.id, lena, Flag::ContextChanged),
        "since the previous campaign: region eu-west → ap-south; \
         sponsor a.kowalski@northwind.example.com → r.iyer@northwind.example.com"
    );
}

#[test]
fn a_name_change_or_no_previous_campaign_is_no_context_change() {
    let (mut store, _) = sample_store();
    let renamed = lena_edited(|f| f[3] = "Lena Brandt-Okafor".into());
    let counts = import_file(&mut store, "december.csv", &renamed, false);
    assert_eq!((counts.identities.changed, counts.identities.other), (1, 1));
    let q1 = campaign(&mut store, "Q1", "2026-11-01");
    assert!(flagged(&store, q1.id, Flag::ContextChanged).is_empty());

    // A campaign of another scope has no previous campaign to compare with.
    let moved = lena_edited(|f| f[5] = "partner".into());
    import_file(&mut store, "january.csv", &moved, false);
    let mut spec = crate::testing::new_campaign("Contractors", "2026-11-01");
    spec.scope = vec![crate::domain::Filter::parse("tenant=northwind").unwrap()];
    let other = store.create_campaign(&spec).unwrap();
    assert!(flagged(&store, other.id, Flag::ContextChanged).is_empty());
    // The same scope as Q1 compares with Q1: relationship changed.
    let q2 = campaign(&mut store, "Q2", "2026-11-01");
    let lena = item_of(&store, &q2, "salesforce", LENA);
    assert_eq!(
        reason(&store, q2.id, lena, Flag::ContextChanged),
        "since the previous campaign: relationship contractor → partner"
    );
}

#[test]
fn verify_finds_a_revocation_not_done_the_log_does_not_ground() {
    let (mut store, _) = revoked();
    import_file(&mut store, "december.csv", SAMPLE, false);
    // Created after the import, as the log's times must say.
    let mut spec = crate::testing::new_campaign("Q1", "2026-11-01");
    spec.created_at = "2026-11-26T09:00:00.000Z".into();
    let q1 = store.create_campaign(&spec).unwrap();
    let v = store.verify(&[], false).unwrap();
    assert!(v.ok(), "{:?}", v.discrepancies);
    let lena = item_of(&store, &q1, "salesforce", LENA);
    // Point the flag at the import's event instead of the revoke.
    crate::store::integrity::tamper(
        &store,
        &format!(
            "UPDATE item SET context = json_set(context, '$.revocation_not_done.revoke_event', 4)
             WHERE id = {lena}"
        ),
    );
    let v = store.verify(&[], false).unwrap();
    let found: Vec<String> = v.discrepancies.into_iter().map(|d| d.message).collect();
    assert!(
        found.iter().any(|f| f.contains(&format!(
            "item {lena} is flagged revocation_not_done, but the log holds no revoke of its \
             grant in event 4 of campaign \"Q4\""
        ))),
        "{found:#?}"
    );
}

#[test]
fn verify_finds_a_rotation_overdue_the_log_does_not_ground() {
    let (mut store, q4) = sample_store();
    // The billing key's Mailbox grant, rotated 2025-10-15.
    let key = crate::testing::sample_item(&store, &q4, 21);
    let by = crate::testing::day("2026-12-15");
    decide(
        &mut store,
        &q4,
        OWNER,
        key,
        Some(Decision::Rotate { by }),
        "the vault",
    );
    let mut spec = crate::testing::new_campaign("Q1", "2026-12-16");
    spec.created_at = "2026-12-16T09:00:00.000Z".into();
    let q1 = store.create_campaign(&spec).unwrap();
    let item = crate::testing::sample_item(&store, &q1, 21);
    assert_eq!(
        flagged(&store, q1.id, Flag::RotationOverdue)
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        [item]
    );
    // A rotation shown after Q1 was created takes nothing from its flag.
    let rotated: String = SAMPLE
        .lines()
        .map(
            |l| match l.starts_with("northwind,m365,key-billing-export,") {
                true => format!("{}\n", l.replace(",2025-10-15,", ",2026-12-20,")),
                false => format!("{l}\n"),
            },
        )
        .collect();
    let meta = crate::store::SnapshotMeta {
        file_name: "rotated.csv".into(),
        imported_at: "2026-12-20T09:00:00.000Z".into(),
        partial: false,
        ..crate::testing::grant_meta()
    };
    crate::testing::import_as(&mut store, meta, &rotated);
    let v = store.verify(&[], false).unwrap();
    assert!(v.ok(), "{:?}", v.discrepancies);

    let context: String = store
        .conn
        .query_row("SELECT context FROM item WHERE id = ?1", [item], |r| {
            r.get(0)
        })
        .unwrap();
    let found_after = |store: &Store, edit: &str| -> Vec<String> {
        crate::store::integrity::tamper(
            store,
            &format!("UPDATE item SET context = json_set(context, {edit}) WHERE id = {item}"),
        );
        let v = store.verify(&[], false).unwrap();
        crate::store::integrity::tamper(
            store,
            &format!(
                "UPDATE item SET context = '{}' WHERE id = {item}",
                context.replace('\'', "''")
            ),
        );
        v.discrepancies.into_iter().map(|d| d.message).collect()
    };
    // An event that is no rotate (the import's), then a date not yet
    // passed on Q1's as-of day.
    let event: i64 =
        serde_json::from_str::<serde_json::Value>(&context).unwrap()["overdue_rotation"]["event"]
            .as_i64()
            .unwrap();
    for (edit, names) in [
        (
            "'$.overdue_rotation.event', 1".to_string(),
            format!("in event 1 of campaign \"Q4\" by {by}"),
        ),
        (
            "'$.overdue_rotation.by', '2026-12-16'".to_string(),
            format!("in event {event} of campaign \"Q4\" by 2026-12-16"),
        ),
    ] {
        let found = found_after(&store, &edit);
        assert!(
            found.iter().any(|f| f.contains(&format!(
                "item {item} is flagged rotation_overdue, but the log holds no rotate of its \
                 grant {names} that was past its date on 2026-12-16"
            ))),
            "{edit}: {found:#?}"
        );
    }
    let v = store.verify(&[], false).unwrap();
    assert!(v.ok(), "restored: {:?}", v.discrepancies);
}
