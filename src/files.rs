//! The files recert creates, and the files it writes where the user says.
//!
//! Whatever recert creates is its owner's alone, whatever the umask: files
//! 0600, directories 0700. The database and reports hold who-has-what, the
//! config holds the policy the insights follow, and a directory others may
//! write lets them move the database away and put another in its place.
//!
//! A file the user names for output ([`check_target`]) is refused when it
//! is the database or a file SQLite keeps beside it, under any name (a
//! symlink, a hard link, `./`), or when it exists and is not a regular
//! file: renaming a report over the write-ahead log loses acknowledged
//! decisions, and renaming one over a device node or a FIFO replaces it.

use std::fs::{File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

/// The files SQLite keeps for a database, by the suffix of their name.
const BESIDE_THE_DATABASE: [(&str, &str); 4] = [
    ("", "the database"),
    ("-wal", "the database's write-ahead log"),
    ("-shm", "the database's shared-memory index"),
    ("-journal", "the database's rollback journal"),
];

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(
        "{target} is {role}{}: {what} written there would replace it; nothing was written",
        other_name(target, file)
    )]
    Database {
        target: PathBuf,
        role: &'static str,
        file: PathBuf,
        what: &'static str,
    },
    #[error(
        "{target} is {kind}, not a regular file: {what} is written only to a regular file; \
         nothing was written"
    )]
    NotRegular {
        target: PathBuf,
        kind: &'static str,
        what: &'static str,
    },
    #[error("cannot look at {target} ({source}); nothing was written")]
    Unreachable { target: PathBuf, source: io::Error },
}

/// The database's file by the name recert was given, where the user named
/// it otherwise.
fn other_name(target: &Path, file: &Path) -> String {
    if target == file {
        String::new()
    } else {
        format!(" {}", file.display())
    }
}

/// Refuses `target` as the place to write `what` ("the report") when it is
/// the database `db`, or its `-wal`, `-shm` or `-journal` file, compared
/// after resolving symlinks and by device and inode; or when it exists and
/// is not a regular file. A `target` that does not exist yet is fine
/// unless its name is one of those files: SQLite may create it any moment.
pub fn check_target(target: &Path, db: &Path, what: &'static str) -> Result<(), TargetError> {
    let found = match std::fs::metadata(target) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(TargetError::Unreachable {
                target: target.to_path_buf(),
                source,
            });
        }
    };
    let resolved = resolve(target);
    let db_resolved = resolve(db);
    for (suffix, role) in BESIDE_THE_DATABASE {
        let file = with_suffix(db, suffix);
        // SQLite keeps its files beside the database a symlink points to.
        let names = [
            resolve(&file),
            db_resolved.as_deref().map(|d| with_suffix(d, suffix)),
        ];
        let same_name = resolved.is_some() && names.contains(&resolved);
        let same_file = found
            .as_ref()
            .zip(std::fs::metadata(&file).ok())
            .is_some_and(|(a, b)| same_inode(a, &b));
        if same_name || same_file {
            return Err(TargetError::Database {
                target: target.to_path_buf(),
                role,
                file,
                what,
            });
        }
    }
    match found {
        Some(meta) if !meta.is_file() => Err(TargetError::NotRegular {
            target: target.to_path_buf(),
            kind: kind(&meta),
            what,
        }),
        _ => Ok(()),
    }
}

/// The path with every symlink resolved; for a path that does not exist,
/// its directory's resolved path and its name.
fn resolve(path: &Path) -> Option<PathBuf> {
    if let Ok(real) = path.canonicalize() {
        return Some(real);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(name))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(unix)]
fn same_inode(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_: &Metadata, _: &Metadata) -> bool {
    false
}

/// What a file that is not a regular file is, for messages.
pub fn kind(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// Creates `dir` and any missing directory above it, each readable,
/// writable and searchable by its owner only. Directories that exist are
/// left as they are.
pub fn create_private_dirs(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut at = dir;
    loop {
        match std::fs::metadata(at) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::NotFound => missing.push(at),
            Err(e) => return Err(e),
        }
        match at.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => at = parent,
            _ => break,
        }
    }
    for dir in missing.into_iter().rev() {
        match private_dir(dir) {
            // Another process made it meanwhile: it is theirs, untouched.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            other => other?,
        }
    }
    Ok(())
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new().mode(0o700).create(dir)?;
    // The umask may have taken bits from the owner too.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir(dir)
}

/// Creates `path`, which must not exist, readable and writable by its
/// owner only.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    make_private(&file)?;
    Ok(file)
}

/// A temporary file beside `path`, readable and writable by its owner
/// only, to be renamed over `path` once complete: `path` then appears
/// complete or not at all.
pub fn private_temp_beside(path: &Path, prefix: &str) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file = tempfile::Builder::new().prefix(prefix).tempfile_in(dir)?;
    make_private(file.as_file())?;
    Ok(file)
}

/// Sets 0600 on an open file: a mode given at creation passes through the
/// umask, which may take bits from the owner too.
fn make_private(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    let _ = file;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_database_and_its_files_are_refused_under_every_name() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("recert.db");
        std::fs::write(&db, "db").unwrap();
        std::fs::write(dir.path().join("recert.db-wal"), "log").unwrap();
        std::os::unix::fs::symlink(&db, dir.path().join("link")).unwrap();
        std::fs::hard_link(&db, dir.path().join("hard")).unwrap();
        std::fs::hard_link(
            dir.path().join("recert.db-wal"),
            dir.path().join("hard-wal"),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let refused = |name: &str| {
            let target = dir.path().join(name);
            match check_target(&target, &db, "the report") {
                Err(TargetError::Database { role, .. }) => role,
                other => panic!("{name}: {other:?}"),
            }
        };
        assert_eq!(refused("recert.db"), "the database");
        assert_eq!(refused("sub/../recert.db"), "the database");
        assert_eq!(refused("link"), "the database");
        assert_eq!(refused("hard"), "the database");
        assert_eq!(refused("recert.db-wal"), "the database's write-ahead log");
        assert_eq!(refused("hard-wal"), "the database's write-ahead log");
        // Not there yet, but SQLite may create them any moment.
        assert_eq!(
            refused("recert.db-shm"),
            "the database's shared-memory index"
        );
        assert_eq!(
            refused("sub/../recert.db-journal"),
            "the database's rollback journal"
        );
        for fine in ["report.csv", "recert.db-walrus", "sub/recert.db"] {
            check_target(&dir.path().join(fine), &db, "the report").unwrap();
        }
    }

    #[test]
    fn a_database_behind_a_symlink_keeps_its_files_beside_the_real_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let real = dir.path().join("real/recert.db");
        std::fs::write(&real, "db").unwrap();
        let db = dir.path().join("link.db");
        std::os::unix::fs::symlink(&real, &db).unwrap();
        let target = dir.path().join("real/recert.db-wal");
        assert!(matches!(
            check_target(&target, &db, "the report"),
            Err(TargetError::Database { .. })
        ));
    }

    #[test]
    fn only_regular_files_are_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("recert.db");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let socket = dir.path().join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let cases = [
            (fifo, "a FIFO (named pipe)"),
            (socket, "a socket"),
            (dir.path().to_path_buf(), "a directory"),
            (PathBuf::from("/dev/null"), "a character device"),
        ];
        for (target, expected) in cases {
            match check_target(&target, &db, "the report") {
                Err(TargetError::NotRegular { kind, .. }) => assert_eq!(kind, expected),
                other => panic!("{}: {other:?}", target.display()),
            }
        }
        let link = dir.path().join("to-null");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        assert!(matches!(
            check_target(&link, &db, "the report"),
            Err(TargetError::NotRegular { .. })
        ));
        let file = dir.path().join("old.csv");
        std::fs::write(&file, "old").unwrap();
        check_target(&file, &db, "the report").unwrap();
    }

    #[test]
    fn the_message_names_the_file_and_says_nothing_was_written() {
        let error = TargetError::Database {
            target: "q.csv".into(),
            role: "the database's write-ahead log",
            file: "recert.db-wal".into(),
            what: "the report",
        };
        assert_eq!(
            error.to_string(),
            "q.csv is the database's write-ahead log recert.db-wal: the report written there \
             would replace it; nothing was written"
        );
        let same = TargetError::Database {
            target: "recert.db".into(),
            role: "the database",
            file: "recert.db".into(),
            what: "the report",
        };
        assert_eq!(
            same.to_string(),
            "recert.db is the database: the report written there would replace it; \
             nothing was written"
        );
    }

    #[test]
    fn what_recert_creates_is_private_and_what_existed_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        create_private_dirs(&deep).unwrap();
        for d in ["a", "a/b", "a/b/c"] {
            assert_eq!(mode(&dir.path().join(d)), 0o700, "{d}");
        }
        // What existed stays as it was.
        std::fs::set_permissions(dir.path().join("a"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        create_private_dirs(&dir.path().join("a/d")).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o755);
        assert_eq!(mode(&dir.path().join("a/d")), 0o700);

        let file = deep.join("f");
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(
            create_private_file(&file).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        let temp = private_temp_beside(&deep.join("report.csv"), ".t-").unwrap();
        assert_eq!(mode(temp.path()), 0o600);
        assert_eq!(temp.path().parent(), Some(deep.as_path()));
    }
}
