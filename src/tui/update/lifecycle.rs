//! Signing off and closing from the console. Each opens a screen that
//! shows what is being signed (or what closing will do), read after the
//! screen is first drawn since it counts the campaign, with a note. The
//! screen stays open until the store has committed the step, so a refused
//! signature loses nothing that was typed; the rules are the store's and
//! the CLI's (`recert signoff`, `recert close`), checked here first only to
//! say what is missing before asking.

use super::decide::plural;
use super::{detail_for_selection, reload, text_field};
use crate::domain::CampaignState;
use crate::domain::campaign::note_names_undecided;
use crate::rules::signoff::SignerRole;
use crate::store::{Closure, Part, SignOff, SignoffSummary, Tally};
use crate::tui::action::Action;
use crate::tui::app::{App, Input, Lifecycle, Mode, Status, Step, to_acknowledge};
use crate::tui::keymap::{self, ModeKind};
use crate::tui::message::Effect;
use crate::tui::view::{self, barrier};
use ratatui::crossterm::event::KeyEvent;
use ratatui::style::{Modifier, Style};

/// Opens the sign-off or close screen, when the campaign is where that
/// step can be taken.
pub(super) fn open(app: &mut App, step: Step) -> Vec<Effect> {
    let refusal = match (step, app.campaign.state) {
        (Step::SignOff, CampaignState::Closed) => Some("closed: sign-offs are over".to_string()),
        (Step::Close, CampaignState::Open) => Some(format!(
            "open: it closes after its sign-off ({} signs off)",
            keymap::keys_for(ModeKind::Browse, Action::SignOff)
        )),
        (Step::Close, CampaignState::Closed) => Some("already closed".into()),
        (_, CampaignState::Cancelled) => Some("cancelled: it ended without a sign-off".into()),
        _ => None,
    };
    if let Some(refusal) = refusal {
        app.status = Some(Status::Error(refusal));
        return vec![];
    }
    app.mode = Mode::Lifecycle(Box::new(Lifecycle::new(step)));
    vec![Effect::LoadLifecycle]
}

/// The fields the screen needs: the counts to acknowledge (parts nobody
/// signed, items nobody decided), then the note.
fn wanted(step: Step, waiting: u64, unsigned: Option<u64>) -> Vec<Input> {
    let mut fields = Vec::new();
    if step == Step::SignOff {
        if unsigned.is_some_and(|n| n > 0) {
            fields.push(Input::Unsigned);
        }
        if waiting > 0 {
            fields.push(Input::Accept);
        }
    }
    fields.push(Input::Note);
    fields
}

/// Sets up the fields for what the summary shows, keeping what was typed
/// when the summary is read again (after a refusal).
fn fit_fields(
    app: &App,
    screen: &mut Lifecycle,
    (waiting, unsigned): (u64, Option<u64>),
    allowed: bool,
) {
    let wanted = if allowed {
        wanted(screen.step, waiting, unsigned)
    } else {
        vec![]
    };
    let have: Vec<Input> = screen.fields.iter().map(|(i, _)| *i).collect();
    if have == wanted {
        return;
    }
    let mut fields = Vec::new();
    for input in wanted {
        let before = screen
            .text(input)
            .map_or_else(Vec::new, |t| t.lines().map(str::to_string).collect());
        let mut field = text_field(app, before);
        match input {
            Input::Accept => {
                field.set_placeholder_text(format!("type {waiting} to sign with them undecided"));
                field.set_cursor_line_style(Style::default());
            }
            Input::Unsigned => {
                let n = unsigned.unwrap_or_default();
                field.set_placeholder_text(format!(
                    "type {n} to sign off without {}",
                    plural(n, "that part", "those parts")
                ));
                field.set_cursor_line_style(Style::default());
            }
            _ => field.set_placeholder_text(match (screen.step, waiting) {
                (Step::SignOff, 0) => "What did you check? The note is the sign-off's evidence.",
                (Step::SignOff, _) => {
                    "What did you check, and why sign with items undecided? Say \"undecided\"."
                }
                (Step::Close, _) => "Optional note for the close event.",
            }),
        }
        fields.push((input, field));
    }
    screen.fields = fields;
    screen.focus = 0;
    show_focus(screen);
}

/// Only the focused field shows a cursor.
fn show_focus(screen: &mut Lifecycle) {
    let focus = screen.focus;
    for (i, (_, field)) in screen.fields.iter_mut().enumerate() {
        field.set_cursor_style(if i == focus {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        });
    }
}

pub(super) fn on_loaded(
    app: &mut App,
    role: Option<SignerRole>,
    summary: SignoffSummary,
) -> Vec<Effect> {
    if !matches!(app.mode, Mode::Lifecycle(_)) {
        // The screen was left before the campaign was read.
        return vec![];
    }
    let Mode::Lifecycle(mut screen) = std::mem::replace(&mut app.mode, Mode::Browse) else {
        return vec![];
    };
    // The summary is read fresh: it knows about sign-offs made elsewhere.
    app.campaign.state = summary.state;
    app.tally = summary.tally;
    let allowed = barrier(screen.step, &summary, role, &app.reviewer).is_none();
    let acknowledge = to_acknowledge(role, &summary, &app.reviewer);
    fit_fields(app, &mut screen, acknowledge, allowed);
    screen.role = role;
    screen.summary = Some(summary);
    app.mode = Mode::Lifecycle(screen);
    clamp_scroll(app);
    vec![]
}

fn clamp_scroll(app: &mut App) {
    let max = view::lifecycle_max_scroll(app);
    if let Mode::Lifecycle(screen) = &mut app.mode {
        screen.scroll = screen.scroll.min(max);
    }
}

pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = keymap::resolve(ModeKind::Lifecycle, &key);
    let page = (view::lifecycle_summary_height(app) / 2).max(1);
    let Mode::Lifecycle(screen) = &mut app.mode else {
        return vec![];
    };
    let count = screen.fields.len();
    match action {
        Some(Action::Cancel) => {
            app.status = Some(Status::Info(match screen.step {
                Step::SignOff => "cancelled: nothing was signed".into(),
                Step::Close => "cancelled: the campaign was not closed".into(),
            }));
            app.mode = Mode::Browse;
            vec![]
        }
        Some(Action::NextField) if count > 0 => {
            screen.focus = (screen.focus + 1) % count;
            show_focus(screen);
            vec![]
        }
        Some(Action::PreviousField) if count > 0 => {
            screen.focus = (screen.focus + count - 1) % count;
            show_focus(screen);
            vec![]
        }
        Some(Action::Enter)
            if matches!(screen.focused(), Some(Input::Accept | Input::Unsigned)) =>
        {
            screen.focus = (screen.focus + 1) % count;
            show_focus(screen);
            vec![]
        }
        Some(Action::PageDown) => {
            screen.scroll = screen.scroll.saturating_add(page);
            clamp_scroll(app);
            vec![]
        }
        Some(Action::PageUp) => {
            screen.scroll = screen.scroll.saturating_sub(page);
            vec![]
        }
        Some(Action::Save) => save(app),
        _ => {
            let focus = screen.focus;
            if let Some((_, field)) = screen.fields.get_mut(focus) {
                super::edit(field, key);
            }
            vec![]
        }
    }
}

/// Checks the screen and asks the store to record the step.
fn save(app: &mut App) -> Vec<Effect> {
    let actor = app.reviewer.clone();
    let Mode::Lifecycle(screen) = &mut app.mode else {
        return vec![];
    };
    let Some(summary) = &screen.summary else {
        screen.error = Some("still reading the campaign: a moment".into());
        return vec![];
    };
    if let Some(why) = barrier(screen.step, summary, screen.role, &actor) {
        screen.error = Some(why);
        return vec![];
    }
    let (waiting, unsigned) = to_acknowledge(screen.role, summary, &actor);
    let note = screen
        .text(Input::Note)
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let refuse = |screen: &mut Lifecycle, input: Input, message: String| {
        screen.error = Some(message);
        if let Some(at) = screen.fields.iter().position(|(i, _)| *i == input) {
            screen.focus = at;
        }
        show_focus(screen);
        vec![]
    };
    match screen.step {
        Step::Close => {
            screen.error = None;
            vec![Effect::CloseCampaign { note }]
        }
        Step::SignOff => {
            if let Some(n) = unsigned.filter(|n| *n > 0) {
                let typed = screen.text(Input::Unsigned).unwrap_or_default();
                if typed.trim().parse::<u64>().ok() != Some(n) {
                    return refuse(
                        screen,
                        Input::Unsigned,
                        format!(
                            "{n} {} nobody signed: type {n} to sign off without {}",
                            plural(n, "sponsor's part", "sponsors' parts"),
                            plural(n, "it", "them")
                        ),
                    );
                }
            }
            let accept = if waiting > 0 {
                let typed = screen.text(Input::Accept).unwrap_or_default();
                if typed.trim().parse::<u64>().ok() != Some(waiting) {
                    return refuse(
                        screen,
                        Input::Accept,
                        format!(
                            "{waiting} {} undecided: type {waiting} to sign off with them \
                             undecided",
                            plural(waiting, "item is", "items are")
                        ),
                    );
                }
                Some(waiting)
            } else {
                None
            };
            let Some(note) = note else {
                return refuse(
                    screen,
                    Input::Note,
                    "a sign-off needs a note saying what was checked".into(),
                );
            };
            if waiting > 0 && !note_names_undecided(&note, waiting) {
                return refuse(
                    screen,
                    Input::Note,
                    format!(
                        "the note must say items are undecided: mention \"undecided\" or the \
                         number {waiting}"
                    ),
                );
            }
            screen.error = None;
            vec![Effect::SignOff {
                note,
                accept,
                whole: unsigned,
            }]
        }
    }
}

pub(super) fn on_signed_off(app: &mut App, signoff: SignOff, state: CampaignState) -> Vec<Effect> {
    app.campaign.state = state;
    app.mode = Mode::Browse;
    app.dashboard = None;
    // That the signer also decided items was on the screen they signed.
    app.status = Some(Status::Info(format!(
        "signed off (event {}) · {} closes",
        signoff.seq,
        keymap::keys_for(ModeKind::Browse, Action::CloseCampaign)
    )));
    vec![]
}

pub(super) fn on_part_signed(app: &mut App, part: Part) -> Vec<Effect> {
    app.mode = Mode::Browse;
    app.dashboard = None;
    app.status = Some(Status::Info(format!(
        "signed your part (event {}): its {} {} are frozen",
        part.event.unwrap_or_default(),
        part.items,
        plural(part.items, "item", "items")
    )));
    vec![]
}

pub(super) fn on_closed(
    app: &mut App,
    closure: Closure,
    tally: Tally,
    state: CampaignState,
) -> Vec<Effect> {
    app.campaign.state = state;
    app.tally = tally;
    app.mode = Mode::Browse;
    app.dashboard = None;
    app.facets = None;
    let nobody = closure.kept + closure.revoked;
    // Short, to fit beside the still-effective count at 80 columns.
    app.status = Some(Status::Info(if nobody == 0 {
        "closed: every item had a decision".into()
    } else {
        format!("closed: {} kept, {} revoked", closure.kept, closure.revoked)
    }));
    // Items nobody decided now carry the close action.
    let mut effects = reload(app);
    effects.extend(detail_for_selection(app));
    effects.push(Effect::LoadRemediationCounts);
    effects
}

/// The store said no (the rules changed under the screen: someone decided
/// items, or signed, meanwhile): show why and read the summary again, so
/// what is on screen is what would be signed.
pub(super) fn on_refused(app: &mut App, message: String) -> Vec<Effect> {
    match &mut app.mode {
        Mode::Lifecycle(screen) => {
            screen.error = Some(message);
            vec![Effect::LoadLifecycle]
        }
        _ => {
            app.status = Some(Status::Error(message));
            vec![]
        }
    }
}
