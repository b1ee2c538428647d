//! What SQLite returns, and what recert binds, as the typed values that
//! campaign and import digests hash ([`audit::Value`]): the encoding is
//! `audit`'s, which knows nothing of SQLite; the two meet here.
//!
//! Campaign digests once hashed a blob as if it were text; every table is
//! STRICT and has no blob column, so no recorded digest ever covered one,
//! and a blob now has its own tag in both digests.

use super::bulk::Value;
use crate::audit;
use rusqlite::types::ValueRef;

impl<'a> From<ValueRef<'a>> for audit::Value<'a> {
    #[inline]
    fn from(value: ValueRef<'a>) -> audit::Value<'a> {
        match value {
            ValueRef::Null => audit::Value::Null,
            ValueRef::Integer(n) => audit::Value::Integer(n),
            ValueRef::Text(text) => audit::Value::Text(text),
            ValueRef::Real(f) => audit::Value::Real(f),
            ValueRef::Blob(bytes) => audit::Value::Bytes(bytes),
        }
    }
}

impl<'a> From<Value<'a>> for audit::Value<'a> {
    #[inline]
    fn from(value: Value<'a>) -> audit::Value<'a> {
        match value {
            Value::Null => audit::Value::Null,
            Value::Int(n) => audit::Value::Integer(n),
            Value::Text(text) => audit::Value::text(text),
        }
    }
}
