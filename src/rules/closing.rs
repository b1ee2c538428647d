//! Closing a campaign: only after its owner's final sign-off; in a shared
//! database only by its owner, in a personal one also by a sponsor of its
//! items or one of its signers; and the decision each item nobody decided
//! gets.

use super::Refusal;
use super::signoff::{SignerRole, role};
use crate::domain::insight::is_self_review;
use crate::domain::people::same_person;
use crate::domain::roster::Mode;
use crate::domain::{CampaignState, Decision, FlagSet, OnClose, Recommendation};
use chrono::NaiveDate;

/// What a close is asked of.
#[derive(Clone, Copy, Debug)]
pub struct CloseFacts<'a> {
    pub mode: Mode,
    pub campaign: &'a str,
    pub state: CampaignState,
    pub owner: &'a str,
    pub actor: &'a str,
    /// Items of the campaign whose identity the actor sponsors.
    pub sponsored: u64,
    /// Whether the actor signed the campaign off.
    pub signed: bool,
    /// The close event, when the campaign is already closed.
    pub closed_by_event: Option<i64>,
}

/// Whether the actor may close the campaign now.
pub fn check(facts: &CloseFacts<'_>) -> Result<(), Refusal> {
    match facts.state {
        CampaignState::Open => {
            return Err(Refusal::WrongState(format!(
                "campaign {:?} is open: it closes after its owner's final sign-off, so sign it \
                 off first (`recert signoff {:?} --final --note TEXT`)",
                facts.campaign, facts.campaign
            )));
        }
        CampaignState::Closed => {
            return Err(Refusal::WrongState(format!(
                "campaign {:?} is already closed (event {})",
                facts.campaign,
                facts.closed_by_event.unwrap_or_default()
            )));
        }
        CampaignState::Cancelled => {
            return Err(Refusal::WrongState(format!(
                "campaign {:?} was cancelled: it takes no close",
                facts.campaign
            )));
        }
        CampaignState::SignedOff => {}
    }
    if facts.mode == Mode::Shared && !same_person(facts.owner, facts.actor) {
        return Err(Refusal::NotAllowed(format!(
            "only the owner of campaign {:?} ({}) closes it in a shared database; {} is not the \
             owner",
            facts.campaign, facts.owner, facts.actor
        )));
    }
    let may: Option<SignerRole> = role(facts.owner, facts.actor, facts.sponsored);
    if !facts.signed && may.is_none() {
        return Err(Refusal::NotAllowed(format!(
            "only the owner of campaign {:?} ({}), a sponsor of its items or one of its signers \
             can close it; {} is none of these",
            facts.campaign, facts.owner, facts.actor
        )));
    }
    Ok(())
}

/// The decision an item nobody decided gets at close, with the facts its
/// event records: whether it keeps access against the recommendation, and
/// whether the closer closes on their own access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseAction {
    pub decision: Decision,
    pub against_recommendation: bool,
    pub self_review: bool,
}

/// The close action for an item with `recommendation` and `flags`; a
/// rotate is due by `rotate_by` (`rotation::close_action_by`).
pub fn close_action(
    on_close: OnClose,
    (recommendation, flags): (Recommendation, FlagSet),
    rotate_by: NaiveDate,
    identity_id: &str,
    identity_email: Option<&str>,
    closer: &str,
) -> CloseAction {
    let decision = on_close.decision_for(recommendation, flags, rotate_by);
    CloseAction {
        against_recommendation: super::decision::keeps_against(decision.kind(), recommendation),
        self_review: is_self_review(identity_id, identity_email, closer),
        decision,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed_off() -> CloseFacts<'static> {
        CloseFacts {
            mode: Mode::Personal,
            campaign: "Q4",
            state: CampaignState::SignedOff,
            owner: "owner@x",
            actor: "owner@x",
            sponsored: 0,
            signed: false,
            closed_by_event: None,
        }
    }

    #[test]
    fn a_campaign_closes_once_after_its_sign_off() {
        assert!(check(&signed_off()).is_ok());
        for state in [CampaignState::Open, CampaignState::Closed] {
            let facts = CloseFacts {
                state,
                ..signed_off()
            };
            assert!(
                matches!(check(&facts), Err(Refusal::WrongState(_))),
                "{state}"
            );
        }
    }

    #[test]
    fn the_owner_a_sponsor_or_a_signer_closes() {
        let stranger = CloseFacts {
            actor: "x@y",
            ..signed_off()
        };
        assert!(matches!(check(&stranger), Err(Refusal::NotAllowed(_))));
        assert!(
            check(&CloseFacts {
                signed: true,
                ..stranger
            })
            .is_ok()
        );
        assert!(
            check(&CloseFacts {
                sponsored: 1,
                ..stranger
            })
            .is_ok()
        );
    }

    #[test]
    fn in_a_shared_database_only_the_owner_closes() {
        let shared = CloseFacts {
            mode: Mode::Shared,
            ..signed_off()
        };
        assert!(check(&shared).is_ok());
        let signer = CloseFacts {
            actor: "s@x",
            sponsored: 3,
            signed: true,
            ..shared
        };
        assert!(matches!(
            check(&signer),
            Err(Refusal::NotAllowed(m)) if m.contains("only the owner")
        ));
        let open = CloseFacts {
            state: CampaignState::Open,
            ..shared
        };
        assert!(check(&open).unwrap_err().to_string().contains("--final"));
    }

    #[test]
    fn the_close_action_follows_the_campaign_and_records_its_facts() {
        let by = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let none = FlagSet::default();
        let keep = close_action(
            OnClose::Keep,
            (Recommendation::Revoke, none),
            by,
            "id",
            None,
            "o@x",
        );
        assert_eq!(keep.decision, Decision::Attest);
        assert!(keep.against_recommendation);
        let follow = close_action(
            OnClose::Recommendation,
            (Recommendation::Revoke, none),
            by,
            "o@x",
            None,
            "O@X",
        );
        assert_eq!(follow.decision, Decision::Revoke);
        assert!(!follow.against_recommendation);
        assert!(follow.self_review);
        let unrotated = [crate::domain::Flag::UnrotatedCredential]
            .into_iter()
            .collect();
        let rotate = close_action(
            OnClose::Recommendation,
            (Recommendation::RotateOrRevoke, unrotated),
            by,
            "svc",
            None,
            "o@x",
        );
        assert_eq!(rotate.decision, Decision::Rotate { by });
        assert!(!rotate.against_recommendation, "a rotation follows it");
    }
}
