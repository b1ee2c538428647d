//! The AWS IAM credential report (CSV), exactly as AWS produces it: one
//! row per IAM user plus `<root_account>`, `N/A` / `no_information` /
//! `not_supported` where there is no value, booleans in any case and
//! timestamps with a `+00:00` offset.
//!
//! Console access and each *active* access key or signing certificate
//! become a grant (`console`, `access_key_1`, …). A key's `active` comes
//! from `access_key_N_active` alone: inactive keys keep their dates in real
//! reports. Users without a console password but with an active key are
//! service accounts; the root user is a privileged break-glass account.
//! The report does not say how anyone relates to the organisation, so
//! every identity is `unknown` until the identity register classifies it.

use super::{
    CsvReader, Defaults, Problem, Row, column_positions, csv_reader, field_text, next_data_row,
    read_header,
};
use crate::domain::date::StampError;
use crate::domain::{EntitlementRecord, IdentityKind, Relationship, Stamp};
use std::collections::VecDeque;
use std::io::Read;

/// The system grants are recorded under unless `--system` says otherwise.
pub const SYSTEM: &str = "aws-iam";

/// The report's columns, in the order AWS writes them.
pub const COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

const ROOT_USER: &str = "<root_account>";

/// Whether a header row is a credential report's.
pub fn matches_header(header: &[String]) -> bool {
    ["user", "arn", "password_enabled"]
        .iter()
        .all(|c| header.iter().any(|h| h == c))
}

/// The values AWS writes where there is nothing to say.
fn is_no_value(text: &str) -> bool {
    ["N/A", "no_information", "not_supported"]
        .iter()
        .any(|special| text.eq_ignore_ascii_case(special))
}

/// One credential of a row: (entitlement, granted, last used, rotated).
type Grant = (String, Option<Stamp>, Option<Stamp>, Option<Stamp>);

/// Streams the grants of a credential report, several per row.
pub struct Reader<R: Read> {
    csv: CsvReader<R>,
    /// Each of `COLUMNS`' position in the file.
    positions: [usize; 22],
    width: usize,
    tenant: Option<String>,
    system: String,
    /// The account of the first row, and its line: a report covers one account.
    account: Option<(String, u64)>,
    record: csv::ByteRecord,
    pending: VecDeque<EntitlementRecord>,
    pending_line: u64,
    finished: bool,
    warnings: Vec<Problem>,
    idle_users: u64,
}

/// One row's values, by column.
struct Fields<'a> {
    line: u64,
    values: Vec<Option<String>>,
    problems: &'a mut Vec<Problem>,
}

impl Fields<'_> {
    fn text(&self, column: usize) -> Option<&str> {
        self.values[column].as_deref()
    }

    /// A value that is not one of AWS's "nothing here" words.
    fn value(&self, column: usize) -> Option<&str> {
        self.text(column).filter(|v| !is_no_value(v))
    }

    fn date(&mut self, column: usize) -> Option<Stamp> {
        let text = self.value(column)?.to_string();
        match Stamp::parse_input(&text) {
            Ok(stamp) => Some(stamp),
            Err(e @ StampError::OutOfRange(_)) => {
                self.problems
                    .push(Problem::at_line(self.line, COLUMNS[column], e.to_string()));
                None
            }
            Err(StampError::Malformed(_)) => {
                self.problems.push(Problem::at_line(
                    self.line,
                    COLUMNS[column],
                    format!(
                        "{text:?} is not an ISO 8601 date-time, N/A, no_information or \
                         not_supported"
                    ),
                ));
                None
            }
        }
    }

    fn boolean(&mut self, column: usize) -> Option<bool> {
        let text = self.value(column)?;
        if text.eq_ignore_ascii_case("true") {
            Some(true)
        } else if text.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            let message = format!("{text:?} is not true, false, N/A or not_supported");
            self.problems
                .push(Problem::at_line(self.line, COLUMNS[column], message));
            None
        }
    }
}

/// The account id of an IAM ARN (`arn:PARTITION:iam::ACCOUNT:RESOURCE`)
/// and whether it names the root user.
fn parse_arn(arn: &str) -> Option<(&str, bool)> {
    let mut parts = arn.splitn(6, ':');
    let (arn_word, _partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    if arn_word != "arn" || service != "iam" || !account_ok {
        return None;
    }
    match resource {
        "root" => Some((account, true)),
        r if r.starts_with("user/") => Some((account, false)),
        _ => None,
    }
}

impl<R: Read> Reader<R> {
    /// Reads and checks the header. `defaults.tenant` overrides the account
    /// id as the tenant; `defaults.system` overrides [`SYSTEM`].
    pub fn new(input: R, defaults: Defaults) -> Result<Reader<R>, Vec<Problem>> {
        let mut csv = csv_reader(input);
        let header = read_header(&mut csv)?;
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let names = header.iter().map(String::as_str).enumerate();
        let positions = column_positions(names, &COLUMNS, &mut problems, |name| {
            // AWS may add columns; what recert does not know it ignores.
            warnings.push(Problem::at_line(
                1,
                name,
                "not a credential report column recert knows; ignored",
            ));
            None
        });
        let mut found = [0usize; 22];
        for (slot, column) in COLUMNS.iter().enumerate() {
            match positions[slot] {
                Some(p) => found[slot] = p,
                None => problems.push(Problem::at_line(1, *column, "required column is missing")),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Reader {
            csv,
            positions: found,
            width: header.len(),
            tenant: defaults.tenant,
            system: defaults.system.unwrap_or_else(|| SYSTEM.to_string()),
            account: None,
            record: csv::ByteRecord::new(),
            pending: VecDeque::new(),
            pending_line: 0,
            finished: false,
            warnings,
            idle_users: 0,
        })
    }

    /// Things worth knowing that do not reject the report.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The account the report covers, once a row has been read.
    pub fn account(&self) -> Option<&str> {
        self.account.as_ref().map(|(account, _)| account.as_str())
    }

    /// Users with neither console access nor an active key or certificate:
    /// they hold nothing to review, so they become no grant.
    pub fn idle_users(&self) -> u64 {
        self.idle_users
    }

    fn parse_row(&mut self, line: u64) -> Result<Vec<EntitlementRecord>, Vec<Problem>> {
        let mut problems = Vec::new();
        let values: Vec<Option<String>> = COLUMNS
            .iter()
            .enumerate()
            .map(|(slot, column)| {
                let raw = self.record.get(self.positions[slot]).unwrap_or_default();
                field_text(raw, line, column, &mut problems)
            })
            .collect();
        let mut f = Fields {
            line,
            values,
            problems: &mut problems,
        };
        let user = f.text(0).map(str::to_string);
        let arn = f.text(1).map(str::to_string);
        if user.is_none() {
            f.problems
                .push(Problem::at_line(line, "user", "required value is empty"));
        }
        let parsed = match arn.as_deref() {
            None => {
                f.problems
                    .push(Problem::at_line(line, "arn", "required value is empty"));
                None
            }
            Some(arn) => {
                let parsed = parse_arn(arn);
                if parsed.is_none() {
                    f.problems.push(Problem::at_line(
                        line,
                        "arn",
                        format!(
                            "{arn:?} is not an IAM user ARN (arn:aws:iam::ACCOUNT:user/NAME \
                             or arn:aws:iam::ACCOUNT:root)"
                        ),
                    ));
                }
                parsed.map(|(account, root)| (account.to_string(), root))
            }
        };
        let created = f.date(2);
        let password_enabled = f.boolean(3);
        let password_last_used = f.date(4);
        f.date(5);
        f.date(6);
        f.boolean(7);
        let keys: Vec<(Option<bool>, Option<Stamp>, Option<Stamp>)> = [8, 13]
            .into_iter()
            .map(|c| (f.boolean(c), f.date(c + 1), f.date(c + 2)))
            .collect();
        let certs: Vec<(Option<bool>, Option<Stamp>)> = [18, 20]
            .into_iter()
            .map(|c| (f.boolean(c), f.date(c + 1)))
            .collect();

        let (Some(user), Some((account, arn_root))) = (user, parsed) else {
            return Err(problems);
        };
        let root = user == ROOT_USER;
        if root != arn_root {
            problems.push(Problem::at_line(
                line,
                "arn",
                if root {
                    "the root account's ARN must end in :root".to_string()
                } else {
                    format!("{user:?} is not the root account but its ARN ends in :root")
                },
            ));
        }
        match &self.account {
            Some((first, first_line)) if *first != account => problems.push(Problem::at_line(
                line,
                "arn",
                format!(
                    "account {account} differs from account {first} on line {first_line}: \
                     a credential report covers one account"
                ),
            )),
            Some(_) => {}
            None => self.account = Some((account.clone(), line)),
        }
        if !problems.is_empty() {
            return Err(problems);
        }

        let tenant = self.tenant.clone().unwrap_or(account.clone());
        let name = if root {
            format!("root user of account {account}")
        } else {
            user.clone()
        };
        let console = root || password_enabled == Some(true);
        let mut grants: Vec<Grant> = Vec::new();
        if console {
            // A console password is a person's credential: no rotation
            // date, so that the rotation rule leaves it alone.
            grants.push(("console".into(), created, password_last_used, None));
        }
        for (n, (active, rotated, used)) in keys.into_iter().enumerate() {
            if active == Some(true) {
                // last_rotated is the key's creation or last change.
                grants.push((format!("access_key_{}", n + 1), rotated, used, rotated));
            }
        }
        for (n, (active, rotated)) in certs.into_iter().enumerate() {
            if active == Some(true) {
                // The report never says when a certificate was used; with
                // no grant date it cannot look "never used" either.
                grants.push((
                    format!("signing_certificate_{}", n + 1),
                    None,
                    None,
                    rotated,
                ));
            }
        }
        if grants.is_empty() {
            self.idle_users += 1;
        }
        let kind = if root {
            IdentityKind::BreakGlass
        } else if console {
            IdentityKind::Human
        } else {
            IdentityKind::ServiceAccount
        };
        Ok(grants
            .into_iter()
            .map(|(entitlement, granted, used, rotated)| {
                let mut r = EntitlementRecord::new(
                    self.system.clone(),
                    user.clone(),
                    name.clone(),
                    kind,
                    Relationship::Unknown,
                    entitlement,
                );
                r.tenant = tenant.clone();
                r.privileged = root;
                r.granted_at = granted;
                r.last_used_at = used;
                r.credential_rotated_at = rotated;
                r
            })
            .collect())
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        loop {
            if let Some(record) = self.pending.pop_front() {
                return Some(Ok((self.pending_line, record)));
            }
            let line = match next_data_row(
                &mut self.csv,
                &mut self.record,
                self.width,
                &mut self.finished,
            )? {
                Ok(line) => line,
                Err(problems) => return Some(Err(problems)),
            };
            match self.parse_row(line) {
                Ok(records) => {
                    self.pending = records.into();
                    self.pending_line = line;
                }
                Err(problems) => return Some(Err(problems)),
            }
        }
    }
}

#[cfg(test)]
mod tests;
