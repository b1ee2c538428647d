//! A prepared INSERT for the bulk write paths (imports, campaign creation)
//! that binds text without copying it.
//!
//! rusqlite binds every string with `SQLITE_TRANSIENT`: SQLite allocates a
//! copy on bind and frees it on the next one. A million-row import binds
//! about fifteen strings a row, and those copies were a fifth of the
//! instructions of the thread that writes the database (callgrind, see
//! BENCHMARKS.md). Here text is bound `SQLITE_STATIC`, which is sound only
//! while the bound strings live: [`Insert::execute`] therefore borrows the
//! values for the call and clears every binding before it returns, so no
//! pointer into them survives it. With `store::sqlite`, the only unsafe
//! code in recert.
#![allow(unsafe_code)]

use rusqlite::{Connection, ffi};
use std::ffi::{CStr, c_char, c_int};
use std::ptr::NonNull;

/// One value to bind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Value<'v> {
    Null,
    Int(i64),
    Text(&'v str),
}

impl From<i64> for Value<'_> {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Int(i64::from(b))
    }
}

impl<'v> From<&'v str> for Value<'v> {
    fn from(s: &'v str) -> Self {
        Value::Text(s)
    }
}

impl<'v> From<&'v Option<String>> for Value<'v> {
    fn from(value: &'v Option<String>) -> Self {
        value.as_deref().into()
    }
}

impl<'v, T: Into<Value<'v>>> From<Option<T>> for Value<'v> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// A prepared statement run for its writes (one that returns rows fails
/// with `ExecuteReturnedResults`), finalized on drop.
pub(super) struct Insert<'c> {
    /// Borrowed so that the statement cannot outlive its connection, and
    /// (the connection being `!Sync`) cannot cross to another thread.
    conn: &'c Connection,
    stmt: NonNull<ffi::sqlite3_stmt>,
    parameters: usize,
}

impl<'c> Insert<'c> {
    /// Prepares `sql`, which must be exactly one statement.
    pub(super) fn prepare(conn: &'c Connection, sql: &str) -> rusqlite::Result<Insert<'c>> {
        let length = c_int::try_from(sql.len()).map_err(|_| misuse("statement too long"))?;
        let mut stmt = std::ptr::null_mut();
        let mut tail: *const c_char = std::ptr::null();
        // SAFETY: the handle is the live connection's; `sql` is valid for
        // `length` bytes; SQLite writes only the two out-pointers.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                conn.handle(),
                sql.as_ptr().cast(),
                length,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                &mut tail,
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(last_error(conn, rc));
        }
        let Some(stmt) = NonNull::new(stmt) else {
            return Err(misuse("no statement to prepare"));
        };
        let mut insert = Insert {
            conn,
            stmt,
            parameters: 0,
        };
        // SAFETY: `tail` points into `sql`, at or before its end.
        let rest = unsafe { tail.offset_from(sql.as_ptr().cast()) };
        let rest = usize::try_from(rest).map_or("", |at| sql.get(at..).unwrap_or(""));
        if !rest.trim().is_empty() {
            return Err(rusqlite::Error::MultipleStatement);
        }
        // SAFETY: the statement is live.
        let parameters = unsafe { ffi::sqlite3_bind_parameter_count(insert.stmt.as_ptr()) };
        insert.parameters = usize::try_from(parameters).unwrap_or(0);
        Ok(insert)
    }

    /// Binds `values` to `?1` onwards (one for each parameter) and runs the
    /// statement once. Every binding is cleared before this returns, error
    /// or not: so every parameter is NULL when it is called, and NULLs need
    /// no binding.
    pub(super) fn execute(&mut self, values: &[Value<'_>]) -> rusqlite::Result<()> {
        if values.len() != self.parameters {
            return Err(rusqlite::Error::InvalidParameterCount(
                values.len(),
                self.parameters,
            ));
        }
        let outcome = self.bind(values).and_then(|()| self.step());
        // SAFETY: the statement is live. Clearing the bindings is what
        // keeps `SQLITE_STATIC` sound: nothing bound outlives `values`.
        unsafe {
            ffi::sqlite3_reset(self.stmt.as_ptr());
            ffi::sqlite3_clear_bindings(self.stmt.as_ptr());
        }
        outcome
    }

    fn bind(&mut self, values: &[Value<'_>]) -> rusqlite::Result<()> {
        let stmt = self.stmt.as_ptr();
        for (at, value) in (1..).zip(values) {
            // SAFETY: the statement is live and `at` within its parameters;
            // text stays valid until `execute` clears the bindings.
            let rc = unsafe {
                match *value {
                    // Every parameter is NULL already: a new statement's
                    // are, and `execute` clears them after each run.
                    Value::Null => ffi::SQLITE_OK,
                    Value::Int(n) => ffi::sqlite3_bind_int64(stmt, at, n),
                    Value::Text(s) => ffi::sqlite3_bind_text64(
                        stmt,
                        at,
                        // An empty string's pointer dangles; SQLite gets a real one.
                        if s.is_empty() { "" } else { s }.as_ptr().cast(),
                        s.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(last_error(self.conn, rc));
            }
        }
        Ok(())
    }

    fn step(&mut self) -> rusqlite::Result<()> {
        // SAFETY: the statement is live and fully bound.
        match unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) } {
            ffi::SQLITE_DONE => Ok(()),
            ffi::SQLITE_ROW => Err(rusqlite::Error::ExecuteReturnedResults),
            rc => Err(last_error(self.conn, rc)),
        }
    }
}

impl Drop for Insert<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement is live and finalized exactly once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// The connection's error for `rc`, as rusqlite would report it, so that
/// callers match on `ErrorCode::ConstraintViolation` as they do elsewhere.
fn last_error(conn: &Connection, rc: c_int) -> rusqlite::Error {
    // SAFETY: the handle is live; SQLite returns NUL-terminated messages,
    // the connection's valid until its next call; both are copied at once.
    let (code, message) = unsafe {
        let db = conn.handle();
        let code = ffi::sqlite3_extended_errcode(db);
        // The connection's message describes `rc` only if its code does;
        // otherwise SQLite's generic text for `rc`, as rusqlite does.
        let (code, message) = if code & 0xff == rc & 0xff {
            (code, ffi::sqlite3_errmsg(db))
        } else {
            (rc, ffi::sqlite3_errstr(rc))
        };
        let message =
            (!message.is_null()).then(|| CStr::from_ptr(message).to_string_lossy().into_owned());
        (code, message)
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), message)
}

fn misuse(what: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_MISUSE),
        Some(format!("bulk insert: {what}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ErrorCode;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER, s TEXT UNIQUE, o TEXT) STRICT")
            .unwrap();
        conn
    }

    fn rows(conn: &Connection) -> Vec<(Option<i64>, Option<String>, Option<String>)> {
        let mut stmt = conn
            .prepare("SELECT n, s, o FROM t ORDER BY rowid")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn binds_text_ints_and_nulls_and_keeps_what_was_bound_after_the_strings_go() {
        let conn = table();
        let mut insert =
            Insert::prepare(&conn, "INSERT INTO t (n, s, o) VALUES (?1, ?2, ?3)").unwrap();
        for n in 0..3i64 {
            // Each row's text lives only for its call: SQLite must have
            // copied it into the row, not kept the pointer.
            let text = format!("row {n} ✓");
            let other = (n % 2 == 0).then(|| "x".repeat(n as usize));
            insert
                .execute(&[n.into(), text.as_str().into(), other.as_deref().into()])
                .unwrap();
        }
        drop(insert);
        assert_eq!(
            rows(&conn),
            vec![
                (Some(0), Some("row 0 ✓".into()), Some("".into())),
                (Some(1), Some("row 1 ✓".into()), None),
                (Some(2), Some("row 2 ✓".into()), Some("xx".into())),
            ]
        );
    }

    #[test]
    fn a_constraint_failure_is_reported_as_rusqlite_reports_it_and_the_insert_goes_on() {
        let conn = table();
        let mut insert = Insert::prepare(&conn, "INSERT INTO t (n, s) VALUES (?1, ?2)").unwrap();
        insert.execute(&[1i64.into(), "a".into()]).unwrap();
        let error = insert.execute(&[2i64.into(), "a".into()]).unwrap_err();
        assert_eq!(
            error.sqlite_error_code(),
            Some(ErrorCode::ConstraintViolation)
        );
        assert_eq!(
            error.sqlite_error().map(|e| e.extended_code),
            Some(ffi::SQLITE_CONSTRAINT_UNIQUE)
        );
        assert!(
            error.to_string().contains("UNIQUE constraint failed: t.s"),
            "{error}"
        );
        // A failed run leaves nothing bound and the statement ready: a
        // NULL after it is NULL, not what the failed run bound.
        insert.execute(&[3i64.into(), Value::Null]).unwrap();
        assert_eq!(
            rows(&conn),
            vec![(Some(1), Some("a".into()), None), (Some(3), None, None)]
        );
    }

    #[test]
    fn a_wrong_number_of_values_is_refused_before_anything_runs() {
        let conn = table();
        let mut insert = Insert::prepare(&conn, "INSERT INTO t (n, s) VALUES (?1, ?2)").unwrap();
        let error = insert.execute(&[1i64.into()]).unwrap_err();
        assert!(
            matches!(error, rusqlite::Error::InvalidParameterCount(1, 2)),
            "{error}"
        );
        assert!(rows(&conn).is_empty());
    }

    #[test]
    fn only_one_statement_that_returns_nothing() {
        let conn = table();
        let two = Insert::prepare(&conn, "INSERT INTO t (n) VALUES (1); DELETE FROM t");
        assert!(matches!(two, Err(rusqlite::Error::MultipleStatement)));
        assert!(rows(&conn).is_empty());
        assert!(Insert::prepare(&conn, "  ").is_err());
        assert!(Insert::prepare(&conn, "INSERT INTO nowhere VALUES (1)").is_err());
        let mut select = Insert::prepare(&conn, "SELECT 1").unwrap();
        assert!(matches!(
            select.execute(&[]),
            Err(rusqlite::Error::ExecuteReturnedResults)
        ));
    }
}
