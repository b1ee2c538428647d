//! What the keys do: moving, the reviewer's queue, search and filters,
//! every decision type with its dialog, undo, scrolling, colour and hostile
//! text.

use super::{Console, OWNER, SPONSOR, ch, ctrl, key};
use crate::domain::{CampaignState, DecisionKind};
use crate::store::{ItemId, ItemQuery, Store};
use crate::testing::{day, sample_store};
use crate::tui::app::{Input, Mode};
use crate::tui::message::{Effect, Msg};
use ratatui::crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};

#[test]
fn the_queue_holds_one_page_and_scrolls_to_the_end() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ch('v')); // every item, not only the sponsor's
    let page = console.app.page_size();
    assert_eq!(console.app.queue.rows.len(), page);
    for _ in 0..40 {
        console.send(ch('j'));
        assert!(
            console.app.queue.rows.len() <= page,
            "never more than a page in memory"
        );
    }
    assert_eq!(console.current().rank, 29, "stops at the last item");
    console.send(key(KeyCode::Home));
    assert_eq!(console.current().rank, 0);
    console.send(key(KeyCode::End));
    assert_eq!(console.current().rank, 29);
    assert_eq!(console.app.queue.rows.len(), page, "the last page is full");
    for _ in 0..40 {
        console.send(ch('k'));
    }
    assert_eq!(console.current().rank, 0);
    console.send(key(KeyCode::PageDown));
    assert_eq!(console.app.queue.rows[0].rank as usize, page);
    console.send(key(KeyCode::PageUp));
    assert_eq!(console.app.queue.rows[0].rank, 0);
}

#[test]
fn a_decision_is_committed_before_it_is_shown_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store, campaign) = crate::testing::sample_file_store(dir.path());
    let (item, campaign_name) = {
        let mut console = Console::open(&mut store, &campaign, (80, 24));
        let item = console.current().id;
        let next = console.app.queue.rows[1].rank;
        console.send(ch('r'));
        console.type_text("gone");
        console.send(ctrl('s'));
        assert_eq!(console.app.tally.revoked, 1);
        assert_eq!(console.current().rank, next, "moved on to the next item");
        let shown = console.draw();
        assert!(shown.contains("✗ revoked"), "{shown}");
        (item, campaign.name)
    };
    // Reopened from the file, the first connection closed.
    drop(store);
    let store = Store::open(&path).unwrap();
    let campaign = store.campaign(&campaign_name).unwrap();
    let row = store.item_row(campaign.id, item).unwrap().unwrap();
    assert_eq!(row.decision, Some(DecisionKind::Revoke));
    assert_eq!(row.note.as_deref(), Some("gone"));
    assert!(store.verify_chain().unwrap().first_break.is_none());
}

/// Revokes the current item with `note`, saving with Ctrl+S as the event
/// loop handles it: effects run, the frame is drawn, deferred work (idle
/// maintenance among it) waits for a pause.
fn revoke_without_pausing(console: &mut Console<'_>, note: &str) {
    console.send(ch('r'));
    console.type_text(note);
    let effects = crate::tui::update::update(&mut console.app, ctrl('s'));
    crate::tui::dispatch(
        &mut console.app,
        &mut console.runner,
        effects,
        &mut console.later,
    );
}

/// The store's upkeep after a write waits until the reviewer pauses: the
/// decision is committed when it is shown, the upkeep comes after.
#[test]
fn a_decision_leaves_idle_maintenance_for_a_pause() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let maintenance = std::mem::discriminant(&Effect::IdleMaintenance);
    assert!(!console.later.is_waiting(maintenance));
    revoke_without_pausing(&mut console, "gone");
    assert_eq!(console.app.tally.revoked, 1, "shown once committed");
    assert!(
        console.later.is_waiting(maintenance),
        "not before the pause"
    );
    console.settle();
    assert!(!console.later.is_waiting(maintenance), "done in the pause");
}

#[test]
fn attest_without_a_required_note_is_immediate_and_advances() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open_as(&mut store, &campaign, (80, 24), OWNER);
    console.send(ch('v'));
    // Find an item that needs no note to attest: nothing privileged, and
    // nothing recommending a revoke (the sample's last, "set an end date").
    let needs_no_note = |row: &crate::store::ItemRow| {
        !row.flags.contains(crate::domain::Flag::Privileged)
            && !row.recommendation.suggests_revoke()
    };
    for _ in 0..30 {
        if needs_no_note(console.current()) {
            break;
        }
        console.send(ch('j'));
    }
    assert!(needs_no_note(console.current()), "the sample has one");
    let item = console.current().id;
    console.send(ch('a'));
    assert!(matches!(console.app.mode, Mode::Browse));
    assert_eq!(console.row(item).decision, Some(DecisionKind::Attest));
}

#[test]
fn a_required_note_cannot_be_saved_empty_and_escape_records_nothing() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ch('a')); // the riskiest item is privileged
    assert!(console.editing());
    assert!(
        console
            .draw()
            .contains("The recommendation is to revoke: keeping it goes against it."),
        "{}",
        console.draw()
    );
    console.send(ctrl('s'));
    assert!(console.editing(), "still editing");
    assert!(console.draw().contains("a note is required"));
    console.send(key(KeyCode::Esc));
    assert!(matches!(console.app.mode, Mode::Browse));
    assert!(console.draw().contains("nothing was recorded"));
    assert_eq!(
        console.runner.store.tally(campaign.id).unwrap().decided(),
        0
    );
}

#[test]
fn the_note_editor_has_the_usual_editing_keys() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let item = console.current().id;
    console.send(ch('r'));
    console.type_text("contract ended\nsee NW-9 typo");
    console.send(ctrl('w')); // delete a word
    console.send(key(KeyCode::Backspace));
    console.send(key(KeyCode::Home));
    console.type_text("(");
    console.send(key(KeyCode::End));
    console.type_text(")");
    console.send(ctrl('s'));
    assert_eq!(
        console.row(item).note.as_deref(),
        Some("contract ended\n(see NW-9)")
    );
}

#[test]
fn a_decision_someone_else_made_meanwhile_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store, campaign) = crate::testing::sample_file_store(dir.path());
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let item: ItemId = console.current().id;

    let mut other = Store::open(&path).unwrap();
    other
        .decide(
            campaign.id,
            &crate::store::Acting {
                actor: "other@x",
                via: &crate::domain::roster::ASSERTED,
                at: "2026-11-01T10:00:00.000Z",
                today: day("2026-11-01"),
            },
            &[crate::store::DecisionRequest {
                item,
                decision: Some(crate::domain::Decision::Revoke),
                note: Some("theirs".into()),
                seen_event: None,
                seconds_on_screen: None,
                overriding: false,
            }],
        )
        .unwrap();

    console.send(ch('a'));
    console.type_text("mine");
    console.send(ctrl('s'));
    let screen = console.draw();
    assert!(screen.contains("other@x recorded revoke"), "{screen}");
    // Their decision counts at once, and still after Esc keeps theirs.
    assert!(screen.contains(" 1/30 decided"), "{screen}");
    assert!(console.editing(), "the note is kept");
    assert_eq!(console.row(item).note.as_deref(), Some("theirs"));

    // Saving again is a deliberate decision on top of theirs.
    console.send(ctrl('s'));
    let row = console.row(item);
    assert_eq!(row.note.as_deref(), Some("mine"));
    assert_eq!(row.decision, Some(DecisionKind::Attest));
}

/// Leaving the conflict dialog with Esc keeps their decision, and the
/// progress counts it (it once stayed at what it was before theirs).
#[test]
fn after_a_conflict_esc_leaves_the_progress_counting_their_decision() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store, campaign) = crate::testing::sample_file_store(dir.path());
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let item = console.current().id.0;
    let mut other = Store::open(&path).unwrap();
    crate::testing::decide(
        &mut other,
        &campaign,
        "other@x",
        item,
        Some(crate::domain::Decision::Revoke),
        "theirs",
    );
    assert!(console.draw().contains(" 0/30 decided"), "not seen yet");
    console.send(ch('r'));
    console.type_text("mine");
    console.send(ctrl('s'));
    assert!(console.draw().contains("other@x recorded revoke"));
    console.send(key(KeyCode::Esc));
    console.send(key(KeyCode::Esc));
    assert!(
        matches!(console.app.mode, Mode::Browse),
        "{}",
        console.draw()
    );
    let screen = console.draw();
    assert!(screen.contains(" 1/30 decided"), "{screen}");
}

#[test]
fn an_exception_needs_a_valid_end_date_within_policy() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let item = console.current().id;
    console.send(ch('e'));
    let Mode::Editor(editor) = &console.app.mode else {
        panic!("the exception dialog is open");
    };
    assert_eq!(editor.focused(), Input::Until, "the end date comes first");
    for (typed, complaint) in [
        ("soon", "is not a date"),
        ("2026-10-01", "in the past"),
        ("2028-01-01", "beyond the policy maximum of 365 days"),
    ] {
        console.send(ctrl('a'));
        console.send(ctrl('k'));
        console.type_text(typed);
        console.send(ctrl('s'));
        assert!(console.editing());
        let screen = console.draw();
        assert!(screen.contains(complaint), "{typed}: {screen}");
    }
    console.send(ctrl('a'));
    console.send(ctrl('k'));
    console.type_text("+3m");
    assert!(console.draw().contains("= 2027-02-01 (in 92 days)"));
    console.send(key(KeyCode::Tab));
    console.type_text("CHG-42");
    console.send(key(KeyCode::Enter)); // one-line field: on to the note
    console.send(ctrl('s'));
    assert!(console.draw().contains("a note is required"), "policy asks");
    console.type_text("migration ends in January");
    console.send(ctrl('s'));
    assert!(!console.editing());
    let row = console.row(item);
    assert_eq!(row.decision, Some(DecisionKind::Exception));
    assert_eq!(row.exception_until.as_deref(), Some("2027-02-01"));
    assert_eq!(row.ticket.as_deref(), Some("CHG-42"));
    assert_eq!(row.note.as_deref(), Some("migration ends in January"));
}

#[test]
fn reassigning_hands_the_item_to_another_reviewer() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let item = console.current().id;
    let mine = console.app.matching_count();
    console.send(ch('o'));
    console.send(ctrl('s'));
    assert!(console.draw().contains("one e-mail address"));
    console.type_text("t.nguyen@northwind.example.com");
    console.send(key(KeyCode::Tab));
    console.type_text("owns the GitHub org");
    console.send(ctrl('s'));
    assert!(!console.editing());
    let row = console.row(item);
    assert_eq!(row.assignee, "t.nguyen@northwind.example.com");
    assert_eq!(row.decision, Some(DecisionKind::Reassign));
    assert!(
        console.app.queue.rows.iter().all(|r| r.id != item),
        "it left my queue"
    );
    assert_eq!(console.app.matching_count(), mine.map(|n| n - 1));
    assert!(console.draw().contains("reassigned to t.nguyen"));
}

#[test]
fn undo_supersedes_the_latest_decision_with_a_new_event() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    let item = console.current().id;
    console.send(ch('u'));
    assert!(console.draw().contains("has no decision to undo"));
    console.send(ch('r'));
    console.type_text("gone");
    console.send(ctrl('s'));
    console.send(key(KeyCode::Home));
    assert_eq!(console.current().id, item);
    console.send(ch('u'));
    assert_eq!(console.current().id, item, "the undone item stays selected");
    assert_eq!(console.row(item).decision, None);
    assert!(console.draw().contains("undo recorded, now undecided"));
    let history = console.runner.store.item_events(item).unwrap();
    let kinds: Vec<&str> = history.iter().map(|h| h.kind.as_str()).collect();
    assert_eq!(kinds, ["revoke", "undo"], "nothing deleted");
    assert_eq!(history[1].undoes, Some(history[0].seq.0));
    assert!(console.draw().contains("(reverts event"), "history shown");
}

#[test]
fn a_campaign_that_is_not_open_refuses_decisions_in_the_console() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.app.campaign.state = CampaignState::Closed;
    for k in ['a', 'r', 'e', 'o', 'u'] {
        console.send(ch(k));
        assert!(matches!(console.app.mode, Mode::Browse));
        let screen = console.draw();
        assert!(screen.contains("! closed: no more decisions"), "{screen}");
    }
    console.app.campaign.state = CampaignState::SignedOff;
    console.send(ch('r'));
    let screen = console.draw();
    assert!(
        screen.contains("! signed off: no more decisions"),
        "{screen}"
    );
}

#[test]
fn the_detail_scrolls_within_what_it_holds() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let max = crate::tui::view::detail_max_scroll(&console.app);
    assert!(max > 0, "the detail does not fit at 80×24");
    for _ in 0..50 {
        console.send(ch('J'));
    }
    assert_eq!(console.app.detail_scroll, max);
    assert!(console.draw().contains("▲ more"));
    console.send(ch('j'));
    assert_eq!(console.app.detail_scroll, 0, "a new item starts at the top");
    console.send(ch('J'));
    console.send(Msg::Resize(160, 48));
    assert_eq!(console.app.detail_scroll, 0, "everything fits now");
}

#[test]
fn help_lists_every_key_of_the_map_and_scrolls() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (120, 200));
    console.send(ch('?'));
    let screen = console.draw();
    for binding in crate::tui::keymap::BINDINGS {
        let keys = crate::tui::keymap::binding_keys(binding);
        let width = crate::tui::view::KEYS_WIDTH;
        let line = format!("{keys:<width$}{}", binding.help);
        assert!(
            screen.contains(&line),
            "{line:?} not in the help:\n{screen}"
        );
    }
    console.send(key(KeyCode::Esc));
    assert!(matches!(console.app.mode, Mode::Browse));

    console.send(Msg::Resize(80, 24));
    console.send(ch('?'));
    let max = crate::tui::view::help_max_scroll((80, 24));
    assert!(max > 0);
    for _ in 0..10 {
        console.send(key(KeyCode::PageDown));
    }
    assert!(matches!(console.app.mode, Mode::Help { scroll } if scroll == max));
    assert!(
        console.draw().contains("UNC            unclassified"),
        "the end is reachable"
    );
    console.send(ch('q'));
    assert!(
        matches!(console.app.mode, Mode::Browse),
        "q closes, not quits"
    );
    assert!(!console.app.quit);
}

#[test]
fn help_says_what_every_flag_code_means() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ch('?'));
    let mut seen = console.draw();
    for _ in 0..crate::tui::view::help_max_scroll((80, 24)) {
        console.send(ch('j'));
        seen.push_str(&console.draw());
    }
    for flag in crate::domain::Flag::ALL {
        let width = crate::tui::view::KEYS_WIDTH;
        let line = format!("{:<width$}{}", flag.code(), flag.label());
        assert!(seen.contains(&line), "{line:?} not in the help");
    }
}

#[test]
fn resizing_refills_the_window_around_the_selection() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ch('v'));
    for _ in 0..10 {
        console.send(ch('j'));
    }
    let selected = console.current().id;
    console.send(Msg::Resize(160, 48));
    assert_eq!(console.current().id, selected);
    assert_eq!(
        console.app.queue.rows.len(),
        console.app.page_size().min(30)
    );
    console.send(Msg::Resize(80, 24));
    assert_eq!(console.current().id, selected);
    assert_eq!(console.app.queue.rows.len(), console.app.page_size());
    let screen = console.draw();
    assert!(screen.lines().all(|l| l.chars().count() <= 82));
}

#[test]
fn no_color_means_no_colour_and_states_still_read() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (100, 30));
    console.send(ch('r'));
    console.type_text("gone");
    console.send(ctrl('s'));
    let plain = console.buffer();
    assert!(
        plain
            .content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "NO_COLOR draws without colour"
    );
    assert!(
        plain
            .content()
            .iter()
            .any(|c| c.modifier.contains(Modifier::REVERSED)),
        "the selection still shows"
    );
    assert!(
        console.draw().contains("✗ revoked"),
        "state as a symbol and a word"
    );
    console.send(ch('e')); // a dialog with placeholders
    assert!(
        console
            .buffer()
            .content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "dialogs too"
    );
    console.send(key(KeyCode::Esc));
    console.app.color = true;
    assert!(
        console
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg == Color::Red),
        "colours are there when allowed"
    );
}

#[test]
fn hostile_text_from_the_data_is_drawn_escaped() {
    let mut store = Store::open_in_memory().unwrap();
    let hostile = "Eve\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}[31mRED";
    let csv = format!(
        "system,identity_id,identity_name,identity_kind,relationship,entitlement,sponsor\n\
         github,eve,\"{hostile}\",human,contractor,\"admin\u{1b}[5m\",{SPONSOR}\n"
    );
    crate::testing::import(&mut store, &csv);
    let campaign = crate::testing::campaign(&mut store, "Q4", "2026-11-01");
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    // The queue's column may cut the name short; the start is enough there.
    let escaped = "Eve\\x1b[2J";
    let check = |screen: String, places: usize| {
        assert_eq!(screen.matches(escaped).count(), places, "{screen}");
        assert!(screen.contains("Eve\\x1b[2J\\x1b]0;pwned\\x07\\x1b[31mRED"));
        // ratatui drops control characters it is given, so text that
        // skipped sanitising would show up disguised, not escaped.
        assert!(!screen.contains("Eve[2J"), "{screen}");
        assert!(!screen.contains("admin[5m"), "{screen}");
    };
    check(console.draw(), 2); // the queue row and the detail heading
    assert!(console.draw().contains("admin\\x1b[5m"));
    console.send(ch('r'));
    check(console.draw(), 3); // and the dialog's subject
    console.send(key(KeyCode::Esc));
    console.send(ch('d'));
    check(console.draw(), 1); // the dashboard's riskiest items
    console.send(key(KeyCode::Esc));
    console.send(ch('r'));
    console.type_text("gone");
    console.send(ctrl('s'));
    console.send(ch('m'));
    check(console.draw(), 2); // the remediation row and its evidence
    console.send(key(KeyCode::Esc));
    console.send(ch('S'));
    check(console.draw(), 1); // the revocation the sign-off lists
    assert!(console.draw().contains("admin\\x1b[5m"));
    assert!(
        console
            .buffer()
            .content()
            .iter()
            .all(|c| !c.symbol().chars().any(char::is_control)),
        "no control character reaches a cell"
    );
}

#[test]
fn slow_counts_wait_for_the_frame_and_only_the_latest_runs() {
    use std::time::Duration;
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let effects = crate::tui::update::update(&mut console.app, ch('v'));
    assert!(
        effects.iter().all(|e| !e.is_deferred()),
        "the whole campaign is the tally"
    );
    let effects = crate::tui::update::update(&mut console.app, ch('v'));
    assert!(
        effects.iter().any(Effect::is_deferred),
        "my items are counted later"
    );
    let mut later = crate::tui::Deferred::default();
    let query = |search: &str| ItemQuery {
        campaign: campaign.id,
        filters: vec![],
        search: Some(search.into()),
    };
    later.push(Effect::CountMatches(query("a")));
    later.push(Effect::LoadFacets);
    later.push(Effect::CountMatches(query("ab")));
    let quiet = Duration::ZERO;
    assert_eq!(later.next_inline(quiet), Some(Effect::LoadFacets));
    assert_eq!(
        later.next_inline(quiet),
        Some(Effect::CountMatches(query("ab")))
    );
    assert!(later.is_empty());

    // Typing a search reads its page once the typing pauses: a key that
    // follows replaces the read still waiting.
    crate::tui::update::update(&mut console.app, ch('/'));
    let typed = crate::tui::update::update(&mut console.app, ch('x'));
    assert!(
        typed
            .iter()
            .all(|e| e.is_deferred() && !matches!(e, Effect::LoadPage { .. })),
        "{typed:?}"
    );
    let page = |select| {
        Effect::Later(Box::new(Effect::LoadPage {
            anchor: None,
            direction: crate::store::PageDirection::Forward,
            inclusive: true,
            select,
        }))
    };
    assert_eq!(later.patience(quiet), None);
    later.push(Effect::LoadFacets);
    assert_eq!(later.patience(quiet), Some(Duration::ZERO));
    assert_eq!(later.next_inline(quiet), Some(Effect::LoadFacets));
    later.push(page(crate::tui::message::Select::First));
    assert_eq!(later.patience(quiet), Some(crate::tui::TYPING_PAUSE));
    assert_eq!(
        later.patience(Duration::from_millis(100)),
        Some(Duration::from_millis(50)),
        "the pause counts from the last key"
    );
    assert_eq!(later.next_inline(quiet), None, "waits for a pause");
    later.push(Effect::LoadFacets);
    later.push(page(crate::tui::message::Select::Last));
    assert_eq!(later.next_inline(quiet), Some(Effect::LoadFacets));
    assert_eq!(
        later.next_inline(crate::tui::TYPING_PAUSE),
        Some(page(crate::tui::message::Select::Last))
    );
}

#[test]
fn the_current_item_keeps_its_detail() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    for _ in 0..3 {
        console.send(ch('j'));
        let detail = console.app.detail.as_ref().unwrap();
        assert_eq!(detail.row.id, console.current().id);
    }
}

#[test]
fn the_detail_shows_each_flags_controls_and_a_disabled_account() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    let drawn = console.draw();
    assert!(
        drawn.contains("EXP expired: expired on 2026-06-30"),
        "{drawn}"
    );
    assert!(
        drawn.contains("    ↳ OWASP NHI1:2025 · NIST CSF PR.AA-05 "),
        "{drawn}"
    );
    assert!(!drawn.contains("disabled at the source"));
    // A SCIM source that reports the account disabled.
    console.app.detail.as_mut().unwrap().active = Some(false);
    assert!(
        console
            .draw()
            .contains("Account     ✗ disabled at the source")
    );
}

#[test]
fn the_detail_shows_what_the_catalog_says_and_the_tier() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    let before = console.draw();
    assert!(
        !before.contains("What ") && !before.contains("Tier "),
        "{before}"
    );
    let detail = console.app.detail.as_mut().unwrap();
    detail.catalog = Some(crate::store::CatalogView {
        description: Some("Tenant-wide administration\x1b[2J".into()),
        sensitivity: Some("restricted".into()),
        data_classes: Some("mail; files".into()),
        owner: Some("t.nguyen@northwind.example.com".into()),
    });
    detail.tier = Some("gold".into());
    let drawn = console.draw();
    assert!(
        drawn.contains("What        Tenant-wide administration\\x1b[2J"),
        "escaped: {drawn}"
    );
    assert!(
        drawn.contains("Data        restricted · mail; files · owner"),
        "{drawn}"
    );
    assert!(drawn.contains("Tier        gold"), "{drawn}");
}

/// Tab in the reassign field completes the first known person the text
/// matches; once the field holds a known name, Tab moves on to the note,
/// and the reassign is recorded to the completed name.
#[test]
fn tab_completes_a_reassign_target_from_known_people() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (120, 40));
    console.app.known_people = vec![
        "a.kowalski@northwind.example.com".into(),
        "m.santos@northwind.example.com".into(),
        "t.nguyen@northwind.example.com".into(),
    ];
    let first = console.current().id;
    console.send(ch('o'));
    console.type_text("NGUY");
    console.send(key(KeyCode::Tab));
    let Mode::Editor(editor) = &console.app.mode else {
        panic!("the reassign dialog is open");
    };
    assert_eq!(
        editor.text(Input::To).as_deref(),
        Some("t.nguyen@northwind.example.com")
    );
    assert_eq!(editor.focused(), Input::To, "the first Tab only completes");
    console.send(key(KeyCode::Tab));
    let Mode::Editor(editor) = &console.app.mode else {
        panic!("the reassign dialog is open");
    };
    assert_eq!(editor.focused(), Input::Note);
    console.type_text("his system");
    console.send(ctrl('s'));
    assert!(!console.editing());
    assert_eq!(
        console.row(first).assignee,
        "t.nguyen@northwind.example.com"
    );
}

/// In a shared database a decision key on someone else's item records
/// nothing and says whose the item is and who else may decide it.
#[test]
fn a_decision_on_an_item_i_may_not_decide_says_who_may() {
    let (mut store, campaign) = sample_store();
    store
        .set_mode(
            &crate::testing::acting(OWNER),
            crate::domain::roster::Mode::Shared,
            None,
        )
        .unwrap();
    let mut console = Console::open(&mut store, &campaign, (160, 40));
    console.send(ch('v')); // all items
    let theirs = console
        .app
        .queue
        .rows
        .iter()
        .position(|r| r.assignee == OWNER)
        .expect("an item of the owner's");
    for _ in 0..theirs {
        console.send(key(KeyCode::Down));
    }
    let item = console.current().id;
    console.send(ch('a'));
    if console.editing() {
        console.type_text("still needed");
        console.send(ctrl('s'));
    }
    let screen = console.draw();
    assert!(
        screen.contains(&format!("item {} is {OWNER}'s to decide", item.0)),
        "{screen}"
    );
    assert!(screen.contains("--override"), "{screen}");
    assert_eq!(console.row(item).decision, None, "nothing was recorded");
}
