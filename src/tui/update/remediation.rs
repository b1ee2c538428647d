//! The remediation list: the campaign's revocations, riskiest first, each
//! pending, verified or STILL EFFECTIVE. It holds one page, read by keyset
//! on the risk rank; paging back returns to where earlier pages started,
//! so no key reads more than a page however many revocations there are.

use crate::domain::RemediationStatus;
use crate::store::{RemediationTask, RotationCounts, RotationTask};
use crate::tui::action::Action;
use crate::tui::app::{App, Mode, RemediationList, Rotations};
use crate::tui::keymap::{self, ModeKind};
use crate::tui::message::{Effect, Pick};
use crate::tui::view;
use ratatui::crossterm::event::KeyEvent;

/// The order the status filter steps through: every revocation, then the
/// failures first, then the rotations (`None` with `true`).
const STATUSES: [(Option<RemediationStatus>, bool); 5] = [
    (None, false),
    (Some(RemediationStatus::StillEffective), false),
    (Some(RemediationStatus::Pending), false),
    (Some(RemediationStatus::Verified), false),
    (None, true),
];

fn load(app: &App, status: Option<RemediationStatus>, after: Option<i64>, pick: Pick) -> Effect {
    Effect::LoadRemediation {
        status,
        after,
        limit: view::remediation_capacity(app.size).max(1),
        pick,
    }
}

pub(super) fn open(app: &mut App) -> Vec<Effect> {
    app.mode = Mode::Remediation(Box::default());
    vec![
        load(app, None, None, Pick::First),
        Effect::LoadRemediationCounts,
        Effect::LoadRotations { today: app.today },
    ]
}

pub(super) fn on_rotations(
    app: &mut App,
    counts: RotationCounts,
    rows: Vec<RotationTask>,
) -> Vec<Effect> {
    if let Mode::Remediation(list) = &mut app.mode {
        list.rotation_selected = list.rotation_selected.min(rows.len().saturating_sub(1));
    }
    app.rotations = Some(Rotations { counts, rows });
    vec![]
}

/// Moves through the rotation tasks, all of which are in memory.
fn on_rotation_key(app: &mut App, action: Option<Action>) -> Option<Vec<Effect>> {
    let len = app.rotations.as_ref().map_or(0, |r| r.rows.len());
    let page = view::remediation_capacity(app.size).max(1);
    let Mode::Remediation(list) = &mut app.mode else {
        return None;
    };
    let last = len.saturating_sub(1);
    let at = list.rotation_selected;
    list.rotation_selected = match action? {
        Action::Down => (at + 1).min(last),
        Action::Up => at.saturating_sub(1),
        Action::PageDown => (at + page).min(last),
        Action::PageUp => at.saturating_sub(page),
        Action::First => 0,
        _ => return None,
    };
    Some(vec![])
}

/// Reads the page on screen again where it is (after a resize or `R`).
pub(super) fn refresh(app: &App) -> Vec<Effect> {
    match &app.mode {
        Mode::Remediation(list) => vec![load(
            app,
            list.status,
            list.after,
            Pick::Index(list.selected),
        )],
        _ => vec![],
    }
}

pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = keymap::resolve(ModeKind::Remediation, &key);
    if matches!(&app.mode, Mode::Remediation(list) if list.rotations)
        && let Some(effects) = on_rotation_key(app, action)
    {
        return effects;
    }
    let Mode::Remediation(list) = &mut app.mode else {
        return vec![];
    };
    let len = list.rows.len();
    let last_rank = list.rows.last().map(|t| t.rank);
    // Moving to another page: remember where this one started.
    let forward = |list: &mut RemediationList| {
        list.earlier.push(list.after);
        list.after = last_rank;
    };
    let (status, pick) = match action {
        Some(Action::Down) if list.selected + 1 < len => {
            list.selected += 1;
            return vec![];
        }
        Some(Action::Down) if list.more => {
            forward(list);
            (list.status, Pick::First)
        }
        Some(Action::Up) if list.selected > 0 => {
            list.selected -= 1;
            return vec![];
        }
        Some(Action::Up) if !list.earlier.is_empty() => {
            list.after = list.earlier.pop().flatten();
            (list.status, Pick::Last)
        }
        Some(Action::PageDown) if list.more => {
            forward(list);
            (list.status, Pick::Index(list.selected))
        }
        Some(Action::PageDown) => {
            list.selected = len.saturating_sub(1);
            return vec![];
        }
        Some(Action::PageUp) if !list.earlier.is_empty() => {
            list.after = list.earlier.pop().flatten();
            (list.status, Pick::Index(list.selected))
        }
        Some(Action::PageUp) => {
            list.selected = 0;
            return vec![];
        }
        Some(Action::First) => {
            list.earlier.clear();
            list.after = None;
            (list.status, Pick::First)
        }
        Some(action @ (Action::NextField | Action::PreviousField)) => {
            let now = (list.status, list.rotations);
            let at = STATUSES.iter().position(|s| *s == now).unwrap_or(0);
            let step = if action == Action::NextField {
                1
            } else {
                STATUSES.len() - 1
            };
            (list.status, list.rotations) = STATUSES[(at + step) % STATUSES.len()];
            list.earlier.clear();
            list.after = None;
            (list.status, Pick::First)
        }
        Some(Action::Reload) => {
            let mut effects = refresh(app);
            effects.push(Effect::LoadRemediationCounts);
            effects.push(Effect::LoadRotations { today: app.today });
            return effects;
        }
        Some(Action::Close) => {
            app.mode = Mode::Browse;
            return vec![];
        }
        _ => return vec![],
    };
    let after = list.after;
    vec![load(app, status, after, pick)]
}

pub(super) fn on_page(
    app: &mut App,
    status: Option<RemediationStatus>,
    after: Option<i64>,
    mut rows: Vec<RemediationTask>,
    limit: usize,
    pick: Pick,
) -> Vec<Effect> {
    let Mode::Remediation(list) = &mut app.mode else {
        return vec![];
    };
    if list.status != status || list.after != after {
        // An answer to a question no longer asked.
        return vec![];
    }
    if rows.is_empty() && after.is_some() {
        // What followed is gone (decided again meanwhile): start over.
        list.earlier.clear();
        list.after = None;
        return vec![load(app, status, None, Pick::First)];
    }
    list.more = rows.len() > limit;
    rows.truncate(limit);
    list.selected = pick.resolve(rows.len());
    list.rows = rows;
    vec![]
}
