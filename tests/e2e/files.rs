//! The files recert writes and the files it is given: everything it
//! creates (the database and its -wal/-shm, reports, the config, their
//! directories) is private to its owner under any umask; a report, a kept
//! demo or a config is never written over the database or its files, nor
//! over anything but a regular file; anything given as `--db` that is not
//! a database this recert can use is refused with a clear message (at
//! once, for a FIFO) and left byte for byte as it was; older schemas
//! upgrade, with their data, even when several recerts open them at once.

mod access;

use crate::util::{Pty, Sandbox, fixture};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Runs the binary under `umask 000`, where a file created without an
/// explicit mode would be readable and writable by everyone.
fn under_open_umask(sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
    open_umask_command(sandbox, args)
        .output()
        .expect("run recert")
}

/// The binary under `umask 000`, to run with more settings.
fn open_umask_command(sandbox: &Sandbox, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_recert"))
        .args(args)
        .env_clear()
        .env("RECERT_DB", sandbox.db())
        .env("RECERT_REVIEWER", crate::util::REVIEWER)
        .env("RECERT_NOW", crate::util::NOW)
        .env("HOME", sandbox.dir.path())
        .current_dir(sandbox.dir.path());
    command
}

#[test]
fn the_database_and_its_wal_and_shm_are_owner_only_under_any_umask() {
    let sandbox = Sandbox::bare();
    let out = under_open_umask(&sandbox, &["init"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&sandbox.db()), 0o600);
    let sample = fixture("canonical/sample.csv");
    assert!(
        under_open_umask(&sandbox, &["import", sample.to_str().unwrap()])
            .status
            .success()
    );
    assert!(
        under_open_umask(&sandbox, &["campaign", "new", "Q4", "--due", "2026-12-15"])
            .status
            .success()
    );
    // The -wal and -shm files exist while a connection is open: hold one
    // in the console, started under the same open umask.
    let mut tui = Pty::spawn_with_umask(&sandbox, "000", &["review", "Q4"], 100, 30);
    tui.wait_for("decided");
    let wal = sandbox.path("recert.db-wal");
    let shm = sandbox.path("recert.db-shm");
    assert!(
        wal.exists() && shm.exists(),
        "WAL mode keeps both while open"
    );
    assert_eq!(mode(&wal), 0o600, "-wal");
    assert_eq!(mode(&shm), 0o600, "-shm");
    assert_eq!(mode(&sandbox.db()), 0o600);
    tui.send("q");
    tui.wait_exit();
}

#[test]
fn reports_are_owner_only_even_over_an_existing_readable_file() {
    let sandbox = Sandbox::with_campaign();
    let out = under_open_umask(&sandbox, &["report", "Q4", "--out", "new.csv"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&sandbox.path("new.csv")), 0o600);
    let existing = sandbox.write("old.csv", "someone else's text");
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
    sandbox.ok(&["report", "Q4", "--out", "old.csv"]);
    assert_eq!(mode(&existing), 0o600);
}

/// Every directory from the sandbox down to `file`, which recert created,
/// and `file`: each private to its owner.
fn assert_private_down_to(sandbox: &Sandbox, file: &Path) {
    assert_eq!(mode(file), 0o600, "{}", file.display());
    let mut dir = file.parent().unwrap();
    while dir != sandbox.dir.path() {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
        dir = dir.parent().unwrap();
    }
}

/// Under `umask 000` the config and its directories, the database's
/// directories (given or the default), and `demo --keep` are private to
/// their owner: nobody else may read them, or move the database away.
#[test]
fn everything_recert_creates_is_owner_only_under_any_umask() {
    let sandbox = Sandbox::bare();
    let config = sandbox.path("settings/recert/config.toml");
    let out = open_umask_command(&sandbox, &["config", "init"])
        .env("RECERT_CONFIG", &config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_private_down_to(&sandbox, &config);

    let db = sandbox.path("data/deep/recert.db");
    let out = open_umask_command(&sandbox, &["init"])
        .env("RECERT_DB", &db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_private_down_to(&sandbox, &db);

    // The platform's places, under HOME: wherever recert says it wrote.
    for args in [&["init"][..], &["config", "init"]] {
        let out = open_umask_command(&sandbox, args)
            .env_remove("RECERT_DB")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?} {out:?}");
        let said = String::from_utf8(out.stdout).unwrap();
        let written = said
            .split_whitespace()
            .find(|w| w.starts_with(sandbox.dir.path().to_str().unwrap()))
            .unwrap_or_else(|| panic!("{args:?} names no file: {said}"))
            .trim_end_matches(';');
        assert_private_down_to(&sandbox, Path::new(written));
    }

    let mut demo = Pty::spawn_with_umask(
        &sandbox,
        "000",
        &["demo", "--keep", "kept/demo.db"],
        100,
        30,
    );
    demo.wait_for("decided");
    demo.send("q");
    demo.wait_exit();
    assert_private_down_to(&sandbox, &sandbox.path("kept/demo.db"));
}

/// Every command a user might run on a file, with `init` first.
const COMMANDS: &[&[&str]] = &[
    &["init"],
    &["verify"],
    &["campaign", "list"],
    &["items", "Q4"],
    &["decide", "Q4", "1", "attest", "--note", "x"],
    &["report", "Q4"],
    &["identities"],
];

/// Runs every command on `file` as the database: each fails with exit 1
/// and a message containing `expected`, never a panic, and the file is
/// byte for byte what it was.
fn refused_untouched(sandbox: &Sandbox, file: &Path, expected: &str) {
    let before = std::fs::read(file).unwrap();
    let shown = file.to_str().unwrap();
    let sample = fixture("canonical/sample.csv");
    let mut commands: Vec<Vec<&str>> = COMMANDS.iter().map(|c| c.to_vec()).collect();
    commands.push(vec!["import", sample.to_str().unwrap()]);
    for args in commands {
        let output = sandbox
            .cmd()
            .env("RECERT_DB", shown)
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{shown} {args:?}: {stderr} {}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(
            stderr.contains(expected),
            "{shown} {args:?}: expected {expected:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(
            std::fs::read(file).unwrap(),
            before,
            "{shown} {args:?} wrote to it"
        );
    }
}

#[test]
fn anything_but_a_usable_recert_database_is_refused_and_left_untouched() {
    let sandbox = Sandbox::with_campaign();
    sandbox.ok(&["decide", "Q4", "1", "revoke", "--note", "n"]);
    let real = std::fs::read(sandbox.db()).unwrap();
    let mut noise = vec![0u8; 8192];
    let mut rng = crate::crash::Rng::new(99);
    noise.iter_mut().for_each(|b| *b = rng.below(256) as u8);

    let random = sandbox.path("random.bin");
    std::fs::write(&random, &noise).unwrap();
    refused_untouched(&sandbox, &random, "does not start with the SQLite header");

    let text = sandbox.write("estate.csv", "tenant,system\nnorthwind,github\n");
    refused_untouched(&sandbox, &text, "does not start with the SQLite header");

    for cut in [100, real.len() / 2, real.len() - 5000] {
        let truncated = sandbox.path(&format!("truncated-{cut}.db"));
        std::fs::write(&truncated, &real[..cut]).unwrap();
        refused_untouched(
            &sandbox,
            &truncated,
            "is damaged (database disk image is malformed)",
        );
    }

    let other = sandbox.path("places.sqlite");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute_batch(
            "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);
             INSERT INTO moz_places (url) VALUES ('https://example.com');",
        )
        .unwrap();
    }
    refused_untouched(&sandbox, &other, "is an SQLite file of some other program");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.pragma_update(None, "user_version", 70).unwrap();
    }
    refused_untouched(&sandbox, &other, "is an SQLite file of some other program");

    let newer = sandbox.path("newer.db");
    std::fs::write(&newer, &real).unwrap();
    {
        let conn = rusqlite::Connection::open(&newer).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    refused_untouched(
        &sandbox,
        &newer,
        "has schema version 99, newer than this recert understands (10); use a newer recert",
    );

    let directory = sandbox.path("a-directory");
    std::fs::create_dir(&directory).unwrap();
    for args in COMMANDS {
        let output = sandbox
            .cmd()
            .env("RECERT_DB", &directory)
            .args(*args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("is not a recert database"));
    }
}

/// An empty file is not a database yet: every command but `init` says so
/// and leaves it; `init` makes it one, private like any database recert
/// creates.
#[test]
fn an_empty_file_is_a_database_only_after_init() {
    let sandbox = Sandbox::bare();
    let empty = sandbox.write("empty.db", "");
    std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o644)).unwrap();
    for args in &COMMANDS[1..] {
        let output = sandbox
            .cmd()
            .env("RECERT_DB", &empty)
            .args(*args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(err.contains("run `recert init` first"), "{args:?}: {err}");
        assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);
    }
    let out = sandbox
        .cmd()
        .env("RECERT_DB", &empty)
        .arg("init")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&empty), 0o600, "now it holds who-has-what");
    assert!(
        sandbox
            .cmd()
            .env("RECERT_DB", &empty)
            .arg("verify")
            .output()
            .unwrap()
            .status
            .success()
    );
}

/// The first release wrote its own schema 1, which the first migration no
/// longer describes: upgrading it would leave a file neither that release
/// nor this one can read. It is refused, untouched.
#[test]
fn the_first_releases_database_is_refused_untouched_rather_than_damaged() {
    let sandbox = Sandbox::bare();
    let db = sandbox.path("skeleton-v1.db");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/skeleton-v1.db"),
        &db,
    )
    .unwrap();
    refused_untouched(
        &sandbox,
        &db,
        "says schema version 1, but its tables are not the ones this recert's version 1 has: \
         its table campaign has no column first_item",
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (version, events): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM event)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((version, events), (1, 7), "its data is all there");
}

/// A schema-1 database of today's lineage, holding an import, a campaign
/// and decisions of every kind. No release left a database at this
/// version (each wrote schema 2 at once), so it is made from a real one by
/// removing exactly what migrations 2 to 7 add (its events rehashed in the
/// chain's format 1, which does not say how actors were established).
fn schema_1_database(sandbox: &Sandbox) -> String {
    sandbox.ok(&["import", fixture("canonical/sample.csv").to_str().unwrap()]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q4",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
    ]);
    sandbox.ok(&["decide", "Q4", "1", "revoke", "--note", "contract ended"]);
    sandbox.ok(&["decide", "Q4", "2", "attest", "--note", "still needed"]);
    sandbox.ok(&[
        "decide",
        "Q4",
        "3",
        "exception",
        "--until",
        "2026-12-31",
        "--ticket",
        "NW-1",
        "--note",
        "m",
    ]);
    sandbox.ok(&[
        "decide",
        "Q4",
        "4",
        "reassign",
        "--to",
        "t.nguyen@northwind.example.com",
        "--note",
        "yours",
    ]);
    sandbox.ok(&["decide", "Q4", "2", "undo"]);
    let report = sandbox.ok(&["report", "Q4"]);
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    let guard: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'event_no_update'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch(
        "DROP TABLE console_memo; DROP TABLE person; DROP TABLE delegation;
         DROP INDEX item_revocation_not_done;
         DROP TRIGGER event_no_update;
         ALTER TABLE event DROP COLUMN actor_via;",
    )
    .unwrap();
    rehash_in_format_1(&conn);
    conn.execute_batch(&guard).unwrap();
    conn.execute_batch(
        "DROP TRIGGER identity_no_delete; DROP TRIGGER identity_no_update; DROP TRIGGER
         identity_superseded_once; DROP TRIGGER entitlement_no_delete; DROP TRIGGER
         entitlement_no_update; DROP TRIGGER entitlement_superseded_once; DROP TRIGGER
         entitlement_removed_once; DROP TRIGGER register_entry_no_delete; DROP TRIGGER
         register_entry_no_update; DROP TRIGGER register_entry_superseded_once; DROP TRIGGER
         register_entry_removed_once; DROP TRIGGER entitlement_change_no_update; DROP TRIGGER
         entitlement_change_no_delete; DROP TRIGGER register_change_no_update; DROP TRIGGER
         register_change_no_delete; DROP TRIGGER snapshot_scope_no_update; DROP TRIGGER
         snapshot_scope_no_delete;
         DROP TRIGGER campaign_reviewer_no_update; DROP TRIGGER campaign_reviewer_no_delete;
         DROP TABLE campaign_reviewer;
         DROP TRIGGER item_no_update; DROP TRIGGER item_no_delete;
         DROP TRIGGER campaign_no_update; DROP TRIGGER campaign_no_delete;
         DROP TABLE remediation; DROP INDEX item_state_revoked; DROP INDEX item_state_exception;
         DROP TABLE identity_register; DROP TABLE register_change; DROP TABLE register_entry;
         DROP TABLE catalog_change; DROP TABLE catalog_entry;
         ALTER TABLE entitlement DROP COLUMN active; ALTER TABLE item DROP COLUMN register;
         ALTER TABLE item DROP COLUMN relationship;
         PRAGMA user_version = 1; VACUUM;",
    )
    .unwrap();
    report
}

/// Recomputes every event's hash as recert did before it recorded how
/// actors were established.
fn rehash_in_format_1(conn: &rusqlite::Connection) {
    use recert::audit::{EventContent, GENESIS, event_hash};
    type Row = (
        i64,
        String,
        Option<i64>,
        Option<i64>,
        String,
        String,
        Option<String>,
        String,
    );
    let events: Vec<Row> = conn
        .prepare("SELECT seq, kind, campaign, item, actor, at, note, body FROM event ORDER BY seq")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut prev = GENESIS.to_string();
    for (seq, kind, campaign, item, actor, at, note, body) in events {
        let hash = event_hash(
            &prev,
            &EventContent {
                seq,
                kind: &kind,
                campaign,
                item,
                actor: &actor,
                actor_via: None,
                at: &at,
                note: note.as_deref(),
                body: &body,
            },
        );
        conn.execute(
            "UPDATE event SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![prev, hash, seq],
        )
        .unwrap();
        prev = hash;
    }
}

#[test]
fn a_schema_1_database_with_decisions_upgrades_and_still_verifies_and_reads() {
    let sandbox = Sandbox::new();
    let report = schema_1_database(&sandbox);
    let verify = sandbox.ok(&["verify"]);
    assert!(verify.contains("audit chain intact: 7 events"), "{verify}");
    assert!(
        verify.contains("1 campaign (30 frozen items) match their creation digests"),
        "{verify}"
    );
    assert!(
        verify.contains("item states, tallies and remediation agree"),
        "{verify}"
    );
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 10, "upgraded to the latest version");
    // The same, but for the hashes, which the format-1 chain has anew.
    fn unhashed(report: &str) -> Vec<&str> {
        report
            .split([',', '\n'])
            .map(
                |cell| match cell.len() == 64 && cell.chars().all(|c| c.is_ascii_hexdigit()) {
                    true => "HASH",
                    false => cell,
                },
            )
            .collect()
    }
    assert_eq!(
        unhashed(&sandbox.ok(&["report", "Q4"])),
        unhashed(&report),
        "reads as it did"
    );
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let state = |id: i64| {
        items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(
        [state(1), state(2), state(3), state(4)],
        ["revoked", "undecided", "exception", "reassigned"]
    );
    // Its items carry no frozen relationship: a filter on it reads the
    // identity versions, as before the upgrade.
    let partners = sandbox.json(&["items", "Q4", "--where", "relationship=partner", "--json"]);
    let expected = items
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["relationship"] == "partner")
        .count();
    assert!(expected > 0);
    assert_eq!(partners.as_array().unwrap().len(), expected);
    // And it works on: a register import, a decision, a new campaign.
    sandbox.write("register.csv", "identity_id,relationship\nx@y,partner\n");
    sandbox.ok(&["import", "register.csv"]);
    sandbox.ok(&["decide", "Q4", "5", "revoke", "--note", "after the upgrade"]);
    sandbox.ok(&["campaign", "new", "Q1", "--due", "2027-03-31"]);
    sandbox.ok(&["verify"]);
}

/// Reviewers starting recert on the morning after an upgrade: several
/// processes open the old file at once; one upgrades it, the others wait
/// and find it done. Nobody gets an error.
#[test]
fn several_recerts_opening_an_old_database_at_once_upgrade_it_once() {
    for round in 0..crate::crash::rounds(3) {
        let sandbox = Sandbox::new();
        schema_1_database(&sandbox);
        let commands: [&[&str]; 6] = [
            &["campaign", "list"],
            &["items", "Q4"],
            &["verify"],
            &["decide", "Q4", "6", "attest", "--note", "n"],
            &["report", "Q4"],
            &["identities"],
        ];
        let children: Vec<_> = commands
            .iter()
            .map(|args| {
                sandbox
                    .std_cmd(args)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for (child, args) in children.into_iter().zip(commands) {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "round {round}: {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        sandbox.ok(&["verify"]);
    }
}

/// The names in `dir`, sorted: a refused write leaves no temporary file.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `command` to its end, or fails the test if it has not ended
/// within 20 s: a path that makes recert wait forever fails rather than
/// hangs the suite.
fn output_within_deadline(mut command: std::process::Command) -> std::process::Output {
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run recert");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().expect("wait for recert").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("recert {command:?} did not end within 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("recert's output")
}

fn make_node(kind: &str, path: &Path) -> bool {
    let mut command = std::process::Command::new(kind);
    command.arg(path);
    if kind == "mknod" {
        command.args(["c", "1", "3"]);
    }
    command.output().is_ok_and(|o| o.status.success())
}

/// Special files of every kind in the sandbox, with what recert calls
/// them. A character device only where the tests may make one (as root):
/// never /dev/null itself, which a regression would replace.
fn special_files(sandbox: &Sandbox, suffix: &str) -> (Vec<(String, &'static str)>, UnixListener) {
    let fifo = format!("fifo{suffix}");
    assert!(make_node("mkfifo", &sandbox.path(&fifo)), "mkfifo");
    let socket = format!("socket{suffix}");
    let listener = UnixListener::bind(sandbox.path(&socket)).unwrap();
    let directory = format!("directory{suffix}");
    std::fs::create_dir(sandbox.path(&directory)).unwrap();
    let link = format!("link-to-fifo{suffix}");
    std::os::unix::fs::symlink(&fifo, sandbox.path(&link)).unwrap();
    let mut files = vec![
        (fifo, "a FIFO (named pipe)"),
        (link, "a FIFO (named pipe)"),
        (socket, "a socket"),
        (directory, "a directory"),
    ];
    let device = format!("null{suffix}");
    if make_node("mknod", &sandbox.path(&device)) {
        files.push((device, "a character device"));
    }
    (files, listener)
}

fn file_type(path: &Path) -> std::fs::FileType {
    std::fs::metadata(path).unwrap().file_type()
}

fn same_kind(a: std::fs::FileType, b: std::fs::FileType) -> bool {
    (
        a.is_fifo(),
        a.is_socket(),
        a.is_dir(),
        a.is_char_device(),
        a.is_file(),
    ) == (
        b.is_fifo(),
        b.is_socket(),
        b.is_dir(),
        b.is_char_device(),
        b.is_file(),
    )
}

/// `--out` naming the database under any name (itself, `./`, a symlink,
/// a hard link) or a file SQLite keeps beside it is refused before
/// anything is written: the database is byte for byte what it was, and no
/// temporary file is left.
#[test]
fn a_report_is_never_written_over_the_database() {
    let sandbox = Sandbox::with_campaign();
    sandbox.ok(&["decide", "Q4", "1", "revoke", "--note", "contract ended"]);
    let before = std::fs::read(sandbox.db()).unwrap();
    std::os::unix::fs::symlink("recert.db", sandbox.path("link.db")).unwrap();
    std::fs::hard_link(sandbox.db(), sandbox.path("hard.db")).unwrap();
    std::fs::create_dir(sandbox.path("sub")).unwrap();
    let listing = names(sandbox.dir.path());
    let absolute = sandbox.db().to_str().unwrap().to_string();
    for out in [
        "recert.db",
        "sub/../recert.db",
        absolute.as_str(),
        "link.db",
        "hard.db",
        "recert.db-journal",
    ] {
        let err = sandbox.fails(1, &["report", "Q4", "--out", out]);
        assert!(
            err.contains(&format!("{out} is the database"))
                && err.contains("the report written there would replace it; nothing was written"),
            "{out}: {err}"
        );
        assert_eq!(std::fs::read(sandbox.db()).unwrap(), before, "{out}");
        assert_eq!(names(sandbox.dir.path()), listing, "{out}");
    }
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

/// With a console open the database's log holds acknowledged decisions:
/// a report named after it (or the shared-memory index) is refused, and
/// the decision is there once the console has closed.
#[test]
fn a_report_never_replaces_the_log_of_an_open_console() {
    let sandbox = Sandbox::with_campaign();
    let mut tui = Pty::spawn(&sandbox, &["review", "Q4"], 100, 30);
    tui.wait_for("decided");
    sandbox.ok(&["decide", "Q4", "1", "revoke", "--note", "contract ended"]);
    let wal = sandbox.path("recert.db-wal");
    let inode = std::fs::metadata(&wal).unwrap().ino();
    for (out, role) in [
        ("recert.db-wal", "is the database's write-ahead log"),
        ("recert.db-shm", "is the database's shared-memory index"),
    ] {
        let err = sandbox.fails(1, &["report", "Q4", "--out", out]);
        assert!(err.contains(role), "{out}: {err}");
    }
    assert_eq!(
        std::fs::metadata(&wal).unwrap().ino(),
        inode,
        "the same log"
    );
    tui.send("q");
    tui.wait_exit();
    let items = sandbox.json(&["items", "Q4", "--json"]);
    let first = items.as_array().unwrap().iter().find(|i| i["id"] == 1);
    assert_eq!(first.unwrap()["state"], "revoked");
    sandbox.ok(&["verify"]);
}

/// A report renamed over a FIFO, a socket or a device node would replace
/// it; over a directory it cannot go. Each is refused, saying what it is,
/// and stays what it was.
#[test]
fn a_report_is_written_only_to_a_regular_file() {
    let sandbox = Sandbox::with_campaign();
    let (files, _listener) = special_files(&sandbox, "");
    let listing = names(sandbox.dir.path());
    for (out, kind) in &files {
        let before = file_type(&sandbox.path(out));
        let output = output_within_deadline(sandbox.std_cmd(&["report", "Q4", "--out", out]));
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{out}: {err}");
        assert!(
            err.contains(&format!(
                "{out} is {kind}, not a regular file: the report is written only to a regular \
                 file; nothing was written"
            )),
            "{out}: {err}"
        );
        assert!(same_kind(file_type(&sandbox.path(out)), before), "{out}");
        assert_eq!(names(sandbox.dir.path()), listing, "{out}");
    }
}

/// `demo --keep` and `config init` write where they are told, too: never
/// as the database's log or journal, which SQLite would take for its own.
#[test]
fn demo_and_config_files_are_never_the_databases_own() {
    let sandbox = Sandbox::new();
    let err = sandbox.fails(1, &["demo", "--keep", "recert.db-wal"]);
    assert!(
        err.contains("recert.db-wal is the database's write-ahead log")
            && err.contains("the demo database written there would replace it"),
        "{err}"
    );
    assert!(!sandbox.path("recert.db-wal").exists());
    let output = sandbox
        .cmd()
        .env("RECERT_CONFIG", sandbox.path("recert.db-journal"))
        .args(["config", "init"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("is the database's rollback journal"), "{err}");
    assert!(!sandbox.path("recert.db-journal").exists());
    sandbox.ok(&["verify"]);
}

/// A FIFO as the database made every command wait forever for a writer;
/// a socket or a device is no database either. Each is refused at once,
/// saying what it is, and left as it was.
#[test]
fn a_database_path_that_is_not_a_regular_file_is_refused_at_once() {
    let sandbox = Sandbox::bare();
    let (files, _listener) = special_files(&sandbox, ".db");
    let sample = fixture("canonical/sample.csv");
    let mut commands: Vec<Vec<&str>> = COMMANDS.iter().map(|c| c.to_vec()).collect();
    commands.push(vec!["import", sample.to_str().unwrap()]);
    for (name, kind) in &files {
        let path = sandbox.path(name);
        let before = file_type(&path);
        for args in &commands {
            let mut command = sandbox.std_cmd(args);
            command.env("RECERT_DB", &path);
            let output = output_within_deadline(command);
            let err = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{name} {args:?}: {err}");
            assert!(
                err.contains(&format!(
                    "{name} is not a recert database (it is {kind}, not a regular file); it was \
                     left untouched"
                )),
                "{name} {args:?}: {err}"
            );
            assert!(same_kind(file_type(&path), before), "{name} {args:?}");
        }
    }
}

/// SQLite opens a `-journal` it finds beside the database to read it: a
/// FIFO there held every command, readers too, forever. The database is
/// refused at once, naming the file, and nothing is changed.
#[test]
fn a_special_file_beside_the_database_is_refused_at_once() {
    let sandbox = Sandbox::with_campaign();
    let before = sandbox.dump();
    for suffix in ["-journal", "-wal", "-shm"] {
        let companion = sandbox.path(&format!("recert.db{suffix}"));
        let _ = std::fs::remove_file(&companion);
        assert!(make_node("mkfifo", &companion), "mkfifo");
        for args in COMMANDS.iter().filter(|c| c[0] != "init") {
            let output = output_within_deadline(sandbox.std_cmd(args));
            let err = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{suffix} {args:?}: {err}");
            assert!(
                err.contains(&format!(
                    "recert.db{suffix} beside it is a FIFO (named pipe), not a regular file"
                )),
                "{suffix} {args:?}: {err}"
            );
        }
        assert!(file_type(&companion).is_fifo(), "{suffix} left as it was");
        std::fs::remove_file(&companion).unwrap();
    }
    assert_eq!(sandbox.dump(), before, "nothing was changed");
}
