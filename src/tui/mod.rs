//! The review console. Keys become actions through the key map, `update`
//! turns them into state changes and effects, the effect runner does the
//! I/O, and the views draw the state. The terminal is restored on every
//! exit path, a panic included.

pub mod action;
pub mod app;
pub mod effects;
pub mod keymap;
pub mod layout;
pub mod message;
pub mod update;
pub mod view;

use crate::store::{CampaignSummary, Store};
use app::App;
use chrono::NaiveDate;
use color_eyre::Result;
use effects::Runner;
use message::{Effect, Msg};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::collections::VecDeque;
use std::time::Duration;

/// Restores the terminal when dropped, for early returns with `?`; the
/// panic hook installed by `ratatui::try_init` covers panics.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Whether to use colours: `NO_COLOR` (any value) turns them off.
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Runs the console on `campaign` until the reviewer quits.
pub fn run(
    store: &mut Store,
    campaign: &CampaignSummary,
    reviewer: String,
    today: NaiveDate,
) -> Result<()> {
    let mut terminal = ratatui::try_init()?;
    let _guard = TerminalGuard;
    let size = terminal.size()?;
    let mut app = App::new(
        campaign,
        reviewer.clone(),
        today,
        (size.width, size.height),
        color_enabled(),
    );
    let mut runner = Runner::new(store, campaign.id, reviewer, today);
    let mut later = Deferred::default();
    let first = update::start();
    dispatch(&mut app, &mut runner, first, &mut later);
    while !app.quit {
        terminal.draw(|frame| view::render(&app, frame))?;
        // Slow work (counts, dashboards) waits until the frame is drawn and
        // the reviewer is not typing, so keys never queue behind a scan.
        if let Some(patience) = later.patience()
            && !event::poll(patience)?
        {
            run_deferred(&mut app, &mut runner, &mut later);
            continue;
        }
        let msg = match event::read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => Msg::Key(key),
            Event::Resize(width, height) => Msg::Resize(width, height),
            _ => continue,
        };
        let effects = update::update(&mut app, msg);
        dispatch(&mut app, &mut runner, effects, &mut later);
    }
    Ok(())
}

/// How long a pause in typing is, before a search reads its results.
const TYPING_PAUSE: Duration = Duration::from_millis(150);

/// Effects put off until the screen is drawn; a newer effect of a kind
/// replaces one still waiting, since only the latest answer matters.
#[derive(Debug, Default)]
pub struct Deferred {
    waiting: VecDeque<Effect>,
}

impl Deferred {
    pub fn push(&mut self, effect: Effect) {
        let kind = effect.kind();
        self.waiting.retain(|e| e.kind() != kind);
        self.waiting.push_back(effect);
    }

    pub fn pop(&mut self) -> Option<Effect> {
        self.waiting.pop_front()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// How long the keyboard must stay quiet before the waiting work runs:
    /// a pause in typing for a search, none for counts. `None` when
    /// nothing waits.
    pub fn patience(&self) -> Option<Duration> {
        let typing = self.waiting.iter().any(|e| matches!(e, Effect::Later(_)));
        match (self.waiting.is_empty(), typing) {
            (true, _) => None,
            (false, true) => Some(TYPING_PAUSE),
            (false, false) => Some(Duration::ZERO),
        }
    }
}

/// Runs the oldest deferred effect, and what follows from it.
pub fn run_deferred(app: &mut App, runner: &mut Runner<'_>, later: &mut Deferred) {
    if let Some(effect) = later.pop() {
        let msg = runner.run(effect, &app.query, app.page_size());
        let effects = update::update(app, msg);
        dispatch(app, runner, effects, later);
    }
}

/// Runs effects until none are left, feeding their results back through
/// `update`. Effects run before the next frame is drawn, so nothing shows
/// as decided before the store has committed it; deferred ones are put
/// aside in `later`.
pub fn dispatch(
    app: &mut App,
    runner: &mut Runner<'_>,
    effects: Vec<Effect>,
    later: &mut Deferred,
) {
    let mut pending: VecDeque<Effect> = effects.into();
    while let Some(effect) = pending.pop_front() {
        if effect.is_deferred() {
            later.push(effect);
            continue;
        }
        let writes = effect.writes();
        let msg = runner.run(effect, &app.query, app.page_size());
        pending.extend(update::update(app, msg));
        if writes {
            later.push(Effect::IdleMaintenance);
        }
    }
}

#[cfg(test)]
mod tests;
