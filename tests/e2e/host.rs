//! A shared review host without sshd: the `authorized_keys` file recert
//! prints, run as sshd runs it (the option dequoted, the command through
//! a shell); `recert session` as the forced command (what it runs, what it
//! refuses, who it establishes); the console hung up; and `recert backup`
//! while others write. `sshd.rs` does the same through a real OpenSSH.

use crate::util::{NOW, Pty, REVIEWER, Sandbox, fingerprint, os_account, ssh_key};
use rusqlite::Connection;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const ANNA: &str = "a.kowalski@northwind.example.com";

/// The sample's campaign in a shared database: the owner is its admin by
/// their OS account, Anna (sponsor of most items) and the owner each have
/// an SSH key.
pub fn shared_host(sandbox: &Sandbox, anna_key: &str, owner_key: &str) {
    sandbox.ok(&[
        "people",
        "add",
        REVIEWER,
        "--role",
        "admin",
        "--os-user",
        &os_account(),
        "--ssh-key",
        owner_key,
    ]);
    sandbox.ok(&["people", "add", ANNA, "--ssh-key", anna_key]);
    sandbox.ok(&["mode", "shared", "--note", "the review host"]);
}

/// `recert session --person PERSON` with the client's command as sshd
/// passes it. The sandbox's RECERT_REVIEWER (the owner) stays set: a
/// session ignores it.
fn session(sandbox: &Sandbox, person: &str, command: &str, env: &[(&str, &str)]) -> Output {
    sandbox
        .std_cmd(&["session", "--person", person])
        .env("SSH_ORIGINAL_COMMAND", command)
        .envs(env.iter().copied())
        .output()
        .expect("run recert session")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The latest event's actor and how it was established.
pub fn last_actor(db: &std::path::Path) -> (String, String) {
    Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT actor, actor_via FROM event ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

/// What sshd makes of a line's `command="…"` option (OpenSSH's
/// `opt_dequote`: `\"` is a quote, anything else itself).
fn forced_command(line: &str) -> String {
    let body = line
        .strip_prefix("restrict,pty,command=\"")
        .unwrap_or_else(|| panic!("not a forced command: {line}"));
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'"') => out.push(chars.next().unwrap()),
            '"' => return out,
            c => out.push(c),
        }
    }
    panic!("the option never ends: {line}")
}

#[test]
fn authorized_keys_lines_run_as_sshd_runs_them_whatever_the_paths_hold() {
    let sandbox = Sandbox::with_campaign();
    // The database and the program where paths hold spaces, quotes, a
    // dollar and a backslash: each must reach recert as it is.
    let dir = sandbox.path("it's a \"host\" $HOME \\ dir");
    std::fs::create_dir(&dir).unwrap();
    let db = dir.join("recert's.db");
    std::fs::copy(sandbox.db(), &db).unwrap();
    let program = dir.join("re cert");
    std::fs::copy(env!("CARGO_BIN_EXE_recert"), &program).unwrap();
    let anna = ssh_key(1, "anna@laptop");
    let owner = ssh_key(2, "marta@desk");
    let db_arg = db.to_str().unwrap();
    let with_db = |args: &[&str]| {
        let mut all = vec!["--db", db_arg];
        all.extend_from_slice(args);
        sandbox.ok(&all)
    };
    with_db(&["people", "add", ANNA, "--ssh-key", &anna]);
    with_db(&[
        "people",
        "add",
        REVIEWER,
        "--role",
        "admin",
        "--os-user",
        &os_account(),
        "--ssh-key",
        &owner,
    ]);
    with_db(&["mode", "shared"]);
    let file = with_db(&[
        "people",
        "authorized-keys",
        "--program",
        program.to_str().unwrap(),
    ]);
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines.len(), 2, "{file}");
    let anna_line = lines
        .iter()
        .find(|l| l.contains(ANNA))
        .expect("Anna's line");
    assert!(
        anna_line.ends_with(&format!(" {anna}")),
        "the key and its comment end the line: {anna_line}"
    );
    assert!(anna_line.starts_with("restrict,pty,command=\""));
    // Run the line's command as sshd does: through the account's shell.
    let out = Command::new("sh")
        .arg("-c")
        .arg(forced_command(anna_line))
        .env_clear()
        .env("RECERT_NOW", NOW)
        .env("HOME", sandbox.dir.path())
        .env("SSH_ORIGINAL_COMMAND", "items Q4 --where state=undecided")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains(ANNA), "{}", text(&out.stdout));
    let item = sandbox.sample_item("Q4", 1);
    let out = Command::new("sh")
        .arg("-c")
        .arg(forced_command(anna_line))
        .env_clear()
        .env("RECERT_NOW", NOW)
        .env("HOME", sandbox.dir.path())
        .env(
            "SSH_ORIGINAL_COMMAND",
            format!("decide Q4 {item} attest --note 'still needed'"),
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        last_actor(&db),
        (ANNA.to_string(), format!("ssh_key:{}", fingerprint(&anna)))
    );

    // What no line can carry is refused, and nothing is printed.
    let out = sandbox
        .cmd()
        .args(["--db", db_arg, "people", "authorized-keys", "--program"])
        .arg("/opt/recert\nssh-ed25519 AAAA evil")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("control character"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn authorized_keys_is_an_admins_in_a_shared_database() {
    let sandbox = Sandbox::with_campaign();
    shared_host(&sandbox, &ssh_key(1, "anna"), &ssh_key(2, "marta"));
    // Another admin takes over; the OS account's person is no admin now.
    sandbox.ok(&[
        "people",
        "add",
        "ops@northwind.example.com",
        "--role",
        "admin",
        "--os-user",
        "recert-ops",
    ]);
    sandbox.ok(&["people", "add", REVIEWER, "--no-roles"]);
    let err = sandbox.fails(1, &["people", "authorized-keys"]);
    assert!(err.contains("is for admins in a shared database"), "{err}");
}

#[test]
fn a_session_runs_only_the_reviewers_commands_and_refuses_the_rest_in_one_line() {
    let sandbox = Sandbox::with_campaign();
    let anna = ssh_key(1, "anna");
    shared_host(&sandbox, &anna, &ssh_key(2, "marta"));
    let before = sandbox.dump();
    for refused in [
        "init",
        "import /etc/passwd",
        "people list",
        "people authorized-keys",
        "mode personal",
        "config show",
        "demo",
        "backup /tmp/copy.db",
        "close Q4",
        "session --person m.santos@northwind.example.com",
        "campaign new Q5 --due 2027-01-01",
        "--db /tmp/other.db items Q4",
        "items Q4 --db=/tmp/other.db",
        "items Q4 --as m.santos@northwind.example.com",
        "report Q4 --format csv --out /tmp/r.csv",
        "items Q4; sh",
        "items Q4 && sh",
        "items Q4 | sh",
        "items $(id)",
        "items \"`id`\"",
        "items Q4 > /tmp/x",
        "items Q4\nimport x",
        "items 'Q4",
    ] {
        let out = session(&sandbox, ANNA, refused, &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{refused:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{refused:?}: one line: {err}");
        assert!(
            err.contains("over SSH you may run: review [CAMPAIGN], pending, items"),
            "{refused:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{refused:?}");
    }
    assert_eq!(sandbox.dump(), before, "nothing refused changed anything");

    for (allowed, shows) in [
        ("campaign list", "Q4"),
        ("campaign show Q4", "Q4"),
        ("items Q4", ANNA),
        ("report Q4 --format csv", "identity_id"),
        ("verify", "audit chain intact"),
        ("help", "review [CAMPAIGN]"),
        ("", "waiting for you:"),
    ] {
        let out = session(&sandbox, ANNA, allowed, &[]);
        assert!(out.status.success(), "{allowed:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains(shows),
            "{allowed:?}: {}",
            text(&out.stdout)
        );
    }
    // Without a command: her campaigns with work waiting, and how to open them.
    let menu = text(&session(&sandbox, ANNA, "", &[]).stdout);
    assert!(
        menu.contains("Q4  21 items undecided, due 2026-12-15: ssh -t HOST review Q4"),
        "{menu}"
    );
}

#[test]
fn a_session_establishes_its_person_by_the_key_and_holds_them_to_their_items() {
    let sandbox = Sandbox::with_campaign();
    let anna = ssh_key(1, "anna");
    let owner = ssh_key(2, "marta");
    shared_host(&sandbox, &anna, &owner);
    let anna_fp = fingerprint(&anna);
    let item = sandbox.sample_item("Q4", 1); // Anna's.
    let decide = format!("decide Q4 {item} attest --note 'still needed; see INC-7'");

    // sshd's record of the session (ExposeAuthInfo) names the key.
    let auth = sandbox.write("auth-info", &format!("publickey {anna}\n"));
    let out = session(
        &sandbox,
        ANNA,
        &decide,
        &[("SSH_USER_AUTH", auth.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        last_actor(&sandbox.db()),
        (ANNA.to_string(), format!("ssh_key:{anna_fp}"))
    );
    let note: String = Connection::open(sandbox.db())
        .unwrap()
        .query_row(
            "SELECT note FROM event ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(note, "still needed; see INC-7");

    // What waits for Anna, as her key says who she is.
    let out = session(&sandbox, ANNA, "pending", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Q4"), "{}", text(&out.stdout));
    assert!(
        !text(&out.stdout).contains(REVIEWER),
        "{}",
        text(&out.stdout)
    );

    // Another's item is refused, saying whose it is.
    let owners = sandbox.sample_item("Q4", 8); // No sponsor: the owner's.
    let out = session(
        &sandbox,
        ANNA,
        &format!("decide Q4 {owners} revoke --note x"),
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!("item {owners} is {REVIEWER}'s to decide")),
        "{}",
        text(&out.stderr)
    );

    // The key sshd names must be the person's.
    let auth = sandbox.write("owner-auth", &format!("publickey {owner}\n"));
    let out = session(
        &sandbox,
        ANNA,
        "items Q4",
        &[("SSH_USER_AUTH", auth.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("the key {} is not {ANNA}'s", fingerprint(&owner))),
        "{}",
        text(&out.stderr)
    );
    // So must the key the authorized_keys line names.
    let out = sandbox
        .std_cmd(&["session", "--person", ANNA, "--key", &fingerprint(&owner)])
        .env("SSH_ORIGINAL_COMMAND", "items Q4")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // Somebody the register does not know is refused.
    let out = session(&sandbox, "nobody@northwind.example.com", "items Q4", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not in the people register"),
        "{}",
        text(&out.stderr)
    );
}

/// Whoever runs a session becomes the person it names: only the OS
/// account that owns the database (the service account) may. Checked
/// where the tests can give the file away, as root.
#[cfg(unix)]
#[test]
fn a_session_is_the_service_accounts_alone() {
    let sandbox = Sandbox::with_campaign();
    shared_host(&sandbox, &ssh_key(1, "anna"), &ssh_key(2, "marta"));
    assert!(session(&sandbox, ANNA, "items Q4", &[]).status.success());
    if os_account() != "root" {
        return;
    }
    let chown = Command::new("chown")
        .arg("65534")
        .arg(sandbox.db())
        .status()
        .unwrap();
    assert!(chown.success());
    let out = session(&sandbox, ANNA, "items Q4", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("this OS account does not own the database"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_session_needs_a_shared_database() {
    let sandbox = Sandbox::with_campaign();
    sandbox.ok(&["people", "add", ANNA, "--ssh-key", &ssh_key(1, "anna")]);
    let out = session(&sandbox, ANNA, "items Q4", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("a review host serves a shared one"),
        "{}",
        text(&out.stderr)
    );
}

/// A dropped connection hangs the console's terminal up (SIGHUP): the
/// process ends at once, and what it showed as saved stays saved.
#[test]
fn a_console_hung_up_ends_and_keeps_what_it_saved() {
    let sandbox = Sandbox::with_campaign();
    let mut tui = Pty::spawn(&sandbox, &["review", "Q4"], 100, 30);
    tui.wait_for("decided");
    tui.send("r");
    tui.wait_for("Note");
    tui.send("left in June");
    tui.send("\x13"); // Ctrl+S
    tui.wait_for("revoked — saved");
    tui.hangup();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tui.is_alive() {
        assert!(Instant::now() < deadline, "recert outlived its terminal");
        std::thread::sleep(Duration::from_millis(25));
    }
    let decided = sandbox.json(&["items", "Q4", "--json", "--where", "state=revoked"]);
    assert_eq!(decided.as_array().unwrap().len(), 1, "{decided}");
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn a_backup_taken_while_others_write_is_consistent_private_and_verified() {
    let sandbox = Sandbox::with_campaign();
    let ids: Vec<String> = sandbox
        .json(&["items", "Q4", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].to_string())
        .collect();
    // Another process decides item after item while backups are taken.
    let writer = {
        let mut commands: Vec<Command> = ids
            .iter()
            .map(|id| sandbox.std_cmd(&["decide", "Q4", id, "revoke", "--note", "gone"]))
            .collect();
        std::thread::spawn(move || {
            for command in &mut commands {
                let out = command.output().unwrap();
                assert!(out.status.success(), "{}", text(&out.stderr));
            }
        })
    };
    let mut copies = Vec::new();
    for n in 0..4 {
        let copy = sandbox.path(&format!("backup-{n}.db"));
        let out = sandbox.ok(&["backup", copy.to_str().unwrap()]);
        assert!(out.contains("audit chain intact"), "{out}");
        assert!(out.contains("evidence matches the log"), "{out}");
        copies.push(copy);
    }
    writer.join().unwrap();
    let mut events = Vec::new();
    for copy in &copies {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(copy).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", copy.display());
        }
        // Each copy stands alone and verifies as the database does.
        let out = sandbox.ok(&["--db", copy.to_str().unwrap(), "verify"]);
        assert!(out.contains("evidence matches the log"), "{out}");
        let n: i64 = Connection::open(copy)
            .unwrap()
            .query_row("SELECT count(*) FROM event", [], |r| r.get(0))
            .unwrap();
        events.push(n);
    }
    assert!(events.windows(2).all(|w| w[0] <= w[1]), "{events:?}");

    // Never over the database, a file beside it, or an existing file.
    let db = sandbox.db();
    for target in [
        db.clone(),
        sandbox.path("recert.db-wal"),
        sandbox.path("./recert.db"),
        copies[0].clone(),
    ] {
        let before = (
            std::fs::read(&db).unwrap(),
            std::fs::read(&copies[0]).unwrap(),
        );
        let out = sandbox
            .cmd()
            .args(["backup", target.to_str().unwrap()])
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{}", target.display());
        assert!(err.contains("nothing was written"), "{err}");
        let after = (
            std::fs::read(&db).unwrap(),
            std::fs::read(&copies[0]).unwrap(),
        );
        assert!(before == after, "{} was left as it was", target.display());
    }
}
