//! `recert report`: write a campaign's report (CSV, JSON, Markdown or
//! HTML) to standard output or to a file created owner-only. A file appears
//! complete or not at all: it is written beside its target and renamed.
//! The target is never the database or a file SQLite keeps beside it, and
//! never anything but a regular file ([`crate::files::check_target`]).

use super::Env;
use crate::cli::{ReportArgs, ReportFormat};
use crate::domain::text::sanitize;
use crate::report::{Format, Generated};
use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use std::io::{IsTerminal, Write};

pub fn run(args: &ReportArgs, env: &Env) -> Result<()> {
    if let Some(path) = &args.out {
        crate::files::check_target(path, &env.db, WHAT)?;
    }
    let store = env.open()?;
    // Fail on an unknown campaign before creating any file.
    store.campaign(&args.campaign)?;
    let format = match args.format {
        ReportFormat::Csv => Format::Csv,
        ReportFormat::Json => Format::Json,
        ReportFormat::Md => Format::Markdown,
        ReportFormat::Html => Format::Html,
    };
    let generated = Generated {
        at: env.now_stamp(),
        by: env.actor()?.email.clone(),
    };
    let write = |out: &mut dyn Write, to_terminal: bool| -> Result<u64> {
        crate::report::write(format, &store, &args.campaign, &generated, to_terminal, out)
            .map_err(typed)
    };
    match &args.out {
        None => {
            let stdout = std::io::stdout();
            let terminal = stdout.is_terminal();
            let out = std::io::BufWriter::new(stdout.lock());
            // On a terminal the report is read, not saved: escape what the
            // data would make the terminal do, whatever the format. A pipe
            // gets the data as is.
            let mut out: Box<dyn Write> = if terminal {
                Box::new(TerminalText::new(out))
            } else {
                Box::new(out)
            };
            write(&mut out, terminal)?;
            out.flush()?;
        }
        Some(path) => {
            let shown = sanitize(&path.display().to_string()).into_owned();
            let file = crate::files::private_temp_beside(path, ".recert-report-")
                .wrap_err_with(|| format!("cannot write {shown}"))?;
            let n = std::thread::scope(|scope| -> Result<u64> {
                let file = file.as_file();
                let syncing = SyncAhead::start(scope, file, SYNC_EVERY, || file.sync_data());
                let mut out = std::io::BufWriter::new(syncing);
                let n = write(&mut out, false)?;
                out.flush()?;
                let syncing = out.into_inner().map_err(|e| e.into_error())?;
                syncing.finish()?;
                Ok(n)
            })?;
            file.as_file().sync_all()?;
            // Again just before the rename: what is at the path may have
            // changed while the report was written (a FIFO, a link made).
            crate::files::check_target(path, &env.db, WHAT)?;
            file.persist(path)
                .wrap_err_with(|| format!("cannot write {shown}"))?;
            errln!("wrote {n} items to {shown}");
        }
    }
    Ok(())
}

const WHAT: &str = "the report";

/// Bytes written between requests to start writing them to disk.
const SYNC_EVERY: u64 = 32 << 20;

/// Writes to a file and, every `every` bytes, has a second thread
/// flush what is written so far, so that the `sync_all` that makes the
/// report durable waits for its last part, not for hundreds of MB at once.
struct SyncAhead<'s> {
    file: &'s std::fs::File,
    every: u64,
    unsynced: u64,
    requests: Option<std::sync::mpsc::SyncSender<()>>,
    syncer: Option<std::thread::ScopedJoinHandle<'s, std::io::Result<()>>>,
}

impl<'s> SyncAhead<'s> {
    /// `sync` flushes what `file` holds to disk: `File::sync_data`, but for
    /// tests.
    fn start<'f: 's>(
        scope: &'s std::thread::Scope<'s, 'f>,
        file: &'f std::fs::File,
        every: u64,
        sync: impl Fn() -> std::io::Result<()> + Send + 'f,
    ) -> SyncAhead<'s> {
        // One request waiting is enough: a sync flushes everything written.
        let (requests, pending) = std::sync::mpsc::sync_channel::<()>(1);
        let syncer = scope.spawn(move || {
            while pending.recv().is_ok() {
                sync()?;
            }
            Ok(())
        });
        SyncAhead {
            file,
            every,
            unsynced: 0,
            requests: Some(requests),
            syncer: Some(syncer),
        }
    }

    /// Stops the second thread, with the error of any sync it ran: an
    /// error a sync reports is not reported again to the next.
    fn finish(mut self) -> std::io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> std::io::Result<()> {
        drop(self.requests.take());
        match self.syncer.take() {
            Some(syncer) => syncer
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the report's sync thread stopped"))),
            None => Ok(()),
        }
    }
}

impl Write for SyncAhead<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = (&*self.file).write(bytes)?;
        self.unsynced += n as u64;
        if self.unsynced >= self.every {
            self.unsynced = 0;
            let sent = self.requests.as_ref().map(|r| r.try_send(()));
            // A request already waiting covers this one; a thread that has
            // stopped met an error, and the rest of the report is not
            // worth writing.
            if let Some(Err(std::sync::mpsc::TrySendError::Disconnected(()))) = sent {
                self.stop()?;
                return Err(std::io::Error::other("the report's sync thread stopped"));
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        (&*self.file).flush()
    }
}

/// A writer for text shown on a terminal: passes it through
/// [`sanitize_multiline`](crate::domain::text::sanitize_multiline), which
/// keeps line breaks and escapes every other control character, escape
/// sequence and bidirectional override. Bytes that are not UTF-8 are
/// shown as `\xNN`; a character split across two writes waits for its end.
pub(crate) struct TerminalText<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> TerminalText<W> {
    pub fn new(inner: W) -> Self {
        TerminalText {
            inner,
            pending: Vec::new(),
        }
    }

    fn drain(&mut self, at_end: bool) -> std::io::Result<()> {
        let mut start = 0;
        while start < self.pending.len() {
            match std::str::from_utf8(&self.pending[start..]) {
                Ok(text) => {
                    let shown = crate::domain::text::sanitize_multiline(text);
                    self.inner.write_all(shown.as_bytes())?;
                    start = self.pending.len();
                }
                Err(e) => {
                    let valid = start + e.valid_up_to();
                    // Checked as UTF-8 just above.
                    let text = std::str::from_utf8(&self.pending[start..valid]).unwrap_or("");
                    let shown = crate::domain::text::sanitize_multiline(text);
                    self.inner.write_all(shown.as_bytes())?;
                    match e.error_len() {
                        Some(bad) => {
                            for byte in &self.pending[valid..valid + bad] {
                                write!(self.inner, "\\x{byte:02x}")?;
                            }
                            start = valid + bad;
                        }
                        None if at_end => {
                            for byte in &self.pending[valid..] {
                                write!(self.inner, "\\x{byte:02x}")?;
                            }
                            start = self.pending.len();
                        }
                        None => {
                            start = valid;
                            break;
                        }
                    }
                }
            }
        }
        self.pending.drain(..start);
        Ok(())
    }
}

impl<W: Write> Write for TerminalText<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        self.drain(false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.drain(true)?;
        self.inner.flush()
    }
}

/// A report's error as eyre carries it, its kind kept: `main` sees a
/// closed pipe through the writers' own errors, and callers can branch on
/// the store's. Only an error of some other kind goes by its message,
/// which is all it has.
fn typed(error: crate::report::Error) -> color_eyre::Report {
    fn kept<E: std::error::Error + Send + Sync + 'static>(
        error: crate::report::Error,
    ) -> Result<color_eyre::Report, crate::report::Error> {
        error.downcast::<E>().map(|e| color_eyre::Report::new(*e))
    }
    kept::<crate::store::StoreError>(error)
        .or_else(kept::<std::io::Error>)
        .or_else(kept::<csv::Error>)
        .or_else(kept::<serde_json::Error>)
        .unwrap_or_else(|other| eyre!("{other}"))
}

#[cfg(test)]
mod tests {
    use super::{SyncAhead, TerminalText, typed};
    use crate::store::StoreError;
    use std::io::Write;

    /// What the report's writers fail with reaches `main` as itself: a
    /// closed pipe is seen through the CSV writer's error, the store's
    /// kinds stay branchable, and the words are the same.
    #[test]
    fn a_report_error_keeps_its_kind() {
        let missing = typed(Box::new(StoreError::NoCampaign("Q9".into())));
        assert!(matches!(
            missing.downcast_ref::<StoreError>(),
            Some(StoreError::NoCampaign(_))
        ));
        assert_eq!(missing.to_string(), "no campaign named \"Q9\"");
        let closed = csv::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        let closed = typed(Box::new(closed));
        assert!(closed.chain().any(crate::output::is_broken_pipe));
        let other = typed("a renderer gave up".into());
        assert_eq!(other.to_string(), "a renderer gave up");
    }

    #[test]
    fn syncing_ahead_writes_every_byte_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        let file = std::fs::File::create(&path).unwrap();
        let expected: Vec<u8> = (0..10_000u32).flat_map(|n| n.to_le_bytes()).collect();
        let syncs = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let sync = || {
                syncs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                file.sync_data()
            };
            let mut out = SyncAhead::start(scope, &file, 1000, sync);
            for part in expected.chunks(333) {
                out.write_all(part).unwrap();
            }
            out.flush().unwrap();
            out.finish().unwrap();
        });
        assert_eq!(std::fs::read(&path).unwrap(), expected);
        assert!(syncs.into_inner() > 0, "synced while writing");
    }

    #[test]
    fn a_failed_sync_fails_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let file = std::fs::File::create(dir.path().join("report.csv")).unwrap();
        let failing = || Err(std::io::Error::other("disk on fire"));
        let outcome = std::thread::scope(|scope| {
            let mut out = SyncAhead::start(scope, &file, 10, failing);
            // Once the thread has stopped on the error, writing stops too.
            let written = (0..1000).try_for_each(|_| {
                out.write_all(b"0123456789")?;
                std::thread::sleep(std::time::Duration::from_millis(1));
                Ok::<_, std::io::Error>(())
            });
            (written, out.finish())
        });
        let (written, finished) = outcome;
        let error = written.err().or(finished.err()).expect("an error");
        assert!(error.to_string().contains("disk on fire"), "{error}");
    }

    #[test]
    fn terminal_text_escapes_controls_across_writes_and_keeps_lines() {
        let mut out = TerminalText::new(Vec::new());
        let text = "a,\u{1b}[2J\u{9b}31m\n\u{202e}é\n".as_bytes();
        // Byte by byte, so that every multi-byte character is split.
        for byte in text {
            out.write_all(std::slice::from_ref(byte)).unwrap();
        }
        out.write_all(b"\xff").unwrap();
        out.flush().unwrap();
        let shown = String::from_utf8(out.inner).unwrap();
        assert_eq!(shown, "a,\\x1b[2J\\u{9b}31m\n\\u{202e}é\n\\xff");
    }
}
