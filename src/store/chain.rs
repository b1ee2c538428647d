//! Verifying the audit chain: every event re-hashed in sequence order,
//! stopping at the first that does not match. SQLite reads on the calling
//! thread while a second thread hashes, so a million events cost the
//! slower of the two rather than their sum.

use super::events::{ChainBreak, ChainReport, Misdated};
use super::{Result, Store};
use crate::audit::{self, EventContent};
use std::ops::Range;
use std::sync::mpsc;

/// Events read per batch handed to the hashing thread.
const BATCH: usize = 2048;
/// Batches read ahead of the hashing thread.
const AHEAD: usize = 4;

/// How far an event's time may fall before the time of the event before
/// it. Several recert processes on one host append in sequence order, each
/// with the time it read before it took the write lock: one that waited
/// for another's transaction (the busy timeout is 30 s) commits after it
/// with an earlier time. Five minutes covers that and a clock stepped by
/// NTP, and is far less than any back-dating worth doing.
const SKEW_MS: i64 = 5 * 60 * 1000;

/// How many misdated events are kept in full; the rest are counted.
const KEPT_MISDATED: usize = 50;

/// Text columns of an event, in `EventBatch::text`.
#[derive(Clone, Copy)]
enum Column {
    Kind,
    Actor,
    ActorVia,
    At,
    Note,
    Body,
    PrevHash,
    Hash,
}

const TEXT_COLUMNS: [(Column, usize); 8] = [
    (Column::Kind, 1),
    (Column::Actor, 4),
    (Column::ActorVia, 10),
    (Column::At, 5),
    (Column::Note, 6),
    (Column::Body, 7),
    (Column::PrevHash, 8),
    (Column::Hash, 9),
];

struct ReadEvent {
    seq: i64,
    campaign: Option<i64>,
    item: Option<i64>,
    /// Byte ranges of the text columns; `None` for a NULL note or actor_via.
    text: [Option<Range<usize>>; 8],
}

/// Events with their text in one buffer: two allocations per batch
/// however many events it holds.
#[derive(Default)]
struct EventBatch {
    text: String,
    events: Vec<ReadEvent>,
}

impl EventBatch {
    fn get(&self, event: &ReadEvent, column: Column) -> Option<&str> {
        event.text[column as usize]
            .clone()
            .map(|range| &self.text[range])
    }

    fn str(&self, event: &ReadEvent, column: Column) -> &str {
        self.get(event, column).unwrap_or_default()
    }
}

/// The hashing side: checks events in order, remembering the last hash.
struct Checker {
    previous: String,
    count: u64,
    /// The previous event's time, in milliseconds, and its seq and text.
    previous_time: Option<(i64, i64, String)>,
    misdated: Vec<Misdated>,
    misdated_count: u64,
    /// The first event that recorded how its actor was established: every
    /// event after it must too.
    established_since: Option<i64>,
}

impl Checker {
    /// Checks a batch; the first break ends the walk.
    fn check(&mut self, batch: &EventBatch) -> Option<ChainBreak> {
        for event in &batch.events {
            let kind = || batch.str(event, Column::Kind).to_string();
            let expected_seq = self.count as i64 + 1;
            if event.seq != expected_seq {
                return Some(ChainBreak {
                    seq: event.seq,
                    kind: kind(),
                    fault: audit::Fault::Missing {
                        expected: expected_seq,
                        found: event.seq,
                    },
                });
            }
            let content = EventContent {
                seq: event.seq,
                kind: batch.str(event, Column::Kind),
                campaign: event.campaign,
                item: event.item,
                actor: batch.str(event, Column::Actor),
                actor_via: batch.get(event, Column::ActorVia),
                at: batch.str(event, Column::At),
                note: batch.get(event, Column::Note),
                body: batch.str(event, Column::Body),
            };
            let stored_hash = batch.str(event, Column::Hash);
            let stored_prev = batch.str(event, Column::PrevHash);
            if let Some(fault) = audit::check(&self.previous, &content, stored_prev, stored_hash) {
                return Some(ChainBreak {
                    seq: event.seq,
                    kind: kind(),
                    fault,
                });
            }
            match (content.actor_via, self.established_since) {
                (Some(_), None) => self.established_since = Some(event.seq),
                (None, Some(since)) => {
                    return Some(ChainBreak {
                        seq: event.seq,
                        kind: kind(),
                        fault: audit::Fault::Unestablished { since },
                    });
                }
                _ => {}
            }
            self.previous.clear();
            self.previous.push_str(stored_hash);
            self.count += 1;
            self.check_time(event.seq, content.kind, content.at);
        }
        None
    }
}

impl Checker {
    fn new() -> Checker {
        Checker {
            previous: audit::GENESIS.to_string(),
            count: 0,
            previous_time: None,
            established_since: None,
            misdated: Vec::new(),
            misdated_count: 0,
        }
    }

    /// Notes an event dated well before the event before it, or not dated.
    fn check_time(&mut self, seq: i64, kind: &str, at: &str) {
        let time = millis(at);
        let misdated = match (time, &self.previous_time) {
            (None, _) => Some(None),
            (Some(t), Some((before, before_seq, before_at))) if t < before - SKEW_MS => {
                Some(Some((*before_seq, before_at.clone())))
            }
            _ => None,
        };
        if let Some(previous) = misdated {
            self.misdated_count += 1;
            if self.misdated.len() < KEPT_MISDATED {
                self.misdated.push(Misdated {
                    seq,
                    kind: kind.to_string(),
                    at: at.to_string(),
                    previous,
                });
            }
        }
        if let Some(t) = time {
            match &mut self.previous_time {
                Some((time, before_seq, before_at)) => {
                    *time = t;
                    *before_seq = seq;
                    before_at.clear();
                    before_at.push_str(at);
                }
                None => self.previous_time = Some((t, seq, at.to_string())),
            }
        }
    }
}

/// Milliseconds since 1970 of an event's time. Recert writes
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, read here without a parser's cost (verify
/// reads a million); anything else RFC 3339 takes the parser.
fn millis(at: &str) -> Option<i64> {
    let b = at.as_bytes();
    let shape_ok = b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z';
    let digits = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let fast = shape_ok.then(|| {
        let (y, mo, d) = (digits(0, 4)?, digits(5, 7)?, digits(8, 10)?);
        let (h, mi, s, ms) = (
            digits(11, 13)?,
            digits(14, 16)?,
            digits(17, 19)?,
            digits(20, 23)?,
        );
        let date = chrono::NaiveDate::from_ymd_opt(y as i32, mo as u32, d as u32)?;
        (h < 24 && mi < 60 && s < 60).then_some(())?;
        let days = date
            .signed_duration_since(chrono::NaiveDate::default())
            .num_days();
        Some(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms)
    });
    match fast {
        Some(time) => time,
        None => chrono::DateTime::parse_from_rfc3339(at)
            .ok()
            .map(|t| t.timestamp_millis()),
    }
}

impl Store {
    /// Recomputes the whole chain in sequence order and stops at the first
    /// event that does not match.
    pub fn verify_chain(&self) -> Result<ChainReport> {
        let (send, receive) = mpsc::sync_channel::<EventBatch>(AHEAD);
        std::thread::scope(|scope| {
            let hasher = scope.spawn(move || {
                let mut checker = Checker::new();
                for batch in receive {
                    if let Some(first_break) = checker.check(&batch) {
                        // Dropping the receiver tells the reader to stop.
                        return (checker, Some(first_break));
                    }
                }
                (checker, None)
            });
            let read = self.read_events(&send);
            drop(send);
            let (checker, first_break) = hasher
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            // A break found stops the reader early; its error is moot then.
            if first_break.is_none() {
                read?;
            }
            Ok(ChainReport {
                events: checker.count,
                head: checker.previous,
                first_break,
                misdated: checker.misdated,
                misdated_count: checker.misdated_count,
            })
        })
    }

    /// Reads every event in sequence order into batches until the checker
    /// hangs up.
    fn read_events(&self, send: &mpsc::SyncSender<EventBatch>) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, kind, campaign, item, actor, at, note, body, prev_hash, hash, actor_via
             FROM event ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut batch = EventBatch::default();
        while let Some(row) = rows.next()? {
            let mut text: [Option<Range<usize>>; 8] = Default::default();
            for (column, index) in TEXT_COLUMNS {
                if let Some(value) = row
                    .get_ref(index)?
                    .as_str_or_null()
                    .map_err(rusqlite::Error::from)?
                {
                    let start = batch.text.len();
                    batch.text.push_str(value);
                    text[column as usize] = Some(start..batch.text.len());
                }
            }
            batch.events.push(ReadEvent {
                seq: row.get(0)?,
                campaign: row.get(2)?,
                item: row.get(3)?,
                text,
            });
            if batch.events.len() == BATCH {
                let full = std::mem::take(&mut batch);
                if send.send(full).is_err() {
                    return Ok(());
                }
            }
        }
        if !batch.events.is_empty() {
            let _ = send.send(batch);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::BATCH;
    use crate::audit::Fault;
    use crate::store::Store;
    use crate::store::events::{ChainWriter, NewEvent};

    /// A chain several batches long, appended as the store appends.
    fn long_chain() -> (Store, u64) {
        let store = Store::open_in_memory().unwrap();
        let events = (BATCH + BATCH / 2) as u64;
        let mut chain = ChainWriter::start(&store.conn).unwrap();
        for n in 0..events {
            let note = format!("event {n}");
            let event = NewEvent {
                kind: "test",
                campaign: None,
                item: None,
                actor: "tester@x",
                actor_via: "asserted",
                at: "2026-11-22T10:00:00.000Z",
                note: (n % 3 != 0).then_some(note.as_str()),
                body: "{}".into(),
            };
            chain.append(&store.conn, &event).unwrap();
        }
        (store, events)
    }

    fn tamper(store: &Store, sql: &str) {
        store
            .conn
            .execute_batch(&format!(
                "DROP TRIGGER event_no_update; DROP TRIGGER event_no_delete; {sql}"
            ))
            .unwrap();
    }

    #[test]
    fn an_intact_chain_across_batches_verifies_to_its_head() {
        let (store, events) = long_chain();
        let report = store.verify_chain().unwrap();
        assert_eq!(report.first_break, None);
        assert_eq!(report.events, events);
        assert_eq!((report.events, report.head), store.chain_head().unwrap());
    }

    #[test]
    fn the_first_break_is_found_in_a_later_batch() {
        let (store, _) = long_chain();
        let edited = BATCH as i64 + 7;
        tamper(
            &store,
            &format!(
                "UPDATE event SET note = 'rewritten' WHERE seq = {edited};
                 UPDATE event SET note = 'also rewritten' WHERE seq = {};",
                edited + 10
            ),
        );
        let report = store.verify_chain().unwrap();
        let first = report.first_break.unwrap();
        assert_eq!(first.seq, edited);
        assert!(matches!(first.fault, Fault::ContentMismatch { .. }));
        assert_eq!(report.events, edited as u64 - 1, "events before the break");
    }

    /// Events appended at the given times, as the store appends them.
    fn dated(times: &[&str]) -> Store {
        let store = Store::open_in_memory().unwrap();
        let mut chain = ChainWriter::start(&store.conn).unwrap();
        for at in times {
            let event = NewEvent {
                kind: "test",
                campaign: None,
                item: None,
                actor: "tester@x",
                actor_via: "asserted",
                at,
                note: None,
                body: "{}".into(),
            };
            chain.append(&store.conn, &event).unwrap();
        }
        store
    }

    #[test]
    fn times_may_fall_back_by_the_skew_but_no_further() {
        let within = dated(&[
            "2026-11-22T10:00:00.000Z",
            "2026-11-22T09:55:00.000Z",
            "2026-11-22T10:01:00Z",
            "2026-11-22T11:00:00+01:00",
        ]);
        let report = within.verify_chain().unwrap();
        assert_eq!((report.misdated, report.misdated_count), (vec![], 0));

        let beyond = dated(&[
            "2026-11-22T10:00:00.000Z",
            "2026-11-22T09:54:59.999Z",
            "2026-11-22T10:00:00.000Z",
            "yesterday",
            "2026-11-21T10:00:00.000Z",
        ]);
        let report = beyond.verify_chain().unwrap();
        assert_eq!(report.first_break, None, "the chain itself is intact");
        assert_eq!(report.misdated_count, 3);
        let seqs: Vec<i64> = report.misdated.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, [2, 4, 5], "compared with the dated event before");
        assert!(
            report.misdated[0]
                .to_string()
                .contains("before event 1's 2026-11-22T10:00:00.000Z")
        );
        assert!(
            report.misdated[1]
                .to_string()
                .contains("not a time recert writes")
        );
    }

    #[test]
    fn the_fast_reading_of_a_time_agrees_with_the_parser() {
        for at in [
            "1970-01-01T00:00:00.000Z",
            "2026-11-22T10:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "2100-12-31T12:34:56.789Z",
        ] {
            let parsed = chrono::DateTime::parse_from_rfc3339(at).unwrap();
            assert_eq!(super::millis(at), Some(parsed.timestamp_millis()), "{at}");
        }
        for odd in [
            "2026-13-01T00:00:00.000Z",
            "2026-11-22T24:00:00.000Z",
            "2026-11-22",
        ] {
            assert_eq!(super::millis(odd), None, "{odd}");
        }
    }

    #[test]
    fn a_deleted_event_is_missing_and_breaks_nothing_earlier() {
        let (store, _) = long_chain();
        tamper(&store, "DELETE FROM event WHERE seq = 3000");
        let first = store.verify_chain().unwrap().first_break.unwrap();
        assert_eq!(first.seq, 3001);
        assert_eq!(
            first.fault,
            Fault::Missing {
                expected: 3000,
                found: 3001
            }
        );
    }
}
