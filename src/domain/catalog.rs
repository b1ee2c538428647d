//! The entitlement catalog: what an entitlement lets someone do and how
//! sensitive the data behind it is, kept by the people who own the
//! systems. Reviewers read it beside an opaque name; `confidential` and
//! `restricted` raise an item's risk (the `sensitive_data` flag).

use super::model::vocabulary;
use std::fmt;
use std::str::FromStr;

vocabulary!(
    /// How sensitive the data behind an entitlement is, least first.
    Sensitivity {
        Public => "public",
        Internal => "internal",
        Confidential => "confidential",
        Restricted => "restricted",
    }
);

impl Sensitivity {
    /// Whether reviewing it calls for care (the `sensitive_data` flag).
    pub fn is_sensitive(self) -> bool {
        matches!(self, Sensitivity::Confidential | Sensitivity::Restricted)
    }
}

/// One row of the catalog. An empty `tenant` applies in every tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogEntry {
    pub tenant: String,
    pub system: String,
    pub entitlement: String,
    pub description: Option<String>,
    pub sensitivity: Option<Sensitivity>,
    /// Kinds of data it reaches, as the catalog lists them (`pii; payroll`).
    pub data_classes: Option<String>,
    pub owner: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_confidential_and_restricted_are_sensitive() {
        let sensitive: Vec<&str> = Sensitivity::ALL
            .iter()
            .filter(|s| s.is_sensitive())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(sensitive, ["confidential", "restricted"]);
        assert!("secret".parse::<Sensitivity>().is_err());
    }
}
