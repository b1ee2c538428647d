//! The console without a terminal: keys through `update`, effects through
//! the real runner and store, frames drawn on a `TestBackend`.

use super::app::App;
use super::effects::Runner;
use super::update::{self, Msg};
use super::{dispatch, view};
use crate::domain::DecisionKind;
use crate::store::{ItemId, ItemQuery, Store};
use crate::testing::{day, sample_store};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const REVIEWER: &str = "m.santos@northwind.example.com";

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Drives one console session over a store.
struct Console<'a> {
    app: App,
    runner: Runner<'a>,
}

impl<'a> Console<'a> {
    fn open(
        store: &'a mut Store,
        campaign: &crate::store::CampaignSummary,
        size: (u16, u16),
    ) -> Self {
        let mut app = App::new(campaign, REVIEWER.into(), day("2026-11-01"), size, false);
        let mut runner = Runner::new(store, campaign.id, REVIEWER.into(), day("2026-11-01"));
        dispatch(&mut app, &mut runner, update::start());
        Console { app, runner }
    }

    fn send(&mut self, msg: Msg) {
        let effects = update::update(&mut self.app, msg);
        dispatch(&mut self.app, &mut self.runner, effects);
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let msg = if c == '\n' {
                key(KeyCode::Enter)
            } else {
                key(KeyCode::Char(c))
            };
            self.send(msg);
        }
    }

    fn draw(&self) -> String {
        let (w, h) = self.app.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal.draw(|f| view::render(&self.app, f)).expect("draw");
        terminal.backend().to_string()
    }
}

#[test]
fn queue_and_detail_at_80_by_24() {
    let (mut store, campaign) = sample_store();
    let console = Console::open(&mut store, &campaign, (80, 24));
    insta::assert_snapshot!(console.draw());
}

#[test]
fn queue_and_detail_at_160_by_48() {
    let (mut store, campaign) = sample_store();
    let console = Console::open(&mut store, &campaign, (160, 48));
    insta::assert_snapshot!(console.draw());
}

#[test]
fn note_editor_at_80_by_24() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(key(KeyCode::Char('r')));
    console.type_text("contract ended\nsee NW-9");
    insta::assert_snapshot!(console.draw());
}

#[test]
fn the_queue_holds_one_page_and_scrolls_to_the_end() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let page = console.app.page_size();
    assert_eq!(console.app.queue.rows.len(), page);
    for _ in 0..40 {
        console.send(key(KeyCode::Char('j')));
        assert!(
            console.app.queue.rows.len() <= page,
            "never more than a page in memory"
        );
    }
    assert_eq!(
        console.app.queue.current().unwrap().rank,
        29,
        "stops at the last item"
    );
    console.send(key(KeyCode::Home));
    assert_eq!(console.app.queue.current().unwrap().rank, 0);
    console.send(key(KeyCode::End));
    assert_eq!(console.app.queue.current().unwrap().rank, 29);
    assert_eq!(console.app.queue.rows.len(), page, "the last page is full");
    for _ in 0..40 {
        console.send(key(KeyCode::Char('k')));
    }
    assert_eq!(console.app.queue.current().unwrap().rank, 0);
    console.send(key(KeyCode::PageDown));
    assert_eq!(console.app.queue.rows[0].rank as usize, page);
    console.send(key(KeyCode::PageUp));
    assert_eq!(console.app.queue.rows[0].rank, 0);
}

#[test]
fn a_decision_is_committed_before_it_is_shown_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let (item, campaign_name) = {
        let (mut store, _) = Store::create(&path).unwrap();
        crate::testing::import(&mut store, crate::testing::SAMPLE);
        let campaign = crate::testing::campaign(&mut store, "Q4", "2026-11-01");
        let mut console = Console::open(&mut store, &campaign, (80, 24));
        let item = console.app.queue.current().unwrap().id;
        console.send(key(KeyCode::Char('r')));
        console.type_text("gone");
        console.send(ctrl('s'));
        assert_eq!(console.app.tally.revoked, 1);
        assert_eq!(
            console.app.queue.current().unwrap().rank,
            1,
            "moved on to the next item"
        );
        let shown = console.draw();
        assert!(shown.contains("✗ revoked"), "{shown}");
        (item, campaign.name)
    };
    let store = Store::open(&path).unwrap();
    let campaign = store.campaign(&campaign_name).unwrap();
    let row = store.item_row(campaign.id, item).unwrap().unwrap();
    assert_eq!(row.decision, Some(DecisionKind::Revoke));
    assert_eq!(row.note.as_deref(), Some("gone"));
    assert!(store.verify_chain().unwrap().first_break.is_none());
}

#[test]
fn attest_without_a_required_note_is_immediate_and_advances() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    // Find an item that needs no note to attest: no flags at all.
    while !console.app.queue.current().unwrap().flags.is_empty() {
        console.send(key(KeyCode::Char('j')));
    }
    let item = console.app.queue.current().unwrap().id;
    console.send(key(KeyCode::Char('a')));
    assert!(matches!(console.app.mode, super::app::Mode::Browse));
    let decided = console
        .runner
        .store
        .item_row(campaign.id, item)
        .unwrap()
        .unwrap();
    assert_eq!(decided.decision, Some(DecisionKind::Attest));
}

#[test]
fn a_required_note_cannot_be_saved_empty_and_escape_records_nothing() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(key(KeyCode::Char('a'))); // the riskiest item is privileged
    assert!(matches!(console.app.mode, super::app::Mode::Note(_)));
    console.send(ctrl('s'));
    assert!(
        matches!(console.app.mode, super::app::Mode::Note(_)),
        "still editing"
    );
    assert!(console.draw().contains("a note is required"));
    console.send(key(KeyCode::Esc));
    assert!(matches!(console.app.mode, super::app::Mode::Browse));
    let query = ItemQuery {
        campaign: campaign.id,
        filters: vec![crate::domain::Filter::parse("state=decided").unwrap()],
        search: None,
    };
    assert_eq!(console.runner.store.count_items(&query).unwrap(), 0);
}

#[test]
fn a_decision_someone_else_made_meanwhile_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let (mut store, _) = Store::create(&path).unwrap();
    crate::testing::import(&mut store, crate::testing::SAMPLE);
    let campaign = crate::testing::campaign(&mut store, "Q4", "2026-11-01");
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let item: ItemId = console.app.queue.current().unwrap().id;

    let mut other = Store::open(&path).unwrap();
    other
        .decide(
            campaign.id,
            &crate::store::Acting {
                actor: "other@x",
                at: "2026-11-01T10:00:00.000Z",
                today: day("2026-11-01"),
            },
            &[crate::store::DecisionRequest {
                item,
                decision: Some(crate::domain::Decision::Revoke),
                note: Some("theirs".into()),
                seen_event: None,
                seconds_on_screen: None,
            }],
        )
        .unwrap();

    console.send(key(KeyCode::Char('a')));
    console.type_text("mine");
    console.send(ctrl('s'));
    let screen = console.draw();
    assert!(screen.contains("other@x recorded revoke"), "{screen}");
    assert!(
        screen.contains("✗ revoked"),
        "the queue shows their decision: {screen}"
    );
    let row = console
        .runner
        .store
        .item_row(campaign.id, item)
        .unwrap()
        .unwrap();
    assert_eq!(row.note.as_deref(), Some("theirs"));

    // Saving again is a deliberate decision on top of theirs.
    console.send(ctrl('s'));
    let row = console
        .runner
        .store
        .item_row(campaign.id, item)
        .unwrap()
        .unwrap();
    assert_eq!(row.note.as_deref(), Some("mine"));
    assert_eq!(row.decision, Some(DecisionKind::Attest));
}
