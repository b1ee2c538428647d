//! Standard output closed by its reader (`recert items --json | head`):
//! every command stops quietly, as ripgrep does — exit 0, nothing on
//! standard error, no panic — unless it still has a verdict to give.

use crate::util::{Sandbox, fixture};
use std::io::Read;
use std::process::{Output, Stdio};

/// Runs `args` with standard output a pipe nobody reads any more.
fn into_closed_pipe(sandbox: &Sandbox, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    sandbox
        .std_cmd(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run recert")
}

fn assert_quiet(args: &[&str], output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    assert!(stderr.is_empty(), "{args:?} said: {stderr}");
}

#[test]
fn every_command_stops_quietly_when_its_reader_is_gone() {
    let sandbox = Sandbox::with_campaign();
    let item = sandbox.sample_item("Q4", 1);
    let sample = fixture("canonical/sample.csv");
    let commands: &[&[&str]] = &[
        &["identities"],
        &["identities", "--json"],
        &["items", "Q4"],
        &["items", "Q4", "--json"],
        &["report", "Q4"],
        &["report", "Q4", "--format", "json"],
        &["report", "Q4", "--format", "md"],
        &["report", "Q4", "--format", "html"],
        &["flags"],
        &["flags", "--json"],
        &["campaign", "list"],
        &["campaign", "list", "--json"],
        &["campaign", "show", "Q4"],
        &["campaign", "show", "Q4", "--json"],
        &["signoff", "Q4", "--preview"],
        &["config", "show"],
        &["config", "show", "--json"],
        &["exceptions"],
        &["exceptions", "--json"],
        &["remediation", "Q4"],
        &["remediation", "Q4", "--json"],
        &["verify"],
        &["init"],
        // One that writes records first, then says so to nobody.
        &["decide", "Q4", &item, "revoke", "--note", "gone"],
    ];
    for args in commands {
        assert_quiet(args, &into_closed_pipe(&sandbox, args));
    }
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let revoked = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"].as_i64() == item.parse().ok());
    assert_eq!(
        revoked.unwrap()["state"],
        "revoked",
        "the decision was recorded"
    );

    // The re-import still holds the revoked grant: its warning is not
    // lost with the summary nobody reads.
    let output = into_closed_pipe(&sandbox, &["import", sample.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("STILL EFFECTIVE"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // --check's verdict stands whether or not anyone reads the list.
    let args = ["remediation", "Q4", "--check"];
    let output = into_closed_pipe(&sandbox, &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 revocation STILL EFFECTIVE"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}

#[test]
fn a_reader_that_stops_after_a_few_bytes_stops_a_large_report_quietly() {
    let sandbox = Sandbox::new();
    let spec = recert::estate::EstateSpec::new(
        3_000,
        7,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    );
    let mut estate = Vec::new();
    spec.write_csv(&mut estate).unwrap();
    let path = sandbox.write("estate.csv", &String::from_utf8(estate).unwrap());
    sandbox.ok(&["import", path.to_str().unwrap()]);
    sandbox.ok(&["campaign", "new", "Big", "--due", "2026-12-31"]);
    // Several times the pipe's buffer, so the writer meets the closed end.
    for args in [
        &["report", "Big"][..],
        &["report", "Big", "--format", "html"],
        &["items", "Big", "--json"],
        &["items", "Big"],
    ] {
        let mut child = sandbox
            .std_cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn recert");
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        stdout.read_exact(&mut first).expect("the report begins");
        drop(stdout);
        let output = child.wait_with_output().expect("recert ends");
        assert_quiet(args, &output);
    }
}

/// Standard error closed by its reader (`recert import bad.csv 2>&1 |
/// head`): what a command says there goes to nobody, and its exit code
/// still tells how it ended. It aborted (SIGABRT) as `eprintln!` panicked
/// and the panic report failed on the same pipe.
#[test]
fn a_closed_standard_error_ends_each_command_with_its_own_exit_code() {
    let sandbox = Sandbox::with_campaign();
    let rejected = sandbox.write(
        "bad.csv",
        "tenant,system,identity_id,identity_name,identity_kind,relationship,entitlement\n\
         nw,github,a@x,Ann,robot,partner,admin\n",
    );
    let extra = sandbox.write(
        "extra.csv",
        &std::fs::read_to_string(fixture("canonical/sample.csv"))
            .unwrap()
            .lines()
            .enumerate()
            .map(|(n, line)| format!("{line},{}\n", if n == 0 { "department" } else { "ops" }))
            .collect::<String>(),
    );
    let report = sandbox.path("q4.csv");
    let cases: &[(&[&str], i32)] = &[
        (&["import", rejected.to_str().unwrap()], 1),
        (&["items", "no such campaign"], 1),
        (&["campaign", "new", "Q5", "--due", "not a date"], 2),
        (&["report", "Q4", "--out", report.to_str().unwrap()], 0),
    ];
    let run = |args: &[&str]| {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        sandbox
            .std_cmd(args)
            .stdout(Stdio::null())
            .stderr(writer)
            .output()
            .expect("run recert")
    };
    for (args, code) in cases {
        assert_eq!(run(args).status.code(), Some(*code), "{args:?}");
    }
    assert!(report.exists(), "the report was written");
    // A warning nobody reads does not undo the import it warned about.
    assert_eq!(
        run(&["import", extra.to_str().unwrap()]).status.code(),
        Some(0)
    );
    // verify's verdict stands with nobody reading its findings.
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    conn.execute_batch("DROP TRIGGER event_no_update; UPDATE event SET note = 'x' WHERE seq = 1;")
        .unwrap();
    drop(conn);
    assert_eq!(run(&["verify"]).status.code(), Some(1));
}
