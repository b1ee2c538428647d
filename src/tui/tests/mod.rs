//! The console without a terminal: keys through `update`, effects through
//! the real runner and store, frames drawn on a `TestBackend`. `screens`
//! holds the insta snapshots, `behaviour` what the decision and movement
//! keys do, `finding` the views, search and filters, `bulk` the marks and
//! bulk decisions, `background` the slow reads on the background reader.

mod background;
mod behaviour;
mod bulk;
mod finding;
mod layers;
mod lifecycle;
mod notes;
mod people;
mod place;
mod remediation;
mod rotate;
mod screens;
mod terminal;

use super::app::{App, Mode};
use super::effects::Runner;
use super::message::Msg;
use super::update;
use super::{Deferred, dispatch, view};
use crate::store::{CampaignSummary, ItemRow, Store};
use crate::testing::day;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The sponsor most of the sample's items wait for.
pub const SPONSOR: &str = "a.kowalski@northwind.example.com";
/// The campaign owner, who holds the sample's unsponsored items.
pub const OWNER: &str = "m.santos@northwind.example.com";

fn fixed_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
        .expect("fixed time")
        .with_timezone(&Utc)
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Drives one console session over a store.
pub struct Console<'a> {
    pub app: App,
    pub runner: Runner<'a>,
    pub later: Deferred,
}

impl<'a> Console<'a> {
    pub fn open(store: &'a mut Store, campaign: &CampaignSummary, size: (u16, u16)) -> Self {
        Console::open_as(store, campaign, size, SPONSOR)
    }

    pub fn open_as(
        store: &'a mut Store,
        campaign: &CampaignSummary,
        size: (u16, u16),
        reviewer: &str,
    ) -> Self {
        Console::open_with(
            store,
            campaign,
            size,
            reviewer,
            fixed_now,
            Deferred::default(),
        )
    }

    /// The console with its clock at `now`: a test whose store holds events
    /// after the usual fixed time records later ones, as a real clock would.
    pub fn open_at(
        store: &'a mut Store,
        campaign: &CampaignSummary,
        size: (u16, u16),
        reviewer: &str,
        now: fn() -> DateTime<Utc>,
    ) -> Self {
        Console::open_with(store, campaign, size, reviewer, now, Deferred::default())
    }

    /// A console whose slow reads go to a background reader (the store must
    /// be a file), which calls `hold` after each read before answering.
    pub fn open_in_background(
        store: &'a mut Store,
        campaign: &CampaignSummary,
        size: (u16, u16),
        hold: Box<dyn FnMut() + Send>,
    ) -> Self {
        let worker = super::effects::Worker::held(store, campaign.id, SPONSOR, hold);
        assert!(worker.is_some(), "a file store has a background reader");
        Console::open_with(
            store,
            campaign,
            size,
            SPONSOR,
            fixed_now,
            Deferred::new(worker),
        )
    }

    fn open_with(
        store: &'a mut Store,
        campaign: &CampaignSummary,
        size: (u16, u16),
        reviewer: &str,
        now: fn() -> DateTime<Utc>,
        mut later: Deferred,
    ) -> Self {
        let mut app = App::new(campaign, reviewer.into(), day("2026-11-01"), size, false);
        let mut runner =
            Runner::new(store, campaign.id, reviewer.into(), day("2026-11-01")).with_clock(now);
        let first = update::start();
        dispatch(&mut app, &mut runner, first, &mut later);
        let mut console = Console { app, runner, later };
        console.settle();
        console
    }

    /// Runs what the event loop runs once the frame is drawn and no key is
    /// waiting, and waits for the background reader's answers if it has one.
    pub fn settle(&mut self) {
        super::settle(&mut self.app, &mut self.runner, &mut self.later);
    }

    /// One message, as if no key followed it before the next frame.
    pub fn send(&mut self, msg: Msg) {
        let effects = update::update(&mut self.app, msg);
        dispatch(&mut self.app, &mut self.runner, effects, &mut self.later);
        self.settle();
    }

    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let msg = if c == '\n' {
                key(KeyCode::Enter)
            } else {
                ch(c)
            };
            self.send(msg);
        }
    }

    pub fn current(&self) -> &ItemRow {
        self.app.queue.current().expect("an item is selected")
    }

    pub fn buffer(&self) -> Buffer {
        let (w, h) = self.app.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal.draw(|f| view::render(&self.app, f)).expect("draw");
        terminal.backend().buffer().clone()
    }

    pub fn draw(&self) -> String {
        let (w, h) = self.app.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal.draw(|f| view::render(&self.app, f)).expect("draw");
        terminal.backend().to_string()
    }

    pub fn editing(&self) -> bool {
        matches!(self.app.mode, Mode::Editor(_))
    }

    pub fn row(&self, item: crate::store::ItemId) -> ItemRow {
        self.runner
            .store
            .item_row(self.app.query.campaign, item)
            .expect("read item")
            .expect("item exists")
    }
}

/// Q4 with a revocation, an exception and an attestation recorded by the
/// owner, and the rest undecided.
pub fn partly_decided() -> (Store, CampaignSummary) {
    use crate::domain::Decision;
    use crate::testing::{day, decide, sample_item, sample_store};
    let (mut store, q4) = sample_store();
    let [lena, kenji, snowflake] = [1, 8, 3].map(|n| sample_item(&store, &q4, n));
    decide(
        &mut store,
        &q4,
        OWNER,
        lena,
        Some(Decision::Revoke),
        "contract ended in October",
    );
    decide(
        &mut store,
        &q4,
        OWNER,
        kenji,
        Some(Decision::Exception {
            until: day("2027-01-31"),
            ticket: Some("CHG-7".into()),
        }),
        "migration runs until January",
    );
    decide(
        &mut store,
        &q4,
        OWNER,
        snowflake,
        Some(Decision::Attest),
        "billing export still needed",
    );
    (store, q4)
}

/// Q4 with revocations in every remediation state: two a later export
/// still holds, one it no longer holds, two revoked after it.
pub fn remediation_store() -> (Store, CampaignSummary) {
    use crate::domain::Decision;
    use crate::testing::{SAMPLE, decide, import_file, sample_item, sample_store, sample_without};
    let (mut store, q4) = sample_store();
    let items = [13, 1, 2, 20, 7].map(|n| sample_item(&store, &q4, n));
    for item in &items[..3] {
        decide(
            &mut store,
            &q4,
            OWNER,
            *item,
            Some(Decision::Revoke),
            "no longer needed",
        );
    }
    // The export lacks Lena's GitHub grant (sample line 2) only.
    let line: Vec<&str> = SAMPLE.lines().nth(2).unwrap().split(',').take(3).collect();
    import_file(
        &mut store,
        "december.csv",
        &sample_without(&[&line.join(",")]),
        false,
    );
    for item in &items[3..] {
        decide(
            &mut store,
            &q4,
            OWNER,
            *item,
            Some(Decision::Revoke),
            "revoked after the export",
        );
    }
    (store, q4)
}
