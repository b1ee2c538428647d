//! Where creation finds each value of an item's evidence (`EVIDENCE`, in
//! `campaigns`): the identity's part, read once per identity, and the
//! grant's, read with each grant. The digest covers the values in
//! `EVIDENCE`'s order, however they were read.

use crate::store::effective::{
    EFFECTIVE_EMAIL, EFFECTIVE_ORGANIZATION, EFFECTIVE_RELATIONSHIP, EFFECTIVE_SPONSOR,
};

/// Positions within `EVIDENCE`.
pub(super) mod at {
    pub const IDENTITY_ID: usize = 1;
    pub const KIND: usize = 3;
    pub const RELATIONSHIP: usize = 4;
    pub const ORGANIZATION: usize = 5;
    pub const REGION: usize = 6;
    pub const SPONSOR: usize = 7;
    pub const EMAIL: usize = 8;
    pub const PRIVILEGED: usize = 12;
    pub const SHARED: usize = 13;
    pub const BUSINESS_OWNER: usize = 14;
    pub const TECHNICAL_OWNER: usize = 15;
    pub const JUSTIFICATION: usize = 16;
    pub const GRANTED: usize = 17;
    pub const EXPIRES: usize = 18;
    pub const LAST_USED: usize = 19;
    pub const ROTATED: usize = 20;
    pub const ACTIVE: usize = 22;
    pub const CONTRACT_END: usize = 23;
}

/// Where creation finds each value of `EVIDENCE`. The identity's part is
/// read once per identity rather than joined to each of its grants; the
/// owners are the grant's when it names them, else the register's, as
/// `coalesce` has it in the SQL (a test holds the two definitions together).
#[derive(Clone, Copy, Debug)]
pub(super) enum Part {
    Identity(usize),
    Grant(usize),
    GrantElseIdentity(usize, usize),
}

/// The identity's (and its register entry's) part of the evidence.
pub(super) const IDENTITY_EVIDENCE: [&str; 12] = [
    "idn.tenant",
    "idn.identity_id",
    "idn.name",
    "idn.kind",
    EFFECTIVE_RELATIONSHIP,
    EFFECTIVE_ORGANIZATION,
    "idn.region",
    EFFECTIVE_SPONSOR,
    EFFECTIVE_EMAIL,
    "r.business_owner",
    "r.technical_owner",
    "r.contract_end",
];

/// The grant's part of the evidence.
pub(super) const GRANT_EVIDENCE: [&str; 14] = [
    "e.system",
    "e.environment",
    "e.name",
    "e.privileged",
    "e.shared",
    "e.business_owner",
    "e.technical_owner",
    "e.justification",
    "e.granted_at",
    "e.expires_at",
    "e.last_used_at",
    "e.credential_rotated_at",
    "e.ticket",
    "e.active",
];

/// `EVIDENCE`, value by value, in terms of the two parts.
pub(super) const PARTS: [Part; 24] = {
    use Part::{Grant, GrantElseIdentity, Identity};
    [
        Identity(0),
        Identity(1),
        Identity(2),
        Identity(3),
        Identity(4),
        Identity(5),
        Identity(6),
        Identity(7),
        Identity(8),
        Grant(0),
        Grant(1),
        Grant(2),
        Grant(3),
        Grant(4),
        GrantElseIdentity(5, 9),
        GrantElseIdentity(6, 10),
        Grant(7),
        Grant(8),
        Grant(9),
        Grant(10),
        Grant(11),
        Grant(12),
        Grant(13),
        Identity(11),
    ]
};

/// The first values of `EVIDENCE` all come from the identity, in order:
/// every item of one identity begins its evidence with the same bytes.
pub(super) const IDENTITY_HEAD: usize = 9;

/// The cell of `IDENTITY_EVIDENCE` that value `at` of `EVIDENCE` is.
pub(super) const fn identity_cell(at: usize) -> usize {
    match PARTS[at] {
        Part::Identity(n) => n,
        _ => panic!("not the identity's value"),
    }
}

// What `Known` takes once per identity must be the identity's, and the
// head its first values in order: a change to `PARTS` that breaks either
// fails the build rather than the digests.
const _: () = {
    let mut at = 0;
    while at < IDENTITY_HEAD {
        assert!(identity_cell(at) == at);
        at += 1;
    }
    identity_cell(at::IDENTITY_ID);
    identity_cell(at::KIND);
    identity_cell(at::RELATIONSHIP);
    identity_cell(at::SPONSOR);
    identity_cell(at::EMAIL);
    identity_cell(at::CONTRACT_END);
};

/// Positions within `IDENTITY_EVIDENCE` that say who a person is.
pub(super) mod cell {
    pub const TENANT: usize = 0;
    pub const IDENTITY_ID: usize = 1;
    pub const EMAIL: usize = 8;
}
