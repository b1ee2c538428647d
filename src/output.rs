//! Standard output closed under us: `recert items --json | head`. Rust
//! ignores SIGPIPE, so the next write fails with `BrokenPipe` instead of the
//! process dying as a C program would; like ripgrep, recert then stops
//! quietly with success (the reader has what it wanted). Writes return
//! the error rather than panicking as `println!` does, every layer keeps
//! its kind on the way up, and `main` recognises it here.

use std::error::Error;
use std::io;

/// Whether `error`, or anything it was caused by, is a write to a reader
/// that went away. Looks inside the writers' own errors (CSV, JSON), which
/// carry the I/O error without exposing it as their source.
pub fn is_broken_pipe(error: &(dyn Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        let kind = if let Some(e) = error.downcast_ref::<io::Error>() {
            Some(e.kind())
        } else if let Some(e) = error.downcast_ref::<serde_json::Error>() {
            e.io_error_kind()
        } else if let Some(e) = error.downcast_ref::<csv::Error>() {
            match e.kind() {
                csv::ErrorKind::Io(e) => Some(e.kind()),
                _ => None,
            }
        } else {
            None
        };
        if kind == Some(io::ErrorKind::BrokenPipe) {
            return true;
        }
        next = error.source();
    }
    false
}

/// For output whose command still has a verdict to give (`verify`,
/// `remediation --check`): a reader gone does not change the verdict, so
/// the command carries on to it rather than ending with success.
pub fn unless_reader_gone(written: io::Result<()>) -> io::Result<()> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_found_wherever_a_writer_put_it() {
        let pipe = || io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(&pipe()));
        let json = serde_json::Error::io(pipe());
        assert!(is_broken_pipe(&json));
        let csv = csv::Error::from(pipe());
        assert!(is_broken_pipe(&csv));
        let wrapped = color_eyre::Report::new(pipe()).wrap_err("writing the report");
        assert!(wrapped.chain().any(is_broken_pipe));
        assert!(!is_broken_pipe(&io::Error::from(io::ErrorKind::NotFound)));
        assert!(!is_broken_pipe(&serde_json::Error::io(io::Error::other(
            "full"
        ))));
        assert!(unless_reader_gone(Err(pipe())).is_ok());
        assert!(unless_reader_gone(Err(io::Error::other("disk full"))).is_err());
    }
}
