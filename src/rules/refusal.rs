//! What a rule says when it refuses: the kind (so that callers can branch
//! on it) and the sentence a person reads.

/// A rule refused what was asked. The message is complete: callers show it
/// as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The campaign (or the part of it) is in a state that takes no more of
    /// this: signed off, closed.
    #[error("{0}")]
    WrongState(String),
    /// The person acting may not do this; the message says who may.
    #[error("{0}")]
    NotAllowed(String),
    /// What was asked is malformed or incomplete: a missing note, an
    /// exception end out of bounds, a count that does not match.
    #[error("{message}")]
    Invalid {
        /// What the problem is about, for callers that point at a field
        /// (`note`, `until`, `to`, `accept_undecided`, …).
        field: &'static str,
        message: String,
    },
    /// There is nothing for it to act on (an undo with no decision).
    #[error("{0}")]
    Nothing(String),
}

impl Refusal {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Refusal {
        Refusal::Invalid {
            field,
            message: message.into(),
        }
    }
}
