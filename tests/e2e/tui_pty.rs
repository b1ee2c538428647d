//! The console through a real pseudo-terminal: keys in, screen read back.

use crate::util::{Pty, REVIEWER, Sandbox};

/// The sample's sponsor: most items wait for her.
const SPONSOR: &str = "a.kowalski@northwind.example.com";

const CTRL_S: &str = "\x13";
const TAB: &str = "\t";

fn review_as_sponsor(sandbox: &Sandbox, cols: u16, rows: u16) -> Pty {
    Pty::spawn(
        sandbox,
        &["review", "Q4", "--as", SPONSOR, "--as-of", "2026-11-01"],
        cols,
        rows,
    )
}

#[test]
fn revoke_with_a_note_in_the_console_is_in_the_report() {
    let sandbox = Sandbox::with_campaign();
    let mut tui = review_as_sponsor(&sandbox, 100, 30);
    // The acting reviewer and their own queue are shown.
    tui.wait_for_all(&["Queue", "0/30 decided", SPONSOR, "my items"]);
    tui.send("r");
    tui.wait_for("Note required");
    tui.send("shared MSP login, contract over");
    tui.send("\r");
    tui.send("ticket NW-9");
    tui.send(CTRL_S);
    tui.wait_for_all(&["revoked — saved", "1/30 decided"]);
    tui.send("q");
    assert!(tui.wait_exit(), "the terminal left the alternate screen");

    let report = sandbox.ok(&["report", "Q4", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(report.as_bytes());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[13], "revoked", "{report}");
    assert_eq!(&first[17], "shared MSP login, contract over\nticket NW-9");
}

#[test]
fn escape_asks_then_cancels_the_note_keeping_a_draft_and_records_nothing() {
    let sandbox = Sandbox::with_campaign();
    let mut tui = Pty::spawn(&sandbox, &["review", "Q4"], 80, 24);
    tui.wait_for("Queue");
    tui.send("r");
    tui.wait_for("Note required");
    tui.send("never mind");
    tui.send("\x1b");
    tui.wait_for("Esc again keeps the note");
    tui.send("\x1b");
    tui.wait_for("note kept as a draft");
    tui.send("q");
    tui.wait_exit();
    let items = sandbox.json(&["items", "Q4", "--json", "--where", "state=decided"]);
    assert_eq!(items.as_array().unwrap().len(), 0);
}

fn states_of_contractors(sandbox: &Sandbox) -> Vec<(String, String)> {
    let items = sandbox.json(&[
        "items",
        "Q4",
        "--json",
        "--where",
        "relationship=contractor",
    ]);
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["state"].as_str().unwrap().to_string(),
                i["note"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn filter_mark_all_bulk_attest_revoke_one_and_find_it_as_left() {
    let sandbox = Sandbox::with_campaign();
    let mut tui = review_as_sponsor(&sandbox, 80, 24);
    tui.wait_for("Queue");

    // Filter to contractors: the first value of the first field.
    tui.send("f");
    tui.wait_for("contractor");
    tui.send(" ");
    tui.wait_for("relationship (1)");
    tui.send("\r");
    tui.wait_for("relationship=contractor");
    tui.wait_for(" 1 of 6 ");

    // Mark all of them and attest them in one go.
    tui.send("*");
    tui.wait_for("6 marked");
    tui.send("a");
    tui.wait_for_all(&["Attest 6 marked items?", "carry a revoke recommendation"]);
    tui.send("y");
    tui.wait_for("Attest · 6 marked items");
    tui.send("contracts renewed to June (SOW-100..103)");
    tui.send(CTRL_S);
    tui.wait_for_all(&["attested 6 marked items in one step", "6/30 decided"]);

    // Revoke one of them on its own, with its own note.
    tui.send("r");
    tui.wait_for("Revoke · item");
    tui.send("left Copperline in October");
    tui.send(CTRL_S);
    tui.wait_for("revoked — saved");
    tui.send("q");
    assert!(tui.wait_exit());

    // Reopen: everything is as it was left.
    let mut tui = review_as_sponsor(&sandbox, 80, 24);
    tui.wait_for_all(&["Queue", "6/30 decided"]);
    tui.send("f");
    tui.wait_for("contractor");
    tui.send(" \r");
    tui.wait_for_all(&["relationship=contractor", "✗ revoked", "✓ attested"]);
    tui.send("q");
    tui.wait_exit();

    let states = states_of_contractors(&sandbox);
    assert_eq!(states.len(), 6);
    let revoked: Vec<_> = states.iter().filter(|(s, _)| s == "revoked").collect();
    let attested: Vec<_> = states.iter().filter(|(s, _)| s == "attested").collect();
    assert_eq!((revoked.len(), attested.len()), (1, 5), "{states:?}");
    assert_eq!(revoked[0].1, "left Copperline in October");
    assert!(
        attested
            .iter()
            .all(|(_, note)| note == "contracts renewed to June (SOW-100..103)")
    );
    let verify = sandbox.ok(&["verify"]);
    assert!(verify.contains("audit chain intact"), "{verify}");
}

/// The report row of the riskiest item (rank 1): state, until, ticket.
fn first_in_report(sandbox: &Sandbox) -> (String, String, String) {
    let report = sandbox.ok(&["report", "Q4", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(report.as_bytes());
    let first = reader.records().next().unwrap().unwrap();
    (
        first[13].to_string(),
        first[18].to_string(),
        first[19].to_string(),
    )
}

#[test]
fn an_exception_then_its_undo_are_both_in_the_history() {
    let sandbox = Sandbox::with_campaign();
    let mut tui = review_as_sponsor(&sandbox, 160, 48);
    tui.wait_for("Queue");
    tui.send("e");
    tui.wait_for("Exception · item");
    tui.send("2027-01-31");
    tui.wait_for("= 2027-01-31 (in 91 days)");
    tui.send(TAB);
    tui.send("CHG-9");
    tui.send(TAB);
    tui.send("MSP handover ends in January");
    tui.send(CTRL_S);
    tui.wait_for("exception — saved");
    assert_eq!(
        first_in_report(&sandbox),
        ("exception".into(), "2027-01-31".into(), "CHG-9".into()),
        "the report, read while the console is open"
    );

    tui.send("k"); // back to the item
    tui.send("u");
    // The detail pane shows both events: nothing was deleted.
    tui.wait_for_all(&[
        "exception by a.kowalski",
        "until 2027-01-31 ticket CHG-9",
        "undo by a.kowalski",
        "(reverts event",
        "undo recorded, now undecided",
    ]);
    tui.send("q");
    tui.wait_exit();

    // The CSV report carries the decision in force (no history columns):
    // after the undo the item is undecided again.
    assert_eq!(
        first_in_report(&sandbox),
        ("undecided".into(), String::new(), String::new())
    );
    let items = sandbox.json(&["items", "Q4", "--json", "--where", "state=exception"]);
    assert_eq!(items.as_array().unwrap().len(), 0);
    sandbox.ok(&["verify"]);
}

#[test]
fn hostile_escape_sequences_in_the_data_never_reach_the_terminal() {
    let sandbox = Sandbox::new();
    let hostile = "Eve\x1b[2J\x1b]0;pwned\x07\x1b[31mRED";
    let csv = format!(
        "system,identity_id,identity_name,identity_kind,relationship,entitlement,sponsor\n\
         github,eve,\"{hostile}\",human,contractor,admin,{SPONSOR}\n"
    );
    let file = sandbox.write("hostile.csv", &csv);
    sandbox.ok(&["import", file.to_str().unwrap()]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q4",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
    ]);
    let mut tui = Pty::spawn_with(
        &sandbox,
        &["review", "Q4", "--as", SPONSOR],
        100,
        30,
        &[("NO_COLOR", "1")],
    );
    // Wait for the whole first frame, down to the status bar.
    let screen = tui.wait_for_all(&[
        "Queue",
        r"Eve\x1b[2J\x1b]0;pwned\x07\x1b[31mRED",
        "0/1 decided",
    ]);
    assert_eq!(
        screen.matches(r"Eve\x1b[2J").count(),
        2,
        "shown escaped in the queue and the detail: {screen}"
    );
    assert!(
        !screen.contains("Eve[2J"),
        "never shown disguised: {screen}"
    );
    tui.send("r");
    tui.wait_for("Note required");
    tui.send("\x1b");
    tui.wait_for("cancelled");

    let raw = tui.raw().to_vec();
    let contains = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(
        !contains(b"\x1b]0;pwned"),
        "no title sequence from the data"
    );
    assert!(
        !contains(b"\x1b[31mRED"),
        "no colour sequence from the data"
    );
    assert!(!contains(b"Eve\x1b[2J"), "no clear-screen from the data");
    assert!(
        tui.titles()
            .iter()
            .all(|t| !t.windows(5).any(|w| w == b"pwned")),
        "the window title never changed to the data's"
    );
    let vt = tui.vt();
    let (rows, cols) = vt.size();
    for row in 0..rows.get() {
        for col in 0..cols.get() {
            if let Some(cell) = vt.cell(row, col) {
                assert_eq!(
                    cell.fgcolor(),
                    vt100::Color::Default,
                    "NO_COLOR and nothing red at {row},{col}"
                );
            }
        }
    }
    tui.send("q");
    assert!(tui.wait_exit());
}

#[test]
fn the_console_fits_80_by_24_and_the_help_lists_every_key() {
    let sandbox = Sandbox::with_campaign();
    let mut tui = review_as_sponsor(&sandbox, 80, 24);
    tui.wait_for("Queue");
    tui.send("?");
    tui.wait_for_all(&["Keys", "attest: keep the access"]);
    tui.send("?");
    tui.wait_for("Queue");
    tui.send("d");
    tui.wait_for_all(&["Decisions by type", "By reviewer"]);
    tui.send("d");
    tui.send("v");
    tui.wait_for("all items");
    tui.send("q");
    assert!(tui.wait_exit());
}

#[test]
fn sign_off_and_close_in_the_console_are_what_campaign_show_reports() {
    let sandbox = Sandbox::with_campaign();
    // The campaign's owner, who created it.
    let mut tui = Pty::spawn(&sandbox, &["review", "Q4", "--as-of", "2026-11-01"], 80, 24);
    tui.wait_for_all(&["Queue", "Q4 · open"]);
    tui.send("S");
    tui.wait_for_all(&[
        "Sign off · Q4",
        "1 sponsor's part nobody signed",
        "30 items nobody decided",
        "Undecided",
    ]);
    tui.send("1");
    tui.send("\r");
    tui.send("30");
    tui.send("\r");
    tui.send("checked the partners; 30 undecided keep their access");
    tui.send(CTRL_S);
    tui.wait_for_all(&["Q4 · signed off", "signed off (event"]);

    // Committed before it was shown: another terminal sees it now.
    let shown = sandbox.ok(&["campaign", "show", "Q4"]);
    assert!(shown.contains("state         signed_off"), "{shown}");
    assert!(
        shown.contains(&format!("signed off    by {REVIEWER} (owner)")),
        "{shown}"
    );

    tui.send("r");
    tui.wait_for("! signed off: no more decisions");
    tui.send("C");
    tui.wait_for_all(&["Close · Q4", "close action keep: 30 kept"]);
    tui.send("quarter over");
    tui.send(CTRL_S);
    tui.wait_for_all(&["Q4 · closed", "closed: 30 kept, 0 revoked"]);
    tui.send("q");
    assert!(tui.wait_exit());

    let shown = sandbox.ok(&["campaign", "show", "Q4"]);
    assert!(shown.contains("state         closed"), "{shown}");
    assert!(shown.contains("attested    30"), "{shown}");
    assert!(
        shown.contains(&format!("closed        by {REVIEWER}")),
        "{shown}"
    );
    let signed = sandbox.json(&["report", "Q4", "--format", "json"]);
    assert_eq!(
        signed["signoffs"][0]["note"],
        "checked the partners; 30 undecided keep their access"
    );
    assert_eq!(signed["signoffs"][0]["undecided"], 30);
    sandbox.ok(&["verify"]);
}

/// A sponsor signs her own part in the console: it is frozen, the campaign
/// stays open for everyone else, and `campaign show` says who signed it.
#[test]
fn a_sponsor_signs_her_part_in_the_console() {
    let sandbox = Sandbox::with_campaign();
    let anna = "a.kowalski@northwind.example.com";
    let mut tui = Pty::spawn(
        &sandbox,
        &["--as", anna, "review", "Q4", "--as-of", "2026-11-01"],
        160,
        40,
    );
    tui.wait_for_all(&["Queue", "Q4 · open"]);
    tui.send("S");
    tui.wait_for_all(&[
        "Sign off · Q4",
        "a sponsor: your part",
        "21 items nobody decided in your part",
    ]);
    tui.send("21");
    tui.send("\r");
    tui.send("my partners checked; 21 undecided go to the owner");
    tui.send(CTRL_S);
    tui.wait_for_all(&["Q4 · open", "signed your part (event"]);

    let shown = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    assert_eq!(shown["state"], "open", "only her part is signed");
    assert_eq!(shown["parts"][0]["sponsor"], anna);
    assert_eq!(shown["parts"][0]["signer"], anna);
    assert_eq!(
        shown["parts"][0]["note"],
        "my partners checked; 21 undecided go to the owner"
    );
    assert_eq!(shown["parts"][1]["signer"], serde_json::Value::Null);

    // Her items are frozen now; the console says why.
    tui.send("a");
    tui.wait_for("Attest · item");
    tui.send("still needed");
    tui.send(CTRL_S);
    tui.wait_for("nothing was recorded: item 1 is in a part signed off by a.kowalski");
    tui.send("q");
    assert!(tui.wait_exit());
    sandbox.ok(&["verify"]);
}
