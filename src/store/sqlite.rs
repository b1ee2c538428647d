//! The SQLite recert links: what is set up before its first use, and which
//! of the compile-time options recert's build asks for the linked copy has.
//!
//! `.cargo/config.toml` compiles rusqlite's bundled SQLite with options
//! from SQLite's list of recommended ones (https://sqlite.org/compile.html#rcmd;
//! BENCHMARKS.md has what they save), through `LIBSQLITE3_FLAGS`, which
//! libsqlite3-sys's build script reads. Cargo reads that file for commands
//! run inside this repository and for `cargo install --path` to it, and no
//! build script of recert's can pass options to a dependency's:
//! `cargo install --git`, a crate depending on recert, or `cargo build
//! --manifest-path` run elsewhere compiles SQLite without them. So:
//!
//! - No global allocation statistics, which take a process-wide mutex on
//!   every allocation (`SQLITE_DEFAULT_MEMSTATUS=0`): this has a run-time
//!   equivalent, and [`configure`], called first thing in `main`, sets it
//!   whatever the build.
//! - A page-cache LRU per connection instead of one shared list behind a
//!   global mutex (`-USQLITE_ENABLE_MEMORY_MANAGEMENT`), `alloca`, no
//!   shared-cache code, and LIKE never matching blobs exist only at compile
//!   time. They change speed and memory, not what recert stores or answers
//!   (it opens no shared cache and stores no blobs).
//!   [`Store::sqlite_options_missing`] names those a build lacks; a test
//!   fails when this repository's build lacks any.
//!
//! The second of recert's two unsafe modules (with `store::bulk`): calling
//! SQLite's C interface for what rusqlite does not wrap.
#![allow(unsafe_code)]

use super::{Result, Store};
use rusqlite::ffi;
use std::ffi::c_int;

/// What recert's build asks of SQLite at compile time, as
/// `PRAGMA compile_options` reports it: each option and whether the build
/// has it (`-U` removes one that libsqlite3-sys defines).
pub const COMPILE_OPTIONS: [(&str, bool); 5] = [
    ("DEFAULT_MEMSTATUS=0", true),
    ("ENABLE_MEMORY_MANAGEMENT", false),
    ("USE_ALLOCA", true),
    ("OMIT_SHARED_CACHE", true),
    ("LIKE_DOESNT_MATCH_BLOBS", true),
];

/// Turns SQLite's allocation statistics off, as `SQLITE_DEFAULT_MEMSTATUS=0`
/// does at compile time. Returns whether SQLite took the setting: it
/// refuses every setting once it has initialised, which the first
/// connection does.
///
/// # Safety
///
/// `sqlite3_config` is not thread-safe: no other thread may call into
/// SQLite meanwhile. Call it before any thread but the caller's exists, or
/// before anything else in the process uses SQLite.
pub unsafe fn configure() -> bool {
    // SAFETY: the caller promises no concurrent SQLite call; the option
    // takes one int, passed as the C variadic argument it reads.
    let rc = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int) };
    rc == ffi::SQLITE_OK
}

impl Store {
    /// The options of [`COMPILE_OPTIONS`] the linked SQLite does not have
    /// as recert's build asks (an option it should not have is written
    /// `-OPTION`); empty when it has them all.
    pub fn sqlite_options_missing(&self) -> Result<Vec<String>> {
        let mut statement = self.conn.prepare("PRAGMA compile_options")?;
        let built = statement
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(COMPILE_OPTIONS
            .iter()
            .filter(|(option, wanted)| built.iter().any(|b| b == option) != *wanted)
            .map(|(option, wanted)| {
                if *wanted {
                    option.to_string()
                } else {
                    format!("-{option}")
                }
            })
            .collect())
    }
}
