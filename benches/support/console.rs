//! The console's figures: first frame and key-to-frame latency, measured
//! by driving the app's own update + draw loop against a TestBackend.

use super::{Figures, Work, ms};
use chrono::NaiveDate;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use recert::store::Store;
use recert::tui::app::App;
use recert::tui::effects::Runner;
use recert::tui::update::{self, Msg};
use recert::tui::{Deferred, dispatch, run_deferred, view};
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

pub fn measure(work: &Work, figures: &mut Figures) {
    let today = NaiveDate::parse_from_str(super::TODAY, "%Y-%m-%d").expect("date");
    let started = Instant::now();
    let mut store = Store::open(&work.db()).expect("open");
    let campaign = store.campaign("bench").expect("campaign");
    let mut app = App::new(
        &campaign,
        "bench@example.com".into(),
        today,
        (160, 48),
        false,
    );
    let mut runner = Runner::new(&mut store, campaign.id, "bench@example.com".into(), today);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    let mut later = Deferred::default();
    let first_effects = update::start(&app);
    dispatch(&mut app, &mut runner, first_effects, &mut later);
    terminal.draw(|f| view::render(&app, f)).expect("draw");
    let first = started.elapsed();
    // Work the console defers until after a frame (counts, facets) is
    // measured on its own: it runs while the reviewer reads the screen.
    let deferred = Instant::now();
    while !later.is_empty() {
        run_deferred(&mut app, &mut runner, &mut later);
    }
    figures.add(
        "deferred work after the first frame (counts)",
        ms(deferred.elapsed()),
        "runs while idle",
        None,
    );
    figures.add(
        "open campaign to first frame (in-process)",
        ms(first),
        "< 100 ms",
        Some(first < Duration::from_millis(100)),
    );

    let mut press = |code: KeyCode, times: usize, label: &str, figures: &mut Figures| {
        let mut samples = Vec::with_capacity(times);
        for _ in 0..times {
            let t = Instant::now();
            let effects =
                update::update(&mut app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
            dispatch(&mut app, &mut runner, effects, &mut later);
            terminal.draw(|f| view::render(&app, f)).expect("draw");
            samples.push(t.elapsed());
            while !later.is_empty() {
                run_deferred(&mut app, &mut runner, &mut later);
            }
        }
        samples.sort();
        let p99 = percentile(&samples, 0.99);
        figures.add(
            &format!("key to frame: {label}"),
            format!("median {}, p99 {}", ms(percentile(&samples, 0.5)), ms(p99)),
            "< 4 ms p99",
            Some(p99 < Duration::from_millis(4)),
        );
    };
    press(KeyCode::Char('j'), 2000, "scroll (j)", figures);
    press(KeyCode::PageDown, 500, "page down", figures);
    press(KeyCode::End, 50, "jump to end", figures);
    press(KeyCode::Home, 50, "jump to start", figures);
}
