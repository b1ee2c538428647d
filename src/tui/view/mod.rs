//! Drawing: pure functions from `App` to a frame, one module per panel.
//! Every string that came from imported data (or was typed) is sanitised
//! before it is drawn.

mod dashboard;
mod detail;
mod dialog;
mod filter;
mod help;
mod lifecycle;
mod queue;
mod remediation;
mod status;

use super::app::{App, Mode};
use super::layout::{areas, areas_for};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

pub use super::layout::{detail_height, queue_capacity};
pub use help::{KEYS_WIDTH, help_max_scroll, help_page_height};
pub use lifecycle::{barrier, lifecycle_max_scroll, lifecycle_summary_height};
pub use remediation::{remediation_capacity, remediation_symbol};

/// How far the detail of the selected item can scroll at this size.
pub fn detail_max_scroll(app: &App) -> u16 {
    let Some(detail) = &app.detail else {
        return 0;
    };
    let area = areas_for(app.size).detail;
    let theme = Theme { color: false };
    let total = wrapped_height(
        detail::lines(app, detail, &theme),
        area.width.saturating_sub(2),
    );
    total.saturating_sub(detail_height(app.size))
}

/// How many rows `lines` take when wrapped to `width`.
fn wrapped_height(lines: Vec<Line<'_>>, width: u16) -> u16 {
    let count = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .line_count(width.max(1));
    u16::try_from(count).unwrap_or(u16::MAX)
}

pub fn render(app: &App, frame: &mut Frame<'_>) {
    let theme = Theme { color: app.color };
    let areas = areas(frame.area());
    status::render_header(app, &theme, frame, areas.header);
    status::render_view_line(app, &theme, frame, areas.view);
    match &app.mode {
        Mode::Dashboard => dashboard::render(app, &theme, frame, areas.body),
        Mode::Lifecycle(screen) => lifecycle::render(screen, app, &theme, frame, areas.body),
        Mode::Remediation(list) => remediation::render(list, app, &theme, frame, areas.body),
        _ => {
            queue::render(app, &theme, frame, areas.queue);
            detail::render(app, &theme, frame, areas.detail);
        }
    }
    status::render_status(app, &theme, frame, areas.status);
    match &app.mode {
        Mode::Editor(editor) => dialog::render_editor(editor, app, &theme, frame, areas.body),
        Mode::Confirm(confirm) => dialog::render_confirm(confirm, &theme, frame, areas.body),
        Mode::Filter(panel) => filter::render(panel, app, &theme, frame, areas.body),
        Mode::Help { scroll } => help::render(*scroll, &theme, frame),
        Mode::Browse
        | Mode::Search(_)
        | Mode::GoTo(_)
        | Mode::Dashboard
        | Mode::Lifecycle(_)
        | Mode::Remediation(_) => {}
    }
}

/// A box of at most `width` × `height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// "2026-11-22 14:03" from a stored RFC 3339 time (sanitised: the
/// database is not trusted to hold only times).
pub fn short_time(at: &str) -> String {
    let cut: String = at.chars().take(16).collect();
    crate::domain::text::sanitize(&cut.replace('T', " ")).into_owned()
}

/// "2026-11-22" from a stored date or time, sanitised.
pub fn short_day(at: &str) -> String {
    let cut: String = at.chars().take(10).collect();
    crate::domain::text::sanitize(&cut).into_owned()
}

/// Cuts `text` to `width` characters, ending with "…" when it was longer.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
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

    pub fn marked(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
}
