//! The identity register: who an identity belongs to, kept by people
//! rather than reported by a system (the partner programme's "single
//! partner identity record"). It fills in what sources such as AWS IAM or
//! SCIM do not say: relationship, organization, sponsor, owners and when
//! the contract ends.

use super::date::Stamp;
use super::model::Relationship;

/// One row of the register. An empty `tenant` applies in every tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterEntry {
    pub tenant: String,
    pub identity_id: String,
    /// Also matches identities whose id is not this e-mail but who carry it
    /// (a SCIM guest, an AWS user named after the person).
    pub email: Option<String>,
    pub relationship: Option<Relationship>,
    pub organization: Option<String>,
    pub sponsor: Option<String>,
    pub business_owner: Option<String>,
    pub technical_owner: Option<String>,
    pub contract_end: Option<Stamp>,
    /// The partner tier the programme gives the identity's organization.
    pub tier: Option<String>,
}

impl RegisterEntry {
    pub fn new(identity_id: impl Into<String>) -> RegisterEntry {
        RegisterEntry {
            tenant: String::new(),
            identity_id: identity_id.into(),
            email: None,
            relationship: None,
            organization: None,
            sponsor: None,
            business_owner: None,
            technical_owner: None,
            contract_end: None,
            tier: None,
        }
    }
}

/// The key an identity id or e-mail is matched by: register entries and
/// sources rarely agree on case (the one form people are compared in).
pub fn match_key(text: &str) -> String {
    super::people::person_key(text).into_owned()
}

/// Which register entry describes an identity, most specific first: an
/// entry for its own tenant before one for every tenant, and within each a
/// match on the identity id before one on the e-mail. `find` looks up an
/// entry by (tenant, key) among entry ids and e-mails.
pub fn best_match<T: Copy>(
    tenant: &str,
    identity_id: &str,
    email: Option<&str>,
    find: impl Fn(&str, &str) -> Option<T>,
) -> Option<T> {
    let id = match_key(identity_id);
    let email = email.map(match_key).filter(|e| !e.is_empty());
    let tenants: &[&str] = if tenant.is_empty() {
        &[""]
    } else {
        &[tenant, ""]
    };
    tenants
        .iter()
        .find_map(|t| find(t, &id).or_else(|| email.as_deref().and_then(|e| find(t, e))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_most_specific_entry_wins() {
        let entries: HashMap<(&str, &str), u8> = [
            (("", "k.ito@saltmarsh.example.net"), 1),
            (("nw", "k.ito@saltmarsh.example.net"), 2),
            (("nw", "kenji"), 3),
        ]
        .into_iter()
        .collect();
        let find = |t: &str, k: &str| entries.get(&(t, k)).copied();
        assert_eq!(best_match("nw", "Kenji", None, find), Some(3));
        assert_eq!(
            best_match("nw", "u-1001", Some("K.Ito@Saltmarsh.example.net"), find),
            Some(2)
        );
        assert_eq!(
            best_match("bf", "u-1001", Some("k.ito@saltmarsh.example.net"), find),
            Some(1),
            "the entry for every tenant"
        );
        assert_eq!(best_match("bf", "kenji", None, find), None);
    }
}
