//! Turns `--where` filters and searches into SQL conditions. Only fixed
//! column expressions are spliced into the text; every value is bound.

use super::effective::{
    EFFECTIVE_BUSINESS_OWNER, EFFECTIVE_ORGANIZATION, EFFECTIVE_RELATIONSHIP, EFFECTIVE_SPONSOR,
    EFFECTIVE_TECHNICAL_OWNER,
};
use crate::domain::filter::Field;
use crate::domain::{Filter, Flag, FlagSet};
use rusqlite::types::Value;

/// Which query the filters apply to: the grant register (aliases `e` for
/// the grant version, `idn` for the identity version) or a campaign's items
/// (the same, plus `i` for the item and `s` for its state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Register,
    /// `relationship_frozen`: the campaign's items carry their effective
    /// relationship (campaigns created since schema 5), which a filter then
    /// reads from the item row rather than from identity and register.
    Items {
        relationship_frozen: bool,
    },
}

fn column(field: Field, target: Target) -> Option<&'static str> {
    use Field::*;
    // Items point at the grant, identity and register versions they froze,
    // joined as `e`, `idn` and `r` like the register itself; the register
    // fills in what the source left unknown.
    Some(match field {
        Tenant => "idn.tenant",
        System => "e.system",
        IdentityId => "idn.identity_id",
        Kind => "idn.kind",
        Relationship => match target {
            Target::Items {
                relationship_frozen: true,
            } => "i.relationship",
            _ => EFFECTIVE_RELATIONSHIP,
        },
        Organization => EFFECTIVE_ORGANIZATION,
        Region => "idn.region",
        Environment => "e.environment",
        Entitlement => "e.name",
        Privileged => "e.privileged",
        Shared => "e.shared",
        Sponsor => EFFECTIVE_SPONSOR,
        BusinessOwner => EFFECTIVE_BUSINESS_OWNER,
        TechnicalOwner => EFFECTIVE_TECHNICAL_OWNER,
        Tier => "r.tier",
        // An item reads the sensitivity it froze; a scope, the live catalog.
        Sensitivity => match target {
            Target::Items { .. } => "json_extract(i.context, '$.catalog.sensitivity')",
            Target::Register => LIVE_SENSITIVITY,
        },
        Reviewer if matches!(target, Target::Items { .. }) => "coalesce(s.assignee, i.reviewer)",
        Recommendation if matches!(target, Target::Items { .. }) => "i.recommendation",
        Since if matches!(target, Target::Items { .. }) => "i.since",
        Flag | State | Reviewer | Recommendation | Since => return None,
    })
}

/// The sensitivity the live catalog gives a grant: the entry of its
/// tenant before one for every tenant.
const LIVE_SENSITIVITY: &str = "(SELECT c.sensitivity FROM catalog_entry c
    WHERE c.superseded IS NULL AND c.removed_snapshot IS NULL AND c.system = e.system
      AND c.entitlement = e.name AND c.tenant IN (idn.tenant, '')
    ORDER BY c.tenant DESC LIMIT 1)";

/// Appends ` AND (…)` for each filter to `sql`, binding values into `params`.
/// Returns the name of a field that does not apply to `target`.
pub(crate) fn push_filters(
    filters: &[Filter],
    target: Target,
    sql: &mut String,
    params: &mut Vec<Value>,
) -> Result<(), Field> {
    for filter in filters {
        sql.push_str(" AND ");
        match filter.field {
            Field::Flag if matches!(target, Target::Items { .. }) => {
                let mask: u32 = filter
                    .values
                    .iter()
                    .filter_map(|v| Flag::from_name(v))
                    .map(FlagSet::mask)
                    .fold(0, |a, b| a | b);
                sql.push_str("(i.flags & ?) != 0");
                params.push(Value::Integer(i64::from(mask)));
            }
            Field::State if matches!(target, Target::Items { .. }) => {
                let parts: Vec<&str> = filter.values.iter().map(|v| state_condition(v)).collect();
                sql.push('(');
                sql.push_str(&parts.join(" OR "));
                sql.push(')');
            }
            field => {
                let column = column(field, target).ok_or(field)?;
                let boolean = matches!(field, Field::Privileged | Field::Shared);
                sql.push_str(column);
                if is_person(field) {
                    sql.push_str(" COLLATE NOCASE");
                }
                sql.push_str(" IN (");
                for (n, value) in filter.values.iter().enumerate() {
                    sql.push_str(if n == 0 { "?" } else { ", ?" });
                    params.push(if boolean {
                        Value::Integer(i64::from(value == "true"))
                    } else {
                        Value::Text(value.clone())
                    });
                }
                sql.push(')');
            }
        }
    }
    Ok(())
}

/// Fields holding people, compared without case as people are
/// (`people::same_person`): sources spell a sponsor in any case, and
/// databases older than `people::person_key` hold reviewers as typed.
fn is_person(field: Field) -> bool {
    matches!(
        field,
        Field::Sponsor | Field::BusinessOwner | Field::TechnicalOwner | Field::Reviewer
    )
}

fn state_condition(state: &str) -> &'static str {
    match state {
        "undecided" => "s.decision IS NULL",
        "decided" => "s.decision IN ('attest', 'revoke', 'exception', 'rotate')",
        "attested" => "s.decision = 'attest'",
        "revoked" => "s.decision = 'revoke'",
        "exception" => "s.decision = 'exception'",
        "reassigned" => "s.decision = 'reassign'",
        "rotate" => "s.decision = 'rotate'",
        _ => "0",
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_bind_values_and_never_splice_them() {
        let filters = [
            Filter::parse("relationship=contractor,partner").unwrap(),
            Filter::parse("privileged=true").unwrap(),
            Filter::parse("tenant=x'); DROP TABLE item; --").unwrap(),
        ];
        let mut sql = String::new();
        let mut params = Vec::new();
        let old_items = Target::Items {
            relationship_frozen: false,
        };
        push_filters(&filters, old_items, &mut sql, &mut params).unwrap();
        assert_eq!(
            sql,
            format!(
                " AND {EFFECTIVE_RELATIONSHIP} IN (?, ?) AND e.privileged IN (?) \
                 AND idn.tenant IN (?)"
            )
        );
        assert_eq!(params.len(), 4);
        assert!(!sql.contains("DROP"));
        let (mut frozen, mut frozen_params) = (String::new(), Vec::new());
        let new_items = Target::Items {
            relationship_frozen: true,
        };
        push_filters(&filters[..1], new_items, &mut frozen, &mut frozen_params).unwrap();
        assert_eq!(frozen, " AND i.relationship IN (?, ?)");
        assert_eq!(frozen_params.len(), 2);
    }

    #[test]
    fn item_only_fields_are_refused_for_the_register() {
        let mut sql = String::new();
        let err = push_filters(
            &[Filter::parse("flag=dormant").unwrap()],
            Target::Register,
            &mut sql,
            &mut Vec::new(),
        )
        .unwrap_err();
        assert_eq!(err, Field::Flag);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
