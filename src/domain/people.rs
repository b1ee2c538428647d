//! Who is who across tenants: an MSP governs many customer tenants, and
//! the same person (or service) turns up in several of them under one
//! identity id or one e-mail. This groups identities into people for the
//! one-register-across-tenants view.

use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// One identity in one tenant with the grants it still holds, its
/// attributes as enriched by the identity register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdentityEntry {
    pub tenant: String,
    pub identity_id: String,
    pub name: String,
    pub kind: String,
    pub relationship: String,
    pub organization: Option<String>,
    pub sponsor: Option<String>,
    pub email: Option<String>,
    /// `Some(false)` when a source reports one of its accounts disabled.
    pub active: Option<bool>,
    pub contract_end: Option<String>,
    pub grants: u64,
}

/// Identities that share an identity id or e-mail, wherever they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Person {
    /// The e-mail if any identity has one, else the identity id, in lower
    /// case (as they are matched).
    pub key: String,
    pub tenants: Vec<String>,
    pub grants: u64,
    pub identities: Vec<IdentityEntry>,
}

impl Person {
    pub fn is_cross_tenant(&self) -> bool {
        self.tenants.len() > 1
    }
}

/// Groups identities into people: two identities are one person when they
/// share an identity id or an e-mail (ignoring case), directly or through
/// a third. People come out ordered by key.
pub fn group(entries: Vec<IdentityEntry>) -> Vec<Person> {
    let mut parent: Vec<usize> = (0..entries.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first_with: HashMap<String, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let keys = std::iter::once(entry.identity_id.to_lowercase())
            .chain(entry.email.as_deref().map(str::to_lowercase));
        for key in keys.filter(|k| !k.is_empty()) {
            match first_with.get(&key) {
                Some(&other) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, other));
                    parent[a] = b;
                }
                None => {
                    first_with.insert(key, i);
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<IdentityEntry>> = HashMap::new();
    for (i, entry) in entries.into_iter().enumerate() {
        groups.entry(root(&mut parent, i)).or_default().push(entry);
    }
    let mut people: Vec<Person> = groups
        .into_values()
        .map(|mut identities| {
            identities
                .sort_by(|a, b| (&a.tenant, &a.identity_id).cmp(&(&b.tenant, &b.identity_id)));
            let key = identities
                .iter()
                .find_map(|i| i.email.as_deref())
                .unwrap_or(&identities[0].identity_id)
                .to_lowercase();
            let tenants: BTreeSet<String> = identities.iter().map(|i| i.tenant.clone()).collect();
            Person {
                key,
                tenants: tenants.into_iter().collect(),
                grants: identities.iter().map(|i| i.grants).sum(),
                identities,
            }
        })
        .collect();
    people.sort_by(|a, b| a.key.cmp(&b.key));
    people
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(tenant: &str, id: &str, email: Option<&str>) -> IdentityEntry {
        IdentityEntry {
            tenant: tenant.into(),
            identity_id: id.into(),
            name: id.into(),
            kind: "human".into(),
            relationship: "partner".into(),
            organization: None,
            sponsor: None,
            email: email.map(Into::into),
            active: None,
            contract_end: None,
            grants: 2,
        }
    }

    #[test]
    fn identities_sharing_an_id_or_email_are_one_person() {
        let people = group(vec![
            entry(
                "northwind",
                "k.ito@saltmarsh.example.net",
                Some("k.ito@saltmarsh.example.net"),
            ),
            entry(
                "bluefjord",
                "kito_saltmarsh#EXT#",
                Some("K.Ito@saltmarsh.example.net"),
            ),
            entry("tidewater", "kito_saltmarsh#EXT#", None),
            entry("northwind", "svc-etl", None),
        ]);
        assert_eq!(people.len(), 2);
        let kenji = &people[0];
        assert_eq!(kenji.key, "k.ito@saltmarsh.example.net");
        assert_eq!(kenji.tenants, ["bluefjord", "northwind", "tidewater"]);
        assert_eq!(kenji.grants, 6);
        assert!(kenji.is_cross_tenant());
        assert!(!people[1].is_cross_tenant());
        assert_eq!(people[1].key, "svc-etl");
    }
}
