//! The one place recert reads the clock. `RECERT_NOW` (RFC 3339 or
//! YYYY-MM-DD) pins it, so that demos and end-to-end tests are reproducible.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

pub fn now() -> DateTime<Utc> {
    std::env::var("RECERT_NOW")
        .ok()
        .and_then(|text| parse_pinned(&text))
        .unwrap_or_else(Utc::now)
}

fn parse_pinned(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .map(|d| d.and_utc())
}

/// How event times are written: UTC, millisecond precision.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_times_parse_in_both_forms() {
        assert_eq!(
            stamp(parse_pinned("2026-11-22").unwrap()),
            "2026-11-22T12:00:00.000Z"
        );
        assert_eq!(
            stamp(parse_pinned("2026-11-22T08:30:00+01:00").unwrap()),
            "2026-11-22T07:30:00.000Z"
        );
        assert!(parse_pinned("soon").is_none());
    }
}
