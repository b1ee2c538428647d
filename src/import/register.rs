//! The identity register (CSV): who an identity belongs to, as the partner
//! programme records it. A header row names the columns in any order:
//!
//! ```text
//! tenant,identity_id,email,relationship,organization,sponsor,business_owner,technical_owner,contract_end,tier
//! ```
//!
//! Only `identity_id` is required. An empty `tenant` means every tenant;
//! `email` lets an entry describe identities whose id is something else (a
//! SCIM guest's UPN, an AWS user name).

use super::columns::{self, Unknown};
use super::{
    CsvReader, Defaults, Problem, column_positions, csv_reader, field_text, next_data_row,
    read_header,
};
use crate::domain::Stamp;
use crate::domain::register::RegisterEntry;
use std::io::Read;

pub const COLUMNS: [&str; 10] = [
    "tenant",
    "identity_id",
    "email",
    "relationship",
    "organization",
    "sponsor",
    "business_owner",
    "technical_owner",
    "contract_end",
    "tier",
];

/// Whether a header row is a register's: an identity id and something
/// about who it belongs to, but no grant.
pub fn matches_header(header: &[String]) -> bool {
    header.iter().any(|h| h == "identity_id")
        && header.iter().any(|h| COLUMNS[2..].contains(&h.as_str()))
}

/// One data row: its line and entry, or everything wrong with it.
pub type Row = Result<(u64, RegisterEntry), Vec<Problem>>;

/// Streams validated register entries.
pub struct Reader<R: Read> {
    csv: CsvReader<R>,
    positions: [Option<usize>; 10],
    width: usize,
    tenant: Option<String>,
    record: csv::ByteRecord,
    finished: bool,
    /// Columns the file has that recert does not read.
    warnings: Vec<Problem>,
}

impl<R: Read> Reader<R> {
    /// Reads and checks the header. `defaults.tenant` fills rows without a
    /// tenant (and must agree with rows that have one).
    pub fn new(input: R, defaults: Defaults) -> Result<Reader<R>, Vec<Problem>> {
        let mut csv = csv_reader(input);
        let header = read_header(&mut csv)?;
        let mut problems = Vec::new();
        let names = header.iter().map(String::as_str).enumerate();
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
        if positions[1].is_none() {
            problems.push(Problem::at_line(
                1,
                "identity_id",
                "required column is missing",
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Reader {
            csv,
            positions,
            width: header.len(),
            tenant: defaults.tenant,
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

    fn parse_row(&self, line: u64) -> Result<RegisterEntry, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut values: Vec<Option<String>> = COLUMNS
            .iter()
            .zip(self.positions)
            .map(|(column, position)| {
                let raw = position.and_then(|p| self.record.get(p))?;
                field_text(raw, line, column, &mut problems)
            })
            .collect();
        let mut take = |column: usize| values[column].take();
        let tenant = match (take(0), &self.tenant) {
            (Some(row), Some(given)) if &row != given => {
                problems.push(Problem::at_line(
                    line,
                    "tenant",
                    format!("the row says {row:?} but the command line says {given:?}"),
                ));
                row
            }
            (Some(row), _) => row,
            (None, given) => given.clone().unwrap_or_default(),
        };
        let identity_id = take(1).unwrap_or_else(|| {
            problems.push(Problem::at_line(
                line,
                "identity_id",
                "required value is empty",
            ));
            String::new()
        });
        let email = take(2);
        let relationship = take(3).and_then(|text| {
            text.parse()
                .map_err(|e: String| problems.push(Problem::at_line(line, "relationship", e)))
                .ok()
        });
        let mut entry = RegisterEntry::new(identity_id);
        entry.tenant = tenant;
        entry.email = email;
        entry.relationship = relationship;
        entry.organization = take(4);
        entry.sponsor = take(5);
        entry.business_owner = take(6);
        entry.technical_owner = take(7);
        entry.contract_end = take(8).and_then(|text| {
            Stamp::parse_input(&text)
                .map_err(|e| problems.push(Problem::at_line(line, "contract_end", e.to_string())))
                .ok()
        });
        entry.tier = take(9);
        if problems.is_empty() {
            Ok(entry)
        } else {
            Err(problems)
        }
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        let line = match next_data_row(
            &mut self.csv,
            &mut self.record,
            self.width,
            &mut self.finished,
        )? {
            Ok(line) => line,
            Err(problems) => return Some(Err(problems)),
        };
        Some(self.parse_row(line).map(|entry| (line, entry)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Relationship;

    fn read(text: &str) -> Vec<Row> {
        Reader::new(text.as_bytes(), Defaults::default())
            .unwrap_or_else(|p| panic!("{p:?}"))
            .collect()
    }

    #[test]
    fn reads_entries_in_any_column_order() {
        let rows = read(
            "contract_end,identity_id,relationship,sponsor,tenant\r\n\
             2026-12-31,c.lena.brandt,contractor,a.kowalski@northwind.example.com,111122223333\r\n\
             ,svc-billing-sync,vendor,,\r\n",
        );
        let (line, lena) = rows[0].clone().unwrap();
        assert_eq!(line, 2);
        assert_eq!(lena.tenant, "111122223333");
        assert_eq!(lena.relationship, Some(Relationship::Contractor));
        assert_eq!(lena.contract_end.unwrap().to_string(), "2026-12-31");
        assert_eq!(lena.tier, None);
        let (_, svc) = rows[1].clone().unwrap();
        assert_eq!(svc.tenant, "", "every tenant");
        assert_eq!(svc.contract_end, None);
        assert_eq!(svc.sponsor, None);
    }

    #[test]
    fn problems_name_line_and_field() {
        let rows = read("identity_id,relationship,contract_end\nx,friend,2026-02-30\n,partner,\n");
        let first: Vec<String> = rows[0]
            .clone()
            .unwrap_err()
            .iter()
            .map(|p| p.render("reg.csv"))
            .collect();
        assert!(first[0].starts_with("reg.csv:2: relationship: \"friend\" is not one of"));
        assert!(first[1].starts_with("reg.csv:2: contract_end: expected a date"));
        let second = rows[1].clone().unwrap_err();
        assert_eq!(
            second[0].render("reg.csv"),
            "reg.csv:3: identity_id: required value is empty"
        );
        let header = Reader::new("relationship,sponsr\n".as_bytes(), Defaults::default())
            .err()
            .unwrap();
        let fields: Vec<&str> = header.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["sponsr", "identity_id"]);
        let extra = Reader::new("identity_id,colour\n".as_bytes(), Defaults::default()).unwrap();
        let warned: Vec<&str> = extra.warnings().iter().map(|w| w.field.as_str()).collect();
        assert_eq!(warned, ["colour"]);
    }

    #[test]
    fn recognises_its_header() {
        let header = |h: &str| h.split(',').map(str::to_string).collect::<Vec<_>>();
        assert!(matches_header(&header("identity_id,contract_end")));
        assert!(!matches_header(&header("identity_id")));
        assert!(!matches_header(&header("user,relationship")));
    }
}
