//! The facts an item row reads from its decision's JSON body (ticket,
//! self-review, bulk, time on screen, close action, a rotate's date), remembered by body
//! for one pass over many rows. A campaign decided in bulk repeats a few thousand bodies (one per
//! reviewer, recommendation and flag) across a million items, and parsing
//! them was a tenth of a report's work. A body is looked up by its whole
//! text, so a remembered answer is exactly what parsing would give.

use foldhash::HashMap;
use serde::Deserialize;

/// Bodies remembered per reader, and their bytes: a few MB at most, however
/// long a ticket. Past either, bodies are parsed every time, as a campaign
/// of mostly unique bodies (each with its own time on screen) needs.
const MAX_BODIES: usize = 16_384;
const MAX_BODY_BYTES: usize = 4 << 20;

/// The facts an item row needs from its decision body: owned as parsed and
/// remembered, `BodyFacts<&str>` as handed to a reader.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub(super) struct BodyFacts<S = String> {
    #[serde(default)]
    pub ticket: Option<S>,
    #[serde(default)]
    pub self_review: bool,
    #[serde(default)]
    pub bulk: bool,
    #[serde(default)]
    pub against_recommendation: bool,
    #[serde(default)]
    pub seconds_on_screen: Option<f64>,
    #[serde(default)]
    pub close_action: Option<S>,
    /// The reviewer someone else decided for, and in what capacity.
    #[serde(default)]
    pub on_behalf_of: Option<S>,
    #[serde(default)]
    pub override_of: Option<S>,
    #[serde(default)]
    pub delegate_for: Option<S>,
    /// A rotate's last day, as the body wrote it (`YYYY-MM-DD`).
    #[serde(default)]
    pub by: Option<S>,
}

impl BodyFacts {
    /// What a body that is not the JSON recert writes stands for: no facts,
    /// as the joined report has always shown it.
    fn parse(body: &str) -> BodyFacts {
        serde_json::from_str(body).unwrap_or_default()
    }

    fn borrowed(&self) -> BodyFacts<&str> {
        BodyFacts {
            ticket: self.ticket.as_deref(),
            self_review: self.self_review,
            bulk: self.bulk,
            against_recommendation: self.against_recommendation,
            seconds_on_screen: self.seconds_on_screen,
            close_action: self.close_action.as_deref(),
            on_behalf_of: self.on_behalf_of.as_deref(),
            override_of: self.override_of.as_deref(),
            delegate_for: self.delegate_for.as_deref(),
            by: self.by.as_deref(),
        }
    }
}

/// Facts by body, for one pass over a campaign's items.
#[derive(Default)]
pub(super) struct BodyMemo {
    /// Where in `facts` a body's are, by the body's bytes, each checked as
    /// UTF-8 before it was kept.
    index: HashMap<Box<[u8]>, usize>,
    facts: Vec<BodyFacts>,
    bytes: usize,
    /// The facts of the last body parsed but not kept: what the caller
    /// borrows until it asks for the next.
    spare: BodyFacts,
}

impl BodyMemo {
    /// The facts of `body`, as it is stored: bytes that are UTF-8 unless
    /// the database was edited by hand. A remembered body was checked when
    /// it was first seen, so a repeat is not checked again.
    pub fn facts(&mut self, body: &[u8]) -> Result<BodyFacts<&str>, std::str::Utf8Error> {
        if let Some(&at) = self.index.get(body) {
            return Ok(self
                .facts
                .get(at)
                .map(BodyFacts::borrowed)
                .unwrap_or_default());
        }
        let parsed = BodyFacts::parse(std::str::from_utf8(body)?);
        if self.facts.len() < MAX_BODIES && self.bytes + body.len() <= MAX_BODY_BYTES {
            self.bytes += body.len();
            self.index.insert(body.into(), self.facts.len());
            self.facts.push(parsed);
            return Ok(self
                .facts
                .last()
                .map(BodyFacts::borrowed)
                .unwrap_or_default());
        }
        self.spare = parsed;
        Ok(self.spare.borrowed())
    }
}

#[cfg(test)]
mod tests {
    use super::{BodyFacts, BodyMemo, MAX_BODIES, MAX_BODY_BYTES};

    const DECIDED: &str = r#"{"assigned_to":"a@x","recommendation":"revoke","against_recommendation":true,"self_review":false,"bulk":true,"seconds_on_screen":2.5}"#;
    const EXCEPTION: &str = r#"{"until":"2027-01-31","ticket":"CHG-\"7\"","assigned_to":"a@x","recommendation":"keep","against_recommendation":false,"self_review":true,"bulk":false}"#;
    const ROTATE: &str = r#"{"by":"2027-01-15","assigned_to":"a@x","recommendation":"rotate_or_revoke","against_recommendation":false,"self_review":false,"bulk":false}"#;
    const CLOSED: &str = r#"{"assigned_to":"b@x","recommendation":"keep","against_recommendation":false,"self_review":false,"bulk":false,"close_action":"keep"}"#;

    #[test]
    fn remembered_facts_are_the_parsed_ones() {
        let mut memo = BodyMemo::default();
        for body in [DECIDED, EXCEPTION, ROTATE, CLOSED, "not json", "{}"] {
            let parsed = BodyFacts::parse(body);
            assert_eq!(
                memo.facts(body.as_bytes()).unwrap(),
                parsed.borrowed(),
                "first: {body}"
            );
            assert_eq!(
                memo.facts(body.as_bytes()).unwrap(),
                parsed.borrowed(),
                "again: {body}"
            );
        }
        let exception = memo.facts(EXCEPTION.as_bytes()).unwrap();
        assert_eq!(exception.ticket, Some("CHG-\"7\""));
        assert!(exception.self_review && !exception.bulk);
        let closed = memo.facts(CLOSED.as_bytes()).unwrap();
        assert_eq!(closed.close_action, Some("keep"));
        let decided = memo.facts(DECIDED.as_bytes()).unwrap();
        assert!(decided.against_recommendation && decided.bulk);
        assert_eq!(decided.seconds_on_screen, Some(2.5));
        assert_eq!(decided.by, None);
        assert_eq!(
            memo.facts(ROTATE.as_bytes()).unwrap().by,
            Some("2027-01-15")
        );
    }

    #[test]
    fn bodies_that_are_not_utf8_are_refused_first_time_and_every_time() {
        let mut memo = BodyMemo::default();
        let broken = b"{\"ticket\":\"\xff\"}";
        assert!(memo.facts(broken).is_err());
        assert!(memo.facts(broken).is_err());
    }

    #[test]
    fn a_full_memo_still_answers_for_bodies_it_does_not_keep() {
        let mut memo = BodyMemo::default();
        for n in 0..MAX_BODIES {
            let body = format!(r#"{{"seconds_on_screen":{n}}}"#);
            memo.facts(body.as_bytes()).unwrap();
        }
        assert_eq!(memo.index.len(), MAX_BODIES);
        let facts = memo.facts(EXCEPTION.as_bytes()).unwrap();
        assert_eq!(facts, BodyFacts::parse(EXCEPTION).borrowed());
        assert_eq!(memo.index.len(), MAX_BODIES, "kept no more");
    }

    #[test]
    fn long_bodies_are_kept_only_up_to_the_byte_bound() {
        let mut memo = BodyMemo::default();
        let ticket = "x".repeat(MAX_BODY_BYTES / 3);
        for n in 0..4 {
            let body = format!(r#"{{"ticket":"{n}{ticket}"}}"#);
            let facts = memo.facts(body.as_bytes()).unwrap();
            assert_eq!(facts.ticket, Some(format!("{n}{ticket}").as_str()));
        }
        assert_eq!(memo.index.len(), 2, "a third would pass the bound");
        assert!(memo.bytes <= MAX_BODY_BYTES);
    }
}
