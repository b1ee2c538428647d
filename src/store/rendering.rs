//! Report rows rendered on several threads. Reading a million items with
//! their versions, decisions and remediation is SQLite's work and bound to
//! one core per connection, so each worker reads chunks of the campaign's
//! id range through its own read-only connection and renders them; the
//! caller writes the chunks in order. Workers take the next chunk as they
//! finish one, so a worker the machine runs slower renders fewer and the
//! others do not wait for it while a core is free. Every worker must see
//! the database as the caller does (see `readers::Fingerprint`); when one
//! does not, or cannot open it, the calling thread renders everything.

use super::bodies::BodyMemo;
use super::campaigns::item_range;
use super::readers::{Fingerprint, fingerprint, open_helper};
use super::reporting::{ReportCells, VersionLookup, read_cells, report_select};
use super::{CampaignId, ReportRows, Result, Store, StoreError};
use rusqlite::params;
use std::error::Error;
use std::sync::{Condvar, Mutex, mpsc};

/// Items per chunk: big enough that a chunk's query is cheap beside its
/// rows, small enough that chunks waiting to be written stay a few MB.
const CHUNK: i64 = 4096;
/// Chunks rendered ahead of the writer, per worker: the window of
/// [`Dispatch`], which the workers share.
const AHEAD: usize = 2;
/// A worker's page cache: SQLite's default.
const WORKER_CACHE_KIB: i64 = 2000;
/// Workers beyond the second add little: the writer and SQLite's shared
/// file reads bound the rest.
const MAX_WORKERS: usize = 4;

pub type RenderError = Box<dyn Error + Send + Sync>;

/// Renders report rows into bytes, a chunk at a time; one per worker.
pub trait ChunkRenderer: Send {
    fn row(&mut self, row: &ReportCells<'_>) -> std::result::Result<(), RenderError>;
    /// The bytes of the rows given since the last call.
    fn take(&mut self) -> std::result::Result<Vec<u8>, RenderError>;
}

/// What a worker sends: a rendered chunk, or why it stopped.
type Rendered = std::result::Result<Vec<u8>, WorkerError>;

/// Hands chunk numbers out in order, none more than `window` past the
/// first chunk not yet written: the chunk the writer waits for is always
/// being rendered, and the chunks waiting to be written stay a few MB
/// however unevenly the workers run.
struct Dispatch {
    chunks: usize,
    window: usize,
    state: Mutex<Dispatched>,
    written: Condvar,
}

#[derive(Default)]
struct Dispatched {
    next: usize,
    written: usize,
    stopped: bool,
}

impl Dispatch {
    fn new(chunks: usize, window: usize) -> Dispatch {
        Dispatch {
            chunks,
            window: window.max(1),
            state: Mutex::new(Dispatched::default()),
            written: Condvar::new(),
        }
    }

    /// The next chunk to render, once the writer is near enough to it;
    /// `None` when every chunk is taken or the writer has stopped.
    fn take(&self) -> Option<usize> {
        let mut state = self.state.lock().ok()?;
        loop {
            if state.stopped || state.next >= self.chunks {
                return None;
            }
            if state.next < state.written + self.window {
                state.next += 1;
                return Some(state.next - 1);
            }
            state = self.written.wait(state).ok()?;
        }
    }

    /// The writer has written the first `written` chunks.
    fn wrote(&self, written: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.written = written;
        }
        self.written.notify_all();
    }

    /// No more chunks: workers waiting for one stop.
    fn stop(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.stopped = true;
        }
        self.written.notify_all();
    }
}

/// Stops the dispatch however the writer leaves, an error included, so that
/// no worker waits for a chunk forever.
struct StopOnDrop<'d>(&'d Dispatch);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Stops the dispatch when a worker panics: the chunk it took never comes,
/// the others must not wait for the writer to pass it, and once they have
/// all stopped the writer sees its channel close and the panic is passed on.
struct StopIfPanicking<'d>(&'d Dispatch);

impl Drop for StopIfPanicking<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

#[derive(Debug)]
enum WorkerError {
    /// The worker saw another state of the database than the caller, or
    /// could not open it.
    Moved,
    Store(StoreError),
    Render(RenderError),
}

impl From<rusqlite::Error> for WorkerError {
    fn from(e: rusqlite::Error) -> Self {
        WorkerError::Store(e.into())
    }
}

/// How the parallel path runs: `workers` connections to the file at
/// `path`, each of which must see `seen`, rendering at most `window`
/// chunks ahead of the writer.
#[derive(Clone, Copy)]
struct Workers<'s> {
    path: &'s str,
    seen: &'s Fingerprint,
    workers: usize,
    window: usize,
}

/// Chunks in the items `first..=last`.
fn chunks_in((first, last): (i64, i64)) -> usize {
    let items = last.saturating_sub(first).saturating_add(1).max(0);
    usize::try_from(items.saturating_add(CHUNK - 1) / CHUNK).unwrap_or(0)
}

impl Store {
    /// Renders every report row of the campaign (of `rows`) in risk order,
    /// handing the bytes to `write` in that order; returns how many rows.
    /// `renderer` makes one renderer per thread. Call it inside
    /// [`Store::read_consistent`], so that the caller's view is fixed.
    pub fn render_report_rows<R: ChunkRenderer>(
        &self,
        campaign: CampaignId,
        rows: ReportRows,
        renderer: impl Fn() -> R + Sync,
        write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<u64> {
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_WORKERS);
        self.render_with(campaign, rows, workers, &renderer, write)
    }

    fn render_with<R: ChunkRenderer>(
        &self,
        campaign: CampaignId,
        rows: ReportRows,
        workers: usize,
        renderer: &(impl Fn() -> R + Sync),
        write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<u64> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let chunks = chunks_in((first, last));
        let workers = workers.min(chunks);
        let path = self
            .conn
            .path()
            .filter(|p| !p.is_empty() && self.path.exists());
        let versions = self.report_versions(rows, last - first + 1)?;
        let lookup = VersionLookup::of(versions.as_ref());
        if let Some(path) = path.filter(|_| workers > 1) {
            let seen = fingerprint(&self.conn)?;
            let on = Workers {
                path,
                seen: &seen,
                workers,
                window: workers * AHEAD,
            };
            match self.render_on_workers((rows, lookup), (first, last), on, renderer, write) {
                Err(WorkerError::Moved) => {}
                Err(WorkerError::Store(e)) => return Err(e),
                Err(WorkerError::Render(e)) => return Err(StoreError::from_output(&*e)),
                Ok(count) => return Ok(count),
            }
        }
        let mut renderer = renderer();
        let mut count = 0u64;
        let mut in_chunk = 0;
        self.walk_report_cells((first, last), rows, lookup, |row| {
            renderer.row(row).map_err(|e| e as Box<dyn Error>)?;
            count += 1;
            in_chunk += 1;
            if in_chunk == CHUNK {
                in_chunk = 0;
                write(&renderer.take().map_err(|e| e as Box<dyn Error>)?)?;
            }
            Ok(())
        })?;
        let rest = renderer.take().map_err(|e| StoreError::from_output(&*e))?;
        write(&rest).map_err(|e| StoreError::from_output(&e))?;
        Ok(count)
    }

    /// The parallel path: workers take chunks in order as they finish one
    /// (see [`Dispatch`]) and the calling thread writes them in order.
    /// Nothing is written before every worker has confirmed it sees the
    /// caller's database, so a fallback starts from an empty output.
    fn render_on_workers<R: ChunkRenderer>(
        &self,
        (rows, lookup): (ReportRows, VersionLookup<'_>),
        (first, last): (i64, i64),
        on: Workers<'_>,
        renderer: &(impl Fn() -> R + Sync),
        write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::result::Result<u64, WorkerError> {
        let sql = format!(
            "{}{} ORDER BY i.id",
            report_select(lookup),
            rows.condition()
        );
        let chunks = chunks_in((first, last));
        let dispatch = Dispatch::new(chunks, on.window);
        std::thread::scope(|scope| {
            let stop = StopOnDrop(&dispatch);
            let (rendered_tx, rendered_rx) = mpsc::channel::<(usize, Rendered, u64)>();
            let (ready_tx, ready_rx) = mpsc::channel::<bool>();
            for _ in 0..on.workers {
                let (sql, dispatch) = (&sql, &dispatch);
                let (send, ready) = (rendered_tx.clone(), ready_tx.clone());
                scope.spawn(move || {
                    let _stop = StopIfPanicking(dispatch);
                    // Every worker answers, whatever happens to it, so that
                    // the writer never waits for an answer that cannot come.
                    let opened = open_helper(on.path, on.seen, WORKER_CACHE_KIB);
                    let _ = ready.send(opened.is_ok());
                    drop(ready);
                    let outcome = (|| -> std::result::Result<(), WorkerError> {
                        let conn = opened.map_err(|_| WorkerError::Moved)?;
                        let mut stmt = conn.prepare(sql)?;
                        let mut renderer = renderer();
                        let mut bodies = BodyMemo::default();
                        while let Some(taken) = dispatch.take() {
                            let start = first + taken as i64 * CHUNK;
                            let end = (start + CHUNK - 1).min(last);
                            let mut cursor = stmt.query(params![start, end])?;
                            let mut count = 0u64;
                            while let Some(r) = cursor.next()? {
                                if let Some(row) = read_cells(r, lookup, &mut bodies)? {
                                    renderer.row(&row).map_err(WorkerError::Render)?;
                                    count += 1;
                                }
                            }
                            let bytes = renderer.take().map_err(WorkerError::Render)?;
                            if send.send((taken, Ok(bytes), count)).is_err() {
                                return Ok(());
                            }
                        }
                        Ok(())
                    })();
                    // The writer stops at the first error it receives, before
                    // it looks at the chunk number, so any number will do.
                    if let Err(e) = outcome {
                        let _ = send.send((0, Err(e), 0));
                    }
                });
            }
            drop((ready_tx, rendered_tx));
            // Every worker reports whether it sees the caller's database
            // before any chunk is written.
            for _ in 0..on.workers {
                if !ready_rx.recv().unwrap_or(false) {
                    return Err(WorkerError::Moved);
                }
            }
            // Chunks that came before their turn, by chunk number modulo
            // the window, which no two chunks in flight share.
            let mut early: Vec<Option<(Vec<u8>, u64)>> = vec![None; dispatch.window];
            let mut count = 0u64;
            for chunk in 0..chunks {
                let slot = chunk % dispatch.window;
                while early[slot].is_none() {
                    let (taken, rendered, rows) = rendered_rx.recv().map_err(|_| {
                        WorkerError::Store(StoreError::Invalid("a report worker stopped".into()))
                    })?;
                    early[taken % dispatch.window] = Some((rendered?, rows));
                }
                let (bytes, rows) = early[slot].take().unwrap_or_default();
                write(&bytes).map_err(|e| WorkerError::Render(Box::new(e)))?;
                count += rows;
                dispatch.wrote(chunk + 1);
            }
            drop(stop);
            Ok(count)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{CHUNK, ChunkRenderer, Dispatch, RenderError, WorkerError, Workers};
    use crate::domain::Decision;
    use crate::estate::EstateSpec;
    use crate::store::readers::fingerprint;
    use crate::store::reporting::VersionLookup;
    use crate::store::{CampaignSummary, ReportCells, ReportRows, Store};
    use crate::testing::{self, day};

    /// Renders a line per row; enough to see order, content and gaps. It
    /// dawdles over `slow` and panics at `panic`, items both.
    #[derive(Default)]
    struct Lines {
        out: Vec<u8>,
        slow: Option<i64>,
        panic: Option<i64>,
    }

    impl ChunkRenderer for Lines {
        fn row(&mut self, row: &ReportCells<'_>) -> Result<(), RenderError> {
            use std::io::Write;
            if self.slow == Some(row.item) {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            assert_ne!(self.panic, Some(row.item), "a renderer panics");
            writeln!(
                self.out,
                "{} {} {} {:?} {:?}",
                row.item, row.identity_id, row.entitlement, row.decision, row.note
            )?;
            Ok(())
        }

        fn take(&mut self) -> Result<Vec<u8>, RenderError> {
            Ok(std::mem::take(&mut self.out))
        }
    }

    /// A campaign of several chunks in a database file, some items decided.
    fn several_chunks() -> (tempfile::TempDir, Store, CampaignSummary) {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::create(&dir.path().join("r.db")).unwrap();
        let mut csv = Vec::new();
        let rows = 2 * CHUNK as u64 + 500;
        EstateSpec::new(rows, 7, day("2026-11-01"))
            .write_csv(&mut csv)
            .unwrap();
        testing::import(&mut store, std::str::from_utf8(&csv).unwrap());
        let campaign = testing::campaign(&mut store, "Q4", "2026-11-01");
        let first = first_item(&store, &campaign);
        for n in [0, CHUNK - 1, CHUNK, 2 * CHUNK + 7] {
            let item = first + n;
            let decision = Some(Decision::Attest);
            testing::decide(
                &mut store,
                &campaign,
                "owner@x",
                item,
                decision,
                &format!("n{n}"),
            );
        }
        (dir, store, campaign)
    }

    fn first_item(store: &Store, campaign: &CampaignSummary) -> i64 {
        crate::store::campaigns::item_range(&store.conn, campaign.id)
            .unwrap()
            .0
    }

    fn render(store: &Store, campaign: &CampaignSummary, workers: usize) -> (u64, Vec<u8>) {
        let mut out = Vec::new();
        let count = store
            .render_with(
                campaign.id,
                ReportRows::All,
                workers,
                &Lines::default,
                &mut |b| {
                    out.extend_from_slice(b);
                    Ok(())
                },
            )
            .unwrap();
        (count, out)
    }

    /// The parallel path itself, with `workers` and `window` as given, each
    /// worker seeing `seen` or else the store's state now.
    fn render_on(
        store: &Store,
        campaign: &CampaignSummary,
        (workers, window): (usize, usize),
        seen: Option<&crate::store::readers::Fingerprint>,
        lines: &(dyn Fn() -> Lines + Sync),
    ) -> (Result<u64, WorkerError>, Vec<u8>) {
        let range = crate::store::campaigns::item_range(&store.conn, campaign.id).unwrap();
        let now = fingerprint(&store.conn).unwrap();
        let on = Workers {
            path: store.conn.path().unwrap(),
            seen: seen.unwrap_or(&now),
            workers,
            window,
        };
        let mut out = Vec::new();
        let outcome = store.render_on_workers(
            (ReportRows::All, VersionLookup::Joined),
            range,
            on,
            &lines,
            &mut |b| {
                out.extend_from_slice(b);
                Ok(())
            },
        );
        (outcome, out)
    }

    #[test]
    fn workers_render_exactly_what_one_thread_does() {
        let (_dir, store, campaign) = several_chunks();
        let (count, one) = render(&store, &campaign, 1);
        assert_eq!(count, 2 * CHUNK as u64 + 500);
        assert_eq!(one.iter().filter(|b| **b == b'\n').count() as u64, count);
        for workers in [2, 3] {
            assert_eq!(
                render(&store, &campaign, workers),
                (count, one.clone()),
                "{workers} workers"
            );
        }
        // The first chunk dawdles, so the next ones come before it, into
        // slots that windows this narrow reuse.
        let first = first_item(&store, &campaign);
        let slow_first = || Lines {
            slow: Some(first),
            ..Lines::default()
        };
        for (workers, window) in [(2, 1), (2, 2), (3, 2), (3, 3)] {
            let (outcome, out) = render_on(&store, &campaign, (workers, window), None, &slow_first);
            assert_eq!(
                outcome.unwrap(),
                count,
                "{workers} workers, window {window}"
            );
            assert!(
                out == one,
                "{workers} workers, window {window}: not the same bytes"
            );
        }
    }

    #[test]
    fn a_worker_that_sees_another_state_stops_everything() {
        let (_dir, mut store, campaign) = several_chunks();
        let before = fingerprint(&store.conn).unwrap();
        let first = first_item(&store, &campaign);
        let decision = Some(Decision::Revoke);
        testing::decide(
            &mut store,
            &campaign,
            "owner@x",
            first + 1,
            decision,
            "later",
        );
        let (outcome, out) = render_on(&store, &campaign, (2, 4), Some(&before), &Lines::default);
        assert!(matches!(outcome, Err(WorkerError::Moved)), "{outcome:?}");
        assert!(out.is_empty(), "nothing written before every worker agreed");
    }

    /// A worker that panics takes the report down with it, whatever the
    /// others were waiting for.
    #[test]
    fn a_worker_that_panics_stops_the_report_rather_than_hanging_it() {
        let (_dir, store, campaign) = several_chunks();
        let first = first_item(&store, &campaign);
        let panicking = || Lines {
            panic: Some(first),
            ..Lines::default()
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            render_on(&store, &campaign, (2, 1), None, &panicking)
        }));
        assert!(outcome.is_err(), "the worker's panic is passed on");
    }

    /// Chunks go out in order, never more than the window past the
    /// writer; a worker waiting for one is let go when the writer stops.
    #[test]
    fn chunks_go_out_in_order_within_the_window_of_the_writer() {
        let dispatch = Dispatch::new(5, 2);
        assert_eq!(dispatch.take(), Some(0));
        assert_eq!(dispatch.take(), Some(1));
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| dispatch.take());
            std::thread::sleep(std::time::Duration::from_millis(20));
            assert!(!waiting.is_finished(), "chunk 2 waits for chunk 0 written");
            dispatch.wrote(1);
            assert_eq!(waiting.join().unwrap(), Some(2));
        });
        dispatch.wrote(3);
        assert_eq!(dispatch.take(), Some(3));
        assert_eq!(dispatch.take(), Some(4));
        assert_eq!(dispatch.take(), None, "every chunk taken");

        let stopped = Dispatch::new(5, 1);
        assert_eq!(stopped.take(), Some(0));
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| stopped.take());
            std::thread::sleep(std::time::Duration::from_millis(20));
            stopped.stop();
            assert_eq!(waiting.join().unwrap(), None);
        });
    }

    /// Workers that cannot open the file answer all the same: the caller
    /// falls back rather than waiting.
    #[test]
    fn workers_that_cannot_open_the_file_leave_it_to_the_caller() {
        let (dir, store, campaign) = several_chunks();
        let (count, one) = render(&store, &campaign, 1);
        std::fs::rename(dir.path().join("r.db"), dir.path().join("moved.db")).unwrap();
        let (outcome, out) = render_on(&store, &campaign, (2, 4), None, &Lines::default);
        assert!(matches!(outcome, Err(WorkerError::Moved)), "{outcome:?}");
        assert!(out.is_empty());
        assert_eq!(
            render(&store, &campaign, 2),
            (count, one),
            "rendered on the calling thread"
        );
    }
}
