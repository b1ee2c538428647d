//! Permissions an ordinary user meets: a database in a directory they may
//! not write, a file they may not read or write, a directory they may not
//! enter. Each is named for what it is, and nothing is changed.

use super::{names, output_within_deadline};
use crate::util::Sandbox;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// Root passes every permission check, and the tests run as root here and
/// in CI: recert then runs as `nobody` (uid and gid 65534), from a copy of
/// the binary that user may run, on a sandbox it owns. Run by anyone else,
/// it runs as they are.
struct OrdinaryUser {
    binary: std::path::PathBuf,
    as_root: bool,
    _copy: Option<tempfile::TempDir>,
}

const NOBODY: u32 = 65534;

impl OrdinaryUser {
    fn for_sandbox(sandbox: &Sandbox) -> OrdinaryUser {
        let as_root = std::fs::metadata(sandbox.dir.path()).unwrap().uid() == 0;
        if !as_root {
            return OrdinaryUser {
                binary: env!("CARGO_BIN_EXE_recert").into(),
                as_root,
                _copy: None,
            };
        }
        let copy = tempfile::tempdir().unwrap();
        std::fs::set_permissions(copy.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let binary = copy.path().join("recert");
        std::fs::copy(env!("CARGO_BIN_EXE_recert"), &binary).unwrap();
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
        for entry in std::iter::once(sandbox.dir.path().to_path_buf()).chain(
            std::fs::read_dir(sandbox.dir.path())
                .unwrap()
                .map(|e| e.unwrap().path()),
        ) {
            std::os::unix::fs::lchown(&entry, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        OrdinaryUser {
            binary,
            as_root,
            _copy: Some(copy),
        }
    }

    fn run(&self, sandbox: &Sandbox, db: &Path, args: &[&str]) -> (Option<i32>, String) {
        use std::os::unix::process::CommandExt;
        let mut command = std::process::Command::new(&self.binary);
        command
            .args(args)
            .env_clear()
            .env("RECERT_DB", db)
            .env("RECERT_REVIEWER", crate::util::REVIEWER)
            .env("RECERT_NOW", crate::util::NOW)
            .env("HOME", sandbox.dir.path())
            .current_dir(sandbox.dir.path());
        if self.as_root {
            command.uid(NOBODY).gid(NOBODY);
        }
        let output = output_within_deadline(command);
        let err = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), err)
    }
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A database in a directory the user may not write (SQLite creates its
/// -wal and -shm files beside it, even to read), a database file the user
/// may not read or write, a directory on its path the user may not enter:
/// each is named for what it is, never "not a recert database" or "run
/// `recert init` first", and nothing is changed.
#[test]
fn a_database_the_user_may_not_use_is_named_for_what_it_is() {
    let sandbox = Sandbox::with_campaign();
    std::fs::create_dir(sandbox.path("locked")).unwrap();
    std::fs::copy(sandbox.db(), sandbox.path("locked/recert.db")).unwrap();
    let user = OrdinaryUser::for_sandbox(&sandbox);
    let db = sandbox.db();
    let before = std::fs::read(&db).unwrap();
    let listing = names(sandbox.dir.path());
    let dir = sandbox.dir.path().display().to_string();
    let unchanged = |case: &str| {
        assert_eq!(std::fs::read(&db).unwrap(), before, "{case}");
        assert_eq!(
            names(sandbox.dir.path()),
            listing,
            "{case}: no -wal or -shm left"
        );
    };

    set_mode(sandbox.dir.path(), 0o555);
    for args in [
        &["campaign", "list"][..],
        &["decide", "Q4", "1", "attest", "--note", "n"],
    ] {
        let (code, err) = user.run(&sandbox, &db, args);
        assert_eq!(code, Some(1), "{err}");
        assert!(
            err.contains(&format!(
                "cannot use {}: you may not write its directory {dir}, and SQLite must create \
                 the -wal and -shm files beside the database there, even to read it; nothing \
                 was changed",
                db.display()
            )),
            "read-only directory {args:?}: {err}"
        );
    }
    let (code, err) = user.run(&sandbox, &sandbox.path("new.db"), &["init"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "cannot create it: permission denied: you may not write its directory {dir}; \
             nothing was changed"
        )),
        "init in a read-only directory: {err}"
    );
    set_mode(sandbox.dir.path(), 0o755);
    unchanged("read-only directory");

    for mode in [0o400, 0o200, 0o000] {
        set_mode(&db, mode);
        let (code, err) = user.run(&sandbox, &db, &["campaign", "list"]);
        assert_eq!(code, Some(1), "{mode:o}: {err}");
        assert!(
            err.contains(
                "permission denied: you may not read and write it, and recert must, \
                 even to show it; nothing was changed"
            ),
            "{mode:o}: {err}"
        );
        set_mode(&db, 0o600);
        unchanged(&format!("mode {mode:o}"));
    }

    let locked = sandbox.path("locked");
    set_mode(&locked, 0o600);
    for args in [&["campaign", "list"][..], &["init"]] {
        let (code, err) = user.run(&sandbox, &locked.join("recert.db"), args);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(
            err.contains("permission denied: you may not look into a directory on its path"),
            "{args:?}: {err}"
        );
    }
    set_mode(&locked, 0o755);
}
