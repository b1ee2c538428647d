//! Helpers: a temporary database, running the binary, and a
//! pseudo-terminal harness that reads the screen like a person would.

use assert_cmd::Command;
use std::io::Read;
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The fixed "now" every test runs at; nothing reads the real clock.
pub const NOW: &str = "2026-11-22T10:00:00Z";
pub const REVIEWER: &str = "m.santos@northwind.example.com";

pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// A temporary directory with a recert database in it.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    /// A sandbox with an initialised, empty database.
    pub fn new() -> Sandbox {
        let sandbox = Sandbox::bare();
        sandbox.ok(&["init"]);
        sandbox
    }

    /// A sandbox without a database.
    pub fn bare() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// A sandbox with the sample fixture imported and campaign "Q4" created.
    pub fn with_campaign() -> Sandbox {
        let sandbox = Sandbox::new();
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
        sandbox
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("recert.db")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    /// The binary with this sandbox's database, reviewer and clock.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_recert"));
        cmd.env_clear()
            .env("RECERT_DB", self.db())
            .env("RECERT_REVIEWER", REVIEWER)
            .env("RECERT_NOW", NOW)
            .env("HOME", self.dir.path())
            .current_dir(self.dir.path());
        cmd
    }

    /// Runs a command that must succeed; returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.cmd().args(args).output().expect("run recert");
        assert!(
            output.status.success(),
            "recert {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }

    /// Runs a command that must fail with `code`; returns its standard error.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let output = self.cmd().args(args).output().expect("run recert");
        assert_eq!(
            output.status.code(),
            Some(code),
            "recert {args:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    /// The item id, in `campaign`, of the grant on data line `n` (1-based)
    /// of the canonical sample: items are numbered in queue order, so tests
    /// written against the sample's lines find their items this way.
    pub fn sample_item(&self, campaign: &str, n: usize) -> String {
        let sample = std::fs::read_to_string(fixture("canonical/sample.csv")).expect("sample");
        let line = sample.lines().nth(n).expect("a data line of the sample");
        let fields: Vec<&str> = line.split(',').collect();
        let items = self.json(&["items", campaign, "--json"]);
        let item = items
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["system"] == fields[1] && i["identity_id"] == fields[2])
            .expect("the sample line's item");
        item["id"].to_string()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("valid JSON")
    }

    /// The binary as a plain `std::process::Command` (to spawn, kill or
    /// run concurrently), with this sandbox's database, reviewer and clock.
    pub fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_recert"));
        command
            .args(args)
            .env_clear()
            .env("RECERT_DB", self.db())
            .env("RECERT_REVIEWER", REVIEWER)
            .env("RECERT_NOW", NOW)
            .env("HOME", self.dir.path())
            .current_dir(self.dir.path());
        command
    }

    /// Every row of the database as text: equal dumps, equal content.
    pub fn dump(&self) -> String {
        recert::store::Store::open(&self.db())
            .expect("open the database")
            .dump()
            .expect("dump")
    }
}

/// The OS account the tests run as, as the system names it.
pub fn os_account() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .expect("id -un");
    String::from_utf8(out.stdout)
        .expect("utf-8 name")
        .trim()
        .to_string()
}

/// A well-formed ssh-ed25519 public key line, different for each `seed`
/// (no private key exists for it: for the people register, not for sshd).
pub fn ssh_key(seed: u8, comment: &str) -> String {
    use base64::Engine;
    let mut blob = Vec::new();
    blob.extend_from_slice(&11u32.to_be_bytes());
    blob.extend_from_slice(b"ssh-ed25519");
    blob.extend_from_slice(&32u32.to_be_bytes());
    blob.extend_from_slice(&[seed; 32]);
    format!(
        "ssh-ed25519 {} {comment}",
        base64::engine::general_purpose::STANDARD.encode(blob)
    )
}

/// The `SHA256:…` fingerprint of a public key line.
pub fn fingerprint(key: &str) -> String {
    recert::domain::roster::SshKey::parse(key)
        .expect("a public key")
        .fingerprint()
}

/// What the terminal was asked to do besides drawing: window titles.
#[derive(Debug, Default)]
pub struct Watch {
    pub titles: Vec<Vec<u8>>,
}

impl vt100::Callbacks for Watch {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.titles.push(title.to_vec());
    }

    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, name: &[u8]) {
        self.titles.push(name.to_vec());
    }
}

/// The real binary in a pseudo-terminal, with a terminal emulator reading
/// what it draws. The child is killed when this is dropped.
pub struct Pty {
    session: expectrl::session::OsSession,
    parser: vt100::Parser<Watch>,
    /// Every byte the program wrote, to prove what never reached the terminal.
    raw: Vec<u8>,
}

impl Pty {
    pub fn spawn(sandbox: &Sandbox, args: &[&str], cols: u16, rows: u16) -> Pty {
        Pty::spawn_with(sandbox, args, cols, rows, &[])
    }

    /// Like `spawn`, with extra environment variables.
    pub fn spawn_with(
        sandbox: &Sandbox,
        args: &[&str],
        cols: u16,
        rows: u16,
        env: &[(&str, &str)],
    ) -> Pty {
        let mut command = sandbox.std_cmd(args);
        command
            .env("TERM", "xterm-256color")
            .envs(env.iter().copied());
        Pty::spawn_command(command, cols, rows)
    }

    /// The binary in a pseudo-terminal under a shell's `umask`, so that a
    /// test can see which modes the files it creates get.
    pub fn spawn_with_umask(
        sandbox: &Sandbox,
        umask: &str,
        args: &[&str],
        cols: u16,
        rows: u16,
    ) -> Pty {
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_recert"))
            .args(args)
            .env_clear()
            .env("RECERT_DB", sandbox.db())
            .env("RECERT_REVIEWER", REVIEWER)
            .env("RECERT_NOW", NOW)
            .env("HOME", sandbox.dir.path())
            .env("TERM", "xterm-256color")
            .current_dir(sandbox.dir.path());
        Pty::spawn_command(command, cols, rows)
    }

    pub fn spawn_command(command: std::process::Command, cols: u16, rows: u16) -> Pty {
        let mut session = expectrl::Session::spawn(command).expect("spawn in a pty");
        session
            .get_process_mut()
            .set_window_size(cols, rows)
            .expect("window size");
        let size = |n: u16| NonZeroU16::new(n.max(2)).expect("non-zero size");
        Pty {
            session,
            parser: vt100::Parser::new_with_callbacks(size(rows), size(cols), 0, Watch::default()),
            raw: Vec::new(),
        }
    }

    fn pump(&mut self) {
        let mut buf = [0u8; 65536];
        loop {
            match self.session.try_read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    self.raw.extend_from_slice(&buf[..n]);
                    self.parser.process(&buf[..n]);
                }
                Err(_) => break,
            }
        }
    }

    /// Everything the program has written so far, escape sequences and all.
    pub fn raw(&mut self) -> &[u8] {
        self.pump();
        &self.raw
    }

    /// Window titles (and icon names) the program set.
    pub fn titles(&mut self) -> &[Vec<u8>] {
        self.pump();
        &self.parser.callbacks().titles
    }

    /// The emulated screen, for cell attributes.
    pub fn vt(&mut self) -> &vt100::Screen {
        self.pump();
        self.parser.screen()
    }

    /// SIGHUP, as the kernel sends when the terminal's other end goes (a
    /// dropped SSH connection).
    pub fn hangup(&mut self) {
        let _ = self
            .session
            .get_process_mut()
            .kill(expectrl::process::unix::Signal::SIGHUP);
    }

    /// Whether the program is still running.
    pub fn is_alive(&mut self) -> bool {
        self.session.get_process().is_alive().unwrap_or(false)
    }

    /// SIGKILL: no destructor, no terminal restore, no flush.
    pub fn kill9(&mut self) {
        let process = self.session.get_process_mut();
        let _ = process.kill(expectrl::process::unix::Signal::SIGKILL);
        let _ = process.wait();
    }

    pub fn screen(&mut self) -> String {
        self.pump();
        self.parser.screen().contents()
    }

    /// Waits until the screen shows `text`; fails with the screen if it
    /// does not within a generous deadline (the machine may be busy).
    pub fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("the screen never showed {text:?}; it shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits until the screen shows every one of `texts` at once. A frame
    /// reaches the terminal in pieces, so whatever a test asserts about a
    /// screen is waited for, not just its first sign.
    pub fn wait_for_all(&mut self, texts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            if Instant::now() > deadline {
                let missing: Vec<_> = texts.iter().filter(|t| !screen.contains(*t)).collect();
                panic!("the screen never showed {missing:?}; it shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn send(&mut self, keys: &str) {
        use std::io::Write;
        self.session
            .write_all(keys.as_bytes())
            .expect("write to the pty");
        self.session.flush().expect("flush the pty");
    }

    /// Waits for the program to exit and returns everything it wrote after
    /// the last read, with whether it left the alternate screen.
    pub fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.session.get_process().is_alive().unwrap_or(false) {
            self.pump();
            if Instant::now() > deadline {
                panic!(
                    "recert did not exit; screen:\n{}",
                    self.parser.screen().contents()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let mut rest = Vec::new();
        let _ = self.session.read_to_end(&mut rest);
        self.raw.extend_from_slice(&rest);
        self.parser.process(&rest);
        !self.parser.screen().alternate_screen()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.session.get_process().is_alive().unwrap_or(false) {
            let _ = self.session.get_process_mut().exit(true);
        }
    }
}
