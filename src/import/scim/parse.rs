//! Reading SCIM ListResponses: the `Resources` array is walked one
//! resource at a time (the document is never held whole), and each
//! resource becomes a compact [`User`] or [`Group`], or problems at JSON
//! paths. Attribute names match regardless of case (RFC 7643 §2.1), and
//! an object that names one twice is refused (see [`super::json`]).

use super::classify_user_type;
use super::json::{Names, Path, ValueSeed, duplicate};
use crate::domain::{IdentityKind, Relationship};
use crate::import::{MAX_FIELD_BYTES, Problem};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::Read;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(super) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Where a resource came from: its file and its place in `Resources`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Origin {
    pub file: usize,
    pub index: usize,
}

impl Origin {
    pub fn path(&self) -> String {
        format!("$.Resources[{}]", self.index)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Manager {
    pub value: Option<String>,
    pub display: Option<String>,
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct User {
    pub origin: Origin,
    pub id: String,
    pub user_name: String,
    pub display: String,
    pub email: Option<String>,
    pub kind: IdentityKind,
    pub relationship: Relationship,
    pub organization: Option<String>,
    pub manager: Option<Manager>,
    pub active: Option<bool>,
    /// The user's own `groups`: (group id, display).
    pub groups: Vec<(Option<String>, Option<String>)>,
    pub entitlements: Vec<String>,
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Member {
    pub value: String,
    /// `User` or `Group` as the file says, lower-cased; `None` when absent.
    pub kind: Option<String>,
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Group {
    pub origin: Origin,
    pub id: String,
    pub display: String,
    pub members: Vec<Member>,
}

/// What one file held.
#[derive(Debug, Default)]
pub(super) struct FileContents {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub total_results: Option<u64>,
    pub resources: usize,
    pub problems: Vec<Problem>,
}

/// Reads one ListResponse file. Syntax errors stop the file (located by
/// line and column); problems with resources are collected per path.
pub(super) fn read_file<R: Read>(file: usize, input: R) -> FileContents {
    let mut contents = FileContents::default();
    let input = match skip_bom(input) {
        Ok(input) => input,
        Err(e) => {
            contents
                .problems
                .push(Problem::at_path("", format!("cannot read: {e}")));
            return contents;
        }
    };
    let mut total: Option<Value> = None;
    let mut saw_resources = false;
    let mut top_problems = Vec::new();
    let mut de = serde_json::Deserializer::from_reader(input);
    let outcome = {
        let mut on_resource = |index: usize, value: Value, duplicates: Vec<Problem>| {
            contents.resources += 1;
            contents.problems.extend(duplicates);
            resource(Origin { file, index }, value, &mut contents);
        };
        let seed = ListSeed {
            on_resource: &mut on_resource,
            total: &mut total,
            saw_resources: &mut saw_resources,
            problems: &mut top_problems,
        };
        seed.deserialize(&mut de).and_then(|()| de.end())
    };
    contents.problems.extend(top_problems);
    if let Err(e) = outcome {
        contents.problems.push(json_problem(&e));
        return contents;
    }
    match total {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) if n.as_u64().is_some() => contents.total_results = n.as_u64(),
        Some(other) => contents.problems.push(Problem::at_path(
            "$.totalResults",
            format!("expected a whole number, found {other}"),
        )),
    }
    if !saw_resources && contents.total_results.unwrap_or(0) > 0 {
        contents.problems.push(Problem::at_path(
            "$.Resources",
            "required when totalResults is not 0: this is not a SCIM ListResponse",
        ));
    }
    contents
}

/// The input without a leading UTF-8 byte order mark, which Windows tools
/// write and JSON parsers refuse (RFC 8259 §8.1 lets a reader ignore it).
fn skip_bom<R: Read>(mut input: R) -> std::io::Result<impl Read> {
    let mut head = [0u8; 3];
    let mut filled = 0;
    while filled < head.len() {
        match input.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let keep = if head[..filled] == [0xEF, 0xBB, 0xBF] {
        0
    } else {
        filled
    };
    Ok(std::io::Cursor::new(head).take(keep as u64).chain(input))
}

/// A JSON error at its line and column.
fn json_problem(e: &serde_json::Error) -> Problem {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(cut) => &text[..cut],
        None => &text,
    };
    let what = match e.classify() {
        serde_json::error::Category::Io => "cannot read",
        serde_json::error::Category::Eof => "the JSON ends early",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "not a SCIM ListResponse",
    };
    Problem {
        location: format!("{}:{}", e.line(), e.column()),
        field: String::new(),
        message: format!("{what}: {message}"),
    }
}

/// A resource's place in `Resources`, its value, and the attributes it
/// names twice.
trait OnResource: FnMut(usize, Value, Vec<Problem>) {}
impl<F: FnMut(usize, Value, Vec<Problem>)> OnResource for F {}

struct ListSeed<'a, F: OnResource> {
    on_resource: &'a mut F,
    total: &'a mut Option<Value>,
    saw_resources: &'a mut bool,
    /// Attributes of the ListResponse itself named twice.
    problems: &'a mut Vec<Problem>,
}

impl<'de, F: OnResource> DeserializeSeed<'de> for ListSeed<'_, F> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: OnResource> Visitor<'de> for ListSeed<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a ListResponse object with a Resources array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // The names so far (their values are not kept), to refuse a second
        // `Resources` rather than read both, or a second `totalResults`.
        let mut seen = Map::new();
        let mut names = Names::default();
        while let Some(key) = map.next_key::<String>()? {
            if let Some(first) = names.earlier(&seen, &key) {
                self.problems
                    .push(duplicate(&Path::default(), &first, &key));
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            seen.insert(key.clone(), Value::Null);
            if key.eq_ignore_ascii_case("Resources") {
                *self.saw_resources = true;
                map.next_value_seed(ResourcesSeed {
                    on_resource: &mut *self.on_resource,
                })?;
            } else if key.eq_ignore_ascii_case("totalResults") {
                *self.total = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct ResourcesSeed<'a, F: OnResource> {
    on_resource: &'a mut F,
}

impl<'de, F: OnResource> DeserializeSeed<'de> for ResourcesSeed<'_, F> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: OnResource> Visitor<'de> for ResourcesSeed<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resources as an array of resources")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            let mut path = Path::resource(index);
            let mut duplicates = Vec::new();
            let seed = ValueSeed {
                path: &mut path,
                problems: &mut duplicates,
            };
            let Some(value) = seq.next_element_seed(seed)? else {
                break;
            };
            (self.on_resource)(index, value, duplicates);
            index += 1;
        }
        Ok(())
    }
}

/// An attribute by name, ignoring case, with the key as the file spells it.
fn get<'a>(object: &'a Map<String, Value>, name: &str) -> Option<(&'a str, &'a Value)> {
    object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(key, value)| (key.as_str(), value))
        .filter(|(_, value)| !value.is_null())
}

pub(super) fn child(path: &str, key: &str) -> String {
    if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        format!("{path}.{key}")
    } else {
        format!("{path}[{key:?}]")
    }
}

/// A string attribute: trimmed, `None` when absent or empty.
fn string(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let (key, value) = get(object, name)?;
    text(value, &child(path, key), problems)
}

fn text(value: &Value, path: &str, problems: &mut Vec<Problem>) -> Option<String> {
    let Value::String(s) = value else {
        problems.push(Problem::at_path(
            path,
            format!("expected a string, found {value}"),
        ));
        return None;
    };
    if s.len() > MAX_FIELD_BYTES {
        problems.push(Problem::at_path(
            path,
            format!(
                "{} bytes is longer than the {MAX_FIELD_BYTES} allowed",
                s.len()
            ),
        ));
        return None;
    }
    if s.contains('\0') {
        problems.push(Problem::at_path(path, "contains a NUL byte"));
        return None;
    }
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// A multi-valued attribute's elements with their paths. A bare string
/// element is taken as `{"value": …}`, which some providers send.
fn multi(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Vec<(String, Map<String, Value>)> {
    let Some((key, value)) = get(object, name) else {
        return Vec::new();
    };
    let path = child(path, key);
    let Value::Array(items) = value else {
        problems.push(Problem::at_path(
            path,
            format!("expected an array, found {value}"),
        ));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{n}]");
        match item {
            Value::Object(map) => out.push((item_path, map.clone())),
            Value::String(_) => {
                let mut map = Map::new();
                map.insert("value".into(), item.clone());
                out.push((item_path, map));
            }
            other => problems.push(Problem::at_path(
                item_path,
                format!("expected an object, found {other}"),
            )),
        }
    }
    out
}

fn boolean(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<bool> {
    let (key, value) = get(object, name)?;
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        other => {
            problems.push(Problem::at_path(
                child(path, key),
                format!("expected true or false, found {other}"),
            ));
            None
        }
    }
}

fn has_schema(object: &Map<String, Value>, schema: &str) -> bool {
    matches!(get(object, "schemas"), Some((_, Value::Array(list)))
        if list.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema))))
}

fn resource_type(object: &Map<String, Value>) -> Option<String> {
    match get(object, "meta") {
        Some((_, Value::Object(meta))) => match get(meta, "resourceType") {
            Some((_, Value::String(t))) => Some(t.to_ascii_lowercase()),
            _ => None,
        },
        _ => None,
    }
}

fn resource(origin: Origin, value: Value, out: &mut FileContents) {
    let path = origin.path();
    let Value::Object(object) = value else {
        out.problems.push(Problem::at_path(
            path,
            format!("expected a User or Group object, found {value}"),
        ));
        return;
    };
    let kind = resource_type(&object);
    if has_schema(&object, USER_SCHEMA) || kind.as_deref() == Some("user") {
        user(origin, &object, out);
    } else if has_schema(&object, GROUP_SCHEMA) || kind.as_deref() == Some("group") {
        group(origin, &object, out);
    } else if get(&object, "userName").is_some() {
        user(origin, &object, out);
    } else {
        out.problems.push(Problem::at_path(
            child(&path, "schemas"),
            "neither a User nor a Group: no core schema URN, meta.resourceType or userName",
        ));
    }
}

fn user(origin: Origin, object: &Map<String, Value>, out: &mut FileContents) {
    let path = origin.path();
    let p = &mut out.problems;
    let id = string(object, "id", &path, p);
    let user_name = string(object, "userName", &path, p);
    if id.is_none() {
        p.push(Problem::at_path(
            child(&path, "id"),
            "a user needs its id: group members and managers refer to it",
        ));
    }
    if user_name.is_none() {
        p.push(Problem::at_path(
            child(&path, "userName"),
            "a user needs a userName (RFC 7643 §4.1)",
        ));
    }
    let display = string(object, "displayName", &path, p).or_else(|| {
        let (key, name) = get(object, "name")?;
        let Value::Object(name) = name else {
            return None;
        };
        let name_path = child(&path, key);
        string(name, "formatted", &name_path, p).or_else(|| {
            let parts: Vec<String> = ["givenName", "familyName"]
                .iter()
                .filter_map(|part| string(name, part, &name_path, p))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
    });
    let user_type = string(object, "userType", &path, p);
    let (kind, relationship) = classify_user_type(user_type.as_deref());
    let active = boolean(object, "active", &path, p);
    // The primary address, else the first: a guest's userName is often a
    // UPN, and the e-mail is what identifies the person across tenants.
    let emails: Vec<(Option<String>, bool)> = multi(object, "emails", &path, p)
        .iter()
        .map(|(item_path, item)| {
            (
                string(item, "value", item_path, p),
                boolean(item, "primary", item_path, p).unwrap_or(false),
            )
        })
        .collect();
    let email = emails
        .iter()
        .find(|(value, primary)| *primary && value.is_some())
        .or_else(|| emails.iter().find(|(value, _)| value.is_some()))
        .and_then(|(value, _)| value.clone());
    let values_of = |name: &str, what: &str, p: &mut Vec<Problem>| -> Vec<String> {
        multi(object, name, &path, p)
            .into_iter()
            .filter_map(|(item_path, item)| {
                let value = string(&item, "value", &item_path, p);
                if value.is_none() {
                    p.push(Problem::at_path(
                        child(&item_path, "value"),
                        format!("{what} needs a value"),
                    ));
                }
                value
            })
            .collect()
    };
    let entitlements = values_of("entitlements", "an entitlement", p);
    let roles = values_of("roles", "a role", p);
    let groups = multi(object, "groups", &path, p)
        .into_iter()
        .filter_map(|(item_path, item)| {
            let value = string(&item, "value", &item_path, p);
            let display = string(&item, "display", &item_path, p);
            if value.is_none() && display.is_none() {
                p.push(Problem::at_path(
                    child(&item_path, "value"),
                    "a group membership needs the group's id",
                ));
                return None;
            }
            Some((value, display))
        })
        .collect();
    let mut organization = None;
    let mut manager = None;
    if let Some((key, extension)) = get(object, ENTERPRISE) {
        let ext_path = child(&path, key);
        match extension {
            Value::Object(ext) => {
                organization = string(ext, "organization", &ext_path, p);
                if let Some((key, value)) = get(ext, "manager") {
                    let manager_path = child(&ext_path, key);
                    manager = match value {
                        Value::Object(m) => Some(Manager {
                            value: string(m, "value", &manager_path, p),
                            display: string(m, "displayName", &manager_path, p),
                            path: child(&manager_path, "value"),
                        }),
                        Value::String(_) => Some(Manager {
                            value: text(value, &manager_path, p),
                            display: None,
                            path: manager_path,
                        }),
                        other => {
                            p.push(Problem::at_path(
                                manager_path,
                                format!("expected an object, found {other}"),
                            ));
                            None
                        }
                    }
                    .filter(|m| m.value.is_some() || m.display.is_some());
                }
            }
            other => p.push(Problem::at_path(
                ext_path,
                format!("expected an object, found {other}"),
            )),
        }
    }
    let (Some(id), Some(user_name)) = (id, user_name) else {
        return;
    };
    out.users.push(User {
        origin,
        display: display.unwrap_or_else(|| user_name.clone()),
        id,
        user_name,
        email,
        kind,
        relationship,
        organization,
        manager,
        active,
        groups,
        entitlements,
        roles,
    });
}

fn group(origin: Origin, object: &Map<String, Value>, out: &mut FileContents) {
    let path = origin.path();
    let p = &mut out.problems;
    let id = string(object, "id", &path, p);
    let display = string(object, "displayName", &path, p);
    if id.is_none() {
        p.push(Problem::at_path(
            child(&path, "id"),
            "a group needs its id: users and nested groups refer to it",
        ));
    }
    if display.is_none() {
        p.push(Problem::at_path(
            child(&path, "displayName"),
            "a group needs a displayName (RFC 7643 §4.2)",
        ));
    }
    let members = multi(object, "members", &path, p)
        .into_iter()
        .filter_map(|(item_path, item)| {
            let value = string(&item, "value", &item_path, p);
            let kind = string(&item, "type", &item_path, p).map(|t| t.to_ascii_lowercase());
            let value_path = child(&item_path, "value");
            if value.is_none() {
                p.push(Problem::at_path(
                    &value_path,
                    "a member needs the id of its user or group",
                ));
            }
            Some(Member {
                value: value?,
                kind,
                path: value_path,
            })
        })
        .collect();
    let (Some(id), Some(display)) = (id, display) else {
        return;
    };
    out.groups.push(Group {
        origin,
        id,
        display,
        members,
    });
}
