//! The console's state machine: a message in, state changed, effects out.
//! Pure: no I/O, no clock, so every behaviour is testable without a terminal.
//! Keys are routed by mode: `browse` (the queue), `decide` (decisions,
//! their dialogs and bulk decisions), `panels` (search, filters, dashboard,
//! help), `lifecycle` (the sign-off and close screens), `remediation` (the
//! list of revocations and whether they are gone).

mod browse;
mod decide;
mod lifecycle;
mod mouse;
mod panels;
mod people;
mod remediation;

#[cfg(test)]
pub(crate) use decide::against_words;

use super::action::Action;
use super::app::{App, Mode, Place, Status, View};
use super::message::{Effect, Msg, Seek, Select};
use crate::store::{ItemId, ItemQuery, ItemRow, PageDirection};
use ratatui::crossterm::event::KeyEvent;

/// The effects that fill the screen when the console opens.
pub fn start() -> Vec<Effect> {
    // The counts the console opened with may be older than the database;
    // whether the reviewer has anything decides the view (see `Assigned`).
    vec![
        Effect::LoadTally,
        Effect::LoadPlace,
        Effect::CheckAssigned,
        Effect::LoadRemediationCounts,
        Effect::CountTenants,
    ]
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => match app.mode {
            Mode::Browse if app.listing_people() => people::on_key(app, key),
            Mode::Browse => browse::on_key(app, key),
            Mode::Editor(_) => decide::on_editor_key(app, key),
            Mode::Confirm(_) => decide::on_confirm_key(app, key),
            Mode::Search(_) => panels::on_search_key(app, key),
            Mode::GoTo(_) => on_goto_key(app, key),
            Mode::Filter(_) => panels::on_filter_key(app, key),
            Mode::Dashboard => panels::on_dashboard_key(app, key),
            Mode::Lifecycle(_) => lifecycle::on_key(app, key),
            Mode::Remediation(_) => remediation::on_key(app, key),
            Mode::Help { .. } => panels::on_help_key(app, key),
        },
        Msg::Mouse(mouse) => mouse::on_mouse(app, mouse),
        Msg::Paste(text) => match &mut app.mode {
            Mode::Editor(_) => decide::on_paste(app, &text),
            Mode::Search(_) => panels::on_paste(app, &text),
            Mode::GoTo(field) => {
                paste(field, &text, true);
                vec![]
            }
            Mode::Lifecycle(screen) => {
                let single = screen.focused().is_some_and(|i| i.is_single_line());
                if let Some((_, field)) = screen.fields.get_mut(screen.focus) {
                    paste(field, &text, single);
                }
                vec![]
            }
            _ => vec![],
        },
        Msg::Found { query, seek, rank } => on_found(app, query, seek, rank),
        Msg::DraftLoaded { item, note } => decide::on_draft(app, item, note),
        Msg::PlaceLoaded(text) => {
            if let Some(place) = text.as_deref().and_then(Place::parse) {
                app.set_view(View {
                    mine: place.mine,
                    filters: place.filters,
                    search: place.search,
                });
                app.resume = place.item.map(ItemId);
            }
            vec![]
        }
        Msg::Assigned(true) => open_view(app),
        Msg::Assigned(false) => {
            app.opening = false;
            show_everything(app)
        }
        Msg::Resize(width, height) => {
            app.size = (width, height);
            panels::clamp_scrolls(app);
            let mut effects = reload(app);
            effects.extend(remediation::refresh(app));
            effects
        }
        Msg::PageLoaded {
            rows,
            anchor,
            direction,
            inclusive,
            select,
        } => on_page(app, rows, (anchor, direction, inclusive), select),
        Msg::TenantsCounted(n) => {
            app.tenants = Some(n);
            vec![]
        }
        Msg::Located {
            query,
            rank,
            before,
        } => {
            if query == app.query && app.queue.rows.first().is_some_and(|r| r.rank == rank) {
                app.queue.offset = Some(before);
            }
            vec![]
        }
        Msg::PeopleLoaded { query, people } => people::on_loaded(app, query, people),
        Msg::DetailLoaded(detail, task) => {
            let same = app.detail.as_ref().map(|d| d.row.id) == detail.as_ref().map(|d| d.row.id);
            if !same {
                app.detail_scroll = 0;
            }
            app.detail = detail.map(|d| *d);
            app.detail_task = task.map(|t| *t);
            panels::clamp_scrolls(app);
            vec![]
        }
        Msg::TallyLoaded(tally) => {
            app.tally = tally;
            vec![]
        }
        Msg::Decided {
            kind,
            outcomes,
            tally,
        } => {
            let mut effects = decide::on_decided(app, kind, outcomes, tally);
            effects.extend(people::regroup(app));
            effects
        }
        Msg::Conflict { item, seq, message } => decide::on_conflict(app, item, seq, message),
        Msg::Maintained => vec![],
        Msg::Failed(message) => {
            match &mut app.mode {
                Mode::Editor(editor) => editor.error = Some(message),
                Mode::Lifecycle(screen) => screen.error = Some(message),
                _ => app.status = Some(Status::Error(message)),
            }
            vec![]
        }
        Msg::ChainHead(seq) => {
            if !app.marks.is_empty() {
                app.marks.marked_at = seq;
            }
            people::on_chain_head(app)
        }
        Msg::MarkedRows { ids, marked } => {
            let shown: Vec<ItemId> = app.queue.rows.iter().map(|r| r.id).collect();
            if ids == shown {
                app.queue.marked = marked.into_iter().collect();
            }
            vec![]
        }
        Msg::MarkedAll { query, rematched } => browse::on_marked_all(app, query, rematched),
        Msg::Previewed { kind, preview } => decide::on_preview(app, kind, preview),
        Msg::BulkDecided {
            kind,
            outcome,
            tally,
        } => {
            let mut effects = decide::on_bulk_decided(app, kind, outcome, tally);
            if let Some(people) = &mut app.people {
                people.marked_person = false;
            }
            effects.extend(people::regroup(app));
            effects
        }
        Msg::Counted { query, count } => {
            if query == app.query {
                app.matching = Some((query, count));
            }
            vec![]
        }
        Msg::MarksCounted { selection, count } => {
            if browse::marks_are(app, &selection) {
                app.marks.count = Some(count);
            }
            vec![]
        }
        Msg::FacetsLoaded(facets) => {
            app.facets = Some(facets);
            vec![]
        }
        Msg::DashboardLoaded(dashboard) => {
            app.tally = dashboard.tally;
            app.dashboard = Some(*dashboard);
            vec![]
        }
        Msg::StateLoaded { state, then } => {
            app.campaign.state = state;
            match then {
                Some(step) => lifecycle::open(app, step),
                None => vec![],
            }
        }
        Msg::NoLongerOpen { state, message } => decide::on_no_longer_open(app, state, message),
        Msg::LifecycleLoaded { role, summary } => lifecycle::on_loaded(app, role, *summary),
        Msg::SignedOff { signoff, state } => lifecycle::on_signed_off(app, *signoff, state),
        Msg::PartSigned(part) => lifecycle::on_part_signed(app, *part),
        Msg::Closed {
            closure,
            tally,
            state,
        } => lifecycle::on_closed(app, *closure, tally, state),
        Msg::LifecycleRefused(message) => lifecycle::on_refused(app, message),
        Msg::RemediationCounted(counts) => {
            app.remediation = Some(counts);
            vec![]
        }
        Msg::RotationsLoaded { counts, rows } => remediation::on_rotations(app, counts, rows),
        Msg::RemediationPage {
            status,
            after,
            rows,
            limit,
            pick,
        } => remediation::on_page(app, status, after, rows, limit, pick),
    }
}

/// A campaign owner, or anyone with nothing waiting for them, would rather
/// see the campaign than an empty queue.
fn show_everything(app: &mut App) -> Vec<Effect> {
    app.status = Some(Status::Info(format!(
        "nothing in this campaign waits for {}: showing all items ({} switches)",
        app.reviewer,
        super::keymap::keys_for(super::keymap::ModeKind::Browse, Action::ToggleScope)
    )));
    app.set_view(View {
        mine: false,
        ..app.view.clone()
    });
    open_view(app)
}

/// The view the console opens on, at the kept item when it is in view.
fn open_view(app: &mut App) -> Vec<Effect> {
    let Some(item) = app.resume.take() else {
        return show_view(app);
    };
    let mut effects = vec![Effect::FindItem {
        query: app.query.clone(),
        item,
        keep: true,
    }];
    effects.extend(recount(app));
    effects
}

/// Quitting: where the person is, kept for when they come back.
fn quit(app: &mut App) -> Effect {
    app.quit = true;
    Effect::SavePlace(Place::of(app).to_text())
}

/// Keys while an item id is typed after `:`.
fn on_goto_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    use super::keymap::{self, ModeKind};
    let action = keymap::resolve(ModeKind::GoTo, &key);
    let Mode::GoTo(field) = &mut app.mode else {
        return vec![];
    };
    match action {
        Some(Action::Cancel) => {
            app.mode = Mode::Browse;
            vec![]
        }
        Some(Action::Apply) => {
            let typed = field.lines().join(" ");
            app.mode = Mode::Browse;
            let typed = typed.trim().trim_start_matches('#');
            match typed.parse::<i64>() {
                Ok(id) if id > 0 => vec![Effect::FindItem {
                    query: app.query.clone(),
                    item: ItemId(id),
                    keep: false,
                }],
                _ => {
                    app.status = Some(Status::Error(format!(
                        "{:?} is not an item id: type its number, as screens and reports quote it",
                        typed
                    )));
                    vec![]
                }
            }
        }
        _ => {
            edit(field, key);
            vec![]
        }
    }
}

/// Goes to what a seek found: on this page when it is here, else on a
/// page that starts at it.
fn on_found(app: &mut App, query: ItemQuery, seek: Seek, rank: Option<i64>) -> Vec<Effect> {
    if query != app.query {
        return vec![];
    }
    let Some(rank) = rank else {
        let scope = super::keymap::keys_for(super::keymap::ModeKind::Browse, Action::ToggleScope);
        let clear = super::keymap::keys_for(super::keymap::ModeKind::Browse, Action::ClearFilters);
        match seek {
            Seek::Undecided(direction) => {
                let way = match direction {
                    PageDirection::Forward => "after",
                    PageDirection::Backward => "before",
                };
                app.status = Some(Status::Info(format!(
                    "no undecided item in view {way} this one"
                )));
            }
            Seek::Item { keep: true, .. } => return show_view(app),
            Seek::Item {
                item,
                in_campaign: false,
                ..
            } => {
                app.status = Some(Status::Error(format!(
                    "item {item} is not in this campaign"
                )));
            }
            Seek::Item { item, .. } => {
                app.status = Some(Status::Info(format!(
                    "item {item} is not in this view ({scope} all items, {clear} clears the filters)"
                )));
            }
        }
        return vec![];
    };
    // After a change of view the page on screen is the old view's.
    let same_view = !matches!(seek, Seek::Item { keep: true, .. });
    if let Some(at) = app.queue.rows.iter().position(|r| r.rank == rank)
        && same_view
    {
        app.queue.selected = at;
        return detail_for_selection(app);
    }
    vec![Effect::LoadPage {
        anchor: Some(rank),
        direction: PageDirection::Forward,
        inclusive: true,
        select: Select::AtOrAfter(rank),
    }]
}

/// Where a page read from `from` (its anchor, direction and whether the
/// anchor itself was wanted) starts in the view: reckoned from the page on
/// screen when the anchor is on it, from the count when it is the end;
/// `None` when it takes a count.
fn page_offset(app: &App, rows: &[ItemRow], from: From) -> Option<u64> {
    let first = rows.first()?;
    if app.query.filters.is_empty() && app.query.search.is_none() {
        return u64::try_from(first.rank).ok();
    }
    let len = rows.len() as u64;
    match from {
        (None, PageDirection::Forward, _) => Some(0),
        (None, PageDirection::Backward, _) => app.matching_count().map(|n| n.saturating_sub(len)),
        (Some(anchor), direction, inclusive) => {
            let offset = app.queue.offset?;
            let at = app.queue.rows.iter().position(|r| r.rank == anchor)? as u64;
            Some(match (direction, inclusive) {
                (PageDirection::Forward, true) => offset + at,
                (PageDirection::Forward, false) => offset + at + 1,
                (PageDirection::Backward, true) => (offset + at + 1).saturating_sub(len),
                (PageDirection::Backward, false) => (offset + at).saturating_sub(len),
            })
        }
    }
}

/// A page's anchor, direction and whether the anchor was included.
type From = (Option<i64>, PageDirection, bool);

fn on_page(app: &mut App, rows: Vec<ItemRow>, from: From, select: Select) -> Vec<Effect> {
    let (anchor, direction, _) = from;
    // A page that ran into an end of the queue is refilled from that end,
    // so the window is always full when there is enough to fill it.
    if anchor.is_some() && rows.len() < app.page_size() {
        let (direction, select) = match direction {
            PageDirection::Forward => (
                PageDirection::Backward,
                if matches!(select, Select::Index(_)) {
                    Select::Last
                } else {
                    select
                },
            ),
            PageDirection::Backward => (
                PageDirection::Forward,
                if matches!(select, Select::Index(_)) {
                    Select::First
                } else {
                    select
                },
            ),
        };
        return vec![Effect::LoadPage {
            anchor: None,
            direction,
            inclusive: true,
            select,
        }];
    }
    if std::mem::take(&mut app.opening)
        && rows.is_empty()
        && app.view.mine
        && !app.view.is_narrowed()
    {
        return show_everything(app);
    }
    let offset = page_offset(app, &rows, from);
    app.queue.selected = select.resolve(&rows);
    app.queue.rows = rows;
    app.queue.offset = offset;
    app.queue.marked.clear();
    let mut effects = detail_for_selection(app);
    effects.extend(marked_rows(app));
    if let (None, Some(first)) = (offset, app.queue.rows.first()) {
        effects.push(Effect::Locate {
            query: app.query.clone(),
            rank: first.rank,
        });
    }
    effects
}

fn detail_for_selection(app: &mut App) -> Vec<Effect> {
    match app.queue.current() {
        Some(row) => vec![Effect::LoadDetail(row.id)],
        None => {
            app.detail = None;
            vec![]
        }
    }
}

/// Asks which rows of the page are marked, when anything is.
fn marked_rows(app: &App) -> Vec<Effect> {
    if app.marks.is_empty() || app.queue.rows.is_empty() {
        return vec![];
    }
    vec![Effect::LoadMarkedRows {
        selection: app.marks.selection(app.query.campaign),
        ids: app.queue.rows.iter().map(|r| r.id).collect(),
    }]
}

/// Reloads the window where it is, keeping the selected item if it is
/// still in view (after a decision, a resize, a reload).
fn reload(app: &App) -> Vec<Effect> {
    let select = app
        .queue
        .current()
        .map_or(Select::First, |r| Select::AtOrAfter(r.rank));
    // After the window shrank the selected row may lie below its new end:
    // then it becomes the top row instead.
    let anchor = if app.queue.selected < app.page_size() {
        app.queue.rows.first()
    } else {
        app.queue.current()
    };
    vec![Effect::LoadPage {
        anchor: anchor.map(|r| r.rank),
        direction: PageDirection::Forward,
        inclusive: true,
        select,
    }]
}

/// The first page of the current view, and its count when it is narrowed.
fn show_view(app: &App) -> Vec<Effect> {
    let mut effects = vec![Effect::LoadPage {
        anchor: None,
        direction: PageDirection::Forward,
        inclusive: true,
        select: Select::First,
    }];
    effects.extend(recount(app));
    effects
}

/// Counts a narrowed view again (after the view or a decision changed it).
fn recount(app: &App) -> Vec<Effect> {
    if app.query.filters.is_empty() && app.query.search.is_none() {
        vec![]
    } else {
        vec![Effect::CountMatches(app.query.clone())]
    }
}

/// A text field styled for this terminal: the editor's own defaults are
/// colours, which `NO_COLOR` rules out.
fn text_field(app: &App, lines: Vec<String>) -> ratatui_textarea::TextArea<'static> {
    use ratatui::style::{Modifier, Style};
    let mut field = ratatui_textarea::TextArea::new(lines);
    if !app.color {
        field.set_placeholder_style(Style::default().add_modifier(Modifier::DIM));
        field.set_selection_style(Style::default().add_modifier(Modifier::REVERSED));
    }
    field
}

/// A key for a text field: the editor's own keys, except that Ctrl+U
/// deletes to the start of the line as in a shell and Ctrl+Z undoes.
/// Whether the text changed.
fn edit(field: &mut ratatui_textarea::TextArea<'static>, key: KeyEvent) -> bool {
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => field.delete_line_by_head(),
        KeyCode::Char('z') if ctrl => field.undo(),
        _ => field.input(key),
    }
}

/// Pasted text into a field: a one-line field takes it on one line, and
/// control characters (other than a note's line breaks) are left out.
fn paste(field: &mut ratatui_textarea::TextArea<'static>, text: &str, single_line: bool) -> bool {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let clean: String = text
        .chars()
        .map(|c| match c {
            '\n' if single_line => ' ',
            '\t' => ' ',
            c => c,
        })
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    field.insert_str(clean)
}

/// Moves the selection; pages are fetched by keyset when it leaves the window.
fn move_selection(app: &mut App, action: Action) -> Vec<Effect> {
    let len = app.queue.rows.len();
    let selected = app.queue.selected;
    let full = len >= app.page_size();
    let (Some(first), Some(last), Some(current)) = (
        app.queue.rows.first().map(|r| r.rank),
        app.queue.rows.last().map(|r| r.rank),
        app.queue.current().map(|r| r.rank),
    ) else {
        return vec![];
    };
    let page = |anchor: i64, direction, select| {
        vec![Effect::LoadPage {
            anchor: Some(anchor),
            direction,
            inclusive: false,
            select,
        }]
    };
    match action {
        Action::Down if selected + 1 < len => {
            app.queue.selected += 1;
            detail_for_selection(app)
        }
        Action::Down if full => page(first, PageDirection::Forward, Select::After(current)),
        Action::Up if selected > 0 => {
            app.queue.selected -= 1;
            detail_for_selection(app)
        }
        Action::Up => page(last, PageDirection::Backward, Select::Before(current)),
        Action::PageDown if full => page(last, PageDirection::Forward, Select::Index(selected)),
        Action::PageDown | Action::Down => {
            app.queue.selected = len - 1;
            detail_for_selection(app)
        }
        Action::PageUp => page(first, PageDirection::Backward, Select::Index(selected)),
        Action::First => vec![Effect::LoadPage {
            anchor: None,
            direction: PageDirection::Forward,
            inclusive: true,
            select: Select::First,
        }],
        Action::Last => vec![Effect::LoadPage {
            anchor: None,
            direction: PageDirection::Backward,
            inclusive: true,
            select: Select::Last,
        }],
        _ => vec![],
    }
}
