//! The header (campaign, due date, the acting reviewer) and the status
//! bar (progress, the last message, key hints).

use super::Theme;
use crate::domain::text::sanitize;
use crate::tui::app::{App, Status};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render_header(app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let days = (app.campaign.due - app.today).num_days();
    let due = match days {
        0 => "due today".to_string(),
        d if d > 0 => format!("due {} ({d}d left)", app.campaign.due),
        d => format!("due {} (OVERDUE {}d)", app.campaign.due, -d),
    };
    let due_style = if days < 0 {
        theme.danger()
    } else {
        theme.dim()
    };
    let line = Line::from(vec![
        Span::styled(" recert ", theme.title()),
        Span::raw(format!(
            "· {} · {} · ",
            sanitize(&app.campaign.name),
            app.campaign.state
        )),
        Span::styled(due, due_style),
    ]);
    let reviewer = format!("as {}", sanitize(&app.reviewer));
    let width = (reviewer.chars().count() as u16).min(area.width / 2);
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(width)]).areas(area);
    frame.render_widget(Paragraph::new(line), left);
    frame.render_widget(
        Paragraph::new(Line::styled(reviewer, theme.heading())).right_aligned(),
        right,
    );
}

pub fn render_status(app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let t = &app.tally;
    let percent = (t.decided() * 100).checked_div(t.total).unwrap_or(100);
    let progress = format!(" {}/{} decided ({percent}%) ", t.decided(), t.total);
    let mut spans = vec![Span::styled(progress, theme.heading())];
    match &app.status {
        Some(Status::Info(text)) => {
            spans.push(Span::styled(format!("· {} ", sanitize(text)), theme.good()))
        }
        Some(Status::Error(text)) => spans.push(Span::styled(
            format!("· ! {} ", sanitize(text)),
            theme.danger(),
        )),
        None => spans.push(Span::styled(
            "· a attest  r revoke  j/k move  q quit ",
            theme.dim(),
        )),
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
