//! recert's canonical CSV: a header row naming the columns in any order,
//! UTF-8 (with or without a BOM), LF or CRLF. See DESIGN.md.

use super::columns::{self, Unknown};
use super::{
    CsvReader, Defaults, MAX_FIELD_BYTES, Problem, column_positions, csv_problem, csv_reader,
    next_data_row, read_record,
};
use crate::domain::{EntitlementRecord, IdentityKind, Relationship, Stamp};
use std::io::Read;

/// Every column the format knows, in the documented order.
pub const COLUMNS: [&str; 21] = [
    "tenant",
    "system",
    "identity_id",
    "identity_name",
    "identity_kind",
    "relationship",
    "organization",
    "region",
    "environment",
    "entitlement",
    "privileged",
    "sponsor",
    "business_owner",
    "technical_owner",
    "justification",
    "granted_at",
    "expires_at",
    "last_used_at",
    "credential_rotated_at",
    "shared",
    "ticket",
];

pub const REQUIRED: [&str; 6] = [
    "system",
    "identity_id",
    "identity_name",
    "identity_kind",
    "relationship",
    "entitlement",
];

/// Whether a header row looks like this format (used to detect formats).
pub fn matches_header(header: &[String]) -> bool {
    REQUIRED.iter().all(|r| header.iter().any(|h| h == r))
}

/// Whether a header that lacks required columns still names columns only
/// this format has, so that its reader can say what is missing.
pub fn looks_like(header: &[String]) -> bool {
    ["system", "entitlement", "identity_kind"]
        .iter()
        .any(|c| header.iter().any(|h| h == c))
}

pub use super::Row;

/// Streams validated records from canonical CSV.
pub struct Reader<R: Read> {
    csv: CsvReader<R>,
    /// For each of `COLUMNS`, its position in the file, if present.
    positions: [Option<usize>; 21],
    width: usize,
    defaults: Defaults,
    record: csv::ByteRecord,
    /// The file could not be read any further.
    finished: bool,
    /// Columns the file has that recert does not read.
    warnings: Vec<Problem>,
}

impl<R: Read> Reader<R> {
    /// Reads and checks the header. A header problem rejects the whole file.
    pub fn new(input: R, defaults: Defaults) -> Result<Reader<R>, Vec<Problem>> {
        let mut csv = csv_reader(input);
        let mut header = csv::ByteRecord::new();
        match read_record(&mut csv, &mut header) {
            Ok(true) => {}
            Ok(false) => {
                return Err(vec![Problem::file(
                    "",
                    "the file is empty: expected a header row naming the columns",
                )]);
            }
            Err(e) => return Err(vec![csv_problem(&e, 1)]),
        }
        let mut problems = Vec::new();
        let mut names = Vec::with_capacity(header.len());
        for (index, raw) in header.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(name) => names.push((index, name.trim())),
                Err(_) => problems.push(Problem::at_line(
                    1,
                    "header",
                    "a column name is not valid UTF-8",
                )),
            }
        }
        let mut warnings = Vec::new();
        let positions =
            column_positions(names, &COLUMNS, &mut problems, |name| match columns::judge(
                name, &COLUMNS,
            ) {
                Unknown::Misspelt(problem) => Some(problem),
                Unknown::Extra(warning) => {
                    warnings.push(warning);
                    None
                }
            });
        for required in REQUIRED {
            let known = COLUMNS.iter().position(|c| *c == required).unwrap_or(0);
            if positions[known].is_none() {
                problems.push(Problem::at_line(1, required, "required column is missing"));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Reader {
            csv,
            positions,
            width: header.len(),
            defaults,
            record: csv::ByteRecord::new(),
            finished: false,
            warnings,
        })
    }

    /// Columns of the file that recert does not read (their values are not
    /// imported); the caller prints them and records them with the snapshot.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    fn field(&self, column: usize) -> Option<&[u8]> {
        self.positions[column].and_then(|p| self.record.get(p))
    }

    /// The trimmed text of a column in the current row, `None` when the
    /// column is absent or empty; problems with the bytes are recorded.
    fn value(&self, column: usize, line: u64, problems: &mut Vec<Problem>) -> Option<&str> {
        let raw = self.field(column)?;
        let name = COLUMNS[column];
        if raw.len() > MAX_FIELD_BYTES {
            problems.push(Problem::at_line(
                line,
                name,
                format!(
                    "{} bytes is longer than the {MAX_FIELD_BYTES} allowed",
                    raw.len()
                ),
            ));
            return None;
        }
        let Ok(value) = std::str::from_utf8(raw) else {
            problems.push(Problem::at_line(line, name, "not valid UTF-8"));
            return None;
        };
        if value.contains('\0') {
            problems.push(Problem::at_line(line, name, "contains a NUL byte"));
            return None;
        }
        let value = value.trim();
        (!value.is_empty()).then_some(value)
    }

    /// Validates the current row into `record`, reusing its allocations: a
    /// million rows should not mean twenty million small allocations.
    fn fill(&self, line: u64, record: &mut EntitlementRecord) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let p = &mut problems;
        let required = |column: usize, p: &mut Vec<Problem>| -> &str {
            let value = self.value(column, line, p);
            if value.is_none() && !p.iter().any(|x| x.field == COLUMNS[column]) {
                p.push(Problem::at_line(
                    line,
                    COLUMNS[column],
                    "required value is empty",
                ));
            }
            value.unwrap_or_default()
        };
        let system = required(col::SYSTEM, p);
        let identity_id = required(col::IDENTITY_ID, p);
        let identity_name = required(col::IDENTITY_NAME, p);
        let kind = required(col::IDENTITY_KIND, p);
        let relationship = required(col::RELATIONSHIP, p);
        let entitlement = required(col::ENTITLEMENT, p);
        let identity_kind = parse_word::<IdentityKind>(kind, line, "identity_kind", p);
        let relationship = parse_word::<Relationship>(relationship, line, "relationship", p);
        let tenant_value = self.value(col::TENANT, line, p);
        let tenant = resolve(
            tenant_value,
            self.defaults.tenant.as_deref(),
            line,
            "tenant",
            p,
        );
        let system = resolve(
            Some(system).filter(|s| !s.is_empty()),
            self.defaults.system.as_deref(),
            line,
            "system",
            p,
        );
        let boolean = |column: usize, p: &mut Vec<Problem>| -> bool {
            match self.value(column, line, p) {
                None => false,
                Some(v) if v.eq_ignore_ascii_case("true") => true,
                Some(v) if v.eq_ignore_ascii_case("false") => false,
                Some(v) => {
                    p.push(Problem::at_line(
                        line,
                        COLUMNS[column],
                        format!("{v:?} is not true or false"),
                    ));
                    false
                }
            }
        };
        let privileged = boolean(col::PRIVILEGED, p);
        let shared = boolean(col::SHARED, p);
        let date = |column: usize, p: &mut Vec<Problem>| -> Option<Stamp> {
            let value = self.value(column, line, p)?;
            Stamp::parse_input(value)
                .map_err(|e| p.push(Problem::at_line(line, COLUMNS[column], e.to_string())))
                .ok()
        };
        let granted_at = date(col::GRANTED_AT, p);
        let expires_at = date(col::EXPIRES_AT, p);
        let last_used_at = date(col::LAST_USED_AT, p);
        let credential_rotated_at = date(col::CREDENTIAL_ROTATED_AT, p);
        let optional = |column: usize, slot: &mut Option<String>, p: &mut Vec<Problem>| {
            set_optional(slot, self.value(column, line, p));
        };
        optional(col::ORGANIZATION, &mut record.organization, p);
        optional(col::REGION, &mut record.region, p);
        optional(col::ENVIRONMENT, &mut record.environment, p);
        optional(col::SPONSOR, &mut record.sponsor, p);
        optional(col::BUSINESS_OWNER, &mut record.business_owner, p);
        optional(col::TECHNICAL_OWNER, &mut record.technical_owner, p);
        optional(col::JUSTIFICATION, &mut record.justification, p);
        optional(col::TICKET, &mut record.ticket, p);
        let (Some(identity_kind), Some(relationship), true) =
            (identity_kind, relationship, problems.is_empty())
        else {
            return Err(problems);
        };
        set(&mut record.tenant, tenant);
        set(&mut record.system, system);
        set(&mut record.identity_id, identity_id);
        set(&mut record.identity_name, identity_name);
        set(&mut record.entitlement, entitlement);
        record.identity_kind = identity_kind;
        record.relationship = relationship;
        record.email = None;
        record.active = None;
        record.privileged = privileged;
        record.shared = shared;
        record.granted_at = granted_at;
        record.expires_at = expires_at;
        record.last_used_at = last_used_at;
        record.credential_rotated_at = credential_rotated_at;
        Ok(())
    }

    /// Reads the next row into `record`, returning its line, or everything
    /// wrong with it; `None` at the end of the file.
    pub fn read_into(
        &mut self,
        record: &mut EntitlementRecord,
    ) -> Option<Result<u64, Vec<Problem>>> {
        let line = match next_data_row(
            &mut self.csv,
            &mut self.record,
            self.width,
            &mut self.finished,
        )? {
            Ok(line) => line,
            Err(problems) => return Some(Err(problems)),
        };
        Some(self.fill(line, record).map(|()| line))
    }
}

/// Rows a read-ahead batch holds: enough that handing a batch over costs
/// little per row, few enough that memory stays flat.
const BATCH_ROWS: usize = 256;

/// Rows read ahead, their records refilled batch after batch.
struct Batch {
    reads: Vec<Result<u64, Vec<Problem>>>,
    records: Vec<EntitlementRecord>,
}

impl<R: Read + Send> Reader<R> {
    /// Hands every row (or what is wrong with it), in order, to `consume`,
    /// reading and checking the rows ahead on a second thread: on the
    /// million-row path that work costs about as much as storing the rows.
    /// The first error `consume` returns stops the reading and is returned.
    pub fn for_each_read_ahead<E: From<std::io::Error>>(
        &mut self,
        mut consume: impl FnMut(Result<(u64, &EntitlementRecord), Vec<Problem>>) -> Result<(), E>,
    ) -> Result<(), E> {
        use std::sync::mpsc::sync_channel;
        std::thread::scope(|scope| {
            let (full, filled) = sync_channel::<Batch>(2);
            let (empty, emptied) = sync_channel::<Batch>(4);
            std::thread::Builder::new()
                .name("import-reader".into())
                .spawn_scoped(scope, move || {
                    while let Some(batch) = self.fill_batch(emptied.try_recv().ok()) {
                        if full.send(batch).is_err() {
                            return;
                        }
                    }
                })?;
            for batch in filled {
                let batch = drain(batch, &mut consume)?;
                let _ = empty.send(batch);
            }
            Ok(())
        })
    }

    /// The next rows, in `batch` if one came back emptied; `None` at the end.
    fn fill_batch(&mut self, batch: Option<Batch>) -> Option<Batch> {
        let mut batch = batch.unwrap_or_else(|| Batch {
            reads: Vec::with_capacity(BATCH_ROWS),
            records: Vec::with_capacity(BATCH_ROWS),
        });
        while batch.reads.len() < BATCH_ROWS {
            let n = batch.reads.len();
            if n == batch.records.len() {
                batch.records.push(EntitlementRecord::new(
                    "",
                    "",
                    "",
                    IdentityKind::Human,
                    Relationship::Unknown,
                    "",
                ));
            }
            match self.read_into(&mut batch.records[n]) {
                Some(read) => batch.reads.push(read),
                None => break,
            }
        }
        (!batch.reads.is_empty()).then_some(batch)
    }
}

/// Hands a batch's rows to `consume`; returns the batch, emptied, for reuse.
fn drain<E>(
    mut batch: Batch,
    consume: &mut impl FnMut(Result<(u64, &EntitlementRecord), Vec<Problem>>) -> Result<(), E>,
) -> Result<Batch, E> {
    for (read, record) in batch.reads.drain(..).zip(&batch.records) {
        consume(read.map(|line| (line, record)))?;
    }
    Ok(batch)
}

/// Positions in `COLUMNS`.
mod col {
    pub const TENANT: usize = 0;
    pub const SYSTEM: usize = 1;
    pub const IDENTITY_ID: usize = 2;
    pub const IDENTITY_NAME: usize = 3;
    pub const IDENTITY_KIND: usize = 4;
    pub const RELATIONSHIP: usize = 5;
    pub const ORGANIZATION: usize = 6;
    pub const REGION: usize = 7;
    pub const ENVIRONMENT: usize = 8;
    pub const ENTITLEMENT: usize = 9;
    pub const PRIVILEGED: usize = 10;
    pub const SPONSOR: usize = 11;
    pub const BUSINESS_OWNER: usize = 12;
    pub const TECHNICAL_OWNER: usize = 13;
    pub const JUSTIFICATION: usize = 14;
    pub const GRANTED_AT: usize = 15;
    pub const EXPIRES_AT: usize = 16;
    pub const LAST_USED_AT: usize = 17;
    pub const CREDENTIAL_ROTATED_AT: usize = 18;
    pub const SHARED: usize = 19;
    pub const TICKET: usize = 20;
}

fn set(slot: &mut String, value: &str) {
    slot.clear();
    slot.push_str(value);
}

fn set_optional(slot: &mut Option<String>, value: Option<&str>) {
    match (slot.as_mut(), value) {
        (Some(text), Some(value)) => set(text, value),
        (None, Some(value)) => *slot = Some(value.to_string()),
        (_, None) => *slot = None,
    }
}

fn parse_word<T: std::str::FromStr<Err = String>>(
    text: &str,
    line: u64,
    column: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    if text.is_empty() {
        return None;
    }
    text.parse()
        .map_err(|e: String| problems.push(Problem::at_line(line, column, e)))
        .ok()
}

/// A value from the row, or the command line's default; the two must agree.
fn resolve<'v>(
    value: Option<&'v str>,
    default: Option<&'v str>,
    line: u64,
    column: &str,
    problems: &mut Vec<Problem>,
) -> &'v str {
    match (value, default) {
        (Some(v), Some(d)) if v != d => {
            problems.push(Problem::at_line(
                line,
                column,
                format!("the row says {v:?} but the command line says {d:?}"),
            ));
            v
        }
        (Some(v), _) => v,
        (None, Some(d)) => d,
        (None, None) => "",
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Self::Item> {
        let mut record =
            EntitlementRecord::new("", "", "", IdentityKind::Human, Relationship::Unknown, "");
        self.read_into(&mut record)
            .map(|read| read.map(|line| (line, record)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "tenant,system,identity_id,identity_name,identity_kind,relationship,entitlement,privileged,expires_at";

    fn read(text: &str) -> Result<Vec<Row>, Vec<Problem>> {
        Reader::new(text.as_bytes(), Defaults::default()).map(|r| r.collect())
    }

    /// Reading ahead hands over what reading in line gives, row for row,
    /// problems included, across many batches.
    #[test]
    fn reading_ahead_gives_every_row_in_order() {
        let mut text = format!("{HEADER}\n");
        for n in 0..(BATCH_ROWS * 3 + 7) {
            let kind = if n == BATCH_ROWS + 1 {
                "robot"
            } else {
                "human"
            };
            text.push_str(&format!("t,gh,u{n},U {n},{kind},partner,e,false,\n"));
        }
        let in_line: Vec<String> = read(&text)
            .unwrap()
            .into_iter()
            .map(|row| format!("{:?}", row.map(|(line, r)| (line, r.identity_id))))
            .collect();
        let mut ahead = Vec::new();
        let mut reader = Reader::new(text.as_bytes(), Defaults::default()).unwrap();
        reader
            .for_each_read_ahead(|row| {
                let row = row.map(|(line, r)| (line, r.identity_id.clone()));
                ahead.push(format!("{row:?}"));
                Ok::<(), std::io::Error>(())
            })
            .unwrap();
        assert_eq!(ahead.len(), BATCH_ROWS * 3 + 7);
        assert!(
            ahead[BATCH_ROWS + 1].contains("identity_kind"),
            "{}",
            ahead[BATCH_ROWS + 1]
        );
        assert_eq!(ahead, in_line);
    }

    /// The first error from the consumer ends the reading and is returned.
    #[test]
    fn reading_ahead_stops_at_the_first_error() {
        let mut text = format!("{HEADER}\n");
        for n in 0..(BATCH_ROWS * 8) {
            text.push_str(&format!("t,gh,u{n},U {n},human,partner,e,false,\n"));
        }
        let mut reader = Reader::new(text.as_bytes(), Defaults::default()).unwrap();
        let mut seen = 0;
        let err = reader
            .for_each_read_ahead(|_| {
                seen += 1;
                if seen == 10 {
                    return Err(std::io::Error::other("full"));
                }
                Ok(())
            })
            .unwrap_err();
        assert_eq!((err.to_string().as_str(), seen), ("full", 10));
    }

    #[test]
    fn reads_rows_in_any_column_order_with_bom_and_crlf() {
        let text = "\u{feff}entitlement,relationship,identity_kind,identity_name,identity_id,system\r\n\
                    Mailbox,partner,human,Kenji Ito,k.ito@x,m365\r\n";
        let rows = read(text).unwrap();
        let (line, record) = rows[0].clone().unwrap();
        assert_eq!(line, 2);
        assert_eq!(record.entitlement, "Mailbox");
        assert_eq!(record.relationship, Relationship::Partner);
        assert_eq!(record.tenant, "");
    }

    #[test]
    fn names_the_line_and_field_of_each_problem() {
        let text = format!(
            "{HEADER}\nnw,gh,a,A,robot,partner,x,false,\nnw,gh,b,B,human,partner,x,maybe,2026-02-30\n"
        );
        let rows = read(&text).unwrap();
        let first = rows[0].clone().unwrap_err();
        assert_eq!(
            first[0].render("f.csv"),
            format!(
                "f.csv:2: identity_kind: \"robot\" is not one of {}",
                IdentityKind::expected()
            )
        );
        let second = rows[1].clone().unwrap_err();
        let fields: Vec<_> = second.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["privileged", "expires_at"]);
        assert!(second.iter().all(|p| p.location == "3"));
    }

    #[test]
    fn header_problems_reject_the_file() {
        let problems = read("tenant,system,identity_id\n").unwrap_err();
        let missing: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            missing,
            [
                "identity_name",
                "identity_kind",
                "relationship",
                "entitlement"
            ]
        );
        assert!(read("").unwrap_err()[0].message.contains("empty"));
        let misspelt = read(&format!("{HEADER},sahred\n")).unwrap_err();
        assert_eq!(misspelt[0].field, "sahred");
        assert!(misspelt[0].message.contains("did you mean shared?"));
        let text = format!("{HEADER},colour\n");
        let extra = Reader::new(text.as_bytes(), Defaults::default()).unwrap();
        let warned: Vec<&str> = extra.warnings().iter().map(|w| w.field.as_str()).collect();
        assert_eq!(warned, ["colour"]);
    }

    #[test]
    fn wrong_field_counts_are_reported_per_line() {
        let text = format!("{HEADER}\nnw,gh,a,A,human,partner,x\n");
        let rows = read(&text).unwrap();
        let problem = &rows[0].clone().unwrap_err()[0];
        assert_eq!(problem.location, "2");
        assert!(
            problem.message.contains("expected 9 fields"),
            "{}",
            problem.message
        );
    }

    #[test]
    fn defaults_fill_and_must_agree() {
        let text = format!("{HEADER}\n,gh,a,A,human,partner,x,,\nother,gh,b,B,human,partner,x,,\n");
        let defaults = Defaults {
            tenant: Some("nw".into()),
            system: None,
        };
        let rows: Vec<_> = Reader::new(text.as_bytes(), defaults).unwrap().collect();
        assert_eq!(rows[0].clone().unwrap().1.tenant, "nw");
        assert_eq!(rows[1].clone().unwrap_err()[0].field, "tenant");
    }

    #[test]
    fn refuses_nul_bytes_invalid_utf8_and_huge_fields() {
        let mut bytes = format!("{HEADER}\nnw,gh,a,A\0,human,partner,x,,\n").into_bytes();
        bytes.extend_from_slice(b"nw,gh,b,\xff\xfe,human,partner,x,,\n");
        bytes.extend_from_slice(
            format!(
                "nw,gh,c,{},human,partner,x,,\n",
                "z".repeat(MAX_FIELD_BYTES + 1)
            )
            .as_bytes(),
        );
        let rows: Vec<_> = Reader::new(&bytes[..], Defaults::default())
            .unwrap()
            .collect();
        let messages: Vec<String> = rows
            .iter()
            .map(|r| r.clone().unwrap_err()[0].message.clone())
            .collect();
        assert!(messages[0].contains("NUL"));
        assert!(messages[1].contains("UTF-8"));
        assert!(messages[2].contains("longer"));
    }
}
