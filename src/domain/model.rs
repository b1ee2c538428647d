//! Identities and the grants they hold, as every importer produces them.

use super::date::Stamp;
use std::fmt;
use std::str::FromStr;

/// Declares a closed vocabulary stored and typed as lower-case words.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// The accepted words, for error messages.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                match text {
                    $($word => Ok($name::$variant),)+
                    _ => Err(format!("{:?} is not one of {}", text, Self::expected())),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// What sort of principal holds the access.
    IdentityKind {
        Human => "human",
        ServiceAccount => "service_account",
        ApiKey => "api_key",
        DelegatedAdmin => "delegated_admin",
        BreakGlass => "break_glass",
    }
);

vocabulary!(
    /// How the identity relates to the organisation granting the access.
    Relationship {
        Partner => "partner",
        Contractor => "contractor",
        Msp => "msp",
        Vendor => "vendor",
        Employee => "employee",
        Unknown => "unknown",
    }
);

impl IdentityKind {
    /// Kinds that hold a credential a machine uses, which should be rotated.
    pub fn holds_machine_credential(self) -> bool {
        matches!(self, IdentityKind::ApiKey | IdentityKind::ServiceAccount)
    }
}

impl Relationship {
    /// Everyone known not to be on our own payroll needs an accountable
    /// sponsor. `unknown` is not known to be external: it is flagged as
    /// unclassified instead, so that one gap is not counted twice.
    pub fn is_external(self) -> bool {
        !matches!(self, Relationship::Employee | Relationship::Unknown)
    }
}

/// One grant as a source reports it: the identity's attributes travel with
/// every row, because that is how every source we import exports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitlementRecord {
    pub tenant: String,
    pub system: String,
    pub identity_id: String,
    pub identity_name: String,
    pub identity_kind: IdentityKind,
    pub relationship: Relationship,
    pub organization: Option<String>,
    pub region: Option<String>,
    pub email: Option<String>,
    pub environment: Option<String>,
    pub entitlement: String,
    pub privileged: bool,
    pub sponsor: Option<String>,
    pub business_owner: Option<String>,
    pub technical_owner: Option<String>,
    pub justification: Option<String>,
    pub granted_at: Option<Stamp>,
    pub expires_at: Option<Stamp>,
    pub last_used_at: Option<Stamp>,
    pub credential_rotated_at: Option<Stamp>,
    pub shared: bool,
    pub ticket: Option<String>,
    /// Whether the source reports the account holding this grant enabled
    /// (SCIM `active`); `None` when the source does not say.
    pub active: Option<bool>,
}

impl EntitlementRecord {
    /// A record with every optional field unknown; importers fill in what
    /// their source knows.
    pub fn new(
        system: impl Into<String>,
        identity_id: impl Into<String>,
        identity_name: impl Into<String>,
        identity_kind: IdentityKind,
        relationship: Relationship,
        entitlement: impl Into<String>,
    ) -> Self {
        EntitlementRecord {
            tenant: String::new(),
            system: system.into(),
            identity_id: identity_id.into(),
            identity_name: identity_name.into(),
            identity_kind,
            relationship,
            organization: None,
            region: None,
            email: None,
            environment: None,
            entitlement: entitlement.into(),
            privileged: false,
            sponsor: None,
            business_owner: None,
            technical_owner: None,
            justification: None,
            granted_at: None,
            expires_at: None,
            last_used_at: None,
            credential_rotated_at: None,
            shared: false,
            ticket: None,
            active: None,
        }
    }

    /// The e-mail address that identifies this person across tenants: the
    /// explicit one, or the identity id when that is an address.
    pub fn effective_email(&self) -> Option<&str> {
        self.email.as_deref().or_else(|| {
            self.identity_id
                .contains('@')
                .then_some(self.identity_id.as_str())
        })
    }

    /// The identity-level attributes, compared across rows of one file.
    pub fn identity_attributes(&self) -> IdentityAttributes {
        IdentityAttributes {
            name: self.identity_name.clone(),
            kind: self.identity_kind,
            relationship: self.relationship,
            organization: self.organization.clone(),
            region: self.region.clone(),
            sponsor: self.sponsor.clone(),
            email: self.email.clone(),
        }
    }
}

/// What is known about an identity, independent of any one grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityAttributes {
    pub name: String,
    pub kind: IdentityKind,
    pub relationship: Relationship,
    pub organization: Option<String>,
    pub region: Option<String>,
    pub sponsor: Option<String>,
    pub email: Option<String>,
}

impl IdentityAttributes {
    /// Names the attributes on which `record` describes this identity
    /// differently, with both values, for import warnings. Allocates only
    /// for differences: it runs once per imported row.
    pub fn differences(&self, record: &EntitlementRecord) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        let mut check = |field: &'static str, a: &str, b: &str| {
            if a != b {
                out.push((field, a.to_string(), b.to_string()));
            }
        };
        check("identity_name", &self.name, &record.identity_name);
        check(
            "identity_kind",
            self.kind.as_str(),
            record.identity_kind.as_str(),
        );
        check(
            "relationship",
            self.relationship.as_str(),
            record.relationship.as_str(),
        );
        check(
            "organization",
            opt(&self.organization),
            opt(&record.organization),
        );
        check("region", opt(&self.region), opt(&record.region));
        check("sponsor", opt(&self.sponsor), opt(&record.sponsor));
        // Compared as stored: an address the identity id supplies is the
        // same address written out.
        check(
            "email",
            opt(&self.email),
            record.effective_email().unwrap_or_default(),
        );
        out
    }
}

fn opt(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_round_trip_and_name_what_they_accept() {
        for kind in IdentityKind::ALL {
            assert_eq!(kind.as_str().parse::<IdentityKind>().unwrap(), *kind);
        }
        let err = "robot".parse::<IdentityKind>().unwrap_err();
        assert!(err.contains("service_account"), "{err}");
        assert!(
            "Partner".parse::<Relationship>().is_err(),
            "words are exact"
        );
    }

    #[test]
    fn effective_email_prefers_the_explicit_address() {
        let mut r = EntitlementRecord::new(
            "m365",
            "k.ito@saltmarsh.example.net",
            "Kenji",
            IdentityKind::Human,
            Relationship::Partner,
            "Mailbox",
        );
        assert_eq!(r.effective_email(), Some("k.ito@saltmarsh.example.net"));
        r.identity_id = "u-1001".into();
        assert_eq!(r.effective_email(), None);
        r.email = Some("kenji@x.example".into());
        assert_eq!(r.effective_email(), Some("kenji@x.example"));
    }
}
