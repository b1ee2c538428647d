//! Dialogs over the queue: the note editor with the exception and reassign
//! fields, and the yes/no question before a risky bulk decision.

use super::{Theme, centered};
use crate::domain::DecisionKind;
use crate::domain::text::sanitize;
use crate::tui::action::Action;
use crate::tui::app::{App, Confirm, Editor, Input, Subject, completions, parse_by, parse_until};
use crate::tui::keymap::{ModeKind, keys_for};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn title(editor: &Editor) -> String {
    let what = match editor.kind {
        DecisionKind::Attest => "Attest",
        DecisionKind::Revoke => "Revoke",
        DecisionKind::Exception => "Exception",
        DecisionKind::Reassign => "Reassign",
        DecisionKind::Rotate => "Rotate",
        DecisionKind::Undo => "Undo",
    };
    match &editor.subject {
        Subject::Item { id, .. } => format!(" {what} · item {id} "),
        Subject::Marked { count, .. } => format!(
            " {what} · {count} marked {} ",
            if *count == 1 { "item" } else { "items" }
        ),
    }
}

fn subject_line(editor: &Editor) -> String {
    match &editor.subject {
        Subject::Item { label, .. } => label.clone(),
        Subject::Marked { count, left_alone } => {
            let mut text =
                format!("One decision and one note for all {count}, recorded in one transaction.");
            if *left_alone > 0 {
                text.push_str(&format!(
                    " {left_alone} other marked left as they are (changed since marked, or nothing to do)."
                ));
            }
            text
        }
    }
}

/// What the typed exception end means, checked as it is typed.
fn until_hint(editor: &Editor, app: &App) -> Option<Line<'static>> {
    let text = editor.text(Input::Until)?;
    if text.trim().is_empty() {
        return None;
    }
    Some(
        match parse_until(&text, app.today).and_then(|until| {
            crate::rules::decision::exception_end(until, app.today, &app.policy).map(|()| until)
        }) {
            Ok(until) => Line::from(format!(
                "        = {until} ({})",
                crate::domain::date::describe_age(until, app.today)
            )),
            Err(message) => Line::from(format!("        ✗ {}", sanitize(&message))),
        },
    )
}

/// What the typed rotation date means, checked as it is typed.
fn by_hint(editor: &Editor, app: &App) -> Option<Line<'static>> {
    let text = editor.text(Input::By)?;
    if text.trim().is_empty() {
        return None;
    }
    Some(match parse_by(&text, app.today, &app.policy) {
        Ok(by) => Line::from(format!(
            "        = {by} ({})",
            crate::domain::date::describe_age(by, app.today)
        )),
        Err(message) => Line::from(format!("        ✗ {}", sanitize(&message))),
    })
}

/// The known people the typed reassign target matches, the first of which
/// Tab completes to; or that nobody recert knows matches it.
fn known_hint(editor: &Editor, app: &App) -> Option<Line<'static>> {
    let typed = editor.text(Input::To)?;
    let typed = typed.trim();
    if typed.is_empty() || app.known_people.is_empty() {
        return None;
    }
    let found = completions(typed, &app.known_people);
    Some(Line::from(match found.as_slice() {
        [] => format!("        ✗ nobody recert knows matches {}", sanitize(typed)),
        [only] if crate::domain::people::same_person(only, typed) => {
            format!("        = {} (known)", sanitize(only))
        }
        many => format!(
            "        {} completes: {}{}",
            keys_for(ModeKind::Editor, Action::NextField),
            many.iter()
                .take(4)
                .map(|k| sanitize(k).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
            if many.len() > 4 {
                format!(" (+{} more)", many.len() - 4)
            } else {
                String::new()
            }
        ),
    }))
}

pub fn render_editor(editor: &Editor, app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let width = area.width.saturating_sub(4).clamp(40, 100);
    let area = centered(area, width, 16);
    frame.render_widget(Clear, area);
    let next = if editor.fields.len() > 1 {
        format!(
            " · {} next field",
            keys_for(ModeKind::Editor, Action::NextField)
        )
    } else {
        String::new()
    };
    let hints = format!(
        " {} save{next} · {} cancel ",
        keys_for(ModeKind::Editor, Action::Save),
        keys_for(ModeKind::Editor, Action::Cancel)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(title(editor), theme.title()))
        .title_bottom(Line::from(hints).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    // Rows top to bottom: the subject, each one-line field (the end date
    // followed by what it means), the note's heading, the note, the error.
    enum Row<'e> {
        Subject,
        Notice(&'e str),
        Field(Input, &'e ratatui_textarea::TextArea<'static>),
        Hint(Line<'static>),
        NoteHeading,
        Note,
        Error,
    }
    let mut rows = vec![Row::Subject];
    if let Some(notice) = &editor.notice {
        rows.push(Row::Notice(notice));
    }
    for (input, field) in editor.fields.iter().filter(|(i, _)| i.is_single_line()) {
        rows.push(Row::Field(*input, field));
        if *input == Input::Until
            && let Some(hint) = until_hint(editor, app)
        {
            rows.push(Row::Hint(hint));
        }
        if *input == Input::By
            && let Some(hint) = by_hint(editor, app)
        {
            rows.push(Row::Hint(hint));
        }
        if *input == Input::To
            && let Some(hint) = known_hint(editor, app)
        {
            rows.push(Row::Hint(hint));
        }
    }
    rows.extend([Row::NoteHeading, Row::Note, Row::Error]);
    let constraints: Vec<Constraint> = rows
        .iter()
        .map(|row| match row {
            Row::Subject | Row::Notice(_) | Row::Error => Constraint::Length(2),
            Row::Note => Constraint::Min(2),
            _ => Constraint::Length(1),
        })
        .collect();
    let areas = Layout::vertical(constraints).split(inner);
    let marker = |input: Input| {
        if editor.focused() == input {
            "▶"
        } else {
            " "
        }
    };
    for (row, area) in rows.iter().zip(areas.iter().copied()) {
        match row {
            Row::Subject => frame.render_widget(
                Paragraph::new(subject_line(editor))
                    .style(theme.heading())
                    .wrap(Wrap { trim: true }),
                area,
            ),
            Row::Field(input, field) => {
                let [label, text] =
                    Layout::horizontal([Constraint::Length(8), Constraint::Min(1)]).areas(area);
                frame.render_widget(
                    Paragraph::new(format!("{}{:<7}", marker(*input), input.label()))
                        .style(theme.heading()),
                    label,
                );
                frame.render_widget(*field, text);
            }
            Row::Notice(notice) => frame.render_widget(
                Paragraph::new(Line::styled(format!("! {notice}"), theme.warn()))
                    .wrap(Wrap { trim: true }),
                area,
            ),
            Row::Hint(hint) => {
                frame.render_widget(Paragraph::new(hint.clone()).style(theme.dim()), area)
            }
            Row::NoteHeading => {
                let (text, style) = match editor.required {
                    Some(reason) => (format!("required: {reason}"), theme.warn()),
                    None => ("optional".to_string(), theme.dim()),
                };
                frame.render_widget(
                    Paragraph::new(Line::from(vec![
                        Span::styled(format!("{}Note ", marker(Input::Note)), theme.heading()),
                        Span::styled(text, style),
                    ])),
                    area,
                );
            }
            Row::Note => {
                if let Some((_, note)) = editor.fields.iter().find(|(i, _)| *i == Input::Note) {
                    let indented = Rect {
                        x: area.x + 1,
                        width: area.width.saturating_sub(1),
                        ..area
                    };
                    frame.render_widget(note, indented);
                }
            }
            Row::Error => {
                if let Some(error) = &editor.error {
                    frame.render_widget(
                        Paragraph::new(Line::styled(
                            format!("! {}", sanitize(error)),
                            theme.danger(),
                        ))
                        .wrap(Wrap { trim: true }),
                        area,
                    );
                }
            }
        }
    }
}

pub fn render_confirm(confirm: &Confirm, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let width = area.width.saturating_sub(4).clamp(30, 70);
    let area = centered(area, width, 7);
    frame.render_widget(Clear, area);
    let answer = format!(
        " {} yes · {} no ",
        keys_for(ModeKind::Confirm, Action::Yes),
        keys_for(ModeKind::Confirm, Action::No)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(" Confirm ", theme.title()))
        .title_bottom(Line::from(answer).right_aligned());
    let text = vec![
        Line::styled(confirm.question.clone(), theme.warn()),
        Line::default(),
        Line::from("The note you write next goes with every one of them."),
    ];
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
        area,
    );
}
