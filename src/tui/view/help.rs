//! The help overlay: every key of every mode, drawn from the same key map
//! the event loop resolves keys with, so it cannot drift from behaviour.

use super::{Theme, centered, wrapped_height};
use crate::domain::Flag;
use crate::tui::action::Action;
use crate::tui::keymap::{MODES, ModeKind, TEXT_KEYS, help_for, keys_for};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Width of the keys column.
pub const KEYS_WIDTH: usize = 15;

fn area(size: (u16, u16)) -> Rect {
    let screen = Rect::new(0, 0, size.0, size.1);
    centered(
        screen,
        size.0.saturating_sub(4).min(96),
        size.1.saturating_sub(2),
    )
}

pub fn lines(theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (mode, heading) in MODES {
        if !out.is_empty() {
            out.push(Line::default());
        }
        out.push(Line::styled(heading, theme.heading()));
        for entry in help_for(mode) {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<KEYS_WIDTH$}", entry.keys), theme.title()),
                Span::raw(entry.help),
            ]));
        }
    }
    out.push(Line::default());
    out.push(Line::styled(TEXT_KEYS, theme.dim()));
    // The queue has room for three letters a flag; this says what they mean.
    out.push(Line::default());
    out.push(Line::styled("Flags in the queue", theme.heading()));
    for flag in Flag::ALL {
        out.push(Line::from(vec![
            Span::styled(format!("  {:<KEYS_WIDTH$}", flag.code()), theme.title()),
            Span::raw(flag.label()),
        ]));
    }
    out
}

/// Rows of help visible at once.
pub fn help_page_height(size: (u16, u16)) -> u16 {
    area(size).height.saturating_sub(2)
}

pub fn help_max_scroll(size: (u16, u16)) -> u16 {
    let width = area(size).width.saturating_sub(2);
    let total = wrapped_height(lines(&Theme { color: false }), width);
    total.saturating_sub(help_page_height(size))
}

pub fn render(scroll: u16, theme: &Theme, frame: &mut Frame<'_>) {
    let size = (frame.area().width, frame.area().height);
    let area = area(size);
    frame.render_widget(Clear, area);
    let max = help_max_scroll(size);
    let scroll = scroll.min(max);
    let position = if max == 0 {
        String::new()
    } else {
        format!(
            " {} · {} scroll ",
            match (scroll > 0, scroll < max) {
                (true, true) => "▲▼ more",
                (false, true) => "▼ more",
                _ => "▲ more",
            },
            [Action::Down, Action::Up, Action::PageDown]
                .iter()
                .map(|a| keys_for(ModeKind::Help, *a))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(
            format!(
                " Keys · {} closes ",
                keys_for(ModeKind::Help, Action::Close)
            ),
            theme.title(),
        ))
        .title_bottom(Line::from(position).right_aligned());
    frame.render_widget(
        Paragraph::new(lines(theme))
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
