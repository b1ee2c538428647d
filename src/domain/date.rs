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
#[error("expected a date as YYYY-MM-DD or RFC 3339, found {0:?}")]
pub struct StampError(pub String);

impl Stamp {
    /// Accepts `YYYY-MM-DD` or an RFC 3339 date-time (any offset, stored in UTC).
    pub fn parse(text: &str) -> Result<Stamp, StampError> {
        if text.len() == 10 {
            return parse_day(text).map(Stamp::Day);
        }
        DateTime::parse_from_rfc3339(text)
            .map(|at| Stamp::At(at.with_timezone(&Utc)))
            .map_err(|_| StampError(text.to_string()))
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

/// Parses a `YYYY-MM-DD` argument such as `--due` or `--as-of`.
pub fn parse_day(text: &str) -> Result<NaiveDate, StampError> {
    // By hand: a million dates per import, and chrono's format parser
    // dominated the profile.
    let fail = || StampError(text.to_string());
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
    fn ages_read_naturally() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert_eq!(describe_age(day(22), today), "today");
        assert_eq!(describe_age(day(1), today), "21 days ago");
        assert_eq!(describe_age(day(30), today), "in 8 days");
    }
}
