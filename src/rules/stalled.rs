//! Work that stalls: a reviewer handing their items to someone for a
//! while, how late a campaign is, escalating items past due to a fallback
//! reviewer, and ending a campaign made by mistake.

use super::Refusal;
use super::authority::{Actor, known_target};
use crate::domain::CampaignState;
use crate::domain::insight::is_self_review;
use crate::domain::people::{person_key, same_person};
use crate::domain::roster::{Mode, Role};
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// Whether `from` may hand their items to `to` until `until` (the last day
/// it lasts): to someone recert knows, not to themselves, not ending
/// before today.
pub fn may_delegate(
    from: &str,
    to: &str,
    until: NaiveDate,
    today: NaiveDate,
    known: &BTreeSet<String>,
) -> Result<(), Refusal> {
    if same_person(from, to) {
        return Err(Refusal::invalid(
            "to",
            format!("{from} cannot delegate to themselves: name someone else with --to"),
        ));
    }
    if until < today {
        return Err(Refusal::invalid(
            "until",
            format!(
                "--until {until} is in the past (today is {today}): a delegation ends today or later"
            ),
        ));
    }
    known_target(to, known)
}

/// How many days a campaign due on `due` is past due on `today`; 0 when
/// it is not yet.
pub fn days_overdue(due: NaiveDate, today: NaiveDate) -> i64 {
    (today - due).num_days().max(0)
}

/// Whether items still waiting on `today` escalate: only once the due day
/// and `grace` days more have passed.
pub fn escalates(due: NaiveDate, grace: u32, today: NaiveDate) -> bool {
    days_overdue(due, today) > i64::from(grace)
}

/// Whether an item reassigned on `reassigned_on` (its latest reassign,
/// when it waits after one) has had its `grace` days with its new
/// reviewer: otherwise a second run would pass it on again at once.
pub fn had_its_time(reassigned_on: Option<NaiveDate>, grace: u32, today: NaiveDate) -> bool {
    reassigned_on.is_none_or(|on| (today - on).num_days() > i64::from(grace))
}

/// One waiting item as escalation sees it.
#[derive(Clone, Copy, Debug)]
pub struct Stalled<'a> {
    /// Who the item waits for now.
    pub assignee: &'a str,
    pub identity_id: &'a str,
    pub identity_email: Option<&'a str>,
    pub business_owner: Option<&'a str>,
    /// The campaign's owner.
    pub owner: &'a str,
}

/// Who an item past due goes to: its business owner, else the campaign
/// owner; never the identity itself, never who holds it now, never someone
/// `known` does not accept (a reassign's target must be known). `None`
/// when nobody qualifies, or when the item is the owner's already: the
/// owner escalates others' work, and nobody stands above the owner.
pub fn fallback(item: &Stalled<'_>, known: impl Fn(&str) -> bool) -> Option<String> {
    if same_person(item.assignee, item.owner) {
        return None;
    }
    [item.business_owner, Some(item.owner)]
        .into_iter()
        .flatten()
        .map(person_key)
        .find(|who| {
            !who.is_empty()
                && !same_person(who, item.assignee)
                && !is_self_review(item.identity_id, item.identity_email, who)
                && known(who)
        })
        .map(|who| who.into_owned())
}

/// Owner-only work on a campaign (escalating, reminding): anyone's in a
/// personal database, the campaign owner's only in a shared one.
pub fn require_owner(
    mode: Mode,
    actor: &Actor,
    campaign: &str,
    owner: &str,
    what: &str,
) -> Result<(), Refusal> {
    if mode == Mode::Personal || same_person(&actor.email, owner) {
        return Ok(());
    }
    Err(Refusal::NotAllowed(format!(
        "{what} campaign {campaign:?} is for its owner, {owner}, in a shared database; {} is not \
         the owner",
        actor.email
    )))
}

/// A campaign's recorded cancellation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Cancellation {
    pub seq: i64,
    pub by: String,
    pub at: String,
    pub note: String,
}

/// What a cancellation is asked of.
#[derive(Clone, Copy, Debug)]
pub struct CancelFacts<'a> {
    pub campaign: &'a str,
    pub state: CampaignState,
    pub mode: Mode,
    pub owner: &'a str,
    pub cancelled: Option<&'a Cancellation>,
}

/// Whether `actor` may cancel the campaign with `note`: its owner or an
/// admin (anyone in a personal database), with a note saying why, while
/// it is not closed (a closed campaign's outcomes stand) or cancelled.
pub fn may_cancel(facts: &CancelFacts<'_>, actor: &Actor, note: &str) -> Result<(), Refusal> {
    if let Some(earlier) = facts.cancelled {
        return Err(cancelled(facts.campaign, earlier, "cancellations"));
    }
    if facts.state == CampaignState::Closed {
        return Err(Refusal::WrongState(format!(
            "campaign {:?} is closed: its outcomes stand, and a closed campaign cannot be \
             cancelled",
            facts.campaign
        )));
    }
    if facts.mode == Mode::Shared
        && !same_person(&actor.email, facts.owner)
        && !actor.has(Role::Admin)
    {
        return Err(Refusal::NotAllowed(format!(
            "only the owner of campaign {:?} ({}) or an admin may cancel it; {} is neither",
            facts.campaign, facts.owner, actor.email
        )));
    }
    if note.trim().is_empty() {
        return Err(Refusal::invalid(
            "note",
            "a cancellation needs a note saying why the campaign ends",
        ));
    }
    Ok(())
}

/// The refusal of anything (`what`: "decisions", "sign-offs", "closes")
/// asked of a cancelled campaign: by whom and when it ended.
pub fn cancelled(campaign: &str, cancellation: &Cancellation, what: &str) -> Refusal {
    Refusal::WrongState(format!(
        "campaign {campaign:?} was cancelled by {} on {} (event {}): it takes no more {what}",
        cancellation.by, cancellation.at, cancellation.seq
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roster::Established;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn known(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_delegation_goes_to_someone_known_else_and_not_into_the_past() {
        let people = known(&["d.moreau@x", "e.hartley@x"]);
        let today = day("2026-11-22");
        assert!(may_delegate("e.hartley@x", "D.Moreau@x", today, today, &people).is_ok());
        let to_self = may_delegate("e.hartley@x", "E.Hartley@x", today, today, &people);
        assert!(matches!(to_self, Err(Refusal::Invalid { field: "to", .. })));
        let past = may_delegate(
            "e.hartley@x",
            "d.moreau@x",
            day("2026-11-21"),
            today,
            &people,
        );
        assert!(matches!(past, Err(Refusal::Invalid { field: "until", .. })));
        let unknown = may_delegate("e.hartley@x", "d.moreu@x", today, today, &people)
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("did you mean d.moreau@x"), "{unknown}");
    }

    #[test]
    fn items_escalate_only_once_the_grace_after_the_due_day_has_passed() {
        let due = day("2026-11-15");
        assert_eq!(days_overdue(due, day("2026-11-14")), 0);
        assert_eq!(days_overdue(due, day("2026-11-22")), 7);
        assert!(!escalates(due, 7, day("2026-11-22")));
        assert!(escalates(due, 6, day("2026-11-22")));
        assert!(!escalates(due, 0, due));
        assert!(had_its_time(None, 7, day("2026-11-22")));
        assert!(!had_its_time(Some(day("2026-11-15")), 7, day("2026-11-22")));
        assert!(had_its_time(Some(day("2026-11-14")), 7, day("2026-11-22")));
    }

    fn stalled<'a>(assignee: &'a str, business_owner: Option<&'a str>) -> Stalled<'a> {
        Stalled {
            assignee,
            identity_id: "akowalski",
            identity_email: Some("a.kowalski@x"),
            business_owner,
            owner: "owner@x",
        }
    }

    #[test]
    fn an_escalation_goes_to_the_business_owner_then_the_owner_never_the_identity() {
        let anyone = |_: &str| true;
        assert_eq!(
            fallback(&stalled("lee@x", Some("BO@x")), anyone).as_deref(),
            Some("bo@x")
        );
        assert_eq!(
            fallback(&stalled("bo@x", Some("bo@x")), anyone).as_deref(),
            Some("owner@x"),
            "never the same reviewer"
        );
        assert_eq!(
            fallback(&stalled("lee@x", Some("A.Kowalski@x")), anyone).as_deref(),
            Some("owner@x"),
            "never the identity itself"
        );
        assert_eq!(
            fallback(&stalled("lee@x", Some("stranger@x")), |w| w != "stranger@x").as_deref(),
            Some("owner@x"),
            "never someone a reassign may not name"
        );
        assert_eq!(fallback(&stalled("Owner@x", Some("bo@x")), anyone), None);
        let identity_owns = Stalled {
            owner: "akowalski",
            ..stalled("lee@x", None)
        };
        assert_eq!(fallback(&identity_owns, anyone), None, "nobody qualifies");
    }

    fn actor(email: &str, roles: &[Role]) -> Actor {
        Actor {
            email: email.into(),
            via: Established::Asserted,
            roles: roles.iter().copied().collect(),
        }
    }

    #[test]
    fn owner_work_is_the_owners_in_a_shared_database() {
        let lee = actor("lee@x", &[Role::Admin]);
        assert!(require_owner(Mode::Personal, &lee, "Q4", "owner@x", "escalating").is_ok());
        let refused = require_owner(Mode::Shared, &lee, "Q4", "owner@x", "escalating")
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("escalating campaign \"Q4\" is for its owner, owner@x"),
            "{refused}"
        );
        assert!(require_owner(Mode::Shared, &actor("OWNER@x", &[]), "Q4", "owner@x", "x").is_ok());
    }

    #[test]
    fn the_owner_or_an_admin_cancels_with_a_note_and_only_once() {
        let facts = CancelFacts {
            campaign: "Q4",
            state: CampaignState::Open,
            mode: Mode::Shared,
            owner: "owner@x",
            cancelled: None,
        };
        assert!(may_cancel(&facts, &actor("Owner@x", &[]), "made by mistake").is_ok());
        assert!(may_cancel(&facts, &actor("dana@x", &[Role::Admin]), "wrong scope").is_ok());
        let refused = may_cancel(&facts, &actor("lee@x", &[Role::Auditor]), "x").unwrap_err();
        assert!(
            matches!(&refused, Refusal::NotAllowed(m) if m.contains("owner of campaign \"Q4\" (owner@x) or an admin")),
            "{refused}"
        );
        let personal = CancelFacts {
            mode: Mode::Personal,
            ..facts
        };
        assert!(may_cancel(&personal, &actor("lee@x", &[]), "mine").is_ok());
        assert!(matches!(
            may_cancel(&facts, &actor("owner@x", &[]), "  "),
            Err(Refusal::Invalid { field: "note", .. })
        ));
        let closed = CancelFacts {
            state: CampaignState::Closed,
            ..facts
        };
        assert!(matches!(
            may_cancel(&closed, &actor("owner@x", &[]), "x"),
            Err(Refusal::WrongState(_))
        ));
        let earlier = Cancellation {
            seq: 9,
            by: "owner@x".into(),
            at: "2026-11-20T09:00:00Z".into(),
            note: "mistake".into(),
        };
        let again = CancelFacts {
            cancelled: Some(&earlier),
            state: CampaignState::Cancelled,
            ..facts
        };
        let refused = may_cancel(&again, &actor("owner@x", &[]), "x").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "campaign \"Q4\" was cancelled by owner@x on 2026-11-20T09:00:00Z (event 9): it \
             takes no more cancellations"
        );
    }
}
