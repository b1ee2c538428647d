//! The files recert writes and the files it is given: the database and
//! its -wal/-shm and reports are private to their owner; anything given as
//! `--db` that is not a database this recert can use is refused with a
//! clear message and left byte for byte as it was; older schemas upgrade,
//! with their data, even when several recerts open them at once.

use crate::util::{Pty, Sandbox, fixture};
use std::os::unix::fs::PermissionsExt;
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
    command.output().expect("run recert")
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
        "has schema version 99, newer than this recert understands (6); use a newer recert",
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
/// removing exactly what migrations 2 to 6 add.
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
        "decide", "Q4", "4", "reassign", "--to", "t@x", "--note", "yours",
    ]);
    sandbox.ok(&["decide", "Q4", "2", "undo"]);
    let report = sandbox.ok(&["report", "Q4"]);
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
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
         ALTER TABLE entitlement DROP COLUMN active; ALTER TABLE item DROP COLUMN register;
         ALTER TABLE item DROP COLUMN relationship;
         PRAGMA user_version = 1; VACUUM;",
    )
    .unwrap();
    report
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
    assert_eq!(version, 6, "upgraded to the latest version");
    assert_eq!(sandbox.ok(&["report", "Q4"]), report, "reads as it did");
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
