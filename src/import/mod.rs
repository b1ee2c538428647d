//! Importers: one per source format, each turning a file into validated
//! domain records with the line (or JSON path) of every problem. They read
//! as a stream, so a file larger than memory imports in flat memory.

pub mod canonical;

use std::fmt;
use std::io::Read;

/// A problem with the input, located precisely enough to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// A line number for CSV, a JSON path for JSON; empty for the whole file.
    pub location: String,
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn at_line(line: u64, field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            location: line.to_string(),
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn file(field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            location: String::new(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// `FILE:LINE: field: message`, the form editors and CI logs understand.
    pub fn render(&self, file: &str) -> String {
        let mut out = String::from(file);
        if !self.location.is_empty() {
            out.push(':');
            out.push_str(&self.location);
        }
        out.push_str(": ");
        if !self.field.is_empty() {
            out.push_str(&self.field);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("input"))
    }
}

/// What the command line says about rows that do not say it themselves.
#[derive(Clone, Debug, Default)]
pub struct Defaults {
    pub tenant: Option<String>,
    pub system: Option<String>,
}

/// Fields longer than this are refused: no legitimate entitlement field is
/// this long, and a runaway quote can make a whole file one field.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// Passes bytes through while hashing them, so a file is read once for
/// both its SHA-256 and its rows.
pub struct HashingReader<R> {
    inner: R,
    hasher: sha2::Sha256,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        use sha2::Digest;
        HashingReader {
            inner,
            hasher: sha2::Sha256::new(),
        }
    }

    /// The hex SHA-256 of everything read so far.
    pub fn hex_digest(&self) -> String {
        use sha2::Digest;
        crate::audit::hex(&self.hasher.clone().finalize())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
