//! The queue: one row per item of the visible page, risk order.

use super::Theme;
use crate::domain::DecisionKind;
use crate::domain::decision::state_label;
use crate::domain::text::sanitize;
use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Row, Table, TableState};

/// What to do when the view is empty, which is where a reviewer lands
/// once their part is decided: the next step, then the ways to see more.
fn empty_view_hint(app: &App) -> String {
    use crate::domain::CampaignState;
    use crate::tui::action::Action;
    use crate::tui::keymap::{ModeKind, keys_for};
    let key = |a| keys_for(ModeKind::Browse, a);
    let mut steps = Vec::new();
    if app.campaign.state == CampaignState::Open {
        steps.push(format!(
            "{} signs off when your part is done",
            key(Action::SignOff)
        ));
    }
    if app.view.is_narrowed() {
        steps.push(format!(
            "{} clears the search and filters",
            key(Action::ClearFilters)
        ));
    }
    steps.push(format!(
        "{} shows {}",
        key(Action::ToggleScope),
        if app.view.mine {
            "all items of the campaign"
        } else {
            "only your items"
        }
    ));
    steps.push(format!("{} the dashboard", key(Action::Dashboard)));
    format!("No items in this view. {}.", steps.join("; "))
}

/// The state of an item as a symbol and a word, never colour alone.
pub fn state_cell(decision: Option<DecisionKind>) -> String {
    let symbol = match decision {
        None | Some(DecisionKind::Undo) => "·",
        Some(DecisionKind::Attest) => "✓",
        Some(DecisionKind::Revoke) => "✗",
        Some(DecisionKind::Exception) => "⧗",
        Some(DecisionKind::Reassign) => "→",
        Some(DecisionKind::Rotate) => "↻",
    };
    format!("{symbol} {}", state_label(decision))
}

/// Room for four flag codes; more are counted ("+2").
const FLAGS_WIDTH: u16 = 18;

fn flag_codes(flags: crate::domain::FlagSet) -> String {
    let codes: Vec<&str> = flags.iter().map(crate::domain::Flag::code).collect();
    if codes.len() <= 4 {
        codes.join(" ")
    } else {
        format!("{} +{}", codes[..3].join(" "), codes.len() - 3)
    }
}

/// Where the selection is: "3 of 30" in the whole campaign; in a narrowed
/// view the risk rank and how many the view holds (its position within the
/// view would take a count per key press).
fn position(app: &App) -> String {
    let Some(row) = app.queue.current() else {
        return String::new();
    };
    if !app.view.mine && !app.view.is_narrowed() {
        return format!(" {} of {} ", row.rank + 1, app.tally.total);
    }
    let shown = app
        .matching_count()
        .map_or_else(|| "counting…".to_string(), |n| format!("{n} in view"));
    format!(" risk #{} of {} · {shown} ", row.rank + 1, app.tally.total)
}

pub fn render(app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(" Queue · riskiest first ", theme.title()))
        .title_bottom(Line::from(position(app)).right_aligned());
    if app.queue.rows.is_empty() {
        let hint = empty_view_hint(app);
        frame.render_widget(
            ratatui::widgets::Paragraph::new(hint)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(block),
            area,
        );
        return;
    }
    let header = Row::new(["", "STATE", "IDENTITY", "SYSTEM", "ENTITLEMENT", "FLAGS"])
        .style(theme.heading());
    let rows = app.queue.rows.iter().map(|row| {
        let state_style = match row.decision {
            Some(DecisionKind::Revoke) => theme.danger(),
            Some(DecisionKind::Attest) => theme.good(),
            Some(DecisionKind::Exception | DecisionKind::Reassign | DecisionKind::Rotate) => {
                theme.warn()
            }
            _ => theme.dim(),
        };
        let flags_style = if row.recommendation.suggests_revoke() {
            theme.danger()
        } else {
            ratatui::style::Style::default()
        };
        let mark = if app.is_marked(row.id) { "●" } else { " " };
        Row::new([
            Cell::from(mark).style(theme.marked()),
            Cell::from(state_cell(row.decision)).style(state_style),
            Cell::from(sanitize(&row.identity_name).into_owned()),
            Cell::from(sanitize(&row.system).into_owned()),
            Cell::from(sanitize(&row.entitlement).into_owned()),
            Cell::from(flag_codes(row.flags)).style(flags_style),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(12),
            Constraint::Fill(3),
            Constraint::Fill(2),
            Constraint::Fill(3),
            Constraint::Length(FLAGS_WIDTH),
        ],
    )
    .header(header)
    .block(block)
    .column_spacing(1)
    .row_highlight_style(theme.selected())
    .highlight_symbol("▶ ");
    let mut state = TableState::default();
    state.select(Some(app.queue.selected));
    frame.render_stateful_widget(table, area, &mut state);
}
