//! The header (campaign, due date, the acting reviewer), the view line
//! (whose items, filters, search, marks; the search field while typing)
//! and the status bar (progress, the last message, key hints).

use super::{Theme, fit};
use crate::domain::roster::Established;
use crate::domain::text::sanitize;
use crate::domain::{CampaignState, RemediationStatus};
use crate::tui::action::Action;
use crate::tui::app::{App, Mode, Status};
use crate::tui::keymap::{ModeKind, bulk_decision_keys, decision_keys, keys_for};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// "due 2026-12-15 (44d left)", "due today", "due 2026-12-15 (OVERDUE 3d)".
pub fn due_text(app: &App) -> (String, bool) {
    let days = (app.campaign.due - app.today).num_days();
    let text = match days {
        0 => "due today".to_string(),
        d if d > 0 => format!("due {} ({d}d left)", app.campaign.due),
        d => format!("due {} (OVERDUE {}d)", app.campaign.due, -d),
    };
    (text, days < 0)
}

pub fn render_header(app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let (due, overdue) = due_text(app);
    let due_style = if overdue { theme.danger() } else { theme.dim() };
    let name = sanitize(&app.campaign.name).into_owned();
    // How the acting person is known: in full where it fits beside the
    // campaign's name, else briefly, else by the e-mail's local part.
    let email = sanitize(&app.reviewer).into_owned();
    let local = email.split('@').next().unwrap_or(&email).to_string();
    let acting = |who: &str, long: bool| {
        format!(" as {who} ({}) ", established_words(&app.established, long))
    };
    let fixed = format!(
        " {name} · {} · {due}",
        super::lifecycle::state_words(app.campaign.state)
    );
    let candidates = [
        acting(&email, true),
        acting(&email, false),
        acting(&local, false),
    ];
    let reviewer = candidates
        .iter()
        .find(|r| r.chars().count() + fixed.chars().count() <= area.width as usize)
        .unwrap_or(&candidates[2])
        .clone();
    let state = super::lifecycle::state_words(app.campaign.state);
    let state_style = match app.campaign.state {
        CampaignState::Open => Style::default(),
        _ => theme.heading(),
    };
    let line = |title: bool, name: &str| {
        Line::from(vec![
            Span::styled(if title { " recert ·" } else { "" }, theme.title()),
            Span::raw(format!(" {name} · ")),
            Span::styled(state, state_style),
            Span::raw(" · "),
            Span::styled(due.clone(), due_style),
        ])
    };
    // The due date and who is acting matter most; the program's name and
    // then the campaign's name give way when the terminal is narrow.
    let room = (area.width as usize).saturating_sub(reviewer.chars().count());
    let bare = line(false, "").width();
    let left = [line(true, &name), line(false, &name)]
        .into_iter()
        .find(|l| l.width() <= room)
        .unwrap_or_else(|| line(false, &fit(&name, room.saturating_sub(bare).max(4))));
    let left_width = (left.width() as u16).min(area.width);
    let [left_area, right] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(left), left_area);
    frame.render_widget(
        Paragraph::new(Line::styled(
            fit(&reviewer, right.width as usize),
            theme.heading(),
        ))
        .right_aligned(),
        right,
    );
}

/// How the acting person was established, briefly: a stated name is
/// shown as such, so nobody mistakes it for a proven one.
fn established_words(via: &Established, long: bool) -> String {
    match (via, long) {
        (Established::Asserted, _) => "asserted".to_string(),
        (Established::OsUser(user), true) => format!("OS account {}", sanitize(user)),
        (Established::OsUser(_), false) => "OS account".to_string(),
        (Established::SshKey(fingerprint), true) => {
            let short: String = fingerprint.chars().take(15).collect();
            format!("SSH key {}…", sanitize(&short))
        }
        (Established::SshKey(_), false) => "SSH key".to_string(),
    }
}

/// What the queue shows, in words: "my items · relationship=contractor ·
/// search "lena" · 6 marked".
fn view_words(app: &App) -> Vec<String> {
    let mut words = vec![if app.view.mine {
        "my items".to_string()
    } else {
        "all items".to_string()
    }];
    for filter in &app.view.filters {
        words.push(sanitize(&filter.to_string()).into_owned());
    }
    if !app.view.search.trim().is_empty() {
        words.push(format!("search \"{}\"", sanitize(app.view.search.trim())));
    }
    if !app.view.is_narrowed() {
        words.push(format!(
            "no filter ({}) or search ({})",
            keys_for(ModeKind::Browse, Action::Filters),
            keys_for(ModeKind::Browse, Action::Search)
        ));
    }
    words
}

pub fn render_view_line(app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    if let Mode::Search(search) = &app.mode {
        let hint = format!(
            " {} keep · {} cancel · {} move ",
            keys_for(ModeKind::Search, Action::Apply),
            keys_for(ModeKind::Search, Action::Cancel),
            [Action::Down, Action::Up]
                .iter()
                .map(|a| keys_for(ModeKind::Search, *a))
                .collect::<Vec<_>>()
                .join("/")
        );
        let [label, field, hints] = Layout::horizontal([
            Constraint::Length(9),
            Constraint::Min(10),
            Constraint::Length(hint.chars().count() as u16),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(Span::styled(" Search /", theme.heading())),
            label,
        );
        frame.render_widget(&search.textarea, field);
        frame.render_widget(Paragraph::new(Span::styled(hint, theme.dim())), hints);
        return;
    }
    if let Mode::GoTo(field) = &app.mode {
        let hint = format!(
            " {} go · {} cancel ",
            keys_for(ModeKind::GoTo, Action::Apply),
            keys_for(ModeKind::GoTo, Action::Cancel),
        );
        let [label, field_area, hints] = Layout::horizontal([
            Constraint::Length(15),
            Constraint::Min(10),
            Constraint::Length(hint.chars().count() as u16),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(Span::styled(" Go to item :", theme.heading())),
            label,
        );
        frame.render_widget(&**field, field_area);
        frame.render_widget(Paragraph::new(Span::styled(hint, theme.dim())), hints);
        return;
    }
    let mut spans = vec![Span::styled(" View: ", theme.heading())];
    spans.push(Span::raw(view_words(app).join(" · ")));
    if !app.marks.is_empty() {
        let count = app
            .marks
            .count
            .map_or_else(|| "counting".to_string(), |n| n.to_string());
        spans.push(Span::styled(format!(" · ● {count} marked"), theme.marked()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Key hints for the status bar when there is no message, from the key map.
fn hints(app: &App) -> Vec<String> {
    let browse = |a| keys_for(ModeKind::Browse, a);
    let open = app.campaign.state == CampaignState::Open;
    match &app.mode {
        Mode::Browse if app.listing_people() => {
            let keys = |a| keys_for(ModeKind::People, a);
            let mut hints = vec![
                format!("{} help", keys(Action::Help)),
                format!("{} their grants", keys(Action::Apply)),
            ];
            if open {
                hints.push(format!("{} decide all of theirs", bulk_decision_keys()));
            }
            hints.push(format!("{} back to the items", keys(Action::Close)));
            hints
        }
        Mode::Browse if open && !app.marks.is_empty() => vec![
            format!("{} decide all marked", bulk_decision_keys()),
            format!("{} unmark all", browse(Action::ClearMarks)),
            format!("{} help", browse(Action::Help)),
        ],
        Mode::Browse if open => vec![
            format!("{} help", browse(Action::Help)),
            format!("{} decide", decision_keys()),
            format!("{} mark", browse(Action::ToggleMark)),
            format!("{} search", browse(Action::Search)),
            format!("{} filter", browse(Action::Filters)),
            format!("{} mine/all", browse(Action::ToggleScope)),
            format!("{} dashboard", browse(Action::Dashboard)),
            format!("{} remediation", browse(Action::Remediation)),
            format!("{} sign off", browse(Action::SignOff)),
            format!("{} quit", browse(Action::Quit)),
        ],
        Mode::Browse => {
            let mut hints = vec![format!("{} help", browse(Action::Help))];
            if app.campaign.state == CampaignState::SignedOff {
                hints.push(format!("{} close", browse(Action::CloseCampaign)));
            }
            hints.extend([
                format!("{} remediation", browse(Action::Remediation)),
                format!("{} search", browse(Action::Search)),
                format!("{} filter", browse(Action::Filters)),
                format!("{} dashboard", browse(Action::Dashboard)),
                format!("{} quit", browse(Action::Quit)),
            ]);
            hints
        }
        Mode::Remediation(_) => {
            let keys = |a| keys_for(ModeKind::Remediation, a);
            vec![
                format!("{} {} move", keys(Action::Down), keys(Action::Up)),
                format!("{} status", keys(Action::NextField)),
                format!("{} reread", keys(Action::Reload)),
                format!("{} back", keys(Action::Close)),
            ]
        }
        Mode::Dashboard => vec![
            format!("{} recount", keys_for(ModeKind::Dashboard, Action::Reload)),
            format!(
                "{} back to the queue",
                keys_for(ModeKind::Dashboard, Action::Close)
            ),
        ],
        _ => vec![],
    }
}

/// As many whole hints as fit in `width`.
fn fitting(hints: Vec<String>, width: usize) -> String {
    let mut out = String::new();
    for hint in hints {
        let extra = if out.is_empty() { 0 } else { 3 } + hint.chars().count();
        if out.chars().count() + extra > width {
            break;
        }
        if !out.is_empty() {
            out.push_str(" · ");
        }
        out.push_str(&hint);
    }
    out
}

pub fn render_status(app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let t = &app.tally;
    let percent = (t.decided() * 100).checked_div(t.total).unwrap_or(100);
    let progress = format!(" {}/{} decided ({percent}%) ", t.decided(), t.total);
    let mut spans = vec![Span::styled(progress, theme.heading())];
    // Revoked access that a later snapshot still shows is the failure
    // auditors care about most: it stays on the status line, whatever else
    // the line says, until a snapshot proves it gone.
    if let Some(still) = app.remediation.map(|c| c.still_effective)
        && still > 0
    {
        // The key that lists them, where that key means it and a message
        // does not need the room.
        let key = match (&app.mode, &app.status) {
            (Mode::Browse, None) => {
                format!("({}) ", keys_for(ModeKind::Browse, Action::Remediation))
            }
            _ => String::new(),
        };
        // Of them, revokes an earlier campaign made that were not done:
        // said apart, since no one in this campaign revoked them.
        let not_done = app.remediation.map_or(0, |c| c.not_done).min(still);
        // Short while a message needs the room (at 80 columns the long
        // form would leave none).
        let earlier = match (not_done, &app.status) {
            (0, _) => String::new(),
            (_, Some(_)) => format!("({not_done} NOT DONE) "),
            _ => format!("({not_done} NOT DONE since an earlier campaign) "),
        };
        spans.push(Span::styled(
            format!(
                "{} {still} {} {earlier}{key}",
                super::remediation_symbol(RemediationStatus::StillEffective),
                RemediationStatus::StillEffective.label(),
            ),
            theme.danger(),
        ));
    }
    let progress_width: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    match &app.status {
        Some(Status::Info(text)) => {
            spans.push(Span::styled(format!("· {} ", sanitize(text)), theme.good()))
        }
        Some(Status::Error(text)) => spans.push(Span::styled(
            format!("· ! {} ", sanitize(text)),
            theme.danger(),
        )),
        None => {
            let room = (area.width as usize).saturating_sub(progress_width + 3);
            let hints = fitting(hints(app), room);
            if !hints.is_empty() {
                spans.push(Span::styled(format!("· {hints} "), theme.dim()));
            }
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
