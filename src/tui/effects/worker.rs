//! The background reader: a thread with a read-only connection of its own
//! that runs the console's slow reads (counts, filter values, the
//! dashboard, the sign-off summary, a search's first page), so that no key
//! waits behind one. Jobs go in, answers come back as messages; a newer job
//! of a kind replaces one of that kind not yet started. It never writes, so
//! it never keeps the console's own connection from committing a decision.

use super::read;
use crate::store::{CampaignId, Interrupter, ItemQuery, Store};
use crate::tui::message::{Effect, Msg};
use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

/// A kind of effect: a newer request of a kind makes an older one moot.
pub type Kind = std::mem::Discriminant<Effect>;

/// One read for the worker, with the view it was asked for.
#[derive(Debug)]
pub struct Job {
    /// Tells this job's answer from any other's.
    pub ticket: u64,
    pub effect: Effect,
    pub query: ItemQuery,
    pub page_size: usize,
}

/// What a job read, and which job it was.
#[derive(Debug)]
pub struct Answer {
    pub ticket: u64,
    pub kind: Kind,
    pub msg: Msg,
}

/// The worker's thread has ended: nothing more will come from it.
#[derive(Debug, PartialEq, Eq)]
pub struct Gone;

/// Runs after each read, before its answer is sent (tests hold jobs there).
type Hold = Box<dyn FnMut() + Send>;

pub struct Worker {
    jobs: Option<Sender<Job>>,
    answers: Receiver<Answer>,
    stop: Interrupter,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts a worker on a connection of its own to `store`'s database;
    /// `None` when there can be none (a database in memory) or it cannot be
    /// opened, and the console then reads between keys on its own.
    pub fn start(store: &Store, campaign: CampaignId, actor: &str) -> Option<Worker> {
        Worker::spawn(store, campaign, actor, Box::new(|| {}))
    }

    /// A worker that calls `hold` after each read, before answering: a
    /// test keeps a job in flight, or makes its answer late, with it.
    #[cfg(test)]
    pub(crate) fn held(
        store: &Store,
        campaign: CampaignId,
        actor: &str,
        hold: Hold,
    ) -> Option<Worker> {
        Worker::spawn(store, campaign, actor, hold)
    }

    fn spawn(store: &Store, campaign: CampaignId, actor: &str, hold: Hold) -> Option<Worker> {
        let reader = store.reader().ok().flatten()?;
        let stop = reader.interrupter();
        let (jobs, inbox) = mpsc::channel();
        let (outbox, answers) = mpsc::channel();
        let actor = actor.to_string();
        let thread = std::thread::Builder::new()
            .name("recert-reader".into())
            .spawn(move || serve(&reader, campaign, &actor, &inbox, &outbox, hold))
            .ok()?;
        Some(Worker {
            jobs: Some(jobs),
            answers,
            stop,
            thread: Some(thread),
        })
    }

    /// Hands a job over; false when the worker has stopped.
    pub fn send(&self, job: Job) -> bool {
        self.jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok())
    }

    /// An answer, if one is ready.
    pub fn try_answer(&self) -> Result<Option<Answer>, Gone> {
        match self.answers.try_recv() {
            Ok(answer) => Ok(Some(answer)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(Gone),
        }
    }

    /// The next answer, waiting up to `timeout` for it.
    pub fn wait_answer(&self, timeout: Duration) -> Result<Option<Answer>, Gone> {
        match self.answers.recv_timeout(timeout) {
            Ok(answer) => Ok(Some(answer)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(Gone),
        }
    }
}

impl Drop for Worker {
    /// Stops at once, the read under way interrupted, and waits for the
    /// thread, so that its connection closes before the console's own
    /// (the last one to close tidies the database's files away).
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            // A read may be several statements; each is interrupted in turn.
            while !thread.is_finished() {
                self.stop.interrupt();
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = thread.join();
        }
    }
}

/// The worker's thread: the oldest job first, each kind's newest only,
/// until the console hangs up.
fn serve(
    reader: &Store,
    campaign: CampaignId,
    actor: &str,
    inbox: &Receiver<Job>,
    outbox: &Sender<Answer>,
    mut hold: Hold,
) {
    let mut queue: VecDeque<Job> = VecDeque::new();
    loop {
        if queue.is_empty() {
            match inbox.recv() {
                Ok(job) => queue.push_back(job),
                Err(_) => return,
            }
        }
        loop {
            match inbox.try_recv() {
                Ok(job) => {
                    let kind = job.effect.kind();
                    queue.retain(|queued| queued.effect.kind() != kind);
                    queue.push_back(job);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let Some(job) = queue.pop_front() else {
            continue;
        };
        let kind = job.effect.kind();
        let msg = read(
            reader,
            campaign,
            actor,
            job.effect,
            &job.query,
            job.page_size,
        );
        hold();
        let answer = Answer {
            ticket: job.ticket,
            kind,
            msg,
        };
        if outbox.send(answer).is_err() {
            return;
        }
    }
}
