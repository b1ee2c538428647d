//! The README's key table against the key map the console runs on
//! (`recert::tui::keymap`), so the two cannot drift apart: every binding
//! listed once, in the map's order under its mode's heading, with exactly
//! its keys, and each description starting with the map's help text.
//! The README may go on after that text (an example, a detail); it may not
//! say something else first.

use recert::tui::keymap::{BINDINGS, MODES, TEXT_KEYS, key_label};

/// Marks the table in README.md; the table is the rows that follow it.
const MARKER: &str = "<!-- key table:";

/// One row of the table as the README writes it.
#[derive(Debug)]
struct Row {
    line: usize,
    heading: String,
    keys: Vec<String>,
    does: String,
}

fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    std::fs::read_to_string(path).expect("README.md")
}

/// The rows of the table under the marker. A row whose first cell is
/// bold (`| **Filter panel** | |`) starts a mode; the others are
/// `| keys | does |` with each key in backticks.
fn table_rows(readme: &str) -> Vec<Row> {
    let start = readme
        .lines()
        .position(|l| l.starts_with(MARKER))
        .expect("README.md has the key table's marker");
    let mut heading = String::new();
    let mut rows = Vec::new();
    let lines = readme.lines().enumerate().skip(start + 1);
    let table = lines.skip_while(|(_, l)| l.trim().is_empty());
    for (n, line) in table.take_while(|(_, l)| l.starts_with('|')) {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        assert_eq!(cells.len(), 2, "README.md:{}: two cells: {line}", n + 1);
        let (first, second) = (cells[0], cells[1]);
        if first == "key" || first.starts_with("---") {
            continue;
        }
        if let Some(bold) = first.strip_prefix("**").and_then(|t| t.strip_suffix("**")) {
            assert!(second.is_empty(), "README.md:{}: {line}", n + 1);
            heading = bold.to_string();
            continue;
        }
        // Backticked spans are the odd pieces between backticks.
        let keys = first
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        rows.push(Row {
            line: n + 1,
            heading: heading.clone(),
            keys,
            does: second.to_string(),
        });
    }
    rows
}

/// The map's bindings in help order: each mode's heading, keys and help.
fn map_rows() -> Vec<(&'static str, Vec<String>, &'static str)> {
    MODES
        .iter()
        .flat_map(|(mode, heading)| {
            BINDINGS
                .iter()
                .filter(move |b| b.mode == *mode)
                .map(move |b| (*heading, b.keys.iter().map(key_label).collect(), b.help))
        })
        .collect()
}

/// `does` says `help` first; what follows, if anything, starts a new
/// phrase rather than changing the last word.
fn describes(does: &str, help: &str) -> bool {
    does.strip_prefix(help)
        .is_some_and(|rest| rest.chars().next().is_none_or(|c| !c.is_alphanumeric()))
}

#[test]
fn the_readme_key_table_is_the_key_map() {
    let readme = readme();
    let rows = table_rows(&readme);
    let expected = map_rows();
    for (i, (heading, keys, help)) in expected.iter().enumerate() {
        let want = format!(
            "under | **{heading}** | |, the row | {} | {help}… |",
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let Some(row) = rows.get(i) else {
            panic!("README.md's key table ends early; next: {want}");
        };
        assert!(
            row.heading == *heading && row.keys == *keys && describes(&row.does, help),
            "README.md:{}: {row:?}\nexpected {want}",
            row.line
        );
    }
    if let Some(extra) = rows.get(expected.len()) {
        panic!(
            "README.md:{}: a row the key map does not have: {extra:?}",
            extra.line
        );
    }
    assert!(
        readme.contains(TEXT_KEYS),
        "README.md quotes the text fields' keys as the help does: {TEXT_KEYS}"
    );
}

#[test]
fn a_description_may_add_to_the_help_but_not_change_it() {
    assert!(describes("next item", "next item"));
    assert!(describes("next item (wraps)", "next item"));
    assert!(describes(
        "revoke the access, with a note",
        "revoke the access"
    ));
    assert!(!describes("next items", "next item"));
    assert!(!describes("previous item", "next item"));
    assert!(!describes("item", "next item"));
}

#[test]
fn the_table_parser_reads_headings_keys_and_descriptions() {
    let text = format!(
        "intro\n{MARKER} checked -->\n\n| key | does |\n|---|---|\n\
         | **Queue** | |\n| `j` `↓` | next item |\n| `Ctrl+C` | quit (saved) |\n\
         | **Help** | |\n| `Esc` `?` | close |\n\nafter\n| `x` | not in the table |\n"
    );
    let rows = table_rows(&text);
    let got: Vec<(&str, Vec<&str>, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.heading.as_str(),
                r.keys.iter().map(String::as_str).collect(),
                r.does.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Queue", vec!["j", "↓"], "next item"),
            ("Queue", vec!["Ctrl+C"], "quit (saved)"),
            ("Help", vec!["Esc", "?"], "close"),
        ]
    );
    assert_eq!(rows[0].line, 7);
}
