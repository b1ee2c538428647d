//! Text columns read in place: borrowed from the SQLite row rather than
//! copied into a `String`, for readers that walk a million rows (item rows,
//! the versions a report loads). A leaf: it knows rows, nothing of items.

use rusqlite::Row;
use rusqlite::types::{Type, ValueRef};

pub(super) fn text<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(Into::into)
}

pub(super) fn opt_text<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    r.get_ref(i)?.as_str_or_null().map_err(Into::into)
}

/// A text column's bytes, its UTF-8 unchecked: for readers that check it
/// once per distinct value. Anything but text is an error, as for [`text`].
pub(super) fn bytes<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r [u8]> {
    opt_bytes(r, i)?.ok_or(rusqlite::Error::InvalidColumnType(
        i,
        String::new(),
        Type::Null,
    ))
}

pub(super) fn opt_bytes<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<Option<&'r [u8]>> {
    match r.get_ref(i)? {
        ValueRef::Text(bytes) => Ok(Some(bytes)),
        ValueRef::Null => Ok(None),
        other => Err(rusqlite::Error::InvalidColumnType(
            i,
            String::new(),
            other.data_type(),
        )),
    }
}
