//! The SQLite recert links, in a test binary of its own: SQLite's settings
//! are process-wide and take effect only before anything in the process has
//! used SQLite, which the e2e binary's tests, running in parallel, cannot
//! promise. See `recert::store::sqlite`.

use recert::store::Store;

#[test]
fn sqlite_is_set_up_and_built_as_recert_expects() {
    // SAFETY: this binary's only test, before anything uses SQLite: no
    // other thread calls into it.
    let configured = unsafe { recert::store::sqlite::configure() };
    assert!(configured, "SQLite refused the setting");
    let store = Store::open_in_memory().expect("a database");
    store.dump().expect("SQLite at work");
    // SAFETY: sqlite3_memory_used takes no argument and is thread-safe.
    let counted = unsafe { rusqlite::ffi::sqlite3_memory_used() };
    assert_eq!(counted, 0, "SQLite counts its allocations");

    // The compile-time options have no run-time equivalent: a build without
    // .cargo/config.toml's LIBSQLITE3_FLAGS lacks them, and this says which.
    let missing = store.sqlite_options_missing().expect("compile options");
    assert!(
        missing.is_empty(),
        "the linked SQLite was not built as .cargo/config.toml says: {missing:?}"
    );
}
