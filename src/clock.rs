//! The one place recert reads the clock.
//!
//! `RECERT_NOW` (RFC 3339 or YYYY-MM-DD) pins it in debug builds only, so
//! that end-to-end tests and `cargo run` sessions are reproducible. A
//! release build reads the system clock and nothing else: every decision,
//! sign-off, close and import is stamped with this time inside the hash
//! chain an auditor relies on, and a variable anyone can set would let them
//! back-date it without a trace.
//!
//! Why the build profile and not a cargo feature: a feature can be turned
//! on for an installed binary (`cargo install --features …`) or arrive by
//! feature unification (`--all-targets`), while the profile is exactly what
//! separates the binary `cargo test` drives from the one `cargo install`
//! and `cargo build --release` make. The benchmarks run the release binary,
//! so they name their day (`campaign new --as-of`) instead of pinning the
//! clock, and the end-to-end tests refuse to build in release
//! (`tests/e2e/main.rs`).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// Whether this build honours `RECERT_NOW`.
const HONOURS_PIN: bool = cfg!(debug_assertions);

pub fn now() -> DateTime<Utc> {
    read(
        HONOURS_PIN,
        std::env::var("RECERT_NOW").ok().as_deref(),
        Utc::now,
    )
}

/// What a user should be told about `RECERT_NOW` before a command runs: a
/// release build ignores it, and a debug build ignores a value it cannot
/// read. Printed once, by `main`, before any screen is drawn.
pub fn pin_warning() -> Option<String> {
    warning(
        HONOURS_PIN,
        std::env::var_os("RECERT_NOW")
            .map(|v| v.to_string_lossy().into_owned())
            .as_deref(),
    )
}

fn read(
    honours_pin: bool,
    pinned: Option<&str>,
    system: impl FnOnce() -> DateTime<Utc>,
) -> DateTime<Utc> {
    pinned
        .filter(|_| honours_pin)
        .and_then(parse_pinned)
        .unwrap_or_else(system)
}

fn warning(honours_pin: bool, pinned: Option<&str>) -> Option<String> {
    let pinned = pinned?;
    if !honours_pin {
        return Some("RECERT_NOW is ignored by release builds: using the system clock".into());
    }
    parse_pinned(pinned).is_none().then(|| {
        format!(
            "RECERT_NOW \"{}\" is neither RFC 3339 nor YYYY-MM-DD: using the system clock",
            crate::domain::text::sanitize(pinned)
        )
    })
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

    fn system() -> DateTime<Utc> {
        parse_pinned("2030-01-01T00:00:00Z").unwrap()
    }

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

    #[test]
    fn a_debug_build_takes_a_readable_pin_and_otherwise_the_system_clock() {
        assert_eq!(
            stamp(read(true, Some("2026-11-22"), system)),
            "2026-11-22T12:00:00.000Z"
        );
        assert_eq!(read(true, Some("soon"), system), system());
        assert_eq!(read(true, None, system), system());
        assert_eq!(warning(true, None), None);
        assert_eq!(warning(true, Some("2026-11-22")), None);
        let unreadable = warning(true, Some("soon\u{1b}[2J")).unwrap();
        assert!(
            unreadable.contains(r#"RECERT_NOW "soon\x1b[2J""#),
            "{unreadable}"
        );
        assert!(
            unreadable.contains("using the system clock"),
            "{unreadable}"
        );
    }

    #[test]
    fn a_release_build_reads_only_the_system_clock_and_says_so_once_asked() {
        assert_eq!(read(false, Some("2020-01-01"), system), system());
        assert_eq!(read(false, None, system), system());
        assert_eq!(
            warning(false, Some("2020-01-01")).as_deref(),
            Some("RECERT_NOW is ignored by release builds: using the system clock")
        );
        assert_eq!(warning(false, None), None);
    }
}
