//! Dates as sources give them: a calendar day or an instant. Both are kept
//! as given (an auditor wants the time a key was last used, not our
//! rounding), while the rules compare whole days.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stamp {
    Day(NaiveDate),
    At(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StampError {
    #[error("expected a date as YYYY-MM-DD or RFC 3339, found {0:?}")]
    Malformed(String),
    #[error(
        "{0:?} is not a plausible date: years {first} to {last} only",
        first = YEARS.start(),
        last = YEARS.end()
    )]
    OutOfRange(String),
}

/// The years a date from a file or a person may fall in. Nobody held
/// access before 1900, so an earlier year is a typo or a placeholder
/// (`0000-01-01`, `1601-01-01` for "never"); and only four-digit years
/// keep the stored text one that sorts and reads back: year -1, stored,
/// read back as no date at all, would hide an expired grant's flags.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

impl Stamp {
    /// Accepts `YYYY-MM-DD` or an RFC 3339 date-time (any offset, stored in
    /// UTC), of any year: for reading what recert stored. Dates from files
    /// and people go through [`Stamp::parse_input`].
    pub fn parse(text: &str) -> Result<Stamp, StampError> {
        if text.len() == 10 {
            return parse_day(text).map(Stamp::Day);
        }
        DateTime::parse_from_rfc3339(text)
            .map(|at| Stamp::At(at.with_timezone(&Utc)))
            .map_err(|_| StampError::Malformed(text.to_string()))
    }

    /// [`Stamp::parse`] for a date an import or a person gives: its day,
    /// in UTC as it will be stored, must fall in [`YEARS`].
    pub fn parse_input(text: &str) -> Result<Stamp, StampError> {
        let stamp = Stamp::parse(text)?;
        check_year(stamp.day(), text)?;
        Ok(stamp)
    }

    pub fn day(&self) -> NaiveDate {
        match self {
            Stamp::Day(day) => *day,
            Stamp::At(at) => at.date_naive(),
        }
    }

    /// Shifts by whole days, keeping the form; used to keep demo data fresh.
    pub fn shifted(self, days: i64) -> Stamp {
        let delta = chrono::Duration::days(days);
        match self {
            Stamp::Day(day) => Stamp::Day(day + delta),
            Stamp::At(at) => Stamp::At(at + delta),
        }
    }
}

impl Stamp {
    /// Appends the stamp as [`fmt::Display`] writes it. An import writes four
    /// dates a row on the thread that stores them, where the formatting
    /// machinery was a tenth of its instructions; a day is written directly.
    pub fn push_to(&self, out: &mut String) {
        match self {
            Stamp::Day(day) if (0..=9999).contains(&day.year()) => {
                let digits = |n: u32, width: usize, out: &mut String| {
                    for place in (0..width).rev() {
                        let digit = (n / 10u32.pow(place as u32)) % 10;
                        out.push(char::from(b'0' + digit as u8));
                    }
                };
                digits(day.year() as u32, 4, out);
                out.push('-');
                digits(day.month(), 2, out);
                out.push('-');
                digits(day.day(), 2, out);
            }
            _ => {
                use fmt::Write;
                let _ = write!(out, "{self}");
            }
        }
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // By hand: chrono's strftime parsing shows up in import profiles.
            Stamp::Day(day) => write!(f, "{:04}-{:02}-{:02}", day.year(), day.month(), day.day()),
            Stamp::At(at) => f.write_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }
}

/// Parses a `YYYY-MM-DD` argument such as `--due` or `--as-of`, or a day
/// a person types: within [`YEARS`].
pub fn parse_input_day(text: &str) -> Result<NaiveDate, StampError> {
    let day = parse_day(text)?;
    check_year(day, text)?;
    Ok(day)
}

fn check_year(day: NaiveDate, text: &str) -> Result<(), StampError> {
    if YEARS.contains(&day.year()) {
        Ok(())
    } else {
        Err(StampError::OutOfRange(text.to_string()))
    }
}

/// Parses a `YYYY-MM-DD` day of any year, as recert stored it.
pub fn parse_day(text: &str) -> Result<NaiveDate, StampError> {
    // By hand: a million dates per import, and chrono's format parser
    // dominated the profile.
    let fail = || StampError::Malformed(text.to_string());
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(fail());
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return Err(fail());
    };
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(fail)
}

/// Whole days from `earlier` to `later` (negative when `earlier` is later).
pub fn days_between(earlier: NaiveDate, later: NaiveDate) -> i64 {
    (later - earlier).num_days()
}

/// "214 days ago", "today", "in 12 days": ages as a reviewer reads them.
pub fn describe_age(day: NaiveDate, today: NaiveDate) -> String {
    match days_between(day, today) {
        0 => "today".to_string(),
        1 => "yesterday".to_string(),
        -1 => "tomorrow".to_string(),
        n if n > 0 => format!("{n} days ago"),
        n => format!("in {} days", -n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_days_and_instants_and_keeps_their_form() {
        assert_eq!(
            Stamp::parse("2026-05-14").unwrap().to_string(),
            "2026-05-14"
        );
        let at = Stamp::parse("2026-10-30T14:02:11+02:00").unwrap();
        assert_eq!(at.to_string(), "2026-10-30T12:02:11Z");
        assert_eq!(at.day(), NaiveDate::from_ymd_opt(2026, 10, 30).unwrap());
    }

    #[test]
    fn pushing_a_stamp_writes_what_display_writes() {
        let mut days: Vec<Stamp> = [(2026, 1, 9), (999, 12, 31), (0, 1, 1), (9999, 10, 10)]
            .into_iter()
            .map(|(y, m, d)| Stamp::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap()))
            .collect();
        // Outside four digits the direct path steps aside for Display.
        days.push(Stamp::Day(NaiveDate::from_ymd_opt(10000, 2, 3).unwrap()));
        days.push(Stamp::Day(NaiveDate::from_ymd_opt(-44, 3, 15).unwrap()));
        days.push(Stamp::parse("2026-10-30T14:02:11.5+02:00").unwrap());
        let mut out = String::from("kept:");
        for stamp in &days {
            let before = out.len();
            stamp.push_to(&mut out);
            assert_eq!(out[before..], stamp.to_string());
        }
        assert!(out.starts_with("kept:2026-01-09"), "{out}");
        assert!(
            out.contains("0999-12-31") && out.contains("0000-01-01"),
            "{out}"
        );
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in [
            "2026-13-01",
            "yesterday",
            "N/A",
            "2026-02-30",
            "",
            "2026-1-1",
        ] {
            assert!(Stamp::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn dates_from_files_and_people_fall_in_plausible_years() {
        for good in [
            "1900-01-01",
            "9999-12-31",
            "2026-05-14T23:30:00-01:00",
            "1900-01-01T00:00:00Z",
        ] {
            assert!(Stamp::parse_input(good).is_ok(), "{good}");
        }
        for bad in [
            "0000-01-01",
            "1899-12-31",
            "1601-01-01T00:00:00Z",
            // Year 0 in its own zone, year -1 in UTC, as it would be stored.
            "0000-01-01T00:00:00+14:00",
            // 9999 in its own zone, 10000 in UTC.
            "9999-12-31T23:00:00-05:00",
            "1900-01-01T00:00:00+01:00",
        ] {
            let err = Stamp::parse_input(bad).unwrap_err();
            assert_eq!(err, StampError::OutOfRange(bad.into()), "{bad}");
            assert!(err.to_string().contains("years 1900 to 9999"), "{err}");
        }
        assert!(
            Stamp::parse("0000-01-01T00:00:00+14:00").is_ok(),
            "stored dates read back"
        );
        assert!(parse_input_day("2026-12-15").is_ok());
        assert!(matches!(
            parse_input_day("0001-01-01"),
            Err(StampError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_input_day("soon"),
            Err(StampError::Malformed(_))
        ));
    }

    #[test]
    fn ages_read_naturally() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert_eq!(describe_age(day(22), today), "today");
        assert_eq!(describe_age(day(1), today), "21 days ago");
        assert_eq!(describe_age(day(30), today), "in 8 days");
    }
}
