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

use crate::config::ConsoleSettings;
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
            ratatui::crossterm::event::DisableBracketedPaste,
            ratatui::crossterm::event::DisableMouseCapture
        );
        ratatui::restore();
    }
}

/// What the console asks of the terminal beyond raw mode and the
/// alternate screen: pastes in one piece (line breaks in a paste do not
/// act as Enter), and the mouse when the config allows it.
fn take_over_extras(settings: &ConsoleSettings) -> std::io::Result<()> {
    use ratatui::crossterm::event::{EnableBracketedPaste, EnableMouseCapture};
    ratatui::crossterm::execute!(std::io::stdout(), EnableBracketedPaste)?;
    if settings.mouse {
        ratatui::crossterm::execute!(std::io::stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

/// Ctrl+Z: the terminal as the shell had it, the process stopped as the
/// terminal's own Ctrl+Z would stop it (raw mode turned that off), and on
/// `fg` the console's terminal again, redrawn whole.
#[cfg(unix)]
fn suspend(terminal: &mut ratatui::DefaultTerminal, settings: &ConsoleSettings) -> Result<()> {
    use ratatui::crossterm::{cursor, event, terminal as term};
    ratatui::crossterm::execute!(
        std::io::stdout(),
        event::DisableBracketedPaste,
        event::DisableMouseCapture,
        term::LeaveAlternateScreen,
        cursor::Show
    )?;
    term::disable_raw_mode()?;
    // The whole job stops, as with the terminal's Ctrl+Z (pid 0 is this
    // process group). A group no shell controls ignores it and goes on.
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(0),
        nix::sys::signal::Signal::SIGTSTP,
    );
    // Here again after SIGCONT (`fg`).
    term::enable_raw_mode()?;
    ratatui::crossterm::execute!(
        std::io::stdout(),
        term::EnterAlternateScreen,
        term::Clear(term::ClearType::All),
        cursor::Hide
    )?;
    take_over_extras(settings)?;
    // A new terminal has nothing drawn, so the next frame is drawn whole.
    // (`Terminal::clear` would ask the terminal where its cursor is, which
    // a slow link may not answer in time.)
    *terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))?;
    Ok(())
}

#[cfg(not(unix))]
fn suspend(_: &mut ratatui::DefaultTerminal, _: &ConsoleSettings) -> Result<()> {
    Ok(())
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
    settings: &ConsoleSettings,
) -> Result<()> {
    needs_a_terminal()?;
    let mut terminal = ratatui::try_init()
        .wrap_err("the console needs a terminal, and recert could not take this one over")?;
    let _guard = TerminalGuard;
    take_over_extras(settings)?;
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
        if std::mem::take(&mut app.suspend) {
            suspend(&mut terminal, settings)?;
            // The terminal may have been resized while stopped.
            let size = terminal.size()?;
            if (size.width, size.height) != app.size {
                let effects = update::update(&mut app, Msg::Resize(size.width, size.height));
                dispatch(&mut app, &mut runner, effects, &mut later);
            }
            stale = true;
        }
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
            Event::Mouse(mouse) => Msg::Mouse(mouse),
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
