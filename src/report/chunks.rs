//! Report rows rendered on several threads. Reading a million items is
//! bound to one core per reader, so each worker takes chunks of the
//! campaign's ranks, reads them through a [`RowReader`] of its own and
//! renders them; the calling thread writes the chunks in order. Workers
//! take the next chunk as they finish one, so a worker the machine runs
//! slower renders fewer and the others do not wait for it while a core is
//! free. When the store offers no readers (see [`ReportSource::readers`]),
//! the calling thread renders everything.

use crate::store::{CampaignId, ItemView, ReportRows, ReportSource, RowReader, Store, StoreError};
use std::error::Error;
use std::sync::{Condvar, Mutex, mpsc};

/// Items per chunk: big enough that a chunk's query is cheap beside its
/// rows, small enough that chunks waiting to be written stay a few MB.
const CHUNK: u64 = 4096;
/// Chunks rendered ahead of the writer, per worker: the window of
/// [`Dispatch`], which the workers share.
const AHEAD: usize = 2;
/// Workers beyond the second add little: the writer and the readers'
/// shared file reads bound the rest.
const MAX_WORKERS: usize = 4;

pub type RenderError = Box<dyn Error + Send + Sync>;

/// Renders report rows into bytes, a chunk at a time; one per worker.
pub trait ChunkRenderer: Send {
    fn row(&mut self, row: &ItemView<'_>) -> Result<(), RenderError>;
    /// The bytes of the rows given since the last call.
    fn take(&mut self) -> Result<Vec<u8>, RenderError>;
}

/// Why rendering stopped: the store could not read, or the renderer or
/// the writer failed.
#[derive(Debug)]
enum Failure {
    Store(StoreError),
    Render(RenderError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<Failure> for super::Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Store(e) => e.into(),
            Failure::Render(e) => e,
        }
    }
}

/// What a worker sends: a rendered chunk, or why it stopped.
type Rendered = Result<Vec<u8>, Failure>;

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

/// Chunks in `items` items.
fn chunks_in(items: u64) -> usize {
    usize::try_from(items.div_ceil(CHUNK)).unwrap_or(usize::MAX)
}

/// Renders every report row of the campaign (of `rows`) in risk order,
/// handing the bytes to `write` in that order; returns how many rows.
/// `renderer` makes one renderer per thread. Call it inside
/// [`Store::read_consistent`], so that every reader sees one moment.
pub fn render<R: ChunkRenderer>(
    store: &Store,
    campaign: CampaignId,
    rows: ReportRows,
    renderer: impl Fn() -> R + Sync,
    write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<u64, super::Error> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS);
    let source = store.report_source(campaign, rows)?;
    Ok(render_with(&source, workers, &renderer, write)?)
}

fn render_with<R: ChunkRenderer>(
    source: &ReportSource<'_>,
    workers: usize,
    renderer: &(impl Fn() -> R + Sync),
    write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<u64, Failure> {
    let chunks = chunks_in(source.items());
    let workers = workers.min(chunks);
    if workers > 1
        && let Some(readers) = source.readers(workers)?
    {
        let window = workers * AHEAD;
        return render_on_workers(readers, (source.items(), window), renderer, write);
    }
    let mut renderer = renderer();
    let mut count = 0u64;
    let mut in_chunk = 0;
    source.for_each(|row| {
        renderer.row(row).map_err(Failure::Render)?;
        count += 1;
        in_chunk += 1;
        if in_chunk == CHUNK {
            in_chunk = 0;
            let bytes = renderer.take().map_err(Failure::Render)?;
            write(&bytes).map_err(|e| Failure::Render(e.into()))?;
        }
        Ok::<_, Failure>(())
    })?;
    let rest = renderer.take().map_err(Failure::Render)?;
    write(&rest).map_err(|e| Failure::Render(e.into()))?;
    Ok(count)
}

/// The parallel path: a worker per reader takes chunks in order as it
/// finishes one (see [`Dispatch`]), the calling thread writes them in
/// order, at most `window` chunks behind the workers.
fn render_on_workers<R: ChunkRenderer>(
    readers: Vec<RowReader<'_>>,
    (items, window): (u64, usize),
    renderer: &(impl Fn() -> R + Sync),
    write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<u64, Failure> {
    let chunks = chunks_in(items);
    let dispatch = Dispatch::new(chunks, window);
    std::thread::scope(|scope| {
        let stop = StopOnDrop(&dispatch);
        let (rendered_tx, rendered_rx) = mpsc::channel::<(usize, Rendered, u64)>();
        for mut reader in readers {
            let dispatch = &dispatch;
            let send = rendered_tx.clone();
            scope.spawn(move || {
                let _stop = StopIfPanicking(dispatch);
                let outcome = (|| -> Result<(), Failure> {
                    let mut renderer = renderer();
                    while let Some(taken) = dispatch.take() {
                        let start = taken as u64 * CHUNK;
                        let mut count = 0u64;
                        reader.read(start..start + CHUNK, |row| {
                            renderer.row(row).map_err(Failure::Render)?;
                            count += 1;
                            Ok::<_, Failure>(())
                        })?;
                        let bytes = renderer.take().map_err(Failure::Render)?;
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
        drop(rendered_tx);
        // Chunks that came before their turn, by chunk number modulo
        // the window, which no two chunks in flight share.
        let mut early: Vec<Option<(Vec<u8>, u64)>> = vec![None; dispatch.window];
        let mut count = 0u64;
        for chunk in 0..chunks {
            let slot = chunk % dispatch.window;
            while early[slot].is_none() {
                let (taken, rendered, rows) = rendered_rx
                    .recv()
                    .map_err(|_| Failure::Render("a report worker stopped".into()))?;
                early[taken % dispatch.window] = Some((rendered?, rows));
            }
            let (bytes, rows) = early[slot].take().unwrap_or_default();
            write(&bytes).map_err(|e| Failure::Render(e.into()))?;
            count += rows;
            dispatch.wrote(chunk + 1);
        }
        drop(stop);
        Ok(count)
    })
}

#[cfg(test)]
mod tests {
    use super::{CHUNK, ChunkRenderer, Dispatch, RenderError, render_on_workers, render_with};
    use crate::domain::Decision;
    use crate::estate::EstateSpec;
    use crate::store::{CampaignSummary, ItemQuery, ItemView, PageDirection, ReportRows, Store};
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
        fn row(&mut self, row: &ItemView<'_>) -> Result<(), RenderError> {
            use std::io::Write;
            if self.slow == Some(row.id.0) {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            assert_ne!(self.panic, Some(row.id.0), "a renderer panics");
            writeln!(
                self.out,
                "{} {} {} {:?} {:?}",
                row.id, row.identity_id, row.entitlement, row.decision, row.note
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
        let rows = 2 * CHUNK + 500;
        EstateSpec::new(rows, 7, day("2026-11-01"))
            .write_csv(&mut csv)
            .unwrap();
        testing::import(&mut store, std::str::from_utf8(&csv).unwrap());
        let campaign = testing::campaign(&mut store, "Q4", "2026-11-01");
        let first = first_item(&store, &campaign);
        for n in [0, CHUNK - 1, CHUNK, 2 * CHUNK + 7] {
            let item = first + n as i64;
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
        let query = ItemQuery {
            campaign: campaign.id,
            ..ItemQuery::default()
        };
        let page = store
            .page(&query, None, PageDirection::Forward, true, 1)
            .unwrap();
        page[0].id.0
    }

    fn render(store: &Store, campaign: &CampaignSummary, workers: usize) -> (u64, Vec<u8>) {
        let source = store.report_source(campaign.id, ReportRows::All).unwrap();
        let mut out = Vec::new();
        let count = render_with(&source, workers, &Lines::default, &mut |b| {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        (count, out)
    }

    /// The parallel path itself, with `workers` and `window` as given.
    fn render_on(
        store: &Store,
        campaign: &CampaignSummary,
        (workers, window): (usize, usize),
        lines: &(dyn Fn() -> Lines + Sync),
    ) -> (u64, Vec<u8>) {
        let source = store.report_source(campaign.id, ReportRows::All).unwrap();
        let readers = source.readers(workers).unwrap().expect("readers");
        let mut out = Vec::new();
        let count = render_on_workers(readers, (source.items(), window), &lines, &mut |b| {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        (count, out)
    }

    #[test]
    fn workers_render_exactly_what_one_thread_does() {
        let (_dir, store, campaign) = several_chunks();
        let (count, one) = render(&store, &campaign, 1);
        assert_eq!(count, 2 * CHUNK + 500);
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
            let (rendered, out) = render_on(&store, &campaign, (workers, window), &slow_first);
            assert_eq!(rendered, count, "{workers} workers, window {window}");
            assert!(
                out == one,
                "{workers} workers, window {window}: not the same bytes"
            );
        }
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
            render_on(&store, &campaign, (2, 1), &panicking)
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

    /// When the store offers no readers (here: the file was moved), the
    /// calling thread renders every row.
    #[test]
    fn without_readers_the_caller_renders_everything() {
        let (dir, store, campaign) = several_chunks();
        let (count, one) = render(&store, &campaign, 1);
        let source = store.report_source(campaign.id, ReportRows::All).unwrap();
        std::fs::rename(dir.path().join("r.db"), dir.path().join("moved.db")).unwrap();
        assert!(source.readers(2).unwrap().is_none());
        let mut out = Vec::new();
        let rendered = render_with(&source, 2, &Lines::default, &mut |b| {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            (rendered, out),
            (count, one),
            "rendered on the calling thread"
        );
    }
}
