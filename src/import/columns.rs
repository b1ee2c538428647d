//! What a CSV header name that is not one of a format's columns is: an
//! extra column an export carries (`department`, `cost_center`), which is
//! ignored with a warning, or a known column misspelt (`privilegd`,
//! `Identity ID`), which rejects the file. Ignoring a misspelt
//! `privileged` would import every grant as unprivileged without a word;
//! refusing every extra column would make people cut exports by hand.

use super::Problem;

/// An unknown header name, judged.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// Probably the named column misspelt: a problem that rejects the file.
    Misspelt(Problem),
    /// A column recert does not read: a warning, and its values are not
    /// imported.
    Extra(Problem),
}

/// Judges `name`, a header name that is none of `columns`.
pub(crate) fn judge(name: &str, columns: &[&str]) -> Unknown {
    if name.is_empty() {
        return Unknown::Extra(Problem::at_line(
            1,
            "header",
            "a column has no name: its values are not imported",
        ));
    }
    match meant(name, columns) {
        Some(column) => Unknown::Misspelt(Problem::at_line(
            1,
            name,
            format!(
                "not a column; did you mean {column}? Rename it: a column this close to a \
                 known one is taken for a typo, not ignored"
            ),
        )),
        None => Unknown::Extra(Problem::at_line(
            1,
            name,
            "not a column recert reads: its values are not imported",
        )),
    }
}

/// The column `name` was probably meant to be: one with the same letters
/// and digits ignoring case and punctuation, or a typo away from it (one
/// edit for names of up to six letters, two for longer ones; a swap of two
/// neighbours is one edit). The nearest wins, the first of equals.
pub(crate) fn meant<'c>(name: &str, columns: &[&'c str]) -> Option<&'c str> {
    let name = letters(name);
    columns
        .iter()
        .filter_map(|column| {
            let known = letters(column);
            let allowed = if known.len() <= 6 { 1 } else { 2 };
            let distance = edits(&name, &known);
            (distance <= allowed).then_some((distance, *column))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, column)| column)
}

/// Letters and digits, lower case: `Identity ID` and `identity-id` are
/// both `identityid`.
fn letters(name: &str) -> Vec<char> {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`:
/// the optimal string alignment distance. Header names are short, so the
/// full table costs nothing.
fn edits(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut table = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            table[i * width + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (table[(i - 1) * width + j] + 1)
                    .min(table[i * width + j - 1] + 1)
                    .min(table[(i - 1) * width + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(table[(i - 2) * width + j - 2] + 1);
                }
                best
            };
        }
    }
    table[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{canonical, register};

    #[test]
    fn misspellings_of_a_column_are_taken_for_it() {
        let columns = &canonical::COLUMNS;
        for (name, column) in [
            ("privilegd", "privileged"),
            ("priviledged", "privileged"),
            ("Privileged", "privileged"),
            ("Identity ID", "identity_id"),
            ("IDENTITY-ID", "identity_id"),
            ("identityid", "identity_id"),
            ("expires", "expires_at"),
            ("last_used", "last_used_at"),
            ("entitelment", "entitlement"),
            ("systems", "system"),
            ("tenants", "tenant"),
            ("sahred", "shared"),
        ] {
            assert_eq!(meant(name, columns), Some(column), "{name}");
        }
        assert_eq!(
            meant("Contract End", &register::COLUMNS),
            Some("contract_end")
        );
    }

    #[test]
    fn other_columns_are_extra() {
        let columns = &canonical::COLUMNS;
        for name in [
            "department",
            "cost_center",
            "manager",
            "email",
            "notes",
            "comment",
            "status",
            "owner",
            "team",
            "reason",
            "location",
            "identity_type",
            "created_at",
            "last_login_at",
            "tenant_id",
            "",
        ] {
            assert_eq!(meant(name, columns), None, "{name}");
            assert!(matches!(judge(name, columns), Unknown::Extra(_)), "{name}");
        }
    }

    #[test]
    fn the_judgement_names_the_column_and_says_what_happens() {
        let Unknown::Misspelt(problem) = judge("privilegd", &canonical::COLUMNS) else {
            panic!("a typo");
        };
        assert_eq!(
            problem.render("f.csv").split(':').nth(2),
            Some(" privilegd")
        );
        assert!(
            problem.message.contains("did you mean privileged?"),
            "{problem}"
        );
        let Unknown::Extra(warning) = judge("department", &canonical::COLUMNS) else {
            panic!("an extra column");
        };
        assert_eq!(warning.field, "department");
        assert_eq!(warning.location, "1");
        assert!(warning.message.contains("not imported"), "{warning}");
    }

    #[test]
    fn edits_count_swaps_as_one() {
        let e = |a: &str, b: &str| edits(&letters(a), &letters(b));
        assert_eq!(e("shared", "shared"), 0);
        assert_eq!(e("sahred", "shared"), 1);
        assert_eq!(e("", "abc"), 3);
        assert_eq!(e("kitten", "sitting"), 3);
    }
}
