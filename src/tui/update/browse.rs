//! Keys on the queue: moving, marking, changing the view, opening panels.
//! Decisions start here and continue in `decide`.

use super::{
    decide, marked_rows, move_selection, panels, recount, reload, remediation, text_field,
};
use crate::domain::{DecisionKind, Field, Filter};
use crate::store::{ItemId, ItemQuery, PageDirection, Selection};
use crate::tui::action::Action;
use crate::tui::app::{App, FilterPanel, Marks, Mode, SearchBox, Status, Step, View};
use crate::tui::keymap::{self, ModeKind};
use crate::tui::message::Effect;
use ratatui::crossterm::event::KeyEvent;
use ratatui_textarea::CursorMove;

pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(action) = keymap::resolve(ModeKind::Browse, &key) else {
        return vec![];
    };
    app.status = None;
    match action {
        Action::Down
        | Action::Up
        | Action::PageDown
        | Action::PageUp
        | Action::First
        | Action::Last => move_selection(app, action),
        Action::NextUndecided => find_undecided(app, PageDirection::Forward),
        Action::PreviousUndecided => find_undecided(app, PageDirection::Backward),
        Action::GoTo => {
            let mut field = text_field(app, vec![String::new()]);
            field.set_cursor_line_style(ratatui::style::Style::default());
            field.set_placeholder_text("an item id, as screens and reports quote it");
            app.mode = Mode::GoTo(Box::new(field));
            vec![]
        }
        Action::ScrollDetailDown => {
            panels::scroll_detail(app, true);
            vec![]
        }
        Action::ScrollDetailUp => {
            panels::scroll_detail(app, false);
            vec![]
        }
        Action::Attest => decide::begin(app, DecisionKind::Attest),
        Action::Revoke => decide::begin(app, DecisionKind::Revoke),
        Action::Exception => decide::begin(app, DecisionKind::Exception),
        Action::Reassign => decide::begin(app, DecisionKind::Reassign),
        Action::Rotate => decide::begin(app, DecisionKind::Rotate),
        Action::Undo => decide::begin(app, DecisionKind::Undo),
        Action::UndoLast => decide::undo_last(app),
        Action::ToggleMark => toggle_mark(app),
        Action::MarkAll => {
            if app.queue.rows.is_empty() {
                app.status = Some(Status::Info("nothing in view to mark".into()));
                return vec![];
            }
            // The undecided first: a bulk decision should not replace what
            // someone decided (and wrote) without being asked to.
            let undecided = undecided_of(&app.query);
            let query = match undecided {
                Some(q) if !app.marks.queries.contains(&q) => q,
                _ => app.query.clone(),
            };
            vec![Effect::MarkAll {
                query,
                removed: app.marks.removed.iter().copied().collect(),
            }]
        }
        Action::ClearMarks => {
            if !app.marks.is_empty() {
                app.marks = Marks::default();
                app.queue.marked.clear();
                app.status = Some(Status::Info("unmarked everything".into()));
            }
            vec![]
        }
        Action::Search => {
            let mut textarea = text_field(app, vec![app.view.search.clone()]);
            textarea.move_cursor(CursorMove::End);
            textarea.set_cursor_line_style(ratatui::style::Style::default());
            textarea.set_placeholder_text("identity, organization, system, entitlement or note");
            app.mode = Mode::Search(Box::new(SearchBox {
                textarea,
                before: app.view.search.clone(),
            }));
            vec![]
        }
        Action::Filters => {
            let mut panel = FilterPanel::default();
            for filter in &app.view.filters {
                panel
                    .chosen
                    .entry(filter.field)
                    .or_default()
                    .extend(filter.values.iter().cloned());
            }
            app.mode = Mode::Filter(panel);
            if app.facets.is_none() {
                vec![Effect::LoadFacets]
            } else {
                vec![]
            }
        }
        Action::ClearFilters => {
            if !app.view.is_narrowed() {
                app.status = Some(Status::Info("no search or filter to clear".into()));
                return vec![];
            }
            let kept = app.queue.current().map(|r| r.id);
            app.set_view(View {
                mine: app.view.mine,
                ..View::default()
            });
            app.status = Some(Status::Info("search and filters cleared".into()));
            keep_or_show(app, kept)
        }
        Action::ToggleScope => {
            let kept = app.queue.current().map(|r| r.id);
            app.set_view(View {
                mine: !app.view.mine,
                ..app.view.clone()
            });
            app.status = Some(Status::Info(if app.view.mine {
                format!("showing the items waiting for {}", app.reviewer)
            } else {
                "showing every item of the campaign".to_string()
            }));
            keep_or_show(app, kept)
        }
        Action::People => super::people::open(app),
        Action::Suspend => {
            app.suspend = true;
            vec![]
        }
        Action::Back => super::people::back(app),
        Action::Dashboard => {
            app.mode = Mode::Dashboard;
            app.dashboard = None;
            app.dashboard_scroll = 0;
            vec![Effect::LoadDashboard]
        }
        // The campaign may have been signed off or closed in another
        // terminal: read where it stands before choosing what to offer.
        Action::SignOff => vec![Effect::LoadCampaignState {
            then: Some(Step::SignOff),
        }],
        Action::CloseCampaign => vec![Effect::LoadCampaignState {
            then: Some(Step::Close),
        }],
        Action::Remediation => remediation::open(app),
        Action::Reload => {
            // Facets and the dashboard are counted again when next opened.
            app.facets = None;
            app.dashboard = None;
            app.status = Some(Status::Info("reloaded".into()));
            let mut effects = vec![
                Effect::LoadTally,
                Effect::LoadCampaignState { then: None },
                Effect::LoadRemediationCounts,
            ];
            effects.extend(reload(app));
            effects.extend(recount(app));
            if !app.marks.is_empty() {
                effects.push(Effect::CountMarked(app.marks.selection(app.query.campaign)));
            }
            effects
        }
        Action::Help => {
            app.mode = Mode::Help { scroll: 0 };
            vec![]
        }
        Action::Quit => vec![super::quit(app)],
        _ => vec![],
    }
}

/// The nearest undecided item of the view past the selected one.
fn find_undecided(app: &mut App, direction: PageDirection) -> Vec<Effect> {
    let Some(from) = app.queue.current().map(|r| r.rank) else {
        app.status = Some(Status::Info("nothing in view".into()));
        return vec![];
    };
    let mut undecided = app.query.clone();
    undecided
        .filters
        .push(Filter::new(Field::State, vec!["undecided".into()]));
    vec![Effect::FindUndecided {
        view: app.query.clone(),
        undecided,
        from,
        direction,
    }]
}

/// The new view, on the item that was selected if the view still shows
/// it, else from its top: changing the view should not lose the place.
fn keep_or_show(app: &mut App, kept: Option<ItemId>) -> Vec<Effect> {
    app.resume = kept;
    super::open_view(app)
}

/// Marks or unmarks the selected item, then moves on, so that a run of
/// items is marked with a run of spaces.
fn toggle_mark(app: &mut App) -> Vec<Effect> {
    let Some(id) = app.queue.current().map(|r| r.id) else {
        return vec![];
    };
    let mut effects = Vec::new();
    if app.marks.is_empty() {
        app.marks = Marks {
            count: Some(0),
            ..Marks::default()
        };
        effects.push(Effect::ChainHead);
    }
    let marks = &mut app.marks;
    if app.queue.marked.remove(&id) {
        // Unmarking wins over every way the item was marked.
        marks.added.remove(&id);
        marks.removed.insert(id);
        marks.count = marks.count.map(|n| n.saturating_sub(1));
    } else {
        app.queue.marked.insert(id);
        marks.removed.remove(&id);
        marks.added.insert(id);
        marks.count = marks.count.map(|n| n + 1);
    }
    if marks.is_empty() {
        app.marks = Marks::default();
    } else if marks.count.is_none() {
        effects.push(Effect::CountMarked(marks.selection(app.query.campaign)));
    }
    effects.extend(move_selection(app, Action::Down));
    effects
}

pub(super) fn on_marked_all(
    app: &mut App,
    query: ItemQuery,
    rematched: Vec<ItemId>,
) -> Vec<Effect> {
    let mut effects = Vec::new();
    if app.marks.is_empty() {
        app.marks = Marks::default();
        effects.push(Effect::ChainHead);
    }
    for id in rematched {
        app.marks.removed.remove(&id);
    }
    if !app.marks.queries.contains(&query) {
        app.marks.queries.push(query.clone());
    }
    app.marks.count = None;
    let decide = format!(
        "{} decide them, {} unmarks",
        keymap::bulk_decision_keys(),
        keymap::keys_for(ModeKind::Browse, Action::ClearMarks)
    );
    let again = keymap::keys_for(ModeKind::Browse, Action::MarkAll);
    app.status = Some(Status::Info(match undecided_of(&app.query) {
        Some(undecided) if undecided == query => {
            // Short: the status line has 80 columns beside the progress.
            format!("marked the undecided in view; {again} again adds the decided")
        }
        Some(_) => format!("marked all in view, the decided too: {decide}"),
        None => format!("marked all in view: {decide}"),
    }));
    effects.push(Effect::CountMarked(app.marks.selection(app.query.campaign)));
    effects.extend(marked_rows(app));
    effects
}

/// The undecided items of a view, unless the view already chose its
/// states (then `*` marks what it shows).
fn undecided_of(query: &ItemQuery) -> Option<ItemQuery> {
    if query.filters.iter().any(|f| f.field == Field::State) {
        return None;
    }
    let mut undecided = query.clone();
    undecided
        .filters
        .push(Filter::new(Field::State, vec!["undecided".into()]));
    Some(undecided)
}

/// Whether a counted selection is still what is marked (its baseline
/// event may have been filled in since).
pub(super) fn marks_are(app: &App, selection: &Selection) -> bool {
    let marks = &app.marks;
    selection.queries == marks.queries
        && selection.added.iter().eq(marks.added.iter())
        && selection.removed.iter().eq(marks.removed.iter())
}
