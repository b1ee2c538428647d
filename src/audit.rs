//! The audit log's hash chain. Every event's hash covers a canonical
//! serialisation of its content (sequence number included, so reordering
//! shows) and the previous event's hash, so that editing, deleting,
//! inserting or reordering any event breaks every hash after it. Also the
//! encoding of typed values that the digests of campaigns' items and of
//! imports' rows hash, so that it is defined once, apart from storage.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Version of the serialisation below; bump it only with a migration that
/// knows how to verify both. Format 1 events say who acted; format 2 events
/// also say how that person was established (`actor_via`), which every
/// event has recorded since schema 7. An event's format follows from
/// whether it has `actor_via`, and the format is hashed, so one cannot be
/// passed off as the other.
const FORMAT: u32 = 1;
const FORMAT_ESTABLISHED: u32 = 2;

/// The hashed content of one event.
#[derive(Clone, Copy, Debug)]
pub struct EventContent<'a> {
    pub seq: i64,
    pub kind: &'a str,
    pub campaign: Option<i64>,
    pub item: Option<i64>,
    pub actor: &'a str,
    /// How the actor was established (`asserted`, `os_user:…`, `ssh_key:…`);
    /// `None` on events recorded before recert kept it.
    pub actor_via: Option<&'a str>,
    pub at: &'a str,
    pub note: Option<&'a str>,
    pub body: &'a str,
}

/// SHA-256, hex-encoded, of the event's canonical form chained to `prev_hash`.
pub fn event_hash(prev_hash: &str, event: &EventContent<'_>) -> String {
    let mut canonical = Vec::with_capacity(256 + event.body.len());
    canonical_form(&mut canonical, prev_hash, event);
    hex(&Sha256::digest(&canonical))
}

/// The canonical form: a compact JSON array (`actor_via` after the actor
/// in format 2), which encodes strings (quoted
/// and escaped) and absent values (null) unambiguously without a
/// hand-written format. Written straight into `out`, byte for byte what
/// `serde_json` makes of the same array, because verify hashes every event.
fn canonical_form(out: &mut Vec<u8>, prev_hash: &str, event: &EventContent<'_>) {
    use std::io::Write;
    fn text(out: &mut Vec<u8>, value: Option<&str>) {
        match value {
            // Most text needs no escaping, and copying it is what JSON
            // would write; serde_json escapes exactly these bytes.
            Some(v) if !v.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') => {
                out.push(b'"');
                out.extend_from_slice(v.as_bytes());
                out.push(b'"');
            }
            // Writing a string into a Vec cannot fail.
            Some(v) => serde_json::to_writer(&mut *out, v).unwrap_or_default(),
            None => out.extend_from_slice(b"null"),
        }
    }
    fn number(out: &mut Vec<u8>, value: Option<i64>) {
        match value {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.extend_from_slice(b"null"),
        }
    }
    let format = match event.actor_via {
        Some(_) => FORMAT_ESTABLISHED,
        None => FORMAT,
    };
    let _ = write!(out, "[{format},{},", event.seq);
    text(out, Some(event.kind));
    out.push(b',');
    number(out, event.campaign);
    out.push(b',');
    number(out, event.item);
    out.push(b',');
    text(out, Some(event.actor));
    out.push(b',');
    if let Some(via) = event.actor_via {
        text(out, Some(via));
        out.push(b',');
    }
    text(out, Some(event.at));
    out.push(b',');
    text(out, event.note);
    out.push(b',');
    text(out, Some(event.body));
    out.push(b',');
    text(out, Some(prev_hash));
    out.push(b']');
}

/// Lower-case hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

/// SHA-256 of a byte string, hex-encoded.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// One value of what a digest covers: an item's fields and evidence, a
/// row an import wrote. These are the typed values recert stores; real
/// numbers and bytes it never writes, but should a file hold one, its own
/// tag makes it differ from anything recert wrote.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Integer(i64),
    /// Text as stored: UTF-8 when recert wrote it, hashed as found when read.
    Text(&'a [u8]),
    Real(f64),
    Bytes(&'a [u8]),
}

impl<'a> Value<'a> {
    pub fn text(text: &'a str) -> Value<'a> {
        Value::Text(text.as_bytes())
    }
}

/// Appends `value` in the encoding that campaign and import digests hash:
/// a tag (`n`, `i`, `t`, `r`, `b`), then a number's 8 bytes little-endian,
/// or a text's (bytes') length as 8 bytes little-endian and the bytes
/// themselves. Tagged and length-prefixed, so that no two different
/// sequences of values encode alike. Every digest ever recorded rests on
/// these bytes: they never change.
#[inline]
pub fn encode(out: &mut Vec<u8>, value: Value<'_>) {
    match value {
        Value::Null => out.push(b'n'),
        Value::Integer(n) => {
            out.push(b'i');
            out.extend_from_slice(&n.to_le_bytes());
        }
        Value::Text(text) => length_prefixed(out, b't', text),
        Value::Real(f) => {
            out.push(b'r');
            out.extend_from_slice(&f.to_le_bytes());
        }
        Value::Bytes(bytes) => length_prefixed(out, b'b', bytes),
    }
}

#[inline]
fn length_prefixed(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// What is wrong with one event of a chain, if anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Its `prev_hash` is not the hash of the event before it: an event
    /// before it was removed, inserted or moved.
    BrokenLink { expected: String, found: String },
    /// Its stored hash does not match its content: it was edited.
    ContentMismatch { expected: String, found: String },
    /// Sequence numbers are dense from 1: a gap before it (events
    /// `expected` up to its own number) means events were deleted.
    Missing { expected: i64, found: i64 },
    /// It does not say how its actor was established, though events since
    /// `since` do: recert records it on every event, so something else
    /// appended this one in the older format.
    Unestablished { since: i64 },
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::BrokenLink { expected, found } => write!(
                f,
                "its link to the previous event is broken (expected prev_hash {}…, found {}…): \
                 an event before it was deleted, inserted or reordered",
                &expected[..expected.len().min(12)],
                &found[..found.len().min(12)]
            ),
            Fault::ContentMismatch { expected, found } => write!(
                f,
                "its content does not match its hash (computed {}…, stored {}…): it was edited",
                &expected[..expected.len().min(12)],
                &found[..found.len().min(12)]
            ),
            Fault::Missing { expected, found } if *found == expected + 1 => {
                write!(f, "event {expected} before it is missing: it was deleted")
            }
            Fault::Missing { expected, found } => write!(
                f,
                "events {expected} to {} before it are missing: they were deleted",
                found - 1
            ),
            Fault::Unestablished { since } => write!(
                f,
                "it does not record how its actor was established, though every event since \
                 {since} does: it was appended by something other than recert"
            ),
        }
    }
}

/// Checks one event against the hash of the event before it.
pub fn check(
    previous_hash: &str,
    event: &EventContent<'_>,
    stored_prev: &str,
    stored_hash: &str,
) -> Option<Fault> {
    if stored_prev != previous_hash {
        return Some(Fault::BrokenLink {
            expected: previous_hash.to_string(),
            found: stored_prev.to_string(),
        });
    }
    let expected = event_hash(stored_prev, event);
    (expected != stored_hash).then(|| Fault::ContentMismatch {
        expected,
        found: stored_hash.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, note: Option<&'static str>) -> EventContent<'static> {
        EventContent {
            seq,
            kind: "attest",
            campaign: Some(1),
            item: Some(7),
            actor: "a@x",
            actor_via: None,
            at: "2026-11-22T10:00:00Z",
            note,
            body: "{}",
        }
    }

    #[test]
    fn hashes_are_stable_and_cover_every_field() {
        let base = event_hash(GENESIS, &event(1, Some("ok")));
        assert_eq!(base.len(), 64);
        assert_eq!(base, event_hash(GENESIS, &event(1, Some("ok"))));
        assert_ne!(base, event_hash(GENESIS, &event(2, Some("ok"))));
        assert_ne!(base, event_hash(GENESIS, &event(1, Some("ok "))));
        assert_ne!(base, event_hash(GENESIS, &event(1, None)));
        assert_ne!(base, event_hash(&base, &event(1, Some("ok"))));
        let established = |via| EventContent {
            actor_via: Some(via),
            ..event(1, Some("ok"))
        };
        assert_ne!(base, event_hash(GENESIS, &established("asserted")));
        assert_ne!(
            event_hash(GENESIS, &established("asserted")),
            event_hash(GENESIS, &established("os_user:a"))
        );
    }

    #[test]
    fn the_canonical_form_is_the_json_array_of_the_fields() {
        let tricky = EventContent {
            seq: 12,
            kind: "attest",
            campaign: None,
            item: Some(-3),
            actor: "Zoë \"quoted\" \\ 東京",
            actor_via: Some("ssh_key:SHA256:a+b/c"),
            at: "2026-11-22T10:00:00.000Z",
            note: Some("line\nbreak \u{1b}[2J \u{7f} \u{2028}"),
            body: "{\"a\":[1,\"x\"]}",
        };
        let every_ascii: Vec<String> = (0u8..0x80).map(|b| format!("a{}b", b as char)).collect();
        let singles = every_ascii.iter().map(|text| EventContent {
            note: Some(text),
            ..event(3, None)
        });
        for event in [tricky, event(1, None), event(2, Some("ok"))]
            .into_iter()
            .chain(singles)
        {
            let mut fast = Vec::new();
            canonical_form(&mut fast, GENESIS, &event);
            let reference = match event.actor_via {
                None => serde_json::json!([
                    FORMAT,
                    event.seq,
                    event.kind,
                    event.campaign,
                    event.item,
                    event.actor,
                    event.at,
                    event.note,
                    event.body,
                    GENESIS,
                ]),
                Some(via) => serde_json::json!([
                    FORMAT_ESTABLISHED,
                    event.seq,
                    event.kind,
                    event.campaign,
                    event.item,
                    event.actor,
                    via,
                    event.at,
                    event.note,
                    event.body,
                    GENESIS,
                ]),
            }
            .to_string();
            assert_eq!(String::from_utf8(fast).unwrap(), reference);
        }
    }

    #[test]
    fn check_names_the_kind_of_fault() {
        let e = event(1, Some("ok"));
        let h = event_hash(GENESIS, &e);
        assert_eq!(check(GENESIS, &e, GENESIS, &h), None);
        let edited = event(1, Some("changed"));
        assert!(matches!(
            check(GENESIS, &edited, GENESIS, &h),
            Some(Fault::ContentMismatch { .. })
        ));
        assert!(matches!(
            check(&h, &e, GENESIS, &h),
            Some(Fault::BrokenLink { .. })
        ));
    }

    #[test]
    fn missing_events_are_counted_in_the_message() {
        let one = Fault::Missing {
            expected: 4,
            found: 5,
        };
        assert_eq!(
            one.to_string(),
            "event 4 before it is missing: it was deleted"
        );
        let many = Fault::Missing {
            expected: 1,
            found: 9,
        };
        assert!(
            many.to_string()
                .starts_with("events 1 to 8 before it are missing")
        );
    }

    /// The bytes every recorded campaign and import digest was computed
    /// over, pinned.
    #[test]
    fn values_encode_tagged_and_length_prefixed() {
        let mut out = Vec::new();
        for value in [
            Value::Null,
            Value::Integer(-2),
            Value::text("Zoë"),
            Value::Real(1.5),
            Value::Bytes(b"\x00"),
        ] {
            encode(&mut out, value);
        }
        let mut expected = b"n".to_vec();
        expected.extend(b"i\xfe\xff\xff\xff\xff\xff\xff\xff");
        expected.extend(b"t\x04\0\0\0\0\0\0\0Zo\xc3\xab");
        expected.extend(b"r\0\0\0\0\0\0\xf8\x3f");
        expected.extend(b"b\x01\0\0\0\0\0\0\0\0");
        assert_eq!(out, expected);
    }

    #[test]
    fn hex_encodes_lower_case() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
