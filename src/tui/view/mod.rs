//! Drawing: pure functions from `App` to a frame, one module per panel.
//! Every string that came from imported data is sanitised before it is drawn.

mod detail;
mod note;
mod queue;
mod status;

use super::app::{App, Mode};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};

/// Where each panel goes for a terminal of a given size.
pub struct Areas {
    pub header: Rect,
    pub queue: Rect,
    pub detail: Rect,
    pub status: Rect,
}

/// Wide terminals put the detail beside the queue; narrow ones below it.
const SIDE_BY_SIDE_WIDTH: u16 = 120;

pub fn areas(area: Rect) -> Areas {
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let (queue, detail) = if body.width >= SIDE_BY_SIDE_WIDTH {
        let [q, d] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
            .areas(body);
        (q, d)
    } else {
        let queue_height = (body.height / 2).max(6).min(body.height);
        let [q, d] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Length(queue_height), Constraint::Min(0)])
            .areas(body);
        (q, d)
    };
    Areas {
        header,
        queue,
        detail,
        status,
    }
}

/// How many item rows the queue shows at this size (inside its border and
/// below its column headings).
pub fn queue_capacity(width: u16, height: u16) -> usize {
    areas(Rect::new(0, 0, width, height))
        .queue
        .height
        .saturating_sub(3) as usize
}

pub fn render(app: &App, frame: &mut Frame<'_>) {
    let theme = Theme { color: app.color };
    let areas = areas(frame.area());
    status::render_header(app, &theme, frame, areas.header);
    queue::render(app, &theme, frame, areas.queue);
    detail::render(app, &theme, frame, areas.detail);
    status::render_status(app, &theme, frame, areas.status);
    if let Mode::Note(editor) = &app.mode {
        note::render(editor, &theme, frame);
    }
}

/// Styles, with meaning never carried by colour alone: every coloured
/// thing also has a symbol or a word, and `NO_COLOR` drops the colours.
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn heading(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }

    pub fn selected(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Blue).fg(Color::White)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn danger(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn good(&self) -> Style {
        self.fg(Color::Green)
    }
}
