//! The mouse, where the config lets the console have it: the wheel is
//! `↓`/`↑` in the lists (queue, people, dashboard, help, remediation,
//! filter values), and a left click on a queue or person row selects it.
//! Dialogs ignore the mouse: a stray wheel never moves a note's cursor.

use super::detail_for_selection;
use crate::tui::app::{App, Mode};
use crate::tui::layout;
use crate::tui::message::{Effect, Msg};
use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};

pub(super) fn on_mouse(app: &mut App, mouse: MouseEvent) -> Vec<Effect> {
    let lists = matches!(
        app.mode,
        Mode::Browse | Mode::Dashboard | Mode::Help { .. } | Mode::Remediation(_) | Mode::Filter(_)
    );
    match mouse.kind {
        MouseEventKind::ScrollDown if lists => super::update(app, key(KeyCode::Down)),
        MouseEventKind::ScrollUp if lists => super::update(app, key(KeyCode::Up)),
        MouseEventKind::Down(MouseButton::Left) if matches!(app.mode, Mode::Browse) => {
            click(app, mouse.column, mouse.row)
        }
        _ => vec![],
    }
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::from(code))
}

/// The row of the queue (or of the person list) under a click, counting
/// from the first shown; `None` off the rows.
fn row_at(app: &App, column: u16, row: u16) -> Option<usize> {
    let area = layout::areas_for(app.size).queue;
    // Inside the border, below the column headings.
    let first = area.y + 2;
    let inside = column > area.x && column + 1 < area.x + area.width;
    (inside && row >= first && row + 1 < area.y + area.height).then(|| usize::from(row - first))
}

fn click(app: &mut App, column: u16, row: u16) -> Vec<Effect> {
    let Some(at) = row_at(app, column, row) else {
        return vec![];
    };
    let capacity = app.page_size();
    if let Some(people) = app.people.as_mut().filter(|p| p.listing()) {
        let len = people.rows.as_ref().map_or(0, Vec::len);
        let index = people.selected / capacity * capacity + at;
        if index < len {
            people.selected = index;
        }
        return vec![];
    }
    if at >= app.queue.rows.len() || at == app.queue.selected {
        return vec![];
    }
    app.status = None;
    app.queue.selected = at;
    detail_for_selection(app)
}
