//! Work put off until the frame is drawn: the slow reads, handed to the
//! background reader when there is one (or run between keys on the
//! console's own connection when there is none), and the store's idle
//! maintenance after writes. Only the newest request of each kind counts,
//! and an answer read before the console's latest write is asked for again
//! rather than shown, so a count never goes back to what it was before a
//! decision.

use super::effects::{Answer, Gone, Job, Kind, Worker};
use super::message::{Effect, Msg};
use crate::store::ItemQuery;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// How long a pause in typing is, before a search reads its results.
pub const TYPING_PAUSE: Duration = Duration::from_millis(150);

/// How often the event loop looks for answers while the worker reads.
pub const ANSWER_POLL: Duration = Duration::from_millis(5);

/// A job the worker has, whose answer is still wanted.
#[derive(Debug)]
struct Awaited {
    ticket: u64,
    /// The console's writes when it was sent: its answer may predate any
    /// write after those.
    writes: u64,
    effect: Effect,
}

#[derive(Default)]
pub struct Deferred {
    /// Effects waiting for the frame to be drawn (a search's, for a pause
    /// in typing too), oldest first, one of each kind.
    waiting: VecDeque<Effect>,
    worker: Option<Worker>,
    awaited: HashMap<Kind, Awaited>,
    /// Answers taken from the worker while waiting for one.
    arrived: VecDeque<Answer>,
    tickets: u64,
    /// Writes committed on the console's own connection.
    writes: u64,
}

impl Deferred {
    /// Deferred work read by `worker`, or, without one, on the console's
    /// own connection between keys.
    pub fn new(worker: Option<Worker>) -> Deferred {
        Deferred {
            worker,
            ..Deferred::default()
        }
    }

    /// Hands the reads put off so far, and all after them, to `worker`.
    pub fn attach(&mut self, worker: Option<Worker>) {
        self.worker = worker;
    }

    pub fn has_worker(&self) -> bool {
        self.worker.is_some()
    }

    /// Puts `effect` off; it replaces one of its kind still waiting, and
    /// the answer to one under way is no longer wanted.
    pub fn push(&mut self, effect: Effect) {
        let kind = effect.kind();
        self.supersede(kind);
        self.waiting.push_back(effect);
    }

    /// Drops what waits or is under way of `kind`: something newer (an
    /// immediate read of the same kind) answers instead.
    pub fn supersede(&mut self, kind: Kind) {
        self.waiting.retain(|e| e.kind() != kind);
        self.awaited.remove(&kind);
    }

    /// The console's connection committed a write: answers read before it
    /// are out of date, and idle maintenance waits for a pause.
    pub fn wrote(&mut self) {
        self.writes += 1;
        self.push(Effect::IdleMaintenance);
    }

    /// Nothing waits and no answer is awaited.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty() && self.awaited.is_empty() && self.arrived.is_empty()
    }

    /// Whether an effect of `kind` waits to be run or sent.
    pub fn is_waiting(&self, kind: Kind) -> bool {
        self.waiting.iter().any(|e| e.kind() == kind)
    }

    /// Whether an answer of `kind` is awaited from the worker.
    pub fn is_awaited(&self, kind: Kind) -> bool {
        self.awaited.contains_key(&kind)
    }

    /// How long the event loop may wait for a key, when the keyboard has
    /// been quiet for `quiet`, before there is something to do: at once
    /// for counts, at the end of a pause in typing for a search, a moment
    /// while answers are awaited. `None` when nothing waits.
    pub fn patience(&self, quiet: Duration) -> Option<Duration> {
        let mut soonest: Option<Duration> = None;
        let mut sooner = |d: Duration| soonest = Some(soonest.map_or(d, |s| s.min(d)));
        for effect in &self.waiting {
            match effect {
                Effect::Later(_) => sooner(TYPING_PAUSE.saturating_sub(quiet)),
                Effect::IdleMaintenance if !self.awaited.is_empty() => {}
                _ => sooner(Duration::ZERO),
            }
        }
        if !self.arrived.is_empty() {
            sooner(Duration::ZERO);
        } else if !self.awaited.is_empty() {
            sooner(ANSWER_POLL);
        }
        soonest
    }

    /// Whether `effect` may go now, the keyboard quiet for `quiet`.
    /// Maintenance waits until the worker has answered: the store's upkeep
    /// cannot finish while another connection reads.
    fn ready(&self, effect: &Effect, quiet: Duration) -> bool {
        match effect {
            Effect::Later(_) => quiet >= TYPING_PAUSE,
            Effect::IdleMaintenance => self.awaited.is_empty(),
            _ => true,
        }
    }

    /// Whether `effect` goes to the worker rather than the console's own
    /// connection.
    fn for_worker(&self, effect: &Effect) -> bool {
        let inner = match effect {
            Effect::Later(inner) => inner,
            other => other,
        };
        self.worker.is_some() && inner.only_reads()
    }

    /// Sends the worker every read that may go now, for the view as it is
    /// (`query`, `page_size`).
    pub fn send_ready(&mut self, query: &ItemQuery, page_size: usize, quiet: Duration) {
        let (ready, kept): (VecDeque<Effect>, VecDeque<Effect>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|e| self.ready(e, quiet) && self.for_worker(e));
        self.waiting = kept;
        for effect in ready {
            let effect = match effect {
                Effect::Later(inner) => *inner,
                other => other,
            };
            self.tickets += 1;
            let job = Job {
                ticket: self.tickets,
                effect: effect.clone(),
                query: query.clone(),
                page_size,
            };
            if self.worker.as_ref().is_some_and(|w| w.send(job)) {
                let awaited = Awaited {
                    ticket: self.tickets,
                    writes: self.writes,
                    effect,
                };
                self.awaited.insert(awaited.effect.kind(), awaited);
            } else {
                self.waiting.push_back(effect);
                self.lost_worker();
            }
        }
    }

    /// The oldest effect that may go now and runs on the console's own
    /// connection.
    pub fn next_inline(&mut self, quiet: Duration) -> Option<Effect> {
        let at = self
            .waiting
            .iter()
            .position(|e| self.ready(e, quiet) && !self.for_worker(e))?;
        self.waiting.remove(at)
    }

    /// The answers that have come and are still wanted, as messages. One
    /// read before the console's latest write is asked for again instead.
    pub fn answers(&mut self) -> Vec<Msg> {
        let mut msgs = Vec::new();
        while let Some(answer) = self.arrived.pop_front() {
            msgs.extend(self.accept(answer));
        }
        while let Some(next) = self.worker.as_ref().map(Worker::try_answer) {
            match next {
                Ok(Some(answer)) => msgs.extend(self.accept(answer)),
                Ok(None) => break,
                Err(Gone) => self.lost_worker(),
            }
        }
        msgs
    }

    /// Waits up to `timeout` for the worker's next answer (for tests and
    /// the bench, which wait where a reviewer would read). Whether
    /// anything came: an answer, or the news that the worker is gone.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let next = match &self.worker {
            Some(worker) => worker.wait_answer(timeout),
            None => return false,
        };
        match next {
            Ok(Some(answer)) => {
                self.arrived.push_back(answer);
                true
            }
            Ok(None) => false,
            Err(Gone) => {
                self.lost_worker();
                true
            }
        }
    }

    fn accept(&mut self, answer: Answer) -> Option<Msg> {
        let current = self
            .awaited
            .get(&answer.kind)
            .is_some_and(|a| a.ticket == answer.ticket);
        if !current {
            return None;
        }
        let awaited = self.awaited.remove(&answer.kind)?;
        if awaited.writes != self.writes {
            if !self.is_waiting(answer.kind) {
                self.waiting.push_back(awaited.effect);
            }
            return None;
        }
        Some(answer.msg)
    }

    /// The worker stopped: what it was reading is read between keys on the
    /// console's own connection instead.
    fn lost_worker(&mut self) {
        self.worker = None;
        let awaited: Vec<Awaited> = self.awaited.drain().map(|(_, a)| a).collect();
        for a in awaited {
            if !self.is_waiting(a.effect.kind()) {
                self.waiting.push_back(a.effect);
            }
        }
    }
}
