//! Policy: the thresholds behind the insights, the weights that order the
//! queue, and when a decision needs a note. Defaults are the design's; a
//! config file may override any of them.

use super::flags::Flag;
use super::model::{Relationship, vocabulary};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

vocabulary!(
    /// What becomes of an item whose reviewer would be the identity itself:
    /// `route` hands it to the business owner, then the technical owner,
    /// then the campaign owner (the first who is not the identity); `flag`
    /// leaves it with them, flagged, a note required.
    SelfReview {
        Route => "route",
        Flag => "flag",
    }
);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Last use older than this many days makes a grant dormant.
    #[serde(deserialize_with = "days")]
    pub dormant_days: i64,
    /// A grant never used after this many days is flagged.
    #[serde(deserialize_with = "days")]
    pub never_used_days: i64,
    /// Machine credentials older than this many days should be rotated.
    #[serde(deserialize_with = "days")]
    pub rotation_days: i64,
    /// The longest an exception may run, in days from the decision.
    #[serde(deserialize_with = "days")]
    pub exception_max_days: i64,
    /// Unset in a config file means the mode's default (`route` in a
    /// shared database, `flag` in a personal one), which campaign creation
    /// resolves and records; unset in a campaign made before it existed
    /// means `flag`, what recert did then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_review: Option<SelfReview>,
    pub notes: NoteRules,
    pub weights: Weights,
    /// A scope reviewed before is due again this many days after its last
    /// campaign was created (`recert campaign due`).
    #[serde(deserialize_with = "days")]
    pub cadence_days: i64,
    /// Cadences of their own for privileged grants and for relationships.
    #[serde(skip_serializing_if = "Cadence::is_empty")]
    pub cadence: Cadence,
    /// Segregation of duties: entitlements one identity must not hold
    /// together (`[[policy.sod]]`). Left out of a campaign's recorded
    /// policy when there are none, so that older policies read the same.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sod: Vec<super::sod::SodRule>,
}

/// Cadences, in days, that replace `cadence_days` for a scope whose last
/// campaign held privileged grants or identities of a relationship: the
/// shortest that applies wins, so the most sensitive access sets the pace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Cadence {
    #[serde(
        deserialize_with = "some_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub privileged: Option<i64>,
    #[serde(
        deserialize_with = "some_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub partner: Option<i64>,
    #[serde(
        deserialize_with = "some_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub contractor: Option<i64>,
    #[serde(
        deserialize_with = "some_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub msp: Option<i64>,
    #[serde(
        deserialize_with = "some_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub vendor: Option<i64>,
    #[serde(
        deserialize_with = "some_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub employee: Option<i64>,
    #[serde(
        deserialize_with = "some_days",
        skip_serializing_if = "Option::is_none"
    )]
    pub unknown: Option<i64>,
}

impl Cadence {
    fn is_empty(&self) -> bool {
        *self == Cadence::default()
    }

    fn of(&self, relationship: Relationship) -> Option<i64> {
        match relationship {
            Relationship::Partner => self.partner,
            Relationship::Contractor => self.contractor,
            Relationship::Msp => self.msp,
            Relationship::Vendor => self.vendor,
            Relationship::Employee => self.employee,
            Relationship::Unknown => self.unknown,
        }
    }
}

impl Policy {
    /// Days between reviews of a scope whose last campaign held these
    /// relationships and (`privileged`) any privileged grant: the shortest
    /// cadence that applies, each relationship at `cadence_days` unless it
    /// has its own.
    pub fn cadence_for(&self, relationships: &[Relationship], privileged: bool) -> i64 {
        relationships
            .iter()
            .map(|r| self.cadence.of(*r).unwrap_or(self.cadence_days))
            .chain(privileged.then_some(self.cadence.privileged).flatten())
            .min()
            .unwrap_or(self.cadence_days)
    }
}

fn some_days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    days(d).map(Some)
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            dormant_days: 90,
            never_used_days: 30,
            rotation_days: 90,
            exception_max_days: 365,
            self_review: None,
            notes: NoteRules::default(),
            weights: Weights::default(),
            cadence_days: 90,
            cadence: Cadence::default(),
            sod: Vec::new(),
        }
    }
}

impl Policy {
    /// How self-reviews are handled: a policy that does not say (a campaign
    /// made before recert routed them) flags them, as recert then did.
    pub fn effective_self_review(&self) -> SelfReview {
        self.self_review.unwrap_or(SelfReview::Flag)
    }
}

/// Which decisions must carry an evidence note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoteRules {
    pub revoke: bool,
    pub exception: bool,
    pub reassign: bool,
    pub privileged: bool,
    pub self_review: bool,
    pub attest_against_revoke: bool,
    /// A rotate keeps access on a promise: the note says who rotates it.
    pub rotate: bool,
}

impl Default for NoteRules {
    fn default() -> Self {
        NoteRules {
            revoke: true,
            exception: true,
            reassign: true,
            privileged: true,
            self_review: true,
            attest_against_revoke: true,
            rotate: true,
        }
    }
}

/// The longest threshold a policy may set: a century of days. Anything
/// longer is a typing mistake, and dates that far off overflow.
const MAX_DAYS: i64 = 36_500;

/// The largest weight: big enough to put any one flag above all others
/// combined, small enough that sums never overflow.
const MAX_WEIGHT: i64 = 1_000_000;

fn bounded<'de, D: serde::Deserializer<'de>>(d: D, max: i64, what: &str) -> Result<i64, D::Error> {
    let value = i64::deserialize(d)?;
    if !(0..=max).contains(&value) {
        return Err(serde::de::Error::custom(format!(
            "{value} is not a valid {what}: use a whole number from 0 to {max}"
        )));
    }
    Ok(value)
}

fn days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    bounded(d, MAX_DAYS, "number of days")
}

fn weight<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    bounded(d, MAX_WEIGHT, "weight")
}

/// Risk points per flag; an item's risk score is the sum of its flags'.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    #[serde(deserialize_with = "weight")]
    pub expired: i64,
    #[serde(deserialize_with = "weight")]
    pub contract_ended: i64,
    #[serde(deserialize_with = "weight")]
    pub inactive: i64,
    #[serde(deserialize_with = "weight")]
    pub exception_lapsed: i64,
    #[serde(deserialize_with = "weight")]
    pub shared: i64,
    #[serde(deserialize_with = "weight")]
    pub dormant: i64,
    #[serde(deserialize_with = "weight")]
    pub never_used: i64,
    #[serde(deserialize_with = "weight")]
    pub unrotated: i64,
    #[serde(deserialize_with = "weight")]
    pub no_sponsor: i64,
    #[serde(deserialize_with = "weight")]
    pub privileged: i64,
    #[serde(deserialize_with = "weight")]
    pub self_review: i64,
    #[serde(deserialize_with = "weight")]
    pub cross_tenant: i64,
    #[serde(deserialize_with = "weight")]
    pub unclassified: i64,
    #[serde(deserialize_with = "weight")]
    pub rotation_overdue: i64,
    // Issue 24.
    #[serde(deserialize_with = "weight")]
    pub sod_conflict: i64,
    #[serde(deserialize_with = "weight")]
    pub no_end_date: i64,
    #[serde(deserialize_with = "weight")]
    pub no_justification: i64,
    #[serde(deserialize_with = "weight")]
    pub break_glass_used: i64,
    #[serde(deserialize_with = "weight")]
    pub sensitive_data: i64,
    #[serde(deserialize_with = "weight")]
    pub revocation_not_done: i64,
    #[serde(deserialize_with = "weight")]
    pub context_changed: i64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            expired: 50,
            contract_ended: 50,
            inactive: 30,
            exception_lapsed: 45,
            shared: 40,
            dormant: 35,
            never_used: 30,
            unrotated: 25,
            no_sponsor: 25,
            privileged: 20,
            self_review: 15,
            cross_tenant: 10,
            unclassified: 10,
            rotation_overdue: 40,
            // Issue 24.
            sod_conflict: 40,
            no_end_date: 15,
            no_justification: 15,
            break_glass_used: 30,
            sensitive_data: 15,
            revocation_not_done: 60,
            context_changed: 15,
        }
    }
}

impl Weights {
    pub fn of(&self, flag: Flag) -> i64 {
        match flag {
            Flag::Expired => self.expired,
            Flag::ContractEnded => self.contract_ended,
            Flag::Inactive => self.inactive,
            Flag::ExceptionLapsed => self.exception_lapsed,
            Flag::SharedCredential => self.shared,
            Flag::Dormant => self.dormant,
            Flag::NeverUsed => self.never_used,
            Flag::UnrotatedCredential => self.unrotated,
            Flag::NoSponsor => self.no_sponsor,
            Flag::Privileged => self.privileged,
            Flag::SelfReview => self.self_review,
            Flag::CrossTenant => self.cross_tenant,
            Flag::Unclassified => self.unclassified,
            Flag::RotationOverdue => self.rotation_overdue,
            // Issue 24.
            Flag::SodConflict => self.sod_conflict,
            Flag::NoEndDate => self.no_end_date,
            Flag::NoJustification => self.no_justification,
            Flag::BreakGlassUsed => self.break_glass_used,
            Flag::SensitiveData => self.sensitive_data,
            Flag::RevocationNotDone => self.revocation_not_done,
            Flag::ContextChanged => self.context_changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortest_cadence_that_applies_sets_the_pace() {
        let policy: Policy = serde_json::from_str(
            r#"{"cadence_days":120,"cadence":{"privileged":30,"msp":60,"partner":200}}"#,
        )
        .unwrap();
        use Relationship::*;
        assert_eq!(policy.cadence_for(&[Contractor], false), 120);
        assert_eq!(policy.cadence_for(&[Contractor, Msp], false), 60);
        assert_eq!(policy.cadence_for(&[Contractor, Msp], true), 30);
        // A relationship of its own may be longer than the default.
        assert_eq!(policy.cadence_for(&[Partner], false), 200);
        assert_eq!(policy.cadence_for(&[Partner, Contractor], false), 120);
        assert_eq!(policy.cadence_for(&[], false), 120);
        assert_eq!(Policy::default().cadence_for(&[Msp], true), 90);
        assert!(serde_json::from_str::<Policy>(r#"{"cadence":{"friend":3}}"#).is_err());
        assert!(serde_json::from_str::<Policy>(r#"{"cadence":{"msp":-3}}"#).is_err());
    }

    #[test]
    fn a_policy_from_before_a_weight_existed_still_reads() {
        // Campaigns store their policy as JSON; older ones lack newer keys.
        let old = r#"{"dormant_days":60,"weights":{"expired":7}}"#;
        let policy: Policy = serde_json::from_str(old).unwrap();
        assert_eq!(policy.dormant_days, 60);
        assert_eq!(policy.weights.expired, 7);
        assert_eq!(policy.weights.inactive, Weights::default().inactive);
    }

    #[test]
    fn thresholds_and_weights_are_bounded() {
        for bad in [
            r#"{"dormant_days":-1}"#,
            r#"{"rotation_days":100000}"#,
            r#"{"weights":{"shared":-5}}"#,
        ] {
            let err = serde_json::from_str::<Policy>(bad).unwrap_err();
            assert!(err.to_string().contains("from 0 to"), "{bad}: {err}");
        }
    }
}
