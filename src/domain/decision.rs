//! Decisions on items and how an item's history resolves to its current
//! state: decisions stack, and an undo pops the latest one.

use super::model::vocabulary;
use chrono::NaiveDate;
use std::fmt;
use std::str::FromStr;

vocabulary!(
    /// The kinds of event a reviewer records on an item.
    DecisionKind {
        Attest => "attest",
        Revoke => "revoke",
        Exception => "exception",
        Reassign => "reassign",
        Undo => "undo",
        Rotate => "rotate",
    }
);

/// A reviewer's call on one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Attest,
    Revoke,
    /// Keep until a date, with the ticket that approved it if there is one.
    Exception {
        until: NaiveDate,
        ticket: Option<String>,
    },
    /// Hand the item to another reviewer.
    Reassign {
        to: String,
    },
    /// Keep the grant, and rotate its credential by a date (the last day).
    Rotate {
        by: NaiveDate,
    },
}

impl Decision {
    pub fn kind(&self) -> DecisionKind {
        match self {
            Decision::Attest => DecisionKind::Attest,
            Decision::Revoke => DecisionKind::Revoke,
            Decision::Exception { .. } => DecisionKind::Exception,
            Decision::Reassign { .. } => DecisionKind::Reassign,
            Decision::Rotate { .. } => DecisionKind::Rotate,
        }
    }

    /// Whether the item counts as reviewed; a reassigned item waits for its
    /// new reviewer.
    pub fn is_final(&self) -> bool {
        !matches!(self, Decision::Reassign { .. })
    }
}

/// A decision's fields as text, beside its kind: the command line's
/// options, or a decisions file's columns (`until,ticket,to,by`). Blank is
/// absent.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecisionFields<'a> {
    pub until: Option<&'a str>,
    pub ticket: Option<&'a str>,
    pub to: Option<&'a str>,
    pub by: Option<&'a str>,
}

/// Why a decision could not be built from its fields: the field, and what
/// is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

impl Decision {
    /// The decision of `kind` with `fields`; `None` is an undo. The one
    /// place a decision's kind and fields become a decision, whether they
    /// come from the command line or a file.
    pub fn from_fields(
        kind: DecisionKind,
        fields: &DecisionFields<'_>,
    ) -> Result<Option<Decision>, FieldProblem> {
        fn present(value: Option<&str>) -> Option<&str> {
            value.map(str::trim).filter(|v| !v.is_empty())
        }
        let day = |field: &'static str, value: Option<&str>, what: &str| match present(value) {
            None => Err(FieldProblem {
                field,
                message: format!("{} needs {what}", kind.as_str()),
            }),
            Some(text) => super::date::parse_input_day(text).map_err(|e| FieldProblem {
                field,
                message: match e {
                    super::date::StampError::Malformed(_) => {
                        format!("{text:?}: expected a date as YYYY-MM-DD")
                    }
                    e => e.to_string(),
                },
            }),
        };
        Ok(Some(match kind {
            DecisionKind::Attest => Decision::Attest,
            DecisionKind::Revoke => Decision::Revoke,
            DecisionKind::Exception => Decision::Exception {
                until: day("until", fields.until, "the last day access is kept (until)")?,
                ticket: present(fields.ticket).map(str::to_string),
            },
            DecisionKind::Reassign => Decision::Reassign {
                // Left as typed: the rules trim it and name what is wrong.
                to: fields.to.unwrap_or_default().to_string(),
            },
            DecisionKind::Rotate => Decision::Rotate {
                by: day("by", fields.by, "the day the credential is rotated by (by)")?,
            },
            DecisionKind::Undo => return Ok(None),
        }))
    }
}

/// One recorded event in an item's history, in sequence order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub seq: i64,
    pub action: Option<Decision>,
}

impl Recorded {
    pub fn decision(seq: i64, decision: Decision) -> Recorded {
        Recorded {
            seq,
            action: Some(decision),
        }
    }

    pub fn undo(seq: i64) -> Recorded {
        Recorded { seq, action: None }
    }
}

/// Where an item stands after its history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemState {
    /// The decision in force, if any.
    pub decision: Option<Decision>,
    /// The event that made that decision.
    pub decided_by_event: Option<i64>,
    /// Who the item is waiting for (or who holds it) now.
    pub assignee: String,
}

impl ItemState {
    /// Replays `history` (in sequence order) over the item's initial reviewer.
    pub fn replay(initial_reviewer: &str, history: &[Recorded]) -> ItemState {
        let stack = effective_stack(history);
        let assignee = stack
            .iter()
            .rev()
            .find_map(|r| match &r.action {
                Some(Decision::Reassign { to }) => Some(to.clone()),
                _ => None,
            })
            .unwrap_or_else(|| initial_reviewer.to_string());
        let top = stack.last();
        ItemState {
            decision: top.and_then(|r| r.action.clone()),
            decided_by_event: top.map(|r| r.seq),
            assignee,
        }
    }

    pub fn label(&self) -> &'static str {
        state_label(self.decision.as_ref().map(Decision::kind))
    }
}

/// The event an undo appended now would revert, if there is one.
pub fn undo_target(history: &[Recorded]) -> Option<i64> {
    effective_stack(history).last().map(|r| r.seq)
}

fn effective_stack(history: &[Recorded]) -> Vec<&Recorded> {
    let mut stack = Vec::new();
    for event in history {
        if event.action.is_some() {
            stack.push(event);
        } else {
            stack.pop();
        }
    }
    stack
}

/// The word for an item's state, the same on screen, in the CLI and reports.
pub fn state_label(kind: Option<DecisionKind>) -> &'static str {
    match kind {
        None | Some(DecisionKind::Undo) => "undecided",
        Some(DecisionKind::Attest) => "attested",
        Some(DecisionKind::Revoke) => "revoked",
        Some(DecisionKind::Exception) => "exception",
        Some(DecisionKind::Reassign) => "reassigned",
        Some(DecisionKind::Rotate) => "rotate",
    }
}

/// What the insights suggest doing with an item, strongest first; an item
/// without flags is kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recommendation {
    Revoke,
    /// Of two grants that policy keeps apart (segregation of duties).
    RevokeOneOfPair,
    RotateOrRevoke,
    ReassignOrRevoke,
    Classify,
    /// An external grant nobody justified.
    AskSponsor,
    /// An external grant that never ends.
    SetEndDate,
    ReviewWithCare,
    #[default]
    Keep,
}

impl Recommendation {
    pub const ALL: &'static [Recommendation] = &[
        Recommendation::Revoke,
        Recommendation::RevokeOneOfPair,
        Recommendation::RotateOrRevoke,
        Recommendation::ReassignOrRevoke,
        Recommendation::Classify,
        Recommendation::AskSponsor,
        Recommendation::SetEndDate,
        Recommendation::ReviewWithCare,
        Recommendation::Keep,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Revoke => "revoke",
            Recommendation::RevokeOneOfPair => "revoke_one_of_pair",
            Recommendation::AskSponsor => "ask_sponsor",
            Recommendation::SetEndDate => "set_end_date",
            Recommendation::RotateOrRevoke => "rotate_or_revoke",
            Recommendation::ReassignOrRevoke => "reassign_or_revoke",
            Recommendation::Classify => "classify",
            Recommendation::ReviewWithCare => "review_with_care",
            Recommendation::Keep => "keep",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Recommendation::Revoke => "revoke",
            Recommendation::RevokeOneOfPair => "revoke one of the pair",
            Recommendation::AskSponsor => "ask the sponsor",
            Recommendation::SetEndDate => "set an end date",
            Recommendation::RotateOrRevoke => "rotate or revoke",
            Recommendation::ReassignOrRevoke => "reassign or revoke",
            Recommendation::Classify => "classify the identity",
            Recommendation::ReviewWithCare => "review with care",
            Recommendation::Keep => "keep",
        }
    }

    /// Recommendations that an attest goes against.
    pub fn suggests_revoke(self) -> bool {
        matches!(
            self,
            Recommendation::Revoke
                | Recommendation::RevokeOneOfPair
                | Recommendation::RotateOrRevoke
                | Recommendation::ReassignOrRevoke
        )
    }
}

impl FromStr for Recommendation {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Recommendation::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| format!("{text:?} is not a recommendation"))
    }
}

impl fmt::Display for Recommendation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn latest_decision_is_in_force() {
        let history = [
            Recorded::decision(1, Decision::Attest),
            Recorded::decision(2, Decision::Revoke),
        ];
        let state = ItemState::replay("rev@x", &history);
        assert_eq!(state.decision, Some(Decision::Revoke));
        assert_eq!(state.decided_by_event, Some(2));
        assert_eq!(state.label(), "revoked");
    }

    #[test]
    fn undo_reverts_to_the_decision_before() {
        let mut history = vec![
            Recorded::decision(1, Decision::Attest),
            Recorded::decision(
                2,
                Decision::Exception {
                    until: day(31),
                    ticket: None,
                },
            ),
        ];
        assert_eq!(undo_target(&history), Some(2));
        history.push(Recorded::undo(3));
        assert_eq!(
            ItemState::replay("r", &history).decision,
            Some(Decision::Attest)
        );
        history.push(Recorded::undo(4));
        let state = ItemState::replay("r", &history);
        assert_eq!(state.decision, None);
        assert_eq!(state.label(), "undecided");
        assert_eq!(undo_target(&history), None, "nothing left to undo");
    }

    #[test]
    fn reassign_moves_the_item_and_undo_moves_it_back() {
        let mut history = vec![Recorded::decision(
            1,
            Decision::Reassign { to: "b@x".into() },
        )];
        let state = ItemState::replay("a@x", &history);
        assert_eq!(state.assignee, "b@x");
        assert!(!state.decision.as_ref().unwrap().is_final());
        history.push(Recorded::decision(2, Decision::Attest));
        assert_eq!(ItemState::replay("a@x", &history).assignee, "b@x");
        history.push(Recorded::undo(3));
        history.push(Recorded::undo(4));
        assert_eq!(ItemState::replay("a@x", &history).assignee, "a@x");
    }

    #[test]
    fn recommendations_order_strongest_first() {
        assert!(Recommendation::Revoke < Recommendation::ReviewWithCare);
        assert!(Recommendation::RotateOrRevoke.suggests_revoke());
        assert!(!Recommendation::Classify.suggests_revoke());
        for r in Recommendation::ALL {
            assert_eq!(r.as_str().parse::<Recommendation>().unwrap(), *r);
        }
    }
}
