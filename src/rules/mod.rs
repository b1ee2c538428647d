//! The process rules of a recertification, in one place: whether a
//! decision may be recorded and what its event must say, which decisions
//! need a note and how long an exception may run, who may sign a campaign
//! off or close it and what they must acknowledge, and what closing does
//! to an item nobody decided.
//!
//! Plain functions over domain facts. Storage gathers the facts a rule
//! needs, asks, and writes what the rule allows, in one transaction; a
//! refusal comes back as a [`Refusal`] that says what was refused and why,
//! in words for the person who asked. Nothing here reads a database, a
//! terminal or the clock, so every rule is unit-tested on its own.

pub mod authority;
pub mod closing;
pub mod decision;
pub mod refusal;
pub mod routing;
pub mod session;
pub mod signoff;
pub mod stalled;

pub use refusal::Refusal;
