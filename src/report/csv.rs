//! The CSV report: one row per item with its decision in force. Cells that
//! a spreadsheet would run as a formula are neutralised.

use crate::domain::decision::state_label;
use crate::store::{CampaignSummary, ItemQuery, Store};
use std::borrow::Cow;
use std::io::Write;

pub const HEADER: [&str; 20] = [
    "item",
    "rank",
    "tenant",
    "identity_id",
    "identity_name",
    "kind",
    "relationship",
    "organization",
    "system",
    "environment",
    "entitlement",
    "flags",
    "recommendation",
    "state",
    "reviewer",
    "decided_by",
    "decided_at",
    "note",
    "exception_until",
    "ticket",
];

/// Prefixes a `'` to cells a spreadsheet would treat as a formula (those
/// starting with `=`, `+`, `-`, `@`, tab or carriage return).
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// Writes every item of `campaign`; returns how many.
pub fn write(
    store: &Store,
    campaign: &CampaignSummary,
    out: impl Write,
) -> Result<u64, Box<dyn std::error::Error>> {
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;
    let mut count = 0u64;
    let query = ItemQuery {
        campaign: campaign.id,
        ..ItemQuery::default()
    };
    store.for_each_item(&query, |row| {
        let flags = row.flags.names().join(" ");
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let cells: [String; 20] = [
            row.id.to_string(),
            (row.rank + 1).to_string(),
            row.tenant.clone(),
            row.identity_id.clone(),
            row.identity_name.clone(),
            row.kind.clone(),
            row.relationship.clone(),
            opt(&row.organization),
            row.system.clone(),
            opt(&row.environment),
            row.entitlement.clone(),
            flags,
            row.recommendation.as_str().to_string(),
            state_label(row.decision).to_string(),
            row.assignee.clone(),
            opt(&row.decided_by),
            opt(&row.decided_at),
            opt(&row.note),
            opt(&row.exception_until),
            opt(&row.exception_ticket),
        ];
        writer.write_record(cells.iter().map(|c| neutralize(c).into_owned()))?;
        count += 1;
        Ok(())
    })?;
    writer.flush()?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_text_is_not() {
        for risky in ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutralize(risky), format!("'{risky}"));
        }
        for safe in ["Lena Brandt", "", "org:owner", "a=b"] {
            assert_eq!(neutralize(safe), safe);
        }
    }
}
