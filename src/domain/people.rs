//! Who is who across tenants: an MSP governs many customer tenants, and
//! the same person (or service) turns up in several of them under one
//! identity id or one e-mail. This groups identities into people for the
//! one-register-across-tenants view.

use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

/// The one form in which recert keeps and compares a person's e-mail or
/// user name (an actor, a reviewer, a sponsor, an owner, a reassign
/// target, an identity's e-mail): trimmed and lower-cased. People type
/// " A.Kowalski@…" and sources disagree on case; were those different
/// people, a self-review would go unflagged. Borrowed when `text` already
/// is in that form, as nearly every stored value is: campaign creation
/// asks this once per item.
pub fn person_key(text: &str) -> Cow<'_, str> {
    let text = text.trim();
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        let lower = text.to_lowercase();
        if lower == text {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(lower)
        }
    }
}

/// Whether `a` and `b` name the same person, as [`person_key`] sees them.
/// An empty name is nobody, and the same as nobody else.
pub fn same_person(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        return false;
    }
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    person_key(a) == person_key(b)
}

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
        let keys = std::iter::once(person_key(&entry.identity_id).into_owned())
            .chain(entry.email.as_deref().map(|e| person_key(e).into_owned()));
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
            let key = person_key(
                identities
                    .iter()
                    .find_map(|i| i.email.as_deref())
                    .unwrap_or(&identities[0].identity_id),
            )
            .into_owned();
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
    fn people_are_named_trimmed_and_without_case() {
        assert_eq!(
            person_key(" A.Kowalski@Northwind.example.com\t"),
            "a.kowalski@northwind.example.com"
        );
        assert!(matches!(person_key("m.santos@x"), Cow::Borrowed(_)));
        assert!(matches!(
            person_key(" m.santos@x "),
            Cow::Borrowed("m.santos@x")
        ));
        assert_eq!(person_key("ÅSA@Örebro.example"), "åsa@örebro.example");
        assert!(same_person(
            " a.kowalski@northwind.example.com ",
            "A.KOWALSKI@northwind.example.com"
        ));
        assert!(same_person("Åsa@x", "åsa@x"), "beyond ASCII too");
        assert!(!same_person("a.kowalski@x", "a.kowalsky@x"));
        assert!(!same_person("", ""), "nobody is not somebody");
        assert!(!same_person("  ", "a@x"));
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
