//! Decisions from a file: a CSV report edited in a spreadsheet and sent
//! back, recorded all or nothing, every problem named with its line.

use crate::util::{REVIEWER, Sandbox, os_account};
use rusqlite::Connection;

const ANNA: &str = "a.kowalski@northwind.example.com";

/// The CSV report of Q4 as rows of (header, cells).
fn report(sandbox: &Sandbox) -> (Vec<String>, Vec<Vec<String>>) {
    sandbox.ok(&["report", "Q4", "--format", "csv", "--out", "q4.csv"]);
    let mut reader = csv::Reader::from_path(sandbox.path("q4.csv")).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn write_csv(sandbox: &Sandbox, name: &str, header: &[String], rows: &[Vec<String>]) -> String {
    let path = sandbox.path(name);
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(header).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.flush().unwrap();
    path.to_str().unwrap().to_string()
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

fn item<'a>(items: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"].as_i64().map(|n| n.to_string()).as_deref() == Some(id))
        .unwrap()
}

#[test]
fn a_report_edited_in_a_spreadsheet_comes_back_as_its_decisions() {
    let sandbox = Sandbox::with_campaign();
    let (mut header, mut rows) = report(&sandbox);
    let at = |name: &str| column(&header, name);
    let (id, decision, note) = (at("item"), at("decision"), at("note"));
    let (until, ticket) = (at("exception_until"), at("ticket"));
    assert!(rows.iter().all(|r| r[decision] == "undecided"));
    // What a sponsor types: a note that starts like a formula is kept by
    // the spreadsheet as the report wrote such cells, behind a quote.
    rows[0][decision] = "attest".into();
    rows[0][note] = "'=still needed, checked with Anna".into();
    rows[1][decision] = "revoked".into();
    rows[1][note] = "contract ended".into();
    rows[2][decision] = "exception".into();
    rows[2][until] = "2027-01-31".into();
    rows[2][ticket] = "CHG-7".into();
    rows[2][note] = "migration until January".into();
    // Columns the file has and recert does not read change nothing.
    header.push("sponsor comment".into());
    for row in &mut rows {
        row.push("ok".into());
    }
    let ids: Vec<String> = rows[..3].iter().map(|r| r[id].clone()).collect();
    let file = write_csv(&sandbox, "back.csv", &header, &rows);
    let sha256 = recert::audit::sha256_hex(&std::fs::read(&file).unwrap());

    let before = sandbox.dump();
    let out = sandbox.ok(&["decide", "Q4", "--from", &file, "--dry-run"]);
    assert!(
        out.contains("would record 3 decisions")
            && out.contains("1 attest, 1 revoke, 1 exception")
            && out.contains("skipped 27 rows without a decision")
            && out.contains(&sha256)
            && out.contains("nothing was recorded"),
        "{out}"
    );
    assert_eq!(sandbox.dump(), before, "a dry run records nothing");

    let out = sandbox.ok(&["decide", "Q4", "--from", &file]);
    assert!(out.starts_with("recorded 3 decisions"), "{out}");
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let (a, r, e) = (
        item(&items, &ids[0]),
        item(&items, &ids[1]),
        item(&items, &ids[2]),
    );
    assert_eq!(a["decision"], "attest");
    assert_eq!(a["note"], "=still needed, checked with Anna");
    assert_eq!(
        (&r["decision"], &r["note"]),
        (&"revoke".into(), &"contract ended".into())
    );
    assert_eq!(e["decision"], "exception");
    assert_eq!(e["exception_until"], "2027-01-31");

    // Each row's event names the file, its SHA-256 and the row's line.
    let conn = Connection::open(sandbox.db()).unwrap();
    let mut stmt = conn
        .prepare("SELECT item, body FROM event WHERE kind IN ('attest', 'revoke', 'exception') ORDER BY seq")
        .unwrap();
    let bodies: Vec<(i64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(bodies.len(), 3);
    for (n, (item, body)) in bodies.iter().enumerate() {
        assert_eq!(item.to_string(), ids[n]);
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["from_file"]["sha256"], sha256.as_str(), "{body}");
        assert_eq!(body["from_file"]["line"], n as u64 + 2, "{body}");
        assert_eq!(body["from_file"]["file"], file.as_str());
        assert_eq!(body["bulk"], false);
    }
    assert!(
        bodies[2].1.contains("\"ticket\":\"CHG-7\""),
        "{}",
        bodies[2].1
    );

    // The same file again, or the next report sent back untouched: what
    // is in force already is not recorded twice.
    let out = sandbox.ok(&["decide", "Q4", "--from", &file]);
    assert!(
        out.starts_with("recorded 0 decisions") && out.contains("3 already in force"),
        "{out}"
    );
    let (header, rows) = report(&sandbox);
    let again = write_csv(&sandbox, "again.csv", &header, &rows);
    let out = sandbox.ok(&["decide", "Q4", "--from", &again]);
    assert!(
        out.starts_with("recorded 0 decisions") && out.contains("3 already in force"),
        "{out}"
    );
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn every_problem_in_a_file_is_named_with_its_line_and_nothing_is_recorded() {
    let sandbox = Sandbox::with_campaign();
    let item = |n| sandbox.sample_item("Q4", n);
    let (one, two, three, four, five) = (item(1), item(2), item(3), item(4), item(5));
    let text = format!(
        "id,decision,note,until,ticket,to\r\n\
         999,attest,x,,,\r\n\
         {one},keep,x,,,\r\n\
         {two},revoke,,,,\r\n\
         {three},exception,x,31/12/2026,,\r\n\
         {four},attest,fine,,,\r\n\
         {five},,,,,\r\n\
         {five},exception,long,2099-01-01,,\r\n\
         {four},revoke,again,,,\r\n\
         abc,attest,x,,,\r\n\
         {one},reassign,x,,,\r\n"
    );
    let file = sandbox.write("decisions.csv", &text);
    let file = file.to_str().unwrap();
    let before = sandbox.dump();
    for args in [
        vec!["decide", "Q4", "--from", file],
        vec!["decide", "Q4", "--from", file, "--dry-run"],
    ] {
        let err = sandbox.fails(1, &args);
        let lines: Vec<&str> = err.lines().collect();
        let expected = [
            format!("{file}:2: id: no item 999 in campaign \"Q4\""),
            format!("{file}:3: decision: \"keep\" is not a decision a file may record"),
            format!("{file}:4: note: item {two}: a revoke needs a note"),
            format!("{file}:5: until: \"31/12/2026\" is not a date: expected YYYY-MM-DD"),
            format!("{file}:8: until: "),
            format!("{file}:9: id: item {four} is on line 6 too"),
            format!("{file}:10: id: \"abc\" is not an item id"),
            format!("{file}:11: to: a reassign needs the reviewer"),
        ];
        assert_eq!(lines.len(), expected.len() + 1, "{err}");
        for (line, expected) in lines.iter().zip(&expected) {
            assert!(
                line.starts_with(expected.as_str()),
                "{line}\nnot {expected}"
            );
        }
        assert!(
            lines[8].contains("8 problems in") && lines[8].contains("nothing was recorded"),
            "{err}"
        );
    }
    assert_eq!(sandbox.dump(), before);

    // A file without the columns it needs says which, on its first line.
    let bare = sandbox.write("bare.csv", "item,verdict\n1,attest\n");
    let err = sandbox.fails(1, &["decide", "Q4", "--from", bare.to_str().unwrap()]);
    assert!(
        err.contains("bare.csv:1: decision: the header has no \"decision\" column"),
        "{err}"
    );
    let err = sandbox.fails(2, &["decide", "Q4", "1", "attest", "--from", "x.csv"]);
    assert!(err.contains("--from"), "{err}");
    // A dry run is never a real one in disguise.
    let err = sandbox.fails(
        2,
        &["decide", "Q4", "--dry-run", &one, "attest", "--note", "x"],
    );
    assert!(err.contains("--dry-run goes with --from"), "{err}");
    assert_eq!(sandbox.dump(), before);
}

#[test]
fn a_file_decides_only_what_its_sender_may() {
    let sandbox = Sandbox::with_campaign();
    let me = os_account();
    sandbox.ok(&[
        "people",
        "add",
        REVIEWER,
        "--role",
        "admin",
        "--os-user",
        &me,
    ]);
    sandbox.ok(&["people", "add", ANNA]);
    sandbox.ok(&["mode", "shared", "--note", "sponsors decide"]);
    let anna_s = sandbox.sample_item("Q4", 1); // Anna sponsors it.
    let own = sandbox.sample_item("Q4", 8); // No sponsor: the owner's.
    let file = sandbox.write(
        "mine.csv",
        &format!("id,decision,note\n{own},attest,known\n{anna_s},revoke,gone\n"),
    );
    let err = sandbox.fails(1, &["decide", "Q4", "--from", file.to_str().unwrap()]);
    assert!(
        err.contains(&format!(
            "mine.csv:3: decision: item {anna_s} is {ANNA}'s to decide"
        )),
        "{err}"
    );
    assert!(!err.contains("mine.csv:2"), "{err}");
    let items = sandbox.json(&["items", "Q4", "--where", "state=decided", "--json"]);
    assert_eq!(items.as_array().unwrap().len(), 0, "all or nothing");
}
