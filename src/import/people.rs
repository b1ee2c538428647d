//! The people register (CSV): who takes part, their roles and how recert
//! recognises them. A header row names the columns in any order:
//!
//! ```text
//! email,name,roles,os_user,ssh_key
//! ```
//!
//! Only `email` is required. `roles` is `admin`, `auditor` or both
//! (`admin;auditor`). A person with several SSH keys takes one row per key;
//! their other cells must agree or be empty on the later rows. The whole
//! file is checked before anything is recorded.

use super::columns::{self, Unknown};
use super::{Problem, column_positions, csv_reader, field_text, next_data_row, read_header};
use crate::domain::people::person_key;
use crate::domain::roster::{Person, SshKey};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;

pub const COLUMNS: [&str; 5] = ["email", "name", "roles", "os_user", "ssh_key"];

/// What a people file says, or everything wrong with it; and the columns
/// it has that recert does not read.
pub struct PeopleFile {
    pub people: Vec<Person>,
    pub warnings: Vec<Problem>,
}

/// Whether `text` can be a person's e-mail: something before and after one
/// `@`, nothing a terminal or a shell would act on.
pub fn check_email(text: &str) -> Result<String, String> {
    let email = person_key(text).into_owned();
    let (local, domain) = email
        .split_once('@')
        .ok_or_else(|| format!("{text:?} is not an e-mail address (no @)"))?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(format!("{text:?} is not an e-mail address"));
    }
    if email
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || crate::domain::text::is_invisible(c))
    {
        return Err(format!(
            "{:?} has spaces, control or invisible characters, which no e-mail address has",
            crate::domain::text::sanitize(text)
        ));
    }
    Ok(email)
}

/// Whether `text` can be an OS account name.
pub fn check_os_user(text: &str) -> Result<String, String> {
    let name = text.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '$' | '@'));
    if ok {
        Ok(name.to_string())
    } else {
        Err(format!(
            "{:?} is not an OS account name (letters, digits, . _ - only)",
            crate::domain::text::sanitize(text)
        ))
    }
}

/// Reads and checks a whole people file.
pub fn read(input: impl Read) -> Result<PeopleFile, Vec<Problem>> {
    let mut csv = csv_reader(input);
    let header = read_header(&mut csv)?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let names = header.iter().map(String::as_str).enumerate();
    let positions = column_positions(names, &COLUMNS, &mut problems, |name| match columns::judge(
        name, &COLUMNS,
    ) {
        Unknown::Misspelt(problem) => Some(problem),
        Unknown::Extra(warning) => {
            warnings.push(warning);
            None
        }
    });
    if positions[0].is_none() {
        problems.push(Problem::at_line(1, "email", "required column is missing"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut record = csv::ByteRecord::new();
    let mut finished = false;
    // Person by e-mail, with the line that first named them.
    let mut people: BTreeMap<String, (u64, Person)> = BTreeMap::new();
    let mut os_users: HashMap<String, (u64, String)> = HashMap::new();
    let mut keys: HashMap<String, (u64, String)> = HashMap::new();
    while let Some(row) = next_data_row(&mut csv, &mut record, header.len(), &mut finished) {
        let line = match row {
            Ok(line) => line,
            Err(mut row_problems) => {
                problems.append(&mut row_problems);
                continue;
            }
        };
        let mut cell = |column: usize| {
            positions[column]
                .and_then(|p| record.get(p))
                .and_then(|raw| field_text(raw, line, COLUMNS[column], &mut problems))
        };
        let (email, name, roles, os_user, key) = (cell(0), cell(1), cell(2), cell(3), cell(4));
        let Some(email) = email else {
            problems.push(Problem::at_line(line, "email", "required value is empty"));
            continue;
        };
        let email = match check_email(&email) {
            Ok(email) => email,
            Err(e) => {
                problems.push(Problem::at_line(line, "email", e));
                continue;
            }
        };
        let mut person = Person::new(&email);
        person.name = name;
        for role in roles.iter().flat_map(|r| r.split(';')) {
            let role = role.trim().to_lowercase();
            if role.is_empty() {
                continue;
            }
            match role.parse() {
                Ok(role) => {
                    person.roles.insert(role);
                }
                Err(e) => problems.push(Problem::at_line(line, "roles", e)),
            }
        }
        if let Some(os) = os_user {
            match check_os_user(&os) {
                Ok(os) => {
                    if let Some((first, other)) = os_users.get(&os).filter(|(_, o)| o != &email) {
                        problems.push(Problem::at_line(
                            line,
                            "os_user",
                            format!("{os} is {other}'s OS account already (line {first})"),
                        ));
                    } else {
                        os_users.insert(os.clone(), (line, email.clone()));
                        person.os_user = Some(os);
                    }
                }
                Err(e) => problems.push(Problem::at_line(line, "os_user", e)),
            }
        }
        if let Some(key) = key {
            match SshKey::parse(&key) {
                Ok(key) => {
                    let fingerprint = key.fingerprint();
                    if let Some((first, other)) =
                        keys.get(&fingerprint).filter(|(_, o)| o != &email)
                    {
                        problems.push(Problem::at_line(
                            line,
                            "ssh_key",
                            format!(
                                "the key {fingerprint} is {other}'s already (line {first}): one \
                                 key, one person"
                            ),
                        ));
                    } else {
                        keys.insert(fingerprint, (line, email.clone()));
                        person.ssh_keys.push(key.line());
                    }
                }
                Err(e) => problems.push(Problem::at_line(line, "ssh_key", e)),
            }
        }
        match people.get_mut(&email) {
            None => {
                people.insert(email, (line, person));
            }
            Some((first, known)) => merge(known, person, *first, line, &mut problems),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(PeopleFile {
        people: people.into_values().map(|(_, p)| p).collect(),
        warnings,
    })
}

/// A later row of the same person: more keys, and the rest agreeing.
fn merge(known: &mut Person, later: Person, first: u64, line: u64, problems: &mut Vec<Problem>) {
    let mut agree = |field: &str, known: &mut Option<String>, later: Option<String>| match (
        known.as_ref(),
        later,
    ) {
        (_, None) => {}
        (None, Some(later)) => *known = Some(later),
        (Some(k), Some(later)) if *k == later => {}
        (Some(k), Some(later)) => problems.push(Problem::at_line(
            line,
            field,
            format!("{later:?} disagrees with line {first}, which says {k:?}"),
        )),
    };
    agree("name", &mut known.name, later.name);
    agree("os_user", &mut known.os_user, later.os_user);
    known.roles.extend(later.roles);
    for key in later.ssh_keys {
        if !known.ssh_keys.contains(&key) {
            known.ssh_keys.push(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roster::Role;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwPfk5oJSAN6n5b7Tz3sR0K6K0bGv8+4qVfPzpr2wP3 dana@laptop";

    fn problems(text: &str) -> Vec<String> {
        match read(text.as_bytes()) {
            Ok(_) => vec![],
            Err(p) => p.iter().map(|p| p.render("people.csv")).collect(),
        }
    }

    #[test]
    fn people_read_in_any_column_order_with_a_row_per_key() {
        let text = format!(
            "roles,ssh_key,email,os_user,name,department\n\
             admin;auditor,{KEY},Dana@X.example ,dana,Dana M.,IT\n\
             ,\"{}\",dana@x.example,,,\n\
             ,,lee@x.example,,,\n",
            KEY.replace("dana@laptop", "dana@desktop")
        );
        let file = read(text.as_bytes()).unwrap();
        assert_eq!(file.warnings.len(), 1, "department is not read");
        let dana = &file.people[0];
        assert_eq!(dana.email, "dana@x.example");
        assert_eq!(
            dana.roles,
            [Role::Admin, Role::Auditor].into_iter().collect()
        );
        assert_eq!(dana.os_user.as_deref(), Some("dana"));
        assert_eq!(dana.ssh_keys.len(), 2);
        assert_eq!(file.people[1].email, "lee@x.example");
    }

    #[test]
    fn every_problem_is_named_with_its_line_and_field() {
        let found = problems(&format!(
            "email,roles,os_user,ssh_key\n\
             nobody,,,\n\
             a@x,boss,,\n\
             b@x,,root,\n\
             c@x,,root,\n\
             d@x,,,ssh-rsa non-sense!\n\
             e@x,,,{KEY}\n\
             f@x,,,{KEY}\n\
             ,admin,,\n\
             b@x,,daemon,\n"
        ));
        for expected in [
            "people.csv:2: email: \"nobody\" is not an e-mail address (no @)",
            "people.csv:3: roles: \"boss\" is not one of admin, auditor",
            "people.csv:5: os_user: root is b@x's OS account already (line 4)",
            "people.csv:6: ssh_key: the ssh-rsa key's data is not base64",
            "people.csv:8: ssh_key: the key SHA256:",
            "people.csv:9: email: required value is empty",
            "people.csv:10: os_user: \"daemon\" disagrees with line 4, which says \"root\"",
        ] {
            assert!(
                found.iter().any(|p| p.starts_with(expected)),
                "{expected}\n{found:#?}"
            );
        }
        assert_eq!(
            problems("name\nDana\n"),
            ["people.csv:1: email: required column is missing"]
        );
    }

    #[test]
    fn hostile_names_are_not_people() {
        assert!(check_email("a\u{1b}[31m@x").is_err());
        assert!(check_email("a b@x").is_err());
        assert!(check_email("a@b@x").is_err());
        assert!(check_os_user("root; rm").is_err());
    }
}
