//! The detail pane: everything known about the selected item, the flags
//! with their reasons, the recommendation, its decision history and the
//! same grant's decisions in earlier campaigns. It scrolls when it does
//! not fit.

use super::{Theme, short_day, short_time};
use crate::domain::date::describe_age;
use crate::domain::framework::Mapping;
use crate::domain::people::same_person;
use crate::domain::text::{sanitize, sanitize_multiline};
use crate::domain::{Flag, RemediationStatus, Stamp};
use crate::store::{EarlierDecision, ItemDetail, RemediationTask};
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

/// "2026-05-14 (192 days ago)", or "never"/"—" when unknown; the age
/// counts from `today`, which the detail sets to the campaign's as-of date.
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

/// How a framework is named beside its controls: its key in capitals,
/// less what the control ids already say ("owasp-nhi" and "NHI7:2025" read
/// "OWASP NHI7:2025"; "nist-csf" and "PR.AA-05" read "NIST CSF PR.AA-05").
fn framework_prefix(key: &str, first_id: &str) -> String {
    let words: Vec<String> = key.split('-').map(str::to_uppercase).collect();
    let keep = match words.last() {
        Some(last) if words.len() > 1 && first_id.to_uppercase().starts_with(last.as_str()) => {
            words.len() - 1
        }
        _ => words.len(),
    };
    words[..keep].join(" ")
}

/// The controls a flag evidences, grouped by framework on one line:
/// "OWASP NHI1:2025 · NIST CSF PR.AA-05, DE.CM-03".
pub fn controls_text(flag: Flag) -> Result<String, String> {
    let mapping = Mapping::embedded()?;
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for control in mapping.controls(flag) {
        match groups.iter_mut().find(|(key, _)| *key == control.framework) {
            Some((_, ids)) => ids.push(&control.id),
            None => groups.push((&control.framework, vec![&control.id])),
        }
    }
    Ok(groups
        .iter()
        .map(|(key, ids)| format!("{} {}", framework_prefix(key, ids[0]), ids.join(", ")))
        .collect::<Vec<_>>()
        .join(" · "))
}

/// An earlier outcome: "⧗ exception by X (reviewer Y)".
fn outcome(e: &EarlierDecision) -> String {
    if e.close_action {
        // Nobody reviewed it: the close gave it the campaign's close action.
        let what = match e.decision {
            Some(crate::domain::DecisionKind::Revoke) => "✗ revoked",
            Some(crate::domain::DecisionKind::Rotate) => "↻ kept to rotate",
            _ => "✓ kept",
        };
        return match &e.at {
            Some(at) => format!("{what} by the close action on {}", short_day(at)),
            None => format!("{what} by the close action"),
        };
    }
    let mut text = super::queue::state_cell(e.decision);
    if let Some(actor) = &e.actor {
        text.push_str(&format!(" by {}", sanitize(actor)));
    }
    if let Some(at) = &e.at {
        text.push_str(&format!(" on {}", short_day(at)));
    }
    if !e
        .actor
        .as_deref()
        .is_some_and(|actor| same_person(actor, &e.reviewer))
    {
        text.push_str(&format!(" (reviewer {})", sanitize(&e.reviewer)));
    }
    text
}

/// Where the revoke stands against the snapshots imported since.
fn remediation_line(task: &RemediationTask, theme: &Theme) -> Line<'static> {
    let status = format!(
        "{} {}",
        super::remediation_symbol(task.status),
        task.status.label()
    );
    let text = match (&task.proof, task.status) {
        (Some(p), RemediationStatus::StillEffective) => format!(
            "{status}: {} (snapshot {}, {}) still holds it",
            sanitize(&p.file_name),
            p.id,
            short_day(&p.imported_at)
        ),
        (Some(p), _) => format!(
            "{status}: gone from {} (snapshot {}, {})",
            sanitize(&p.file_name),
            p.id,
            short_day(&p.imported_at)
        ),
        (None, _) => format!("{status}: no snapshot of its scope imported since"),
    };
    let text = match &task.carried_from {
        Some(earlier) => format!("{text} (revoked in “{}”)", sanitize(earlier)),
        None => text,
    };
    Line::from(vec![
        Span::styled(format!("{:<12}", "Remediation"), theme.dim()),
        Span::styled(text, super::remediation::status_style(theme, task.status)),
    ])
}

/// What the entitlement catalog says of the entitlement, when it does:
/// its description, then sensitivity, data classes and owner on one line.
fn catalog_lines<'a>(d: &ItemDetail, theme: &Theme) -> Vec<Line<'a>> {
    let Some(c) = &d.catalog else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if c.description.is_some() {
        out.push(field(theme, "What", or_dash(&c.description)));
    }
    let sensitive = c
        .sensitivity
        .as_deref()
        .and_then(|s| s.parse::<crate::domain::catalog::Sensitivity>().ok())
        .is_some_and(|s| s.is_sensitive());
    let mut data = vec![Span::styled(format!("{:<12}", "Data"), theme.dim())];
    data.push(Span::styled(
        or_dash(&c.sensitivity),
        if sensitive {
            theme.danger()
        } else {
            Style::default()
        },
    ));
    data.push(Span::raw(format!(
        " · {} · owner {}",
        or_dash(&c.data_classes),
        or_dash(&c.owner)
    )));
    out.push(Line::from(data));
    out
}

pub(super) fn lines<'a>(app: &'a App, d: &'a ItemDetail, theme: &Theme) -> Vec<Line<'a>> {
    // The flags' reasons were written counting from the campaign's as-of
    // date; the fields count from it too, so that one date never reads as
    // two ages. Said when it is not today.
    let today = app.campaign.as_of;
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
    if today != app.today {
        out.push(Line::styled(
            format!("Days ago as of {today}, the campaign's as-of date"),
            theme.dim(),
        ));
    }
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
        let controls = Flag::from_name(&finding.flag).map(controls_text);
        match controls {
            Some(Ok(text)) if !text.is_empty() => {
                out.push(Line::styled(format!("    ↳ {text}"), theme.dim()))
            }
            Some(Err(e)) => out.push(Line::styled(
                format!("    ↳ framework mapping unreadable: {e}"),
                theme.danger(),
            )),
            _ => {}
        }
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
    ]);
    out.extend(catalog_lines(d, theme));
    if d.active == Some(false) {
        out.push(Line::from(vec![
            Span::styled(format!("{:<12}", "Account"), theme.dim()),
            Span::styled("✗ disabled at the source", theme.danger()),
        ]));
    }
    out.extend([
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
    if d.tier.is_some() {
        out.push(field(theme, "Tier", or_dash(&d.tier)));
    }
    if d.contract_end.is_some() {
        out.push(field(
            theme,
            "Contract",
            format!("ends {}", dated(&d.contract_end, today, "—")),
        ));
    }
    if !d.register_fields.is_empty() {
        let fields: Vec<String> = d
            .register_fields
            .iter()
            .map(|f| sanitize(&f.replace('_', " ")).into_owned())
            .collect();
        out.push(field(
            theme,
            "Register",
            format!("supplied the {}", fields.join(", ")),
        ));
    }
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
    if let Some(task) = app.detail_task.as_ref().filter(|t| t.item == r.id.0) {
        out.push(remediation_line(task, theme));
    }
    let last = app
        .campaign
        .previous
        .as_deref()
        .map(|p| sanitize(p).into_owned());
    let since = match (&r.since[..], &d.since_detail, &last) {
        (_, _, None) => "first campaign of its scope: nothing to compare with".to_string(),
        ("changed", Some(detail), Some(last)) => {
            format!("changed since {last}: {}", sanitize(detail))
        }
        ("changed", None, Some(last)) => format!("changed since {last}"),
        ("unchanged", _, Some(last)) => format!("unchanged since {last}"),
        ("new", _, Some(last)) => format!("new: not in {last}"),
        (other, _, _) => sanitize(other).into_owned(),
    };
    out.push(field(theme, "Since", since));
    if let Some(previous) = &d.previous {
        out.push(field(
            theme,
            "Last time",
            format!("{}: {}", sanitize(&previous.campaign), outcome(previous)),
        ));
        if let Some(note) = &previous.note {
            for line in sanitize_multiline(note).lines() {
                out.push(Line::styled(format!("            “{line}”"), theme.dim()));
            }
        }
    }
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
    // The previous campaign's outcome is shown above; the rest follow.
    let previous = d.previous.as_ref().map(|p| p.item);
    let earlier: Vec<&EarlierDecision> = d
        .earlier
        .iter()
        .filter(|e| Some(e.item) != previous)
        .collect();
    if !earlier.is_empty() {
        out.push(Line::default());
        out.push(Line::styled("Earlier campaigns", theme.heading()));
        for e in earlier {
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
        Some(detail) => lines(app, detail, theme),
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

#[cfg(test)]
mod tests {
    use super::{EarlierDecision, controls_text, framework_prefix, outcome};
    use crate::domain::{DecisionKind, Flag};
    use crate::store::ItemId;

    #[test]
    fn a_close_action_reads_as_one_not_as_a_review() {
        let mut e = EarlierDecision {
            campaign: "Q3".into(),
            item: ItemId(7),
            decision: Some(DecisionKind::Attest),
            reviewer: "a@x".into(),
            actor: Some("owner@x".into()),
            at: Some("2026-09-30T10:00:00.000Z".into()),
            note: None,
            close_action: true,
        };
        assert_eq!(outcome(&e), "✓ kept by the close action on 2026-09-30");
        e.close_action = false;
        assert!(outcome(&e).contains("by owner@x"), "{}", outcome(&e));
    }

    #[test]
    fn controls_read_compactly_grouped_by_framework() {
        assert_eq!(
            controls_text(Flag::Dormant).unwrap(),
            "OWASP NHI1:2025 · NIST CSF PR.AA-05, DE.CM-03"
        );
        assert_eq!(
            controls_text(Flag::CrossTenant).unwrap(),
            "OWASP NHI8:2025, NHI9:2025 · NIST CSF GV.SC-07"
        );
        assert_eq!(
            controls_text(Flag::SelfReview).unwrap(),
            "NIST CSF PR.AA-05"
        );
        for flag in Flag::ALL {
            assert!(!controls_text(*flag).unwrap().is_empty(), "{flag:?}");
        }
    }

    #[test]
    fn a_framework_is_named_by_its_key_less_what_the_ids_repeat() {
        assert_eq!(framework_prefix("owasp-nhi", "NHI7:2025"), "OWASP");
        assert_eq!(framework_prefix("nist-csf", "PR.AA-05"), "NIST CSF");
        assert_eq!(framework_prefix("iso", "A.5.15"), "ISO");
        assert_eq!(framework_prefix("cis", "CIS5"), "CIS", "a lone word stays");
    }
}
