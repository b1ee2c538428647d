//! Importers: one per source format, each turning a file into validated
//! domain records with the line (or JSON path) of every problem. They read
//! as a stream, so a file larger than memory imports in flat memory.

pub mod aws_iam;
pub mod canonical;
pub mod catalog;
mod columns;
pub mod detect;
pub mod people;
pub mod register;
pub mod scim;

use crate::domain::EntitlementRecord;
use std::fmt;
use std::io::Read;

/// The formats recert imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Canonical,
    AwsIam,
    Scim,
    Register,
    Catalog,
}

impl Format {
    /// The name used by `--format` and recorded with each snapshot.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Canonical => "canonical",
            Format::AwsIam => "aws-iam",
            Format::Scim => "scim",
            Format::Register => "register",
            Format::Catalog => "catalog",
        }
    }
}

/// One data row of a grant source: the line (CSV) or resource number
/// (JSON) it came from and its record, or everything wrong with it.
pub type Row = Result<(u64, EntitlementRecord), Vec<Problem>>;

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

    /// A problem at a JSON path such as `$.Resources[3].userName`, which
    /// names the field itself.
    pub fn at_path(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            location: path.into(),
            field: String::new(),
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

/// The text of one CSV field: trimmed, `None` when empty. Refuses (with a
/// problem naming `line` and `column`) fields that are too long, not
/// UTF-8 or contain a NUL byte.
pub fn field_text(
    raw: &[u8],
    line: u64,
    column: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    if raw.len() > MAX_FIELD_BYTES {
        problems.push(Problem::at_line(
            line,
            column,
            format!(
                "{} bytes is longer than the {MAX_FIELD_BYTES} allowed",
                raw.len()
            ),
        ));
        return None;
    }
    let Ok(value) = std::str::from_utf8(raw) else {
        problems.push(Problem::at_line(line, column, "not valid UTF-8"));
        return None;
    };
    if value.contains('\0') {
        problems.push(Problem::at_line(line, column, "contains a NUL byte"));
        return None;
    }
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// Reads a CSV header row: the trimmed column names (a BOM removed), or
/// the problem that the file is empty or unreadable.
pub(crate) fn read_header<R: Read>(csv: &mut CsvReader<R>) -> Result<Vec<String>, Vec<Problem>> {
    let mut header = csv::ByteRecord::new();
    match read_record(csv, &mut header) {
        Ok(true) => {}
        Ok(false) => {
            return Err(vec![Problem::file(
                "",
                "the file is empty: expected a header row naming the columns",
            )]);
        }
        Err(e) => return Err(vec![csv_problem(&e, 1)]),
    }
    let mut names = Vec::with_capacity(header.len());
    let mut problems = Vec::new();
    for raw in header.iter() {
        match std::str::from_utf8(raw) {
            Ok(name) => names.push(name.trim_start_matches('\u{feff}').trim().to_string()),
            Err(_) => {
                problems.push(Problem::at_line(
                    1,
                    "header",
                    "a column name is not valid UTF-8",
                ));
                names.push(String::new());
            }
        }
    }
    if problems.is_empty() {
        Ok(names)
    } else {
        Err(problems)
    }
}

/// Where each of `columns` stands among the header's `names` (given with
/// their positions in the file). A column named twice is a problem; what a
/// name not among `columns` is, `unknown` says (a problem, or nothing).
pub(crate) fn column_positions<'n, const N: usize>(
    names: impl IntoIterator<Item = (usize, &'n str)>,
    columns: &[&str; N],
    problems: &mut Vec<Problem>,
    mut unknown: impl FnMut(&'n str) -> Option<Problem>,
) -> [Option<usize>; N] {
    let mut positions = [None; N];
    for (index, name) in names {
        match columns.iter().position(|c| *c == name) {
            Some(known) if positions[known].is_some() => {
                problems.push(Problem::at_line(1, name, "the column appears twice"));
            }
            Some(known) => positions[known] = Some(index),
            None => problems.extend(unknown(name)),
        }
    }
    positions
}

/// A CSV reader as every importer configures it. Records end at LF only:
/// with CRLF as a terminator the csv crate reports each line number one
/// short. The CR stays on the last field, and every field is trimmed.
pub(crate) fn csv_reader<R: Read>(input: R) -> CsvReader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(RecordLimit::new(input))
}

/// The CSV reader every importer uses: its input capped per record.
pub(crate) type CsvReader<R> = csv::Reader<RecordLimit<R>>;

/// Reads the next record, then starts the record limit's count afresh.
pub(crate) fn read_record<R: Read>(
    csv: &mut CsvReader<R>,
    record: &mut csv::ByteRecord,
) -> csv::Result<bool> {
    let read = csv.read_byte_record(record);
    let next = csv.position().clone();
    csv.get_mut().next_record_at(&next);
    read
}

/// Reads the data row after the header into `record` and returns its line,
/// or what is wrong with it; `None` at the end of the file. Blank lines are
/// not rows; a row of another width than the header's, or a malformed one,
/// is a problem and reading goes on to find more; a file that cannot be
/// read any further sets `finished`, and nothing more is read.
pub(crate) fn next_data_row<R: Read>(
    csv: &mut CsvReader<R>,
    record: &mut csv::ByteRecord,
    width: usize,
    finished: &mut bool,
) -> Option<Result<u64, Vec<Problem>>> {
    loop {
        if *finished {
            return None;
        }
        let read = read_record(csv, record);
        let line = record.position().map_or(0, |p| p.line());
        match read {
            Ok(false) => return None,
            Err(e) => {
                *finished = matches!(e.kind(), csv::ErrorKind::Io(_));
                return Some(Err(vec![csv_problem(&e, line)]));
            }
            Ok(true) => {}
        }
        if is_blank(record) {
            continue;
        }
        if record.len() != width {
            return Some(Err(vec![Problem::at_line(
                line,
                "",
                format!(
                    "expected {width} fields as in the header, found {}",
                    record.len()
                ),
            )]));
        }
        return Some(Ok(line));
    }
}

/// The most bytes one CSV record may span. The csv crate holds a record
/// whole, so a quote that is never closed would otherwise make the rest of
/// a file of any size one field in memory. No legitimate record comes near
/// this: fields are refused beyond [`MAX_FIELD_BYTES`] anyway, and the
/// widest format has 22 columns (under 1.5 MiB).
pub const MAX_RECORD_BYTES: u64 = 4 * 1024 * 1024;

/// Passes bytes to the CSV parser until one record has taken more than
/// [`MAX_RECORD_BYTES`], then fails the read: memory stays bounded
/// whatever the file holds. (The parser reads ahead by its buffer, a few
/// KiB, which the limit tolerates.)
pub(crate) struct RecordLimit<R> {
    inner: R,
    consumed: u64,
    record_start: u64,
    record_line: u64,
}

impl<R> RecordLimit<R> {
    fn new(inner: R) -> Self {
        RecordLimit {
            inner,
            consumed: 0,
            record_start: 0,
            record_line: 1,
        }
    }

    fn next_record_at(&mut self, position: &csv::Position) {
        self.record_start = position.byte();
        self.record_line = position.line();
    }
}

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.consumed.saturating_sub(self.record_start) > MAX_RECORD_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                RecordTooLong {
                    line: self.record_line,
                },
            ));
        }
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

/// A record that outgrew [`MAX_RECORD_BYTES`], by the line it started on.
#[derive(Debug, thiserror::Error)]
#[error(
    "the record starting here runs on for more than {} MiB: a quote that is never closed?",
    MAX_RECORD_BYTES >> 20
)]
pub(crate) struct RecordTooLong {
    line: u64,
}

/// A CSV error as a problem on its line.
pub(crate) fn csv_problem(error: &csv::Error, fallback_line: u64) -> Problem {
    if let csv::ErrorKind::Io(e) = error.kind()
        && let Some(long) = e.get_ref().and_then(|e| e.downcast_ref::<RecordTooLong>())
    {
        return Problem::at_line(long.line, "", long.to_string());
    }
    let line = error.position().map(|p| p.line()).unwrap_or(fallback_line);
    let message = match error.kind() {
        csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
        _ => error.to_string(),
    };
    Problem::at_line(line, "", message)
}

/// Whether a CSV record is a blank line between rows, which is not a row.
pub(crate) fn is_blank(record: &csv::ByteRecord) -> bool {
    record.len() == 1
        && record
            .get(0)
            .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Counts what a reader pulled from its input.
    struct Counting<R> {
        inner: R,
        read: std::rc::Rc<std::cell::Cell<u64>>,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read.set(self.read.get() + n as u64);
            Ok(n)
        }
    }

    /// A quote opened on line 2 and never closed, then 48 MiB more: each
    /// CSV importer stops soon after the record limit instead of holding
    /// the rest of the file as one field, and says where the record began.
    #[test]
    fn a_quote_never_closed_stops_at_the_record_limit() {
        const REST: u64 = 48 << 20;
        type Input = Counting<Box<dyn Read>>;
        type Open = fn(Input) -> Vec<Problem>;
        fn problems<T, I: Iterator<Item = Result<T, Vec<Problem>>>>(
            rows: Result<I, Vec<Problem>>,
        ) -> Vec<Problem> {
            match rows {
                Ok(rows) => rows.filter_map(Result::err).flatten().collect(),
                Err(p) => p,
            }
        }
        let aws_head = format!("{}\n\"u,", aws_iam::COLUMNS.join(","));
        let cases: [(String, Open); 3] = [
            (
                "system,identity_id,identity_name,identity_kind,relationship,entitlement\n\
                 gh,a,\"A,human,partner,x\n"
                    .into(),
                |input| problems(canonical::Reader::new(input, Defaults::default())),
            ),
            ("identity_id,relationship\na,\"partner\n".into(), |input| {
                problems(register::Reader::new(input, Defaults::default()))
            }),
            (aws_head, |input| {
                problems(aws_iam::Reader::new(input, Defaults::default()))
            }),
        ];
        for (head, open) in cases {
            let read = std::rc::Rc::new(std::cell::Cell::new(0));
            let inner: Box<dyn Read> = Box::new(
                std::io::Cursor::new(head.clone()).chain(std::io::repeat(b'x').take(REST)),
            );
            let found = open(Counting {
                inner,
                read: read.clone(),
            });
            assert!(
                read.get() < MAX_RECORD_BYTES + (1 << 20),
                "{head}: read {} bytes",
                read.get()
            );
            let long = found
                .iter()
                .find(|p| p.message.contains("never closed"))
                .unwrap_or_else(|| panic!("{head}: {found:?}"));
            assert_eq!(long.location, "2", "{head}: {long:?}");
        }
    }
}
