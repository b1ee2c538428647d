//! The console's figures: first frame and key-to-frame latency, measured
//! by driving the app's own update + draw loop against a TestBackend (its
//! slow reads on the background reader, as in the real console), also
//! while that reader computes the dashboard, filter values, a search and
//! counts; and the latency of a durable decision commit.

use super::{Figures, Work, ms};
use chrono::NaiveDate;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use recert::domain::Decision;
use recert::store::{Acting, DecisionRequest, ItemId, ItemQuery, Store};
use recert::tui::app::App;
use recert::tui::effects::{Runner, Worker};
use recert::tui::message::Msg;
use recert::tui::update;
use recert::tui::{Deferred, TYPING_PAUSE, dispatch, idle, settle, view};
use std::time::{Duration, Instant};

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn today() -> NaiveDate {
    NaiveDate::parse_from_str(super::TODAY, "%Y-%m-%d").expect("date")
}

/// When the bench's own decisions happen: now, as the release binary that
/// created the campaign (and its events) read the clock. A time before
/// them would be refused by `verify`'s replay as back-dated.
fn now() -> String {
    recert::clock::stamp(recert::clock::now())
}

/// One console session over the benchmark campaign.
struct Session<'a> {
    app: App,
    runner: Runner<'a>,
    terminal: Terminal<TestBackend>,
    later: Deferred,
}

impl Session<'_> {
    /// A key and its frame, as the event loop handles it; slow reads are
    /// handed to the background reader after the frame (not timed here).
    fn key(&mut self, code: KeyCode) -> Duration {
        let d = self.key_and_frame(code);
        self.between_keys(Duration::ZERO);
        d
    }

    fn key_and_frame(&mut self, code: KeyCode) -> Duration {
        let t = Instant::now();
        let effects = update::update(
            &mut self.app,
            Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
        dispatch(&mut self.app, &mut self.runner, effects, &mut self.later);
        self.terminal
            .draw(|f| view::render(&self.app, f))
            .expect("draw");
        t.elapsed()
    }

    /// What the event loop does while no key waits, the keyboard quiet
    /// for `quiet`: takes the reader's answers, sends it what may go.
    fn between_keys(&mut self, quiet: Duration) {
        idle(&mut self.app, &mut self.runner, &mut self.later, quiet);
    }

    /// A key pressed while the background reader reads, timed from the
    /// moment the event loop is free for it as if it came just as answers
    /// did: the answers taken first, then the key and its frame.
    fn key_while_reading(&mut self, code: KeyCode) -> Duration {
        let t = Instant::now();
        self.between_keys(Duration::ZERO);
        self.key_and_frame(code);
        t.elapsed()
    }

    /// Waits until everything put off is read and shown, as while the
    /// reviewer reads; returns how long it took.
    fn idle(&mut self) -> Duration {
        let t = Instant::now();
        settle(&mut self.app, &mut self.runner, &mut self.later);
        self.terminal
            .draw(|f| view::render(&self.app, f))
            .expect("draw");
        t.elapsed()
    }
}

fn latency(figures: &mut Figures, label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let p99 = percentile(&samples, 0.99);
    figures.add(
        &format!("key to frame: {label}"),
        format!(
            "median {}, p99 {} ({} presses)",
            ms(percentile(&samples, 0.5)),
            ms(p99),
            samples.len()
        ),
        "< 4 ms p99",
        Some(p99 < Duration::from_millis(4)),
    );
}

pub fn measure(work: &Work, figures: &mut Figures) {
    let started = Instant::now();
    let mut store = Store::open(&work.db()).expect("open");
    let campaign = store.campaign("bench").expect("campaign");
    let app = App::new(
        &campaign,
        "bench@example.com".into(),
        today(),
        (160, 48),
        false,
    );
    let runner = Runner::new(&mut store, campaign.id, "bench@example.com".into(), today());
    let mut s = Session {
        app,
        runner,
        terminal: Terminal::new(TestBackend::new(160, 48)).expect("terminal"),
        later: Deferred::default(),
    };
    let first_effects = update::start();
    dispatch(&mut s.app, &mut s.runner, first_effects, &mut s.later);
    s.terminal.draw(|f| view::render(&s.app, f)).expect("draw");
    let first = started.elapsed();
    // As the console does, once the first frame is drawn.
    let worker = Worker::start(s.runner.store, campaign.id, "bench@example.com");
    assert!(worker.is_some(), "the background reader opens");
    s.later.attach(worker);
    figures.add(
        "open campaign to first frame (in-process, 160×48)",
        ms(first),
        "< 100 ms",
        Some(first < Duration::from_millis(100)),
    );
    let deferred = s.idle();
    figures.add(
        "work read in the background after the first frame",
        ms(deferred),
        "runs while the reviewer reads",
        None,
    );

    let repeat = |code: KeyCode, times: usize, s: &mut Session<'_>| -> Vec<Duration> {
        (0..times)
            .map(|_| {
                let d = s.key(code);
                s.idle();
                d
            })
            .collect()
    };
    let scroll = repeat(KeyCode::Char('j'), 2000, &mut s);
    latency(figures, "scroll (j)", scroll);
    let page = repeat(KeyCode::PageDown, 500, &mut s);
    latency(figures, "page down", page);
    let mut jumps = Vec::new();
    for _ in 0..50 {
        jumps.push(s.key(KeyCode::End));
        jumps.push(s.key(KeyCode::Home));
    }
    latency(figures, "jump to end / start", jumps);

    // Filter change through the panel: open it (its values are counted
    // while the reviewer looks), choose a value, apply. A hundred presses,
    // so that the p99 is not simply the slowest one.
    let mut filters = Vec::new();
    let mut facets = Duration::ZERO;
    for round in 0..100 {
        s.key(KeyCode::Char('f'));
        facets = facets.max(s.idle());
        // Alternate between two values of the first field.
        if round % 2 == 1 {
            s.key(KeyCode::Char('j'));
        }
        s.key(KeyCode::Char(' '));
        filters.push(s.key(KeyCode::Enter));
        s.idle();
        s.key(KeyCode::Char('c'));
        s.idle();
    }
    latency(figures, "filter change (apply in the panel)", filters);
    figures.add(
        "filter panel values (background)",
        ms(facets),
        "runs while the panel is read",
        None,
    );

    // Search: typing is instant; the results are read when typing pauses.
    let mut typing = Vec::new();
    let mut results = Vec::new();
    for round in 0..10 {
        s.key(KeyCode::Char('/'));
        for c in format!("person {}", round * 7).chars() {
            typing.push(s.key(KeyCode::Char(c)));
        }
        results.push(s.idle());
        s.key(KeyCode::Enter);
        s.key(KeyCode::Char('c'));
        s.idle();
    }
    latency(figures, "search typing", typing);
    results.sort();
    figures.add(
        "search results after a typing pause",
        format!(
            "median {}, p99 {}",
            ms(percentile(&results, 0.5)),
            ms(percentile(&results, 0.99))
        ),
        "(not a key press)",
        None,
    );

    while_reading(&mut s, figures);
}

/// Keys while the background reader computes the dashboard, the filter
/// panel's values, a search's page and its count: each round asks for all
/// four (the keys that ask are timed too) and then scrolls until every
/// answer is in, each key timed with the answers taken before it.
fn while_reading(s: &mut Session<'_>, figures: &mut Figures) {
    let mut samples = Vec::new();
    let mut rounds = Duration::ZERO;
    const ROUNDS: usize = 5;
    for round in 0..ROUNDS {
        let started = Instant::now();
        samples.push(s.key_while_reading(KeyCode::Char('d')));
        samples.push(s.key_while_reading(KeyCode::Char('d')));
        samples.push(s.key_while_reading(KeyCode::Char('f')));
        samples.push(s.key_while_reading(KeyCode::Esc));
        samples.push(s.key_while_reading(KeyCode::Char('/')));
        for c in format!("person {}", round * 7 + 3).chars() {
            samples.push(s.key_while_reading(KeyCode::Char(c)));
        }
        // The typing pauses: the search's page and count are sent.
        s.between_keys(TYPING_PAUSE);
        samples.push(s.key_while_reading(KeyCode::Enter));
        let scroll = [KeyCode::Char('j'), KeyCode::Char('k')];
        let mut n = 0;
        while !s.later.is_empty() && n < 100_000 {
            samples.push(s.key_while_reading(scroll[n % 2]));
            n += 1;
        }
        rounds += started.elapsed();
        s.key(KeyCode::Char('c'));
        s.idle();
    }
    let keys = samples.len();
    latency(
        figures,
        "while the dashboard, filter values, a search and its count are read (j/k between)",
        samples,
    );
    figures.add(
        "those four read in the background, per round",
        format!(
            "{} ({ROUNDS} rounds, {keys} keys)",
            ms(rounds / ROUNDS as u32)
        ),
        "keys go on meanwhile",
        None,
    );
}

/// Durable commits: one decision per transaction with synchronous=FULL.
pub fn commits(work: &Work, figures: &mut Figures, count: usize) {
    let mut store = Store::open(&work.db()).expect("open");
    store.maintain_when_idle().expect("maintain when idle");
    let campaign = store.campaign("bench").expect("campaign");
    let at = now();
    let acting = Acting {
        actor: "bench@example.com",
        via: &recert::domain::roster::ASSERTED,
        at: &at,
        today: today(),
    };
    let query = ItemQuery {
        campaign: campaign.id,
        ..ItemQuery::default()
    };
    let rows = store
        .page(
            &query,
            None,
            recert::store::PageDirection::Forward,
            true,
            count,
        )
        .expect("items");
    let mut samples = Vec::with_capacity(rows.len());
    for row in &rows {
        let request = DecisionRequest {
            item: row.id,
            decision: Some(Decision::Attest),
            note: Some("bench: still needed".into()),
            seen_event: Some(row.last_event),
            seconds_on_screen: Some(1.0),
            overriding: false,
        };
        let t = Instant::now();
        store
            .decide(campaign.id, &acting, std::slice::from_ref(&request))
            .expect("decide");
        samples.push(t.elapsed());
        // As the console does while the reviewer reads the next item.
        store.idle_maintenance().expect("idle maintenance");
    }
    samples.sort();
    let p99 = percentile(&samples, 0.99);
    figures.add(
        "durable decision commit (synchronous=FULL)",
        format!(
            "median {}, p99 {} ({} commits)",
            ms(percentile(&samples, 0.5)),
            ms(p99),
            samples.len()
        ),
        "< 1 ms p99",
        Some(p99 < Duration::from_millis(1)),
    );
}

/// Decides every item (one event each, in chunked transactions) so that
/// the audit log holds about as many events as the campaign has items.
pub fn decide_everything(work: &Work) -> u64 {
    let mut store = Store::open(&work.db()).expect("open");
    let campaign = store.campaign("bench").expect("campaign");
    let at = now();
    let acting = Acting {
        actor: "bench@example.com",
        via: &recert::domain::roster::ASSERTED,
        at: &at,
        today: today(),
    };
    let first = campaign.items as i64;
    let query = ItemQuery {
        campaign: campaign.id,
        filters: vec![recert::domain::Filter::parse("state=undecided").expect("filter")],
        search: None,
    };
    let mut decided = 0u64;
    let mut anchor: Option<i64> = None;
    loop {
        let rows = store
            .page(
                &query,
                anchor,
                recert::store::PageDirection::Forward,
                false,
                10_000,
            )
            .expect("items");
        let Some(last) = rows.last() else { break };
        anchor = Some(last.rank);
        let requests: Vec<DecisionRequest> = rows
            .iter()
            .map(|row| DecisionRequest {
                item: ItemId(row.id.0),
                decision: Some(Decision::Attest),
                note: Some("bench: still needed".into()),
                seen_event: None,
                seconds_on_screen: None,
                overriding: false,
            })
            .collect();
        decided += store
            .decide(campaign.id, &acting, &requests)
            .expect("decide")
            .len() as u64;
    }
    let _ = first;
    decided
}
