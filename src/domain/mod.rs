//! The recertification domain as plain Rust: identities and their grants,
//! campaigns, decisions, risk insights and the policy that tunes them.
//! Nothing here touches a database, a terminal or the clock.

pub mod campaign;
pub mod carried;
pub mod catalog;
pub mod date;
pub mod decision;
pub mod filter;
pub mod flags;
pub mod framework;
pub mod insight;
pub mod model;
pub mod people;
pub mod policy;
pub mod register;
pub mod remediation;
pub mod roster;
pub mod rotation;
pub mod signals;
pub mod sod;
pub mod ssh;
pub mod text;

pub use campaign::{CampaignState, OnClose, ReviewerRule};
pub use date::Stamp;
pub use decision::{Decision, DecisionKind, ItemState, Recommendation};
pub use filter::{Field, Filter, FilterError};
pub use flags::{Flag, FlagSet};
pub use model::{EntitlementRecord, IdentityKind, Relationship};
pub use policy::{Cadence, Policy};
pub use remediation::RemediationStatus;
