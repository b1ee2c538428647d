//! The remediation view and the still-effective warning, through the real
//! store: a page at a time by keyset, the status filter, the count on the
//! main screen, and the detail pane's remediation line.

use super::{Console, OWNER, ch, key, remediation_store};
use crate::domain::rotation::RotationStatus;
use crate::domain::{Decision, RemediationStatus};
use crate::store::{DecisionRequest, ItemId};
use crate::testing::{acting, import_file, sample_store, sample_without};
use crate::tui::app::Mode;
use crate::tui::message::Msg;
use ratatui::crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};
use std::collections::BTreeSet;

fn list<'c>(console: &'c Console<'_>) -> &'c crate::tui::app::RemediationList {
    match &console.app.mode {
        Mode::Remediation(list) => list,
        _ => panic!("not in the remediation view:\n{}", console.draw()),
    }
}

#[test]
fn still_effective_revocations_are_loud_on_the_main_screen_and_in_the_detail() {
    let (mut store, q4) = remediation_store();
    let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    console.send(ch('v'));
    let drawn = console.draw();
    let status_line = drawn.lines().last().unwrap();
    assert!(
        status_line.contains("⚠ 2 STILL EFFECTIVE · showing every item"),
        "beside a message: {status_line}"
    );
    // `v` kept the owner's item; the riskiest is at the top.
    console.send(key(KeyCode::Home));
    let drawn = console.draw();
    let status_line = drawn.lines().last().unwrap();
    assert!(
        status_line.contains("⚠ 2 STILL EFFECTIVE (m) · ? help"),
        "with the key that lists them: {status_line}"
    );
    // The riskiest item was revoked and the December export still has it.
    assert_eq!(console.current().rank, 0);
    console.send(Msg::Resize(160, 48));
    let drawn = console.draw();
    assert!(
        drawn.contains("Remediation ⚠ STILL EFFECTIVE: december.csv (snapshot 2,"),
        "{drawn}"
    );

    // In colour it is red and bold as well as a symbol and a word.
    console.app.color = true;
    let buffer = console.buffer();
    let y = buffer.area.height - 1;
    assert!(
        console
            .draw()
            .lines()
            .last()
            .unwrap()
            .contains("⚠ 2 STILL EFFECTIVE")
    );
    let x = (0..buffer.area.width)
        .find(|x| buffer[(*x, y)].symbol() == "⚠")
        .expect("the warning sign on the status line");
    let cell = &buffer[(x, y)];
    assert_eq!(cell.fg, Color::Red);
    assert!(cell.modifier.contains(Modifier::BOLD));

    // Undoing a still-effective revoke takes it off the count.
    console.send(key(KeyCode::Home));
    console.send(ch('u'));
    assert_eq!(console.app.remediation.unwrap().still_effective, 1);
    console.app.color = false;
    assert!(
        console
            .draw()
            .contains("⚠ 1 STILL EFFECTIVE · item 1: undo recorded")
    );
}

#[test]
fn nothing_still_effective_means_no_warning() {
    let (mut store, q4) = sample_store();
    let console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    assert_eq!(console.app.remediation.unwrap().total(), 0);
    assert!(!console.draw().contains("STILL EFFECTIVE"));
}

#[test]
fn the_view_pages_by_keyset_filters_by_status_and_shows_the_proof() {
    let (mut store, q4) = sample_store();
    let requests: Vec<_> = (1..=30)
        .map(|item| DecisionRequest {
            item: ItemId(item),
            decision: Some(Decision::Revoke),
            note: Some("decommissioned".into()),
            seen_event: None,
            seconds_on_screen: Some(1.0),
            overriding: false,
        })
        .collect();
    store.decide(q4.id, &acting(OWNER), &requests).unwrap();
    // A later export without Lena Brandt's grants proves those gone; the
    // rest are still there.
    import_file(
        &mut store,
        "december.csv",
        &sample_without(&["l.brandt@copperline.example.com"]),
        false,
    );
    let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    console.send(ch('m'));
    let page = crate::tui::view::remediation_capacity((80, 24));
    assert!((5..30).contains(&page), "{page}");
    assert_eq!(list(&console).rows.len(), page);
    assert!(list(&console).more);

    // Walk to the end a row at a time: never more than a page held, every
    // revocation once, riskiest first.
    let mut seen = vec![list(&console).rows[0].item];
    for _ in 0..40 {
        console.send(ch('j'));
        let shown = list(&console);
        assert!(shown.rows.len() <= page, "one page in memory");
        let current = shown.current().unwrap().item;
        if seen.last() != Some(&current) {
            seen.push(current);
        }
    }
    assert_eq!(seen, (1..=30).collect::<Vec<_>>());
    assert!(!list(&console).more);
    assert!(!list(&console).earlier.is_empty());
    // Back up over a page boundary: the previous page, its last row.
    let first_of_page = list(&console).rows[0].item;
    for _ in 0..list(&console).selected + 1 {
        console.send(ch('k'));
    }
    assert_eq!(list(&console).current().unwrap().item, first_of_page - 1);
    console.send(key(KeyCode::Home));
    assert_eq!(list(&console).current().unwrap().item, 1);
    assert!(list(&console).earlier.is_empty());

    // Only the failures.
    console.send(key(KeyCode::Tab));
    assert_eq!(
        list(&console).status,
        Some(RemediationStatus::StillEffective)
    );
    let counts = console.app.remediation.unwrap();
    assert_eq!(
        (counts.still_effective, counts.verified, counts.pending),
        (27, 3, 0)
    );
    let mut still = BTreeSet::new();
    for _ in 0..40 {
        let shown = list(&console);
        assert!(
            shown
                .rows
                .iter()
                .all(|t| t.status == RemediationStatus::StillEffective)
        );
        still.extend(shown.rows.iter().map(|t| t.item));
        console.send(key(KeyCode::PageDown));
    }
    assert_eq!(still.len(), 27);
    console.send(key(KeyCode::Tab));
    console.send(key(KeyCode::Tab));
    assert_eq!(list(&console).status, Some(RemediationStatus::Verified));
    let drawn = console.draw();
    assert!(
        drawn.contains("✓ verified: snapshot 2 december.csv"),
        "{drawn}"
    );
    assert!(drawn.contains("Remediation · verified only"), "{drawn}");

    // A newer export arrives while the view is open: R rereads it.
    import_file(
        console.runner.store,
        "january.csv",
        &sample_without(&[
            "l.brandt@copperline.example.com",
            "k.ito@saltmarsh.example.net",
        ]),
        false,
    );
    assert_eq!(list(&console).rows.len(), 3, "as read before");
    console.send(ch('R'));
    let counts = console.app.remediation.unwrap();
    assert_eq!((counts.still_effective, counts.verified), (24, 6));
    assert_eq!(list(&console).rows.len(), 6);
    console.send(ch('m'));
    assert!(matches!(console.app.mode, Mode::Browse));
}

#[test]
fn an_empty_remediation_list_says_so() {
    let (mut store, q4) = sample_store();
    let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    console.send(ch('m'));
    assert!(list(&console).rows.is_empty());
    assert!(
        console
            .draw()
            .contains("No revocations in this campaign: nothing to carry out.")
    );
    console.send(key(KeyCode::Esc));
    assert!(matches!(console.app.mode, Mode::Browse));
}

#[test]
fn rotations_are_listed_beside_the_revocations_overdue_loud_and_verified_with_their_snapshot() {
    use crate::testing::{SAMPLE, day, decide, sample_item};
    let (mut store, q4) = sample_store();
    // The billing key's Mailbox grant and the ETL loader's GitHub grant:
    // credentials whose only finding is that they are unrotated.
    let (billing, loader) = (sample_item(&store, &q4, 21), sample_item(&store, &q4, 17));
    for (item, by) in [(billing, "2026-12-15"), (loader, "2026-11-30")] {
        decide(
            &mut store,
            &q4,
            OWNER,
            item,
            Some(Decision::Rotate { by: day(by) }),
            "the vault rotates it",
        );
    }
    // A later export shows the key rotated on the decision's day.
    let later: String = SAMPLE
        .lines()
        .map(
            |line| match line.strip_prefix("northwind,m365,key-billing-export,") {
                Some(_) => format!("{}\n", line.replace(",2025-10-15,", ",2026-11-22,")),
                None => format!("{line}\n"),
            },
        )
        .collect();
    import_file(&mut store, "december.csv", &later, false);

    let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    console.app.today = day("2026-12-01");
    console.send(ch('m'));
    let drawn = console.draw();
    assert!(
        drawn.contains("✓ 0 verified │ ↻ 1 OVERDUE · 1 verified "),
        "beside the revocations' counts: {drawn}"
    );
    assert!(
        drawn.contains("No revocations in this campaign; its rotations: Tab/f"),
        "{drawn}"
    );
    for _ in 0..4 {
        console.send(key(KeyCode::Tab));
    }
    assert!(list(&console).rotations);
    let drawn = console.draw();
    assert!(drawn.contains("Remediation · rotations"), "{drawn}");
    assert!(drawn.contains("⚠ OVERDUE"), "{drawn}");
    let rows = &console.app.rotations.as_ref().unwrap().rows;
    let verified = rows
        .iter()
        .position(|t| t.item == billing)
        .expect("the key's rotation");
    assert_eq!(rows[verified].status, RotationStatus::Verified);
    assert_eq!(rows[1 - verified].status, RotationStatus::Overdue);
    console.send(key(KeyCode::Home));
    if verified == 1 {
        console.send(ch('j'));
    }
    assert_eq!(list(&console).rotation_selected, verified);
    let drawn = console.draw();
    assert!(
        drawn.contains("✓ verified: snapshot 2 december.csv"),
        "{drawn}"
    );
    // Back to the revocations, then the queue.
    console.send(key(KeyCode::Tab));
    assert!(!list(&console).rotations);
    assert_eq!(list(&console).status, None);
    console.send(ch('q'));
    assert!(matches!(console.app.mode, Mode::Browse));
}

#[test]
fn a_rotation_whose_grant_a_complete_export_dropped_is_listed_removed_with_that_snapshot() {
    use crate::testing::{day, decide, sample_item};
    let (mut store, q4) = sample_store();
    let billing = sample_item(&store, &q4, 21);
    decide(
        &mut store,
        &q4,
        OWNER,
        billing,
        Some(Decision::Rotate {
            by: day("2026-11-30"),
        }),
        "the vault rotates it",
    );
    let gone = sample_without(&["northwind,m365,key-billing-export,"]);
    import_file(&mut store, "december.csv", &gone, false);

    let mut console = Console::open_as(&mut store, &q4, (100, 24), OWNER);
    console.app.today = day("2026-12-01");
    console.send(ch('m'));
    let drawn = console.draw();
    assert!(drawn.contains("│ ↻ 1 removed "), "not overdue: {drawn}");
    for _ in 0..4 {
        console.send(key(KeyCode::Tab));
    }
    assert!(list(&console).rotations);
    let rows = &console.app.rotations.as_ref().unwrap().rows;
    assert_eq!(rows[0].status, RotationStatus::Removed);
    let drawn = console.draw();
    assert!(drawn.contains("∅ removed"), "{drawn}");
    assert!(
        drawn.contains("grant gone in snapshot 2 december.csv"),
        "{drawn}"
    );
    assert!(
        !drawn.contains("verified:"),
        "never said to be rotated: {drawn}"
    );
}

#[test]
fn a_revocation_not_done_since_an_earlier_campaign_is_on_the_status_line_dashboard_and_list() {
    use crate::testing::{SAMPLE, campaign, decide, item_of};
    let (mut store, q4) = sample_store();
    let lena = item_of(&store, &q4, "salesforce", "l.brandt@copperline.example.com");
    decide(&mut store, &q4, OWNER, lena, Some(Decision::Revoke), "gone");
    import_file(&mut store, "december.csv", SAMPLE, false);
    let q1 = campaign(&mut store, "Q1", "2026-11-01");
    let mut console = Console::open_as(&mut store, &q1, (160, 40), OWNER);
    let drawn = console.draw();
    let status_line = drawn.lines().last().unwrap();
    assert!(
        status_line.contains("⚠ 1 STILL EFFECTIVE (1 NOT DONE since an earlier campaign) (m)"),
        "{status_line}"
    );
    // A message gets the room: the count stays, shorter.
    console.send(ch('u'));
    let drawn = console.draw();
    let status_line = drawn.lines().last().unwrap();
    assert!(
        status_line.contains("⚠ 1 STILL EFFECTIVE (1 NOT DONE) · item "),
        "{status_line}"
    );
    // First in the queue of every item (it is the sponsor's to review).
    console.send(ch('v'));
    console.send(key(KeyCode::Home));
    assert_eq!(console.current().rank, 0);
    assert_eq!(
        console.current().identity_id,
        "l.brandt@copperline.example.com"
    );
    let drawn = console.draw();
    assert!(
        drawn.contains("Remediation ⚠ STILL EFFECTIVE: december.csv (snapshot 2,"),
        "the detail pane shows the earlier revoke's outcome: {drawn}"
    );
    assert!(drawn.contains("(revoked in “Q4”)"), "{drawn}");

    console.send(ch('d'));
    let drawn = console.draw();
    assert!(
        drawn.contains("⚠ 1 REVOCATION NOT DONE: revoked in an earlier campaign, still held"),
        "{drawn}"
    );
    console.send(key(KeyCode::Esc));

    console.send(ch('m'));
    let drawn = console.draw();
    assert!(!drawn.contains("No revocations"), "{drawn}");
    assert_eq!(list(&console).rows.len(), 1);
    assert_eq!(list(&console).rows[0].carried_from.as_deref(), Some("Q4"));
    assert!(drawn.contains("⚠ STILL EFFECTIVE"), "{drawn}");
    assert!(
        drawn.contains("in campaign “Q4”: not done when this campaign began"),
        "{drawn}"
    );
}

/// Over several tenants the task list says which tenant each grant is in:
/// two grants that read alike in two tenants are told apart.
#[test]
fn the_remediation_list_names_the_tenant_when_the_campaign_spans_several() {
    use crate::testing::{SAMPLE, campaign, decide, import, item_of};
    let mut store = crate::store::Store::open_in_memory().unwrap();
    import(
        &mut store,
        &SAMPLE.replace("northwind,m365,", "bluefjord,m365,"),
    );
    let q4 = campaign(&mut store, "Q4", "2026-11-01");
    let mailbox = item_of(&store, &q4, "m365", "key-billing-export");
    decide(
        &mut store,
        &q4,
        OWNER,
        mailbox,
        Some(Decision::Revoke),
        "gone",
    );
    let mut console = Console::open_as(&mut store, &q4, (120, 40), OWNER);
    console.send(ch('m'));
    let drawn = console.draw();
    assert!(drawn.contains("TENANT"), "{drawn}");
    assert!(drawn.contains("bluefjord"), "{drawn}");
}
