//! The command line, end to end: import, campaigns, items, decisions and
//! reports through the real binary.

use crate::util::{Sandbox, fixture};
use recert::store::Store;

const HEADER: &str = "tenant,system,identity_id,identity_name,identity_kind,relationship,entitlement,privileged,expires_at,last_used_at";

fn content(sandbox: &Sandbox) -> String {
    Store::open(&sandbox.db()).unwrap().dump().unwrap()
}

#[test]
fn init_creates_an_owner_only_database() {
    let sandbox = Sandbox::bare();
    let out = sandbox.ok(&["init"]);
    assert!(out.contains("created"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sandbox.db())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        sandbox.ok(&["init"]).contains("ready"),
        "init twice is harmless"
    );
}

#[test]
fn commands_need_an_initialised_database() {
    let sandbox = Sandbox::bare();
    let err = sandbox.fails(1, &["campaign", "list"]);
    assert!(err.contains("recert init"), "{err}");
    assert!(!sandbox.db().exists(), "nothing was created");
}

#[test]
fn imports_the_sample_and_counts_a_reimport() {
    let sandbox = Sandbox::new();
    let sample = fixture("canonical/sample.csv");
    let out = sandbox.ok(&["import", sample.to_str().unwrap()]);
    assert!(
        out.contains("30 rows (snapshot 1): 30 added, 0 changed, 0 unchanged, 0 removed"),
        "{out}"
    );
    let out = sandbox.ok(&["import", sample.to_str().unwrap()]);
    assert!(
        out.contains("0 added, 0 changed, 30 unchanged, 0 removed"),
        "{out}"
    );

    // A later export: one grant gone, one changed, one new.
    let text = std::fs::read_to_string(&sample).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.remove(1); // Lena Brandt's Salesforce grant
    lines[1] = lines[1].replace("2026-06-30", "2027-06-30");
    lines.push(lines[4].replace("PowerUserAccess", "ReadOnlyAccess"));
    let later = sandbox.write("later.csv", &(lines.join("\n") + "\n"));
    let out = sandbox.ok(&["import", later.to_str().unwrap()]);
    assert!(
        out.contains("30 rows (snapshot 3): 1 added, 1 changed, 28 unchanged, 1 removed"),
        "{out}"
    );

    // The removed grant is marked, not deleted; bringing it back restores it.
    let out = sandbox.ok(&["import", sample.to_str().unwrap()]);
    assert!(out.contains("1 restored"), "{out}");
    assert!(
        out.contains("1 removed"),
        "the extra grant is gone again: {out}"
    );
}

#[test]
fn partial_imports_never_remove() {
    let sandbox = Sandbox::new();
    let sample = fixture("canonical/sample.csv");
    sandbox.ok(&["import", sample.to_str().unwrap()]);
    let text = std::fs::read_to_string(&sample).unwrap();
    let first_two: Vec<&str> = text.lines().take(3).collect();
    let part = sandbox.write("part.csv", &(first_two.join("\n") + "\n"));
    let out = sandbox.ok(&["import", "--partial", part.to_str().unwrap()]);
    assert!(out.contains("0 removed"), "{out}");
}

/// Each kind of bad input: the message names file, line and field, and the
/// database content is exactly what it was.
#[test]
fn every_rejection_leaves_the_database_unchanged() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", fixture("canonical/sample.csv").to_str().unwrap()]);
    let before = content(&sandbox);
    let good = "northwind,github,x@y,X,human,partner,org:member,false,,";
    let cases: [(&str, String, &str); 6] = [
        (
            "missing required column",
            "tenant,system,identity_id,identity_name,relationship,entitlement\nn,gh,a,A,partner,x\n".into(),
            "bad.csv:1: identity_kind: required column is missing",
        ),
        (
            "bad enum",
            format!("{HEADER}\n{good}\nnorthwind,github,z@y,Z,robot,partner,org:member,false,,\n"),
            "bad.csv:3: identity_kind: \"robot\" is not one of",
        ),
        (
            "bad date",
            format!("{HEADER}\n{good}\nnorthwind,github,z@y,Z,human,partner,x,false,2026-02-30,\n"),
            "bad.csv:3: expires_at: expected a date",
        ),
        (
            "wrong field count",
            format!("{HEADER}\n{good}\nnorthwind,github,z@y,Z,human\n"),
            "bad.csv:3: expected 10 fields as in the header, found 5",
        ),
        (
            "duplicate key",
            format!("{HEADER}\n{good}\n{good}\n"),
            "bad.csv:3: duplicate of line 2",
        ),
        (
            "bad boolean",
            format!("{HEADER}\nnorthwind,github,z@y,Z,human,partner,x,yes,,\n"),
            "bad.csv:2: privileged: \"yes\" is not true or false",
        ),
    ];
    for (what, text, expected) in cases {
        let bad = sandbox.write("bad.csv", &text);
        let err = sandbox.fails(1, &["import", bad.to_str().unwrap()]);
        let err = err.replace(&format!("{}/", sandbox.dir.path().display()), "");
        assert!(err.contains(expected), "{what}: {err}");
        assert!(err.contains("nothing was imported"), "{what}: {err}");
        assert_eq!(content(&sandbox), before, "{what} changed the database");
    }
}

#[test]
fn problems_are_capped_at_twenty_then_counted() {
    let sandbox = Sandbox::new();
    let mut text = format!("{HEADER}\n");
    for n in 0..25 {
        text.push_str(&format!("t,s,id{n},N,robot,partner,e,false,,\n"));
    }
    let bad = sandbox.write("many.csv", &text);
    let err = sandbox.fails(1, &["import", bad.to_str().unwrap()]);
    assert_eq!(err.matches("identity_kind").count(), 20, "{err}");
    assert!(err.contains("… and 5 more problems"), "{err}");
}

#[test]
fn a_dry_run_writes_nothing() {
    let sandbox = Sandbox::new();
    let before = content(&sandbox);
    let out = sandbox.ok(&[
        "import",
        "--dry-run",
        fixture("canonical/sample.csv").to_str().unwrap(),
    ]);
    assert!(out.contains("dry run, nothing written"), "{out}");
    assert_eq!(content(&sandbox), before);
}

#[test]
fn campaigns_list_and_show_as_text_and_json() {
    let sandbox = Sandbox::with_campaign();
    let list = sandbox.ok(&["campaign", "list"]);
    assert!(list.contains("Q4") && list.contains("open"), "{list}");
    let json = sandbox.json(&["campaign", "list", "--json"]);
    assert_eq!(json[0]["name"], "Q4");
    assert_eq!(json[0]["items"], 30);
    assert_eq!(json[0]["tally"]["undecided"], 30);
    let show = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    assert_eq!(show["as_of"], "2026-11-01");
    assert_eq!(show["reviewer_rule"], "sponsor");
    sandbox.fails(1, &["campaign", "show", "nope"]);
    let err = sandbox.fails(1, &["campaign", "new", "Q4", "--due", "2026-12-15"]);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn campaign_scope_filters_freeze_only_matching_items() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", fixture("canonical/sample.csv").to_str().unwrap()]);
    let out = sandbox.ok(&[
        "campaign",
        "new",
        "contractors",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
        "--where",
        "relationship=contractor",
        "--reviewer-rule",
        "fixed:audit@northwind.example.com",
    ]);
    assert!(out.contains("6 items"), "{out}");
    let items = sandbox.json(&["items", "contractors", "--json"]);
    let items = items.as_array().unwrap();
    assert!(items.iter().all(|i| i["relationship"] == "contractor"));
    assert!(
        items
            .iter()
            .all(|i| i["reviewer"] == "audit@northwind.example.com")
    );
    let err = sandbox.fails(
        2,
        &[
            "campaign",
            "new",
            "x",
            "--due",
            "2026-12-15",
            "--where",
            "colour=red",
        ],
    );
    assert!(err.contains("colour"), "{err}");
    sandbox.fails(2, &["campaign", "new", "x", "--due", "someday"]);
}

/// A field of reviews (flags, state, reviewer) means nothing to the grant
/// register: a scope or an identity list filtered by one is refused with
/// the option and field named, and nothing is created.
#[test]
fn filters_on_fields_the_register_lacks_are_refused_by_name() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import", fixture("canonical/sample.csv").to_str().unwrap()]);
    let before = sandbox.dump();
    let args = ["campaign", "new", "x", "--due", "2026-12-15"];
    let err = sandbox.fails(1, &[&args[..], &["--where", "state=undecided"]].concat());
    assert_eq!(
        err,
        "recert: --where state: a campaign's scope can use the register's fields, flag and \
         since; state exists only once the campaign's items are there (`recert items --where \
         state=…` filters them)\n"
    );
    let err = sandbox.fails(1, &["identities", "--where", "reviewer=a@x"]);
    assert_eq!(
        err,
        "recert: --where reviewer: identities can only be filtered by register fields\n"
    );
    assert_eq!(sandbox.dump(), before);
}

#[test]
fn items_json_has_the_documented_fields_in_risk_order() {
    let sandbox = Sandbox::with_campaign();
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 30);
    for key in [
        "id",
        "identity_id",
        "identity_name",
        "system",
        "entitlement",
        "flags",
        "decision",
        "recommendation",
    ] {
        assert!(items[0].get(key).is_some(), "missing {key}");
    }
    let scores: Vec<i64> = items
        .iter()
        .map(|i| i["risk_score"].as_i64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "risk order: {scores:?}"
    );
    let kenji = items
        .iter()
        .find(|i| i["identity_id"] == "k.ito@saltmarsh.example.net" && i["system"] == "aws-prod")
        .unwrap();
    let flags: Vec<&str> = kenji["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        flags,
        ["dormant", "no_sponsor", "privileged", "no_end_date"]
    );
    let filtered = sandbox.json(&["items", "Q4", "--json", "--where", "flag=no_sponsor"]);
    assert!(filtered.as_array().unwrap().iter().all(|i| {
        i["flags"]
            .as_array()
            .unwrap()
            .contains(&"no_sponsor".into())
    }));
}

#[test]
fn decide_records_and_the_report_shows_it() {
    let sandbox = Sandbox::with_campaign();
    let out = sandbox.ok(&["decide", "Q4", "1", "revoke", "--note", "contract ended"]);
    assert!(out.contains("item 1: revoked"), "{out}");
    let err = sandbox.fails(1, &["decide", "Q4", "3", "revoke"]);
    assert!(err.contains("needs a note"), "{err}");
    let err = sandbox.fails(1, &["decide", "Q4", "999", "attest"]);
    assert!(err.contains("not in campaign"), "{err}");
    sandbox.ok(&["decide", "Q4", "3", "attest", "--note", "still needed"]);
    sandbox.ok(&["decide", "Q4", "3", "undo"]);
    let report = sandbox.ok(&["report", "Q4", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(report.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 30);
    let one = rows.iter().find(|r| &r[0] == "1").unwrap();
    assert_eq!(&one[13], "revoked");
    assert_eq!(&one[15], crate::util::REVIEWER);
    assert_eq!(&one[16], "2026-11-22T10:00:00.000Z");
    assert_eq!(&one[17], "contract ended");
    let three = rows.iter().find(|r| &r[0] == "3").unwrap();
    assert_eq!(&three[13], "undecided", "undo reverted the attest");
    let verify = sandbox.ok(&["verify"]);
    assert!(verify.contains("audit chain intact: 5 events"), "{verify}");
}

#[test]
fn report_neutralises_spreadsheet_formulas_and_writes_owner_only() {
    let sandbox = Sandbox::new();
    let text = format!("{HEADER}\nt,=HYPERLINK(\"x\"),@evil,+1 name,human,partner,-2,false,,\n");
    let file = sandbox.write("f.csv", &text);
    sandbox.ok(&["import", file.to_str().unwrap()]);
    sandbox.ok(&["campaign", "new", "c", "--due", "2026-12-15"]);
    let out = sandbox.path("report.csv");
    sandbox.ok(&[
        "report",
        "c",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    let report = std::fs::read_to_string(&out).unwrap();
    let mut reader = csv::Reader::from_reader(report.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[3], "'@evil");
    assert_eq!(&row[4], "'+1 name");
    assert_eq!(&row[8], "'=HYPERLINK(\"x\")");
    assert_eq!(&row[10], "'-2");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn terminal_escapes_in_data_are_shown_escaped_in_tables() {
    let sandbox = Sandbox::new();
    let text = format!("{HEADER}\nt,gh,evil,\"A\u{1b}[2JB\",human,partner,x,false,,\n");
    let file = sandbox.write("f.csv", &text);
    sandbox.ok(&["import", file.to_str().unwrap()]);
    sandbox.ok(&["campaign", "new", "c", "--due", "2026-12-15"]);
    let out = sandbox.ok(&["items", "c"]);
    assert!(out.contains("A\\x1b[2JB"), "{out}");
    assert!(!out.contains('\u{1b}'), "raw escape reached the terminal");
}

#[test]
fn usage_errors_exit_with_two() {
    let sandbox = Sandbox::new();
    sandbox.fails(2, &["campaign"]);
    sandbox.fails(2, &["decide", "Q4", "notanumber", "attest"]);
}

#[test]
fn an_unreadable_recert_now_is_named_instead_of_silently_ignored() {
    let sandbox = Sandbox::bare();
    let output = sandbox
        .cmd()
        .env("RECERT_NOW", "next tuesday")
        .arg("init")
        .output()
        .expect("run recert");
    assert!(output.status.success(), "a warning, not a failure");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains(
            "warning: RECERT_NOW \"next tuesday\" is neither RFC 3339 nor YYYY-MM-DD: using the system clock"
        ),
        "{err}"
    );
    let pinned = sandbox.cmd().arg("flags").output().expect("run recert");
    assert!(
        !String::from_utf8_lossy(&pinned.stderr).contains("RECERT_NOW"),
        "a readable pin is used without a word"
    );
}

/// Every report format carries, per item, the controls `items --json`
/// names for it.
#[test]
fn every_report_format_carries_each_items_controls() {
    let sandbox = Sandbox::with_campaign();
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let controls: std::collections::HashMap<String, Vec<String>> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let ids = i["controls"].as_array().unwrap();
            let ids = ids.iter().map(|c| c.as_str().unwrap().to_string());
            (i["id"].to_string(), ids.collect())
        })
        .collect();
    assert!(controls.values().any(|c| c.len() > 1), "{controls:?}");

    let csv = sandbox.ok(&["report", "Q4", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (item, column) = (at("item"), at("controls"));
    let mut rows = 0;
    for row in reader.records().map(Result::unwrap) {
        assert_eq!(
            row[column],
            controls[&row[item]].join(" "),
            "item {}",
            &row[item]
        );
        rows += 1;
    }
    assert_eq!(rows, controls.len());

    let json = sandbox.json(&["report", "Q4", "--format", "json"]);
    assert_eq!(json["format"], "recert-report/1");
    for row in json["items"].as_array().unwrap() {
        let id = row["item"].to_string();
        assert_eq!(
            row["controls"],
            serde_json::json!(controls[&id]),
            "item {id}"
        );
    }

    for format in ["md", "html"] {
        let text = sandbox.ok(&["report", "Q4", "--format", format]);
        assert!(text.contains("Controls"), "{format}");
        for ids in controls.values().filter(|c| !c.is_empty()) {
            assert!(text.contains(&ids.join(", ")), "{format}: {ids:?}");
        }
    }
}

/// A column recert does not read is named, ignored and kept in the audit
/// log; one that looks like a known column misspelt rejects the file,
/// naming the column it probably is.
#[test]
fn extra_columns_are_warned_about_and_misspelt_ones_refused() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "extra.csv",
        "tenant,system,identity_id,identity_name,identity_kind,relationship,entitlement,cost_center\n\
         nw,github,a@x,Ann,human,partner,org:owner,CC-12\n",
    );
    let output = sandbox
        .cmd()
        .args(["import", "extra.csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains(
            "warning: extra.csv:1: cost_center: not a column recert reads: its values are not imported"
        ),
        "{err}"
    );
    assert!(
        content(&sandbox).contains("cost_center: not a column recert reads"),
        "the warning is in the audit log"
    );
    assert!(!content(&sandbox).contains("CC-12"), "its values are not");

    let before = content(&sandbox);
    sandbox.write(
        "misspelt.csv",
        "tenant,system,identity_id,identity_name,identity_kind,relationship,entitlement,Privileged\n\
         nw,github,b@x,Bob,human,partner,org:owner,true\n",
    );
    let err = sandbox.fails(1, &["import", "misspelt.csv"]);
    assert!(
        err.contains("misspelt.csv:1: Privileged: not a column; did you mean privileged?"),
        "{err}"
    );
    assert_eq!(content(&sandbox), before, "nothing was imported");

    sandbox.write(
        "register.csv",
        "identity_id,relationship,notes\na@x,partner,met at the fair\n",
    );
    let output = sandbox
        .cmd()
        .args(["import", "register.csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("warning: register.csv:1: notes: not a column"),
        "{err}"
    );
    assert!(
        content(&sandbox).contains("notes: not a column recert reads"),
        "the register's warning is in the audit log too"
    );
}

/// The ticket of an exception is optional everywhere: in the help, on the
/// command line and in the report, which shows it when there is one.
#[test]
fn an_exceptions_ticket_is_optional_and_shown_when_given() {
    let sandbox = Sandbox::with_campaign();
    let help = sandbox.ok(&["decide", "Q4", "1", "--help"]);
    assert!(
        help.contains("exception  Keep until a date, with an optional ticket"),
        "{help}"
    );
    let help = sandbox.ok(&["decide", "Q4", "1", "exception", "--help"]);
    assert!(help.contains("if there is one"), "{help}");
    sandbox.ok(&[
        "decide",
        "Q4",
        "1",
        "exception",
        "--until",
        "2026-12-31",
        "--note",
        "migration",
    ]);
    sandbox.ok(&[
        "decide",
        "Q4",
        "2",
        "exception",
        "--until",
        "2026-12-31",
        "--ticket",
        "CHG-7",
        "--note",
        "migration",
    ]);
    let report = sandbox.json(&["report", "Q4", "--format", "json"]);
    let ticket = |id: i64| {
        let items = report["items"].as_array().unwrap();
        let item = items.iter().find(|i| i["item"] == id).unwrap();
        item["ticket"].clone()
    };
    assert_eq!(ticket(1), serde_json::Value::Null);
    assert_eq!(ticket(2), "CHG-7");
}

/// A sandbox whose config file cannot be read: a command that still
/// works never loaded the config (nor, with no database, opened one).
fn without_config_or_database(sandbox: &Sandbox, args: &[&str]) -> String {
    let output = sandbox
        .cmd()
        .env("RECERT_CONFIG", sandbox.path("missing.toml"))
        .args(args)
        .output()
        .expect("run recert");
    assert!(
        output.status.success(),
        "recert {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!sandbox.db().exists(), "recert {args:?} created a database");
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// The visible subcommands and their own subcommands, as `man` names them.
fn subcommand_pages() -> Vec<String> {
    use clap::CommandFactory;
    let cli = recert::cli::Cli::command();
    let mut names = Vec::new();
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        names.push(format!("recert-{}", sub.get_name()));
        for nested in sub.get_subcommands().filter(|s| !s.is_hide_set()) {
            names.push(format!("recert-{}-{}", sub.get_name(), nested.get_name()));
        }
    }
    names
}

#[test]
fn bash_completes_subcommands_and_their_options() {
    let sandbox = Sandbox::bare();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = without_config_or_database(&sandbox, &["completions", shell]);
        for word in ["campaign", "remediation", "completions", "accept-undecided"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let script = sandbox.write(
        "recert.bash",
        &without_config_or_database(&sandbox, &["completions", "bash"]),
    );
    // Bash itself completes `recert ca` and `recert campaign `.
    let complete = |words: &str, cword: usize| {
        let program = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; \
             _recert recert \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; \
             echo \"${{COMPREPLY[*]}}\"",
            script.display()
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "-c", &program])
            .output()
            .expect("run bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(complete("recert ca", 1), "campaign");
    let words = complete("recert campaign ''", 2);
    for sub in ["new", "list", "show"] {
        assert!(words.split(' ').any(|w| w == sub), "{sub} in {words}");
    }
}

#[test]
fn the_man_page_describes_every_subcommand() {
    let sandbox = Sandbox::bare();
    let page = without_config_or_database(&sandbox, &["man"]);
    assert!(page.contains(".TH recert 1"), "{page}");
    for name in subcommand_pages()
        .iter()
        .filter(|n| n.matches('-').count() == 1)
    {
        // roff writes a hyphen as `\-`.
        let reference = format!("{}(1)", name.replace('-', "\\-"));
        assert!(page.contains(&reference), "{reference} missing");
    }
    for section in [".SH ENVIRONMENT", ".SH FILES", ".SH \"EXIT STATUS\""] {
        assert!(page.contains(section), "{section} missing:\n{page}");
    }

    let out = without_config_or_database(&sandbox, &["man", "--out-dir", "man1"]);
    let pages = subcommand_pages();
    assert!(out.contains(&format!("{} pages", pages.len() + 1)), "{out}");
    assert_eq!(
        std::fs::read_to_string(sandbox.path("man1/recert.1")).unwrap(),
        page,
        "the directory's recert.1 is the printed page"
    );
    for name in pages {
        let text = std::fs::read_to_string(sandbox.path(&format!("man1/{name}.1")))
            .unwrap_or_else(|e| panic!("{name}.1: {e}"));
        assert!(text.contains(&format!(".TH {name} 1")), "{name}.1:\n{text}");
    }
}

/// The console on a pipe (cron, `ssh` without `-t`) is refused at once,
/// saying why, and a demo that cannot open keeps nothing.
#[test]
fn the_console_without_a_terminal_says_so_and_leaves_nothing() {
    let sandbox = Sandbox::with_campaign();
    let err = sandbox.fails(1, &["review", "Q4"]);
    assert!(err.contains("the console needs a terminal"), "{err}");
    let kept = sandbox.path("kept.db");
    let err = sandbox.fails(1, &["demo", "--keep", kept.to_str().unwrap()]);
    assert!(err.contains("the console needs a terminal"), "{err}");
    assert!(!kept.exists(), "the demo seeded nothing");
}
