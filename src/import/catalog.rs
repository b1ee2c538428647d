//! The entitlement catalog (CSV): what each entitlement lets someone do
//! and how sensitive its data is. A header row names the columns in any
//! order:
//!
//! ```text
//! tenant,system,entitlement,description,sensitivity,data_classes,owner
//! ```
//!
//! `system` and `entitlement` are required. An empty `tenant` means every
//! tenant; `sensitivity` is `public`, `internal`, `confidential` or
//! `restricted`.

use super::columns::{self, Unknown};
use super::{
    CsvReader, Defaults, Problem, column_positions, csv_reader, field_text, next_data_row,
    read_header,
};
use crate::domain::catalog::CatalogEntry;
use std::io::Read;

pub const COLUMNS: [&str; 7] = [
    "tenant",
    "system",
    "entitlement",
    "description",
    "sensitivity",
    "data_classes",
    "owner",
];

/// Whether a header row is a catalog's: an entitlement described, no
/// identity holding it.
pub fn matches_header(header: &[String]) -> bool {
    let has = |c: &str| header.iter().any(|h| h == c);
    has("entitlement") && !has("identity_id") && (has("sensitivity") || has("description"))
}

/// One data row: its line and entry, or everything wrong with it.
pub type Row = Result<(u64, CatalogEntry), Vec<Problem>>;

/// Streams validated catalog entries.
pub struct Reader<R: Read> {
    csv: CsvReader<R>,
    positions: [Option<usize>; 7],
    width: usize,
    defaults: Defaults,
    record: csv::ByteRecord,
    finished: bool,
    warnings: Vec<Problem>,
}

impl<R: Read> Reader<R> {
    /// Reads and checks the header. `defaults` fill rows without a tenant
    /// or system (and must agree with rows that have one).
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
        if positions[1].is_none() && defaults.system.is_none() {
            problems.push(Problem::at_line(1, "system", "required column is missing"));
        }
        if positions[2].is_none() {
            problems.push(Problem::at_line(
                1,
                "entitlement",
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
            defaults,
            record: csv::ByteRecord::new(),
            finished: false,
            warnings,
        })
    }

    /// Columns of the file that recert does not read.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    fn parse_row(&self, line: u64) -> Result<CatalogEntry, Vec<Problem>> {
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
        let mut given = |column: usize, default: &Option<String>| match (take(column), default) {
            (Some(row), Some(given)) if &row != given => {
                problems.push(Problem::at_line(
                    line,
                    COLUMNS[column],
                    format!("the row says {row:?} but the command line says {given:?}"),
                ));
                Some(row)
            }
            (Some(row), _) => Some(row),
            (None, given) => given.clone(),
        };
        let tenant = given(0, &self.defaults.tenant).unwrap_or_default();
        let system = given(1, &self.defaults.system);
        let mut required = |column: usize, value: Option<String>| {
            value.unwrap_or_else(|| {
                problems.push(Problem::at_line(
                    line,
                    COLUMNS[column],
                    "required value is empty",
                ));
                String::new()
            })
        };
        let system = required(1, system);
        let entitlement = required(2, take(2));
        let sensitivity = take(4).and_then(|text| {
            text.parse()
                .map_err(|e: String| problems.push(Problem::at_line(line, "sensitivity", e)))
                .ok()
        });
        let entry = CatalogEntry {
            tenant,
            system,
            entitlement,
            description: take(3),
            sensitivity,
            data_classes: take(5),
            owner: take(6),
        };
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
    use crate::domain::catalog::Sensitivity;

    fn read(text: &str) -> Vec<Row> {
        Reader::new(text.as_bytes(), Defaults::default())
            .unwrap_or_else(|p| panic!("{p:?}"))
            .collect()
    }

    #[test]
    fn reads_entries_in_any_column_order() {
        let rows = read(
            "sensitivity,entitlement,system,description,tenant\r\n\
             restricted,Z_PAYMENT_RUN_RELEASE,sap-erp,Releases payment runs,\r\n\
             ,SAP_ALL,sap-erp,,acme\r\n",
        );
        let (line, release) = rows[0].clone().unwrap();
        assert_eq!(line, 2);
        assert_eq!(release.tenant, "", "every tenant");
        assert_eq!(release.sensitivity, Some(Sensitivity::Restricted));
        assert_eq!(
            release.description.as_deref(),
            Some("Releases payment runs")
        );
        let (_, all) = rows[1].clone().unwrap();
        assert_eq!(all.tenant, "acme");
        assert_eq!(all.sensitivity, None);
    }

    #[test]
    fn problems_name_line_and_field() {
        let rows = read("system,entitlement,sensitivity\nsap,X,secret\nsap,,public\n");
        let first = rows[0].clone().unwrap_err();
        assert!(
            first[0]
                .render("cat.csv")
                .starts_with("cat.csv:2: sensitivity: \"secret\" is not one of public,"),
            "{first:?}"
        );
        let second = rows[1].clone().unwrap_err();
        assert_eq!(
            second[0].render("cat.csv"),
            "cat.csv:3: entitlement: required value is empty"
        );
        let header = Reader::new("system,descripton\n".as_bytes(), Defaults::default())
            .err()
            .unwrap();
        let fields: Vec<&str> = header.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["descripton", "entitlement"]);
    }

    #[test]
    fn recognises_its_header() {
        let header = |h: &str| h.split(',').map(str::to_string).collect::<Vec<_>>();
        assert!(matches_header(&header("system,entitlement,sensitivity")));
        assert!(matches_header(&header("system,entitlement,description")));
        assert!(!matches_header(&header(
            "system,identity_id,entitlement,description"
        )));
        assert!(!matches_header(&header("system,entitlement")));
    }
}
