//! Decisions: one key on an item, or on everything marked. A decision that
//! needs more than a key (a note, an end date, a new reviewer) opens a
//! dialog that stays open until the store has committed the decision, so a
//! refused save loses nothing that was typed.

use super::{Select, detail_for_selection, recount, reload, text_field};
use crate::domain::people::same_person;
use crate::domain::{CampaignState, Decision, DecisionKind};
use crate::rules::decision::{exception_end, note_required};
use crate::store::{
    BulkOutcome, DecisionOutcome, DecisionRequest, EventSeq, ItemId, ItemRow, PageDirection,
    Selection, SelectionPreview, Tally,
};
use crate::tui::action::Action;
use crate::tui::app::{
    App, Confirm, Done, Editor, Input, Marks, Mode, Status, Subject, completions, parse_by,
    parse_until,
};
use crate::tui::keymap::{self, ModeKind};
use crate::tui::message::Effect;
use ratatui::crossterm::event::KeyEvent;
use ratatui::style::{Modifier, Style};

/// Starts a decision on the selected item, or on every marked item.
pub(super) fn begin(app: &mut App, kind: DecisionKind) -> Vec<Effect> {
    if app.campaign.state != CampaignState::Open {
        app.status = Some(Status::Error(not_open(app.campaign.state)));
        return vec![];
    }
    if !app.marks.is_empty() {
        if kind == DecisionKind::Rotate {
            // Each credential is checked and dated on its own.
            app.status = Some(Status::Info(
                "rotate decides one item at a time: unmark the items first".into(),
            ));
            return vec![];
        }
        return vec![Effect::PreviewMarked {
            selection: app.marks.selection(app.query.campaign),
            kind,
        }];
    }
    let Some(row) = app.queue.current() else {
        return vec![];
    };
    if kind == DecisionKind::Undo {
        if row.decision.is_none() {
            app.status = Some(Status::Info(format!(
                "item {} has no decision to undo",
                row.id
            )));
            return vec![];
        }
        return vec![Effect::Decide(request(row, None))];
    }
    if kind == DecisionKind::Rotate && !rotatable(row) {
        // The store refuses it too; saying so before a date and a note are
        // typed spares the reviewer the dialog.
        app.status = Some(Status::Info(format!(
            "item {}: rotate is for credentials (an api_key or service_account, or a grant \
             with a credential rotation date): attest or revoke it",
            row.id
        )));
        return vec![];
    }
    let required = note_required(&app.policy, kind, row.flags, row.recommendation);
    if kind == DecisionKind::Attest && required.is_none() {
        return vec![Effect::Decide(request(row, Some(Decision::Attest)))];
    }
    let notice = notice(kind, row);
    let id = row.id;
    let subject = Subject::Item {
        id: row.id,
        seen_event: row.last_event,
        label: format!(
            "{} · {} · {}",
            crate::domain::text::sanitize(&row.identity_name),
            crate::domain::text::sanitize(&row.system),
            crate::domain::text::sanitize(&row.entitlement)
        ),
    };
    open_editor(app, kind, subject, required);
    if let Mode::Editor(editor) = &mut app.mode {
        editor.notice = notice;
    }
    vec![Effect::LoadDraft(id)]
}

/// A draft kept from before fills the note of a dialog just opened on its
/// item, and the dialog says so.
pub(super) fn on_draft(app: &mut App, item: ItemId, note: Option<String>) -> Vec<Effect> {
    let (Mode::Editor(editor), Some(note)) = (&mut app.mode, note) else {
        return vec![];
    };
    let on_item = matches!(&editor.subject, Subject::Item { id, .. } if *id == item);
    if !on_item || editor.text(Input::Note).is_some_and(|t| !t.is_empty()) {
        return vec![];
    }
    if let Some((_, field)) = editor.fields.iter_mut().find(|(i, _)| *i == Input::Note) {
        field.insert_str(note);
    }
    editor.drafted = true;
    let said = format!(
        "Your draft from before is filled in ({} throws it away).",
        keymap::keys_for(ModeKind::Editor, Action::Discard)
    );
    editor.notice = Some(match editor.notice.take() {
        Some(notice) => format!("{notice} {said}"),
        None => said,
    });
    vec![]
}

pub(super) fn on_paste(app: &mut App, text: &str) -> Vec<Effect> {
    let Mode::Editor(editor) = &mut app.mode else {
        return vec![];
    };
    editor.asking = false;
    let single = editor.focused().is_single_line();
    if let Some((_, field)) = editor.fields.get_mut(editor.focus) {
        super::paste(field, text, single);
    }
    vec![]
}

/// What closing the dialog unsaved leaves: on one item, the note kept as
/// a draft (or no draft, when `keep` is false or nothing is typed).
fn close_unsaved(app: &mut App, keep: bool) -> Vec<Effect> {
    let Mode::Editor(editor) = &app.mode else {
        return vec![];
    };
    let note = editor.text(Input::Note).unwrap_or_default();
    let typed = editor.has_text();
    let (effects, said) = match &editor.subject {
        Subject::Item { id, .. } if keep && !note.trim().is_empty() => (
            vec![Effect::SaveDraft { item: *id, note }],
            "; note kept as a draft",
        ),
        Subject::Item { id, .. } if editor.drafted => (
            vec![Effect::SaveDraft {
                item: *id,
                note: String::new(),
            }],
            "; the draft thrown away",
        ),
        _ if typed => ((vec![]), "; what was typed thrown away"),
        _ => (vec![], ""),
    };
    app.mode = Mode::Browse;
    app.status = Some(Status::Info(format!(
        "cancelled: nothing was recorded{said}"
    )));
    effects
}

/// Undoes the acting person's last decision in this console (a bulk one
/// as one), as new events; each `U` goes one further back.
pub(super) fn undo_last(app: &mut App) -> Vec<Effect> {
    if app.campaign.state != CampaignState::Open {
        app.status = Some(Status::Error(not_open(app.campaign.state)));
        return vec![];
    }
    let Some(done) = app.done.pop() else {
        app.status = Some(Status::Info(
            "nothing decided in this console yet to undo".into(),
        ));
        return vec![];
    };
    app.undoing = Some(done.describe());
    match done {
        Done::One { item, seq, .. } => vec![Effect::Decide(DecisionRequest {
            item,
            decision: None,
            note: None,
            seen_event: Some(Some(seq)),
            seconds_on_screen: None,
            overriding: false,
        })],
        Done::Bulk { items, head, .. } => vec![Effect::DecideMarked {
            selection: Selection {
                campaign: app.query.campaign,
                queries: Vec::new(),
                added: items,
                removed: Vec::new(),
                marked_at: head,
            },
            decision: None,
            note: None,
        }],
    }
}

/// Why a decision key does nothing on a campaign that is no longer open;
/// short, to fit beside the still-effective count at 80 columns (the key
/// hints say what can be done instead).
pub(super) fn not_open(state: CampaignState) -> String {
    match state {
        CampaignState::SignedOff => "signed off: no more decisions".into(),
        CampaignState::Cancelled => "cancelled: no more decisions".into(),
        _ => "closed: no more decisions".into(),
    }
}

/// The campaign was signed off or closed since the console looked: what
/// was being decided cannot be recorded, so the dialog closes and says so.
pub(super) fn on_no_longer_open(
    app: &mut App,
    state: CampaignState,
    message: String,
) -> Vec<Effect> {
    app.undoing = None;
    app.campaign.state = state;
    if matches!(app.mode, Mode::Editor(_) | Mode::Confirm(_)) {
        app.mode = Mode::Browse;
    }
    app.status = Some(Status::Error(format!("nothing was recorded: {message}")));
    let mut effects = vec![Effect::LoadTally];
    effects.extend(reload(app));
    effects
}

/// After a decision the still-effective count can only have moved if some
/// were counted (one of them may have been decided again) or an undo
/// brought back an earlier revoke: recount then, and only then.
fn recount_remediation(app: &App, kind: DecisionKind) -> Option<Effect> {
    let still = app.remediation.map_or(0, |c| c.still_effective);
    (still > 0 || kind == DecisionKind::Undo).then_some(Effect::LoadRemediationCounts)
}

/// What deserves a second look before this decision on this item.
fn notice(kind: DecisionKind, row: &ItemRow) -> Option<String> {
    use crate::domain::Flag;
    let mut said = Vec::new();
    if kind == DecisionKind::Attest && row.recommendation.suggests_revoke() {
        said.push(format!(
            "The recommendation is to {}: keeping it goes against it.",
            row.recommendation.label()
        ));
    }
    if row.flags.contains(Flag::SelfReview) {
        said.push("You are reviewing your own access; the report says so.".to_string());
    }
    (!said.is_empty()).then(|| said.join(" "))
}

fn request(row: &ItemRow, decision: Option<Decision>) -> DecisionRequest {
    DecisionRequest {
        item: row.id,
        decision,
        note: None,
        seen_event: Some(row.last_event),
        seconds_on_screen: None,
        overriding: false,
    }
}

fn open_editor(
    app: &mut App,
    kind: DecisionKind,
    subject: Subject,
    required: Option<&'static str>,
) {
    let one_line = |placeholder: String| {
        let mut field = text_field(app, Vec::new());
        field.set_placeholder_text(placeholder);
        field.set_cursor_line_style(Style::default());
        field
    };
    let latest = app.today + chrono::Duration::days(app.policy.exception_max_days);
    let mut fields = match kind {
        DecisionKind::Exception => vec![
            (
                Input::Until,
                one_line(format!(
                    "YYYY-MM-DD, or +30 / +6w / +3m from today; {latest} at the latest"
                )),
            ),
            (
                Input::Ticket,
                one_line("the ticket that approved it (optional)".into()),
            ),
        ],
        DecisionKind::Reassign => vec![(
            Input::To,
            one_line("the e-mail of the reviewer who should decide".into()),
        )],
        DecisionKind::Rotate => {
            let latest = crate::domain::rotation::close_action_by(app.today, &app.policy);
            vec![(
                Input::By,
                one_line(format!(
                    "the last day to rotate: YYYY-MM-DD, or +30 / +6w / +1m; {latest} at the latest"
                )),
            )]
        }
        _ => vec![],
    };
    let mut note = text_field(app, Vec::new());
    note.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    note.set_placeholder_text(match required {
        Some(_) => "Why? This note is evidence for the auditor.",
        None => "Optional note.",
    });
    fields.push((Input::Note, note));
    let mut editor = Editor {
        kind,
        subject,
        required,
        fields,
        focus: 0,
        notice: None,
        error: None,
        asking: false,
        drafted: false,
    };
    show_focus(&mut editor);
    app.mode = Mode::Editor(Box::new(editor));
}

/// Only the focused field shows a cursor.
fn show_focus(editor: &mut Editor) {
    let focus = editor.focus;
    for (i, (_, field)) in editor.fields.iter_mut().enumerate() {
        field.set_cursor_style(if i == focus {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        });
    }
}

pub(super) fn on_editor_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = keymap::resolve(ModeKind::Editor, &key);
    let Mode::Editor(editor) = &mut app.mode else {
        return vec![];
    };
    let count = editor.fields.len();
    let asked = std::mem::take(&mut editor.asking);
    if asked {
        editor.error = None;
    }
    match action {
        Some(action @ (Action::Cancel | Action::Discard)) if editor.has_text() && !asked => {
            editor.asking = true;
            let one_item = matches!(editor.subject, Subject::Item { .. });
            let (cancel, discard) = (
                keymap::keys_for(ModeKind::Editor, Action::Cancel),
                keymap::keys_for(ModeKind::Editor, Action::Discard),
            );
            editor.error = Some(match (action, one_item) {
                (Action::Cancel, true) => format!(
                    "Close? {cancel} again keeps the note as a draft for this item, \
                     {discard} throws it away, any other key goes on editing"
                ),
                _ => format!(
                    "Throw away what you typed? {} again does, any other key goes on editing",
                    keymap::keys_for(ModeKind::Editor, action)
                ),
            });
            vec![]
        }
        Some(Action::Cancel) => close_unsaved(app, true),
        Some(Action::Discard) => close_unsaved(app, false),
        Some(Action::Quit) => {
            let mut effects = close_unsaved(app, true);
            effects.push(super::quit(app));
            effects
        }
        Some(Action::NextField) => {
            // In the reassign field, Tab first completes a known name.
            if editor.focused() == Input::To
                && let Some(typed) = editor.text(Input::To)
                && let Some(first) = completions(typed.trim(), &app.known_people).first()
                && !same_person(typed.trim(), first)
            {
                let completed = first.to_string();
                if let Some((_, field)) = editor.fields.iter_mut().find(|(i, _)| *i == Input::To) {
                    field.move_cursor(ratatui_textarea::CursorMove::End);
                    field.delete_line_by_head();
                    field.insert_str(completed);
                }
                show_focus(editor);
                return vec![];
            }
            editor.focus = (editor.focus + 1) % count;
            show_focus(editor);
            vec![]
        }
        Some(Action::PreviousField) => {
            editor.focus = (editor.focus + count - 1) % count;
            show_focus(editor);
            vec![]
        }
        Some(Action::Enter) if editor.focused().is_single_line() => {
            editor.focus = (editor.focus + 1) % count;
            show_focus(editor);
            vec![]
        }
        Some(Action::Save) => save(app),
        _ => {
            let focus = editor.focus;
            if let Some((_, field)) = editor.fields.get_mut(focus) {
                super::edit(field, key);
            }
            vec![]
        }
    }
}

/// Checks the dialog and asks the store to record the decision.
fn save(app: &mut App) -> Vec<Effect> {
    let (today, policy) = (app.today, app.policy.clone());
    let campaign = app.query.campaign;
    let selection = app.marks.selection(campaign);
    let Mode::Editor(editor) = &mut app.mode else {
        return vec![];
    };
    let refuse = |editor: &mut Editor, input: Input, message: String| {
        editor.error = Some(message);
        if let Some(at) = editor.fields.iter().position(|(i, _)| *i == input) {
            editor.focus = at;
        }
        show_focus(editor);
        vec![]
    };
    let note = editor
        .text(Input::Note)
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let decision = match editor.kind {
        DecisionKind::Attest => Some(Decision::Attest),
        DecisionKind::Revoke => Some(Decision::Revoke),
        DecisionKind::Undo => None,
        DecisionKind::Exception => {
            let text = editor.text(Input::Until).unwrap_or_default();
            let until = match parse_until(&text, today)
                .and_then(|until| exception_end(until, today, &policy).map(|()| until))
            {
                Ok(until) => until,
                Err(message) => return refuse(editor, Input::Until, message),
            };
            let ticket = editor
                .text(Input::Ticket)
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty());
            Some(Decision::Exception { until, ticket })
        }
        DecisionKind::Reassign => {
            let to = editor
                .text(Input::To)
                .unwrap_or_default()
                .trim()
                .to_string();
            if to.is_empty() || to.contains(char::is_whitespace) {
                return refuse(
                    editor,
                    Input::To,
                    "name the reviewer by one e-mail address".into(),
                );
            }
            Some(Decision::Reassign { to })
        }
        DecisionKind::Rotate => {
            let text = editor.text(Input::By).unwrap_or_default();
            match parse_by(&text, today, &policy) {
                Ok(by) => Some(Decision::Rotate { by }),
                Err(message) => return refuse(editor, Input::By, message),
            }
        }
    };
    if let Some(reason) = editor.required
        && note.is_none()
    {
        return refuse(editor, Input::Note, format!("a note is required: {reason}"));
    }
    editor.error = None;
    match &editor.subject {
        Subject::Item { id, seen_event, .. } => vec![Effect::Decide(DecisionRequest {
            item: *id,
            decision,
            note,
            seen_event: Some(*seen_event),
            seconds_on_screen: None,
            overriding: false,
        })],
        Subject::Marked { .. } => vec![Effect::DecideMarked {
            selection,
            decision,
            note,
        }],
    }
}

pub(super) fn on_confirm_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Mode::Confirm(confirm) = &app.mode else {
        return vec![];
    };
    match keymap::resolve(ModeKind::Confirm, &key) {
        Some(Action::Yes) => {
            let Confirm {
                kind,
                count,
                required,
                ..
            } = confirm.clone();
            open_editor(
                app,
                kind,
                Subject::Marked {
                    count,
                    left_alone: 0,
                },
                required,
            );
            vec![]
        }
        Some(Action::No) => {
            app.mode = Mode::Browse;
            app.status = Some(Status::Info("nothing was recorded".into()));
            vec![]
        }
        _ => vec![],
    }
}

/// What a bulk decision would meet is known: ask, or open the dialog.
pub(super) fn on_preview(
    app: &mut App,
    kind: DecisionKind,
    preview: SelectionPreview,
) -> Vec<Effect> {
    if preview.items == 0 {
        app.status = Some(Status::Info(if preview.left_alone == 0 {
            "no marked item is left to decide".to_string()
        } else {
            format!(
                "none of the {} marked items can take it: {}",
                preview.left_alone,
                match kind {
                    DecisionKind::Undo => "they have no decision to undo or changed since marked",
                    _ => "they changed since they were marked",
                }
            )
        }));
        return vec![];
    }
    let against = kind == DecisionKind::Attest && preview.against_recommendation > 0;
    if against || preview.replacing > 0 {
        let mut question = format!(
            "{} {} marked {}?",
            kind_verb(kind),
            preview.items,
            plural(preview.items, "item", "items"),
        );
        if preview.replacing > 0 {
            let n = preview.replacing;
            question.push_str(&format!(
                " It replaces {n} existing {} and {}.",
                plural(n, "decision", "decisions"),
                plural(n, "its note", "their notes")
            ));
        }
        if against {
            question.push_str(&against_words(
                preview.against_recommendation,
                preview.items,
            ));
        }
        app.mode = Mode::Confirm(Confirm {
            question,
            kind,
            count: preview.items,
            required: preview.note_required,
        });
        return vec![];
    }
    open_editor(
        app,
        kind,
        Subject::Marked {
            count: preview.items,
            left_alone: preview.left_alone,
        },
        preview.note_required,
    );
    vec![]
}

/// How many of `items` marked items carry a revoke recommendation, as
/// the confirmation says it: "It carries" for one item, "All 4 carry"
/// when every one does, "One of them carries", "4 of them carry".
pub(crate) fn against_words(n: u64, items: u64) -> String {
    let what = "a revoke recommendation.";
    match (n, items) {
        (_, 1) => format!(" It carries {what}"),
        (n, items) if n == items => format!(" All {n} carry {what}"),
        (1, _) => format!(" One of them carries {what}"),
        (n, _) => format!(" {n} of them carry {what}"),
    }
}

/// A decision kind as the first word of a question ("Revoke 3 items?").
fn kind_verb(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Attest => "Attest",
        DecisionKind::Revoke => "Revoke",
        DecisionKind::Exception => "Record an exception on",
        DecisionKind::Reassign => "Reassign",
        DecisionKind::Rotate => "Rotate",
        DecisionKind::Undo => "Undo the latest decision on",
    }
}

pub(super) fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

pub(super) fn on_decided(
    app: &mut App,
    kind: DecisionKind,
    outcomes: Vec<DecisionOutcome>,
    tally: Tally,
) -> Vec<Effect> {
    app.tally = tally;
    // The draft that was filled in is now a decision's note.
    let mut effects = match &app.mode {
        Mode::Editor(editor) if editor.drafted => match &editor.subject {
            Subject::Item { id, .. } => vec![Effect::SaveDraft {
                item: *id,
                note: String::new(),
            }],
            Subject::Marked { .. } => vec![],
        },
        _ => vec![],
    };
    app.mode = Mode::Browse;
    app.dashboard = None;
    let Some(outcome) = outcomes.last() else {
        return effects;
    };
    let undoing = app.undoing.take();
    if kind != DecisionKind::Undo {
        app.done.push(Done::One {
            item: outcome.item,
            seq: outcome.seq,
            kind,
        });
    }
    app.status = Some(Status::Info(match kind {
        DecisionKind::Undo if let Some(what) = undoing => format!(
            "undid {what}: now {} — saved ({} goes further back)",
            outcome.state.label(),
            keymap::keys_for(ModeKind::Browse, Action::UndoLast)
        ),
        DecisionKind::Undo => format!(
            "item {}: undo recorded, now {} — saved",
            outcome.item,
            outcome.state.label()
        ),
        DecisionKind::Reassign => format!(
            "item {}: reassigned to {} — saved",
            outcome.item, outcome.state.assignee
        ),
        _ => format!("item {}: {} — saved", outcome.item, outcome.state.label()),
    }));
    effects.extend(recount(app));
    effects.extend(recount_remediation(app, kind));
    let decided_rank = app
        .queue
        .rows
        .iter()
        .position(|r| r.id == outcome.item)
        .map(|i| (i, app.queue.rows[i].rank));
    let Some((index, rank)) = decided_rank else {
        effects.extend(reload(app));
        return effects;
    };
    if kind == DecisionKind::Undo {
        // An undone item stays selected: the reviewer decides it again.
        effects.extend(reload(app));
        return effects;
    }
    // Move on to the next item; if it is below the window, shift by one.
    let rows = &app.queue.rows;
    let anchor = if index + 1 >= rows.len() && rows.len() > 1 {
        rows[1].rank
    } else {
        rows[0].rank
    };
    effects.push(Effect::LoadPage {
        anchor: Some(anchor),
        direction: PageDirection::Forward,
        inclusive: true,
        select: Select::After(rank),
    });
    effects
}

pub(super) fn on_bulk_decided(
    app: &mut App,
    kind: DecisionKind,
    outcome: BulkOutcome,
    tally: Tally,
) -> Vec<Effect> {
    app.tally = tally;
    app.mode = Mode::Browse;
    app.dashboard = None;
    app.marks = Marks::default();
    app.queue.marked.clear();
    let n = outcome.decided;
    let items = plural(n, "item", "items");
    let undoing = app.undoing.take();
    if kind != DecisionKind::Undo && n > 0 {
        app.done.push(Done::Bulk {
            kind,
            items: outcome.items.clone(),
            head: outcome.head,
        });
    }
    let mut text = match kind {
        DecisionKind::Undo if let Some(what) = &undoing => format!("undid {what}: {n} {items}"),
        DecisionKind::Attest => format!("attested {n} marked {items} in one step"),
        DecisionKind::Revoke => format!("revoked {n} marked {items} in one step"),
        DecisionKind::Exception => format!("recorded an exception on {n} marked {items}"),
        DecisionKind::Reassign => format!("reassigned {n} marked {items}"),
        DecisionKind::Rotate => format!("rotate recorded on {n} marked {items}"),
        DecisionKind::Undo => format!("undid the latest decision on {n} marked {items}"),
    };
    let left = [
        (
            outcome.changed_since_marked,
            if undoing.is_some() {
                "changed since"
            } else {
                "changed since marked"
            },
        ),
        (outcome.nothing_to_undo, "had nothing to undo"),
        (outcome.already_assigned, "already with that reviewer"),
    ];
    for (count, why) in left {
        if count > 0 {
            text.push_str(&format!("; {count} left as they were ({why})"));
        }
    }
    app.status = Some(Status::Info(text));
    let mut effects = reload(app);
    effects.extend(recount(app));
    effects.extend(recount_remediation(app, kind));
    effects
}

pub(super) fn on_conflict(
    app: &mut App,
    item: ItemId,
    seq: EventSeq,
    message: String,
) -> Vec<Effect> {
    let message = match app.undoing.take() {
        Some(what) => format!("{what} was not undone: {message}"),
        None => message,
    };
    // Show their decision; an open dialog keeps what was typed and now
    // knows the latest event, so saving again is deliberate.
    match &mut app.mode {
        Mode::Editor(editor) => match &mut editor.subject {
            Subject::Item { id, seen_event, .. } if *id == item => {
                *seen_event = Some(seq);
                editor.error = Some(format!(
                    "{message}; {} records yours on top, {} keeps theirs",
                    keymap::keys_for(ModeKind::Editor, Action::Save),
                    keymap::keys_for(ModeKind::Editor, Action::Cancel)
                ));
            }
            _ => app.status = Some(Status::Error(message)),
        },
        _ => app.status = Some(Status::Error(message)),
    }
    // Their decision changed the counts: the progress shown so far is
    // stale, whether the dialog is kept or cancelled.
    let mut effects = vec![Effect::LoadTally];
    effects.extend(reload(app));
    effects.extend(detail_for_selection(app));
    effects
}

/// Whether the row's grant holds a credential a rotate can promise to
/// rotate, by the rule the store applies.
fn rotatable(row: &crate::store::ItemRow) -> bool {
    let kind = row
        .kind
        .parse()
        .unwrap_or(crate::domain::IdentityKind::Human);
    crate::domain::rotation::holds_credential(kind, row.evidence.credential_rotated_at.is_some())
}
