//! `recert decide CAMPAIGN --from FILE.csv [--dry-run]`: decisions from a
//! file, for sponsors and owners who decide in a spreadsheet. The CSV
//! report's own columns are read (by name, so columns added to the report
//! later change nothing): its `decision` and `note` edited (and a rotate's
//! `rotate_by`), the file sent back is recorded. All or nothing; every problem as FILE:LINE: field.

use super::{CheckFailed, Env};
use crate::domain::decision::DecisionFields;
use crate::domain::text::{count, sanitize};
use crate::domain::{Decision, DecisionKind};
use crate::store::{
    CampaignSummary, DecisionRequest, FileDecisions, FileRow, FileSource, ItemId, LineProblem,
    Store,
};
use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use std::collections::HashMap;
use std::path::Path;

/// The columns read, each by the names it may go by: the design's first,
/// then the CSV report's.
const ID: &[&str] = &["id", "item"];
const DECISION: &[&str] = &["decision"];
const NOTE: &[&str] = &["note"];
const UNTIL: &[&str] = &["until", "exception_until"];
const TICKET: &[&str] = &["ticket"];
const TO: &[&str] = &["to"];
const BY: &[&str] = &["by", "rotate_by"];

/// Where each column is in the header.
struct Columns {
    id: usize,
    decision: usize,
    note: Option<usize>,
    until: Option<usize>,
    ticket: Option<usize>,
    to: Option<usize>,
    by: Option<usize>,
}

impl Columns {
    fn of(header: &csv::StringRecord) -> std::result::Result<Columns, Vec<LineProblem>> {
        let names: Vec<String> = header
            .iter()
            .enumerate()
            // A spreadsheet may save the file with a byte-order mark.
            .map(|(n, h)| {
                let h = if n == 0 {
                    h.trim_start_matches('\u{feff}')
                } else {
                    h
                };
                h.trim().to_ascii_lowercase()
            })
            .collect();
        let find = |aliases: &[&str]| {
            aliases
                .iter()
                .find_map(|a| names.iter().position(|n| n == a))
        };
        let missing = |field: &'static str, aliases: &[&str]| LineProblem {
            line: 1,
            field,
            message: format!(
                "the header has no {} column",
                aliases
                    .iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        };
        match (find(ID), find(DECISION)) {
            (Some(id), Some(decision)) => Ok(Columns {
                id,
                decision,
                note: find(NOTE),
                until: find(UNTIL),
                ticket: find(TICKET),
                to: find(TO),
                by: find(BY),
            }),
            (id, decision) => Err(id
                .is_none()
                .then(|| missing("id", ID))
                .into_iter()
                .chain(decision.is_none().then(|| missing("decision", DECISION)))
                .collect()),
        }
    }
}

/// A cell as it was before the CSV report neutralised it: the report puts
/// `'` before a cell a spreadsheet would run as a formula, and a note that
/// began with `=` is read back as it was typed.
fn restored(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest)
            if matches!(
                rest.chars().next(),
                Some('=' | '+' | '-' | '@' | '\t' | '\r')
            ) =>
        {
            rest
        }
        _ => cell,
    }
}

/// Line numbers of byte offsets asked for in increasing order.
struct LineCounter<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn new(text: &str) -> LineCounter<'_> {
        LineCounter {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    fn at(&mut self, byte: u64) -> u64 {
        let mut to = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // After a CRLF the reader places the next record at its LF; blank
        // lines are no records either: the record is on the line after.
        while matches!(self.text.get(to), Some(b'\r' | b'\n')) {
            to += 1;
        }
        if to > self.at {
            let newlines = self.text[self.at..to]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines as u64;
            self.at = to;
        }
        self.line
    }
}

/// What a row asks for, before the item and the rules have their say.
enum Asked {
    /// No decision in the row (empty, or the report's `undecided`).
    Nothing,
    Decision(Decision),
}

/// A row's cells a decision is built from, each as the row has it.
#[derive(Clone, Copy, Default)]
struct Cells<'a> {
    decision: &'a str,
    until: &'a str,
    ticket: &'a str,
    to: &'a str,
    by: &'a str,
}

/// The row's decision: the design's words (`attest`), or the report's
/// (`attested`, `exception until 2027-03-31`, `rotate` beside its
/// `rotate_by`), built by [`Decision::from_fields`] as `decide` builds
/// one from its options. Whether the item may take it (a rotate only on a
/// credential, by a date the policy allows) is the rules' to say when the
/// row is recorded.
fn asked(cells: Cells<'_>) -> std::result::Result<Asked, (&'static str, String)> {
    let lower = cells.decision.trim().to_ascii_lowercase();
    // The report writes an exception's end into its decision (`exception
    // until DATE`); a sender may write a rotate's the same way.
    let (word, date_in_text) = match lower
        .split_once(" until ")
        .or_else(|| lower.split_once(" by "))
    {
        Some((word, date)) => (word.trim(), Some(date.trim())),
        None => (lower.as_str(), None),
    };
    let kind = match word {
        "" | "undecided" => return Ok(Asked::Nothing),
        "attest" | "attested" => DecisionKind::Attest,
        "revoke" | "revoked" => DecisionKind::Revoke,
        "exception" => DecisionKind::Exception,
        "reassign" | "reassigned" => DecisionKind::Reassign,
        "rotate" => DecisionKind::Rotate,
        _ => {
            return Err((
                "decision",
                format!(
                    "{:?} is not a decision a file may record: use attest, revoke, exception, \
                     reassign or rotate (or leave it empty)",
                    cells.decision.trim()
                ),
            ));
        }
    };
    let mut fields = DecisionFields {
        ticket: Some(cells.ticket),
        to: Some(cells.to.trim()),
        ..DecisionFields::default()
    };
    // The date's column wins over a date in the decision's text; a bad
    // date from the text is the decision cell's problem.
    let mut date_from = None;
    let dated = match kind {
        DecisionKind::Exception => Some((
            "until",
            cells.until,
            "an exception needs its last day (until, or exception_until as the report names it)",
        )),
        DecisionKind::Rotate => Some((
            "by",
            cells.by,
            "a rotate needs the day its credential is rotated by (by, or rotate_by as the \
             report names it)",
        )),
        _ => None,
    };
    if let Some((column, cell, missing)) = dated {
        let (field, date) = match (cell.trim(), date_in_text) {
            ("", None) => return Err((column, missing.into())),
            ("", Some(text)) => ("decision", text),
            (cell, _) => (column, cell),
        };
        date_from = Some(field);
        match kind {
            DecisionKind::Exception => fields.until = Some(date),
            _ => fields.by = Some(date),
        }
    }
    if kind == DecisionKind::Reassign && cells.to.trim().is_empty() {
        return Err((
            "to",
            "a reassign needs the reviewer to hand the item to".into(),
        ));
    }
    match Decision::from_fields(kind, &fields) {
        Ok(decision) => Ok(decision.map_or(Asked::Nothing, Asked::Decision)),
        Err(problem) => Err((
            match problem.field {
                "until" | "by" => date_from.unwrap_or(problem.field),
                field => field,
            },
            problem.message,
        )),
    }
}

/// The rows read: decisions to record, and how many rows asked for none
/// or for the decision already in force.
#[derive(Default)]
struct Read {
    rows: Vec<FileRow>,
    problems: Vec<LineProblem>,
    empty: u64,
    in_force: u64,
}

/// Whether the row asks for what is already in force: a report sent back
/// with most rows untouched records only what was edited.
fn already_in_force(current: &crate::store::ItemRow, decision: &Decision, note: &str) -> bool {
    let same_note = current.note.as_deref().unwrap_or("").trim() == note.trim();
    let same = match (decision, current.decision) {
        (Decision::Attest, Some(DecisionKind::Attest))
        | (Decision::Revoke, Some(DecisionKind::Revoke)) => true,
        (Decision::Exception { until, ticket }, Some(DecisionKind::Exception)) => {
            current.exception_until.as_deref() == Some(until.to_string().as_str())
                && current.ticket.as_deref().unwrap_or("") == ticket.as_deref().unwrap_or("")
        }
        (Decision::Rotate { by }, Some(DecisionKind::Rotate)) => {
            current.rotate_by.as_deref() == Some(by.to_string().as_str())
        }
        (Decision::Reassign { to }, Some(DecisionKind::Reassign)) => {
            crate::domain::people::same_person(&current.assignee, to)
        }
        _ => false,
    };
    same && same_note
}

fn read(text: &str, store: &Store, campaign: &CampaignSummary, actor: &str) -> Result<Read> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut read = Read::default();
    let header = reader.headers().wrap_err("cannot read the header")?.clone();
    let columns = match Columns::of(&header) {
        Ok(columns) => columns,
        Err(problems) => {
            read.problems = problems;
            return Ok(read);
        }
    };
    let mut lines_of: HashMap<i64, u64> = HashMap::new();
    // The reader's own line count goes astray after CRLF ends: count the
    // lines before each record's first byte instead, in one pass.
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                read.problems.push(LineProblem {
                    line,
                    field: "csv",
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        let cell = |at: Option<usize>| at.and_then(|n| record.get(n)).map_or("", restored);
        let mut fail = |field: &'static str, message: String| {
            read.problems.push(LineProblem {
                line,
                field,
                message,
            })
        };
        let asked = match asked(Cells {
            decision: cell(Some(columns.decision)),
            until: cell(columns.until),
            ticket: cell(columns.ticket),
            to: cell(columns.to),
            by: cell(columns.by),
        }) {
            Ok(Asked::Nothing) => {
                read.empty += 1;
                continue;
            }
            Ok(Asked::Decision(decision)) => decision,
            Err((field, message)) => {
                fail(field, message);
                continue;
            }
        };
        let id_text = cell(Some(columns.id)).trim();
        let id = match id_text.parse::<i64>() {
            Ok(id) if id > 0 => id,
            _ => {
                fail("id", format!("{id_text:?} is not an item id"));
                continue;
            }
        };
        if let Some(first) = lines_of.insert(id, line) {
            fail(
                "id",
                format!("item {id} is on line {first} too: one decision per item"),
            );
            continue;
        }
        let Some(current) = store.item_row(campaign.id, ItemId(id))? else {
            fail(
                "id",
                format!("no item {id} in campaign {:?}", campaign.name),
            );
            continue;
        };
        let note = cell(columns.note);
        if already_in_force(&current, &asked, note) {
            read.in_force += 1;
            continue;
        }
        if crate::rules::decision::replaces_anothers(
            current.decision,
            current.decided_by.as_deref(),
            actor,
        ) {
            fail(
                "decision",
                format!(
                    "item {id} already has a decision in force: {} by {}; a file never \
                     replaces someone else's decision (`recert decide` with --expect-event does)",
                    current.decision.map_or("", |d| d.as_str()),
                    current.decided_by.as_deref().unwrap_or_default()
                ),
            );
            continue;
        }
        let note = Some(note.trim().to_string()).filter(|n| !n.is_empty());
        read.rows.push(FileRow {
            line,
            request: DecisionRequest {
                item: ItemId(id),
                decision: Some(asked),
                note,
                // Read just now: a decision recorded before the rows are
                // is a conflict on its line, never overwritten.
                seen_event: Some(current.last_event),
                seconds_on_screen: None,
                overriding: false,
            },
        });
    }
    Ok(read)
}

pub fn run(campaign: &str, path: &Path, dry_run: bool, env: &Env) -> Result<()> {
    let shown = sanitize(&path.display().to_string()).into_owned();
    let bytes = std::fs::read(path).wrap_err_with(|| format!("cannot read {shown}"))?;
    let sha256 = crate::audit::sha256_hex(&bytes);
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        CheckFailed(format!(
            "{shown}: not UTF-8 text ({e}); save it as CSV UTF-8"
        ))
    })?;
    let mut store = env.open()?;
    let actor = env.actor()?;
    let summary = store.campaign(campaign)?;
    let read = read(text, &store, &summary, &actor.email)?;
    let mut problems = read.problems;
    let mut outcome = None;
    // The rows that read well are checked by the rules even when others
    // did not, so that one pass names every problem; with any problem,
    // nothing is recorded.
    let dry_run = dry_run || !problems.is_empty();
    {
        let at = env.now_stamp();
        let source = FileSource {
            file: &path.display().to_string(),
            sha256: &sha256,
        };
        match store.decide_from_file(
            summary.id,
            &env.acting(actor, &at),
            source,
            &read.rows,
            dry_run,
        )? {
            FileDecisions::Refused(refused) => problems.extend(refused),
            decided => outcome = Some(decided),
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        for p in &problems {
            errln!(
                "{}",
                sanitize(&format!("{shown}:{}: {}: {}", p.line, p.field, p.message))
            );
        }
        return Err(CheckFailed(format!(
            "{} in {shown}: nothing was recorded",
            count(problems.len() as u64, "problem")
        ))
        .into());
    }
    let (verb, outcomes) = match outcome {
        Some(FileDecisions::Checked(o)) => ("would record", o),
        Some(FileDecisions::Recorded(o)) => ("recorded", o),
        _ => ("recorded", Vec::new()),
    };
    let mut by_kind: Vec<(DecisionKind, u64)> = Vec::new();
    for row in &read.rows {
        let kind = row
            .request
            .decision
            .as_ref()
            .map_or(DecisionKind::Undo, Decision::kind);
        match by_kind.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => by_kind.push((kind, 1)),
        }
    }
    by_kind.sort();
    let kinds: Vec<String> = by_kind
        .iter()
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect();
    let events = match (outcomes.first(), outcomes.last()) {
        (Some(first), Some(last)) if verb == "recorded" => {
            format!(", events {}–{}", first.seq, last.seq)
        }
        _ => String::new(),
    };
    outln!(
        "{}",
        sanitize(&format!(
            "{verb} {} from {shown} (sha256 {sha256}){events}{}; skipped {} without a \
             decision and {} already in force{}",
            count(outcomes.len() as u64, "decision"),
            if kinds.is_empty() {
                String::new()
            } else {
                format!(": {}", kinds.join(", "))
            },
            count(read.empty, "row"),
            read.in_force,
            if verb == "would record" {
                "; nothing was recorded (--dry-run)"
            } else {
                ""
            }
        ))
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralised_cells_read_back_as_they_were_typed() {
        for (cell, was) in [
            ("'=SUM(A1)", "=SUM(A1)"),
            ("'+1", "+1"),
            ("'-gone", "-gone"),
            ("'@home", "@home"),
            ("'quoted", "'quoted"),
            ("plain", "plain"),
            ("'", "'"),
        ] {
            assert_eq!(restored(cell), was, "{cell}");
        }
    }

    fn row<'a>(decision: &'a str, until: &'a str, to: &'a str, by: &'a str) -> Cells<'a> {
        Cells {
            decision,
            until,
            to,
            by,
            ticket: "",
        }
    }

    fn decided(cells: Cells<'_>) -> Option<Decision> {
        match asked(cells) {
            Ok(Asked::Decision(d)) => Some(d),
            Ok(Asked::Nothing) => None,
            Err((field, message)) => panic!("{}: {field}: {message}", cells.decision),
        }
    }

    fn refused(cells: Cells<'_>) -> Option<&'static str> {
        asked(cells).err().map(|(field, _)| field)
    }

    #[test]
    fn the_reports_words_are_decisions_too() {
        let plain = |text| row(text, "", "", "");
        assert_eq!(decided(plain("Attested")), Some(Decision::Attest));
        assert_eq!(decided(plain(" revoke ")), Some(Decision::Revoke));
        assert_eq!(decided(plain("undecided")), None);
        assert_eq!(decided(plain("")), None);
        let until = chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
        let exception = Some(Decision::Exception {
            until,
            ticket: None,
        });
        assert_eq!(decided(plain("exception until 2027-03-31")), exception);
        assert_eq!(
            decided(row("exception until 2026-01-01", "2027-03-31", "", "")),
            exception
        );
        assert_eq!(refused(plain("exception")), Some("until"));
        assert_eq!(refused(plain("exception until soon")), Some("decision"));
        assert_eq!(
            refused(row("exception", "2027-02-30", "", "")),
            Some("until")
        );
        assert_eq!(refused(plain("reassign")), Some("to"));
        assert_eq!(refused(row("reassign", "", "d@x", "")), None);
        assert_eq!(refused(plain("undo")), Some("decision"));
    }

    #[test]
    fn a_rotate_reads_its_date_from_by_or_the_reports_rotate_by() {
        let by = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
        let rotate = Some(Decision::Rotate { by });
        assert_eq!(decided(row("rotate", "", "", "2027-01-15")), rotate);
        assert_eq!(decided(row(" Rotate ", "", "", " 2027-01-15 ")), rotate);
        assert_eq!(decided(row("rotate by 2027-01-15", "", "", "")), rotate);
        assert_eq!(
            decided(row("rotate by 2026-01-01", "", "", "2027-01-15")),
            rotate,
            "the column wins"
        );
        // The date a rotate is missing is named as the file's column.
        let (field, message) = asked(row("rotate", "2027-01-15", "", "")).err().unwrap();
        assert_eq!(field, "by");
        assert!(message.contains("rotate_by"), "{message}");
        assert_eq!(refused(row("rotate", "", "", "15/01/2027")), Some("by"));
        assert_eq!(refused(row("rotate", "", "", "2027-02-30")), Some("by"));
        assert_eq!(refused(row("rotate by soon", "", "", "")), Some("decision"));
        // Whether the date is within policy, and the grant a credential, is
        // the rules' to say when the row is recorded.
        assert_eq!(
            decided(row("rotate", "", "", "2099-01-01")),
            Some(Decision::Rotate {
                by: chrono::NaiveDate::from_ymd_opt(2099, 1, 1).unwrap()
            })
        );
    }

    #[test]
    fn the_by_column_goes_by_the_reports_name_too() {
        for header in [
            "id,decision,by",
            "item,decision,rotate_by",
            "ID,Decision,Rotate_By",
        ] {
            let header = csv::StringRecord::from(header.split(',').collect::<Vec<_>>());
            let columns = Columns::of(&header).ok().unwrap();
            assert_eq!(columns.by, Some(2), "{header:?}");
        }
    }

    #[test]
    fn lines_are_counted_whatever_ends_them() {
        let text = "h\r\n\r\na,\"b\r\nc\"\r\nd\n";
        let mut lines = LineCounter::new(text);
        // The reader places records at the line end before them.
        assert_eq!(lines.at(1), 3);
        assert_eq!(lines.at(14), 5);
    }
}
