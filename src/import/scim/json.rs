//! JSON values as serde_json builds them, less what its maps hide: an
//! object that names one attribute twice keeps only the last, so a JSON
//! tool and recert could read different people from one file. SCIM
//! attribute names ignore case (RFC 7643 §2.1), so `userName` and
//! `USERNAME` name the same attribute; [`ValueSeed`] reports each such
//! name as a problem at the object's JSON path and keeps the first value.

use crate::import::Problem;
use serde::de::{DeserializeSeed, Error, MapAccess, SeqAccess, Visitor};
use serde_json::map::Map;
use serde_json::{Number, Value};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

/// Where the value being read is, from the document's root; rendered only
/// when there is a problem to report.
#[derive(Debug, Default)]
pub(super) struct Path(Vec<Step>);

#[derive(Debug)]
enum Step {
    Key(String),
    Index(usize),
}

impl Path {
    /// `$.Resources[index]`, however the file spells `Resources`.
    pub fn resource(index: usize) -> Path {
        Path(vec![Step::Key("Resources".into()), Step::Index(index)])
    }

    pub fn render(&self) -> String {
        let mut out = String::from("$");
        for step in &self.0 {
            match step {
                Step::Key(key) => out = super::parse::child(&out, key),
                Step::Index(n) => out = format!("{out}[{n}]"),
            }
        }
        out
    }
}

/// The names an object has had so far, to find one named again in another
/// case. A small object's map is searched; from `INDEXED` names on they are
/// indexed by their lower-case form, so a hostile object of a million
/// names costs a million look-ups, not a million searches.
#[derive(Default)]
pub(super) struct Names(Option<HashMap<String, String>>);

const INDEXED: usize = 16;

impl Names {
    /// The spelling under which `object` (the names so far) already has
    /// `key`; `None` when `key` is new, which the caller then adds to
    /// `object` (and which the index, once there is one, has recorded).
    pub fn earlier(&mut self, object: &Map<String, Value>, key: &str) -> Option<String> {
        if self.0.is_none() && object.len() < INDEXED {
            return object.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned();
        }
        let index = self.0.get_or_insert_with(|| {
            object
                .keys()
                .map(|k| (k.to_ascii_lowercase(), k.clone()))
                .collect()
        });
        match index.entry(key.to_ascii_lowercase()) {
            Entry::Occupied(first) => Some(first.get().clone()),
            Entry::Vacant(slot) => {
                slot.insert(key.to_string());
                None
            }
        }
    }
}

/// The problem of an object that names `key` again, first as `first`.
pub(super) fn duplicate(path: &Path, first: &str, key: &str) -> Problem {
    let message = if first == key {
        format!("duplicate attribute {key:?}")
    } else {
        format!("duplicate attribute {first:?} (also {key:?})")
    };
    Problem::at_path(path.render(), message)
}

/// Reads one JSON value at `path`, adding a problem to `problems` for
/// every attribute named twice in any of its objects.
pub(super) struct ValueSeed<'a> {
    pub path: &'a mut Path,
    pub problems: &'a mut Vec<Problem>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            self.path.0.push(Step::Index(items.len()));
            let item = seq.next_element_seed(ValueSeed {
                path: &mut *self.path,
                problems: &mut *self.problems,
            });
            self.path.0.pop();
            match item? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        let mut names = Names::default();
        while let Some(key) = map.next_key::<String>()? {
            let earlier = names.earlier(&object, &key);
            self.path.0.push(Step::Key(key));
            let value = map.next_value_seed(ValueSeed {
                path: &mut *self.path,
                problems: &mut *self.problems,
            });
            let Some(Step::Key(key)) = self.path.0.pop() else {
                return Err(A::Error::custom("the JSON path lost its place"));
            };
            let value = value?;
            match earlier {
                Some(first) => self.problems.push(duplicate(self.path, &first, &key)),
                None => {
                    object.insert(key, value);
                }
            }
        }
        Ok(Value::Object(object))
    }
}
