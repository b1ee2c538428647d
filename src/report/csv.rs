//! The CSV report: one row per item with its decision in force and the
//! facts an auditor filters on (self-review, reviewer who signed off, close
//! action, remediation, the deciding event and its hash, the chain head).
//! Cells that a spreadsheet would run as a formula are neutralised.

use super::{Context, Error, decision_text};
use crate::domain::FlagSet;
use crate::domain::decision::state_label;
use crate::domain::text::sanitize_multiline;
use crate::store::{ChunkRenderer, RenderError, ReportRow, ReportRows, Store};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

pub const HEADER: [&str; 33] = [
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
    "privileged",
    "risk_score",
    "decision",
    "self_review",
    "reviewed_by_signer",
    "against_recommendation",
    "bulk",
    "seconds_on_screen",
    "close_action",
    "remediation",
    "remediation_snapshot",
    "event",
    "event_hash",
];

/// Prefixes a `'` to cells a spreadsheet would treat as a formula (those
/// starting with `=`, `+`, `-`, `@`, tab or carriage return).
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

fn yes(flag: bool) -> &'static str {
    if flag { "yes" } else { "" }
}

/// Per-report buffers, so that a million rows format without a
/// million times thirty allocations.
#[derive(Default)]
struct Scratch {
    /// Flag names by flag bits: few distinct sets recur across a campaign.
    flags: HashMap<u32, String>,
    number: String,
}

fn flag_names(cache: &mut HashMap<u32, String>, flags: FlagSet) -> &str {
    cache
        .entry(flags.bits())
        .or_insert_with(|| flags.names().join(" "))
}

/// Writes every item of the campaign; returns how many. The chain head is
/// the last column of every row, so that any extract of the file still
/// names the log it came from. Rows are rendered on as many threads as
/// the store reads with (see [`Store::render_report_rows`]).
pub fn write(store: &Store, ctx: &Context<'_>, out: &mut dyn Write) -> Result<u64, Error> {
    let mut writer = ::csv::Writer::from_writer(&mut *out);
    let mut header: Vec<&str> = HEADER.to_vec();
    header.push("chain_head");
    writer.write_record(&header)?;
    writer.flush()?;
    drop(writer);
    let renderer = || CsvChunk {
        ctx,
        writer: ::csv::Writer::from_writer(Vec::new()),
        scratch: Scratch::default(),
    };
    let count =
        store.render_report_rows(ctx.campaign.id, ReportRows::All, renderer, &mut |bytes| {
            out.write_all(bytes)
        })?;
    Ok(count)
}

/// One thread's share of the CSV: rows rendered into a buffer that the
/// writer takes a chunk at a time.
struct CsvChunk<'a> {
    ctx: &'a Context<'a>,
    writer: ::csv::Writer<Vec<u8>>,
    scratch: Scratch,
}

impl ChunkRenderer for CsvChunk<'_> {
    fn row(&mut self, row: &ReportRow) -> Result<(), RenderError> {
        let head = self.ctx.evidence.head_hash.as_str();
        write_row(&mut self.writer, &mut self.scratch, self.ctx, row, head)
            .map_err(|e| e.to_string().into())
    }

    fn take(&mut self) -> Result<Vec<u8>, RenderError> {
        let full = std::mem::replace(&mut self.writer, ::csv::Writer::from_writer(Vec::new()));
        full.into_inner().map_err(|e| e.to_string().into())
    }
}

fn write_row<W: Write>(
    writer: &mut ::csv::Writer<W>,
    scratch: &mut Scratch,
    ctx: &Context<'_>,
    row: &ReportRow,
    head: &str,
) -> Result<(), Error> {
    let terminal = ctx.to_terminal;
    let mut field = |cell: &str| {
        if terminal {
            writer.write_field(neutralize(&sanitize_multiline(cell)).as_bytes())
        } else {
            writer.write_field(neutralize(cell).as_bytes())
        }
    };
    let Scratch {
        flags,
        number: buffer,
    } = scratch;
    let mut number = |n: Option<i64>, field: &mut dyn FnMut(&str) -> csv::Result<()>| {
        buffer.clear();
        if let Some(n) = n {
            let _ = write!(buffer, "{n}");
        }
        field(buffer)
    };
    number(Some(row.item), &mut field)?;
    number(Some(row.rank + 1), &mut field)?;
    field(&row.tenant)?;
    field(&row.identity_id)?;
    field(&row.identity_name)?;
    field(&row.kind)?;
    field(&row.relationship)?;
    field(text(&row.organization))?;
    field(&row.system)?;
    field(text(&row.environment))?;
    field(&row.entitlement)?;
    field(flag_names(flags, row.flags))?;
    field(row.recommendation.as_str())?;
    field(state_label(row.decision))?;
    field(&row.reviewer)?;
    field(text(&row.decided_by))?;
    field(text(&row.decided_at))?;
    field(text(&row.note))?;
    field(text(&row.exception_until))?;
    field(text(&row.ticket))?;
    field(yes(row.privileged))?;
    number(Some(row.risk_score), &mut field)?;
    match &row.exception_until {
        Some(_) => field(&decision_text(row))?,
        None => field(state_label(row.decision))?,
    }
    field(yes(row.self_review))?;
    field(yes(ctx.reviewed_by_signer(row)))?;
    field(yes(row.against_recommendation))?;
    field(yes(row.bulk))?;
    field(
        &row.seconds_on_screen
            .map(|s| s.to_string())
            .unwrap_or_default(),
    )?;
    field(row.close_action.as_deref().unwrap_or_default())?;
    field(row.remediation.map_or("", |s| s.as_str()))?;
    number(row.remediation_snapshot, &mut field)?;
    number(row.decided_event, &mut field)?;
    field(row.decided_hash.as_deref().unwrap_or_default())?;
    field(head)?;
    writer.write_record(None::<&[u8]>)?;
    Ok(())
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
