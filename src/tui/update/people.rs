//! The person view: the items in view grouped by identity. Moving over
//! people is in memory (the grouping is read once per view, and again
//! after decisions); Enter shows one person's grants in the queue; a
//! decision key decides all of one person's grants through the same bulk
//! path as marks, with the same questions first.

use super::{decide, open_view, quit, show_view};
use crate::domain::DecisionKind;
use crate::store::{ItemQuery, PersonRow};
use crate::tui::action::Action;
use crate::tui::app::{App, Marks, Mode, People, Status, person_filters, person_view};
use crate::tui::keymap::{self, ModeKind};
use crate::tui::message::Effect;
use ratatui::crossterm::event::KeyEvent;

/// `p` on the queue: the person view of what the queue shows, or back to
/// the list from one person's grants.
pub(super) fn open(app: &mut App) -> Vec<Effect> {
    if app.people.as_ref().is_some_and(|p| !p.listing()) {
        return back(app);
    }
    app.people = Some(People {
        base: app.view.clone(),
        query: app.query.clone(),
        rows: None,
        selected: 0,
        open: None,
        marked_person: false,
        pending: None,
    });
    app.detail = None;
    vec![Effect::LoadPeople(app.query.clone())]
}

/// From one person's grants back to the list, grouped again (their
/// counts may have changed).
pub(super) fn back(app: &mut App) -> Vec<Effect> {
    let Some(people) = &mut app.people else {
        app.status = Some(Status::Info(format!(
            "not in the person view ({} groups the items by identity)",
            keymap::keys_for(ModeKind::Browse, Action::People)
        )));
        return vec![];
    };
    people.open = None;
    let base = people.base.clone();
    app.set_view(base);
    app.detail = None;
    regroup(app)
}

/// The grouping read again, when the person view is on.
pub(super) fn regroup(app: &App) -> Vec<Effect> {
    app.people
        .as_ref()
        .map(|p| Effect::LoadPeople(p.query.clone()))
        .into_iter()
        .collect()
}

pub(super) fn on_loaded(app: &mut App, query: ItemQuery, rows: Vec<PersonRow>) -> Vec<Effect> {
    let Some(people) = &mut app.people else {
        return vec![];
    };
    if people.query != query {
        return vec![];
    }
    // Stay on the same person when they are still there.
    let was = people
        .current()
        .map(|p| (p.tenant.clone(), p.identity_id.clone()));
    people.selected = was
        .and_then(|(tenant, id)| {
            rows.iter()
                .position(|p| p.tenant == tenant && p.identity_id == id)
        })
        .unwrap_or(people.selected)
        .min(rows.len().saturating_sub(1));
    people.rows = Some(rows);
    vec![]
}

/// How many people a page of the list holds at this size.
fn page(app: &App) -> usize {
    app.page_size()
}

pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(action) = keymap::resolve(ModeKind::People, &key) else {
        return vec![];
    };
    app.status = None;
    // Marks a cancelled decision left on a person's grants go now: marks
    // are not shown in the person view, so none should linger unseen.
    if app.people.as_ref().is_some_and(|p| p.pending.is_none()) {
        forget_person_marks(app);
    }
    let page = page(app);
    let Some(people) = &mut app.people else {
        return vec![];
    };
    let len = people.rows.as_ref().map_or(0, Vec::len);
    let last = len.saturating_sub(1);
    match action {
        Action::Down => people.selected = (people.selected + 1).min(last),
        Action::Up => people.selected = people.selected.saturating_sub(1),
        Action::PageDown => people.selected = (people.selected + page).min(last),
        Action::PageUp => people.selected = people.selected.saturating_sub(page),
        Action::First => people.selected = 0,
        Action::Last => people.selected = last,
        Action::Apply => return show_person(app),
        Action::Attest => return decide_person(app, DecisionKind::Attest),
        Action::Revoke => return decide_person(app, DecisionKind::Revoke),
        Action::Exception => return decide_person(app, DecisionKind::Exception),
        Action::Reassign => return decide_person(app, DecisionKind::Reassign),
        Action::Undo => return decide_person(app, DecisionKind::Undo),
        Action::Reload => {
            app.status = Some(Status::Info("grouped again".into()));
            return regroup(app);
        }
        Action::Close => return leave(app),
        Action::Help => app.mode = Mode::Help { scroll: 0 },
        Action::Quit => return vec![quit(app)],
        Action::Suspend => app.suspend = true,
        _ => {}
    }
    vec![]
}

/// Enter on a person: their grants in the queue.
fn show_person(app: &mut App) -> Vec<Effect> {
    let Some(people) = &mut app.people else {
        return vec![];
    };
    let Some(person) = people.current().cloned() else {
        return vec![];
    };
    let view = person_view(&people.base, &person);
    let back = keymap::keys_for(ModeKind::Browse, Action::Back);
    app.status = Some(Status::Info(format!(
        "{} {} of {}; {back} back to the people",
        person.grants,
        if person.grants == 1 {
            "grant"
        } else {
            "grants"
        },
        crate::domain::text::sanitize(&person.name)
    )));
    people.open = Some(person);
    forget_person_marks(app);
    app.set_view(view);
    show_view(app)
}

/// Leaves the person view: the queue shows the view that was grouped.
fn leave(app: &mut App) -> Vec<Effect> {
    forget_person_marks(app);
    let Some(people) = app.people.take() else {
        return vec![];
    };
    app.set_view(people.base);
    app.resume = app.queue.current().map(|r| r.id);
    open_view(app)
}

/// Marks a decision key set on one person's grants go with the person.
fn forget_person_marks(app: &mut App) {
    if let Some(people) = &mut app.people
        && std::mem::take(&mut people.marked_person)
    {
        app.marks = Marks::default();
        app.queue.marked.clear();
    }
}

/// A decision on all of one person's grants in view: they are marked (as
/// `*` would mark them) against the log's head, then decided as marks are.
fn decide_person(app: &mut App, kind: DecisionKind) -> Vec<Effect> {
    if app.campaign.state != crate::domain::CampaignState::Open {
        return decide::begin(app, kind);
    }
    let Some(people) = &mut app.people else {
        return vec![];
    };
    let Some(person) = people.current().cloned() else {
        app.status = Some(Status::Info("nobody in view".into()));
        return vec![];
    };
    let mut query = people.query.clone();
    query.filters.extend(person_filters(&person));
    people.marked_person = true;
    people.pending = Some(kind);
    app.marks = Marks {
        queries: vec![query],
        count: Some(person.grants),
        ..Marks::default()
    };
    vec![Effect::ChainHead]
}

/// The log's head arrived: a decision waiting on a person's grants goes on.
pub(super) fn on_chain_head(app: &mut App) -> Vec<Effect> {
    match app.people.as_mut().and_then(|p| p.pending.take()) {
        Some(kind) => decide::begin(app, kind),
        None => vec![],
    }
}
