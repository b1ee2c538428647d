//! The detail pane: everything known about the selected item, the flags
//! with their reasons, the recommendation, its decision history and the
//! same grant's decisions in earlier campaigns. It scrolls when it does
//! not fit.

use super::Theme;
use crate::domain::date::describe_age;
use crate::domain::text::{sanitize, sanitize_multiline};
use crate::domain::{Flag, Stamp};
use crate::store::ItemDetail;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::{ModeKind, keys_for};
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

fn or_dash(value: &Option<String>) -> String {
    value
        .as_deref()
        .map(|v| sanitize(v).into_owned())
        .unwrap_or_else(|| "—".into())
}

/// "2026-05-14 (192 days ago)", or "never"/"—" when unknown.
fn dated(value: &Option<String>, today: NaiveDate, unknown: &str) -> String {
    match value.as_deref().map(Stamp::parse) {
        Some(Ok(stamp)) => format!("{} ({})", stamp.day(), describe_age(stamp.day(), today)),
        Some(Err(_)) => or_dash(value),
        None => unknown.to_string(),
    }
}

fn field<'a>(theme: &Theme, label: &'a str, value: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<12}"), theme.dim()),
        Span::raw(value),
    ])
}

pub(super) fn lines<'a>(d: &'a ItemDetail, today: NaiveDate, theme: &Theme) -> Vec<Line<'a>> {
    let r = &d.row;
    let mut out = vec![
        Line::from(vec![
            Span::styled(sanitize(&r.identity_name).into_owned(), theme.heading()),
            Span::raw(format!("  {}", sanitize(&r.identity_id))),
        ]),
        Line::from(format!(
            "{} · {} · {} · {}",
            r.relationship,
            r.kind,
            or_dash(&r.organization),
            or_dash(&d.region)
        )),
    ];
    if d.findings.is_empty() {
        out.push(Line::styled("No risk flags.", theme.good()));
    }
    for finding in &d.findings {
        let code = Flag::from_name(&finding.flag).map_or("???", Flag::code);
        let label = Flag::from_name(&finding.flag)
            .map_or_else(|| finding.flag.clone(), |f| f.label().to_string());
        out.push(Line::from(vec![
            Span::styled(format!("{code} "), theme.danger()),
            Span::styled(format!("{label}: "), theme.heading()),
            Span::raw(sanitize(&finding.reason).into_owned()),
        ]));
    }
    let style = if r.recommendation.suggests_revoke() {
        theme.danger()
    } else {
        Style::default()
    };
    out.push(Line::from(vec![
        Span::styled("Recommendation ", theme.dim()),
        Span::styled(r.recommendation.label().to_string(), style),
    ]));
    out.extend([
        field(
            theme,
            "Tenant",
            if r.tenant.is_empty() {
                "—".into()
            } else {
                sanitize(&r.tenant).into_owned()
            },
        ),
        field(
            theme,
            "System",
            format!(
                "{} · environment {}",
                sanitize(&r.system),
                or_dash(&r.environment)
            ),
        ),
        field(
            theme,
            "Entitlement",
            format!(
                "{}{}{}",
                sanitize(&r.entitlement),
                if r.privileged { "  [privileged]" } else { "" },
                if d.shared { "  [shared]" } else { "" }
            ),
        ),
        field(theme, "Sponsor", or_dash(&d.sponsor)),
        field(
            theme,
            "Owners",
            format!(
                "{} (business) · {} (technical)",
                or_dash(&d.business_owner),
                or_dash(&d.technical_owner)
            ),
        ),
        field(theme, "Granted", dated(&d.granted_at, today, "—")),
        field(theme, "Expires", dated(&d.expires_at, today, "no end date")),
        field(theme, "Last used", dated(&d.last_used_at, today, "never")),
    ]);
    if d.credential_rotated_at.is_some() {
        out.push(field(
            theme,
            "Rotated",
            dated(&d.credential_rotated_at, today, "—"),
        ));
    }
    out.push(field(
        theme,
        "Why",
        format!(
            "{} · ticket {}",
            or_dash(&d.justification),
            or_dash(&d.ticket)
        ),
    ));
    out.push(field(theme, "Reviewer", sanitize(&r.assignee).into_owned()));
    let mut decision = super::queue::state_cell(r.decision);
    if let Some(by) = &r.decided_by {
        decision.push_str(&format!(" by {}", sanitize(by)));
    }
    if let Some(until) = &r.exception_until {
        decision.push_str(&format!(" until {}", sanitize(until)));
    }
    out.push(field(theme, "Decision", decision));
    let since = match (&r.since[..], &d.since_detail) {
        ("changed", Some(detail)) => {
            format!("changed since the last campaign: {}", sanitize(detail))
        }
        ("unchanged", _) => "unchanged since the last campaign".into(),
        ("new", _) => "new since the last campaign".into(),
        (other, _) => other.to_string(),
    };
    out.push(Line::styled(since, theme.dim()));
    if !d.history.is_empty() {
        out.push(Line::default());
        out.push(Line::styled("History", theme.heading()));
        for h in &d.history {
            let mut text = format!("{} {} by {}", short_time(&h.at), h.kind, sanitize(&h.actor));
            if let Some(until) = &h.until {
                text.push_str(&format!(" until {until}"));
            }
            if let Some(to) = &h.to {
                text.push_str(&format!(" to {}", sanitize(to)));
            }
            if let Some(undone) = h.undoes {
                text.push_str(&format!(" (reverts event {undone})"));
            }
            if let Some(ticket) = &h.ticket {
                text.push_str(&format!(" ticket {}", sanitize(ticket)));
            }
            if h.bulk {
                text.push_str(" (bulk)");
            }
            if h.self_review {
                text.push_str(" (self-review)");
            }
            out.push(Line::from(text));
            if let Some(note) = &h.note {
                for line in sanitize_multiline(note).lines() {
                    out.push(Line::styled(format!("    “{line}”"), theme.dim()));
                }
            }
        }
    }
    if !d.earlier.is_empty() {
        out.push(Line::default());
        out.push(Line::styled("Earlier campaigns", theme.heading()));
        for e in &d.earlier {
            let decision = crate::domain::decision::state_label(e.decision);
            let by = e
                .actor
                .as_deref()
                .map(|a| format!(" by {}", sanitize(a)))
                .unwrap_or_default();
            let note = e
                .note
                .as_deref()
                .map(|n| format!(" “{}”", sanitize(n)))
                .unwrap_or_default();
            out.push(Line::from(format!(
                "{}: {decision}{by}{note}",
                sanitize(&e.campaign)
            )));
        }
    }
    out
}

/// "2026-11-22 14:03" from a stored RFC 3339 time.
fn short_time(at: &str) -> String {
    let cut: String = at.chars().take(16).collect();
    cut.replace('T', " ")
}

pub fn render(app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let max = super::detail_max_scroll(app);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(" Detail ", theme.title()));
    if max > 0 {
        let keys = [Action::ScrollDetailDown, Action::ScrollDetailUp]
            .iter()
            .map(|a| keys_for(ModeKind::Browse, *a))
            .collect::<Vec<_>>()
            .join("/");
        let at = app.detail_scroll.min(max);
        let more = match (at > 0, at < max) {
            (true, true) => "▲▼ more",
            (false, true) => "▼ more",
            _ => "▲ more",
        };
        block = block.title_bottom(Line::from(format!(" {more} · {keys} scroll ")).right_aligned());
    }
    let text = match &app.detail {
        Some(detail) => lines(detail, app.today, theme),
        None => vec![],
    };
    frame.render_widget(
        Paragraph::new(text)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((app.detail_scroll.min(max), 0)),
        area,
    );
}
