//! A shared review host through a real OpenSSH server on 127.0.0.1: an
//! unprivileged port, a temporary host key, `AuthorizedKeysFile` pointing
//! at the file `recert people authorized-keys` printed. Behind the
//! `system-tests` feature (`cargo test --features system-tests`): it needs
//! the openssh-server and openssh-client packages, and fails, saying how
//! to install them, when they are missing; it never skips.

use crate::host::{ANNA, last_actor, shared_host};
use crate::util::{NOW, Pty, REVIEWER, Sandbox, fingerprint, os_account};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";
const INSTALL: &str = "apt-get install -y openssh-server openssh-client";

/// The programs the tests need, or a failure naming the install command.
fn require_openssh() {
    for program in [SSHD, "ssh", "ssh-keygen"] {
        let found = if program.starts_with('/') {
            Path::new(program).exists()
        } else {
            Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {program}"))
                .output()
                .is_ok_and(|o| o.status.success())
        };
        assert!(
            found,
            "the system tests need OpenSSH and {program} is missing: install it with `{INSTALL}` \
             (or run `cargo test` without --features system-tests)"
        );
    }
}

fn keygen(path: &Path, comment: &str) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(path.with_extension("pub"))
        .expect("the public key")
        .trim()
        .to_string()
}

/// sshd serving the sample's campaign in a shared database: Anna and the
/// owner hold keys in the people register, Tom holds one nobody added.
struct Host {
    sandbox: Sandbox,
    sshd: Child,
    port: u16,
    anna: PathBuf,
    anna_pub: String,
    owner: PathBuf,
    tom: PathBuf,
}

impl Host {
    fn start() -> Host {
        require_openssh();
        let sandbox = Sandbox::with_campaign();
        let dir = sandbox.path("ssh");
        std::fs::create_dir(&dir).unwrap();
        let anna = dir.join("anna");
        let owner = dir.join("owner");
        let tom = dir.join("tom");
        let anna_pub = keygen(&anna, "anna@laptop");
        let owner_pub = keygen(&owner, "marta@desk");
        keygen(&tom, "tom@laptop");
        keygen(&dir.join("host_key"), "host");
        shared_host(&sandbox, &anna_pub, &owner_pub);
        let keys = sandbox.ok(&["people", "authorized-keys"]);
        std::fs::write(dir.join("authorized_keys"), keys).unwrap();
        std::fs::write(dir.join("config.toml"), "").unwrap();
        // sshd as root wants its privilege separation directory, which
        // the package's service unit would make.
        if os_account() == "root" {
            std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        }
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\n\
                 Port {port}\n\
                 HostKey {dir}/host_key\n\
                 PidFile none\n\
                 AuthorizedKeysFile {dir}/authorized_keys\n\
                 AuthenticationMethods publickey\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 UsePAM no\n\
                 StrictModes no\n\
                 PermitRootLogin forced-commands-only\n\
                 ExposeAuthInfo yes\n\
                 DisableForwarding yes\n\
                 PermitTTY yes\n\
                 AcceptEnv NO_COLOR\n\
                 SetEnv RECERT_NOW={NOW} RECERT_CONFIG={dir}/config.toml\n\
                 LogLevel VERBOSE\n",
                dir = dir.display()
            ),
        )
        .unwrap();
        let sshd = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(&config)
            .arg("-p")
            .arg(port.to_string())
            .arg("-E")
            .arg(dir.join("sshd.log"))
            .stdin(Stdio::null())
            .spawn()
            .expect("start sshd");
        let host = Host {
            sandbox,
            sshd,
            port,
            anna,
            anna_pub,
            owner,
            tom,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd never listened: {}",
                host.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        host
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.sandbox.path("ssh/sshd.log")).unwrap_or_default()
    }

    /// `ssh` to the host with `key`, asking for `command` (one string, as
    /// the client sends it).
    fn ssh(&self, key: &Path, tty: bool, command: &str) -> Command {
        let mut ssh = Command::new("ssh");
        ssh.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.sandbox.dir.path())
            .args(["-F", "/dev/null", "-i"])
            .arg(key)
            .args([
                "-p",
                &self.port.to_string(),
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "LogLevel=ERROR",
            ]);
        if tty {
            ssh.arg("-tt").env("TERM", "xterm-256color");
        }
        // Words after the destination are the command, even one that
        // starts with a dash.
        ssh.arg("--").arg(format!("{}@127.0.0.1", os_account()));
        if !command.is_empty() {
            ssh.arg(command);
        }
        ssh
    }

    fn run(&self, key: &Path, command: &str) -> Output {
        self.ssh(key, false, command).output().expect("run ssh")
    }

    /// The processes still running `recert … session` on this database.
    fn sessions_left(&self) -> Vec<String> {
        let db = self.sandbox.db().display().to_string();
        let mut left = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
                let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                if cmdline.contains(&db) && cmdline.contains(" session ") {
                    left.push(cmdline);
                }
            }
        }
        left
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn items_of(sandbox: &Sandbox, reviewer: &str) -> Vec<String> {
    sandbox
        .json(&[
            "items",
            "Q4",
            "--json",
            "--where",
            &format!("reviewer={reviewer}"),
        ])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].to_string())
        .collect()
}

#[test]
fn reviewers_decide_over_ssh_each_as_their_key() {
    let host = Host::start();
    let out = host.run(&host.anna, "items Q4");
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stderr),
        host.log()
    );
    assert!(text(&out.stdout).contains(ANNA), "{}", text(&out.stdout));

    // Two reviewers decide their own items at once.
    let anna_items = items_of(&host.sandbox, ANNA);
    let owner_items = items_of(&host.sandbox, REVIEWER);
    std::thread::scope(|scope| {
        for (key, items) in [
            (&host.anna, &anna_items[..5]),
            (&host.owner, &owner_items[..5]),
        ] {
            let host = &host;
            scope.spawn(move || {
                for item in items {
                    let out = host.run(
                        key,
                        &format!("decide Q4 {item} attest --note 'still needed; checked'"),
                    );
                    assert!(out.status.success(), "{}", text(&out.stderr));
                }
            });
        }
    });
    let decided = host
        .sandbox
        .json(&["items", "Q4", "--json", "--where", "state=attested"]);
    assert_eq!(decided.as_array().unwrap().len(), 10);

    let item = &anna_items[5];
    let out = host.run(
        &host.anna,
        &format!("decide Q4 {item} revoke --note 'left in June'"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        last_actor(&host.sandbox.db()),
        (
            ANNA.to_string(),
            format!("ssh_key:{}", fingerprint(&host.anna_pub))
        )
    );
    // Another's item is refused.
    let out = host.run(
        &host.anna,
        &format!("decide Q4 {} revoke --note x", owner_items[6]),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(host.sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn what_a_session_refuses_over_ssh_and_a_key_sshd_refuses() {
    let host = Host::start();
    let before = host.sandbox.dump();
    for refused in [
        "import x.csv",
        "--db /tmp/other.db items Q4",
        "items Q4 --as m.santos@northwind.example.com",
        "report Q4 --format csv --out /tmp/r.csv",
        "items Q4; sh",
        "people list",
    ] {
        let out = host.run(&host.anna, refused);
        let err = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{refused}: {err}\n{}",
            host.log()
        );
        assert_eq!(err.lines().count(), 1, "{refused}: {err}");
        assert!(err.contains("over SSH you may run"), "{refused}: {err}");
    }
    assert_eq!(host.sandbox.dump(), before);
    // A key nobody put in the file: sshd itself refuses it.
    let out = host.run(&host.tom, "items Q4");
    assert_eq!(out.status.code(), Some(255), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Permission denied"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_console_over_ssh_decides_and_a_dropped_connection_loses_nothing() {
    let host = Host::start();
    let mut tui = Pty::spawn_command(host.ssh(&host.anna, true, "review Q4"), 100, 30);
    tui.wait_for_all(&["Queue", ANNA]);
    tui.send("r");
    tui.wait_for("Note");
    tui.send("contract over");
    tui.send("\x13"); // Ctrl+S
    tui.wait_for("revoked — saved");
    tui.send("q");
    tui.wait_exit();
    assert_eq!(
        last_actor(&host.sandbox.db()),
        (
            ANNA.to_string(),
            format!("ssh_key:{}", fingerprint(&host.anna_pub))
        )
    );

    // `ssh -t host` alone: the console on her first campaign with work.
    let mut tui = Pty::spawn_command(host.ssh(&host.anna, true, ""), 100, 30);
    tui.wait_for_all(&["Queue", "Q4"]);
    tui.send("r");
    tui.wait_for("Note");
    tui.send("gone");
    tui.send("\x13");
    tui.wait_for("revoked — saved");
    assert!(!host.sessions_left().is_empty(), "the session is found");
    // The connection drops: the client is killed mid-console.
    tui.kill9();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = host.sessions_left();
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the session outlived its connection: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let saved: i64 = rusqlite::Connection::open(host.sandbox.db())
        .unwrap()
        .query_row(
            "SELECT count(*) FROM event WHERE kind = 'revoke' AND note = 'gone' AND actor = ?1",
            [ANNA],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(saved, 1, "the decision shown as saved was kept");
    assert!(host.sandbox.ok(&["verify"]).contains("audit chain intact"));
}
