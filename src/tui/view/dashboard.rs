//! The campaign dashboard: how far the review is, decisions by type and by
//! reviewer, the parts by sponsor and their sign-offs, the risk still
//! waiting for a decision, and the due date.
//! Bars are drawn with characters and every figure is also a number, so
//! nothing depends on colour.

use super::queue::state_cell;
use super::{Theme, fit};
use crate::domain::DecisionKind;
use crate::domain::text::sanitize;
use crate::store::Dashboard;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::{ModeKind, keys_for};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// A bar of `width` cells, `part` of `whole` filled.
pub fn bar(part: u64, whole: u64, width: usize) -> String {
    let filled = if whole == 0 {
        0
    } else {
        ((part as f64 / whole as f64) * width as f64).round() as usize
    }
    .min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

pub fn render(app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(" Dashboard ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(d) = &app.dashboard else {
        frame.render_widget(
            Paragraph::new(Span::styled("counting the campaign…", theme.dim())),
            inner,
        );
        return;
    };
    let width = inner.width as usize;
    // The reviewers take up to half the height, so a tall terminal shows
    // more of them before they scroll.
    let middle_height = (d.reviewers.len() as u16 + 4).clamp(8, (inner.height / 2).max(8));
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(middle_height),
        Constraint::Min(0),
    ])
    .areas(inner);

    let t = &d.tally;
    let percent = (t.decided() * 100).checked_div(t.total).unwrap_or(100);
    let days = (app.campaign.due - app.today).num_days();
    let due_line = match days {
        0 => Line::styled(format!("Due today, {}", app.campaign.due), theme.warn()),
        d if d > 0 => Line::from(format!(
            "Due {} · {d} {} left",
            app.campaign.due,
            if d == 1 { "day" } else { "days" }
        )),
        d => Line::styled(
            format!(
                "! OVERDUE: due {}, {} {} ago",
                app.campaign.due,
                -d,
                if d == -1 { "day" } else { "days" }
            ),
            theme.danger(),
        ),
    };
    let figures = format!(" {}/{} decided ({percent}%)", t.decided(), t.total);
    let gauge_width = width.saturating_sub(figures.chars().count() + 11).min(60);
    let mut lines = vec![
        due_line,
        Line::from(vec![
            Span::styled("Progress  ", theme.heading()),
            Span::styled(bar(t.decided(), t.total, gauge_width), theme.good()),
            Span::raw(figures),
        ]),
    ];
    if d.revocations_not_done > 0 {
        lines.push(Line::styled(
            fit(
                &format!(
                    "⚠ {} NOT DONE: revoked in an earlier campaign, still held; first in the \
                     queue",
                    if d.revocations_not_done == 1 {
                        "1 REVOCATION".to_string()
                    } else {
                        format!("{} REVOCATIONS", d.revocations_not_done)
                    }
                ),
                width,
            ),
            theme.danger(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), top);

    let [types, reviewers] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(middle);
    render_types(d, theme, frame, types);
    render_reviewers(d, app.dashboard_scroll, theme, frame, reviewers);
    render_waiting(d, theme, frame, bottom);
}

fn render_types(d: &Dashboard, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let t = &d.tally;
    let rows = [
        (Some(DecisionKind::Attest), t.attested),
        (Some(DecisionKind::Revoke), t.revoked),
        (Some(DecisionKind::Exception), t.exception),
        (Some(DecisionKind::Reassign), t.reassigned),
        (Some(DecisionKind::Rotate), t.rotate),
        (None, t.undecided),
    ];
    // A rotate shows once there is one: most campaigns have no credentials.
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|(kind, n)| *kind != Some(DecisionKind::Rotate) || *n > 0)
        .collect();
    let largest = rows.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let number_width = largest.to_string().len();
    let bar_width = (area.width as usize).saturating_sub(13 + number_width + 2);
    let mut lines = vec![Line::styled("Decisions by type", theme.heading())];
    for (kind, n) in rows {
        lines.push(Line::from(format!(
            "{:<13}{} {n:>number_width$}",
            state_cell(kind),
            bar(n, largest, bar_width)
        )));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The reviewers from the `from`th on, as many as fit below the heading
/// and the legend, and how many there are above and below.
fn render_reviewers(d: &Dashboard, from: usize, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let width = area.width as usize;
    let name_width = width.saturating_sub(30).clamp(8, 40);
    let bar_width = width.saturating_sub(name_width + 24).min(20);
    let mut lines = vec![
        Line::styled(
            format!(
                "{:<name_width$} {:<bar_width$} {:>9} {:>8}",
                "By reviewer", "", "done", "recorded"
            ),
            theme.heading(),
        ),
        Line::styled(fit("done: their own items decided", width), theme.dim()),
        Line::styled(
            fit("recorded: their decisions in force, on any item", width),
            theme.dim(),
        ),
    ];
    let from = from.min(d.reviewers.len().saturating_sub(1));
    let room = (area.height as usize).saturating_sub(lines.len());
    let rest = d.reviewers.len() - from;
    let shown = if rest > room {
        room.saturating_sub(1)
    } else {
        room
    };
    for r in d.reviewers.iter().skip(from).take(shown) {
        lines.push(Line::from(format!(
            "{:<name_width$} {} {:>9} {:>8}",
            fit(&sanitize(&r.reviewer), name_width),
            bar(r.decided, r.assigned, bar_width),
            format!("{}/{}", r.decided, r.assigned),
            r.recorded
        )));
    }
    let below = rest.saturating_sub(shown);
    if below > 0 || from > 0 {
        let first = |a| {
            let keys = keys_for(ModeKind::Dashboard, a);
            keys.split('/').next().unwrap_or_default().to_string()
        };
        let keys = format!("{}/{}", first(Action::Down), first(Action::Up));
        lines.push(Line::styled(
            fit(
                &format!("… {below} more below, {from} above ({keys} scroll)"),
                width,
            ),
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// Each part by sponsor: how far it is decided and whether it is signed.
fn parts(d: &Dashboard, theme: &Theme, width: usize, lines: &mut Vec<Line<'static>>) {
    if d.parts.is_empty() {
        return;
    }
    let signed = d.parts.iter().filter(|p| p.is_signed()).count();
    lines.push(Line::from(vec![
        Span::styled("Parts by sponsor: ", theme.heading()),
        Span::raw(format!("{signed} of {} signed", d.parts.len())),
    ]));
    for p in &d.parts {
        let who = if p.owners_part {
            format!("{} (owner)", sanitize(&p.sponsor))
        } else {
            sanitize(&p.sponsor).into_owned()
        };
        let state = match (&p.signer, p.owners_part) {
            (Some(signer), _) => format!("signed by {}", sanitize(signer)),
            (None, true) => "the final sign-off signs it".into(),
            (None, false) => "unsigned".into(),
        };
        let text = format!(
            "  {} {who} · {}/{} decided · {state}",
            if p.is_signed() { "✓" } else { "·" },
            p.decided,
            p.items
        );
        lines.push(Line::from(fit(&text, width)));
    }
}

fn render_waiting(d: &Dashboard, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let width = area.width as usize;
    let waiting = d.tally.undecided + d.tally.reassigned;
    let mut lines = Vec::new();
    parts(d, theme, width, &mut lines);
    lines.extend([Line::from(vec![
        Span::styled("Awaiting a decision: ", theme.heading()),
        Span::raw(format!(
            "{waiting} items, {} with a revoke recommendation",
            d.waiting_revoke_recommended
        )),
    ])]);
    if !d.waiting_by_flag.is_empty() {
        let flags: Vec<String> = d
            .waiting_by_flag
            .iter()
            .map(|(flag, n)| format!("{} {} {n}", flag.code(), flag.label()))
            .collect();
        lines.push(Line::styled(flags.join(" · "), theme.warn()));
    }
    if !d.riskiest_waiting.is_empty() {
        lines.push(Line::styled("Riskiest still waiting", theme.heading()));
        for row in &d.riskiest_waiting {
            let text = format!(
                "  #{:<4} {} · {} · {}  {}",
                row.rank + 1,
                sanitize(&row.identity_name),
                sanitize(&row.system),
                sanitize(&row.entitlement),
                row.flags.codes()
            );
            lines.push(Line::from(fit(&text, width)));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bars_fill_in_proportion() {
        assert_eq!(bar(0, 10, 4), "░░░░");
        assert_eq!(bar(5, 10, 4), "██░░");
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(3, 0, 3), "░░░");
    }
}
