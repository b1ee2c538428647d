//! The review console. Keys become actions through the key map, `update`
//! turns them into state changes and effects, the effect runner does the
//! I/O, and the views draw the state. Slow reads go to a background reader
//! with a connection of its own (`effects::Worker`), and their answers come
//! back as messages (`deferred`). The terminal is restored on every exit
//! path, a panic included.

pub mod action;
pub mod app;
mod deferred;
pub mod effects;
pub mod keymap;
pub mod layout;
pub mod message;
pub mod palette;
pub mod update;
pub mod view;

use crate::store::{CampaignSummary, Store};
use app::App;
use chrono::NaiveDate;
use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use effects::{Runner, Worker};
use message::{Effect, Msg};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub use deferred::{ANSWER_POLL, Deferred, TYPING_PAUSE};

/// Restores the terminal when dropped, for early returns with `?`; the
/// panic hook installed by `ratatui::try_init` covers panics.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = ratatui::crossterm::execute!(
            std::io::stdout(),
            ratatui::crossterm::event::DisableBracketedPaste
        );
        ratatui::restore();
    }
}

/// Whether to use colours, decided once (see `palette`).
pub fn color_enabled() -> bool {
    palette::use_color(&palette::detect())
}

/// The console draws on standard output and reads keys from the terminal:
/// refused at once when there is none (a pipe, cron, `ssh` without `-t`)
/// rather than failing on the first write.
pub fn needs_a_terminal() -> Result<()> {
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return Ok(());
    }
    Err(color_eyre::eyre::eyre!(
        "the console needs a terminal, and standard output is not one: run it in a terminal \
         (over SSH: ssh -t); `recert items` and `recert decide` work without one"
    ))
}

/// Runs the console on `campaign` until the reviewer quits.
pub fn run(
    store: &mut Store,
    campaign: &CampaignSummary,
    reviewer: String,
    via: crate::domain::roster::Established,
    today: NaiveDate,
) -> Result<()> {
    needs_a_terminal()?;
    let mut terminal = ratatui::try_init()
        .wrap_err("the console needs a terminal, and recert could not take this one over")?;
    let _guard = TerminalGuard;
    // A paste arrives as one piece: its line breaks do not act as Enter
    // and its letters not as keys.
    ratatui::crossterm::execute!(
        std::io::stdout(),
        ratatui::crossterm::event::EnableBracketedPaste
    )?;
    let size = terminal.size()?;
    let mut app = App::new(
        campaign,
        reviewer.clone(),
        today,
        (size.width, size.height),
        color_enabled(),
    );
    app.established = via.clone();
    app.known_people = known_people(store)?;
    let mut runner = Runner::new(store, campaign.id, reviewer.clone(), today).with_via(via);
    // Declared after the runner, so dropped (its reader closed) first.
    let mut later = Deferred::default();
    let first = update::start();
    dispatch(&mut app, &mut runner, first, &mut later);
    terminal.draw(|frame| view::render(&app, frame))?;
    // The reader's connection is opened once the first frame is drawn.
    later.attach(Worker::start(runner.store, campaign.id, &reviewer));
    let mut typed = Instant::now();
    let mut stale = false;
    while !app.quit {
        if stale {
            terminal.draw(|frame| view::render(&app, frame))?;
            stale = false;
        }
        // Slow work is sent to the background reader once the frame is
        // drawn, and its answers taken when no key is waiting, so a key
        // never queues behind a scan.
        if let Some(patience) = later.patience(typed.elapsed())
            && !event::poll(patience)?
        {
            stale |= idle(&mut app, &mut runner, &mut later, typed.elapsed());
            continue;
        }
        let msg = match event::read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => Msg::Key(key),
            Event::Resize(width, height) => Msg::Resize(width, height),
            Event::Paste(text) => Msg::Paste(text),
            _ => continue,
        };
        typed = Instant::now();
        let effects = update::update(&mut app, msg);
        dispatch(&mut app, &mut runner, effects, &mut later);
        stale = true;
    }
    Ok(())
}

/// Whom a reassign may name: the people register, and in a personal
/// database also everyone the estate and campaigns name.
fn known_people(store: &Store) -> Result<Vec<String>> {
    let personal = store.mode()? == crate::domain::roster::Mode::Personal;
    Ok(store.known_people(personal)?.into_iter().collect())
}

/// What the event loop does while no key waits, the keyboard quiet for
/// `quiet`: takes the background reader's answers, sends it what may go,
/// and runs at most one put-off effect on the console's own connection.
/// Whether the screen changed.
pub fn idle(app: &mut App, runner: &mut Runner<'_>, later: &mut Deferred, quiet: Duration) -> bool {
    let mut changed = false;
    for msg in later.answers() {
        let effects = update::update(app, msg);
        dispatch(app, runner, effects, later);
        changed = true;
    }
    later.send_ready(&app.query, app.page_size(), quiet);
    if let Some(effect) = later.next_inline(quiet) {
        let msg = runner.run(effect, &app.query, app.page_size());
        let effects = update::update(app, msg);
        dispatch(app, runner, effects, later);
        changed = true;
    }
    changed
}

/// Runs everything put off, and waits for every answer, as if the
/// reviewer paused for as long as that takes (tests and the bench).
pub fn settle(app: &mut App, runner: &mut Runner<'_>, later: &mut Deferred) {
    while !later.is_empty() {
        if !idle(app, runner, later, Duration::MAX)
            && !later.is_empty()
            && !later.wait(SETTLE_PATIENCE)
        {
            return;
        }
    }
}

/// How long `settle` waits for one answer before giving up on it.
const SETTLE_PATIENCE: Duration = Duration::from_secs(120);

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
        // A page read now answers for a search's page still to come.
        later.supersede(effect.kind());
        let writes = effect.writes();
        let msg = runner.run(effect, &app.query, app.page_size());
        if writes {
            later.wrote();
        }
        pending.extend(update::update(app, msg));
    }
}

#[cfg(test)]
mod tests;
