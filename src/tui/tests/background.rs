//! The slow reads on the background reader: the same screens as reading
//! between keys, no key ever waiting for a read, a newer request making an
//! older one's answer moot, and an answer read before a decision never
//! shown after it.

use super::{Console, ch, ctrl, key};
use crate::testing::{sample_file_store, sample_store};
use crate::tui::message::{Effect, Msg};
use crate::tui::{ANSWER_POLL, TYPING_PAUSE, dispatch, idle, update};
use ratatui::crossterm::event::KeyCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// How long a held read waits to be let through before it goes on by
/// itself (and says so): long enough that only a console that waited for
/// it lets the time run out.
const HOLD_LIMIT: Duration = Duration::from_secs(30);

/// Holds the reader's answers, while switched on, until let through.
struct Gate {
    on: Arc<AtomicBool>,
    pass: mpsc::Sender<()>,
    /// Reads being held now.
    held: Arc<AtomicUsize>,
    /// Set when a held read went on because nobody let it through.
    ran_out: Arc<AtomicBool>,
}

impl Gate {
    fn new() -> (Gate, Box<dyn FnMut() + Send>) {
        let (pass, passes) = mpsc::channel::<()>();
        let gate = Gate {
            on: Arc::new(AtomicBool::new(false)),
            pass,
            held: Arc::new(AtomicUsize::new(0)),
            ran_out: Arc::new(AtomicBool::new(false)),
        };
        let (on, held, ran_out) = (gate.on.clone(), gate.held.clone(), gate.ran_out.clone());
        let hold = move || {
            if on.load(Ordering::SeqCst) {
                held.fetch_add(1, Ordering::SeqCst);
                if passes.recv_timeout(HOLD_LIMIT).is_err() {
                    ran_out.store(true, Ordering::SeqCst);
                }
                held.fetch_sub(1, Ordering::SeqCst);
            }
        };
        (gate, Box::new(hold))
    }

    fn close(&self) {
        self.on.store(true, Ordering::SeqCst);
    }

    /// Lets the held read through, and every one after it.
    fn open(&self) {
        self.on.store(false, Ordering::SeqCst);
        let _ = self.pass.send(());
    }

    /// Waits until the reader holds a read (it has read it, and holds its
    /// answer).
    fn wait_for_a_held_read(&self) {
        for _ in 0..30_000 {
            if self.held.load(Ordering::SeqCst) > 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("the reader never took the job");
    }
}

/// A key as the event loop handles it: update, effects, the frame, then
/// what it does while no key waits, the keyboard quiet for `quiet`.
fn press(console: &mut Console<'_>, msg: Msg, quiet: Duration) {
    let effects = update::update(&mut console.app, msg);
    dispatch(
        &mut console.app,
        &mut console.runner,
        effects,
        &mut console.later,
    );
    console.draw();
    idle(
        &mut console.app,
        &mut console.runner,
        &mut console.later,
        quiet,
    );
}

/// Takes the reader's next answer as the event loop would, between keys.
fn take_an_answer(console: &mut Console<'_>) {
    assert!(console.later.wait(HOLD_LIMIT), "an answer came");
    idle(
        &mut console.app,
        &mut console.runner,
        &mut console.later,
        Duration::ZERO,
    );
}

fn kind(effect: &Effect) -> crate::tui::effects::Kind {
    effect.kind()
}

#[test]
fn the_background_reader_changes_when_reads_are_made_not_what_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut file, q4) = sample_file_store(dir.path());
    let (mut memory, q4_in_memory) = sample_store();
    let mut background = Console::open_in_background(&mut file, &q4, (120, 40), Box::new(|| {}));
    let mut between_keys = Console::open(&mut memory, &q4_in_memory, (120, 40));
    assert!(background.later.has_worker());
    assert!(!between_keys.later.has_worker());
    assert_eq!(background.draw(), between_keys.draw());
    let keys = [
        ch('d'), // the dashboard
        ch('d'), // back
        ch('v'), // the whole campaign: counted by the tally
        ch('v'), // mine again: counted
        ch('/'), // a search, read when typing pauses
        ch('l'), //
        ch('e'), //
        ch('n'), //
        key(KeyCode::Enter),
        ch('f'), // the filter panel's values
        ch(' '), // choose the first
        key(KeyCode::Enter),
        ch('*'), // mark everything in view: counted
        ch('m'), // the remediation view and its counts
        key(KeyCode::Esc),
        ch('S'), // the sign-off summary
        key(KeyCode::Esc),
    ];
    for (n, msg) in keys.into_iter().enumerate() {
        let Msg::Key(k) = msg else { unreachable!() };
        background.send(Msg::Key(k));
        between_keys.send(Msg::Key(k));
        assert_eq!(background.draw(), between_keys.draw(), "after key {n}");
    }
    assert!(
        background.draw().contains("marked"),
        "{}",
        background.draw()
    );
}

#[test]
fn a_key_never_waits_for_a_read_under_way() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store, q4) = sample_file_store(dir.path());
    let (gate, hold) = Gate::new();
    let mut console = Console::open_in_background(&mut store, &q4, (80, 24), hold);
    gate.close();
    press(&mut console, ch('d'), Duration::ZERO);
    gate.wait_for_a_held_read();
    assert!(console.later.is_awaited(kind(&Effect::LoadDashboard)));
    assert_eq!(console.later.patience(Duration::ZERO), Some(ANSWER_POLL));
    assert!(console.draw().contains("Dashboard"), "{}", console.draw());
    // The queue, while the dashboard is read: every key is handled and
    // drawn, and the read is still held when the last one is.
    press(&mut console, ch('d'), Duration::ZERO);
    let third = console.app.queue.rows[3].id;
    for _ in 0..3 {
        press(&mut console, ch('j'), Duration::ZERO);
    }
    assert_eq!(console.current().id, third);
    assert!(
        !gate.ran_out.load(Ordering::SeqCst),
        "no key waited for the read"
    );
    assert!(console.app.dashboard.is_none(), "not read yet");
    gate.open();
    console.settle();
    assert!(!gate.ran_out.load(Ordering::SeqCst));
    assert_eq!(console.app.dashboard.as_ref().unwrap().tally.total, 30);
}

#[test]
fn a_newer_search_makes_the_answer_to_an_older_one_moot() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store, q4) = sample_file_store(dir.path());
    let (gate, hold) = Gate::new();
    let mut console = Console::open_in_background(&mut store, &q4, (80, 24), hold);
    let before: Vec<_> = console.app.queue.rows.iter().map(|r| r.id).collect();
    console.send(ch('/'));
    for c in "snowflake".chars() {
        press(&mut console, ch(c), Duration::ZERO);
    }
    gate.close();
    // The typing pauses: the search's page is read, and held.
    idle(
        &mut console.app,
        &mut console.runner,
        &mut console.later,
        TYPING_PAUSE,
    );
    gate.wait_for_a_held_read();
    // A key before the answer came: "snowflakez", which nothing matches.
    press(&mut console, ch('z'), Duration::ZERO);
    gate.open();
    take_an_answer(&mut console);
    let shown: Vec<_> = console.app.queue.rows.iter().map(|r| r.id).collect();
    assert_eq!(shown, before, "the answer for \"snowflake\" is not shown");
    console.settle();
    assert!(
        console.app.queue.rows.is_empty(),
        "nothing is \"snowflakez\""
    );
    assert_eq!(console.app.matching_count(), Some(0));
}

#[test]
fn an_answer_read_before_a_decision_is_read_again_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store, q4) = sample_file_store(dir.path());
    let (gate, hold) = Gate::new();
    let mut console = Console::open_in_background(&mut store, &q4, (80, 24), hold);
    gate.close();
    // The dashboard is read (nothing revoked yet), and its answer held.
    press(&mut console, ch('d'), Duration::ZERO);
    gate.wait_for_a_held_read();
    press(&mut console, ch('d'), Duration::ZERO);
    // A revocation, committed and shown while that answer is held.
    press(&mut console, ch('r'), Duration::ZERO);
    for c in "gone".chars() {
        press(&mut console, ch(c), Duration::ZERO);
    }
    press(&mut console, ctrl('s'), Duration::ZERO);
    assert_eq!(console.app.tally.revoked, 1);
    gate.open();
    take_an_answer(&mut console);
    assert_eq!(console.app.tally.revoked, 1, "the older tally is not shown");
    assert!(console.app.dashboard.is_none());
    let dashboard = kind(&Effect::LoadDashboard);
    assert!(
        console.later.is_waiting(dashboard) || console.later.is_awaited(dashboard),
        "asked for again"
    );
    console.settle();
    assert_eq!(console.app.dashboard.as_ref().unwrap().tally.revoked, 1);
    assert_eq!(console.app.tally.revoked, 1);
}

#[test]
fn escape_while_a_search_is_read_keeps_the_view_it_restores() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store, q4) = sample_file_store(dir.path());
    let (gate, hold) = Gate::new();
    let mut console = Console::open_in_background(&mut store, &q4, (80, 24), hold);
    let before: Vec<_> = console.app.queue.rows.iter().map(|r| r.id).collect();
    console.send(ch('/'));
    for c in "snowflake".chars() {
        press(&mut console, ch(c), Duration::ZERO);
    }
    gate.close();
    idle(
        &mut console.app,
        &mut console.runner,
        &mut console.later,
        TYPING_PAUSE,
    );
    gate.wait_for_a_held_read();
    // Esc restores the view as it was, its page read at once.
    press(&mut console, key(KeyCode::Esc), Duration::ZERO);
    gate.open();
    console.settle();
    let shown: Vec<_> = console.app.queue.rows.iter().map(|r| r.id).collect();
    assert_eq!(console.app.view.search, "");
    assert_eq!(shown, before, "the search's late answer is not shown");
}

/// A reader that stops (its thread died) leaves what it was reading, and
/// everything after, to the console's own connection between keys.
#[test]
fn when_the_reader_stops_the_console_reads_between_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store, q4) = sample_file_store(dir.path());
    let on = Arc::new(AtomicBool::new(false));
    let dies = on.clone();
    let hold = Box::new(move || {
        if dies.load(Ordering::SeqCst) {
            panic!("the reader stops (this panic is the test's)");
        }
    });
    let mut console = Console::open_in_background(&mut store, &q4, (80, 24), hold);
    on.store(true, Ordering::SeqCst);
    press(&mut console, ch('d'), Duration::ZERO);
    console.settle();
    assert!(!console.later.has_worker());
    assert_eq!(console.app.dashboard.as_ref().unwrap().tally.total, 30);
    press(&mut console, ch('R'), Duration::ZERO);
    console.settle();
    assert!(console.app.dashboard.is_some(), "read again, between keys");
}
