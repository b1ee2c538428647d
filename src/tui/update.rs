//! The console's state machine: a message in, state changed, effects out.
//! Pure: no I/O, no clock, so every behaviour is testable without a terminal.

use super::action::Action;
use super::app::{App, Mode, NoteEditor, Status};
use super::effects::Effect;
use super::keymap::{self, ModeKind};
use crate::domain::text::sanitize;
use crate::domain::{Decision, DecisionKind};
use crate::store::{
    DecisionOutcome, DecisionRequest, EventSeq, ItemDetail, ItemId, ItemRow, PageDirection, Tally,
};
use ratatui::crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    PageLoaded {
        rows: Vec<ItemRow>,
        anchor: Option<i64>,
        direction: PageDirection,
        select: Select,
    },
    DetailLoaded(Option<Box<ItemDetail>>),
    Decided {
        outcomes: Vec<DecisionOutcome>,
        tally: Tally,
    },
    Failed(String),
    /// Someone recorded an event on the item since it was drawn.
    Conflict {
        item: ItemId,
        seq: EventSeq,
        message: String,
    },
}

/// Which row to select once a page has loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Select {
    First,
    Last,
    /// The same position on the new page (page up/down).
    Index(usize),
    AtOrAfter(i64),
    After(i64),
    Before(i64),
}

impl Select {
    fn resolve(self, rows: &[ItemRow]) -> usize {
        let last = rows.len().saturating_sub(1);
        match self {
            Select::First => 0,
            Select::Last => last,
            Select::Index(i) => i.min(last),
            Select::AtOrAfter(rank) => rows.iter().position(|r| r.rank >= rank).unwrap_or(last),
            Select::After(rank) => rows.iter().position(|r| r.rank > rank).unwrap_or(last),
            Select::Before(rank) => rows.iter().rposition(|r| r.rank < rank).unwrap_or(0),
        }
    }
}

/// The effects that fill the screen when the console opens.
pub fn start() -> Vec<Effect> {
    vec![Effect::LoadPage {
        anchor: None,
        direction: PageDirection::Forward,
        inclusive: true,
        select: Select::First,
    }]
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(app, key),
        Msg::Resize(width, height) => {
            app.size = (width, height);
            reload(
                app,
                app.queue
                    .current()
                    .map_or(Select::First, |r| Select::AtOrAfter(r.rank)),
            )
        }
        Msg::PageLoaded {
            rows,
            anchor,
            direction,
            select,
        } => on_page(app, rows, anchor, direction, select),
        Msg::DetailLoaded(detail) => {
            app.detail = detail.map(|d| *d);
            vec![]
        }
        Msg::Decided { outcomes, tally } => on_decided(app, outcomes, tally),
        Msg::Failed(message) => {
            app.status = Some(Status::Error(message));
            vec![]
        }
        Msg::Conflict { item, seq, message } => {
            // Show their decision; an open note editor keeps the typed note
            // and now knows the latest event, so saving again is deliberate.
            let editing = match &mut app.mode {
                Mode::Note(editor) if editor.item == item => {
                    editor.seen_event = Some(seq);
                    true
                }
                _ => false,
            };
            app.status = Some(Status::Error(if editing {
                format!("{message}; Ctrl+S records yours on top, Esc keeps theirs")
            } else {
                message
            }));
            reload(app, Select::Index(app.queue.selected))
        }
    }
}

fn on_page(
    app: &mut App,
    rows: Vec<ItemRow>,
    anchor: Option<i64>,
    direction: PageDirection,
    select: Select,
) -> Vec<Effect> {
    // A page that ran into an end of the queue is refilled from that end,
    // so the window is always full when there is enough to fill it.
    if anchor.is_some() && rows.len() < app.page_size() {
        let (direction, select) = match direction {
            PageDirection::Forward => (
                PageDirection::Backward,
                if matches!(select, Select::Index(_)) {
                    Select::Last
                } else {
                    select
                },
            ),
            PageDirection::Backward => (
                PageDirection::Forward,
                if matches!(select, Select::Index(_)) {
                    Select::First
                } else {
                    select
                },
            ),
        };
        return vec![Effect::LoadPage {
            anchor: None,
            direction,
            inclusive: true,
            select,
        }];
    }
    app.queue.selected = select.resolve(&rows);
    app.queue.rows = rows;
    detail_for_selection(app)
}

fn detail_for_selection(app: &mut App) -> Vec<Effect> {
    match app.queue.current() {
        Some(row) => vec![Effect::LoadDetail(row.id)],
        None => {
            app.detail = None;
            vec![]
        }
    }
}

/// Reloads the window where it is (after a decision or a resize).
fn reload(app: &App, select: Select) -> Vec<Effect> {
    vec![Effect::LoadPage {
        anchor: app.queue.rows.first().map(|r| r.rank),
        direction: PageDirection::Forward,
        inclusive: true,
        select,
    }]
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if matches!(app.mode, Mode::Note(_)) {
        return on_note_key(app, key);
    }
    let Some(action) = keymap::resolve(ModeKind::Browse, &key) else {
        return vec![];
    };
    app.status = None;
    let len = app.queue.rows.len();
    let selected = app.queue.selected;
    let full = len >= app.page_size();
    let (Some(first), Some(last), Some(current)) = (
        app.queue.rows.first().map(|r| r.rank),
        app.queue.rows.last().map(|r| r.rank),
        app.queue.current().map(|r| r.rank),
    ) else {
        if action == Action::Quit {
            app.quit = true;
        }
        return vec![];
    };
    let page = |anchor: i64, direction, select| {
        vec![Effect::LoadPage {
            anchor: Some(anchor),
            direction,
            inclusive: false,
            select,
        }]
    };
    match action {
        Action::Down if selected + 1 < len => {
            app.queue.selected += 1;
            detail_for_selection(app)
        }
        Action::Down if full => page(first, PageDirection::Forward, Select::After(current)),
        Action::Up if selected > 0 => {
            app.queue.selected -= 1;
            detail_for_selection(app)
        }
        Action::Up => page(last, PageDirection::Backward, Select::Before(current)),
        Action::PageDown if full => page(last, PageDirection::Forward, Select::Index(selected)),
        Action::PageDown | Action::Down => {
            app.queue.selected = len - 1;
            detail_for_selection(app)
        }
        Action::PageUp => page(first, PageDirection::Backward, Select::Index(selected)),
        Action::First => vec![Effect::LoadPage {
            anchor: None,
            direction: PageDirection::Forward,
            inclusive: true,
            select: Select::First,
        }],
        Action::Last => vec![Effect::LoadPage {
            anchor: None,
            direction: PageDirection::Backward,
            inclusive: true,
            select: Select::Last,
        }],
        Action::Attest => begin_decision(app, DecisionKind::Attest),
        Action::Revoke => begin_decision(app, DecisionKind::Revoke),
        Action::Quit => {
            app.quit = true;
            vec![]
        }
        Action::SaveNote | Action::CancelNote => vec![],
    }
}

fn begin_decision(app: &mut App, kind: DecisionKind) -> Vec<Effect> {
    let Some(row) = app.queue.current() else {
        return vec![];
    };
    if app.campaign.state != crate::domain::CampaignState::Open {
        app.status = Some(Status::Error(format!(
            "campaign is {}: it no longer accepts decisions",
            app.campaign.state
        )));
        return vec![];
    }
    let required = app
        .policy
        .note_required(kind, row.flags, row.recommendation);
    // A revoke always offers the note editor: the remediation team reads it.
    if required.is_none() && kind == DecisionKind::Attest {
        return vec![Effect::Decide(request(row, Some(Decision::Attest), None))];
    }
    let mut textarea = TextArea::default();
    textarea.set_placeholder_text(match required {
        Some(_) => "Why? This note is evidence for the auditor.",
        None => "Optional note. Ctrl+S to save.",
    });
    app.mode = Mode::Note(Box::new(NoteEditor {
        kind,
        item: row.id,
        subject: format!(
            "{} · {} · {}",
            sanitize(&row.identity_name),
            sanitize(&row.system),
            sanitize(&row.entitlement)
        ),
        seen_event: row.last_event,
        required,
        textarea,
    }));
    vec![]
}

fn request(row: &ItemRow, decision: Option<Decision>, note: Option<String>) -> DecisionRequest {
    DecisionRequest {
        item: row.id,
        decision,
        note,
        seen_event: Some(row.last_event),
        seconds_on_screen: None,
    }
}

fn on_note_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Mode::Note(editor) = &mut app.mode else {
        return vec![];
    };
    match keymap::resolve(ModeKind::Note, &key) {
        Some(Action::CancelNote) => {
            app.mode = Mode::Browse;
            app.status = Some(Status::Info("cancelled: nothing was recorded".into()));
            vec![]
        }
        Some(Action::SaveNote) => {
            let note = editor.textarea.lines().join("\n");
            if let Some(reason) = editor.required
                && note.trim().is_empty()
            {
                app.status = Some(Status::Error(format!("a note is required: {reason}")));
                return vec![];
            }
            let decision = match editor.kind {
                DecisionKind::Attest => Decision::Attest,
                _ => Decision::Revoke,
            };
            // The editor stays open until the store confirms, so a refused
            // decision loses nothing that was typed.
            vec![Effect::Decide(DecisionRequest {
                item: editor.item,
                decision: Some(decision),
                note: Some(note).filter(|n| !n.trim().is_empty()),
                seen_event: Some(editor.seen_event),
                seconds_on_screen: None,
            })]
        }
        _ => {
            editor.textarea.input(key);
            vec![]
        }
    }
}

fn on_decided(app: &mut App, outcomes: Vec<DecisionOutcome>, tally: Tally) -> Vec<Effect> {
    app.tally = tally;
    app.mode = Mode::Browse;
    let Some(outcome) = outcomes.last() else {
        return vec![];
    };
    app.status = Some(Status::Info(format!(
        "item {}: {} — saved",
        outcome.item,
        outcome.state.label()
    )));
    let decided_rank = app
        .queue
        .rows
        .iter()
        .position(|r| r.id == outcome.item)
        .map(|i| (i, app.queue.rows[i].rank));
    let Some((index, rank)) = decided_rank else {
        return reload(app, Select::Index(app.queue.selected));
    };
    // Move on to the next item; if it is below the window, shift by one.
    let rows = &app.queue.rows;
    let anchor = if index + 1 >= rows.len() && rows.len() > 1 {
        rows[1].rank
    } else {
        rows[0].rank
    };
    vec![Effect::LoadPage {
        anchor: Some(anchor),
        direction: PageDirection::Forward,
        inclusive: true,
        select: Select::After(rank),
    }]
}
