//! Report rows rendered on several threads. Reading a million items with
//! their versions, decisions and remediation is SQLite's work and bound to
//! one core per connection, so each worker reads chunks of the campaign's
//! id range through its own read-only connection and renders them; the
//! caller writes the chunks in order. Workers take the next chunk as they
//! finish one, so a worker the machine runs slower renders fewer and the
//! others do not wait for it while a core is free. Every worker must see
//! the database as the caller does: each compares the audit chain's head
//! (every change appends an event) with the caller's, and any difference
//! falls back to rendering on the calling thread.

use super::bodies::BodyMemo;
use super::campaigns::item_range;
use super::reporting::{ReportCells, VersionLookup, read_cells, report_select};
use super::{CampaignId, ReportRows, Result, Store, StoreError};
use rusqlite::{Connection, OpenFlags, params};
use std::error::Error;
use std::sync::{Condvar, Mutex, mpsc};

/// Items per chunk: big enough that a chunk's query is cheap beside its
/// rows, small enough that chunks waiting to be written stay a few MB.
const CHUNK: i64 = 4096;
/// Chunks each worker may render ahead of the writer.
const AHEAD: usize = 2;
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

#[derive(Debug)]
enum WorkerError {
    /// The worker saw another state of the database than the caller.
    Moved,
    Store(StoreError),
    Render(RenderError),
}

impl From<rusqlite::Error> for WorkerError {
    fn from(e: rusqlite::Error) -> Self {
        WorkerError::Store(e.into())
    }
}

/// A read-only connection in a read transaction that holds, for every
/// chunk, the view in which the audit chain's newest event is `head`;
/// [`WorkerError::Moved`] when the database has moved on from it.
fn open_reader(path: &std::path::Path, head: i64) -> std::result::Result<Connection, WorkerError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    // The read transaction starts at the head query.
    conn.execute_batch("BEGIN")?;
    let seen: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM event", [], |r| r.get(0))?;
    if seen == head {
        Ok(conn)
    } else {
        Err(WorkerError::Moved)
    }
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
        let head = self.chain_head()?.0 as i64;
        let chunks = ((last - first + 1).max(0) + CHUNK - 1) / CHUNK;
        let workers = workers.min(chunks as usize);
        let on_disk = self.path.exists();
        let versions = self.report_versions(rows, last - first + 1)?;
        let lookup = VersionLookup::of(versions.as_ref());
        if workers > 1 && on_disk {
            let range = (first, last);
            match self.render_on_workers((rows, lookup), range, head, workers, renderer, write) {
                Err(WorkerError::Moved) => {}
                Err(WorkerError::Store(e)) => return Err(e),
                Err(WorkerError::Render(e)) => return Err(StoreError::Invalid(e.to_string())),
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
        let rest = renderer
            .take()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        write(&rest).map_err(|e| StoreError::Invalid(e.to_string()))?;
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
        head: i64,
        workers: usize,
        renderer: &(impl Fn() -> R + Sync),
        write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::result::Result<u64, WorkerError> {
        let sql = format!(
            "{}{} ORDER BY i.id",
            report_select(lookup),
            rows.condition()
        );
        let path = self.path.clone();
        let chunks = (((last - first + 1).max(0) + CHUNK - 1) / CHUNK) as usize;
        let dispatch = Dispatch::new(chunks, workers * AHEAD);
        std::thread::scope(|scope| {
            let stop = StopOnDrop(&dispatch);
            let (rendered_tx, rendered_rx) = mpsc::channel::<(usize, Rendered, u64)>();
            let (ready_tx, ready_rx) = mpsc::channel::<bool>();
            for _ in 0..workers {
                let (sql, path, dispatch) = (&sql, &path, &dispatch);
                let (send, ready) = (rendered_tx.clone(), ready_tx.clone());
                scope.spawn(move || {
                    // Every worker answers, whatever happens to it, so that
                    // the writer never waits for an answer that cannot come.
                    let opened = open_reader(path, head);
                    let _ = ready.send(opened.is_ok());
                    drop(ready);
                    let outcome = (|| -> std::result::Result<(), WorkerError> {
                        let conn = opened?;
                        let mut stmt = conn.prepare(sql)?;
                        let mut renderer = renderer();
                        let mut bodies = BodyMemo::new();
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
                    // The writer stops at the first error, whichever chunk.
                    if let Err(e) = outcome {
                        let _ = send.send((0, Err(e), 0));
                    }
                });
            }
            drop((ready_tx, rendered_tx));
            // Every worker reports whether it sees the caller's database
            // before any chunk is written.
            for _ in 0..workers {
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
    use super::{CHUNK, ChunkRenderer, Dispatch, RenderError, WorkerError};
    use crate::domain::Decision;
    use crate::estate::EstateSpec;
    use crate::store::{ReportCells, ReportRows, Store};
    use crate::testing::{self, day};

    /// Renders a line per row; enough to see order, content and gaps.
    struct Lines(Vec<u8>);

    impl ChunkRenderer for Lines {
        fn row(&mut self, row: &ReportCells<'_>) -> Result<(), RenderError> {
            use std::io::Write;
            writeln!(
                self.0,
                "{} {} {} {:?} {:?}",
                row.item, row.identity_id, row.entitlement, row.decision, row.note
            )?;
            Ok(())
        }

        fn take(&mut self) -> Result<Vec<u8>, RenderError> {
            Ok(std::mem::take(&mut self.0))
        }
    }

    /// A campaign of several chunks in a database file, some items decided.
    fn several_chunks() -> (tempfile::TempDir, Store, crate::store::CampaignSummary) {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::create(&dir.path().join("r.db")).unwrap();
        let mut csv = Vec::new();
        let rows = 2 * CHUNK as u64 + 500;
        EstateSpec::new(rows, 7, day("2026-11-01"))
            .write_csv(&mut csv)
            .unwrap();
        testing::import(&mut store, std::str::from_utf8(&csv).unwrap());
        let campaign = testing::campaign(&mut store, "Q4", "2026-11-01");
        let (first, _) = crate::store::campaigns::item_range(&store.conn, campaign.id).unwrap();
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

    fn render(
        store: &Store,
        campaign: &crate::store::CampaignSummary,
        workers: usize,
    ) -> (u64, Vec<u8>) {
        let mut out = Vec::new();
        let count = store
            .render_with(
                campaign.id,
                ReportRows::All,
                workers,
                &|| Lines(Vec::new()),
                &mut |b| {
                    out.extend_from_slice(b);
                    Ok(())
                },
            )
            .unwrap();
        (count, out)
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
    }

    #[test]
    fn a_worker_that_sees_another_state_stops_everything() {
        let (_dir, store, campaign) = several_chunks();
        let range = crate::store::campaigns::item_range(&store.conn, campaign.id).unwrap();
        let head = store.chain_head().unwrap().0 as i64;
        let mut written = 0;
        let outcome = store.render_on_workers(
            (ReportRows::All, super::VersionLookup::Joined),
            range,
            head - 1,
            2,
            &|| Lines(Vec::new()),
            &mut |b| {
                written += b.len();
                Ok(())
            },
        );
        assert!(matches!(outcome, Err(WorkerError::Moved)), "{outcome:?}");
        assert_eq!(written, 0, "nothing written before every worker agreed");
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
        let range = crate::store::campaigns::item_range(&store.conn, campaign.id).unwrap();
        let head = store.chain_head().unwrap().0 as i64;
        std::fs::rename(dir.path().join("r.db"), dir.path().join("moved.db")).unwrap();
        let outcome = store.render_on_workers(
            (ReportRows::All, super::VersionLookup::Joined),
            range,
            head,
            2,
            &|| Lines(Vec::new()),
            &mut |_| Ok(()),
        );
        assert!(matches!(outcome, Err(WorkerError::Moved)), "{outcome:?}");
        let (count, _) = render(&store, &campaign, 2);
        assert_eq!(
            count,
            2 * CHUNK as u64 + 500,
            "rendered on the calling thread"
        );
    }
}
