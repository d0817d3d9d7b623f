// wrong answer: marks the job Dead but never files its dead letter; a_dropped_or_doubled_dead_letter_is_rejected fails.
// queue1: the ledger, the one place that knows where every job is
//
// The capstone is one service, built in six steps that build on each other: queue2 declares
// this file as a module, queue3 declares queue2, and so on up to queue6, which runs. What you
// write here is what the later steps use, and their tests run this file's tests again.
//
// Step one is the service's memory. Every part of the queue (the intake, the workers, the
// retries, shutdown, the status port) reports what happened to a job here, and asks here what
// is true. A job's life:
//
//     accept ──▶ Queued ──start──▶ Running{1} ──succeed──▶ Done
//                                     │ fail
//                                     ├──▶ Backoff{1} ──start──▶ Running{2} ──▶ ...
//                                     └──▶ Dead (after max_attempts), one dead letter
//
// A transition from any other status is refused: that refusal is what stops a job from being
// acknowledged before it ran, run twice, or retried forever. Whoever waits for a job (`wait`)
// is told once, when the job is Done or Dead.
//
// The ledger is plain data behind a `std::sync::Mutex` (`Books`): every change is a few map
// operations, and `Books::with` takes a closure that cannot `.await`, so the lock is never held
// across a suspension point (chapter 18).
//
// Write `Ledger::start`, `Ledger::succeed` and `Ledger::fail`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

pub type JobId = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Queued,
    /// Attempt `attempt` (from 1) is running.
    Running {
        attempt: u32,
    },
    /// Attempt `attempt` failed; the job waits before the next one.
    Backoff {
        attempt: u32,
    },
    Done {
        output: String,
    },
    Dead {
        error: String,
    },
}

/// The final word on a job, for whoever waits for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(String),
    Dead(String),
}

/// What the ledger decided after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again, after the backoff for failed attempt `attempt`.
    Retry { attempt: u32 },
    /// No attempts left: the job is Dead and has its dead letter.
    Dead,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub job: Job,
    pub attempts: u32,
    pub last_error: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub accepted: usize,
    pub queued: usize,
    pub running: usize,
    pub backoff: usize,
    pub done: usize,
    pub dead: usize,
}

struct Entry {
    job: Job,
    status: Status,
}

pub struct Ledger {
    max_attempts: u32,
    last_id: JobId,
    jobs: HashMap<JobId, Entry>,
    waiters: HashMap<JobId, Vec<oneshot::Sender<Outcome>>>,
    dead_letters: Vec<DeadLetter>,
}

impl Ledger {
    /// A ledger that lets a job run at most `max_attempts` times (at least 1).
    pub fn new(max_attempts: u32) -> Ledger {
        Ledger {
            max_attempts: max_attempts.max(1),
            last_id: 0,
            jobs: HashMap::new(),
            waiters: HashMap::new(),
            dead_letters: Vec::new(),
        }
    }

    /// Records a new job as Queued, with the next id (1, 2, 3, ...).
    pub fn accept(&mut self, payload: String) -> Job {
        self.last_id += 1;
        let job = Job {
            id: self.last_id,
            payload,
        };
        let entry = Entry {
            job: job.clone(),
            status: Status::Queued,
        };
        self.jobs.insert(job.id, entry);
        job
    }

    /// A worker is about to run `id`. From Queued the job becomes Running attempt 1; from
    /// Backoff{n}, Running attempt n + 1. Returns the attempt number, or `None` when the job may
    /// not start (unknown, already running, Done or Dead): the caller must then not run it.
    pub fn start(&mut self, id: JobId) -> Option<u32> {
        let entry = self.jobs.get_mut(&id)?;
        let attempt = match entry.status {
            Status::Queued => 1,
            Status::Backoff { attempt } => attempt + 1,
            _ => return None,
        };
        entry.status = Status::Running { attempt };
        Some(attempt)
    }

    /// The running attempt of `id` returned `output`: the job is Done, and its waiters hear so.
    /// Returns false (and changes nothing) when the job is not Running.
    pub fn succeed(&mut self, id: JobId, output: String) -> bool {
        let Some(entry) = self.jobs.get_mut(&id) else {
            return false;
        };
        if !matches!(entry.status, Status::Running { .. }) {
            return false;
        }
        entry.status = Status::Done {
            output: output.clone(),
        };
        self.settle(id, Outcome::Done(output));
        true
    }

    /// The running attempt of `id` failed with `error`. With attempts left the job waits in
    /// Backoff; after the last one it is Dead, gets one dead letter, and its waiters hear so.
    /// `None` (and no change) when the job is not Running.
    pub fn fail(&mut self, id: JobId, error: String) -> Option<AfterFailure> {
        let entry = self.jobs.get_mut(&id)?;
        let Status::Running { attempt } = entry.status else {
            return None;
        };
        if attempt < self.max_attempts {
            entry.status = Status::Backoff { attempt };
            return Some(AfterFailure::Retry { attempt });
        }
        entry.status = Status::Dead {
            error: error.clone(),
        };
        self.settle(id, Outcome::Dead(error));
        Some(AfterFailure::Dead)
    }

    /// Tells everyone waiting for `id` how it ended.
    fn settle(&mut self, id: JobId, outcome: Outcome) {
        for waiter in self.waiters.remove(&id).unwrap_or_default() {
            // A waiter that stopped listening is no error.
            let _ = waiter.send(outcome.clone());
        }
    }

    /// A receiver that gets the job's outcome when it is Done or Dead (at once if it already
    /// is); `None` for an id never accepted.
    pub fn wait(&mut self, id: JobId) -> Option<oneshot::Receiver<Outcome>> {
        let entry = self.jobs.get(&id)?;
        let (tell, told) = oneshot::channel();
        match &entry.status {
            Status::Done { output } => {
                let _ = tell.send(Outcome::Done(output.clone()));
            }
            Status::Dead { error } => {
                let _ = tell.send(Outcome::Dead(error.clone()));
            }
            _ => self.waiters.entry(id).or_default().push(tell),
        }
        Some(told)
    }

    pub fn status(&self, id: JobId) -> Option<Status> {
        self.jobs.get(&id).map(|entry| entry.status.clone())
    }

    /// How many jobs are in each status now.
    pub fn stats(&self) -> Stats {
        let mut stats = Stats {
            accepted: self.jobs.len(),
            ..Stats::default()
        };
        for entry in self.jobs.values() {
            match entry.status {
                Status::Queued => stats.queued += 1,
                Status::Running { .. } => stats.running += 1,
                Status::Backoff { .. } => stats.backoff += 1,
                Status::Done { .. } => stats.done += 1,
                Status::Dead { .. } => stats.dead += 1,
            }
        }
        stats
    }

    pub fn dead_letters(&self) -> &[DeadLetter] {
        &self.dead_letters
    }
}

/// The ledger, shared by every part of the service.
#[derive(Clone)]
pub struct Books(Arc<Mutex<Ledger>>);

impl Books {
    pub fn new(max_attempts: u32) -> Books {
        Books(Arc::new(Mutex::new(Ledger::new(max_attempts))))
    }

    /// Runs `change` on the ledger under its lock. `change` is not async, so the lock is never
    /// held across an `.await`.
    pub fn with<T>(&self, change: impl FnOnce(&mut Ledger) -> T) -> T {
        let mut ledger = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut ledger)
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(ledger: &mut Ledger, payload: &str) -> JobId {
        let id = ledger.accept(payload.to_string()).id;
        assert_eq!(ledger.start(id), Some(1), "a queued job starts attempt 1");
        id
    }

    #[test]
    fn acknowledging_a_job_before_it_ran_is_rejected() {
        let mut ledger = Ledger::new(3);
        let id = ledger.accept("resize photo".to_string()).id;
        let mut told = ledger.wait(id).expect("an accepted job can be waited for");
        assert!(
            !ledger.succeed(id, "early".to_string()),
            "succeed on a job that never started must be refused: nothing ran yet"
        );
        assert_eq!(ledger.status(id), Some(Status::Queued));
        assert!(
            told.try_recv().is_err(),
            "the waiter was told before the job ran"
        );
        assert_eq!(ledger.fail(id, "early".to_string()), None);
        assert_eq!(ledger.status(id), Some(Status::Queued));
    }

    #[test]
    fn a_job_started_twice_is_rejected() {
        let mut ledger = Ledger::new(3);
        let id = running(&mut ledger, "send mail");
        assert_eq!(
            ledger.start(id),
            None,
            "a running job must not start again: two workers would run it"
        );
        assert!(ledger.succeed(id, "sent".to_string()));
        assert_eq!(ledger.start(id), None, "a Done job must not run again");
        assert!(!ledger.succeed(id, "sent again".to_string()));
        assert_eq!(ledger.start(99), None, "an unknown id cannot start");
    }

    #[test]
    fn attempts_that_do_not_count_up_are_rejected() {
        let mut ledger = Ledger::new(3);
        let id = running(&mut ledger, "flaky");
        assert_eq!(
            ledger.fail(id, "timeout".to_string()),
            Some(AfterFailure::Retry { attempt: 1 })
        );
        assert_eq!(ledger.status(id), Some(Status::Backoff { attempt: 1 }));
        assert_eq!(
            ledger.start(id),
            Some(2),
            "after Backoff{{1}} comes attempt 2"
        );
        assert_eq!(ledger.status(id), Some(Status::Running { attempt: 2 }));
        assert!(ledger.succeed(id, "ok".to_string()));
        assert_eq!(
            ledger.status(id),
            Some(Status::Done {
                output: "ok".to_string()
            })
        );
    }

    #[test]
    fn retrying_forever_is_rejected() {
        let mut ledger = Ledger::new(3);
        let id = running(&mut ledger, "always fails");
        let mut verdicts = Vec::new();
        for _ in 0..3 {
            verdicts.push(ledger.fail(id, "no".to_string()));
            if ledger.start(id).is_none() {
                break;
            }
        }
        assert_eq!(
            verdicts,
            [
                Some(AfterFailure::Retry { attempt: 1 }),
                Some(AfterFailure::Retry { attempt: 2 }),
                Some(AfterFailure::Dead),
            ],
            "with 3 attempts allowed, the third failure is the last"
        );
        assert_eq!(
            ledger.status(id),
            Some(Status::Dead {
                error: "no".to_string()
            })
        );
        assert_eq!(ledger.start(id), None, "a Dead job must not run again");
    }

    #[test]
    fn a_dropped_or_doubled_dead_letter_is_rejected() {
        let mut ledger = Ledger::new(2);
        let id = running(&mut ledger, "bad input");
        ledger.fail(id, "parse error".to_string());
        ledger.start(id);
        ledger.fail(id, "parse error again".to_string());
        ledger.fail(id, "and again".to_string());
        assert_eq!(
            ledger.dead_letters(),
            [DeadLetter {
                job: Job {
                    id,
                    payload: "bad input".to_string()
                },
                attempts: 2,
                last_error: "parse error again".to_string(),
            }],
            "a job that used its last attempt leaves exactly one dead letter"
        );
    }

    #[test]
    fn a_waiter_never_told_is_rejected() {
        let mut ledger = Ledger::new(1);
        let good = running(&mut ledger, "good");
        let bad = running(&mut ledger, "bad");
        let mut told_good = ledger.wait(good).unwrap();
        let mut told_bad = ledger.wait(bad).unwrap();
        ledger.succeed(good, "42".to_string());
        ledger.fail(bad, "boom".to_string());
        assert_eq!(told_good.try_recv(), Ok(Outcome::Done("42".to_string())));
        assert_eq!(told_bad.try_recv(), Ok(Outcome::Dead("boom".to_string())));
        let mut late = ledger.wait(good).unwrap();
        assert_eq!(
            late.try_recv(),
            Ok(Outcome::Done("42".to_string())),
            "a waiter who comes after the end hears at once"
        );
        assert!(ledger.wait(1234).is_none());
    }

    #[test]
    fn stats_that_lose_a_job_are_rejected() {
        let mut ledger = Ledger::new(2);
        let done = running(&mut ledger, "a");
        let retrying = running(&mut ledger, "b");
        let dead = running(&mut ledger, "c");
        ledger.accept("d".to_string());
        ledger.succeed(done, String::new());
        ledger.fail(retrying, String::new());
        ledger.fail(dead, String::new());
        ledger.start(dead);
        ledger.fail(dead, String::new());
        assert_eq!(
            ledger.stats(),
            Stats {
                accepted: 4,
                queued: 1,
                running: 0,
                backoff: 1,
                done: 1,
                dead: 1,
            }
        );
    }
}
