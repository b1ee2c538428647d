//! Tells a source's format from its first bytes when `--format` is not
//! given: JSON that speaks SCIM is SCIM; a CSV header names its format by
//! its columns. When the content does not say, the caller is told why.

use super::{Format, aws_iam, canonical, catalog, register};

/// How much of a file detection looks at.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The format of a source that starts with `head`, or why it cannot tell.
pub fn detect(head: &[u8]) -> Result<Format, String> {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    match text.chars().next() {
        None => return Err("the file is empty".into()),
        Some('{' | '[') => {
            return if text.contains("urn:ietf:params:scim:") || text.contains("\"Resources\"") {
                Ok(Format::Scim)
            } else {
                Err("it is JSON, but not a SCIM ListResponse (no SCIM schema URN)".into())
            };
        }
        Some(_) => {}
    }
    let first_line = text.lines().next().unwrap_or_default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(first_line.as_bytes());
    let header: Vec<String> = match reader.records().next() {
        Some(Ok(record)) => record.iter().map(|h| h.trim().to_string()).collect(),
        _ => return Err("its first line is not a CSV header".into()),
    };
    if aws_iam::matches_header(&header) {
        Ok(Format::AwsIam)
    } else if catalog::matches_header(&header) {
        Ok(Format::Catalog)
    } else if canonical::matches_header(&header) || canonical::looks_like(&header) {
        // A canonical file missing a required column is still canonical:
        // its own reader names what is missing.
        Ok(Format::Canonical)
    } else if register::matches_header(&header) {
        Ok(Format::Register)
    } else {
        let shown: Vec<&str> = header.iter().take(6).map(String::as_str).collect();
        Err(format!(
            "its header ({}{}) is not one recert knows",
            shown.join(","),
            if header.len() > shown.len() {
                ",…"
            } else {
                ""
            }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_each_format_from_its_start() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
        let read = |p: &str| std::fs::read(format!("{fixtures}{p}")).unwrap();
        assert_eq!(detect(&read("canonical/sample.csv")), Ok(Format::Canonical));
        assert_eq!(
            detect(&read("aws/credential-report-sample.csv")),
            Ok(Format::AwsIam)
        );
        assert_eq!(detect(&read("scim/users-sample.json")), Ok(Format::Scim));
        assert_eq!(detect(&read("scim/groups-sample.json")), Ok(Format::Scim));
        assert_eq!(
            detect(b"\xef\xbb\xbfidentity_id,relationship,contract_end\nx,partner,\n"),
            Ok(Format::Register)
        );
        assert_eq!(
            detect(
                b"tenant,system,entitlement,description,sensitivity
"
            ),
            Ok(Format::Catalog)
        );
        assert_eq!(
            detect(b"tenant,system,identity_id,relationship,entitlement\n"),
            Ok(Format::Canonical),
            "missing columns are the canonical reader's to report"
        );
    }

    #[test]
    fn says_why_it_cannot_tell() {
        assert!(detect(b"").unwrap_err().contains("empty"));
        assert!(
            detect(b"  {\"name\": 1}")
                .unwrap_err()
                .contains("not a SCIM")
        );
        let err = detect(b"colour,size\nred,9\n").unwrap_err();
        assert!(err.contains("colour,size"), "{err}");
    }
}
