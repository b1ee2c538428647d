//! The SQL for an identity's effective attributes: the source's value when
//! it has one, else the identity register's. Fragments only, spliced into
//! the queries over identities (campaigns, filters, lists, verification);
//! a leaf, so that all of those can use it without using each other.

/// Joins the register entry describing `idn` (aliased `r`) into a query
/// over identities.
pub(crate) const REGISTER_JOIN: &str = " LEFT JOIN identity_register ir ON ir.identity = idn.key
    LEFT JOIN register_entry r ON r.id = ir.entry";

/// Effective attributes: the source's value when it has one, else the
/// register's. `unknown` is what sources say when they do not know.
pub(crate) const EFFECTIVE_RELATIONSHIP: &str = "(CASE WHEN idn.relationship = 'unknown'
    AND r.relationship IS NOT NULL THEN r.relationship ELSE idn.relationship END)";
pub(crate) const EFFECTIVE_ORGANIZATION: &str = "coalesce(idn.organization, r.organization)";
pub(crate) const EFFECTIVE_SPONSOR: &str = "coalesce(idn.sponsor, r.sponsor)";
pub(crate) const EFFECTIVE_EMAIL: &str = "coalesce(idn.email, r.email)";
pub(crate) const EFFECTIVE_BUSINESS_OWNER: &str = "coalesce(e.business_owner, r.business_owner)";
pub(crate) const EFFECTIVE_TECHNICAL_OWNER: &str = "coalesce(e.technical_owner, r.technical_owner)";
