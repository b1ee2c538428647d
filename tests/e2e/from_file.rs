//! Decisions from a file: a CSV report edited in a spreadsheet and sent
//! back, recorded all or nothing, every problem named with its line.

use crate::util::{REVIEWER, Sandbox, os_account};
use rusqlite::Connection;

const ANNA: &str = "a.kowalski@northwind.example.com";
/// Credentials of the sample (data lines): the Saltmarsh loader's
/// service account and the Ledgerly billing key, each flagged only for an
/// unrotated credential where they are 17 and 21.
const LOADER: [usize; 3] = [16, 17, 18];
const BILLING_KEY: [usize; 3] = [19, 20, 21];

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
            format!("{file}:5: until: \"31/12/2026\": expected a date as YYYY-MM-DD"),
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

#[test]
fn a_rotate_in_a_report_sent_back_keeps_its_date_and_reads_back_again() {
    let sandbox = Sandbox::with_campaign();
    let (header, mut rows) = report(&sandbox);
    assert_eq!(
        header.last().map(String::as_str),
        Some("rotate_by"),
        "the rotate's date is the CSV's last column"
    );
    let at = |name: &str| column(&header, name);
    let (id, decision, note, by) = (at("item"), at("decision"), at("note"), at("rotate_by"));
    assert!(rows.iter().all(|r| r[by].is_empty()));
    let key = sandbox.sample_item("Q4", BILLING_KEY[2]);
    let loader = sandbox.sample_item("Q4", LOADER[1]);
    let row_of =
        |rows: &[Vec<String>], item: &str| rows.iter().position(|r| r[id] == item).unwrap();
    // A sponsor edits the decision to rotate, with its date in the
    // report's column; another writes the date into the decision itself.
    let k = row_of(&rows, &key);
    rows[k][decision] = "rotate".into();
    rows[k][by] = "2026-12-15".into();
    rows[k][note] = "Ledgerly rotates it through the vault".into();
    let l = row_of(&rows, &loader);
    rows[l][decision] = "rotate by 2027-01-31".into();
    rows[l][note] = "the ETL moves to workload identity".into();
    let file = write_csv(&sandbox, "back.csv", &header, &rows);

    let out = sandbox.ok(&["decide", "Q4", "--from", &file, "--dry-run"]);
    assert!(
        out.contains("would record 2 decisions") && out.contains(": 2 rotate;"),
        "{out}"
    );
    let out = sandbox.ok(&["decide", "Q4", "--from", &file]);
    assert!(
        out.starts_with("recorded 2 decisions") && out.contains(": 2 rotate;"),
        "{out}"
    );

    let items = sandbox.json(&["items", "Q4", "--json"]);
    for (item, date) in [(&key, "2026-12-15"), (&loader, "2027-01-31")] {
        let item = self::item(&items, item);
        assert_eq!(
            (&item["decision"], &item["rotate_by"]),
            (&"rotate".into(), &date.into()),
            "{item}"
        );
    }
    // The events are rotates with their dates, each naming its line.
    let conn = Connection::open(sandbox.db()).unwrap();
    let body: String = conn
        .query_row(
            "SELECT body FROM event WHERE kind = 'rotate' AND item = ?1",
            [key.parse::<i64>().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["by"], "2026-12-15", "{body}");
    assert_eq!(body["from_file"]["line"], k as u64 + 2, "{body}");
    // A rotation task like any other rotate's.
    let tasks = sandbox.json(&["remediation", "Q4", "--json"]);
    let task = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["item"].as_i64() == key.parse().ok())
        .unwrap();
    assert_eq!(
        (&task["task"], &task["by"]),
        (&"rotate".into(), &"2026-12-15".into())
    );

    // The next report carries the dates, and sent back untouched records
    // nothing twice.
    let (header, rows) = report(&sandbox);
    let by = column(&header, "rotate_by");
    let id = column(&header, "item");
    assert_eq!(rows[row_of(&rows, &key)][by], "2026-12-15");
    assert_eq!(rows.iter().filter(|r| !r[by].is_empty()).count(), 2);
    let json = sandbox.json(&["report", "Q4", "--format", "json"]);
    let reported = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"].as_i64() == loader.parse().ok())
        .unwrap();
    assert_eq!(reported["rotate_by"], "2027-01-31");
    assert_eq!(json["format"], "recert-report/1");
    let again = write_csv(&sandbox, "again.csv", &header, &rows);
    let out = sandbox.ok(&["decide", "Q4", "--from", &again]);
    assert!(
        out.starts_with("recorded 0 decisions") && out.contains("2 already in force"),
        "{out}"
    );
    // A new date on the same rotate is a decision of its own.
    let mut rows = rows;
    let k = rows.iter().position(|r| r[id] == key).unwrap();
    rows[k][by] = "2026-12-31".into();
    let moved = write_csv(&sandbox, "moved.csv", &header, &rows);
    let out = sandbox.ok(&["decide", "Q4", "--from", &moved]);
    assert!(
        out.starts_with("recorded 1 decision ") && out.contains(": 1 rotate;"),
        "{out}"
    );
    assert_eq!(
        self::item(&sandbox.json(&["items", "Q4", "--json"]), &key)["rotate_by"],
        "2026-12-31"
    );
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn a_rotate_a_file_may_not_record_is_named_with_its_line() {
    let sandbox = Sandbox::with_campaign();
    let item = |n| sandbox.sample_item("Q4", n);
    let (loader, loader_github, loader_m365) = (item(LOADER[0]), item(LOADER[1]), item(LOADER[2]));
    let (key, key_crm, key_m365) = (
        item(BILLING_KEY[0]),
        item(BILLING_KEY[1]),
        item(BILLING_KEY[2]),
    );
    let human = item(1);
    // The tests run on 2026-11-22; the policy's rotation period is 90 days.
    let text = format!(
        "id,decision,note,by\n\
         {loader},rotate,vault,\n\
         {human},rotate,her password,2026-12-15\n\
         {loader_github},rotate,later,2027-03-01\n\
         {loader_m365},rotate,today,2026-11-22\n\
         {key},rotate,,2026-12-15\n\
         {key_crm},rotate by 15/12/2026,x,\n\
         {key_m365},rotate,fine,2027-02-20\n"
    );
    let file = sandbox.write("rotations.csv", &text);
    let file = file.to_str().unwrap();
    let before = sandbox.dump();
    let err = sandbox.fails(1, &["decide", "Q4", "--from", file]);
    let lines: Vec<&str> = err.lines().collect();
    let expected = [
        format!("{file}:2: by: a rotate needs the day its credential is rotated by"),
        format!("{file}:3: decision: item {human}: rotate is for credentials"),
        format!(
            "{file}:4: by: item {loader_github}: the rotation date 2027-03-01 is beyond the \
             policy's rotation period of 90 days"
        ),
        format!(
            "{file}:5: by: item {loader_m365}: the rotation date 2026-11-22 must be after the \
             decision's day"
        ),
        format!("{file}:6: note: item {key}: a rotate needs a note"),
        format!("{file}:7: decision: \"15/12/2026\": expected a date as YYYY-MM-DD"),
    ];
    assert_eq!(lines.len(), expected.len() + 1, "{err}");
    for (line, expected) in lines.iter().zip(&expected) {
        assert!(
            line.starts_with(expected.as_str()),
            "{line}\nnot {expected}"
        );
    }
    assert!(lines[6].contains("6 problems in"), "{err}");
    assert_eq!(sandbox.dump(), before, "nothing recorded, not even line 8");

    // The design's column name and the report's are one column.
    let fine = sandbox.write(
        "fine.csv",
        &format!("item,decision,note,rotate_by\n{key_m365},rotate,fine,2027-02-20\n"),
    );
    let out = sandbox.ok(&["decide", "Q4", "--from", fine.to_str().unwrap()]);
    assert!(
        out.starts_with("recorded 1 decision ") && out.contains(": 1 rotate;"),
        "{out}"
    );
}
