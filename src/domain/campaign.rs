//! Campaign settings: who reviews each item, what happens to undecided
//! items at close, and the lifecycle states.

use super::decision::{Decision, Recommendation};
use super::flags::FlagSet;
use super::model::vocabulary;
use super::people::person_key;
use chrono::NaiveDate;
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

vocabulary!(
    /// The lifecycle: open → signed_off → closed; or, for a campaign made
    /// by mistake, cancelled (from open or signed_off), which ends it.
    CampaignState {
        Open => "open",
        SignedOff => "signed_off",
        Closed => "closed",
        Cancelled => "cancelled",
    }
);

vocabulary!(
    /// What an item nobody decided gets when the campaign closes.
    OnClose {
        Keep => "keep",
        Revoke => "revoke",
        Recommendation => "recommendation",
    }
);

impl OnClose {
    /// The decision an item nobody decided gets when the campaign closes.
    /// Following the recommendation rotates an item whose findings call
    /// only for a rotation (`rotation::calls_only_for_rotation`), by
    /// `rotate_by`; revokes whatever else the insights say should go
    /// (nobody decided to keep it); and keeps the rest.
    pub fn decision_for(
        self,
        recommendation: Recommendation,
        flags: FlagSet,
        rotate_by: NaiveDate,
    ) -> Decision {
        match self {
            OnClose::Keep => Decision::Attest,
            OnClose::Revoke => Decision::Revoke,
            // Which of a pair to revoke is a person's choice: closing
            // cannot make it, and keeps both (against the recommendation).
            OnClose::Recommendation if recommendation == Recommendation::RevokeOneOfPair => {
                Decision::Attest
            }
            OnClose::Recommendation if super::rotation::calls_only_for_rotation(flags) => {
                Decision::Rotate { by: rotate_by }
            }
            OnClose::Recommendation if recommendation.suggests_revoke() => Decision::Revoke,
            OnClose::Recommendation => Decision::Attest,
        }
    }
}

/// Whether a sign-off note names the items left undecided, by the word
/// "undecided" or by their number, so that an auditor reading only the note
/// still learns that work was left open.
pub fn note_names_undecided(note: &str, undecided: u64) -> bool {
    let number = undecided.to_string();
    note.to_lowercase().contains("undecided")
        || note
            .split(|c: char| !c.is_ascii_digit())
            .any(|token| token == number)
}

/// Who reviews an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewerRule {
    Sponsor,
    BusinessOwner,
    TechnicalOwner,
    Fixed(String),
}

impl FromStr for ReviewerRule {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "sponsor" => Ok(ReviewerRule::Sponsor),
            "business_owner" => Ok(ReviewerRule::BusinessOwner),
            "technical_owner" => Ok(ReviewerRule::TechnicalOwner),
            _ => match text.strip_prefix("fixed:") {
                Some(email) if !email.trim().is_empty() => {
                    Ok(ReviewerRule::Fixed(person_key(email).into_owned()))
                }
                _ => Err(format!(
                    "{text:?} is not a reviewer rule: use sponsor, business_owner, \
                     technical_owner or fixed:EMAIL"
                )),
            },
        }
    }
}

impl fmt::Display for ReviewerRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewerRule::Sponsor => f.write_str("sponsor"),
            ReviewerRule::BusinessOwner => f.write_str("business_owner"),
            ReviewerRule::TechnicalOwner => f.write_str("technical_owner"),
            ReviewerRule::Fixed(email) => write!(f, "fixed:{email}"),
        }
    }
}

impl ReviewerRule {
    /// The reviewer for an item, as [`person_key`] keeps people; when the
    /// rule's person is unknown the campaign owner reviews it, so that
    /// nothing falls through. Queues look reviewers up exactly, so a sponsor
    /// a source spells `A.Kowalski@…` is kept as the `a.kowalski@…` who
    /// signs in.
    pub fn pick<'a>(
        &'a self,
        sponsor: Option<&'a str>,
        business_owner: Option<&'a str>,
        technical_owner: Option<&'a str>,
        owner: &'a str,
    ) -> Cow<'a, str> {
        let chosen = match self {
            ReviewerRule::Sponsor => sponsor,
            ReviewerRule::BusinessOwner => business_owner,
            ReviewerRule::TechnicalOwner => technical_owner,
            ReviewerRule::Fixed(email) => Some(email.as_str()),
        };
        person_key(chosen.filter(|s| !s.trim().is_empty()).unwrap_or(owner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Flag;

    #[test]
    fn reviewer_rules_parse_and_fall_back_to_the_owner() {
        let rule: ReviewerRule = "sponsor".parse().unwrap();
        assert_eq!(rule.pick(Some("s@x"), None, None, "o@x"), "s@x");
        assert_eq!(rule.pick(None, Some("b@x"), None, "o@x"), "o@x");
        let fixed: ReviewerRule = "fixed:audit@x".parse().unwrap();
        assert_eq!(fixed.to_string(), "fixed:audit@x");
        assert_eq!(fixed.pick(Some("s@x"), None, None, "o@x"), "audit@x");
        let fixed: ReviewerRule = "fixed: Audit@X ".parse().unwrap();
        assert_eq!(fixed.to_string(), "fixed:audit@x", "kept as people are");
        assert_eq!(
            rule.pick(Some(" A.Kowalski@X"), None, None, "o@x"),
            "a.kowalski@x"
        );
        assert_eq!(rule.pick(Some(" "), None, None, "O@x"), "o@x");
        assert!("fixed:".parse::<ReviewerRule>().is_err());
        assert!("manager".parse::<ReviewerRule>().is_err());
    }

    #[test]
    fn a_signoff_note_must_name_the_undecided_items() {
        assert!(note_names_undecided("3 items left open: owners away", 3));
        assert!(note_names_undecided("Accepting the UNDECIDED ones", 3));
        assert!(!note_names_undecided("all good", 3));
        assert!(
            !note_names_undecided("see SOW-13 and 33", 3),
            "digits must match whole"
        );
        assert!(note_names_undecided("(12) open", 12));
    }

    #[test]
    fn close_actions_keep_revoke_or_follow_the_recommendation() {
        let by = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let none = FlagSet::default();
        for r in Recommendation::ALL {
            assert_eq!(OnClose::Keep.decision_for(*r, none, by), Decision::Attest);
            assert_eq!(OnClose::Revoke.decision_for(*r, none, by), Decision::Revoke);
        }
        let follow = |r, flags: &[Flag]| {
            OnClose::Recommendation.decision_for(r, flags.iter().copied().collect(), by)
        };
        assert_eq!(
            follow(Recommendation::Revoke, &[Flag::Dormant]),
            Decision::Revoke
        );
        assert_eq!(
            follow(Recommendation::RotateOrRevoke, &[Flag::UnrotatedCredential]),
            Decision::Rotate { by },
            "a credential that only needs rotating is rotated, not revoked"
        );
        assert_eq!(
            follow(
                Recommendation::RotateOrRevoke,
                &[Flag::UnrotatedCredential, Flag::NoSponsor]
            ),
            Decision::Revoke,
            "nobody answered for it: rotating leaves the rest"
        );
        assert_eq!(
            follow(Recommendation::ReassignOrRevoke, &[Flag::NoSponsor]),
            Decision::Revoke
        );
        assert_eq!(
            follow(Recommendation::ReviewWithCare, &[Flag::Privileged]),
            Decision::Attest
        );
        assert_eq!(follow(Recommendation::Classify, &[]), Decision::Attest);
        assert_eq!(follow(Recommendation::Keep, &[]), Decision::Attest);
        assert_eq!(
            follow(Recommendation::RevokeOneOfPair, &[Flag::SodConflict]),
            Decision::Attest,
            "which of a pair goes is a person's choice"
        );
        assert_eq!(
            follow(Recommendation::SetEndDate, &[Flag::NoEndDate]),
            Decision::Attest
        );
        assert_eq!(
            follow(
                Recommendation::RotateOrRevoke,
                &[
                    Flag::UnrotatedCredential,
                    Flag::NoEndDate,
                    Flag::NoJustification
                ]
            ),
            Decision::Rotate { by },
            "an end date or a justification to find is no reason to revoke"
        );
    }
}
