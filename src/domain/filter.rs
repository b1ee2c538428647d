//! `--where FIELD=V[,V…]` filters: which fields can be filtered and which
//! values they accept. Several filters combine with AND, the values of one
//! with OR.

use super::decision::Recommendation;
use super::flags::Flag;
use super::model::{IdentityKind, Relationship};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Tenant,
    System,
    IdentityId,
    Kind,
    Relationship,
    Organization,
    Region,
    Environment,
    Entitlement,
    Privileged,
    Shared,
    Sponsor,
    BusinessOwner,
    TechnicalOwner,
    // Issue 24: the register's partner tier, the catalog's sensitivity.
    Tier,
    Sensitivity,
    // Only on campaign items:
    Flag,
    State,
    Reviewer,
    Recommendation,
    /// The item's grant against the previous campaign of its scope.
    Since,
}

impl Field {
    pub const ALL: &'static [Field] = &[
        Field::Tenant,
        Field::System,
        Field::IdentityId,
        Field::Kind,
        Field::Relationship,
        Field::Organization,
        Field::Region,
        Field::Environment,
        Field::Entitlement,
        Field::Privileged,
        Field::Shared,
        Field::Sponsor,
        Field::BusinessOwner,
        Field::TechnicalOwner,
        Field::Tier,
        Field::Sensitivity,
        Field::Flag,
        Field::State,
        Field::Reviewer,
        Field::Recommendation,
        Field::Since,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Tenant => "tenant",
            Field::System => "system",
            Field::IdentityId => "identity_id",
            Field::Kind => "kind",
            Field::Relationship => "relationship",
            Field::Organization => "organization",
            Field::Region => "region",
            Field::Environment => "environment",
            Field::Entitlement => "entitlement",
            Field::Privileged => "privileged",
            Field::Shared => "shared",
            Field::Sponsor => "sponsor",
            Field::BusinessOwner => "business_owner",
            Field::TechnicalOwner => "technical_owner",
            Field::Tier => "tier",
            Field::Sensitivity => "sensitivity",
            Field::Flag => "flag",
            Field::State => "state",
            Field::Reviewer => "reviewer",
            Field::Recommendation => "recommendation",
            Field::Since => "since",
        }
    }

    /// Fields that exist only once a campaign has assessed its items.
    pub fn is_item_only(self) -> bool {
        matches!(
            self,
            Field::Flag | Field::State | Field::Reviewer | Field::Recommendation | Field::Since
        )
    }

    /// Item fields a campaign's scope may use too: creation works them out
    /// for each grant as it assesses it, before the grant becomes an item.
    pub fn is_assessed(self) -> bool {
        matches!(self, Field::Flag | Field::Since)
    }

    fn check(self, value: &str) -> Result<(), String> {
        match self {
            Field::Kind => value.parse::<IdentityKind>().map(drop),
            Field::Relationship => value.parse::<Relationship>().map(drop),
            Field::Privileged | Field::Shared => match value {
                "true" | "false" => Ok(()),
                _ => Err(format!("{value:?} is not true or false")),
            },
            Field::Flag => Flag::from_name(value)
                .map(drop)
                .ok_or_else(|| format!("{value:?} is not a flag: use one of {}", Flag::names())),
            Field::State => STATES.contains(&value).then_some(()).ok_or_else(|| {
                format!("{value:?} is not a state: use one of {}", STATES.join(", "))
            }),
            Field::Recommendation => value.parse::<Recommendation>().map(drop),
            Field::Since => SINCE
                .contains(&value)
                .then_some(())
                .ok_or_else(|| format!("{value:?} is not new, changed or unchanged")),
            Field::Sensitivity => value.parse::<super::catalog::Sensitivity>().map(drop),
            _ => Ok(()),
        }
    }
}

/// The decision states an item can be filtered by.
pub const STATES: &[&str] = &[
    "undecided",
    "decided",
    "attested",
    "revoked",
    "exception",
    "reassigned",
    "rotate",
];

/// How an item's grant compares with the previous campaign of its scope.
pub const SINCE: &[&str] = &["new", "changed", "unchanged"];

impl FromStr for Field {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let text = if text == "identity_kind" {
            "kind"
        } else {
            text
        };
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.name() == text)
            .ok_or_else(|| {
                let names: Vec<_> = Field::ALL.iter().map(|f| f.name()).collect();
                format!("{text:?} is not a field: use one of {}", names.join(", "))
            })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filter {
    pub field: Field,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--where {text}: {message}")]
pub struct FilterError {
    pub text: String,
    pub message: String,
}

impl Filter {
    pub fn new(field: Field, values: Vec<String>) -> Filter {
        Filter { field, values }
    }

    /// Parses `FIELD=V[,V…]`.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let fail = |message: String| FilterError {
            text: text.to_string(),
            message,
        };
        let (field, values) = text
            .split_once('=')
            .ok_or_else(|| fail("expected FIELD=VALUE[,VALUE…]".into()))?;
        let field: Field = field.trim().parse().map_err(fail)?;
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        if values.iter().any(String::is_empty) {
            return Err(fail("empty value".into()));
        }
        for value in &values {
            field.check(value).map_err(fail)?;
        }
        Ok(Filter { field, values })
    }
}

/// A scope in one canonical form: each filter's values sorted without
/// repeats, the filters sorted. Filters AND and a filter's values OR, so
/// neither order changes what a scope selects, and campaigns of the same
/// scope are found as one whatever order their flags were typed in.
pub fn normalized(scope: &[Filter]) -> Vec<Filter> {
    let mut scope: Vec<Filter> = scope
        .iter()
        .map(|f| {
            let mut values = f.values.clone();
            values.sort();
            values.dedup();
            Filter::new(f.field, values)
        })
        .collect();
    scope.sort_by_key(|f| f.to_string());
    scope.dedup();
    scope
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.field, self.values.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_in_any_order_is_one_scope() {
        let parse = |texts: &[&str]| -> Vec<Filter> {
            texts.iter().map(|t| Filter::parse(t).unwrap()).collect()
        };
        let one = normalized(&parse(&["relationship=partner,contractor", "tenant=nw"]));
        let other = normalized(&parse(&[
            "tenant=nw",
            "relationship=contractor,partner,partner",
        ]));
        assert_eq!(one, other);
        assert_eq!(
            one.iter().map(Filter::to_string).collect::<Vec<_>>(),
            ["relationship=contractor,partner", "tenant=nw"]
        );
        assert_ne!(one, normalized(&parse(&["relationship=contractor"])));
    }

    #[test]
    fn parses_fields_and_checks_values() {
        let f = Filter::parse("relationship=contractor,partner").unwrap();
        assert_eq!(f.field, Field::Relationship);
        assert_eq!(f.values, ["contractor", "partner"]);
        assert_eq!(f.to_string(), "relationship=contractor,partner");
        assert!(Filter::parse("relationship=friend").is_err());
        assert!(
            Filter::parse("colour=red")
                .unwrap_err()
                .message
                .contains("tenant")
        );
        assert!(Filter::parse("tenant").is_err());
        assert!(Filter::parse("tenant=a,,b").is_err());
        assert!(Filter::parse("flag=dormant").is_ok());
        assert!(Filter::parse("state=undecided").is_ok());
        assert!(Filter::parse("identity_kind=api_key").is_ok());
    }
}
