//! One decision on one item: whether it may be recorded, and the facts its
//! event records beside it (self-review, against the recommendation).

use super::Refusal;
use crate::domain::insight::is_self_review;
use crate::domain::people::{person_key, same_person};
use crate::domain::rotation;
use crate::domain::{CampaignState, Decision, DecisionKind, Flag, FlagSet, Policy, Recommendation};
use chrono::NaiveDate;

/// The campaign a decision is asked of, as the rules need it.
#[derive(Clone, Copy, Debug)]
pub struct CampaignFacts<'a> {
    pub name: &'a str,
    pub state: CampaignState,
    pub policy: &'a Policy,
}

/// The item a decision is asked of.
#[derive(Clone, Copy, Debug)]
pub struct ItemFacts<'a> {
    pub id: i64,
    pub flags: FlagSet,
    pub recommendation: Recommendation,
    pub identity_id: &'a str,
    pub identity_email: Option<&'a str>,
    /// Who the item waits for now: its reviewer, or whom it was reassigned to.
    pub assignee: &'a str,
    /// The event an undo would revert, if any decision is in force.
    pub undo_target: Option<i64>,
    /// The grant holds a credential a rotate can promise to rotate
    /// (`rotation::holds_credential`).
    pub credential: bool,
}

/// What is asked: a decision (`None`: undo the one in force) with its note.
#[derive(Clone, Copy, Debug)]
pub struct Proposal<'a> {
    pub decision: Option<&'a Decision>,
    pub note: Option<&'a str>,
    pub actor: &'a str,
    /// The day exception bounds are counted from.
    pub today: NaiveDate,
}

impl Proposal<'_> {
    pub fn kind(&self) -> DecisionKind {
        self.decision.map_or(DecisionKind::Undo, Decision::kind)
    }

    /// The note as recorded: trimmed, and absent when blank.
    pub fn note(&self) -> Option<&str> {
        self.note.map(str::trim).filter(|n| !n.is_empty())
    }
}

/// What the rules allow, with the facts the event records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub kind: DecisionKind,
    /// The decider decides on their own access.
    pub self_review: bool,
    /// Access kept although the insights recommend taking it away.
    pub against_recommendation: bool,
    /// For an undo: the event it reverts.
    pub undoes: Option<i64>,
    /// For a reassign: the reviewer it goes to, trimmed.
    pub reassign_to: Option<String>,
}

/// Whether `proposal` may be recorded on `item` of `campaign`.
pub fn check(
    campaign: &CampaignFacts<'_>,
    item: &ItemFacts<'_>,
    proposal: &Proposal<'_>,
) -> Result<Verdict, Refusal> {
    accepts_decisions(campaign)?;
    let kind = proposal.kind();
    if proposal.note().is_none()
        && let Some(reason) = note_required(campaign.policy, kind, item.flags, item.recommendation)
    {
        return Err(Refusal::invalid(
            "note",
            format!("item {}: {reason}", item.id),
        ));
    }
    let mut verdict = Verdict {
        kind,
        self_review: is_self_review(item.identity_id, item.identity_email, proposal.actor),
        against_recommendation: keeps_against(kind, item.recommendation),
        undoes: None,
        reassign_to: None,
    };
    match proposal.decision {
        None => {
            let target = item.undo_target.ok_or_else(|| {
                Refusal::Nothing(format!("item {} has no decision to undo", item.id))
            })?;
            verdict.undoes = Some(target);
        }
        Some(Decision::Exception { until, .. }) => {
            exception_end(*until, proposal.today, campaign.policy)
                .map_err(|msg| Refusal::invalid("until", format!("item {}: {msg}", item.id)))?;
        }
        Some(Decision::Reassign { to }) => {
            verdict.reassign_to = Some(reassign_target(item, to)?);
        }
        Some(Decision::Rotate { by }) => {
            if !item.credential {
                return Err(Refusal::invalid(
                    "decision",
                    format!(
                        "item {}: rotate is for credentials (an api_key or service_account, or a \
                         grant with a credential rotation date), and this grant has none: \
                         attest or revoke it",
                        item.id
                    ),
                ));
            }
            rotation::check_by(*by, proposal.today, campaign.policy)
                .map_err(|msg| Refusal::invalid("by", format!("item {}: {msg}", item.id)))?;
        }
        Some(Decision::Attest | Decision::Revoke) => {}
    }
    Ok(verdict)
}

/// Whether a decision of `kind` keeps access the insights say should go: an
/// attest against any revoke, a rotate against one that a rotation does not
/// answer (dormant, expired, no sponsor…).
pub fn keeps_against(kind: DecisionKind, recommendation: Recommendation) -> bool {
    match kind {
        DecisionKind::Attest => recommendation.suggests_revoke(),
        DecisionKind::Rotate => {
            recommendation.suggests_revoke() && recommendation != Recommendation::RotateOrRevoke
        }
        _ => false,
    }
}

/// Only an open campaign takes decisions: what was signed stays what was
/// signed.
pub fn accepts_decisions(campaign: &CampaignFacts<'_>) -> Result<(), Refusal> {
    match campaign.state {
        CampaignState::Open => Ok(()),
        state => Err(Refusal::WrongState(format!(
            "campaign {:?} is {state}: it no longer accepts decisions",
            campaign.name
        ))),
    }
}

/// A reassign names someone other than who holds the item now; the target
/// is kept as people are kept, so that their queue finds it.
fn reassign_target(item: &ItemFacts<'_>, to: &str) -> Result<String, Refusal> {
    let to = person_key(to);
    if to.is_empty() {
        return Err(Refusal::invalid(
            "to",
            format!(
                "item {}: reassign needs the reviewer to hand it to",
                item.id
            ),
        ));
    }
    if !crate::domain::text::draws_as_is(&to) {
        return Err(Refusal::invalid(
            "to",
            format!(
                "item {}: the reviewer to hand it to, \"{}\", holds a control character or one \
                 that draws nothing",
                item.id,
                crate::domain::text::sanitize(&to)
            ),
        ));
    }
    if same_person(&to, item.assignee) {
        return Err(Refusal::invalid(
            "to",
            format!("item {} is already assigned to {to}", item.id),
        ));
    }
    Ok(to.into_owned())
}

/// Why a note is required for a decision of `kind` on an item with these
/// flags and this recommendation, or `None` when it is optional.
pub fn note_required(
    policy: &Policy,
    kind: DecisionKind,
    flags: FlagSet,
    recommendation: Recommendation,
) -> Option<&'static str> {
    let rules = &policy.notes;
    match kind {
        DecisionKind::Revoke if rules.revoke => return Some("a revoke needs a note"),
        DecisionKind::Exception if rules.exception => return Some("an exception needs a note"),
        DecisionKind::Reassign if rules.reassign => return Some("a reassign needs a note"),
        DecisionKind::Rotate if rules.rotate => return Some("a rotate needs a note"),
        DecisionKind::Undo => return None,
        _ => {}
    }
    if rules.self_review && flags.contains(Flag::SelfReview) {
        return Some("you are reviewing your own access: say why");
    }
    if rules.privileged && flags.contains(Flag::Privileged) {
        return Some("privileged access needs a note");
    }
    if rules.attest_against_revoke && keeps_against(kind, recommendation) {
        return Some("keeping access against the recommendation needs a note");
    }
    None
}

/// An exception must end in the future, within the policy's maximum.
pub fn exception_end(until: NaiveDate, today: NaiveDate, policy: &Policy) -> Result<(), String> {
    let latest = today + chrono::Duration::days(policy.exception_max_days);
    if until < today {
        Err(format!("the exception end {until} is in the past"))
    } else if until > latest {
        Err(format!(
            "the exception end {until} is beyond the policy maximum of {} days ({latest})",
            policy.exception_max_days
        ))
    } else {
        Ok(())
    }
}

/// Whether recording a decision now would replace one in force that
/// someone else made: `decided_by` made the decision in force (of `kind`).
/// A reassigned item waits for its next reviewer, so it is not one.
pub fn replaces_anothers(
    kind: Option<DecisionKind>,
    decided_by: Option<&str>,
    actor: &str,
) -> bool {
    match (kind, decided_by) {
        (Some(kind), Some(by)) => kind != DecisionKind::Reassign && !same_person(by, actor),
        _ => false,
    }
}

/// Why a decision on many marked items leaves one of them alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeftAlone {
    /// Someone recorded something on it after it was marked: the bulk note
    /// was not written with that in view.
    ChangedSinceMarked,
    /// An undo, and nothing is in force.
    NothingToUndo,
    /// A reassign to the person who already holds it.
    AlreadyAssigned,
}

/// A marked item as a bulk decision meets it.
#[derive(Clone, Copy, Debug)]
pub struct Marked<'a> {
    pub last_event: Option<i64>,
    pub decided_event: Option<i64>,
    pub assignee: &'a str,
}

/// Whether a bulk decision of `kind` (a reassign to `reassign_to`), marked
/// when the log's head was `marked_at`, leaves `item` alone.
pub fn left_alone(
    item: &Marked<'_>,
    marked_at: i64,
    kind: DecisionKind,
    reassign_to: Option<&str>,
) -> Option<LeftAlone> {
    if item.last_event.is_some_and(|e| e > marked_at) {
        Some(LeftAlone::ChangedSinceMarked)
    } else if kind == DecisionKind::Undo && item.decided_event.is_none() {
        Some(LeftAlone::NothingToUndo)
    } else if reassign_to.is_some_and(|to| same_person(to, item.assignee)) {
        Some(LeftAlone::AlreadyAssigned)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Flag;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn open(policy: &Policy) -> CampaignFacts<'_> {
        CampaignFacts {
            name: "Q4",
            state: CampaignState::Open,
            policy,
        }
    }

    fn item() -> ItemFacts<'static> {
        ItemFacts {
            id: 7,
            flags: FlagSet::default(),
            recommendation: Recommendation::Keep,
            identity_id: "kwame",
            identity_email: Some("kwame@partner.example"),
            assignee: "sponsor@x",
            undo_target: None,
            credential: false,
        }
    }

    fn proposal<'a>(decision: Option<&'a Decision>, note: Option<&'a str>) -> Proposal<'a> {
        Proposal {
            decision,
            note,
            actor: "sponsor@x",
            today: day("2026-11-22"),
        }
    }

    #[test]
    fn a_signed_off_or_closed_campaign_takes_no_decision() {
        let policy = Policy::default();
        for state in [CampaignState::SignedOff, CampaignState::Closed] {
            let campaign = CampaignFacts {
                state,
                ..open(&policy)
            };
            let refused = check(&campaign, &item(), &proposal(Some(&Decision::Attest), None));
            assert!(
                matches!(&refused, Err(Refusal::WrongState(m)) if m.contains("no longer accepts")),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn a_note_is_required_where_the_policy_says_and_blank_is_no_note() {
        let policy = Policy::default();
        let refused = check(
            &open(&policy),
            &item(),
            &proposal(Some(&Decision::Revoke), Some("  ")),
        );
        assert_eq!(
            refused,
            Err(Refusal::invalid("note", "item 7: a revoke needs a note"))
        );
        assert!(
            check(
                &open(&policy),
                &item(),
                &proposal(Some(&Decision::Revoke), Some("gone"))
            )
            .is_ok()
        );
        assert!(
            check(
                &open(&policy),
                &item(),
                &proposal(Some(&Decision::Attest), None)
            )
            .is_ok()
        );
    }

    #[test]
    fn an_undo_needs_a_decision_in_force_and_names_it() {
        let policy = Policy::default();
        assert_eq!(
            check(&open(&policy), &item(), &proposal(None, None)),
            Err(Refusal::Nothing("item 7 has no decision to undo".into()))
        );
        let decided = ItemFacts {
            undo_target: Some(41),
            ..item()
        };
        assert_eq!(
            check(&open(&policy), &decided, &proposal(None, None))
                .unwrap()
                .undoes,
            Some(41)
        );
    }

    #[test]
    fn exceptions_end_from_today_to_the_policy_maximum() {
        let policy = Policy::default();
        let today = day("2026-11-22");
        assert!(exception_end(today, today, &policy).is_ok(), "ending today");
        assert!(
            exception_end(day("2026-11-21"), today, &policy)
                .unwrap_err()
                .contains("in the past")
        );
        assert!(
            exception_end(day("2027-11-22"), today, &policy).is_ok(),
            "the last day"
        );
        assert!(
            exception_end(day("2027-11-23"), today, &policy)
                .unwrap_err()
                .contains("365 days")
        );
        let long = Decision::Exception {
            until: day("2120-01-01"),
            ticket: None,
        };
        let refused = check(&open(&policy), &item(), &proposal(Some(&long), Some("why")));
        assert!(matches!(
            refused,
            Err(Refusal::Invalid { field: "until", .. })
        ));
    }

    #[test]
    fn a_reassign_names_someone_else() {
        let policy = Policy::default();
        let to = |to: &str| Decision::Reassign { to: to.into() };
        for (target, expected) in [
            ("  ", "reassign needs the reviewer"),
            (" Sponsor@X ", "already assigned to sponsor@x"),
            (
                "sponsor\u{200b}@x",
                r#""sponsor\u{200b}@x", holds a control character"#,
            ),
        ] {
            let decision = to(target);
            let refused = check(
                &open(&policy),
                &item(),
                &proposal(Some(&decision), Some("n")),
            );
            assert!(
                matches!(&refused, Err(Refusal::Invalid { field: "to", message }) if message.contains(expected)),
                "{target:?}: {refused:?}"
            );
        }
        let decision = to(" it@x ");
        let verdict = check(
            &open(&policy),
            &item(),
            &proposal(Some(&decision), Some("n")),
        )
        .unwrap();
        assert_eq!(verdict.reassign_to.as_deref(), Some("it@x"));
    }

    #[test]
    fn self_review_and_keeping_against_the_advice_are_recorded() {
        let mut policy = Policy::default();
        policy.notes.self_review = false;
        policy.notes.attest_against_revoke = false;
        let own = ItemFacts {
            flags: [Flag::Dormant].into_iter().collect(),
            recommendation: Recommendation::Revoke,
            ..item()
        };
        let mut asked = proposal(Some(&Decision::Attest), None);
        asked.actor = "KWAME@partner.example";
        let verdict = check(&open(&policy), &own, &asked).unwrap();
        assert!(verdict.self_review);
        assert!(verdict.against_recommendation);
        asked.decision = Some(&Decision::Revoke);
        asked.note = Some("gone");
        let verdict = check(&open(&policy), &own, &asked).unwrap();
        assert!(
            !verdict.against_recommendation,
            "a revoke follows the advice"
        );
    }

    #[test]
    fn default_note_rules_follow_the_design() {
        use DecisionKind::*;
        let policy = Policy::default();
        let none = FlagSet::default();
        let keep = Recommendation::Keep;
        let needs = |kind, flags, recommendation| {
            note_required(&policy, kind, flags, recommendation).is_some()
        };
        assert!(!needs(Attest, none, keep));
        assert!(needs(Revoke, none, keep));
        assert!(needs(Exception, none, keep));
        assert!(needs(Reassign, none, keep));
        assert!(!needs(Undo, none, keep));
        assert!(needs(
            Attest,
            [Flag::Privileged].into_iter().collect(),
            keep
        ));
        assert!(needs(
            Attest,
            [Flag::SelfReview].into_iter().collect(),
            keep
        ));
        assert!(needs(Attest, none, Recommendation::Revoke));
        let mut relaxed = Policy::default();
        relaxed.notes.revoke = false;
        assert!(
            note_required(&relaxed, Revoke, none, keep).is_none(),
            "switched off"
        );
    }

    #[test]
    fn a_bulk_decision_leaves_alone_what_changed_or_needs_nothing() {
        use DecisionKind::*;
        let marked = Marked {
            last_event: Some(10),
            decided_event: None,
            assignee: "a@x",
        };
        assert_eq!(left_alone(&marked, 10, Attest, None), None);
        assert_eq!(
            left_alone(&marked, 9, Attest, None),
            Some(LeftAlone::ChangedSinceMarked)
        );
        assert_eq!(
            left_alone(&marked, 10, Undo, None),
            Some(LeftAlone::NothingToUndo)
        );
        assert_eq!(
            left_alone(&marked, 10, Reassign, Some(" A@X")),
            Some(LeftAlone::AlreadyAssigned)
        );
        assert_eq!(left_alone(&marked, 10, Reassign, Some("b@x")), None);
    }

    #[test]
    fn only_someone_elses_final_decision_is_replaced() {
        use DecisionKind::*;
        assert!(replaces_anothers(Some(Attest), Some("dana@x"), "me@x"));
        assert!(!replaces_anothers(Some(Attest), Some(" ME@x "), "me@x"));
        assert!(!replaces_anothers(Some(Reassign), Some("dana@x"), "me@x"));
        assert!(!replaces_anothers(None, None, "me@x"));
    }

    #[test]
    fn a_rotate_is_for_credentials_by_a_date_within_the_policy() {
        let policy = Policy::default();
        let rotate = |by: &str| Decision::Rotate { by: day(by) };
        let person = check(
            &open(&policy),
            &item(),
            &proposal(Some(&rotate("2026-12-15")), Some("n")),
        );
        assert!(
            matches!(&person, Err(Refusal::Invalid { field: "decision", message }) if message.contains("rotate is for credentials")),
            "{person:?}"
        );
        let key = ItemFacts {
            credential: true,
            recommendation: Recommendation::RotateOrRevoke,
            ..item()
        };
        // Decided on 2026-11-22: the day before, the day of and the day
        // after as the date, and the last day of the rotation period.
        for (by, allowed) in [
            ("2026-11-21", false),
            ("2026-11-22", false),
            ("2026-11-23", true),
            ("2027-02-20", true),
            ("2027-02-21", false),
        ] {
            let decision = rotate(by);
            let result = check(&open(&policy), &key, &proposal(Some(&decision), Some("n")));
            assert_eq!(result.is_ok(), allowed, "{by}: {result:?}");
            if let Err(refusal) = result {
                assert!(matches!(refusal, Refusal::Invalid { field: "by", .. }));
            }
        }
        let decision = rotate("2026-12-15");
        let verdict = check(&open(&policy), &key, &proposal(Some(&decision), Some("n"))).unwrap();
        assert_eq!(verdict.kind, DecisionKind::Rotate);
        assert!(
            !verdict.against_recommendation,
            "rotate follows rotate-or-revoke"
        );
        let dormant = ItemFacts {
            recommendation: Recommendation::Revoke,
            ..key
        };
        let verdict = check(
            &open(&policy),
            &dormant,
            &proposal(Some(&decision), Some("n")),
        )
        .unwrap();
        assert!(
            verdict.against_recommendation,
            "rotating keeps what should go"
        );
        assert_eq!(
            check(&open(&policy), &key, &proposal(Some(&decision), None)),
            Err(Refusal::invalid("note", "item 7: a rotate needs a note"))
        );
        let mut relaxed = Policy::default();
        relaxed.notes.rotate = false;
        assert!(check(&open(&relaxed), &key, &proposal(Some(&decision), None)).is_ok());
        assert!(
            check(&open(&relaxed), &dormant, &proposal(Some(&decision), None)).is_err(),
            "keeping against the advice still needs a note"
        );
    }

    #[test]
    fn a_rotate_is_built_from_its_by_field_as_a_file_row_would_give_it() {
        use crate::domain::decision::DecisionFields;
        let fields = DecisionFields {
            by: Some(" 2026-12-15 "),
            ..DecisionFields::default()
        };
        let kind: DecisionKind = "rotate".parse().unwrap();
        assert_eq!(
            Decision::from_fields(kind, &fields).unwrap(),
            Some(Decision::Rotate {
                by: day("2026-12-15")
            })
        );
        let missing = Decision::from_fields(kind, &DecisionFields::default()).unwrap_err();
        assert_eq!(missing.field, "by");
        let bad = DecisionFields {
            by: Some("15/12/2026"),
            ..DecisionFields::default()
        };
        let bad = Decision::from_fields(kind, &bad).unwrap_err();
        assert!(bad.message.contains("YYYY-MM-DD"), "{bad:?}");
    }
}
