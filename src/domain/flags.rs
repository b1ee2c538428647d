//! The risk flags an item can carry. Their order here is their order on
//! screen and in reports; their bits are stored, so never renumber them.

use super::decision::Recommendation;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    Expired,
    ContractEnded,
    Inactive,
    ExceptionLapsed,
    SharedCredential,
    Dormant,
    NeverUsed,
    UnrotatedCredential,
    NoSponsor,
    Privileged,
    SelfReview,
    CrossTenant,
    Unclassified,
    /// An earlier campaign's rotate decision whose date passed unrotated.
    RotationOverdue,
    // Issue 24: seed checks, segregation of duties, the entitlement catalog.
    SodConflict,
    NoEndDate,
    NoJustification,
    BreakGlassUsed,
    SensitiveData,
    // The next quarter (issue 22): kept together so merges stay easy.
    RevocationNotDone,
    ContextChanged,
}

impl Flag {
    pub const ALL: &'static [Flag] = &[
        Flag::Expired,
        Flag::ContractEnded,
        Flag::Inactive,
        Flag::ExceptionLapsed,
        Flag::RotationOverdue,
        Flag::SharedCredential,
        Flag::Dormant,
        Flag::NeverUsed,
        Flag::UnrotatedCredential,
        Flag::NoSponsor,
        Flag::Privileged,
        Flag::SelfReview,
        Flag::CrossTenant,
        Flag::Unclassified,
        // Issue 24.
        Flag::SodConflict,
        Flag::NoEndDate,
        Flag::NoJustification,
        Flag::BreakGlassUsed,
        Flag::SensitiveData,
        Flag::RevocationNotDone,
        Flag::ContextChanged,
    ];

    fn bit(self) -> u32 {
        1 << match self {
            Flag::Expired => 0,
            Flag::Dormant => 1,
            Flag::NeverUsed => 2,
            Flag::UnrotatedCredential => 3,
            Flag::NoSponsor => 4,
            Flag::SharedCredential => 5,
            Flag::Privileged => 6,
            Flag::CrossTenant => 7,
            Flag::SelfReview => 8,
            Flag::Unclassified => 9,
            Flag::ExceptionLapsed => 10,
            Flag::Inactive => 11,
            Flag::ContractEnded => 12,
            Flag::RotationOverdue => 15,
            // Issue 24.
            Flag::SodConflict => 20,
            Flag::NoEndDate => 21,
            Flag::NoJustification => 22,
            Flag::BreakGlassUsed => 23,
            Flag::SensitiveData => 24,
            Flag::RevocationNotDone => 13,
            Flag::ContextChanged => 14,
        }
    }

    /// The stable machine name (CLI filters, JSON, policy keys, asset mapping).
    pub fn name(self) -> &'static str {
        match self {
            Flag::Expired => "expired",
            Flag::Dormant => "dormant",
            Flag::NeverUsed => "never_used",
            Flag::UnrotatedCredential => "unrotated",
            Flag::NoSponsor => "no_sponsor",
            Flag::SharedCredential => "shared",
            Flag::Privileged => "privileged",
            Flag::CrossTenant => "cross_tenant",
            Flag::SelfReview => "self_review",
            Flag::Unclassified => "unclassified",
            Flag::ExceptionLapsed => "exception_lapsed",
            Flag::Inactive => "inactive",
            Flag::ContractEnded => "contract_ended",
            Flag::RotationOverdue => "rotation_overdue",
            // Issue 24.
            Flag::SodConflict => "sod_conflict",
            Flag::NoEndDate => "no_end_date",
            Flag::NoJustification => "no_justification",
            Flag::BreakGlassUsed => "break_glass_used",
            Flag::SensitiveData => "sensitive_data",
            Flag::RevocationNotDone => "revocation_not_done",
            Flag::ContextChanged => "context_changed",
        }
    }

    /// Three letters for the queue, where space is short.
    pub fn code(self) -> &'static str {
        match self {
            Flag::Expired => "EXP",
            Flag::Dormant => "DOR",
            Flag::NeverUsed => "NVU",
            Flag::UnrotatedCredential => "ROT",
            Flag::NoSponsor => "NSP",
            Flag::SharedCredential => "SHR",
            Flag::Privileged => "PRV",
            Flag::CrossTenant => "XTN",
            Flag::SelfReview => "SLF",
            Flag::Unclassified => "UNC",
            Flag::ExceptionLapsed => "LAP",
            Flag::Inactive => "INA",
            Flag::ContractEnded => "CON",
            Flag::RotationOverdue => "ROV",
            // Issue 24.
            Flag::SodConflict => "SOD",
            Flag::NoEndDate => "NED",
            Flag::NoJustification => "NJU",
            Flag::BreakGlassUsed => "BGU",
            Flag::SensitiveData => "SEN",
            Flag::RevocationNotDone => "RND",
            Flag::ContextChanged => "CTX",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Flag::Expired => "expired",
            Flag::Dormant => "dormant",
            Flag::NeverUsed => "never used",
            Flag::UnrotatedCredential => "unrotated credential",
            Flag::NoSponsor => "no sponsor",
            Flag::SharedCredential => "shared credential",
            Flag::Privileged => "privileged",
            Flag::CrossTenant => "cross-tenant",
            Flag::SelfReview => "self-review",
            Flag::Unclassified => "unclassified",
            Flag::ExceptionLapsed => "exception lapsed",
            Flag::Inactive => "inactive account",
            Flag::ContractEnded => "contract ended",
            Flag::RotationOverdue => "rotation overdue",
            // Issue 24.
            Flag::SodConflict => "SoD conflict",
            Flag::NoEndDate => "no end date",
            Flag::NoJustification => "no justification",
            Flag::BreakGlassUsed => "break-glass used",
            Flag::SensitiveData => "sensitive data",
            Flag::RevocationNotDone => "revocation not done",
            Flag::ContextChanged => "context changed",
        }
    }

    pub fn recommendation(self) -> Recommendation {
        match self {
            Flag::Expired
            | Flag::Dormant
            | Flag::NeverUsed
            | Flag::SharedCredential
            | Flag::ExceptionLapsed
            | Flag::Inactive
            | Flag::ContractEnded
            | Flag::RevocationNotDone => Recommendation::Revoke,
            Flag::UnrotatedCredential | Flag::RotationOverdue => Recommendation::RotateOrRevoke,
            Flag::NoSponsor => Recommendation::ReassignOrRevoke,
            Flag::Unclassified => Recommendation::Classify,
            Flag::Privileged | Flag::CrossTenant | Flag::SelfReview | Flag::ContextChanged => {
                Recommendation::ReviewWithCare
            }
            // Issue 24.
            Flag::SodConflict => Recommendation::RevokeOneOfPair,
            Flag::NoEndDate => Recommendation::SetEndDate,
            Flag::NoJustification => Recommendation::AskSponsor,
            Flag::BreakGlassUsed | Flag::SensitiveData => Recommendation::ReviewWithCare,
        }
    }

    pub fn from_name(name: &str) -> Option<Flag> {
        Flag::ALL.iter().copied().find(|f| f.name() == name)
    }

    pub fn names() -> String {
        Flag::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where an item with stored `flags` and `score` goes in the queue, as a
/// key sorted descending: revocations not done first, whatever the
/// weights, then the riskiest.
pub fn queue_key(flags: u32, score: i64) -> (bool, i64) {
    (flags & Flag::RevocationNotDone.bit() != 0, score)
}

/// `revocation_not_done`'s stored bit, as the SQL that finds such items
/// spells it (a partial index needs the literal).
pub const NOT_DONE_BIT: u32 = 8192;

/// A set of flags, stored as one integer so that filtering on a flag is a
/// bit test in SQL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FlagSet(u32);

impl FlagSet {
    pub fn from_bits(bits: u32) -> FlagSet {
        FlagSet(bits)
    }

    pub fn bits(self) -> u32 {
        self.0
    }

    pub fn mask(flag: Flag) -> u32 {
        flag.bit()
    }

    pub fn insert(&mut self, flag: Flag) {
        self.0 |= flag.bit();
    }

    pub fn contains(self, flag: Flag) -> bool {
        self.0 & flag.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.iter().copied().filter(move |f| self.contains(*f))
    }

    pub fn codes(self) -> String {
        self.iter().map(Flag::code).collect::<Vec<_>>().join(" ")
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Flag::name).collect()
    }
}

impl FromIterator<Flag> for FlagSet {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Self {
        let mut set = FlagSet::default();
        for flag in iter {
            set.insert(flag);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_has_its_own_bit_and_name() {
        let all: FlagSet = Flag::ALL.iter().copied().collect();
        assert_eq!(all.bits().count_ones() as usize, Flag::ALL.len());
        for flag in Flag::ALL {
            assert_eq!(Flag::from_name(flag.name()), Some(*flag));
        }
    }

    #[test]
    fn stored_bits_never_move() {
        // Campaigns store these bits; a renumbering would silently change
        // the flags of every item already created.
        let bits: Vec<(Flag, u32)> = Flag::ALL.iter().map(|f| (*f, FlagSet::mask(*f))).collect();
        for (flag, bit) in [
            (Flag::Expired, 1 << 0),
            (Flag::Dormant, 1 << 1),
            (Flag::ExceptionLapsed, 1 << 10),
            (Flag::Inactive, 1 << 11),
            (Flag::ContractEnded, 1 << 12),
            (Flag::SodConflict, 1 << 20),
            (Flag::SensitiveData, 1 << 24),
            (Flag::RevocationNotDone, NOT_DONE_BIT),
            (Flag::RotationOverdue, 1 << 15),
        ] {
            assert!(bits.contains(&(flag, bit)), "{flag:?}");
        }
    }

    #[test]
    fn iterates_in_display_order() {
        let set: FlagSet = [Flag::Privileged, Flag::Expired].into_iter().collect();
        assert_eq!(set.codes(), "EXP PRV");
        assert!(set.contains(Flag::Expired) && !set.contains(Flag::Dormant));
    }
}
