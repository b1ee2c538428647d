//! Report rows rendered on several threads. Reading a million items with
//! their versions, decisions and remediation is SQLite's work and bound to
//! one core per connection, so each worker reads chunks of the campaign's
//! id range through its own read-only connection and renders them; the
//! caller writes the chunks in order. Every worker must see the database
//! as the caller does: each compares the audit chain's head (every change
//! appends an event) with the caller's, and any difference falls back to
//! rendering on the calling thread.

use super::bodies::BodyMemo;
use super::campaigns::item_range;
use super::reporting::{ReportCells, VersionLookup, read_cells, report_select};
use super::{CampaignId, ReportRows, Result, Store, StoreError};
use rusqlite::{Connection, OpenFlags, params};
use std::error::Error;
use std::sync::mpsc;

/// Items per chunk: big enough that a chunk's query is cheap beside its
/// rows, small enough that chunks waiting to be written stay a few MB.
const CHUNK: i64 = 4096;
/// Chunks a worker renders ahead of the writer.
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

    /// The parallel path: worker `w` renders chunks `w`, `w + workers`, …
    /// and the calling thread writes them in order. Nothing is written
    /// before every worker has confirmed it sees the caller's database, so
    /// a fallback starts from an empty output.
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
        std::thread::scope(|scope| {
            let mut inboxes = Vec::new();
            let (ready_tx, ready_rx) = mpsc::channel::<bool>();
            for w in 0..workers {
                let (send, receive) = mpsc::sync_channel::<(Rendered, u64)>(AHEAD);
                inboxes.push(receive);
                let (sql, path, ready) = (&sql, &path, ready_tx.clone());
                scope.spawn(move || {
                    let outcome = (|| -> std::result::Result<(), WorkerError> {
                        let flags =
                            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                        let conn = Connection::open_with_flags(path, flags)?;
                        conn.busy_timeout(super::BUSY_TIMEOUT)?;
                        // The read transaction starts at the head query and
                        // holds this view for every chunk.
                        conn.execute_batch("BEGIN")?;
                        let seen: i64 =
                            conn.query_row("SELECT coalesce(max(seq), 0) FROM event", [], |r| {
                                r.get(0)
                            })?;
                        let same = seen == head;
                        let _ = ready.send(same);
                        if !same {
                            return Err(WorkerError::Moved);
                        }
                        let mut stmt = conn.prepare(sql)?;
                        let mut renderer = renderer();
                        let mut bodies = BodyMemo::new();
                        let mut start = first + w as i64 * CHUNK;
                        while start <= last {
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
                            if send.send((Ok(bytes), count)).is_err() {
                                return Ok(());
                            }
                            start += workers as i64 * CHUNK;
                        }
                        Ok(())
                    })();
                    if let Err(e) = outcome {
                        let _ = send.send((Err(e), 0));
                    }
                });
            }
            drop(ready_tx);
            // Every worker reports whether it sees the caller's database
            // before any chunk is written.
            for _ in 0..workers {
                if !ready_rx.recv().unwrap_or(false) {
                    return Err(WorkerError::Moved);
                }
            }
            let mut count = 0u64;
            let chunks = ((last - first + 1).max(0) + CHUNK - 1) / CHUNK;
            for chunk in 0..chunks as usize {
                let (rendered, rows) = inboxes[chunk % workers].recv().map_err(|_| {
                    WorkerError::Store(StoreError::Invalid("a report worker stopped".into()))
                })?;
                let bytes = rendered?;
                write(&bytes).map_err(|e| WorkerError::Render(Box::new(e)))?;
                count += rows;
            }
            Ok(count)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{CHUNK, ChunkRenderer, RenderError, WorkerError};
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
}
