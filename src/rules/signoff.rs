//! Signing a campaign off, in stages. A campaign's *parts* are its items
//! grouped by sponsor (items with no sponsor form the owner's part). A
//! sponsor signs their own part, which freezes it while every other part
//! takes decisions; the owner's final sign-off freezes the whole campaign
//! and acknowledges, by number, the parts nobody signed and the items
//! nobody decided, so that a sign-off never silently covers work that was
//! not done.

use super::Refusal;
use crate::domain::CampaignState;
use crate::domain::campaign::note_names_undecided;
use crate::domain::people::{person_key, same_person};
use crate::domain::text::count;

/// What entitles someone to sign: the campaign's owner (the final
/// sign-off, which also signs the owner's own part) or a sponsor (their
/// part).
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

/// Whose part an item is in: its sponsor's, kept as people are kept, or
/// the owner's when it has none (or the owner sponsors it: one person, one
/// part).
pub fn part_of(sponsor: Option<&str>, owner: &str) -> String {
    match sponsor.map(person_key).filter(|s| !s.is_empty()) {
        Some(sponsor) if !same_person(&sponsor, owner) => sponsor.into_owned(),
        _ => person_key(owner).into_owned(),
    }
}

/// A recorded signature: who signed, as which event, when.
#[derive(Clone, Copy, Debug)]
pub struct Earlier<'a> {
    pub signer: &'a str,
    pub seq: i64,
    pub at: &'a str,
}

/// A part as signing needs it.
#[derive(Clone, Copy, Debug)]
pub struct PartFacts<'a> {
    /// Who signs it: its sponsor, or the owner for the owner's part.
    pub sponsor: &'a str,
    pub items: u64,
    /// Items of it nobody has decided (undecided or reassigned).
    pub waiting: u64,
    /// Its signature, once signed.
    pub signed: Option<Earlier<'a>>,
}

/// Whether `actor` may sign the part `sponsor` signs in a campaign owned by
/// `owner`: only its sponsor, and never the owner's part, which the final
/// sign-off signs. Recording and `verify` both ask this.
pub fn may_sign_part(
    campaign: &str,
    owner: &str,
    sponsor: &str,
    actor: &str,
) -> Result<(), Refusal> {
    if same_person(sponsor, owner) {
        return Err(Refusal::NotAllowed(format!(
            "the part of campaign {campaign:?} without a sponsor is its owner's ({owner}), and the \
             owner signs it with the final sign-off (--final), not on its own"
        )));
    }
    if !same_person(sponsor, actor) {
        return Err(Refusal::NotAllowed(format!(
            "{sponsor}'s part of campaign {campaign:?} is signed by {sponsor} alone; {actor} may \
             not sign it"
        )));
    }
    Ok(())
}

/// Whether `actor` may sign `campaign` off whole: only its owner.
/// Recording and `verify` both ask this.
pub fn may_sign_final(campaign: &str, owner: &str, actor: &str) -> Result<(), Refusal> {
    if same_person(owner, actor) {
        return Ok(());
    }
    Err(Refusal::NotAllowed(format!(
        "only the owner of campaign {campaign:?} ({owner}) signs it off whole (--final); {actor} \
         is not the owner: a sponsor signs their own part with `recert signoff {campaign:?} \
         --note TEXT`"
    )))
}

/// What a sponsor's sign-off of their part is asked of.
#[derive(Clone, Copy, Debug)]
pub struct PartSignoffFacts<'a> {
    pub campaign: &'a str,
    pub state: CampaignState,
    pub owner: &'a str,
    pub actor: &'a str,
    /// The actor's part, when they sponsor items of the campaign.
    pub part: Option<PartFacts<'a>>,
    /// The final sign-off, once recorded.
    pub final_signoff: Option<Earlier<'a>>,
}

/// Whether the actor may sign their part with `note`, acknowledging
/// `accept_undecided` items of it nobody decided.
pub fn check_part(
    facts: &PartSignoffFacts<'_>,
    note: &str,
    accept_undecided: Option<u64>,
) -> Result<(), Refusal> {
    open(facts.campaign, facts.state, facts.final_signoff)?;
    let campaign = facts.campaign;
    if same_person(facts.owner, facts.actor) {
        return Err(Refusal::invalid(
            "final",
            format!(
                "{} owns campaign {campaign:?}: its owner signs it off whole with --final (the \
                 items without a sponsor are the owner's part, signed with it): `recert signoff \
                 {campaign:?} --final --note TEXT`, which says what it must acknowledge; nothing \
                 was signed",
                facts.actor
            ),
        ));
    }
    let part = facts.part.ok_or_else(|| {
        Refusal::NotAllowed(format!(
            "only the owner of campaign {campaign:?} ({}) or a sponsor of its items can sign it \
             off; {} is neither",
            facts.owner, facts.actor
        ))
    })?;
    may_sign_part(campaign, facts.owner, part.sponsor, facts.actor)?;
    if let Some(earlier) = part.signed {
        return Err(Refusal::invalid(
            "signer",
            format!(
                "{}'s part of campaign {campaign:?} is already signed off (by {}, event {}, {})",
                part.sponsor, earlier.signer, earlier.seq, earlier.at
            ),
        ));
    }
    let note = needs_note(note)?;
    acknowledged(
        &format!("{}'s part of campaign {campaign:?}", part.sponsor),
        part.waiting,
        note,
        accept_undecided,
    )
}

/// A part nobody has signed, as the final sign-off lists it.
#[derive(Clone, Copy, Debug)]
pub struct Unsigned<'a> {
    pub sponsor: &'a str,
    pub items: u64,
    pub waiting: u64,
}

/// What the owner's final sign-off is asked of.
#[derive(Clone, Copy, Debug)]
pub struct FinalFacts<'a> {
    pub campaign: &'a str,
    pub state: CampaignState,
    pub owner: &'a str,
    pub actor: &'a str,
    /// Sponsors' parts nobody signed (the owner's own part is signed by the
    /// final sign-off itself).
    pub unsigned: &'a [Unsigned<'a>],
    /// Items of the whole campaign nobody decided.
    pub waiting: u64,
    /// The final sign-off, once recorded.
    pub final_signoff: Option<Earlier<'a>>,
}

/// Whether the actor may sign the campaign off whole with `note`,
/// acknowledging exactly the parts still unsigned and the items still
/// undecided.
pub fn check_final(
    facts: &FinalFacts<'_>,
    note: &str,
    accept_unsigned: Option<u64>,
    accept_undecided: Option<u64>,
) -> Result<(), Refusal> {
    open(facts.campaign, facts.state, facts.final_signoff)?;
    may_sign_final(facts.campaign, facts.owner, facts.actor)?;
    let note = needs_note(note)?;
    let campaign = facts.campaign;
    let unsigned = facts.unsigned.len() as u64;
    if accept_unsigned.unwrap_or(0) != unsigned {
        let which = if unsigned == 0 {
            "every sponsor has signed their part".to_string()
        } else {
            let names: Vec<String> = facts
                .unsigned
                .iter()
                .map(|p| format!("{} ({} items, {} undecided)", p.sponsor, p.items, p.waiting))
                .collect();
            format!(
                "{} unsigned by {}",
                count(unsigned, "part"),
                names.join(", ")
            )
        };
        return Err(Refusal::invalid(
            "accept_unsigned",
            format!(
                "campaign {campaign:?}: {which}, and {} items are undecided: the final sign-off \
                 acknowledges exactly those numbers with --accept-unsigned {unsigned} \
                 --accept-undecided {}; nothing was signed",
                facts.waiting, facts.waiting
            ),
        ));
    }
    acknowledged(
        &format!("campaign {campaign:?}"),
        facts.waiting,
        note,
        accept_undecided,
    )
}

/// A decision on an item of a signed part is refused: what its sponsor
/// signed stays what they signed.
pub fn part_accepts_decisions(
    campaign: &str,
    item: i64,
    sponsor: &str,
    signed: Option<Earlier<'_>>,
) -> Result<(), Refusal> {
    match signed {
        None => Ok(()),
        Some(s) => Err(Refusal::WrongState(format!(
            "item {item} is in a part signed off by {} on {} (event {}): {sponsor}'s part of \
             campaign {campaign:?} takes no more decisions, while the other parts still take \
             theirs",
            s.signer, s.at, s.seq
        ))),
    }
}

fn open(
    campaign: &str,
    state: CampaignState,
    final_signoff: Option<Earlier<'_>>,
) -> Result<(), Refusal> {
    match (state, final_signoff) {
        (state @ (CampaignState::Closed | CampaignState::Cancelled), _) => {
            Err(Refusal::WrongState(format!(
                "campaign {campaign:?} is {state}: it no longer accepts sign-offs"
            )))
        }
        (_, Some(s)) => Err(Refusal::invalid(
            "signer",
            format!(
                "{} already signed off campaign {campaign:?} (event {}, {}): it no longer accepts \
                 sign-offs",
                s.signer, s.seq, s.at
            ),
        )),
        (CampaignState::SignedOff, None) => Err(Refusal::WrongState(format!(
            "campaign {campaign:?} is signed off: it no longer accepts sign-offs"
        ))),
        (CampaignState::Open, None) => Ok(()),
    }
}

fn needs_note(note: &str) -> Result<&str, Refusal> {
    let note = note.trim();
    if note.is_empty() {
        return Err(Refusal::invalid(
            "note",
            "a sign-off needs a note saying what was checked",
        ));
    }
    Ok(note)
}

/// Items nobody decided are acknowledged by their exact number, and the
/// note says so, so that an auditor reading only the note still learns
/// that work was left open.
fn acknowledged(
    what: &str,
    waiting: u64,
    note: &str,
    accept_undecided: Option<u64>,
) -> Result<(), Refusal> {
    if waiting > 0 && accept_undecided != Some(waiting) {
        return Err(Refusal::invalid(
            "accept_undecided",
            format!(
                "{waiting} items of {what} are still undecided: a sign-off must acknowledge \
                 exactly that number (--accept-undecided {waiting}); nothing was signed"
            ),
        ));
    }
    if waiting > 0 && !note_names_undecided(note, waiting) {
        return Err(Refusal::invalid(
            "note",
            format!(
                "{waiting} items of {what} are still undecided: the sign-off note must say so \
                 (mention \"undecided\" or the number {waiting})"
            ),
        ));
    }
    if waiting == 0 && accept_undecided.is_some_and(|n| n > 0) {
        return Err(Refusal::invalid(
            "accept_undecided",
            format!("{what} has no undecided items to accept"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: &str = "owner@x";

    fn part(sponsor: &'static str, waiting: u64) -> PartFacts<'static> {
        PartFacts {
            sponsor,
            items: 5,
            waiting,
            signed: None,
        }
    }

    fn sponsor_facts() -> PartSignoffFacts<'static> {
        PartSignoffFacts {
            campaign: "Q4",
            state: CampaignState::Open,
            owner: OWNER,
            actor: "s@x",
            part: Some(part("s@x", 0)),
            final_signoff: None,
        }
    }

    fn final_facts(unsigned: &'static [Unsigned<'static>], waiting: u64) -> FinalFacts<'static> {
        FinalFacts {
            campaign: "Q4",
            state: CampaignState::Open,
            owner: OWNER,
            actor: OWNER,
            unsigned,
            waiting,
            final_signoff: None,
        }
    }

    fn field(result: Result<(), Refusal>) -> &'static str {
        match result {
            Err(Refusal::Invalid { field, .. }) => field,
            other => panic!("expected an invalid request, got {other:?}"),
        }
    }

    const EARLIER: Earlier<'static> = Earlier {
        signer: "s@x",
        seq: 9,
        at: "2026-11-22T10:00:00Z",
    };

    #[test]
    fn items_are_parted_by_sponsor_and_those_without_one_are_the_owners() {
        assert_eq!(part_of(Some(" S@X "), OWNER), "s@x");
        assert_eq!(part_of(None, "Owner@X"), "owner@x");
        assert_eq!(part_of(Some("  "), OWNER), OWNER);
        assert_eq!(
            part_of(Some("OWNER@x"), OWNER),
            OWNER,
            "one person, one part"
        );
        assert_eq!(role(" OWNER@x", "owner@X ", 0), Some(SignerRole::Owner));
        assert_eq!(role(OWNER, "s@x", 2), Some(SignerRole::Sponsor));
        assert_eq!(role(OWNER, "s@x", 0), None);
    }

    #[test]
    fn a_sponsor_signs_their_own_part_and_nobody_elses() {
        assert_eq!(check_part(&sponsor_facts(), "checked", None), Ok(()));
        assert!(may_sign_part("Q4", OWNER, "s@x", "S@X").is_ok());
        let other = may_sign_part("Q4", OWNER, "s@x", "t@x").unwrap_err();
        assert!(other.to_string().contains("signed by s@x alone"), "{other}");
        let owners = may_sign_part("Q4", OWNER, OWNER, OWNER).unwrap_err();
        assert!(owners.to_string().contains("final sign-off"), "{owners}");
        let stranger = PartSignoffFacts {
            actor: "t@x",
            part: None,
            ..sponsor_facts()
        };
        assert!(matches!(
            check_part(&stranger, "checked", None),
            Err(Refusal::NotAllowed(m)) if m.contains("t@x is neither")
        ));
    }

    #[test]
    fn the_owner_is_told_to_sign_off_whole_with_final() {
        let owner = PartSignoffFacts {
            actor: OWNER,
            part: Some(part(OWNER, 0)),
            ..sponsor_facts()
        };
        let err = check_part(&owner, "checked", None).unwrap_err();
        assert!(err.to_string().contains("--final"), "{err}");
        assert_eq!(field(Err(err)), "final");
    }

    #[test]
    fn a_part_is_signed_once_and_only_while_the_campaign_is_open() {
        let twice = PartSignoffFacts {
            part: Some(PartFacts {
                signed: Some(EARLIER),
                ..part("s@x", 0)
            }),
            ..sponsor_facts()
        };
        let err = check_part(&twice, "again", None).unwrap_err();
        assert!(
            err.to_string()
                .contains("already signed off (by s@x, event 9"),
            "{err}"
        );
        let after_final = PartSignoffFacts {
            state: CampaignState::SignedOff,
            final_signoff: Some(Earlier {
                signer: OWNER,
                ..EARLIER
            }),
            ..sponsor_facts()
        };
        assert_eq!(field(check_part(&after_final, "late", None)), "signer");
        let closed = PartSignoffFacts {
            state: CampaignState::Closed,
            ..sponsor_facts()
        };
        assert!(matches!(
            check_part(&closed, "late", None),
            Err(Refusal::WrongState(_))
        ));
    }

    #[test]
    fn a_parts_undecided_items_are_acknowledged_by_number_and_in_the_note() {
        let waiting = PartSignoffFacts {
            part: Some(part("s@x", 2)),
            ..sponsor_facts()
        };
        assert_eq!(
            field(check_part(&waiting, "2 undecided", None)),
            "accept_undecided"
        );
        assert_eq!(
            field(check_part(&waiting, "2 undecided", Some(3))),
            "accept_undecided"
        );
        assert_eq!(field(check_part(&waiting, "all fine", Some(2))), "note");
        assert!(check_part(&waiting, "2 left to the owner", Some(2)).is_ok());
        assert_eq!(field(check_part(&sponsor_facts(), "  ", None)), "note");
        assert_eq!(
            field(check_part(&sponsor_facts(), "ok", Some(1))),
            "accept_undecided"
        );
    }

    #[test]
    fn only_the_owner_signs_off_whole() {
        assert!(check_final(&final_facts(&[], 0), "all done", None, None).is_ok());
        let sponsor = FinalFacts {
            actor: "s@x",
            ..final_facts(&[], 0)
        };
        assert!(matches!(
            check_final(&sponsor, "all done", None, None),
            Err(Refusal::NotAllowed(m)) if m.contains("only the owner")
        ));
        assert!(may_sign_final("Q4", OWNER, " OWNER@x").is_ok());
        let twice = FinalFacts {
            final_signoff: Some(EARLIER),
            ..final_facts(&[], 0)
        };
        let err = check_final(&twice, "again", None, None).unwrap_err();
        assert!(err.to_string().contains("already signed off"), "{err}");
    }

    #[test]
    fn the_final_sign_off_acknowledges_unsigned_parts_and_undecided_items_by_number() {
        const UNSIGNED: &[Unsigned<'static>] = &[
            Unsigned {
                sponsor: "s@x",
                items: 5,
                waiting: 2,
            },
            Unsigned {
                sponsor: "t@x",
                items: 3,
                waiting: 0,
            },
        ];
        let facts = final_facts(UNSIGNED, 4);
        let err = check_final(&facts, "4 undecided", None, Some(4)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("2 parts unsigned by s@x (5 items, 2 undecided), t@x")
                && text.contains("--accept-unsigned 2 --accept-undecided 4"),
            "{text}"
        );
        assert_eq!(field(Err(err)), "accept_unsigned");
        assert_eq!(
            field(check_final(&facts, "4 undecided", Some(1), Some(4))),
            "accept_unsigned"
        );
        assert_eq!(
            field(check_final(&facts, "4 undecided", Some(2), None)),
            "accept_undecided"
        );
        assert_eq!(field(check_final(&facts, "fine", Some(2), Some(4))), "note");
        assert!(check_final(&facts, "4 undecided, 2 unsigned", Some(2), Some(4)).is_ok());
        let signed = final_facts(&[], 0);
        assert_eq!(
            field(check_final(&signed, "done", Some(1), None)),
            "accept_unsigned"
        );
        assert!(check_final(&signed, "done", Some(0), Some(0)).is_ok());
    }

    #[test]
    fn a_signed_part_takes_no_decisions() {
        assert!(part_accepts_decisions("Q4", 3, "s@x", None).is_ok());
        let err = part_accepts_decisions("Q4", 3, "s@x", Some(EARLIER)).unwrap_err();
        assert!(matches!(err, Refusal::WrongState(_)));
        assert!(
            err.to_string().contains(
                "item 3 is in a part signed off by s@x on 2026-11-22T10:00:00Z (event 9): s@x's \
                 part of campaign \"Q4\" takes no more decisions"
            ),
            "{err}"
        );
    }
}
