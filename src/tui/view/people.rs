//! The person view: one row per identity (grants, decided and waiting,
//! flags), and beside it what the selected person's grants add up to.

use super::Theme;
use super::columns::{Want, cut, share};
use crate::domain::text::sanitize;
use crate::store::PersonRow;
use crate::tui::action::Action;
use crate::tui::app::{App, People};
use crate::tui::keymap::{ModeKind, keys_for};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

fn counts(p: &PersonRow) -> String {
    format!("{} decided · {} waiting", p.decided(), p.undecided)
}

/// Decided of all, the column's short form: "1/3", "✓ 3/3" when done.
fn done(p: &PersonRow) -> String {
    let mark = if p.undecided == 0 { "✓" } else { "·" };
    format!("{mark} {}/{}", p.decided(), p.grants)
}

pub fn render(people: &People, app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let title = Line::styled(" People · riskiest first ", theme.title());
    let mut block = Block::default().borders(Borders::ALL).title(title);
    let Some(rows) = &people.rows else {
        frame.render_widget(
            Paragraph::new(Span::styled("grouping the items by identity…", theme.dim()))
                .block(block),
            area,
        );
        return;
    };
    block = block.title_bottom(
        Line::from(format!(" {} of {} ", people.selected + 1, rows.len())).right_aligned(),
    );
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(format!(
                "Nobody in this view. {} back to the items.",
                keys_for(ModeKind::People, Action::Close)
            ))
            .wrap(Wrap { trim: true })
            .block(block),
            area,
        );
        return;
    }
    // Only the rows on screen are drawn and measured.
    let capacity = app.page_size().max(1);
    let top = people.selected / capacity * capacity;
    let shown = &rows[top..rows.len().min(top + capacity)];
    let names: Vec<String> = shown
        .iter()
        .map(|p| sanitize(&p.name).into_owned())
        .collect();
    let ids: Vec<String> = shown
        .iter()
        .map(|p| sanitize(&p.identity_id).into_owned())
        .collect();
    let grants: Vec<String> = shown.iter().map(|p| p.grants.to_string()).collect();
    let states: Vec<String> = shown.iter().map(done).collect();
    let flags: Vec<String> = shown.iter().map(|p| p.flags.codes()).collect();
    let natural = |h: &str, c: &[String]| Want::new(h, c.iter().map(String::as_str), 0).natural;
    let (grants_w, states_w, flags_w) = (
        natural("GRANTS", &grants),
        natural("DECIDED", &states),
        natural("FLAGS", &flags).min(24),
    );
    let wants = [
        Want::new("IDENTITY", names.iter().map(String::as_str), 0),
        Want::new("ID", ids.iter().map(String::as_str), 1),
    ];
    let room = area
        .width
        .saturating_sub(2 + 2 + grants_w + states_w + flags_w + 4);
    let widths = share(room, &wants);
    let header = Row::new(["IDENTITY", "ID", "GRANTS", "DECIDED", "FLAGS"]).style(theme.heading());
    let table_rows = shown.iter().enumerate().map(|(i, p)| {
        let state_style = if p.undecided == 0 {
            theme.good()
        } else {
            ratatui::style::Style::default()
        };
        Row::new(vec![
            Cell::from(cut(&names[i], widths[0])),
            Cell::from(cut(&ids[i], widths[1])),
            Cell::from(grants[i].clone()),
            Cell::from(states[i].clone()).style(state_style),
            Cell::from(Line::from(theme.flag_spans(&cut(&flags[i], flags_w)))),
        ])
    });
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(widths[0]),
            Constraint::Length(widths[1]),
            Constraint::Length(grants_w),
            Constraint::Length(states_w),
            Constraint::Length(flags_w),
        ],
    )
    .header(header)
    .block(block)
    .column_spacing(1)
    .row_highlight_style(theme.selected())
    .highlight_symbol("▶ ");
    let mut state = TableState::default();
    state.select(Some(people.selected - top));
    frame.render_stateful_widget(table, area, &mut state);
}

/// What the selected person's grants in view add up to, and what the
/// keys do with them.
pub fn render_person(people: &People, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(" Person ", theme.title()));
    let Some(p) = people.current() else {
        frame.render_widget(block, area);
        return;
    };
    let label = |l: &str| Span::styled(format!("{l:<12}"), theme.heading());
    let mut lines = vec![
        Line::from(Span::styled(
            sanitize(&p.name).into_owned(),
            theme.heading(),
        )),
        Line::from(vec![
            label("Identity"),
            Span::raw(sanitize(&p.identity_id).into_owned()),
        ]),
        Line::from(vec![
            label("Tenant"),
            Span::raw(sanitize(&p.tenant).into_owned()),
        ]),
        Line::from(vec![
            label("Grants"),
            Span::raw(format!(
                "{} in view · {} · {} revoked",
                p.grants,
                counts(p),
                p.revoked
            )),
        ]),
        Line::from(vec![
            label("Recommended"),
            Span::raw(format!(
                "{} of {} to revoke (or rotate, or reassign)",
                p.revoke_recommended, p.grants
            )),
        ]),
    ];
    for flag in p.flags.iter() {
        let mut spans = theme.flag_spans(flag.code());
        spans.push(Span::raw(format!(" {}", flag.label())));
        lines.push(Line::from(spans));
    }
    let key = |a| keys_for(ModeKind::People, a);
    lines.push(Line::from(""));
    lines.push(Line::styled(
        format!(
            "{} shows the grants · {}/{}/{}/{}/{} decides all {} of them (asks first when it \
             replaces decisions) · {} back to the items",
            key(Action::Apply),
            key(Action::Attest),
            key(Action::Revoke),
            key(Action::Exception),
            key(Action::Reassign),
            key(Action::Undo),
            p.grants,
            key(Action::Close),
        ),
        theme.dim(),
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
