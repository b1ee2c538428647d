//! The filter panel: the campaign's fields on the left, the values the
//! focused one takes on the right, each with how many items have it.

use super::{Theme, centered, fit};
use crate::domain::text::sanitize;
use crate::domain::{Field, Flag};
use crate::store::FACET_FIELDS;
use crate::tui::action::Action;
use crate::tui::app::{App, FilterPanel};
use crate::tui::keymap::{ModeKind, keys_for};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// How a value reads in the panel: flags with their code and label.
fn value_label(field: Field, value: &str) -> String {
    match (field, Flag::from_name(value)) {
        (Field::Flag, Some(flag)) => format!("{} {}", flag.code(), flag.label()),
        _ => sanitize(value).into_owned(),
    }
}

pub fn render(panel: &FilterPanel, app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let area = centered(area, area.width.min(90), area.height);
    frame.render_widget(Clear, area);
    let hints = format!(
        " {} choose · {} apply · {} clear · {} cancel ",
        keys_for(ModeKind::Filter, Action::Choose),
        keys_for(ModeKind::Filter, Action::Apply),
        keys_for(ModeKind::Filter, Action::ClearFilters),
        keys_for(ModeKind::Filter, Action::Cancel)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(
            " Filter · values in this campaign ",
            theme.title(),
        ))
        .title_bottom(Line::from(hints).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [fields_area, values_area] =
        Layout::horizontal([Constraint::Length(20), Constraint::Min(10)]).areas(inner);

    let fields: Vec<Line> = FACET_FIELDS
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let chosen = panel.chosen.get(field).map_or(0, |c| c.len());
            let marker = if i == panel.field { "▶ " } else { "  " };
            let text = if chosen > 0 {
                format!("{marker}{} ({chosen})", field.name())
            } else {
                format!("{marker}{}", field.name())
            };
            if i == panel.field {
                Line::styled(text, theme.selected())
            } else if chosen > 0 {
                Line::styled(text, theme.heading())
            } else {
                Line::from(text)
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(fields), fields_area);

    let Some(facet) = app.facets.as_ref().and_then(|f| f.get(panel.field)) else {
        frame.render_widget(
            Paragraph::new(Span::styled("reading the campaign's values…", theme.dim())),
            values_area,
        );
        return;
    };
    let field = facet.field;
    let height = values_area.height as usize;
    if facet.values.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no values in this campaign", theme.dim())),
            values_area,
        );
        return;
    }
    // Keep the cursor in view; the list scrolls under it.
    let room = height.saturating_sub(usize::from(facet.more > 0)).max(1);
    let offset = panel.cursor.saturating_sub(room - 1);
    let width = values_area.width as usize;
    let chosen = panel.chosen.get(&field);
    let mut lines: Vec<Line> = facet
        .values
        .iter()
        .enumerate()
        .skip(offset)
        .take(room)
        .map(|(i, (value, n))| {
            let ticked = chosen.is_some_and(|c| c.contains(value));
            let check = if ticked { "[x]" } else { "[ ]" };
            let cursor = if i == panel.cursor { "▶" } else { " " };
            let count = format!(" {n}");
            let label = fit(
                &value_label(field, value),
                width.saturating_sub(5 + count.len()),
            );
            let pad = width.saturating_sub(5 + label.chars().count() + count.len());
            let text = format!("{cursor}{check} {label}{}{count}", " ".repeat(pad));
            if i == panel.cursor {
                Line::styled(text, theme.selected())
            } else if ticked {
                Line::styled(text, theme.heading())
            } else {
                Line::from(text)
            }
        })
        .collect();
    if facet.more > 0 {
        lines.push(Line::styled(
            format!("… and {} rarer values (use --where)", facet.more),
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), values_area);
}
