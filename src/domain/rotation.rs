//! Rotation: a `rotate` decision keeps a grant on a promise that its
//! credential is rotated by a date. Each one is a task until a snapshot
//! imported after it shows a newer rotation date, or a complete one shows
//! the grant gone (nothing left to rotate: removed, never "verified");
//! past its date without either it is overdue, and the next campaign of
//! its grant flags it.

use super::flags::FlagSet;
use super::model::vocabulary;
use super::policy::Policy;
use super::{IdentityKind, Recommendation};
use chrono::NaiveDate;
use std::fmt;
use std::str::FromStr;

vocabulary!(
    /// Where a rotate decision stands against the snapshots imported after it.
    RotationStatus {
        Pending => "pending",
        Verified => "verified",
        Overdue => "overdue",
        Removed => "removed",
    }
);

/// What the first telling snapshot imported after a rotate decision showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// A newer rotation date (`proves_rotation`).
    Rotated,
    /// A complete snapshot of the grant's scope without the grant: the
    /// credential is gone, which is not the same as rotated.
    Removed,
}

impl RotationStatus {
    /// Where a rotation due `by` stands on `today`, given what a later
    /// snapshot showed, if one settled it. `by` is the last day the
    /// promise holds: overdue from the day after.
    pub fn on(by: NaiveDate, settled: Option<Settlement>, today: NaiveDate) -> RotationStatus {
        match settled {
            Some(Settlement::Rotated) => RotationStatus::Verified,
            Some(Settlement::Removed) => RotationStatus::Removed,
            None if is_overdue(by, today) => RotationStatus::Overdue,
            None => RotationStatus::Pending,
        }
    }

    /// How people read it; the failure is loud.
    pub fn label(self) -> &'static str {
        match self {
            RotationStatus::Pending => "pending",
            RotationStatus::Verified => "verified",
            RotationStatus::Overdue => "OVERDUE",
            RotationStatus::Removed => "removed",
        }
    }
}

/// Whether a rotation due `by` has passed on `today`.
pub fn is_overdue(by: NaiveDate, today: NaiveDate) -> bool {
    by < today
}

/// Whether a snapshot's rotation date proves a rotation decided on
/// `decided`: on or after the decision's day (a date without a time of day
/// cannot say which came first that day), and newer than the date the
/// reviewer saw, when one was known.
pub fn proves_rotation(rotated: NaiveDate, decided: NaiveDate, seen: Option<NaiveDate>) -> bool {
    rotated >= decided && seen.is_none_or(|seen| rotated > seen)
}

/// Whether a grant holds a credential that a rotate decision can promise
/// to rotate: a machine identity's (api key, service account), or any
/// grant whose source gives a rotation date (an access key on a person's
/// account).
pub fn holds_credential(kind: IdentityKind, rotated_at_known: bool) -> bool {
    kind.holds_machine_credential() || rotated_at_known
}

/// The last day a rotate decided on `today` may promise: after today,
/// and within the policy's rotation period, the longest a credential may
/// go unrotated.
pub fn check_by(by: NaiveDate, today: NaiveDate, policy: &Policy) -> Result<(), String> {
    let latest = today + chrono::Duration::days(policy.rotation_days.max(1));
    if by <= today {
        Err(format!(
            "the rotation date {by} must be after the decision's day ({today})"
        ))
    } else if by > latest {
        Err(format!(
            "the rotation date {by} is beyond the policy's rotation period of {} days ({latest})",
            policy.rotation_days
        ))
    } else {
        Ok(())
    }
}

/// The date the close action `recommendation` gives a rotate on `day`:
/// the policy's rotation period from the close, the longest a reviewer
/// could have given.
pub fn close_action_by(day: NaiveDate, policy: &Policy) -> NaiveDate {
    day + chrono::Duration::days(policy.rotation_days.max(1))
}

/// How many of the kept the close action gives a rotate, said after the
/// kept count; nothing while none.
pub fn kept_with_rotate(rotated: u64) -> String {
    match rotated {
        0 => String::new(),
        1 => " (1 with its credential to rotate)".into(),
        n => format!(" ({n} with their credentials to rotate)"),
    }
}

/// Whether every finding of an item that would take its access away calls
/// for a rotation (findings that ask for care, a class, an end date or a
/// sponsor's word take nothing away): such an item is rotated, not
/// revoked, by the close action `recommendation`.
pub fn calls_only_for_rotation(flags: FlagSet) -> bool {
    let mut rotation = false;
    for flag in flags.iter() {
        match flag.recommendation() {
            Recommendation::RotateOrRevoke => rotation = true,
            r if r.suggests_revoke() => return false,
            _ => {}
        }
    }
    rotation
}

/// An earlier campaign's rotate decision that passed its date unrotated,
/// as the next campaign's `rotation_overdue` finding names it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OverdueRotation {
    pub campaign: String,
    /// The decision's event.
    pub event: i64,
    pub by: NaiveDate,
}

impl OverdueRotation {
    pub fn reason(&self) -> String {
        format!(
            "campaign {:?} decided to rotate the credential by {} (event {}); no snapshot since \
             shows a newer rotation",
            self.campaign, self.by, self.event
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Flag;

    fn day(text: &str) -> NaiveDate {
        crate::domain::date::parse_day(text).unwrap()
    }

    #[test]
    fn a_rotation_is_overdue_from_the_day_after_its_date() {
        let by = day("2027-01-15");
        for (today, status) in [
            ("2027-01-14", RotationStatus::Pending),
            ("2027-01-15", RotationStatus::Pending),
            ("2027-01-16", RotationStatus::Overdue),
        ] {
            assert_eq!(RotationStatus::on(by, None, day(today)), status, "{today}");
            assert_eq!(
                RotationStatus::on(by, Some(Settlement::Rotated), day(today)),
                RotationStatus::Verified,
                "a rotation shown is verified on {today}"
            );
            assert_eq!(
                RotationStatus::on(by, Some(Settlement::Removed), day(today)),
                RotationStatus::Removed,
                "a grant gone is removed, never verified, on {today}"
            );
        }
    }

    #[test]
    fn a_rotation_proves_itself_after_the_decision_and_newer_than_seen() {
        let decided = day("2026-12-01");
        let seen = Some(day("2026-06-01"));
        assert!(!proves_rotation(day("2026-11-30"), decided, seen), "before");
        assert!(
            proves_rotation(day("2026-12-01"), decided, seen),
            "that day"
        );
        assert!(proves_rotation(day("2026-12-02"), decided, None));
        assert!(
            !proves_rotation(day("2026-12-05"), decided, Some(day("2026-12-05"))),
            "the date the reviewer saw is no rotation"
        );
    }

    #[test]
    fn the_date_is_after_today_within_the_rotation_period() {
        let policy = Policy::default();
        let today = day("2026-12-01");
        assert!(
            check_by(today, today, &policy)
                .unwrap_err()
                .contains("after")
        );
        assert!(check_by(day("2026-12-02"), today, &policy).is_ok());
        assert!(
            check_by(day("2027-03-01"), today, &policy).is_ok(),
            "day 90"
        );
        assert!(
            check_by(day("2027-03-02"), today, &policy)
                .unwrap_err()
                .contains("90 days")
        );
        assert_eq!(close_action_by(today, &policy), day("2027-03-01"));
        assert!(check_by(close_action_by(today, &policy), today, &policy).is_ok());
    }

    #[test]
    fn only_credentials_are_rotated() {
        assert!(holds_credential(IdentityKind::ApiKey, false));
        assert!(holds_credential(IdentityKind::ServiceAccount, false));
        assert!(!holds_credential(IdentityKind::Human, false));
        assert!(holds_credential(IdentityKind::Human, true), "an access key");
    }

    #[test]
    fn the_close_action_rotates_what_calls_only_for_rotation() {
        let set = |flags: &[Flag]| flags.iter().copied().collect::<FlagSet>();
        assert!(calls_only_for_rotation(set(&[Flag::UnrotatedCredential])));
        assert!(calls_only_for_rotation(set(&[Flag::RotationOverdue])));
        assert!(calls_only_for_rotation(set(&[
            Flag::UnrotatedCredential,
            Flag::Privileged
        ])));
        assert!(!calls_only_for_rotation(set(&[
            Flag::UnrotatedCredential,
            Flag::Dormant
        ])));
        assert!(!calls_only_for_rotation(set(&[
            Flag::UnrotatedCredential,
            Flag::NoSponsor
        ])));
        assert!(!calls_only_for_rotation(set(&[Flag::Privileged])));
        assert!(!calls_only_for_rotation(FlagSet::default()));
    }
}
