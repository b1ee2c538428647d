//! The remediation list: the campaign's revocations riskiest first, each
//! pending, verified (with the snapshot that proved it) or STILL EFFECTIVE,
//! which is loud: a symbol, the word in capitals and, with colours, red.
//! Below the page, the selected revocation with its evidence. `Tab` steps
//! on to the rotations promised (`rotate --by`): pending, verified by a
//! later snapshot's newer rotation date, OVERDUE, loud the same way, or
//! removed (dim) when a complete snapshot shows the grant gone.

use super::{Theme, areas_for, short_day, short_time};
use crate::domain::RemediationStatus;
use crate::domain::rotation::RotationStatus;
use crate::domain::text::sanitize;
use crate::store::{RemediationCounts, RemediationTask, RotationTask};
use crate::tui::action::Action;
use crate::tui::app::{App, RemediationList, Rotations};
use crate::tui::keymap::{ModeKind, keys_for};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

/// Lines under the page for the selected revocation's evidence.
const EVIDENCE_ROWS: u16 = 6;

/// Wide terminals also show who revoked and the proving snapshot.
const WIDE: u16 = 120;

/// A status as a symbol, never colour alone.
pub fn remediation_symbol(status: RemediationStatus) -> &'static str {
    match status {
        RemediationStatus::Pending => "⋯",
        RemediationStatus::Verified => "✓",
        RemediationStatus::StillEffective => "⚠",
    }
}

fn status_cell(status: RemediationStatus) -> String {
    format!("{} {}", remediation_symbol(status), status.label())
}

pub fn status_style(theme: &Theme, status: RemediationStatus) -> Style {
    match status {
        RemediationStatus::Pending => theme.warn(),
        RemediationStatus::Verified => theme.good(),
        RemediationStatus::StillEffective => theme.danger(),
    }
}

/// The counts line, the page (with its heading row) and the evidence.
fn layout(inner: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(2),
        Constraint::Length(EVIDENCE_ROWS + 1),
    ])
    .areas(inner)
}

fn block_inner(area: Rect) -> Rect {
    Block::default().borders(Borders::ALL).inner(area)
}

/// How many revocations a page holds at this terminal size.
pub fn remediation_capacity(size: (u16, u16)) -> usize {
    let [_, table, _] = layout(block_inner(areas_for(size).body));
    table.height.saturating_sub(1) as usize
}

/// A rotation's status as a symbol, never colour alone.
fn rotation_symbol(status: RotationStatus) -> &'static str {
    match status {
        RotationStatus::Pending => "⋯",
        RotationStatus::Verified => "✓",
        RotationStatus::Overdue => "⚠",
        RotationStatus::Removed => "∅",
    }
}

fn rotation_cell(status: RotationStatus) -> String {
    format!("{} {}", rotation_symbol(status), status.label())
}

fn rotation_style(theme: &Theme, status: RotationStatus) -> Style {
    match status {
        RotationStatus::Pending => theme.warn(),
        RotationStatus::Verified => theme.good(),
        RotationStatus::Overdue => theme.danger(),
        // Settled, but not a rotation: never shown as a success.
        RotationStatus::Removed => theme.dim(),
    }
}

/// The rotations beside the revocations' counts, once there is one: `↻`
/// and the counts that are not zero, to fit 80 columns.
fn rotation_spans(rotations: Option<&Rotations>, theme: &Theme) -> Vec<Span<'static>> {
    let Some(c) = rotations.map(|r| r.counts).filter(|c| c.total() > 0) else {
        return Vec::new();
    };
    let mut spans = vec![Span::raw(" │ ↻ ")];
    let parts = [
        (RotationStatus::Overdue, c.overdue),
        (RotationStatus::Pending, c.pending),
        (RotationStatus::Verified, c.verified),
        (RotationStatus::Removed, c.removed),
    ];
    let mut first = true;
    for (status, n) in parts {
        if n == 0 {
            continue;
        }
        if !first {
            spans.push(Span::raw(" · "));
        }
        first = false;
        spans.push(Span::styled(
            format!("{n} {}", status.label()),
            rotation_style(theme, status),
        ));
    }
    spans
}

fn counts_line(
    counts: Option<&RemediationCounts>,
    rotations: Option<&Rotations>,
    theme: &Theme,
) -> Line<'static> {
    let mut spans = Vec::new();
    match counts {
        Some(c) => {
            let parts = [
                (RemediationStatus::StillEffective, c.still_effective),
                (RemediationStatus::Pending, c.pending),
                (RemediationStatus::Verified, c.verified),
            ];
            for (i, (status, n)) in parts.into_iter().enumerate() {
                if i > 0 {
                    spans.push(Span::raw(" · "));
                }
                let text = format!("{} {n} {}", remediation_symbol(status), status.label());
                let style = if n > 0 {
                    status_style(theme, status)
                } else {
                    theme.dim()
                };
                spans.push(Span::styled(text, style));
            }
        }
        None => spans.push(Span::styled("counting…", theme.dim())),
    }
    spans.extend(rotation_spans(rotations, theme));
    Line::from(spans)
}

/// What the selected rotation rests on: the rotate, then the snapshot that
/// showed the credential rotated, or why none has.
fn rotation_evidence(task: &RotationTask, theme: &Theme) -> Vec<Line<'static>> {
    let mut decided = format!(
        "rotate by {} decided {} by {} (event {})",
        task.by,
        short_time(&task.decided_at),
        sanitize(&task.decided_by),
        task.rotate_event
    );
    if task.close_action {
        decided.push_str(", the close action");
    }
    if let Some(note) = &task.note {
        decided.push_str(&format!(" “{}”", sanitize(&note.replace('\n', " "))));
    }
    let seen = task
        .seen_rotated_at
        .as_deref()
        .map(|s| format!("last rotated {} when decided", short_day(s)))
        .unwrap_or_else(|| "no rotation date when decided".into());
    let proof = match (&task.proof, &task.rotated_at) {
        (Some(snapshot), None) => format!(
            "{}: grant gone in snapshot {} {} imported {}; nothing left to rotate",
            rotation_cell(task.status),
            snapshot.id,
            sanitize(&snapshot.file_name),
            short_time(&snapshot.imported_at)
        ),
        (Some(snapshot), Some(at)) => format!(
            "{}: snapshot {} {} imported {} shows it rotated {}",
            rotation_cell(task.status),
            snapshot.id,
            sanitize(&snapshot.file_name),
            short_time(&snapshot.imported_at),
            short_day(at)
        ),
        _ => format!(
            "{}: no snapshot imported since shows a newer rotation ({seen})",
            rotation_cell(task.status)
        ),
    };
    vec![
        Line::styled(
            format!(
                "#{} {} · {} · {}",
                task.rank + 1,
                sanitize(&task.identity_name),
                sanitize(&task.system),
                sanitize(&task.entitlement)
            ),
            theme.heading(),
        ),
        Line::from(decided),
        Line::styled(proof, rotation_style(theme, task.status)),
    ]
}

/// The rotation tasks in place of the revocations, the selected one's
/// evidence below.
fn render_rotations(
    list: &RemediationList,
    app: &App,
    theme: &Theme,
    frame: &mut Frame<'_>,
    (table_area, evidence_area, wide): (Rect, Rect, bool),
) {
    let rows = app.rotations.as_ref().map_or(&[][..], |r| &r.rows[..]);
    if rows.is_empty() {
        let text = match app.rotations {
            None => "reading the rotations…",
            Some(_) => "No rotations in this campaign: nothing promised to rotate.",
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.dim())).wrap(Wrap { trim: true }),
            table_area,
        );
        return;
    }
    let tenants = app.several_tenants();
    let (mut heading, mut widths) = grant_columns(tenants, "BY");
    if wide {
        heading.extend(["DECIDED BY", "ROTATED"]);
        widths.extend([Constraint::Fill(3), Constraint::Length(10)]);
    }
    let table_rows = rows.iter().map(|task| {
        let mut cells = grant_cells(
            Cell::from(rotation_cell(task.status)).style(rotation_style(theme, task.status)),
            tenants.then_some(task.tenant.as_str()),
            [&task.identity_name, &task.system, &task.entitlement],
        );
        cells.push(Cell::from(task.by.to_string()));
        if wide {
            cells.push(Cell::from(sanitize(&task.decided_by).into_owned()));
            cells.push(Cell::from(
                task.rotated_at
                    .as_deref()
                    .map(short_day)
                    .unwrap_or_else(|| "—".into()),
            ));
        }
        Row::new(cells)
    });
    let table = Table::new(table_rows, widths)
        .header(Row::new(heading).style(theme.heading()))
        .column_spacing(1)
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶ ");
    let selected = list.rotation_selected.min(rows.len() - 1);
    let mut state = TableState::default();
    state.select(Some(selected));
    frame.render_stateful_widget(table, table_area, &mut state);
    let [rule, text] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(evidence_area);
    frame.render_widget(
        Paragraph::new(Span::styled("─".repeat(rule.width as usize), theme.dim())),
        rule,
    );
    frame.render_widget(
        Paragraph::new(rotation_evidence(&rows[selected], theme)).wrap(Wrap { trim: false }),
        text,
    );
}

/// What the selected revocation rests on: the revoke, then the snapshot
/// that proved it gone or still there.
pub fn evidence(task: &RemediationTask, theme: &Theme) -> Vec<Line<'static>> {
    let mut revoked = format!(
        "revoked {} by {} (event {})",
        short_time(&task.revoked_at),
        sanitize(&task.revoked_by),
        task.revoke_event
    );
    if task.close_action {
        revoked.push_str(", the close action");
    }
    if let Some(earlier) = &task.carried_from {
        revoked.push_str(&format!(
            " in campaign “{}”: not done when this campaign began",
            sanitize(earlier)
        ));
    }
    if let Some(note) = &task.note {
        revoked.push_str(&format!(" “{}”", sanitize(&note.replace('\n', " "))));
    }
    let proof = match (&task.proof, task.status) {
        (Some(snapshot), status) => {
            let holds = if status == RemediationStatus::StillEffective {
                "still holds the grant"
            } else {
                "no longer holds the grant"
            };
            let outcome = task
                .outcome_event
                .map(|e| format!(" (event {e})"))
                .unwrap_or_default();
            format!(
                "{}: snapshot {} {} imported {}{}, sha256 {}, {holds}{outcome}",
                status_cell(status),
                snapshot.id,
                sanitize(&snapshot.file_name),
                short_time(&snapshot.imported_at),
                if snapshot.partial { " (partial)" } else { "" },
                super::fit(&sanitize(&snapshot.sha256), 13)
            )
        }
        (None, status) => format!(
            "{}: no snapshot of {} has been imported since the revoke",
            status_cell(status),
            if task.tenant.is_empty() {
                sanitize(&task.system).into_owned()
            } else {
                format!("{}/{}", sanitize(&task.tenant), sanitize(&task.system))
            }
        ),
    };
    vec![
        Line::styled(
            format!(
                "#{} {} · {} · {}",
                task.rank + 1,
                sanitize(&task.identity_name),
                sanitize(&task.system),
                sanitize(&task.entitlement)
            ),
            theme.heading(),
        ),
        Line::from(revoked),
        Line::styled(proof, status_style(theme, task.status)),
    ]
}

pub fn render(list: &RemediationList, app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let position = format!(
        " page {} · {} back ",
        list.earlier.len() + 1,
        keys_for(ModeKind::Remediation, Action::Close)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(
            match list.status {
                _ if list.rotations => " Remediation · rotations, riskiest first ".to_string(),
                None => " Remediation · every revocation, riskiest first ".to_string(),
                Some(status) => format!(" Remediation · {} only, riskiest first ", status.label()),
            },
            theme.title(),
        ))
        .title_bottom(Line::from(position).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [counts, table_area, evidence_area] = layout(inner);
    frame.render_widget(
        Paragraph::new(counts_line(
            app.remediation.as_ref(),
            app.rotations.as_ref(),
            theme,
        )),
        counts,
    );
    if list.rotations {
        let wide = area.width >= WIDE;
        render_rotations(list, app, theme, frame, (table_area, evidence_area, wide));
        return;
    }
    if list.rows.is_empty() {
        let text = match list.status {
            None if app.rotations.as_ref().is_some_and(|r| r.counts.total() > 0) => format!(
                "No revocations in this campaign; its rotations: {}.",
                keys_for(ModeKind::Remediation, Action::NextField)
            ),
            None => "No revocations in this campaign: nothing to carry out.".to_string(),
            Some(status) => format!("No revocation is {}.", status.label()),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.dim())).wrap(Wrap { trim: true }),
            table_area,
        );
        return;
    }
    let wide = area.width >= WIDE;
    let tenants = app.several_tenants();
    let (mut heading, mut widths) = grant_columns(tenants, "REVOKED");
    if wide {
        heading.extend(["BY", "SNAPSHOT"]);
        widths.extend([Constraint::Fill(3), Constraint::Fill(2)]);
    }
    let rows = list.rows.iter().map(|task| {
        let mut cells = grant_cells(
            Cell::from(status_cell(task.status)).style(status_style(theme, task.status)),
            tenants.then_some(task.tenant.as_str()),
            [&task.identity_name, &task.system, &task.entitlement],
        );
        cells.push(Cell::from(short_day(&task.revoked_at)));
        if wide {
            cells.push(Cell::from(sanitize(&task.revoked_by).into_owned()));
            cells.push(Cell::from(
                task.proof
                    .as_ref()
                    .map(|p| sanitize(&p.file_name).into_owned())
                    .unwrap_or_else(|| "—".into()),
            ));
        }
        Row::new(cells)
    });
    let table = Table::new(rows, widths)
        .header(Row::new(heading).style(theme.heading()))
        .column_spacing(1)
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶ ");
    let mut state = TableState::default();
    state.select(Some(list.selected));
    frame.render_stateful_widget(table, table_area, &mut state);

    let [rule, text] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(evidence_area);
    frame.render_widget(
        Paragraph::new(Span::styled("─".repeat(rule.width as usize), theme.dim())),
        rule,
    );
    if let Some(task) = list.current() {
        frame.render_widget(
            Paragraph::new(evidence(task, theme)).wrap(Wrap { trim: false }),
            text,
        );
    }
}

/// The columns both task tables start with: the status, the tenant when
/// the campaign spans several (two grants that read alike in two tenants
/// are told apart), the grant, and the task's date headed `date`.
fn grant_columns(tenants: bool, date: &'static str) -> (Vec<&'static str>, Vec<Constraint>) {
    let mut heading = vec!["STATUS"];
    let mut widths = vec![Constraint::Length(17)];
    if tenants {
        heading.push("TENANT");
        widths.push(Constraint::Fill(2));
    }
    heading.extend(["IDENTITY", "SYSTEM", "ENTITLEMENT", date]);
    widths.extend([
        Constraint::Fill(3),
        Constraint::Fill(2),
        Constraint::Fill(3),
        Constraint::Length(10),
    ]);
    (heading, widths)
}

/// The cells under [`grant_columns`] but the date: imported text escaped.
fn grant_cells<'a>(status: Cell<'a>, tenant: Option<&str>, grant: [&str; 3]) -> Vec<Cell<'a>> {
    let mut cells = vec![status];
    cells.extend(tenant.map(|t| Cell::from(sanitize(t).into_owned())));
    cells.extend(grant.map(|g| Cell::from(sanitize(g).into_owned())));
    cells
}
