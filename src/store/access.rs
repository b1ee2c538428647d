//! Whether the file `--db` names can be a database, looked at before
//! SQLite opens it: a FIFO, a device, a socket or a directory is refused
//! at once (opening a FIFO waits for a writer forever), and a file the
//! user may not read and write, or a directory where SQLite may not create
//! the `-wal` and `-shm` files it keeps beside the database, is called by
//! its name rather than "not a recert database".

use super::{Result, StoreError};
use rusqlite::ErrorCode;
use rusqlite::ffi;
use std::io;
use std::path::{Path, PathBuf};

/// Whether `path` (symlinks followed) exists; an error unless it is a
/// regular file, or when it cannot be looked at.
pub(super) fn existing_file(path: &Path) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(true),
        Ok(meta) => Err(not_a_file(path, &meta)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(refusal(path, Step::Reach, &e)),
    }
}

fn not_a_file(path: &Path, meta: &std::fs::Metadata) -> StoreError {
    StoreError::NotADatabase {
        path: path.to_path_buf(),
        detail: format!("it is {}, not a regular file", crate::files::kind(meta)),
    }
}

/// Refuses files that are not SQLite before SQLite gets a chance to treat
/// them as an empty database and write to them. The file is opened to read
/// and write, as SQLite will, so that one the user may not write is
/// refused here by name; and without waiting, should the path have become
/// a FIFO since it was looked at.
pub(super) fn check_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut file = options
        .open(path)
        .map_err(|e| refusal(path, Step::Open, &e))?;
    let meta = file.metadata().map_err(|e| refusal(path, Step::Open, &e))?;
    if !meta.is_file() {
        return Err(not_a_file(path, &meta));
    }
    let mut header = [0u8; 16];
    let read = file
        .read(&mut header)
        .map_err(|e| StoreError::NotADatabase {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    if read == 0 {
        return check_companions(path);
    }
    if read < 16 || &header != b"SQLite format 3\0" {
        return Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
            detail: "it does not start with the SQLite header".into(),
        });
    }
    check_companions(path)
}

/// Refuses a database whose `-journal`, `-wal` or `-shm` file is there but
/// is not a regular file: SQLite opens a journal it finds to read it, and a
/// FIFO in its place would hold every command forever.
fn check_companions(path: &Path) -> Result<()> {
    // SQLite keeps them beside the file a symlink leads to.
    let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    for suffix in ["-journal", "-wal", "-shm"] {
        let mut name = real.clone().into_os_string();
        name.push(suffix);
        let companion = PathBuf::from(name);
        if let Ok(meta) = std::fs::metadata(&companion)
            && !meta.is_file()
        {
            return Err(StoreError::NoAccess {
                path: path.to_path_buf(),
                detail: format!(
                    "{} beside it is {}, not a regular file, and SQLite would use it as the \
                     database's {suffix} file",
                    companion.display(),
                    crate::files::kind(&meta)
                ),
            });
        }
    }
    Ok(())
}

/// What recert was doing with the database's path when the file system
/// said no.
#[derive(Clone, Copy, Debug)]
pub(super) enum Step<'a> {
    /// Looking it up.
    Reach,
    /// Opening it to read and write.
    Open,
    /// Creating this directory (and those missing above it) for it.
    CreateDir(&'a Path),
    /// Creating the file.
    Create,
}

/// What the file system's refusal during `step` means for a reviewer.
pub(super) fn refusal(path: &Path, step: Step<'_>, e: &io::Error) -> StoreError {
    use io::ErrorKind::{NotFound, PermissionDenied, ReadOnlyFilesystem};
    let detail = match (step, e.kind()) {
        (Step::Reach | Step::Open, NotFound) => return StoreError::Missing(path.to_path_buf()),
        (Step::Reach, PermissionDenied) => {
            "permission denied: you may not look into a directory on its path".into()
        }
        (Step::Open, PermissionDenied) => {
            "permission denied: you may not read and write it, and recert must, even to show it"
                .into()
        }
        (Step::Open, ReadOnlyFilesystem) => "it is on a read-only file system, and recert must \
             write to the database and beside it, even to show it"
            .into(),
        (Step::CreateDir(dir), PermissionDenied) => format!(
            "cannot create the directory {}: permission denied",
            dir.display()
        ),
        (Step::CreateDir(dir), ReadOnlyFilesystem) => format!(
            "cannot create the directory {}: the file system is read-only",
            dir.display()
        ),
        (Step::CreateDir(dir), _) => format!("cannot create the directory {}: {e}", dir.display()),
        (Step::Create, PermissionDenied) => format!(
            "cannot create it: permission denied: you may not write its directory {}",
            directory_of(path).display()
        ),
        (Step::Create, ReadOnlyFilesystem) => {
            "cannot create it: the file system is read-only".into()
        }
        (Step::Create, _) => format!("cannot create it: {e}"),
        (Step::Reach | Step::Open, _) => e.to_string(),
    };
    StoreError::NoAccess {
        path: path.to_path_buf(),
        detail,
    }
}

/// What SQLite's refusal means for a reviewer when it is about access to
/// the database's files; `None` for any other error.
pub(super) fn sqlite_refusal(path: &Path, e: &rusqlite::Error) -> Option<StoreError> {
    let rusqlite::Error::SqliteFailure(failure, _) = e else {
        return None;
    };
    let detail = match failure.extended_code {
        ffi::SQLITE_READONLY_DIRECTORY => format!(
            "you may not write its directory {}, and SQLite must create the -wal and -shm \
             files beside the database there, even to read it",
            directory_of(path).display()
        ),
        ffi::SQLITE_READONLY_CANTINIT
        | ffi::SQLITE_READONLY_CANTLOCK
        | ffi::SQLITE_READONLY_RECOVERY => "you may not write the -wal or -shm file beside it, \
             and SQLite must, even to read the database"
            .into(),
        _ => match failure.code {
            ErrorCode::ReadOnly => format!("SQLite may not write it ({e})"),
            ErrorCode::PermissionDenied => format!("permission denied ({e})"),
            ErrorCode::CannotOpen => format!(
                "SQLite cannot open it or the -wal and -shm files beside it in {} ({e})",
                directory_of(path).display()
            ),
            _ => return None,
        },
    };
    Some(StoreError::NoAccess {
        path: path.to_path_buf(),
        detail,
    })
}

fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error SQLite gives, with its message.
    fn sqlite(extended_code: i32) -> rusqlite::Error {
        let message = ffi::code_to_str(extended_code).to_string();
        rusqlite::Error::SqliteFailure(ffi::Error::new(extended_code), Some(message))
    }

    fn said(error: StoreError) -> String {
        error.to_string()
    }

    /// Root passes every permission check, and the tests run as root: the
    /// messages are checked here, from the errors the file system and
    /// SQLite give an ordinary user.
    #[test]
    fn a_directory_sqlite_may_not_write_in_is_named_not_called_a_non_database() {
        let refused = sqlite_refusal(Path::new("data/recert.db"), &sqlite(1544)).unwrap();
        assert_eq!(
            said(refused),
            "cannot use data/recert.db: you may not write its directory data, and SQLite must \
             create the -wal and -shm files beside the database there, even to read it; \
             nothing was changed"
        );
        let here = sqlite_refusal(Path::new("recert.db"), &sqlite(1544)).unwrap();
        assert!(
            said(here).contains("its directory ."),
            "the current directory"
        );
        for code in [264, 520, 1288] {
            let refused = sqlite_refusal(Path::new("r.db"), &sqlite(code)).unwrap();
            assert!(
                said(refused).contains("you may not write the -wal or -shm file beside it"),
                "{code}"
            );
        }
        let plain = said(sqlite_refusal(Path::new("r.db"), &sqlite(8)).unwrap());
        assert_eq!(
            plain,
            "cannot use r.db: SQLite may not write it (attempt to write a readonly database); \
             nothing was changed"
        );
        assert!(
            said(sqlite_refusal(Path::new("r.db"), &sqlite(14)).unwrap()).contains(
                "SQLite cannot open it or the -wal and -shm files beside it in . \
             (unable to open database file)"
            )
        );
        for other in [1, 5, 11, 19] {
            assert!(
                sqlite_refusal(Path::new("r.db"), &sqlite(other)).is_none(),
                "{other}"
            );
        }
        assert!(sqlite_refusal(Path::new("r.db"), &rusqlite::Error::InvalidQuery).is_none());
    }

    #[test]
    fn a_file_the_user_may_not_read_or_write_is_named_as_such() {
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let path = Path::new("data/recert.db");
        assert_eq!(
            said(refusal(path, Step::Open, &denied)),
            "cannot use data/recert.db: permission denied: you may not read and write it, and \
             recert must, even to show it; nothing was changed"
        );
        assert_eq!(
            said(refusal(path, Step::Reach, &denied)),
            "cannot use data/recert.db: permission denied: you may not look into a directory \
             on its path; nothing was changed"
        );
        assert_eq!(
            said(refusal(path, Step::Create, &denied)),
            "cannot use data/recert.db: cannot create it: permission denied: you may not write \
             its directory data; nothing was changed"
        );
        assert_eq!(
            said(refusal(path, Step::CreateDir(Path::new("data")), &denied)),
            "cannot use data/recert.db: cannot create the directory data: permission denied; \
             nothing was changed"
        );
        let read_only = io::Error::from(io::ErrorKind::ReadOnlyFilesystem);
        assert!(said(refusal(path, Step::Open, &read_only)).contains("read-only file system"));
        assert!(said(refusal(path, Step::Create, &read_only)).contains("read-only"));
        let gone = io::Error::from(io::ErrorKind::NotFound);
        assert!(matches!(
            refusal(path, Step::Open, &gone),
            StoreError::Missing(_)
        ));
        let other = io::Error::other("disk on fire");
        assert_eq!(
            said(refusal(path, Step::Open, &other)),
            "cannot use data/recert.db: disk on fire; nothing was changed"
        );
    }

    #[cfg(unix)]
    #[test]
    fn anything_but_a_regular_file_is_refused_without_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        // Opening it would wait for a writer: a regression hangs, and the
        // e2e test of the same has a deadline.
        let error = existing_file(&fifo).unwrap_err();
        assert!(
            said(error).ends_with("fifo is not a recert database (it is a FIFO (named pipe), not a regular file); it was left untouched"),
        );
        let error = check_header(&fifo).unwrap_err();
        assert!(said(error).contains("it is a FIFO"));
        assert!(said(existing_file(dir.path()).unwrap_err()).contains("it is a directory"));
        assert!(!existing_file(&dir.path().join("absent")).unwrap());
    }
}
