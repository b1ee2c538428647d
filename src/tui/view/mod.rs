//! Drawing: pure functions from `App` to a frame, one module per panel.
//! Every string that came from imported data (or was typed) is sanitised
//! before it is drawn.

mod columns;
mod dashboard;
mod detail;
mod dialog;
mod filter;
mod help;
mod lifecycle;
mod people;
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
        _ => match &app.people {
            Some(people) if people.listing() => {
                people::render(people, app, &theme, frame, areas.queue);
                people::render_person(people, &theme, frame, areas.detail);
            }
            _ => {
                queue::render(app, &theme, frame, areas.queue);
                detail::render(app, &theme, frame, areas.detail);
            }
        },
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
/// thing also has a symbol or a word, and without colour (see `palette`)
/// only attributes remain. A few colours, each for one meaning: red for
/// what should go (a revoke, a flag recommending it, overdue), yellow for
/// what needs care, green for what is settled. Text people must read is
/// never bright black, which vanishes on dark themes: less important text
/// is the terminal's own colour, dimmed.
pub struct Theme {
    pub color: bool,
}

/// How much a flag asks of the reviewer, which its colour says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The flag recommends revoking (or rotating or reassigning, else revoking).
    Revoke,
    /// Review with care, classify the identity, set an end date or ask
    /// the sponsor.
    Care,
    Info,
}

impl Severity {
    pub fn of(recommendation: crate::domain::Recommendation) -> Severity {
        use crate::domain::Recommendation as R;
        match recommendation {
            R::Revoke | R::RevokeOneOfPair | R::RotateOrRevoke | R::ReassignOrRevoke => {
                Severity::Revoke
            }
            R::ReviewWithCare | R::Classify | R::AskSponsor | R::SetEndDate => Severity::Care,
            R::Keep => Severity::Info,
        }
    }
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
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn heading(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    /// Less important text: the terminal's own colour, dimmed.
    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default()
        }
    }

    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
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

    /// A flag's code, coloured by what it recommends.
    pub fn severity(&self, severity: Severity) -> Style {
        match severity {
            Severity::Revoke => self.fg(Color::Red),
            Severity::Care => self.fg(Color::Yellow),
            Severity::Info => Style::default(),
        }
    }

    /// Flag codes, each in its severity's colour.
    pub fn flag_spans(&self, codes: &str) -> Vec<ratatui::text::Span<'static>> {
        let mut spans = Vec::new();
        for (i, code) in codes.split(' ').enumerate() {
            if i > 0 {
                spans.push(ratatui::text::Span::raw(" "));
            }
            let style = crate::domain::Flag::ALL
                .iter()
                .find(|f| f.code() == code)
                .map_or_else(Style::default, |f| {
                    self.severity(Severity::of(f.recommendation()))
                });
            spans.push(ratatui::text::Span::styled(code.to_string(), style));
        }
        spans
    }
}

#[cfg(test)]
mod theme_tests {
    use super::*;

    #[test]
    fn severities_have_distinct_colours_and_none_without_colour() {
        use crate::domain::Flag;
        let theme = Theme { color: true };
        let style = |f: Flag| theme.severity(Severity::of(f.recommendation()));
        assert_eq!(style(Flag::Expired).fg, Some(Color::Red));
        assert_eq!(style(Flag::Privileged).fg, Some(Color::Yellow));
        assert_ne!(style(Flag::Expired), style(Flag::Privileged));
        // Nothing people must read is bright black (unreadable on dark themes).
        for s in [
            theme.dim(),
            theme.title(),
            theme.heading(),
            theme.selected(),
        ] {
            assert_ne!(s.fg, Some(Color::DarkGray));
        }
        let plain = Theme { color: false };
        for f in Flag::ALL {
            assert_eq!(plain.severity(Severity::of(f.recommendation())).fg, None);
        }
        let spans = theme.flag_spans("EXP PRV");
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[0].style.fg, Some(Color::Red));
        assert_eq!(spans[2].style.fg, Some(Color::Yellow));
    }
}
