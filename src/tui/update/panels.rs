//! Keys in the panels over the queue: the incremental search, the filter
//! panel, the dashboard and the help; and scrolling what does not fit.

use super::{move_selection, show_view};
use crate::domain::{Field, Filter};
use crate::store::FACET_FIELDS;
use crate::tui::action::Action;
use crate::tui::app::{App, Mode, Status, View};
use crate::tui::keymap::{self, ModeKind};
use crate::tui::message::Effect;
use crate::tui::view;
use ratatui::crossterm::event::KeyEvent;

pub(super) fn on_search_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = keymap::resolve(ModeKind::Search, &key);
    let Mode::Search(search) = &mut app.mode else {
        return vec![];
    };
    match action {
        Some(Action::Apply) => {
            app.mode = Mode::Browse;
            vec![]
        }
        Some(Action::Cancel) => {
            let before = std::mem::take(&mut search.before);
            app.mode = Mode::Browse;
            if before == app.view.search {
                return vec![];
            }
            app.set_view(View {
                search: before,
                ..app.view.clone()
            });
            show_view(app)
        }
        Some(action @ (Action::Down | Action::Up)) => move_selection(app, action),
        _ => {
            if !super::edit(&mut search.textarea, key) {
                return vec![];
            }
            search_changed(app)
        }
    }
}

pub(super) fn on_paste(app: &mut App, text: &str) -> Vec<Effect> {
    let Mode::Search(search) = &mut app.mode else {
        return vec![];
    };
    if !super::paste(&mut search.textarea, text, true) {
        return vec![];
    }
    search_changed(app)
}

/// Incremental: every change of the text is a new first page, read once
/// the typing pauses.
fn search_changed(app: &mut App) -> Vec<Effect> {
    let Mode::Search(search) = &app.mode else {
        return vec![];
    };
    let text = search.textarea.lines().join(" ");
    app.set_view(View {
        search: text,
        ..app.view.clone()
    });
    show_view(app)
        .into_iter()
        .map(|effect| match effect {
            Effect::LoadPage { .. } => Effect::Later(Box::new(effect)),
            other => other,
        })
        .collect()
}

/// The values the filter panel offers for its focused field.
fn field_values(app: &App, field: usize) -> usize {
    app.facets
        .as_ref()
        .and_then(|f| f.get(field))
        .map_or(0, |f| f.values.len())
}

pub(super) fn on_filter_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let action = keymap::resolve(ModeKind::Filter, &key);
    let Mode::Filter(panel) = &app.mode else {
        return vec![];
    };
    let fields = FACET_FIELDS.len();
    let mut panel = panel.clone();
    let values = field_values(app, panel.field);
    match action {
        Some(Action::Down) => panel.cursor = (panel.cursor + 1).min(values.saturating_sub(1)),
        Some(Action::Up) => panel.cursor = panel.cursor.saturating_sub(1),
        Some(Action::NextField) => {
            panel.field = (panel.field + 1) % fields;
            panel.cursor = 0;
        }
        Some(Action::PreviousField) => {
            panel.field = (panel.field + fields - 1) % fields;
            panel.cursor = 0;
        }
        Some(Action::Choose) => {
            let field = FACET_FIELDS[panel.field];
            let value = app
                .facets
                .as_ref()
                .and_then(|f| f.get(panel.field))
                .and_then(|f| f.values.get(panel.cursor))
                .map(|(v, _)| v.clone());
            if let Some(value) = value {
                let chosen = panel.chosen.entry(field).or_default();
                if !chosen.remove(&value) {
                    chosen.insert(value);
                }
                if chosen.is_empty() {
                    panel.chosen.remove(&field);
                }
            }
        }
        Some(Action::ClearFilters) => panel.chosen.clear(),
        Some(Action::Apply) => {
            // Filters in the panel's field order, so the header reads the
            // same however they were chosen.
            let filters: Vec<Filter> = FACET_FIELDS
                .iter()
                .filter_map(|field| {
                    let values = panel.chosen.get(field)?;
                    Some(Filter::new(*field, values.iter().cloned().collect()))
                })
                .collect();
            app.mode = Mode::Browse;
            if filters == app.view.filters {
                return vec![];
            }
            if filters.iter().any(|f| f.field == Field::Reviewer) && app.view.mine {
                // Choosing reviewers asks for their items, not only mine.
                app.view.mine = false;
            }
            app.set_view(View {
                filters,
                ..app.view.clone()
            });
            app.status = Some(Status::Info(if app.view.filters.is_empty() {
                "filter cleared".to_string()
            } else {
                "filter applied".to_string()
            }));
            return show_view(app);
        }
        Some(Action::Cancel) => {
            app.mode = Mode::Browse;
            return vec![];
        }
        _ => return vec![],
    }
    app.mode = Mode::Filter(panel);
    vec![]
}

pub(super) fn on_dashboard_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match keymap::resolve(ModeKind::Dashboard, &key) {
        Some(Action::Reload) => {
            app.dashboard = None;
            vec![Effect::LoadDashboard]
        }
        Some(Action::Close) => {
            app.mode = Mode::Browse;
            vec![]
        }
        Some(Action::Down) => {
            let reviewers = app.dashboard.as_ref().map_or(0, |d| d.reviewers.len());
            app.dashboard_scroll = (app.dashboard_scroll + 1).min(reviewers.saturating_sub(1));
            vec![]
        }
        Some(Action::Up) => {
            app.dashboard_scroll = app.dashboard_scroll.saturating_sub(1);
            vec![]
        }
        _ => vec![],
    }
}

pub(super) fn on_help_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Mode::Help { scroll } = app.mode else {
        return vec![];
    };
    let page = view::help_page_height(app.size);
    let max = view::help_max_scroll(app.size);
    let scroll = match keymap::resolve(ModeKind::Help, &key) {
        Some(Action::Down) => scroll.saturating_add(1),
        Some(Action::Up) => scroll.saturating_sub(1),
        Some(Action::PageDown) => scroll.saturating_add(page),
        Some(Action::PageUp) => scroll.saturating_sub(page),
        Some(Action::Close) => {
            app.mode = Mode::Browse;
            return vec![];
        }
        _ => scroll,
    };
    app.mode = Mode::Help {
        scroll: scroll.min(max),
    };
    vec![]
}

/// Scrolls the detail pane by half its height, within what it holds.
pub(super) fn scroll_detail(app: &mut App, down: bool) {
    let step = (view::detail_height(app.size) / 2).max(1);
    app.detail_scroll = if down {
        app.detail_scroll.saturating_add(step)
    } else {
        app.detail_scroll.saturating_sub(step)
    };
    clamp_scrolls(app);
}

/// Keeps scroll positions within their content after a resize or a reload.
pub(super) fn clamp_scrolls(app: &mut App) {
    app.detail_scroll = app.detail_scroll.min(view::detail_max_scroll(app));
    let lifecycle_max = view::lifecycle_max_scroll(app);
    match &mut app.mode {
        Mode::Help { scroll } => *scroll = (*scroll).min(view::help_max_scroll(app.size)),
        Mode::Lifecycle(screen) => screen.scroll = screen.scroll.min(lifecycle_max),
        _ => {}
    }
}
