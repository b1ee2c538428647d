//! What every part of the human-readable report is written with: the
//! markup a `Renderer` stands for, and the cells an item's row is made of
//! (plain text; the renderer escapes all of it).

use super::Context;
use crate::store::ItemView;
use std::io;

/// One markup's syntax for the parts of the report.
pub trait Renderer {
    fn begin(&mut self, title: &str, subtitle: &str) -> io::Result<()>;
    fn heading(&mut self, text: &str) -> io::Result<()>;
    /// A paragraph; `alert` marks what must not be overlooked.
    fn paragraph(&mut self, text: &str, alert: bool) -> io::Result<()>;
    fn key_values(&mut self, pairs: &[(&str, String)]) -> io::Result<()>;
    fn bullets(&mut self, items: &[String]) -> io::Result<()>;
    fn table_start(&mut self, headers: &[&str]) -> io::Result<()>;
    /// One row; cells may hold line breaks (notes).
    fn table_row(&mut self, cells: &[String], alert: bool) -> io::Result<()>;
    fn table_end(&mut self) -> io::Result<()>;
    fn end(&mut self) -> io::Result<()>;
}

pub fn opt(v: Option<&str>) -> String {
    v.unwrap_or_default().to_string()
}
/// Each flag with its reason, one a line.
pub fn reasons(ctx: &Context<'_>, row: &ItemView<'_>) -> String {
    ctx.findings(row)
        .iter()
        .map(|f| format!("{}: {}", f.flag, f.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The grant's dates the source gave, one a line.
pub fn evidence_dates(row: &ItemView<'_>) -> String {
    let ev = &row.evidence;
    [
        ("granted", ev.granted_at),
        ("expires", ev.expires_at),
        ("last used", ev.last_used_at),
        ("credential rotated", ev.credential_rotated_at),
    ]
    .into_iter()
    .filter_map(|(what, day)| Some(format!("{what} {}", day?)))
    .collect::<Vec<_>>()
    .join("\n")
}

/// Who answers for the access: the identity's sponsor, the grant's owners.
pub fn people(row: &ItemView<'_>) -> String {
    let ev = &row.evidence;
    [
        ("sponsor", row.sponsor),
        ("business owner", ev.business_owner),
        ("technical owner", ev.technical_owner),
    ]
    .into_iter()
    .filter_map(|(what, who)| Some(format!("{what}: {}", who?)))
    .collect::<Vec<_>>()
    .join("\n")
}

pub fn identity(row: &ItemView<'_>) -> String {
    let who = if row.identity_name == row.identity_id {
        row.identity_id.to_string()
    } else {
        format!("{} ({})", row.identity_name, row.identity_id)
    };
    match row.tier {
        Some(tier) => format!("{who}, tier {tier}"),
        None => who,
    }
}

/// The entitlement with what the catalog says of it, when it does:
/// "Z_PAYMENT_RUN_RELEASE: releases payment runs (restricted)".
pub fn catalogued(row: &ItemView<'_>) -> String {
    let mut text = row.entitlement.to_string();
    if let Some(description) = row.description {
        text.push_str(": ");
        text.push_str(description);
    }
    if let Some(sensitivity) = row.sensitivity {
        text.push_str(" (");
        text.push_str(sensitivity);
        text.push(')');
    }
    text
}
