//! Remediation: every revoke is a task until a later snapshot of the same
//! scope shows whether the access is really gone.

use super::model::vocabulary;
use std::fmt;
use std::str::FromStr;

vocabulary!(
    /// Where a revocation stands against the snapshots imported after it.
    RemediationStatus {
        Pending => "pending",
        Verified => "verified",
        StillEffective => "still_effective",
    }
);

impl RemediationStatus {
    /// How people read it; the failure auditors care about most is loud.
    pub fn label(self) -> &'static str {
        match self {
            RemediationStatus::Pending => "pending",
            RemediationStatus::Verified => "verified",
            RemediationStatus::StillEffective => "STILL EFFECTIVE",
        }
    }

    /// What a snapshot imported after the revoke, covering the grant's
    /// (tenant, system), proves: holding the grant proves it is still
    /// effective even in a partial export; lacking it proves removal only
    /// when the export is complete. `None` when it proves nothing.
    pub fn proven_by(snapshot_holds_grant: bool, partial: bool) -> Option<RemediationStatus> {
        match (snapshot_holds_grant, partial) {
            (true, _) => Some(RemediationStatus::StillEffective),
            (false, false) => Some(RemediationStatus::Verified),
            (false, true) => None,
        }
    }

    /// The chain event kind that records this outcome.
    pub fn event_kind(self) -> &'static str {
        match self {
            RemediationStatus::Pending => "remediation_pending",
            RemediationStatus::Verified => "remediation_verified",
            RemediationStatus::StillEffective => "remediation_still_effective",
        }
    }

    pub fn from_event_kind(kind: &str) -> Option<RemediationStatus> {
        RemediationStatus::ALL
            .iter()
            .copied()
            .find(|s| s.event_kind() == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_complete_snapshot_proves_removal() {
        use RemediationStatus::*;
        assert_eq!(
            RemediationStatus::proven_by(true, false),
            Some(StillEffective)
        );
        assert_eq!(
            RemediationStatus::proven_by(true, true),
            Some(StillEffective)
        );
        assert_eq!(RemediationStatus::proven_by(false, false), Some(Verified));
        assert_eq!(RemediationStatus::proven_by(false, true), None);
    }

    #[test]
    fn event_kinds_round_trip() {
        for status in RemediationStatus::ALL {
            assert_eq!(
                RemediationStatus::from_event_kind(status.event_kind()),
                Some(*status)
            );
        }
        assert_eq!(RemediationStatus::from_event_kind("attest"), None);
        assert_eq!(RemediationStatus::StillEffective.label(), "STILL EFFECTIVE");
    }
}
