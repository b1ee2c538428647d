//! The CSV report: one row per item with its decision in force and the
//! facts an auditor filters on (self-review, reviewer who signed off, close
//! action, remediation, the deciding event and its hash, the chain head).
//! Cells that a spreadsheet would run as a formula are neutralised.

use super::chunks::{self, ChunkRenderer, RenderError};
use super::{Context, Error, push_decision_text};
use crate::domain::decision::state_label;
use crate::domain::framework::control_ids;
use crate::domain::text::sanitize_multiline;
use crate::domain::{Flag, FlagSet, RemediationStatus};
use crate::store::{ItemView, ReportRows, Store};
use foldhash::HashMap;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

pub const HEADER: [&str; 34] = [
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
    // Last but for the chain head, so that the columns before it keep the
    // places they had before reports cited controls.
    "controls",
];

/// How the decider was established (`asserted`, `os_user`, `ssh_key`),
/// whose item they decided when it was another reviewer's (`override of`,
/// `on behalf of`, `delegate of`), and the item's part: its sponsor, and
/// who signed the part.
pub const WHO_ACTED: [&str; 4] = ["decided_via", "acting_for", "part", "part_signed_by"];

/// After [`WHO_ACTED`]: for an item flagged `revocation_not_done`,
/// the earlier revoke and the snapshot that still held the grant, and
/// where that revoke stands now. Those items lead the file, so they read
/// as a section of their own at its top.
pub const NOT_DONE: &str = "revocation_not_done";

/// The evidence beside the flags, last (after [`NOT_DONE`]) so that every
/// column before keeps its place: each flag with its reason (`flag: reason`,
/// separated by ` | `), the identity's sponsor, the grant's owners and its
/// dates, as the detail pane shows them.
pub const EVIDENCE: [&str; 8] = [
    "reasons",
    "sponsor",
    "business_owner",
    "technical_owner",
    "granted_at",
    "expires_at",
    "last_used_at",
    "credential_rotated_at",
];

/// Last of all: the partner tier (identity register) and what the
/// entitlement catalog said of the entitlement when the item was made.
pub const CATALOG: [&str; 3] = ["tier", "catalog_sensitivity", "catalog_description"];

/// After [`CATALOG`], the very last: a rotate's date, which `decision`
/// (`rotate`) does not carry, so that a report sent back to
/// `decide --from` keeps it.
pub const ROTATE_BY: &str = "rotate_by";

/// Separates the `flag: reason` pairs of the `reasons` cell, which is for
/// reading: a reason may quote imported text (a tenant's name), so a
/// program wanting each reason reads the JSON report's `findings`.
pub const REASON_SEPARATOR: &str = " | ";

/// Prefixes a `'` to cells a spreadsheet would treat as a formula (those
/// starting with `=`, `+`, `-`, `@`, tab or carriage return).
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

fn yes(flag: bool) -> &'static str {
    if flag { "yes" } else { "" }
}

/// Per-report buffers, so that a million rows format without a
/// million times thirty allocations.
#[derive(Default)]
struct Scratch {
    /// The flags' cells by flag bits: few distinct sets recur across a
    /// campaign, so a row costs one lookup instead of a walk through the
    /// framework mapping.
    flags: HashMap<u32, FlagCells>,
    text: String,
    /// The chain head, the last cell of every row, rendered once.
    head: Vec<u8>,
}

impl Scratch {
    fn new(ctx: &Context<'_>) -> Scratch {
        let mut head = Vec::new();
        let mut record = Record {
            out: &mut head,
            quoting: cell_quoting(ctx.to_terminal),
            fields: 0,
        };
        record.field(&ctx.evidence.head_hash);
        Scratch {
            head,
            ..Scratch::default()
        }
    }
}

/// The cells one set of flags fills: their names, and the framework
/// controls they evidence (ids, as `recert items --json` lists them).
struct FlagCells {
    names: String,
    /// Rendered as [`Record::field`] renders it: the ids are data from
    /// `assets/frameworks.toml`, not recert's own words.
    controls: Vec<u8>,
}

fn flag_cells(cache: &mut HashMap<u32, FlagCells>, flags: FlagSet, terminal: bool) -> &FlagCells {
    cache.entry(flags.bits()).or_insert_with(|| {
        let mut controls = Vec::new();
        let mut record = Record {
            out: &mut controls,
            quoting: cell_quoting(terminal),
            fields: 0,
        };
        record.field(&control_ids(flags).join(" "));
        FlagCells {
            names: flags.names().join(" "),
            controls,
        }
    })
}

/// Writes every item of the campaign; returns how many. The chain head is
/// the last column of every row, so that any extract of the file still
/// names the log it came from. Rows are rendered on as many threads as
/// the store offers readers for (see [`chunks::render`]).
pub fn write(store: &Store, ctx: &Context<'_>, out: &mut dyn Write) -> Result<u64, Error> {
    let mut writer = ::csv::Writer::from_writer(&mut *out);
    let mut header: Vec<&str> = HEADER.to_vec();
    header.push("chain_head");
    // After the chain head, so that every column before keeps its place.
    header.extend(WHO_ACTED);
    header.push(NOT_DONE);
    header.extend(EVIDENCE);
    header.extend(CATALOG);
    header.push(ROTATE_BY);
    writer.write_record(&header)?;
    writer.flush()?;
    drop(writer);
    let renderer = || CsvChunk {
        ctx,
        out: Vec::new(),
        scratch: Scratch::new(ctx),
    };
    chunks::render(
        store,
        ctx.campaign.id,
        ReportRows::All,
        renderer,
        &mut |bytes| out.write_all(bytes),
    )
}

/// One thread's share of the CSV: rows rendered into a buffer that the
/// writer takes a chunk at a time.
struct CsvChunk<'a> {
    ctx: &'a Context<'a>,
    out: Vec<u8>,
    scratch: Scratch,
}

impl ChunkRenderer for CsvChunk<'_> {
    fn row(&mut self, row: &ItemView<'_>) -> Result<(), RenderError> {
        let (scratch, ctx) = (&mut self.scratch, self.ctx);
        write_record(&mut self.out, ctx.to_terminal, |record| {
            write_row(record, scratch, ctx, row)
        });
        Ok(())
    }

    fn take(&mut self) -> Result<Vec<u8>, RenderError> {
        // The next chunk is about as long as this one: start it at that
        // size rather than copying it over as it grows.
        let capacity = self.out.len() + self.out.len() / 8;
        Ok(std::mem::replace(
            &mut self.out,
            Vec::with_capacity(capacity),
        ))
    }
}

/// Appends the record that `write` writes, ended, byte for byte as
/// `csv::Writer` with its defaults writes it: a field is quoted only when
/// it holds a comma, a quote, `\r` or `\n`, quotes inside are doubled, a
/// record with no bytes in it is written `""`, and the record ends in
/// `\n`. `write` may be called twice (see [`Quoting::Deferred`]), so it
/// must write the same cells each time.
fn write_record(out: &mut Vec<u8>, terminal: bool, mut write: impl FnMut(&mut Record<'_>)) {
    let start = out.len();
    if !terminal {
        let mut record = Record {
            out,
            quoting: Quoting::Deferred,
            fields: 0,
        };
        write(&mut record);
        // A lone field may be empty, which the careful path quotes.
        let fields = record.fields;
        if fields > 1 && unquoted_separators(&out[start..]) == Some(fields - 1) {
            out.push(b'\n');
            return;
        }
        out.truncate(start);
    }
    let mut record = Record {
        out,
        quoting: cell_quoting(terminal),
        fields: 0,
    };
    write(&mut record);
    if record.out.len() == start {
        // An empty line would read as no record at all.
        record.out.extend_from_slice(b"\"\"");
    }
    record.end();
}

/// One CSV record's cells written straight into a byte buffer, for
/// [`write_record`] to finish. Every cell is neutralised as by
/// [`neutralize`] and, for a terminal, sanitised first. `csv::Writer` copies each field
/// through its own buffer and state machine, which at a million rows of 34
/// fields cost about as much as reading them from the store.
struct Record<'o> {
    out: &'o mut Vec<u8>,
    quoting: Quoting,
    /// What the separators written must number, less one.
    fields: usize,
}

/// How a cell is rendered once for many rows ([`Record::rendered`]), and
/// how a record [`Quoting::Deferred`] found wanting is written again.
fn cell_quoting(terminal: bool) -> Quoting {
    if terminal {
        Quoting::Sanitised
    } else {
        Quoting::PerCell
    }
}

/// How a [`Record`] decides which cells to quote.
#[derive(Clone, Copy)]
enum Quoting {
    /// Each cell is scanned as it is written.
    PerCell,
    /// Each cell is sanitised for a terminal, then scanned.
    Sanitised,
    /// Cells are written unquoted (neutralised still), for one scan of the
    /// whole record afterwards: almost every record needs no quote at all,
    /// and one pass over four hundred bytes costs less than thirty short
    /// ones. A record the scan finds wanting is written again `PerCell`.
    Deferred,
}

impl Record<'_> {
    fn separate(&mut self) {
        if self.fields > 0 {
            self.out.push(b',');
        }
        self.fields += 1;
    }

    fn field(&mut self, cell: &str) {
        self.separate();
        match self.quoting {
            Quoting::PerCell => push_cell(self.out, cell),
            Quoting::Sanitised => push_cell(self.out, &sanitize_multiline(cell)),
            Quoting::Deferred => {
                if starts_formula(cell.as_bytes()) {
                    self.out.push(b'\'');
                }
                self.out.extend_from_slice(cell.as_bytes());
            }
        }
    }

    /// A cell of recert's own vocabulary (a flag, a state, `yes`, a
    /// count): nothing in it needs quoting, neutralising or escaping, so it
    /// is copied as is. A million rows hold twenty such cells each.
    fn word(&mut self, word: &str) {
        debug_assert!(
            !starts_formula(word.as_bytes()) && !needs_quotes(word.as_bytes()),
            "{word:?} is not a plain word"
        );
        self.separate();
        self.out.extend_from_slice(word.as_bytes());
    }

    /// A cell already rendered as [`Record::field`] renders it.
    fn rendered(&mut self, cell: &[u8]) {
        self.separate();
        self.out.extend_from_slice(cell);
    }

    fn number(&mut self, n: Option<i64>) {
        let mut digits = itoa::Buffer::new();
        match n {
            // A minus sign is what a formula may start with.
            Some(n) if n >= 0 => self.word(digits.format(n)),
            Some(n) => self.field(digits.format(n)),
            None => self.field(""),
        }
    }

    fn end(self) {
        self.out.push(b'\n');
    }
}

/// Every character `neutralize` looks for is ASCII: its first byte.
fn starts_formula(bytes: &[u8]) -> bool {
    matches!(
        bytes.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// Sixteen bytes at a time, the last block padded with NULs (which need
/// no quoting): a fixed-size block compiles to a few SIMD compares, where
/// a byte loop ran at about eleven instructions a byte.
fn needs_quotes(bytes: &[u8]) -> bool {
    const BLOCK: usize = 16;
    #[inline(always)]
    fn any_special(block: &[u8; BLOCK]) -> bool {
        let mut found = 0u8;
        for &b in block {
            found |= u8::from((b == b',') | (b == b'"') | (b == b'\n') | (b == b'\r'));
        }
        found != 0
    }
    let (blocks, rest) = bytes.as_chunks::<BLOCK>();
    if blocks.iter().any(any_special) {
        return true;
    }
    let mut last = [0u8; BLOCK];
    last[..rest.len()].copy_from_slice(rest);
    any_special(&last)
}

/// The commas in a record written [`Quoting::Deferred`], or `None` when
/// it holds a quote, `\r` or `\n`. A record with one comma per separator
/// and none of those has no cell that needs quoting, so it reads exactly
/// as one written [`Quoting::PerCell`]. Blocks of 32 bytes, the last
/// padded with NULs, as in [`needs_quotes`].
fn unquoted_separators(record: &[u8]) -> Option<usize> {
    const BLOCK: usize = 32;
    #[inline(always)]
    fn scan(block: &[u8; BLOCK]) -> (u8, u8) {
        let mut commas = 0u8;
        let mut special = 0u8;
        for &b in block {
            commas += u8::from(b == b',');
            special |= u8::from((b == b'"') | (b == b'\n') | (b == b'\r'));
        }
        (commas, special)
    }
    let (blocks, rest) = record.as_chunks::<BLOCK>();
    let mut last = [0u8; BLOCK];
    last[..rest.len()].copy_from_slice(rest);
    let mut commas = 0usize;
    let mut special = 0u8;
    for block in blocks.iter().chain(std::iter::once(&last)) {
        let (c, s) = scan(block);
        commas += usize::from(c);
        special |= s;
    }
    (special == 0).then_some(commas)
}

fn push_cell(out: &mut Vec<u8>, cell: &str) {
    let bytes = cell.as_bytes();
    let formula = starts_formula(bytes);
    if !needs_quotes(bytes) {
        if formula {
            out.push(b'\'');
        }
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    if formula {
        out.push(b'\'');
    }
    for part in bytes.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

fn write_row(
    record: &mut Record<'_>,
    scratch: &mut Scratch,
    ctx: &Context<'_>,
    row: &ItemView<'_>,
) {
    let Scratch { flags, text, head } = scratch;
    record.number(Some(row.id.0));
    record.number(Some(row.rank + 1));
    record.field(row.tenant);
    record.field(row.identity_id);
    record.field(row.identity_name);
    record.field(row.kind);
    record.field(row.relationship);
    record.field(row.organization.unwrap_or_default());
    record.field(row.system);
    record.field(row.environment.unwrap_or_default());
    record.field(row.entitlement);
    let cells = flag_cells(flags, row.flags, ctx.to_terminal);
    record.word(&cells.names);
    record.word(row.recommendation.as_str());
    record.word(state_label(row.decision));
    record.field(row.assignee);
    record.field(row.decided_by.unwrap_or_default());
    record.field(row.decided_at.unwrap_or_default());
    record.field(row.note.unwrap_or_default());
    record.field(row.exception_until.unwrap_or_default());
    record.field(row.ticket.unwrap_or_default());
    record.word(yes(row.privileged));
    record.number(Some(row.score));
    text.clear();
    push_decision_text(text, row.decision, row.exception_until, row.rotate_by);
    record.field(text);
    record.word(yes(row.self_review));
    record.word(yes(
        ctx.decided_by_signer(row.decided_by, row.close_action.is_some())
    ));
    record.word(yes(row.against_recommendation));
    record.word(yes(row.bulk));
    text.clear();
    if let Some(seconds) = row.seconds_on_screen {
        let _ = write!(text, "{seconds}");
    }
    record.field(text);
    record.field(row.close_action.unwrap_or_default());
    record.word(row.remediation.map_or("", |s| s.as_str()));
    record.number(row.remediation_snapshot.map(|s| s.0));
    record.number(row.decided_event.map(|e| e.0));
    record.field(row.decided_hash.unwrap_or_default());
    record.rendered(&cells.controls);
    record.rendered(head);
    record.word(super::established_method(
        row.decided_via,
        row.decided_event.is_some(),
    ));
    text.clear();
    if let Some((capacity, of)) = &row.acting_for {
        let _ = write!(text, "{} {of}", capacity.words());
    }
    record.field(text);
    let part = ctx.part_of(row.sponsor);
    record.field(part.map_or("", |p| p.sponsor.as_str()));
    record.field(part.and_then(|p| p.signer.as_deref()).unwrap_or_default());
    text.clear();
    if row.flags.contains(Flag::RevocationNotDone) {
        let not_done = &ctx.evidence.revocations_not_done;
        // In item order, as the evidence read them.
        if let Ok(at) = not_done.binary_search_by_key(&row.id.0, |n| n.item) {
            let n = &not_done[at];
            let _ = match (n.status, n.status_snapshot) {
                (RemediationStatus::Verified, Some(s)) => {
                    write!(text, "{}; verified since by snapshot {s}", n.reason)
                }
                (status, _) => write!(text, "{}; now {}", n.reason, status.label()),
            };
        }
    }
    record.field(text);
    text.clear();
    for (n, finding) in ctx.findings(row).iter().enumerate() {
        if n > 0 {
            text.push_str(REASON_SEPARATOR);
        }
        let _ = write!(text, "{}: {}", finding.flag, finding.reason);
    }
    record.field(text);
    let ev = &row.evidence;
    record.field(row.sponsor.unwrap_or_default());
    for cell in [
        ev.business_owner,
        ev.technical_owner,
        ev.granted_at,
        ev.expires_at,
        ev.last_used_at,
        ev.credential_rotated_at,
        row.tier,
        row.sensitivity,
        row.description,
        row.rotate_by,
    ] {
        record.field(cell.unwrap_or_default());
    }
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

    /// What `Record::word` copies unexamined: every value recert's own
    /// vocabulary can put in such a cell.
    #[test]
    fn recerts_own_words_need_no_quoting_or_neutralising() {
        use crate::domain::{DecisionKind, Flag, Recommendation, RemediationStatus};
        let mut words: Vec<String> = vec![yes(true).into(), yes(false).into()];
        words.push(
            Flag::ALL
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(" "),
        );
        words.extend(Flag::ALL.iter().map(|f| f.name().to_string()));
        words.extend(Recommendation::ALL.iter().map(|r| r.as_str().to_string()));
        words.extend(
            RemediationStatus::ALL
                .iter()
                .map(|r| r.as_str().to_string()),
        );
        let kinds = [
            None,
            Some(DecisionKind::Undo),
            Some(DecisionKind::Attest),
            Some(DecisionKind::Revoke),
            Some(DecisionKind::Exception),
            Some(DecisionKind::Reassign),
        ];
        words.extend(kinds.iter().map(|k| state_label(*k).to_string()));
        for word in &words {
            let bytes = word.as_bytes();
            assert!(!starts_formula(bytes) && !needs_quotes(bytes), "{word:?}");
        }
    }

    /// The scan reads blocks of sixteen and pads the last: a byte that
    /// needs quoting is found wherever it falls, in cells of any length.
    #[test]
    fn the_quoting_scan_finds_a_special_byte_at_every_position() {
        for len in 0..=50 {
            let plain = "x".repeat(len);
            assert!(!needs_quotes(plain.as_bytes()), "{len} plain bytes");
            for special in [b',', b'"', b'\n', b'\r'] {
                for at in 0..len {
                    let mut cell = plain.clone().into_bytes();
                    cell[at] = special;
                    assert!(needs_quotes(&cell), "{special:?} at {at} of {len}");
                }
            }
        }
    }

    const CELLS: [&str; 20] = [
        "",
        "plain",
        "a,b",
        "say \"hi\"",
        "\"",
        "\"\"",
        "line\nbreak",
        "cr\rhere",
        "=1+1",
        "=\"x\",y",
        "-2",
        "+3",
        "@cmd",
        "\tx",
        "\rx",
        "\r\n",
        "'",
        "ünï, ✓",
        "a=b",
        "- \"q\"\n",
    ];

    /// A record is written unquoted and scanned once, and written again
    /// cell by cell when the scan finds anything: either way it reads as
    /// `csv::Writer` writes it. Each cell above is tried at each place in
    /// records longer and shorter than a scan block, among plain cells; a
    /// record of plain cells is written once.
    #[test]
    fn records_are_written_as_csv_writer_writes_them_whatever_they_hold() {
        let filler = "x".repeat(40);
        let check = |fields: &[&str]| {
            let mut expected = ::csv::Writer::from_writer(Vec::new());
            let neutralised: Vec<_> = fields.iter().map(|f| neutralize(f)).collect();
            expected
                .write_record(neutralised.iter().map(|f| f.as_bytes()))
                .unwrap();
            let expected = expected.into_inner().unwrap();
            let mut ours = b"earlier rows\n".to_vec();
            let mut writes = 0;
            write_record(&mut ours, false, |record| {
                writes += 1;
                fields.iter().for_each(|f| record.field(f))
            });
            assert_eq!(
                String::from_utf8_lossy(&ours["earlier rows\n".len()..]),
                String::from_utf8_lossy(&expected),
                "{fields:?}"
            );
            writes
        };
        assert_eq!(check(&[]), 2);
        for width in [1, 2, 5, 34] {
            let plain = vec![filler.as_str(); width];
            assert_eq!(check(&plain), if width > 1 { 1 } else { 2 }, "{width}");
            for cell in CELLS {
                for at in 0..width {
                    let mut fields = plain.clone();
                    fields[at] = cell;
                    check(&fields);
                }
            }
        }
    }

    #[test]
    fn the_record_scan_counts_commas_and_finds_quotes_and_line_ends() {
        for len in 0..=70 {
            let plain = "x".repeat(len);
            assert_eq!(unquoted_separators(plain.as_bytes()), Some(0));
            for at in 0..len {
                let mut record = plain.clone().into_bytes();
                record[at] = b',';
                assert_eq!(
                    unquoted_separators(&record),
                    Some(1),
                    "comma at {at} of {len}"
                );
                record[len - 1 - at] = b',';
                let commas = if len - 1 - at == at { 1 } else { 2 };
                assert_eq!(
                    unquoted_separators(&record),
                    Some(commas),
                    "commas at {at} of {len}"
                );
                for special in [b'"', b'\n', b'\r'] {
                    let mut record = plain.clone().into_bytes();
                    record[at] = special;
                    assert_eq!(unquoted_separators(&record), None, "{special:?} at {at}");
                }
            }
        }
    }

    #[test]
    fn cells_are_written_as_csv_writer_writes_them_neutralised() {
        let cells = CELLS;
        let numbers = [0, 7, -1, 42, i64::MAX, i64::MIN];
        let mut expected = ::csv::Writer::from_writer(Vec::new());
        let mut ours = Vec::new();
        let mut record = Record {
            out: &mut ours,
            quoting: Quoting::PerCell,
            fields: 0,
        };
        for cell in cells {
            expected.write_field(neutralize(cell).as_bytes()).unwrap();
            record.field(cell);
        }
        for n in numbers {
            expected
                .write_field(neutralize(&n.to_string()).as_bytes())
                .unwrap();
            record.number(Some(n));
        }
        expected.write_field("").unwrap();
        record.number(None);
        expected.write_record(None::<&[u8]>).unwrap();
        record.end();
        let expected = expected.into_inner().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&expected)
        );
    }
}
