//! The console through a real pseudo-terminal: keys in, screen read back.

use crate::util::{Pty, Sandbox};

#[test]
fn revoke_with_a_note_in_the_console_is_in_the_report() {
    let sandbox = Sandbox::with_campaign();
    let mut tui = Pty::spawn(
        &sandbox,
        &["review", "Q4", "--as-of", "2026-11-01"],
        100,
        30,
    );
    let screen = tui.wait_for("Queue");
    assert!(screen.contains("0/30 decided"), "{screen}");
    assert!(
        screen.contains(crate::util::REVIEWER),
        "the acting reviewer is shown"
    );
    tui.send("r");
    tui.wait_for("Note required");
    tui.send("shared MSP login, contract over");
    tui.send("\r");
    tui.send("ticket NW-9");
    tui.send("\x13"); // Ctrl+S
    let screen = tui.wait_for("revoked — saved");
    assert!(screen.contains("1/30 decided"), "{screen}");
    tui.send("q");
    assert!(tui.wait_exit(), "the terminal left the alternate screen");

    let report = sandbox.ok(&["report", "Q4", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(report.as_bytes());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[13], "revoked", "{report}");
    assert_eq!(&first[17], "shared MSP login, contract over\nticket NW-9");
}

#[test]
fn escape_cancels_the_note_and_records_nothing() {
    let sandbox = Sandbox::with_campaign();
    let mut tui = Pty::spawn(&sandbox, &["review", "Q4"], 80, 24);
    tui.wait_for("Queue");
    tui.send("r");
    tui.wait_for("Note required");
    tui.send("never mind");
    tui.send("\x1b");
    tui.wait_for("cancelled");
    tui.send("q");
    tui.wait_exit();
    let items = sandbox.json(&["items", "Q4", "--json", "--where", "state=decided"]);
    assert_eq!(items.as_array().unwrap().len(), 0);
}
