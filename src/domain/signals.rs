//! Signals of rubber-stamping, per reviewer: how many decisions, how long
//! each item was on screen before the decision, how many were made in bulk
//! and how many went against the recommendation. Pure accumulation, so that
//! a report can stream a million decisions through it.

use std::collections::BTreeMap;

/// One reviewer's decisions in force, accumulated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReviewerSignals {
    pub reviewer: String,
    pub decisions: u64,
    pub bulk: u64,
    pub against_recommendation: u64,
    pub self_review: u64,
    /// Seconds on screen in tenths, counted: the median stays exact at the
    /// precision the console records, in memory bounded by distinct values
    /// rather than by decisions.
    timings: BTreeMap<u64, u64>,
}

impl ReviewerSignals {
    pub fn new(reviewer: impl Into<String>) -> ReviewerSignals {
        ReviewerSignals {
            reviewer: reviewer.into(),
            ..ReviewerSignals::default()
        }
    }

    pub fn add(
        &mut self,
        bulk: bool,
        against_recommendation: bool,
        self_review: bool,
        seconds_on_screen: Option<f64>,
    ) {
        self.decisions += 1;
        self.bulk += u64::from(bulk);
        self.against_recommendation += u64::from(against_recommendation);
        self.self_review += u64::from(self_review);
        if let Some(seconds) = seconds_on_screen.filter(|s| s.is_finite() && *s >= 0.0) {
            *self
                .timings
                .entry((seconds * 10.0).round() as u64)
                .or_default() += 1;
        }
    }

    /// Decisions whose time on screen is known (the console records it; a
    /// script's `recert decide` has none).
    pub fn timed(&self) -> u64 {
        self.timings.values().sum()
    }

    /// The median seconds on screen per decision, over the timed ones.
    pub fn median_seconds(&self) -> Option<f64> {
        let n = self.timed();
        if n == 0 {
            return None;
        }
        // The lower and upper middle values (equal when n is odd).
        let (lo_rank, hi_rank) = ((n - 1) / 2, n / 2);
        let (mut lo, mut hi) = (None, None);
        let mut seen = 0u64;
        for (&tenths, &count) in &self.timings {
            let next = seen + count;
            if lo.is_none() && lo_rank < next {
                lo = Some(tenths);
            }
            if hi_rank < next {
                hi = Some(tenths);
                break;
            }
            seen = next;
        }
        let (lo, hi) = (lo? as f64, hi? as f64);
        Some((lo + hi) / 20.0)
    }

    /// `part` of the decisions, as a share between 0 and 1.
    pub fn share(&self, part: u64) -> f64 {
        if self.decisions == 0 {
            0.0
        } else {
            part as f64 / self.decisions as f64
        }
    }
}

/// A share as a whole percentage, the way reports print it.
pub fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let mut s = ReviewerSignals::new("a@x");
        assert_eq!(s.median_seconds(), None);
        for secs in [9.0, 1.0, 4.2] {
            s.add(false, false, false, Some(secs));
        }
        assert_eq!(s.median_seconds(), Some(4.2));
        s.add(false, false, false, Some(5.0));
        assert_eq!(s.median_seconds(), Some(4.6));
        s.add(true, true, false, None);
        assert_eq!(s.timed(), 4, "untimed decisions do not move the median");
        assert_eq!(s.decisions, 5);
    }

    #[test]
    fn repeated_values_and_shares() {
        let mut s = ReviewerSignals::new("a@x");
        for _ in 0..3 {
            s.add(true, false, false, Some(0.4));
        }
        s.add(false, true, true, Some(30.0));
        assert_eq!(s.median_seconds(), Some(0.4));
        assert_eq!(percent(s.share(s.bulk)), "75%");
        assert_eq!(percent(s.share(s.against_recommendation)), "25%");
        assert_eq!(s.self_review, 1);
        assert_eq!(ReviewerSignals::new("b").share(0), 0.0);
    }

    #[test]
    fn nonsense_timings_are_ignored() {
        let mut s = ReviewerSignals::new("a@x");
        s.add(false, false, false, Some(f64::NAN));
        s.add(false, false, false, Some(-3.0));
        assert_eq!(s.timed(), 0);
        assert_eq!(s.decisions, 2);
    }
}
