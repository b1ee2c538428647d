//! The sign-off and close screens: what is being signed (counts per
//! decision, exceptions with their end dates, revocations, items nobody
//! decided, who decided, whether the signer reviewed too, what the close
//! will do), scrollable, above the signature's fields.

use super::queue::state_cell;
use super::{Theme, areas_for, short_time, wrapped_height};
use crate::domain::text::sanitize;
use crate::domain::{CampaignState, DecisionKind};
use crate::rules::signoff::SignerRole;
use crate::store::{ItemList, ItemRow, SignoffSummary};
use crate::tui::action::Action;
use crate::tui::app::{App, Input, Lifecycle, Mode, Step};
use crate::tui::keymap::{ModeKind, keys_for};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// How a campaign's state reads: "open", "signed off", "closed".
pub fn state_words(state: CampaignState) -> &'static str {
    match state {
        CampaignState::Open => "open",
        CampaignState::SignedOff => "signed off",
        CampaignState::Closed => "closed",
        CampaignState::Cancelled => "cancelled",
    }
}

fn role_words(step: Step, role: Option<SignerRole>) -> &'static str {
    match (step, role) {
        (Step::SignOff, Some(SignerRole::Owner)) => {
            ", the campaign's owner: the final sign-off, which freezes it whole"
        }
        (Step::SignOff, Some(SignerRole::Sponsor)) => {
            ", a sponsor: your part, which freezes it while the others go on"
        }
        (_, Some(SignerRole::Owner)) => ", the campaign's owner",
        (_, Some(SignerRole::Sponsor)) => ", a sponsor of items in it",
        (_, None) => "",
    }
}

/// Each part, whether it is signed, and who is still working.
fn parts(out: &mut Vec<Line<'static>>, theme: &Theme, s: &SignoffSummary, actor: &str) {
    out.push(Line::default());
    out.push(Line::styled(
        format!("Parts by sponsor ({})", s.parts.len()),
        theme.heading(),
    ));
    for p in &s.parts {
        let mut who = sanitize(&p.sponsor).into_owned();
        if p.owners_part {
            who.push_str(" (owner: no sponsor)");
        } else if crate::domain::people::same_person(&p.sponsor, actor) {
            who.push_str(" (yours)");
        }
        let state = match (&p.signer, &p.signed_at, p.owners_part) {
            (Some(signer), Some(at), _) => format!(
                "signed by {} on {} (event {})",
                sanitize(signer),
                short_time(at),
                p.event.unwrap_or_default()
            ),
            (_, _, true) => "the owner's final sign-off signs it".into(),
            _ => "unsigned".into(),
        };
        let line = format!(
            "  {} {who} · {} · {} decided · {state}",
            if p.is_signed() { "✓" } else { "·" },
            plural(p.items, "item", "items"),
            p.decided
        );
        out.push(if p.is_signed() || p.owners_part {
            Line::from(line)
        } else {
            Line::styled(line, theme.warn())
        });
    }
    if !s.working.is_empty() {
        let who: Vec<String> = s
            .working
            .iter()
            .map(|(reviewer, n)| format!("{} ({n})", sanitize(reviewer)))
            .collect();
        out.push(Line::from(format!(
            "  Still working (undecided items): {}",
            who.join(", ")
        )));
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A decision's symbol alone, under a heading that says the word.
fn symbol(decision: Option<DecisionKind>) -> String {
    state_cell(decision)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn item_text(item: &ItemRow) -> String {
    format!(
        "#{} {} · {} · {}",
        item.rank + 1,
        sanitize(&item.identity_name),
        sanitize(&item.system),
        sanitize(&item.entitlement)
    )
}

fn note_text(note: &Option<String>) -> String {
    note.as_deref()
        .map(|n| format!(" “{}”", sanitize(&n.replace('\n', " "))))
        .unwrap_or_default()
}

/// A heading with the count, the riskiest few, and how many more.
fn list(
    out: &mut Vec<Line<'static>>,
    theme: &Theme,
    title: &str,
    items: &ItemList,
    line: impl Fn(&ItemRow) -> String,
) {
    out.push(Line::default());
    out.push(Line::styled(
        format!("{title} ({})", items.total),
        theme.heading(),
    ));
    if items.total == 0 {
        out.push(Line::styled("  none", theme.dim()));
        return;
    }
    for item in &items.first {
        out.push(Line::from(format!("  {}", line(item))));
    }
    let more = items.total.saturating_sub(items.first.len() as u64);
    if more > 0 {
        out.push(Line::styled(
            format!("  … and {more} more, riskiest first (recert report lists every one)"),
            theme.dim(),
        ));
    }
}

fn exceptions(out: &mut Vec<Line<'static>>, theme: &Theme, s: &SignoffSummary) {
    list(out, theme, "Exceptions", &s.exceptions, |i| {
        format!(
            "{} {} · until {}{} · by {}",
            symbol(Some(DecisionKind::Exception)),
            item_text(i),
            i.exception_until.as_deref().map_or("—".into(), sanitize),
            i.ticket
                .as_deref()
                .map(|t| format!(" · ticket {}", sanitize(t)))
                .unwrap_or_default(),
            sanitize(i.decided_by.as_deref().unwrap_or("—"))
        )
    });
}

fn revocations(out: &mut Vec<Line<'static>>, theme: &Theme, s: &SignoffSummary) {
    list(out, theme, "Revocations", &s.revocations, |i| {
        format!(
            "{} {} · by {}{}",
            symbol(Some(DecisionKind::Revoke)),
            item_text(i),
            sanitize(i.decided_by.as_deref().unwrap_or("—")),
            note_text(&i.note)
        )
    });
}

fn rotations(out: &mut Vec<Line<'static>>, theme: &Theme, s: &SignoffSummary) {
    // Most campaigns promise no rotation: no heading for none.
    if s.rotations.total == 0 {
        return;
    }
    list(out, theme, "Rotations", &s.rotations, |i| {
        format!(
            "{} {} · by {} · decided by {}",
            symbol(Some(DecisionKind::Rotate)),
            item_text(i),
            i.rotate_by.as_deref().map_or("—".into(), sanitize),
            sanitize(i.decided_by.as_deref().unwrap_or("—"))
        )
    });
}

fn undecided(out: &mut Vec<Line<'static>>, theme: &Theme, s: &SignoffSummary) {
    list(out, theme, "Undecided", &s.undecided, |i| {
        format!(
            "{} {} · waiting on {} · recommended {}",
            symbol(None),
            item_text(i),
            sanitize(&i.assignee),
            sanitize(&i.recommendation.as_str().replace('_', " "))
        )
    });
}

/// What closing does to the items nobody decided.
fn close_action(s: &SignoffSummary) -> String {
    let waiting = s.waiting();
    if waiting == 0 {
        return "Every item has a decision: closing records nothing else.".into();
    }
    format!(
        "At close the {} nobody decided get the close action {}: {} kept{}, {} revoked, each \
         recorded as a decision by whoever closes, marked as a close action.",
        plural(waiting, "item", "items"),
        s.on_close,
        s.close_preview.keep,
        crate::domain::rotation::kept_with_rotate(s.close_preview.rotate),
        s.close_preview.revoke
    )
}

/// What is being signed or closed, as lines to scroll through.
pub fn summary_lines(
    screen: &Lifecycle,
    summary: &SignoffSummary,
    actor: &str,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let s = summary;
    let t = &s.tally;
    let verb = match screen.step {
        Step::SignOff => "Signing",
        Step::Close => "Closing",
    };
    let mut out = vec![Line::from(vec![
        Span::styled(format!("{verb} as "), theme.dim()),
        Span::styled(
            format!(
                "{}{}",
                sanitize(actor),
                role_words(screen.step, screen.role)
            ),
            theme.heading(),
        ),
    ])];
    if screen.role != Some(SignerRole::Owner) {
        out.push(Line::styled(
            format!("The campaign's owner is {}.", sanitize(&s.owner)),
            theme.dim(),
        ));
    }
    if screen.step == Step::Close {
        for signed in &s.signoffs {
            out.push(Line::from(format!(
                "Signed off by {} ({}) on {} (event {}){}",
                sanitize(&signed.signer),
                signed.role.as_str(),
                short_time(&signed.at),
                signed.seq,
                note_text(&Some(signed.note.clone()))
            )));
        }
    }
    out.push(Line::default());
    out.push(Line::styled(
        format!("Decisions on {} items", t.total),
        theme.heading(),
    ));
    out.push(Line::from(format!(
        "  {} {} · {} {} · {} {} · {} {} · {} {}",
        state_cell(Some(DecisionKind::Attest)),
        t.attested,
        state_cell(Some(DecisionKind::Revoke)),
        t.revoked,
        state_cell(Some(DecisionKind::Exception)),
        t.exception,
        state_cell(Some(DecisionKind::Reassign)),
        t.reassigned,
        state_cell(None),
        t.undecided
    )));
    let (waiting, unsigned) = crate::tui::app::to_acknowledge(screen.role, s, actor);
    if screen.step == Step::SignOff
        && let Some(n) = unsigned.filter(|n| *n > 0)
    {
        out.push(Line::styled(
            format!(
                "! {} nobody signed: to sign off without {}, type {n} below.",
                plural(n, "sponsor's part", "sponsors' parts"),
                if n == 1 { "it" } else { "them" }
            ),
            theme.warn(),
        ));
    }
    let whose = if screen.role == Some(SignerRole::Sponsor) {
        " in your part"
    } else {
        ""
    };
    match screen.step {
        Step::SignOff if waiting > 0 => out.push(Line::styled(
            format!(
                "! {} nobody decided{whose}: to sign anyway, type {waiting} below and say so \
                 in the note.",
                plural(waiting, "item", "items")
            ),
            theme.warn(),
        )),
        Step::SignOff => out.push(Line::styled(
            format!("Every item{whose} has a decision."),
            theme.good(),
        )),
        Step::Close => {}
    }
    out.push(match screen.step {
        Step::Close => Line::styled(
            close_action(s),
            if waiting > 0 {
                theme.warn()
            } else {
                theme.dim()
            },
        ),
        Step::SignOff if waiting > 0 => Line::styled(
            format!(
                "At close they get the close action {}: {} kept{}, {} revoked.",
                s.on_close,
                s.close_preview.keep,
                crate::domain::rotation::kept_with_rotate(s.close_preview.rotate),
                s.close_preview.revoke
            ),
            theme.dim(),
        ),
        Step::SignOff => Line::styled(
            "Closing will record nothing else: every item has a decision.",
            theme.dim(),
        ),
    });
    if screen.step == Step::SignOff {
        parts(&mut out, theme, s, actor);
    }
    if screen.step == Step::Close {
        out.push(Line::from(format!(
            "After closing, the campaign takes no more decisions and no more sign-offs; {} \
             revoked now, {} more by the close action, each a remediation task ({} lists them).",
            t.revoked,
            s.close_preview.revoke,
            keys_for(ModeKind::Browse, Action::Remediation)
        )));
        undecided(&mut out, theme, s);
        exceptions(&mut out, theme, s);
        revocations(&mut out, theme, s);
        rotations(&mut out, theme, s);
    } else {
        exceptions(&mut out, theme, s);
        revocations(&mut out, theme, s);
        rotations(&mut out, theme, s);
        undecided(&mut out, theme, s);
    }
    out.push(Line::default());
    out.push(Line::styled("Who decided", theme.heading()));
    if s.decisions_by.is_empty() {
        out.push(Line::styled(
            "  nobody has decided anything yet",
            theme.dim(),
        ));
    }
    for d in &s.decisions_by {
        let mut line = format!(
            "  {}: {}",
            sanitize(&d.actor),
            plural(d.decisions, "decision", "decisions")
        );
        if d.self_review > 0 {
            line.push_str(&format!(", {} on their own access", d.self_review));
        }
        if d.against_recommendation > 0 {
            line.push_str(&format!(
                ", {} against the recommendation",
                d.against_recommendation
            ));
        }
        out.push(Line::from(line));
    }
    if s.self_review_decisions > 0 {
        out.push(Line::styled(
            format!(
                "Self-review: {} on the decider's own access.",
                plural(s.self_review_decisions, "decision", "decisions")
            ),
            theme.warn(),
        ));
    }
    let own = s.decisions_of(actor);
    let all: u64 = s.decisions_by.iter().map(|d| d.decisions).sum();
    out.push(match (screen.step, own) {
        (Step::SignOff, 0) => Line::styled("You made none of these decisions.", theme.dim()),
        (Step::SignOff, _) => Line::styled(
            format!(
                "You made {own} of the {all} decisions you are signing: the sign-off and every \
                 report say so."
            ),
            theme.warn(),
        ),
        (Step::Close, 0) => Line::styled(
            "You made none of the reviewed decisions; the close action's will be yours.",
            theme.dim(),
        ),
        (Step::Close, _) => Line::styled(
            format!(
                "You made {own} of the {all} reviewed decisions; the close action's will be \
                 yours too."
            ),
            theme.dim(),
        ),
    });
    if screen.step == Step::SignOff {
        for signed in &s.signoffs {
            out.push(Line::from(format!(
                "Already signed off by {} ({}) on {} (event {}){}",
                sanitize(&signed.signer),
                signed.role.as_str(),
                short_time(&signed.at),
                signed.seq,
                note_text(&Some(signed.note.clone()))
            )));
        }
    }
    out
}

/// Rows of the note editor: more where there is room.
fn note_rows(inner: Rect) -> u16 {
    if inner.height >= 30 { 6 } else { 3 }
}

/// Rows under the summary: the fields, or why there are none.
fn fields_height(screen: &Lifecycle, inner: Rect) -> u16 {
    if screen.summary.is_none() {
        0
    } else if screen.fields.is_empty() {
        5
    } else {
        let one_line = screen.fields.len() as u16 - 1;
        one_line + 1 + note_rows(inner) + 2
    }
}

fn inner_of(area: Rect) -> Rect {
    Block::default().borders(Borders::ALL).inner(area)
}

fn split(screen: &Lifecycle, inner: Rect) -> [Rect; 2] {
    Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(fields_height(screen, inner)),
    ])
    .areas(inner)
}

fn summary_area(app: &App) -> Option<(Rect, &Lifecycle)> {
    let Mode::Lifecycle(screen) = &app.mode else {
        return None;
    };
    let [summary, _] = split(screen, inner_of(areas_for(app.size).body));
    Some((summary, screen))
}

/// Rows of the summary visible at once.
pub fn lifecycle_summary_height(app: &App) -> u16 {
    summary_area(app).map_or(0, |(area, _)| area.height)
}

/// How far the summary can scroll at this size.
pub fn lifecycle_max_scroll(app: &App) -> u16 {
    let Some((area, screen)) = summary_area(app) else {
        return 0;
    };
    let Some(summary) = &screen.summary else {
        return 0;
    };
    let theme = Theme { color: false };
    let total = wrapped_height(
        summary_lines(screen, summary, &app.reviewer, &theme),
        area.width,
    );
    total.saturating_sub(area.height)
}

pub fn render(screen: &Lifecycle, app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let (title, save) = match screen.step {
        Step::SignOff => ("Sign off", "sign off"),
        Step::Close => ("Close", "close the campaign"),
    };
    let mut hints = vec![format!(
        "{} {save}",
        keys_for(ModeKind::Lifecycle, Action::Save)
    )];
    if screen.fields.len() > 1 {
        hints.push(format!(
            "{} next field",
            keys_for(ModeKind::Lifecycle, Action::NextField)
        ));
    }
    let max = lifecycle_max_scroll(app);
    if max > 0 {
        hints.push(format!(
            "{}/{} scroll",
            keys_for(ModeKind::Lifecycle, Action::PageDown),
            keys_for(ModeKind::Lifecycle, Action::PageUp)
        ));
    }
    hints.push(format!(
        "{} cancel",
        keys_for(ModeKind::Lifecycle, Action::Cancel)
    ));
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(
            format!(" {title} · {} ", sanitize(&app.campaign.name)),
            theme.title(),
        ))
        .title_bottom(Line::from(format!(" {} ", hints.join(" · "))).right_aligned());
    let scroll = screen.scroll.min(max);
    if max > 0 {
        let more = match (scroll > 0, scroll < max) {
            (true, true) => " ▲▼ more ",
            (false, true) => " ▼ more ",
            _ => " ▲ more ",
        };
        block = block.title(Line::from(more).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [summary_area, fields_area] = split(screen, inner);
    let Some(summary) = &screen.summary else {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "reading the campaign: counts, exceptions, revocations, undecided items…",
                theme.dim(),
            )),
            summary_area,
        );
        return;
    };
    frame.render_widget(
        Paragraph::new(summary_lines(screen, summary, &app.reviewer, theme))
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        summary_area,
    );
    render_fields(screen, summary, app, theme, frame, fields_area);
}

fn render_fields(
    screen: &Lifecycle,
    summary: &SignoffSummary,
    app: &App,
    theme: &Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let error = screen.error.as_deref().map(|e| {
        Paragraph::new(Line::styled(format!("! {}", sanitize(e)), theme.danger()))
            .wrap(Wrap { trim: true })
    });
    if screen.fields.is_empty() {
        let [why, error_area] =
            Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
        let why_text =
            barrier(screen.step, summary, screen.role, &app.reviewer).unwrap_or_default();
        frame.render_widget(
            Paragraph::new(vec![
                Line::styled(format!("! {}", sanitize(&why_text)), theme.danger()),
                Line::styled(
                    format!(
                        "{} goes back to the queue.",
                        keys_for(ModeKind::Lifecycle, Action::Cancel)
                    ),
                    theme.dim(),
                ),
            ])
            .wrap(Wrap { trim: true }),
            why,
        );
        if let Some(error) = error {
            frame.render_widget(error, error_area);
        }
        return;
    }
    let mut constraints: Vec<Constraint> = screen
        .fields
        .iter()
        .filter(|(i, _)| i.is_single_line())
        .map(|_| Constraint::Length(1))
        .collect();
    constraints.extend([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(2),
    ]);
    let rows = Layout::vertical(constraints).split(area);
    let marker = |input: Input| {
        if screen.focused() == Some(input) {
            "▶"
        } else {
            " "
        }
    };
    let mut at = 0;
    for (input, field) in screen.fields.iter().filter(|(i, _)| i.is_single_line()) {
        let [label, text] =
            Layout::horizontal([Constraint::Length(11), Constraint::Min(1)]).areas(rows[at]);
        frame.render_widget(
            Paragraph::new(format!("{}{:<10}", marker(*input), input.label()))
                .style(theme.heading()),
            label,
        );
        frame.render_widget(field, text);
        at += 1;
    }
    let (waiting, _) = crate::tui::app::to_acknowledge(screen.role, summary, &app.reviewer);
    let (requirement, style) = match screen.step {
        Step::SignOff if waiting > 0 => (
            format!(
                "required: what was checked, and that {waiting} {} undecided",
                if waiting == 1 { "is" } else { "are" }
            ),
            theme.warn(),
        ),
        Step::SignOff => ("required: what was checked".to_string(), theme.warn()),
        Step::Close => ("optional".to_string(), theme.dim()),
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!("{}Note ", marker(Input::Note)), theme.heading()),
            Span::styled(requirement, style),
        ])),
        rows[at],
    );
    if let Some((_, note)) = screen.fields.iter().find(|(i, _)| *i == Input::Note) {
        let indented = Rect {
            x: rows[at + 1].x + 1,
            width: rows[at + 1].width.saturating_sub(1),
            ..rows[at + 1]
        };
        frame.render_widget(note, indented);
    }
    if let Some(error) = error {
        frame.render_widget(error, rows[at + 2]);
    }
}

/// Why `actor` cannot take `step` on the campaign as `summary` shows it,
/// if they cannot: the store's rules, said before anything is typed.
pub fn barrier(
    step: Step,
    summary: &SignoffSummary,
    role: Option<SignerRole>,
    actor: &str,
) -> Option<String> {
    let signed = summary
        .signoffs
        .iter()
        .find(|s| crate::domain::people::same_person(&s.signer, actor));
    let part = summary.part_of(actor);
    match step {
        Step::SignOff if summary.state == CampaignState::Closed => {
            Some("The campaign is closed: sign-offs are over.".into())
        }
        Step::SignOff if role.is_none() => Some(format!(
            "Only the campaign's owner ({}) or a sponsor of its items can sign it off; {actor} \
             is neither, so this is a preview.",
            summary.owner
        )),
        Step::SignOff if !summary.signoffs.is_empty() => summary.signoffs.first().map(|s| {
            format!(
                "{} signed this campaign off on {} (event {}): sign-offs are over.",
                if signed.is_some() {
                    "You".to_string()
                } else {
                    sanitize(&s.signer).into_owned()
                },
                short_time(&s.at),
                s.seq
            )
        }),
        Step::SignOff if role == Some(SignerRole::Sponsor) => {
            part.filter(|p| p.is_signed()).map(|p| {
                format!(
                    "You signed your part on {} (event {}); nobody signs twice.",
                    short_time(p.signed_at.as_deref().unwrap_or_default()),
                    p.event.unwrap_or_default()
                )
            })
        }
        Step::SignOff => None,
        Step::Close if summary.state == CampaignState::Open => {
            Some("The campaign is open: it closes after its owner's final sign-off.".into())
        }
        Step::Close if summary.state == CampaignState::Closed => {
            Some("The campaign is already closed.".into())
        }
        Step::Close if role.is_none() && signed.is_none() => Some(format!(
            "Only the campaign's owner ({}), a sponsor of its items or one of its signers can \
             close it; {actor} is none of these.",
            summary.owner
        )),
        Step::Close => None,
    }
}
