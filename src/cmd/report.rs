//! `recert report`: write a campaign's report to a file (owner-only) or
//! standard output.

use super::Env;
use crate::cli::{ReportArgs, ReportFormat};
use crate::domain::text::sanitize;
use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use std::io::{IsTerminal, Write};
use std::path::Path;

pub fn run(args: &ReportArgs, env: &Env) -> Result<()> {
    let store = env.open()?;
    let campaign = store.campaign(&args.campaign)?;
    let write = |out: &mut dyn Write| -> Result<u64> {
        match args.format {
            ReportFormat::Csv => crate::report::csv::write(&store, &campaign, out),
        }
        .map_err(|e| eyre!("{e}"))
    };
    match &args.out {
        None => {
            let stdout = std::io::stdout();
            let terminal = stdout.is_terminal();
            let out = std::io::BufWriter::new(stdout.lock());
            // On a terminal the report is read, not saved: escape what the
            // data would make the terminal do. A pipe gets the data as is.
            let mut out: Box<dyn Write> = if terminal {
                Box::new(TerminalText::new(out))
            } else {
                Box::new(out)
            };
            write(&mut out)?;
            out.flush()?;
        }
        Some(path) => {
            let shown = sanitize(&path.display().to_string()).into_owned();
            let file = create_owner_only(path).wrap_err_with(|| format!("cannot write {shown}"))?;
            let mut out = std::io::BufWriter::new(file);
            let n = write(&mut out)?;
            out.flush()?;
            eprintln!("wrote {n} items to {shown}");
        }
    }
    Ok(())
}

/// Reports hold who-has-what: readable by their owner only.
pub(crate) fn create_owner_only(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
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

#[cfg(test)]
mod tests {
    use super::TerminalText;
    use std::io::Write;

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
