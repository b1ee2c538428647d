//! Several reviewers on one database file, each in their own process:
//! nobody sees "database is locked", no decision is lost, the chain stays
//! valid, and nobody silently replaces a decision someone else recorded —
//! from a script (`recert decide`) or from the console.

use crate::crash::{Rng, rounds};
use crate::util::{Pty, Sandbox};
use std::sync::{Arc, Barrier};

/// How one `recert decide` ended.
#[derive(Debug)]
enum Ended {
    /// Recorded, as this event.
    Recorded(i64),
    /// Refused because someone else's decision is in force or was recorded
    /// since the item was read: the message says so.
    Refused,
}

fn ended(output: &std::process::Output, args: &[String]) -> Ended {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("locked") && !stderr.contains("busy"),
        "recert {args:?}: {stderr}"
    );
    match output.status.code() {
        Some(0) => Ended::Recorded(
            stdout
                .split("(event ")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("no event in {stdout}")),
        ),
        Some(1)
            if stderr.contains("already has a decision in force")
                || stderr.contains("changed since you saw it") =>
        {
            Ended::Refused
        }
        other => panic!("recert {args:?} ended {other:?}: {stdout} {stderr}"),
    }
}

#[test]
fn reviewers_deciding_at_once_lose_nothing_and_never_see_locked() {
    let sandbox = Arc::new(Sandbox::with_campaign());
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let ids: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].to_string())
        .collect();
    const REVIEWERS: usize = 4;
    let per_reviewer = rounds(12);
    let start = Arc::new(Barrier::new(REVIEWERS + 1));
    let mut handles = Vec::new();
    for r in 0..REVIEWERS {
        let (sandbox, start, ids) = (sandbox.clone(), start.clone(), ids.clone());
        handles.push(std::thread::spawn(move || {
            let mut rng = Rng::new(0xbeef + r as u64);
            let actor = format!("reviewer{r}@x");
            let mut results = Vec::new();
            start.wait();
            for n in 0..per_reviewer {
                // Even steps: an item of one's own; odd: one of three
                // items everyone goes for.
                let item = if n % 2 == 0 {
                    &ids[r * 5 + rng.below(5) as usize]
                } else {
                    &ids[25 + rng.below(3) as usize]
                };
                let action = if rng.below(2) == 0 {
                    "attest"
                } else {
                    "revoke"
                };
                let args: Vec<String> = [
                    "--as",
                    &actor,
                    "decide",
                    "Q4",
                    item,
                    action,
                    "--note",
                    "concurrent",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                let argv: Vec<&str> = args.iter().map(String::as_str).collect();
                let output = sandbox.std_cmd(&argv).output().unwrap();
                results.push((actor.clone(), item.clone(), ended(&output, &args)));
            }
            results
        }));
    }
    // Readers at the same time: listing, reporting, verifying.
    let reader = {
        let (sandbox, start) = (sandbox.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            for n in 0..rounds(8) {
                let args: &[&str] = match n % 3 {
                    0 => &["items", "Q4", "--json"],
                    1 => &["report", "Q4", "--format", "csv"],
                    _ => &["verify"],
                };
                let output = sandbox.std_cmd(args).output().unwrap();
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(output.status.success(), "recert {args:?}: {stderr}");
            }
        })
    };
    let results: Vec<(String, String, Ended)> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("a reviewer thread"))
        .collect();
    reader.join().expect("the reader thread");

    let verify = sandbox.ok(&["verify"]);
    assert!(
        verify.contains("item states, tallies and remediation agree"),
        "{verify}"
    );
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    let decisions: i64 = conn
        .query_row(
            "SELECT count(*) FROM event WHERE item IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let recorded: Vec<_> = results
        .iter()
        .filter_map(|(actor, item, e)| match e {
            Ended::Recorded(seq) => Some((actor, item, *seq)),
            Ended::Refused => None,
        })
        .collect();
    assert_eq!(
        decisions,
        recorded.len() as i64,
        "every acknowledged decision, and no other, is in the log"
    );
    for (actor, item, seq) in &recorded {
        let (by, on): (String, i64) = conn
            .query_row("SELECT actor, item FROM event WHERE seq = ?1", [seq], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((&by, on.to_string()), (*actor, (*item).clone()));
    }
    // On the contested items, the first reviewer to decide keeps it: the
    // others were told, not allowed to overwrite.
    for contested in &ids[25..28] {
        let actors: std::collections::BTreeSet<&String> = recorded
            .iter()
            .filter(|(_, item, _)| *item == contested)
            .map(|(actor, _, _)| *actor)
            .collect();
        assert!(actors.len() <= 1, "item {contested} decided by {actors:?}");
    }
    let refused = results.len() - recorded.len();
    eprintln!("{} decisions recorded, {refused} refused", recorded.len());
    assert!(refused > 0, "the contested items were contested");
}

/// A script that read an item, and another reviewer deciding it meanwhile.
#[test]
fn a_script_never_replaces_someone_elses_decision_without_saying_it_saw_it() {
    let sandbox = Sandbox::with_campaign();
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let items = items.as_array().unwrap();
    let id = |i: &serde_json::Value| i["id"].to_string();
    // Two items to contest, and one someone else reviews, to hand over.
    let (contested, undone) = (id(&items[2]), id(&items[0]));
    let handed_over = items
        .iter()
        .find(|i| i["reviewer"] != crate::util::REVIEWER && id(i) != contested && id(i) != undone)
        .map(id)
        .unwrap();
    let (contested, undone, handed_over) =
        (contested.as_str(), undone.as_str(), handed_over.as_str());
    let other = |args: &[&str]| {
        let mut all = vec!["--as", "other@x"];
        all.extend_from_slice(args);
        sandbox.ok(&all)
    };
    let last_event = |id: &str| {
        sandbox
            .json(&["items", "Q4", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"].to_string().as_str() == id)
            .unwrap()["last_event"]
            .clone()
    };
    assert_eq!(last_event(contested), serde_json::Value::Null);
    let out = other(&["decide", "Q4", contested, "revoke", "--note", "theirs"]);
    let theirs = last_event(contested).as_i64().unwrap();
    assert!(out.contains(&format!("(event {theirs})")), "{out}");

    // Not silently on top of theirs:
    let err = sandbox.fails(1, &["decide", "Q4", contested, "attest", "--note", "mine"]);
    assert!(
        err.contains(&format!(
            "item {contested} already has a decision in force: revoke by other@x; nothing was recorded. \
             To record yours on top of it, say you have seen it: --expect-event {theirs}"
        )),
        "{err}"
    );
    // Nor with a stale view of the item:
    let err = sandbox.fails(
        1,
        &[
            "decide",
            "Q4",
            contested,
            "attest",
            "--note",
            "mine",
            "--expect-event",
            "none",
        ],
    );
    assert!(
        err.contains(&format!(
            "item {contested} changed since you saw it: other@x recorded revoke (event {theirs})"
        )),
        "{err}"
    );
    // Deliberately, having seen theirs: recorded, and theirs stays in the log.
    let seen = theirs.to_string();
    let out = sandbox.ok(&[
        "decide",
        "Q4",
        contested,
        "--expect-event",
        &seen,
        "attest",
        "--note",
        "mine",
    ]);
    assert!(
        out.contains(&format!("item {contested}: attested")),
        "{out}"
    );
    // Undoing someone else's decision is a decision too.
    let err = other(&["decide", "Q4", undone, "attest", "--note", "x"]);
    assert!(err.contains("attested"));
    let err = sandbox.fails(1, &["decide", "Q4", undone, "undo"]);
    assert!(err.contains("already has a decision in force"), "{err}");
    // One's own decision can be changed, and a reassigned item is the new
    // reviewer's to decide.
    sandbox.ok(&[
        "decide",
        "Q4",
        contested,
        "revoke",
        "--note",
        "on reflection",
    ]);
    other(&[
        "decide",
        "Q4",
        handed_over,
        "reassign",
        "--to",
        crate::util::REVIEWER,
        "--note",
        "yours",
    ]);
    sandbox.ok(&["decide", "Q4", handed_over, "attest", "--note", "checked"]);
    sandbox.fails(
        2,
        &[
            "decide",
            "Q4",
            handed_over,
            "attest",
            "--expect-event",
            "soon",
        ],
    );
    let verify = sandbox.ok(&["verify"]);
    assert!(
        verify.contains("item states, tallies and remediation agree"),
        "{verify}"
    );
}

/// The console has an item on screen; another process decides it; the
/// reviewer's decision is then refused with who did what, and their typed
/// note is kept so that recording it on top is a deliberate second save.
#[test]
fn the_console_shows_a_decision_made_elsewhere_instead_of_overwriting_it() {
    let sandbox = Sandbox::with_campaign();
    // The console opens on the reviewer's own queue.
    let mine = format!("reviewer={}", crate::util::REVIEWER);
    let first = sandbox.json(&["items", "Q4", "--where", &mine, "--json"])[0]["id"].to_string();
    let mut tui = Pty::spawn(&sandbox, &["review", "Q4"], 120, 30);
    tui.wait_for("0/30 decided");
    sandbox.ok(&[
        "--as", "other@x", "decide", "Q4", &first, "revoke", "--note", "theirs",
    ]);
    tui.send("r");
    tui.wait_for("Note");
    tui.send("mine");
    tui.send("\x13"); // Ctrl+S
    let screen = tui.wait_for("meanwhile");
    assert!(
        screen.contains(&format!("item {first}: other@x recorded revoke meanwhile")),
        "{screen}"
    );
    let events = |sandbox: &Sandbox| -> Vec<(String, String)> {
        let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
        let mut stmt = conn
            .prepare("SELECT actor, note FROM event WHERE item = ?1 ORDER BY seq")
            .unwrap();
        stmt.query_map([first.parse::<i64>().unwrap()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    assert_eq!(
        events(&sandbox),
        [("other@x".to_string(), "theirs".to_string())],
        "theirs stands, mine was not recorded"
    );
    // Saving again, having been told, records on top; both are in the log.
    tui.send("\x13");
    tui.wait_for("— saved");
    tui.send("q");
    tui.wait_exit();
    assert_eq!(
        events(&sandbox),
        [
            ("other@x".to_string(), "theirs".to_string()),
            (crate::util::REVIEWER.to_string(), "mine".to_string())
        ]
    );
}

/// An import alone on the file runs under a rollback journal (its
/// `-journal` file shows it, as private as the database) with a page cache
/// smaller than its pages, so it writes into the file as it goes; readers
/// and a reviewer who arrive meanwhile wait for it and succeed, never
/// seeing "locked", and the file ends in WAL with everything in it.
#[test]
fn readers_and_reviewers_arriving_during_an_import_wait_for_it() {
    use std::time::{Duration, Instant};
    let sandbox = Sandbox::with_campaign();
    let item = sandbox.sample_item("Q4", 1);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let spec = recert::estate::EstateSpec::new(100_000, 11, today);
    let estate = std::fs::File::create(sandbox.path("estate.csv")).unwrap();
    let rows = spec.write_csv(estate).unwrap();
    let mut import = sandbox
        .std_cmd(&["import", "estate.csv"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let journal = sandbox.path("recert.db-journal");
    let deadline = Instant::now() + Duration::from_secs(60);
    let journal_meta = loop {
        assert!(Instant::now() < deadline, "no rollback journal appeared");
        assert!(
            import.try_wait().unwrap().is_none(),
            "the import ended before its journal was seen"
        );
        if let Ok(meta) = std::fs::metadata(&journal) {
            break meta;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(journal_meta.permissions().mode() & 0o777, 0o600, "-journal");
    }
    let arrivals: Vec<Vec<&str>> = vec![
        vec!["campaign", "list", "--json"],
        vec!["items", "Q4", "--json"],
        vec!["report", "Q4", "--format", "csv"],
        vec![
            "decide",
            "Q4",
            &item,
            "revoke",
            "--note",
            "during the import",
        ],
    ];
    let arriving: Vec<_> = arrivals
        .iter()
        .map(|args| {
            let child = sandbox
                .std_cmd(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (args.clone(), child)
        })
        .collect();
    assert!(
        import.try_wait().unwrap().is_none(),
        "the import was still running when the others arrived"
    );
    let import = import.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&import.stderr);
    assert!(import.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&import.stdout).contains(&format!("{rows} rows")),
        "{}",
        String::from_utf8_lossy(&import.stdout)
    );
    for (args, child) in arriving {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "recert {args:?}: {stderr}");
        assert!(
            !stderr.contains("locked") && !stderr.contains("busy"),
            "{stderr}"
        );
    }
    assert!(!journal.exists(), "the journal is gone once committed");
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let (snapshots, decided): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM snapshot),
                    (SELECT count(*) FROM event WHERE item = ?1 AND kind = 'revoke')",
            [&item],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((snapshots, decided), (2, 1));
    let verify = sandbox.ok(&["verify"]);
    assert!(verify.contains("audit chain intact"), "{verify}");
}
