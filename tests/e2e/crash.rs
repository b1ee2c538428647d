//! Crash safety: the real binary killed with SIGKILL at random moments —
//! mid-decision from a script, mid-decision in the console, mid-import,
//! mid-campaign-creation. After every kill the database reopens, `recert
//! verify` passes (chain, frozen evidence, and every item's state replayed
//! from its events), and everything that was acknowledged — printed by the
//! command, or shown as saved on the console's screen — is there.
//!
//! `RECERT_STRESS=N` multiplies the number of kills.

use crate::util::{Pty, Sandbox};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How many times to repeat, scaled by `RECERT_STRESS`.
pub fn rounds(default: usize) -> usize {
    let factor = std::env::var("RECERT_STRESS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    default * factor
}

/// A small deterministic generator: the kill points differ from run to
/// run only by how fast the machine is.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// How long `command` takes here to complete, to spread kills over it.
fn duration_of(mut command: Command) -> Duration {
    let started = Instant::now();
    let output = command.output().expect("run recert");
    assert!(output.status.success(), "{output:?}");
    started.elapsed()
}

/// Starts `command`, kills it with SIGKILL after `after`, and returns its
/// standard output and whether it had exited by itself (and how).
fn kill_after(mut command: Command, after: Duration) -> (String, String, Option<i32>) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn recert");
    std::thread::sleep(after);
    // SIGKILL on Unix: no destructor, no rollback, no flush.
    let _ = child.kill();
    let output = child.wait_with_output().expect("reap recert");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code(),
    )
}

fn open(sandbox: &Sandbox) -> rusqlite::Connection {
    rusqlite::Connection::open(sandbox.db()).expect("open the database")
}

/// After a kill: the file is sound, the audit log and every derived state
/// agree, and `recert` works on it.
fn check_sound(sandbox: &Sandbox) {
    let integrity: String = open(sandbox)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let verify = sandbox.ok(&["verify"]);
    assert!(verify.contains("audit chain intact"), "{verify}");
    assert!(
        verify.contains("item states, tallies and remediation agree with the events"),
        "{verify}"
    );
}

#[test]
fn decisions_killed_at_random_lose_nothing_acknowledged() {
    let sandbox = Sandbox::with_campaign();
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let ids: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].to_string())
        .collect();
    let decide = |n: usize, id: &str| {
        let note = format!("kill test {n}");
        let action: Vec<String> = match n % 4 {
            0 => vec!["attest".into()],
            1 => vec!["revoke".into()],
            2 => vec![
                "exception".into(),
                "--until".into(),
                "2026-12-31".into(),
                "--ticket".into(),
                format!("T-{n}"),
            ],
            _ => vec!["undo".into()],
        };
        let mut args = vec!["decide".to_string(), "Q4".into(), id.into()];
        args.extend(action);
        args.extend(["--note".to_string(), note]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sandbox.std_cmd(&args)
    };
    // Every item gets a decision first, so that undo has one to undo; the
    // median of those runs spreads the kills over a decision's lifetime.
    let mut durations: Vec<Duration> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| duration_of(decide(n * 4, id)))
        .collect();
    durations.sort();
    let typical = durations[durations.len() / 2];
    let mut rng = Rng::new(0x7e57_c0de);
    let mut acknowledged: Vec<(i64, String, String)> = Vec::new();
    let mut interrupted = 0;
    let mut refused = 0;
    for n in 0..rounds(60) {
        let id = &ids[rng.below(ids.len() as u64) as usize];
        let after = Duration::from_micros(rng.below(typical.as_micros() as u64 * 3 / 2));
        let (stdout, stderr, code) = kill_after(decide(n, id), after);
        // The success line is printed only after the commit.
        match stdout
            .split("(event ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|seq| seq.parse::<i64>().ok())
        {
            Some(seq) => acknowledged.push((seq, id.clone(), format!("kill test {n}"))),
            // Undo after undo can run out of decisions to undo.
            None if code == Some(1) && stderr.contains("has no decision to undo") => refused += 1,
            None => {
                assert!(
                    code.is_none(),
                    "recert failed by itself (exit {code:?}): {stderr}"
                );
                interrupted += 1;
            }
        }
        if n % 20 == 19 {
            check_sound(&sandbox);
        }
    }
    check_sound(&sandbox);
    let conn = open(&sandbox);
    for (seq, item, note) in &acknowledged {
        let found: (i64, String) = conn
            .query_row("SELECT item, note FROM event WHERE seq = ?1", [seq], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap_or_else(|e| panic!("acknowledged event {seq} is missing: {e}"));
        assert_eq!(
            (found.0.to_string(), &found.1),
            (item.clone(), note),
            "event {seq}"
        );
    }
    eprintln!(
        "{} decisions acknowledged, {interrupted} killed before acknowledging, {refused} \
         undos refused",
        acknowledged.len()
    );
    assert!(
        !acknowledged.is_empty() && interrupted > 0,
        "the kills should land both before and after commits"
    );
}

/// The console: every decision the screen showed as saved survives a
/// SIGKILL, wherever it lands, and so does the file.
#[test]
fn a_console_killed_at_random_loses_nothing_it_showed_as_saved() {
    let sandbox = Sandbox::with_campaign();
    let mut rng = Rng::new(0xc0ff_ee00);
    let mut saved: Vec<(String, String)> = Vec::new();
    for round in 0..rounds(4) {
        let mut tui = Pty::spawn(&sandbox, &["review", "Q4"], 100, 30);
        tui.wait_for("decided");
        for step in 0..3 {
            let note = format!("round {round} step {step}");
            tui.send("r");
            tui.wait_for("Note");
            tui.send(&note);
            tui.send("\x13"); // Ctrl+S
            if step == 2 {
                // The last one is killed at a random moment after Ctrl+S.
                std::thread::sleep(Duration::from_millis(rng.below(40)));
                let screen = tui.screen();
                tui.kill9();
                if let Some(item) = saved_item(&screen) {
                    saved.push((item, note));
                }
                break;
            }
            let screen = tui.wait_for("— saved");
            saved.push((saved_item(&screen).expect("the saved item"), note));
            // Moving on clears the status, so the next save is seen afresh.
            tui.send("j");
            wait_until(&mut tui, |s| !s.contains("— saved"));
        }
        check_sound(&sandbox);
    }
    let conn = open(&sandbox);
    for (item, note) in &saved {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM event WHERE item = ?1 AND kind = 'revoke' AND note = ?2",
                rusqlite::params![item.parse::<i64>().unwrap(), note],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "item {item} was shown saved with {note:?}");
    }
}

/// "item 7: revoked — saved" on the screen, if it is there.
fn saved_item(screen: &str) -> Option<String> {
    let at = screen.find(": revoked — saved")?;
    let start = screen[..at].rfind("item ")? + "item ".len();
    Some(screen[start..at].to_string())
}

fn wait_until(tui: &mut Pty, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let screen = tui.screen();
        if done(&screen) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the screen never changed:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Imports and campaign creations killed at random: each either happened
/// completely (its snapshot, every row, its audit event; or its campaign,
/// every item, its digest) or not at all.
#[test]
fn imports_and_campaigns_killed_at_random_are_all_or_nothing() {
    let sandbox = Sandbox::new();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let mut rows = Vec::new();
    for generation in 0..2u32 {
        let spec = recert::estate::EstateSpec {
            generation,
            ..recert::estate::EstateSpec::new(3_000, 7, today)
        };
        let file = std::fs::File::create(sandbox.path(&format!("gen{generation}.csv"))).unwrap();
        rows.push(spec.write_csv(file).unwrap() as i64);
    }
    let import = |n: usize| sandbox.std_cmd(&["import", &format!("gen{}.csv", n % 2)]);
    // Both files once, completely: a first import and a re-import (diff).
    let typical = duration_of(import(0)).max(duration_of(import(1)));
    let live = |conn: &rusqlite::Connection| -> (i64, i64, i64, String) {
        conn.query_row(
            "SELECT (SELECT count(*) FROM snapshot),
                    (SELECT count(*) FROM event WHERE kind = 'import'),
                    (SELECT count(*) FROM entitlement
                     WHERE superseded IS NULL AND removed_snapshot IS NULL),
                    (SELECT file_name FROM snapshot ORDER BY id DESC LIMIT 1)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    };
    let mut rng = Rng::new(0x1a9_0a7);
    let mut completed = 0;
    for n in 1..=rounds(10) {
        let after = Duration::from_micros(rng.below(typical.as_micros() as u64 * 3 / 2));
        let (stdout, stderr, code) = kill_after(import(n), after);
        assert!(code.is_none() || code == Some(0), "{stderr}");
        let (snapshots, events, grants, last_file) = live(&open(&sandbox));
        assert_eq!(snapshots, events, "a snapshot without its audit event");
        let last = if last_file == "gen0.csv" { 0 } else { 1 };
        assert_eq!(grants, rows[last], "after {last_file}, its grants exactly");
        if stdout.contains("rows (snapshot ") {
            completed += 1;
            assert_eq!(last_file, format!("gen{}.csv", n % 2), "acknowledged");
        }
        if n % 5 == 0 {
            check_sound(&sandbox);
        }
    }
    check_sound(&sandbox);

    let create = |n: usize| {
        sandbox.std_cmd(&[
            "campaign",
            "new",
            &format!("C{n}"),
            "--due",
            "2026-12-31",
            "--as-of",
            "2026-11-22",
        ])
    };
    let typical = duration_of(create(0));
    let mut created = 1;
    for n in 1..=rounds(6) {
        let after = Duration::from_micros(rng.below(typical.as_micros() as u64 * 3 / 2));
        let (stdout, stderr, code) = kill_after(create(n), after);
        assert!(code.is_none() || code == Some(0), "{stderr}");
        let conn = open(&sandbox);
        let (campaigns, events, orphans): (i64, i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM campaign),
                        (SELECT count(*) FROM event WHERE kind = 'campaign_created'),
                        (SELECT count(*) FROM item WHERE campaign NOT IN (SELECT id FROM campaign))",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((campaigns, orphans), (events, 0), "half a campaign");
        if stdout.contains("created campaign") {
            created += 1;
        }
        assert!(campaigns >= created);
        // verify checks every campaign's items against its digest.
        check_sound(&sandbox);
    }
    eprintln!("{completed} imports and {created} campaigns completed despite the kills");
}

/// An import killed after it has written pages into the database file (a
/// rollback journal lets a small page cache spill there mid-transaction):
/// the next recert rolls the journal back, and the file holds exactly what
/// it held before, at its old size.
#[test]
fn an_import_killed_after_writing_into_the_file_is_rolled_back() {
    let sandbox = Sandbox::with_campaign();
    let before = sandbox.dump();
    let size_before = std::fs::metadata(sandbox.db()).unwrap().len();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let spec = recert::estate::EstateSpec::new(100_000, 5, today);
    let estate = std::fs::File::create(sandbox.path("estate.csv")).unwrap();
    spec.write_csv(estate).unwrap();
    let mut import = sandbox
        .std_cmd(&["import", "estate.csv"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let journal = sandbox.path("recert.db-journal");
    let deadline = Instant::now() + Duration::from_secs(60);
    // Spilled: the file has grown while the journal says the transaction
    // is still open.
    while !(journal.exists() && std::fs::metadata(sandbox.db()).unwrap().len() > size_before) {
        assert!(Instant::now() < deadline, "the import never spilled");
        assert!(
            import.try_wait().unwrap().is_none(),
            "the import ended before it was seen writing into the file"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    import.kill().unwrap();
    import.wait().unwrap();
    assert!(journal.exists(), "a hot journal is left");
    let verify = sandbox.ok(&["verify"]);
    assert!(verify.contains("audit chain intact"), "{verify}");
    assert!(!journal.exists(), "rolled back by the next recert");
    check_sound(&sandbox);
    assert_eq!(sandbox.dump(), before, "exactly what was there before");
    assert_eq!(std::fs::metadata(sandbox.db()).unwrap().len(), size_before);
}
