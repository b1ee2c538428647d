//! Errors callers branch on keep their kind, and read as they always did.

use super::{SnapshotId, StoreError};

#[test]
fn a_failed_visitor_is_output_and_a_closed_pipe_is_the_reader_gone() {
    let full = std::io::Error::other("no space left on device");
    let error = StoreError::from_output(&full);
    assert!(matches!(&error, StoreError::Output(_)), "{error:?}");
    assert_eq!(error.to_string(), "no space left on device");
    let closed = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
    assert!(matches!(
        StoreError::from_output(&closed),
        StoreError::ReaderGone(_)
    ));
}

#[test]
fn storage_failures_say_what_happened_and_what_to_do() {
    let unconfirmed = StoreError::Unconfirmed {
        snapshot: SnapshotId(3),
        error: rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
            Some("disk I/O error".into()),
        ),
    };
    assert_eq!(
        unconfirmed.to_string(),
        "snapshot 3 was written, but the disk failed to confirm it (disk I/O error): \
         check the disk, then `recert verify`"
    );
    let large = StoreError::TooLarge {
        what: "the identities' evidence",
    };
    assert_eq!(
        large.to_string(),
        "the identities' evidence is too large to assess in one piece"
    );
}
