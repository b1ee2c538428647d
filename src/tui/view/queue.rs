//! The queue: one row per item of the visible page, risk order.

use super::Theme;
use super::columns::{Want, cut, share};
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

/// What marks the selected row, and its width.
const HIGHLIGHT: &str = "▶ ";
const HIGHLIGHT_WIDTH: u16 = 2;

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
fn flag_codes(flags: crate::domain::FlagSet) -> String {
    let codes: Vec<&str> = flags.iter().map(crate::domain::Flag::code).collect();
    if codes.len() <= 4 {
        codes.join(" ")
    } else {
        format!("{} +{}", codes[..3].join(" "), codes.len() - 3)
    }
}

/// Where the selection is in the view: "12 of 67" (the view's count once
/// known, its place once counted).
pub fn position(app: &App) -> String {
    if app.queue.current().is_none() {
        return String::new();
    }
    let at = app.queue.offset.map_or_else(
        || "…".to_string(),
        |n| (n + app.queue.selected as u64 + 1).to_string(),
    );
    let of = app
        .matching_count()
        .map_or_else(|| "…".to_string(), |n| n.to_string());
    format!(" {at} of {of} ")
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
    let rows = &app.queue.rows;
    let tenants = app.several_tenants();
    let states: Vec<String> = rows.iter().map(|r| state_cell(r.decision)).collect();
    let flags: Vec<String> = rows.iter().map(|r| flag_codes(r.flags)).collect();
    let text = |f: fn(&crate::store::ItemRow) -> &String| -> Vec<String> {
        rows.iter().map(|r| sanitize(f(r)).into_owned()).collect()
    };
    let identity = text(|r| &r.identity_name);
    let system = text(|r| &r.system);
    let entitlement = text(|r| &r.entitlement);
    let tenant = if tenants {
        text(|r| &r.tenant)
    } else {
        Vec::new()
    };
    let fixed = |heading: &str, cells: &[String]| {
        Want::new(heading, cells.iter().map(String::as_str), 0).natural
    };
    let state_width = fixed("STATE", &states);
    let flags_width = fixed("FLAGS", &flags);
    let mut wants = vec![
        Want::new("IDENTITY", identity.iter().map(String::as_str), 0),
        Want::new("SYSTEM", system.iter().map(String::as_str), 1),
        Want::new("ENTITLEMENT", entitlement.iter().map(String::as_str), 0),
    ];
    if tenants {
        wants.insert(0, Want::new("TENANT", tenant.iter().map(String::as_str), 2));
    }
    // Borders, the selection's marker, the mark, the state, the flags and
    // one space between columns.
    let columns = wants.len() as u16 + 3;
    let room = area
        .width
        .saturating_sub(2 + HIGHLIGHT_WIDTH + 1 + state_width + flags_width + columns - 1);
    let widths = share(room, &wants);
    let mut headings = vec!["", "STATE"];
    if tenants {
        headings.push("TENANT");
    }
    headings.extend(["IDENTITY", "SYSTEM", "ENTITLEMENT", "FLAGS"]);
    let header = Row::new(headings).style(theme.heading());
    let table_rows = rows.iter().enumerate().map(|(i, row)| {
        let state_style = match row.decision {
            Some(DecisionKind::Revoke) => theme.danger(),
            Some(DecisionKind::Attest) => theme.good(),
            Some(DecisionKind::Exception | DecisionKind::Reassign | DecisionKind::Rotate) => {
                theme.warn()
            }
            _ => ratatui::style::Style::default(),
        };
        let mark = if app.is_marked(row.id) { "●" } else { " " };
        let mut cells = vec![
            Cell::from(mark).style(theme.marked()),
            Cell::from(states[i].clone()).style(state_style),
        ];
        let mut texts: Vec<&String> = Vec::new();
        if tenants {
            texts.push(&tenant[i]);
        }
        texts.extend([&identity[i], &system[i], &entitlement[i]]);
        cells.extend(
            texts
                .into_iter()
                .zip(&widths)
                .map(|(t, w)| Cell::from(cut(t, *w))),
        );
        cells.push(Cell::from(Line::from(theme.flag_spans(&flags[i]))));
        Row::new(cells)
    });
    let mut constraints = vec![Constraint::Length(1), Constraint::Length(state_width)];
    constraints.extend(widths.iter().map(|w| Constraint::Length(*w)));
    constraints.push(Constraint::Length(flags_width));
    let table = Table::new(table_rows, constraints)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selected())
        .highlight_symbol(HIGHLIGHT);
    let mut state = TableState::default();
    state.select(Some(app.queue.selected));
    frame.render_stateful_widget(table, area, &mut state);
}
