//! Signing a campaign off: who may, what the note must say, and that items
//! nobody decided are acknowledged by number, so that a sign-off never
//! silently covers work that was not done.

use super::Refusal;
use crate::domain::CampaignState;
use crate::domain::campaign::note_names_undecided;
use crate::domain::people::same_person;

/// What entitles someone to sign off (and close) a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerRole {
    /// The person who created the campaign.
    Owner,
    /// The sponsor of some of its items.
    Sponsor,
}

impl SignerRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SignerRole::Owner => "owner",
            SignerRole::Sponsor => "sponsor",
        }
    }
}

/// The signer's role, if they may sign: the owner, or a sponsor of
/// `sponsored` items.
pub fn role(owner: &str, actor: &str, sponsored: u64) -> Option<SignerRole> {
    if same_person(owner, actor) {
        Some(SignerRole::Owner)
    } else if sponsored > 0 {
        Some(SignerRole::Sponsor)
    } else {
        None
    }
}

/// A sign-off the signer already recorded.
#[derive(Clone, Copy, Debug)]
pub struct Earlier<'a> {
    pub signer: &'a str,
    pub seq: i64,
    pub at: &'a str,
}

/// What a sign-off is asked of.
#[derive(Clone, Copy, Debug)]
pub struct SignoffFacts<'a> {
    pub campaign: &'a str,
    pub state: CampaignState,
    pub owner: &'a str,
    pub actor: &'a str,
    /// Items of the campaign whose identity the actor sponsors.
    pub sponsored: u64,
    /// The actor's own earlier sign-off, if any.
    pub earlier: Option<Earlier<'a>>,
    /// Items nobody has decided (undecided or reassigned).
    pub waiting: u64,
}

/// Whether the actor may sign off with `note`, acknowledging
/// `accept_undecided` items nobody decided; the role they sign in.
pub fn check(
    facts: &SignoffFacts<'_>,
    note: &str,
    accept_undecided: Option<u64>,
) -> Result<SignerRole, Refusal> {
    if matches!(
        facts.state,
        CampaignState::Closed | CampaignState::Cancelled
    ) {
        return Err(Refusal::WrongState(format!(
            "campaign {:?} is {}: it no longer accepts sign-offs",
            facts.campaign, facts.state
        )));
    }
    let role = role(facts.owner, facts.actor, facts.sponsored).ok_or_else(|| {
        Refusal::NotAllowed(format!(
            "only the owner of campaign {:?} ({}) or a sponsor of its items can sign it off; \
             {} is neither",
            facts.campaign, facts.owner, facts.actor
        ))
    })?;
    if let Some(earlier) = facts.earlier {
        return Err(Refusal::invalid(
            "signer",
            format!(
                "{} already signed off campaign {:?} (event {}, {})",
                earlier.signer, facts.campaign, earlier.seq, earlier.at
            ),
        ));
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(Refusal::invalid(
            "note",
            "a sign-off needs a note saying what was checked",
        ));
    }
    acknowledged(facts.campaign, facts.waiting, note, accept_undecided)?;
    Ok(role)
}

/// Items nobody decided are acknowledged by their exact number, and the
/// note says so, so that an auditor reading only the note still learns
/// that work was left open.
fn acknowledged(
    campaign: &str,
    waiting: u64,
    note: &str,
    accept_undecided: Option<u64>,
) -> Result<(), Refusal> {
    if waiting > 0 && accept_undecided != Some(waiting) {
        return Err(Refusal::invalid(
            "accept_undecided",
            format!(
                "{waiting} items of campaign {campaign:?} are still undecided: a sign-off must \
                 acknowledge exactly that number"
            ),
        ));
    }
    if waiting > 0 && !note_names_undecided(note, waiting) {
        return Err(Refusal::invalid(
            "note",
            format!(
                "{waiting} items of campaign {campaign:?} are still undecided: the sign-off note \
                 must say so (mention \"undecided\" or the number {waiting})"
            ),
        ));
    }
    if waiting == 0 && accept_undecided.is_some_and(|n| n > 0) {
        return Err(Refusal::invalid(
            "accept_undecided",
            format!("campaign {campaign:?} has no undecided items to accept"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SignoffFacts<'static> {
        SignoffFacts {
            campaign: "Q4",
            state: CampaignState::Open,
            owner: "owner@x",
            actor: "owner@x",
            sponsored: 0,
            earlier: None,
            waiting: 0,
        }
    }

    fn field(result: Result<SignerRole, Refusal>) -> &'static str {
        match result {
            Err(Refusal::Invalid { field, .. }) => field,
            other => panic!("expected an invalid request, got {other:?}"),
        }
    }

    #[test]
    fn the_owner_or_a_sponsor_signs_and_nobody_else() {
        assert_eq!(check(&facts(), "checked", None), Ok(SignerRole::Owner));
        let sponsor = SignoffFacts {
            actor: "s@x",
            sponsored: 3,
            ..facts()
        };
        assert_eq!(check(&sponsor, "checked", None), Ok(SignerRole::Sponsor));
        let stranger = SignoffFacts {
            actor: "s@x",
            ..facts()
        };
        assert!(matches!(
            check(&stranger, "checked", None),
            Err(Refusal::NotAllowed(m)) if m.contains("s@x is neither")
        ));
        assert_eq!(role(" OWNER@x", "owner@X ", 0), Some(SignerRole::Owner));
    }

    #[test]
    fn nobody_signs_twice_or_after_the_close() {
        let twice = SignoffFacts {
            earlier: Some(Earlier {
                signer: "owner@x",
                seq: 9,
                at: "2026-11-22",
            }),
            ..facts()
        };
        assert_eq!(field(check(&twice, "again", None)), "signer");
        let closed = SignoffFacts {
            state: CampaignState::Closed,
            ..facts()
        };
        assert!(matches!(
            check(&closed, "n", None),
            Err(Refusal::WrongState(_))
        ));
    }

    #[test]
    fn undecided_items_are_acknowledged_by_number_and_named_in_the_note() {
        let waiting = SignoffFacts {
            waiting: 3,
            ..facts()
        };
        assert_eq!(
            field(check(&waiting, "3 undecided", None)),
            "accept_undecided"
        );
        assert_eq!(
            field(check(&waiting, "3 undecided", Some(2))),
            "accept_undecided"
        );
        assert_eq!(field(check(&waiting, "all fine", Some(3))), "note");
        assert!(check(&waiting, "3 left for owners", Some(3)).is_ok());
        assert!(check(&waiting, "some UNDECIDED", Some(3)).is_ok());
        assert_eq!(field(check(&facts(), "fine", Some(1))), "accept_undecided");
        assert!(check(&facts(), "fine", Some(0)).is_ok());
        assert_eq!(field(check(&facts(), "  ", None)), "note");
    }
}
