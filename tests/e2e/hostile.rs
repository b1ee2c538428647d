//! Hostile input through the real binary: a fixed corpus of nasty files
//! (`tests/corpus/`, plus the big ones generated here), each with the
//! outcome it must have; then what accepted hostile text can do to the
//! terminal (nothing: it is shown escaped) and to exports (nothing: CSV
//! formulas are neutralised, JSON stays valid and says the same thing).

use crate::util::{Pty, Sandbox};
use std::path::Path;

/// What importing one corpus file must do.
enum Outcome {
    /// Exit 0, standard output containing this.
    Accepted(&'static str),
    /// This exit code, standard error containing this (`FILE:LINE: field:`),
    /// and the database exactly as it was.
    Rejected(i32, &'static str),
}

use Outcome::{Accepted, Rejected};

/// The committed corpus: (file, extra import arguments, outcome).
const CORPUS: &[(&str, &[&str], Outcome)] = &[
    (
        "canonical-unbalanced-quote.csv",
        &[],
        Rejected(
            1,
            "canonical-unbalanced-quote.csv:3: expected 7 fields as in the header, found 4",
        ),
    ),
    (
        "canonical-wrong-field-count.csv",
        &[],
        Rejected(
            1,
            "canonical-wrong-field-count.csv:4: expected 7 fields as in the header, found 8",
        ),
    ),
    (
        "canonical-invalid-utf8.csv",
        &[],
        Rejected(
            1,
            "canonical-invalid-utf8.csv:3: identity_name: not valid UTF-8",
        ),
    ),
    (
        "canonical-bom-crlf.csv",
        &[],
        Accepted("canonical-bom-crlf.csv: 2 rows"),
    ),
    (
        "canonical-empty.csv",
        &[],
        Rejected(
            2,
            "cannot tell the format of canonical-empty.csv: the file is empty",
        ),
    ),
    (
        "canonical-empty.csv",
        &["--format", "canonical"],
        Rejected(1, "canonical-empty.csv: the file is empty"),
    ),
    (
        "canonical-header-only.csv",
        &[],
        Accepted("canonical-header-only.csv: 0 rows"),
    ),
    (
        "canonical-duplicate-key.csv",
        &[],
        Rejected(1, "canonical-duplicate-key.csv:4: duplicate of line 2"),
    ),
    (
        "canonical-nul-byte.csv",
        &[],
        Rejected(
            1,
            "canonical-nul-byte.csv:3: identity_name: contains a NUL byte",
        ),
    ),
    (
        "canonical-implausible-year.csv",
        &[],
        Rejected(
            1,
            // Year 0 at +14:00 is year -1 in UTC: stored, it would read
            // back as no date at all and the grant would lose its flags.
            "canonical-implausible-year.csv:3: expires_at: \"0000-01-01T00:00:00+14:00\" is not \
             a plausible date: years 1900 to 9999 only",
        ),
    ),
    (
        "canonical-invisible.csv",
        &[],
        Accepted("canonical-invisible.csv: 5 rows"),
    ),
    (
        "canonical-sql.csv",
        &[],
        Accepted("canonical-sql.csv: 2 rows"),
    ),
    (
        "canonical-formulas.csv",
        &[],
        Accepted("canonical-formulas.csv: 2 rows"),
    ),
    (
        "canonical-terminal-escapes.csv",
        &[],
        Accepted("canonical-terminal-escapes.csv: 2 rows"),
    ),
    (
        "aws-bom-crlf.csv",
        &[],
        Accepted("aws-bom-crlf.csv: 2 rows"),
    ),
    (
        "aws-two-accounts.csv",
        &[],
        Rejected(
            1,
            "aws-two-accounts.csv:3: arn: account 999988887777 differs from account 111122223333",
        ),
    ),
    (
        "aws-bad-date.csv",
        &[],
        Rejected(
            1,
            "aws-bad-date.csv:3: user_creation_time: \"yesterday\" is not",
        ),
    ),
    (
        "aws-implausible-year.csv",
        &[],
        Rejected(
            1,
            "aws-implausible-year.csv:3: password_last_used: \"0000-01-01T00:00:00+14:00\" is not \
             a plausible date: years 1900 to 9999 only",
        ),
    ),
    (
        "aws-unknown-column-escape.csv",
        &[],
        Accepted("aws-unknown-column-escape.csv: 1 rows"),
    ),
    (
        "scim-truncated.json",
        &[],
        Rejected(1, "scim-truncated.json:1:255: the JSON ends early"),
    ),
    (
        "scim-duplicate-username.json",
        &[],
        Rejected(
            1,
            "scim-duplicate-username.json:$.Resources[1].userName: userName \"A@X\" is also",
        ),
    ),
    (
        "scim-deep-nesting.json",
        &[],
        Rejected(
            1,
            "scim-deep-nesting.json:1:314: invalid JSON: recursion limit exceeded",
        ),
    ),
    (
        "scim-invalid-utf8.json",
        &[],
        Rejected(1, "scim-invalid-utf8.json:1:264: invalid JSON"),
    ),
    (
        "scim-duplicate-attribute.json",
        &[],
        Rejected(
            1,
            "scim-duplicate-attribute.json:$.Resources[1]: duplicate attribute \"userName\" \
             (also \"USERNAME\")",
        ),
    ),
    (
        "scim-duplicate-resources.json",
        &[],
        Rejected(
            1,
            "scim-duplicate-resources.json:$: duplicate attribute \"Resources\"",
        ),
    ),
    ("scim-bom.json", &[], Accepted("scim-bom.json: 1 rows")),
    (
        "scim-nul.json",
        &[],
        Rejected(
            1,
            "scim-nul.json:$.Resources[0].displayName: contains a NUL byte",
        ),
    ),
    (
        "scim-terminal-escapes.json",
        &[],
        Accepted("scim-terminal-escapes.json: 2 rows"),
    ),
    (
        "register-duplicate.csv",
        &[],
        Rejected(
            1,
            "register-duplicate.csv:3: identity_id: duplicate of line 2",
        ),
    ),
    (
        "register-unknown-column.csv",
        &[],
        Accepted("register-unknown-column.csv: 1 rows"),
    ),
    (
        "register-misspelt-column.csv",
        &[],
        Rejected(
            1,
            "register-misspelt-column.csv:1: Contract End: not a column; did you mean contract_end?",
        ),
    ),
    (
        "canonical-misspelt-column.csv",
        &[],
        Rejected(
            1,
            "canonical-misspelt-column.csv:1: privilegd: not a column; did you mean privileged?",
        ),
    ),
    (
        "register-bad-date.csv",
        &[],
        Rejected(1, "register-bad-date.csv:2: contract_end: expected a date"),
    ),
    (
        "register-implausible-year.csv",
        &[],
        Rejected(
            1,
            "register-implausible-year.csv:2: contract_end: \"1601-01-01\" is not a plausible date",
        ),
    ),
    (
        "register-bom-crlf.csv",
        &[],
        Accepted("register-bom-crlf.csv: 1 rows"),
    ),
];

const HEADER: &str =
    "tenant,system,identity_id,identity_name,identity_kind,relationship,entitlement";

fn corpus_file(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name)
}

/// Imports `name` (already in the sandbox) and checks the outcome; a
/// rejection must leave every row as it was, an acceptance a database
/// that still verifies.
fn check(sandbox: &Sandbox, name: &str, extra: &[&str], outcome: &Outcome) {
    let before = sandbox.dump();
    let mut args = vec!["import", name];
    args.extend_from_slice(extra);
    let output = sandbox.cmd().args(&args).output().expect("run recert");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match outcome {
        Accepted(summary) => {
            assert!(
                output.status.success() && stdout.contains(summary),
                "{name}: expected acceptance with {summary:?}; stdout {stdout} stderr {stderr}"
            );
            sandbox.ok(&["verify"]);
        }
        Rejected(code, message) => {
            assert_eq!(
                output.status.code(),
                Some(*code),
                "{name}: stdout {stdout} stderr {stderr}"
            );
            assert!(
                stderr.contains(message),
                "{name}: expected {message:?} in:\n{stderr}"
            );
            if *code == 1 {
                assert!(stderr.contains("nothing was imported"), "{name}: {stderr}");
            }
            assert_eq!(sandbox.dump(), before, "{name} changed the database");
        }
    }
}

#[test]
fn every_corpus_file_has_its_expected_outcome() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "import",
        crate::util::fixture("canonical/sample.csv")
            .to_str()
            .unwrap(),
    ]);
    let listed: std::collections::BTreeSet<&str> = CORPUS.iter().map(|c| c.0).collect();
    let present: std::collections::BTreeSet<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.'))
            .collect();
    assert_eq!(
        present,
        listed.iter().map(|s| s.to_string()).collect(),
        "every corpus file has an expected outcome, and every listed one exists"
    );
    for (name, extra, outcome) in CORPUS {
        std::fs::copy(corpus_file(name), sandbox.path(name)).unwrap();
        check(&sandbox, name, extra, outcome);
    }
}

/// The cases too big to commit, generated.
#[test]
fn big_fields_wide_files_and_runaway_quotes_are_refused_by_line_and_field() {
    let sandbox = Sandbox::new();
    let row = "nw,github,a@x,Ann,human,partner,org:member";
    let big = "x".repeat(2 << 20);
    let wide_header: String = (0..10_000).map(|i| format!(",c{i}")).collect();
    let wide_row: String = ",v".repeat(9_993);
    let aws_header = std::fs::read_to_string(corpus_file("aws-bom-crlf.csv")).unwrap();
    let aws_header = aws_header
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap();
    let aws_row = std::fs::read_to_string(corpus_file("aws-bom-crlf.csv"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .trim_end()
        .to_string();
    let runaway = format!(
        "{HEADER}\n{row}\nnw,github,b@x,\"Bob,{}\n",
        "y".repeat(5 << 20)
    );
    let cases: Vec<(&str, String, Outcome)> = vec![
        (
            "big-field.csv",
            format!("{HEADER}\nnw,github,a@x,{big},human,partner,org:member\n"),
            Rejected(
                1,
                "big-field.csv:2: identity_name: 2097152 bytes is longer than the 65536 allowed",
            ),
        ),
        (
            "big-string.json",
            format!(
                r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults":1,"Resources":[{{"id":"u1","userName":"a@x",
                "schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
                "displayName":"{big}"}}]}}"#
            ),
            Rejected(
                1,
                "big-string.json:$.Resources[0].displayName: 2097152 bytes is longer",
            ),
        ),
        (
            "wide-header.csv",
            format!("{HEADER}{wide_header}\n{row}{}\n", ",v".repeat(10_000)),
            Accepted("wide-header.csv: 1 rows"),
        ),
        (
            "wide-row.csv",
            format!("{HEADER}\n{row}{wide_row}\n"),
            Rejected(
                1,
                "wide-row.csv:2: expected 7 fields as in the header, found 10000",
            ),
        ),
        (
            "wide-aws.csv",
            format!(
                "{aws_header}{wide_header}\n{aws_row}{}\n",
                ",v".repeat(10_000)
            ),
            Accepted("wide-aws.csv: 1 rows"),
        ),
        (
            "runaway.csv",
            runaway,
            Rejected(
                1,
                "runaway.csv:3: the record starting here runs on for more than 4 MiB",
            ),
        ),
    ];
    for (name, text, outcome) in &cases {
        std::fs::write(sandbox.path(name), text).unwrap();
        check(&sandbox, name, &[], outcome);
    }
    // 10,000 warnings: the first 20 in full, the rest counted.
    for wide in ["wide-header.csv", "wide-aws.csv"] {
        let output = sandbox.cmd().args(["import", wide]).output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(err.contains("warning: … and 9980 more"), "{wide}: {err}");
    }
}

/// Bytes that make a terminal do something: ESC (and so every escape
/// sequence), BEL, CR, DEL, the C1 controls (U+0080–U+009F, CSI among
/// them) and the bidirectional overrides and isolates; and characters that
/// draw nothing, with which a name passes for another.
fn terminal_controls(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.char_indices()
        .filter(|(_, c)| {
            (c.is_control() && *c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
                || is_invisible(*c)
        })
        .map(|(i, c)| {
            let start = text[..i].char_indices().rev().nth(20).map_or(0, |(j, _)| j);
            format!("{:?} after {:?}", c, &text[start..i])
        })
        .collect()
}

/// Characters that draw nothing: zero-width spaces and joiners, the word
/// joiner and invisible operators, line and paragraph separators, tags,
/// the soft hyphen, Hangul fillers, the BOM, the combining grapheme joiner,
/// the Mongolian vowel separator and variation selectors (and the unused
/// code points between tags and the supplement's selectors).
fn is_invisible(c: char) -> bool {
    let one_of = "\u{ad}\u{34f}\u{115f}\u{1160}\u{180e}\u{2028}\u{2029}\u{3164}\u{feff}\u{ffa0}";
    one_of.contains(c)
        || ('\u{200b}'..='\u{200d}').contains(&c)
        || ('\u{2060}'..='\u{2064}').contains(&c)
        || ('\u{fe00}'..='\u{fe0f}').contains(&c)
        || ('\u{e0000}'..='\u{e01ef}').contains(&c)
}

/// A database full of hostile text, in every field that reaches a screen.
fn hostile_sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    for name in [
        "canonical-terminal-escapes.csv",
        "canonical-invisible.csv",
        "scim-terminal-escapes.json",
        "aws-unknown-column-escape.csv",
    ] {
        std::fs::copy(corpus_file(name), sandbox.path(name)).unwrap();
    }
    // Sponsors from the data become the items' reviewers, who are printed
    // by decide; a register entry brings hostile text of its own.
    sandbox.write(
        "evil.csv",
        &format!(
            "{HEADER},sponsor,organization\n\
             nw,vpn,e@x,\"\u{1b}[1;1H\u{1b}[2KEve\",human,contractor,ops,\
             \"\u{1b}]52;c;cHduZWQ=\u{7}s@x\",\"Acme\u{9b}2J\u{202e}\"\n"
        ),
    );
    sandbox.write(
        "register.csv",
        "identity_id,relationship,organization,sponsor\n\
         a@x,partner,\"\u{1b}[5mBlink Ltd\",\"\u{2067}spons\u{7f}or@x\"\n",
    );
    sandbox
}

/// Every plain-text command, on hostile data: not one control character
/// from the data reaches standard output or standard error; the text is
/// there, escaped. (These commands have no styling of their own, so the
/// rule is simply: no ESC at all.)
#[test]
fn hostile_text_reaches_no_terminal_raw_through_the_command_line() {
    let sandbox = hostile_sandbox();
    let campaign = "Q4 \u{1b}[2J\u{202e}";
    let commands: Vec<Vec<&str>> = vec![
        vec!["import", "canonical-terminal-escapes.csv"],
        vec!["import", "canonical-invisible.csv", "--partial"],
        vec!["import", "evil.csv", "--partial"],
        vec!["import", "scim-terminal-escapes.json"],
        vec!["import", "aws-unknown-column-escape.csv"],
        vec!["import", "register.csv"],
        vec!["campaign", "new", campaign, "--due", "2026-12-15"],
        vec!["campaign", "list"],
        vec!["campaign", "show", campaign],
        vec!["items", campaign],
        vec!["items", campaign, "--search", "\u{1b}"],
        vec!["identities"],
        vec!["identities", "--cross-tenant"],
        vec!["flags"],
        vec!["config", "show"],
        vec!["verify"],
        // Errors quote what was asked for.
        vec!["campaign", "show", "nope \u{1b}]0;x\u{7}"],
        vec!["items", "\u{1b}[31mnope"],
        vec!["decide", "\u{9b}nope", "1", "attest"],
        vec![
            "import",
            "--format",
            "canonical",
            "canonical-terminal-escapes.csv",
            "--tenant",
            "\u{1b}x",
        ],
        vec!["--as", "\u{1b}[2Jrev@x", "config", "show"],
    ];
    let mut seen_escaped = false;
    for args in &commands {
        let output = sandbox.cmd().args(args).output().unwrap();
        for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            let found = terminal_controls(bytes);
            assert!(
                found.is_empty(),
                "recert {args:?} wrote raw controls to {stream}: {found:?}\n{}",
                String::from_utf8_lossy(bytes)
            );
            seen_escaped |= String::from_utf8_lossy(bytes).contains("\\x1b]0;pwned");
        }
    }
    assert!(seen_escaped, "the hostile text is shown, escaped");
    // decide prints the reviewer the item now waits on, from the data.
    let items = sandbox.json(&["items", campaign, "--json"]);
    for item in items.as_array().unwrap() {
        let id = item["id"].to_string();
        let output = sandbox
            .cmd()
            .args(["decide", campaign, &id, "attest", "--note", "n\u{1b}[0m"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let found = terminal_controls(&output.stdout);
        assert!(found.is_empty(), "decide: {found:?}");
    }
    let output = sandbox.cmd().args(["items", campaign]).output().unwrap();
    assert!(terminal_controls(&output.stdout).is_empty());
    // Who acts, and whom an item is handed to, may not hold controls: the
    // refusal shows the name escaped.
    let first = items[0]["id"].to_string();
    let refused: [(&[&str], i32, &str); 2] = [
        (
            &[
                "--as",
                "\u{1b}]0;evil\u{7}@x",
                "decide",
                campaign,
                &first,
                "attest",
                "--note",
                "m",
            ],
            2,
            "\\x1b]0;evil\\x07@x",
        ),
        (
            &[
                "decide",
                campaign,
                &first,
                "reassign",
                "--to",
                "\u{1b}[8mnext@x",
                "--note",
                "n",
            ],
            1,
            "\\x1b[8mnext@x",
        ),
    ];
    for (args, code, shown) in refused {
        let output = sandbox.cmd().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(shown), "{err}");
        assert!(terminal_controls(&output.stderr).is_empty(), "{err:?}");
    }
    sandbox.ok(&["verify"]);
}

/// The console on the same data: its own styling uses escape sequences,
/// but none that the data carries (titles, clears, cursor moves, C1, BEL,
/// bidi) is ever written, and the text is on screen, escaped.
#[test]
fn hostile_text_reaches_no_terminal_raw_through_the_console() {
    let sandbox = hostile_sandbox();
    sandbox.ok(&["import", "canonical-terminal-escapes.csv"]);
    sandbox.ok(&["import", "canonical-invisible.csv", "--partial"]);
    sandbox.ok(&["import", "evil.csv", "--partial"]);
    sandbox.ok(&["import", "register.csv"]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q4",
        "--due",
        "2026-12-15",
        "--reviewer-rule",
        "fixed:r@x",
    ]);
    let mut tui = Pty::spawn(&sandbox, &["review", "Q4"], 160, 40);
    let screen = tui.wait_for("Queue");
    tui.send("j");
    tui.send("j");
    tui.wait_for("\\x1b");
    tui.send("q");
    tui.wait_exit();
    let raw = tui.raw().to_vec();
    let text = String::from_utf8_lossy(&raw);
    for forbidden in [
        "\u{1b}]0;pwned",
        "\u{1b}]52;",
        "\u{1b}[5m",
        "\u{7}",
        "\u{9b}",
        "\u{7f}",
        "\u{202e}",
        "\u{2067}",
    ] {
        assert!(
            !text.contains(forbidden),
            "the console wrote {forbidden:?} from the data; screen:\n{screen}"
        );
    }
    let invisible: Vec<char> = text.chars().filter(|c| is_invisible(*c)).collect();
    assert!(
        invisible.is_empty(),
        "the console wrote {invisible:?} from the data; screen:\n{screen}"
    );
    assert!(
        text.contains("Ann\\u{200b}Kowalski"),
        "shown, escaped:\n{screen}"
    );
}

/// A report written to a terminal is for reading: control characters are
/// shown escaped there, while a file or a pipe gets the data as it is.
#[test]
fn a_report_printed_on_a_terminal_is_escaped() {
    let sandbox = hostile_sandbox();
    sandbox.ok(&["import", "canonical-terminal-escapes.csv"]);
    sandbox.ok(&["import", "canonical-invisible.csv", "--partial"]);
    sandbox.ok(&["campaign", "new", "Q4", "--due", "2026-12-15"]);
    let mut tui = Pty::spawn(&sandbox, &["report", "Q4", "--format", "csv"], 200, 40);
    tui.wait_exit();
    let raw = tui.raw().to_vec();
    let found = terminal_controls(
        &raw.iter()
            .copied()
            .filter(|b| *b != b'\r')
            .collect::<Vec<_>>(),
    );
    assert!(found.is_empty(), "{found:?}");
    assert!(String::from_utf8_lossy(&raw).contains("\\x1b]0;pwned"));
    let piped = sandbox.ok(&["report", "Q4", "--format", "csv"]);
    assert!(
        piped.contains("\u{1b}]0;pwned"),
        "a pipe gets the data unchanged"
    );
}

/// The report formats and what each must guarantee for any cell. Add a
/// format here when it exists: each gets the hostile data below.
type ReportCheck = fn(&str, &[&str]);

const REPORT_FORMATS: &[(&str, ReportCheck)] = &[
    ("csv", check_csv_report),
    ("json", check_json_report),
    ("md", check_document_report),
    ("html", check_document_report),
];

/// JSON is data: every hostile text comes back exactly, whatever escapes
/// carried it.
fn check_json_report(report: &str, hostile: &[&str]) {
    let value: serde_json::Value = serde_json::from_str(report).expect("the report is JSON");
    let mut strings = Vec::new();
    let mut stack = vec![&value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) => strings.push(s.as_str()),
            serde_json::Value::Array(a) => stack.extend(a),
            serde_json::Value::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
    for text in hostile {
        assert!(strings.contains(text), "{text:?} is kept exactly");
    }
}

/// Markdown and HTML are read (and rendered): no markup and no control
/// character from the data survives as such.
fn check_document_report(report: &str, _hostile: &[&str]) {
    assert!(!report.contains("<script>"), "markup survived");
    assert!(report.contains("&lt;script&gt;"), "markup is shown as text");
    assert!(
        !report
            .chars()
            .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)),
        "a control character survived"
    );
    assert!(
        !report.chars().any(is_invisible),
        "an invisible character survived"
    );
}

/// No cell a spreadsheet would run: the risky first characters get a `'`.
fn check_csv_report(report: &str, hostile: &[&str]) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(report.as_bytes());
    let mut cells = Vec::new();
    for record in reader.records() {
        for cell in record.expect("the report is valid CSV").iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula survived: {cell:?}"
            );
            cells.push(cell.to_string());
        }
    }
    for text in hostile {
        let kept = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_string()
        };
        assert!(cells.contains(&kept), "{text:?} is kept (as {kept:?})");
    }
}

/// Formulas, markup, quotes, control characters and non-BMP text in every
/// imported field that reports and JSON carry.
fn export_sandbox() -> (Sandbox, Vec<&'static str>) {
    let hostile = vec![
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "+SUM(1+1)",
        "-2+3",
        "@cmd",
        "=cmd|' /C calc'!A0",
        "<script>alert(1)</script>",
        "\"quoted\", and, commas",
        "\u{1b}[2J\u{9b}\u{202e}\u{7f}",
        "a\u{200d}@x\u{2028}\u{e0041}\u{ad}\u{3164}\u{fe0f}",
        "😀 \u{10ffff}",
        "back\\slash",
    ];
    let sandbox = Sandbox::new();
    let mut text = format!("{HEADER},organization,sponsor\n");
    for (n, value) in hostile.iter().enumerate() {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        text.push_str(&format!(
            "nw,{},{},{},human,partner,{},{},{}\n",
            q(value),
            q(&format!("id{n}{value}")),
            q(value),
            q(value),
            q(value),
            q(value)
        ));
    }
    sandbox.write("hostile.csv", &text);
    sandbox.ok(&["import", "hostile.csv"]);
    sandbox.ok(&["campaign", "new", "Q4", "--due", "2026-12-15"]);
    (sandbox, hostile)
}

#[test]
fn every_report_format_neutralises_hostile_cells() {
    let (sandbox, hostile) = export_sandbox();
    let items = sandbox.json(&["items", "Q4", "--json"]);
    for item in items.as_array().unwrap() {
        let id = item["id"].to_string();
        sandbox.ok(&[
            "decide",
            "Q4",
            &id,
            "revoke",
            "--note",
            "=1+1 \u{1b}[2J <b>",
        ]);
    }
    for (format, check) in REPORT_FORMATS {
        let out = sandbox.path(&format!("report.{format}"));
        let shown = out.to_str().unwrap();
        sandbox.ok(&["report", "Q4", "--format", format, "--out", shown]);
        let report = std::fs::read_to_string(&out).unwrap();
        check(&report, &hostile);
        let stdout = sandbox.ok(&["report", "Q4", "--format", format]);
        check(&stdout, &hostile);
    }
}

/// Every `--json` output parses, and gives back exactly the text that was
/// imported: valid for any input, and lossless.
#[test]
fn every_json_output_is_valid_and_lossless_for_hostile_text() {
    let (sandbox, hostile) = export_sandbox();
    sandbox.ok(&[
        "decide",
        "Q4",
        "1",
        "revoke",
        "--note",
        "\u{1b}]0;x\u{7} \"n\" \u{202e}",
    ]);
    let outputs = [
        vec!["items", "Q4", "--json"],
        vec!["campaign", "list", "--json"],
        vec!["campaign", "show", "Q4", "--json"],
        vec!["identities", "--json"],
        vec!["flags", "--json"],
        vec!["config", "show", "--json"],
    ];
    let mut strings = Vec::new();
    for args in &outputs {
        let output = sandbox.cmd().args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        let found = terminal_controls(&output.stdout);
        assert!(
            found.is_empty(),
            "{args:?}: raw controls in JSON: {found:?}"
        );
        let value: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{args:?} is not valid JSON: {e}"));
        collect_strings(&value, &mut strings);
    }
    for text in &hostile {
        assert!(
            strings.iter().any(|s| s == text),
            "{text:?} does not come back unchanged from the JSON outputs"
        );
    }
    assert!(
        strings
            .iter()
            .any(|s| s == "\u{1b}]0;x\u{7} \"n\" \u{202e}")
    );
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}
