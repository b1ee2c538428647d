//! The review console. Keys become actions through the key map, `update`
//! turns them into state changes and effects, the effect runner does the
//! I/O, and the views draw the state. The terminal is restored on every
//! exit path, a panic included.

pub mod action;
pub mod app;
pub mod effects;
pub mod keymap;
pub mod update;
pub mod view;

use crate::store::{CampaignSummary, Store};
use app::App;
use chrono::NaiveDate;
use color_eyre::Result;
use effects::Runner;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::collections::VecDeque;
use update::Msg;

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
    dispatch(&mut app, &mut runner, update::start());
    while !app.quit {
        terminal.draw(|frame| view::render(&app, frame))?;
        let msg = match event::read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => Msg::Key(key),
            Event::Resize(width, height) => Msg::Resize(width, height),
            _ => continue,
        };
        let effects = update::update(&mut app, msg);
        dispatch(&mut app, &mut runner, effects);
    }
    Ok(())
}

/// Runs effects until none are left, feeding their results back through
/// `update`. Effects run before the next frame is drawn, so nothing shows
/// as decided before the store has committed it.
pub fn dispatch(app: &mut App, runner: &mut Runner<'_>, effects: Vec<effects::Effect>) {
    let mut pending: VecDeque<effects::Effect> = effects.into();
    while let Some(effect) = pending.pop_front() {
        let msg = runner.run(effect, &app.query, app.page_size());
        pending.extend(update::update(app, msg));
    }
}

#[cfg(test)]
mod tests;
