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

use super::{Defaults, Problem, Row, csv_problem, csv_reader, field_text, is_blank, read_header};
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
    csv: csv::Reader<R>,
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
        match Stamp::parse(&text) {
            Ok(stamp) => Some(stamp),
            Err(_) => {
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
        let mut positions = [None; 22];
        for (index, name) in header.iter().enumerate() {
            match COLUMNS.iter().position(|c| c == name) {
                Some(known) if positions[known].is_some() => {
                    problems.push(Problem::at_line(
                        1,
                        name.as_str(),
                        "the column appears twice",
                    ));
                }
                Some(known) => positions[known] = Some(index),
                // AWS may add columns; what recert does not know it ignores.
                None => warnings.push(Problem::at_line(
                    1,
                    name.as_str(),
                    "not a credential report column recert knows; ignored",
                )),
            }
        }
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
            if self.finished {
                return None;
            }
            let mut record = std::mem::take(&mut self.record);
            let read = self.csv.read_byte_record(&mut record);
            self.record = record;
            let line = self.record.position().map_or(0, |p| p.line());
            match read {
                Ok(false) => return None,
                Err(e) => {
                    // An unreadable file cannot be read further; a malformed
                    // row can be skipped to find more problems.
                    self.finished = matches!(e.kind(), csv::ErrorKind::Io(_));
                    return Some(Err(vec![csv_problem(&e, line)]));
                }
                Ok(true) => {}
            }
            if is_blank(&self.record) {
                continue;
            }
            if self.record.len() != self.width {
                return Some(Err(vec![Problem::at_line(
                    line,
                    "",
                    format!(
                        "expected {} fields as in the header, found {}",
                        self.width,
                        self.record.len()
                    ),
                )]));
            }
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
mod tests {
    use super::*;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
    const SAMPLE: &str = include_str!("../../../shared/fixtures/aws/credential-report-sample.csv");

    fn read(text: &str, tenant: Option<&str>) -> Vec<Row> {
        let defaults = Defaults {
            tenant: tenant.map(Into::into),
            system: None,
        };
        Reader::new(text.as_bytes(), defaults)
            .unwrap_or_else(|p| panic!("{p:?}"))
            .collect()
    }

    fn grants(rows: &[Row]) -> Vec<(u64, String, String, IdentityKind)> {
        rows.iter()
            .map(|r| {
                let (line, rec) = r.clone().unwrap();
                (line, rec.identity_id, rec.entitlement, rec.identity_kind)
            })
            .collect()
    }

    #[test]
    fn reads_the_sample_report() {
        let rows = read(SAMPLE, None);
        let got = grants(&rows);
        use IdentityKind::*;
        let expected: Vec<(u64, String, String, IdentityKind)> = [
            (2, "<root_account>", "console", BreakGlass),
            (3, "c.lena.brandt", "console", Human),
            (4, "svc-saltmarsh-etl", "access_key_1", ServiceAccount),
            (5, "key-billing-export", "access_key_1", ServiceAccount),
            (5, "key-billing-export", "access_key_2", ServiceAccount),
            (6, "ops-harbour", "console", Human),
        ]
        .into_iter()
        .map(|(l, u, e, k)| (l, u.to_string(), e.to_string(), k))
        .collect();
        assert_eq!(got, expected);

        let root = rows[0].clone().unwrap().1;
        assert_eq!(root.tenant, "111122223333", "the account id from the ARN");
        assert_eq!(root.system, SYSTEM);
        assert!(root.privileged);
        assert_eq!(root.relationship, Relationship::Unknown);
        assert_eq!(root.identity_name, "root user of account 111122223333");
        assert_eq!(
            root.last_used_at.unwrap().to_string(),
            "2026-01-04T08:00:00Z"
        );

        // Inactive key 1 of ops-harbour keeps its dates but is no grant.
        let ops = rows[5].clone().unwrap().1;
        assert_eq!(ops.last_used_at, None, "no_information is no date");
        assert_eq!(ops.credential_rotated_at, None);

        let key2 = rows[4].clone().unwrap().1;
        assert_eq!(key2.granted_at.unwrap().to_string(), "2025-06-01T12:00:00Z");
        assert_eq!(
            key2.credential_rotated_at.unwrap().to_string(),
            "2025-06-01T12:00:00Z"
        );
        assert_eq!(
            key2.last_used_at.unwrap().to_string(),
            "2026-03-02T07:00:00Z"
        );
        let key1 = rows[3].clone().unwrap().1;
        assert_eq!(key1.last_used_at, None, "a key never used is N/A");
    }

    #[test]
    fn the_tenant_option_overrides_the_account() {
        let rows = read(SAMPLE, Some("northwind-aws"));
        assert!(
            rows.iter()
                .all(|r| r.clone().unwrap().1.tenant == "northwind-aws")
        );
    }

    #[test]
    fn booleans_ignore_case_and_certificates_count() {
        let text = format!(
            "{HEADER}\nbob@x.example,arn:aws:iam::111122223333:user/bob@x.example,2024-01-01T00:00:00+00:00,TRUE,N/A,N/A,N/A,False,FALSE,2024-01-01T00:00:00+00:00,2024-02-01T00:00:00+00:00,us-east-1,s3,False,N/A,N/A,N/A,N/A,True,2024-03-01T00:00:00+00:00,false,N/A\n"
        );
        let got = grants(&read(&text, None));
        assert_eq!(
            got.iter().map(|g| g.2.as_str()).collect::<Vec<_>>(),
            ["console", "signing_certificate_1"]
        );
        let rows = read(&text, None);
        let cert = rows[1].clone().unwrap().1;
        assert_eq!(cert.granted_at, None);
        assert!(cert.credential_rotated_at.is_some());
        assert_eq!(cert.effective_email(), Some("bob@x.example"));
    }

    #[test]
    fn users_without_access_become_no_grant() {
        let text = format!(
            "{HEADER}\nidle,arn:aws:iam::111122223333:user/idle,2024-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,2024-01-01T00:00:00+00:00,2024-02-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
        );
        let mut reader = Reader::new(text.as_bytes(), Defaults::default()).unwrap();
        assert!(reader.next().is_none());
        assert_eq!(reader.idle_users(), 1);
    }

    #[test]
    fn an_empty_report_has_no_rows_and_an_empty_file_is_refused() {
        assert!(read(&format!("{HEADER}\n"), None).is_empty());
        let err = Reader::new("".as_bytes(), Defaults::default())
            .err()
            .unwrap();
        assert!(err[0].message.contains("empty"));
    }

    #[test]
    fn problems_name_the_line_and_column() {
        let good = SAMPLE.lines().nth(2).unwrap();
        let text = format!(
            "{HEADER}\n{good}\n{}\n{}\n{}\n",
            good.replace("2025-02-27T09:00:00+00:00", "yesterday"),
            good.replace("true,2026-10-28", "maybe,2026-10-28"),
            good.replace("111122223333", "999988887777"),
        );
        let rows = read(&text, None);
        let problems: Vec<String> = rows
            .iter()
            .filter_map(|r| r.clone().err())
            .flatten()
            .map(|p| p.render("r.csv"))
            .collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("r.csv:3: user_creation_time: \"yesterday\""));
        assert!(problems[1].starts_with("r.csv:4: password_enabled: \"maybe\""));
        assert!(problems[2].starts_with("r.csv:5: arn: account 999988887777 differs"));
    }

    #[test]
    fn header_problems_reject_the_report() {
        let short = HEADER.replace(",cert_2_last_rotated", "");
        let err = Reader::new(short.as_bytes(), Defaults::default())
            .err()
            .unwrap();
        assert_eq!(err[0].field, "cert_2_last_rotated");
        assert_eq!(err[0].location, "1");
        let extra = format!("{HEADER},access_key_3_active\n");
        let reader = Reader::new(extra.as_bytes(), Defaults::default()).unwrap();
        assert_eq!(reader.warnings()[0].field, "access_key_3_active");
    }

    #[test]
    fn arns_are_checked() {
        assert_eq!(
            parse_arn("arn:aws:iam::111122223333:user/contractors/c.ravi.menon"),
            Some(("111122223333", false))
        );
        assert_eq!(
            parse_arn("arn:aws-us-gov:iam::111122223333:root"),
            Some(("111122223333", true))
        );
        for bad in [
            "",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::12:user/x",
            "arn:aws:iam::111122223333:role/x",
        ] {
            assert_eq!(parse_arn(bad), None, "{bad}");
        }
    }
}
