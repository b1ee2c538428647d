//! The note editor: a multi-line textarea over the screen, for the
//! evidence note that goes with a decision.

use super::Theme;
use crate::tui::app::NoteEditor;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

pub fn render(editor: &NoteEditor, theme: &Theme, frame: &mut Frame<'_>) {
    let area = centered(
        frame.area(),
        frame.area().width.saturating_sub(8).max(40),
        12,
    );
    frame.render_widget(Clear, area);
    let title = format!(" {} item {} ", editor.kind, editor.item);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(title, theme.title()))
        .title_bottom(Line::from(" Ctrl+S save · Esc cancel · Enter new line ").right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [subject, requirement, text] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(editor.subject.as_str()).style(theme.heading()),
        subject,
    );
    let requirement_line = match editor.required {
        Some(reason) => Line::styled(format!("Note required: {reason}"), theme.warn()),
        None => Line::styled("Note optional", theme.dim()),
    };
    frame.render_widget(Paragraph::new(requirement_line), requirement);
    frame.render_widget(&editor.textarea, text);
}
