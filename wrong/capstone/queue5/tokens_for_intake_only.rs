// wrong answer: cancels a separate intake token but never the one the dispatcher watches, so the dispatcher never drains and shutdown hangs; finishes_within fails the first test.
// queue5: the service — start the parts, and stop them in an order that loses nothing
//
// This step builds on your queue4 (and everything under it). `Service::start` wires the parts
// you wrote into one running service; `Service::shutdown` stops it so that every job a
// producer was told was accepted ends Done or Dead, once, before shutdown returns.
//
//     start:    ledger ─┬─ Submitter (bounded channel)      dispatcher ── tracker.spawn(run_job)
//                       └──────────────── Pool { ledger, work, permits, backoff, stop } ──┘
//
//     shutdown: 1. cancel the token: submit refuses, the dispatcher closes and drains the
//                  channel, and jobs in backoff retry at once (one token is both signals);
//               2. await the dispatcher: after it returns, no job task will be spawned again;
//               3. close the tracker and wait: every job task is over (`TaskTracker::wait`
//                  returns only once the tracker is closed *and* empty);
//               4. report from the ledger, now that nothing is moving.
//
// Closing the tracker before the dispatcher has drained lets `wait` return in a moment when
// the tracker happens to be empty while jobs are still in the channel; a report taken before the
// wait counts jobs that are still running.
//
// Write `Service::start` and `Service::shutdown`.

#[path = "../../../solutions/capstone/queue4.rs"]
mod queue4;
pub use queue4::*;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// How many accepted jobs may wait in the intake.
    pub capacity: usize,
    /// How many jobs may run at once.
    pub workers: usize,
    /// How many times a job may run, the first attempt included.
    pub max_attempts: u32,
    /// The wait after the first failed attempt.
    pub base_backoff: Duration,
}

/// What shutdown found: every job's status count, and the dead letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub stats: Stats,
    pub dead_letters: Vec<DeadLetter>,
}

pub struct Service {
    pub submitter: Submitter,
    pub books: Books,
    token: CancellationToken,
    tracker: TaskTracker,
    dispatcher: JoinHandle<()>,
}

impl Service {
    /// Starts the service on the current tokio runtime.
    pub fn start(config: Config, work: Work) -> Service {
        let books = Books::new(config.max_attempts);
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        let (slots, inbox) = mpsc::channel(config.capacity.max(1));
        let limit = Arc::new(Semaphore::new(config.workers.max(1)));
        let pool = Arc::new(Pool {
            books: books.clone(),
            work,
            limit: limit.clone(),
            base_backoff: config.base_backoff,
            stop: token.clone(),
        });
        let dispatcher = tokio::spawn(dispatch(
            inbox,
            limit,
            tracker.clone(),
            token.clone(),
            move |job, permit| run_job(pool.clone(), job, permit),
        ));
        let intake = CancellationToken::new();
        let _ = token;
        let submitter = Submitter {
            slots,
            books: books.clone(),
            closing: intake.clone(),
        };
        Service {
            submitter,
            books,
            token: intake,
            tracker,
            dispatcher,
        }
    }

    /// Stops accepting, finishes every accepted job, and reports.
    pub async fn shutdown(self) -> Report {
        self.token.cancel();
        self.dispatcher.await.expect("the dispatcher panicked");
        self.tracker.close();
        self.tracker.wait().await;
        self.books.with(|ledger| Report {
            stats: ledger.stats(),
            dead_letters: ledger.dead_letters().to_vec(),
        })
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::time::{sleep, timeout};

    const STUCK: &str = "shutdown did not return within a second: does it wait for something \
                         that never ends (a tracker never closed, a dispatcher never told)?";

    /// Runs `body` on a current-thread runtime with paused time, failing after 1 s.
    fn paused<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(Duration::from_secs(1), STUCK, move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        });
    }

    fn config(capacity: usize, workers: usize) -> Config {
        Config {
            capacity,
            workers,
            max_attempts: 3,
            base_backoff: Duration::from_secs(60),
        }
    }

    /// Work that fails `fail N` jobs N times; every attempt is counted per payload.
    fn work(runs: Arc<Mutex<Vec<String>>>) -> Work {
        Arc::new(move |job: &Job, attempt: u32| {
            runs.lock().unwrap().push(job.payload.clone());
            let fails: u32 = job.payload.trim_start_matches("fail ").parse().unwrap_or(0);
            if attempt <= fails {
                Err("not yet".to_string())
            } else {
                Ok("ok".to_string())
            }
        })
    }

    async fn shutdown(service: Service) -> Report {
        match timeout(Duration::from_secs(3600), service.shutdown()).await {
            Ok(report) => report,
            Err(_) => panic!("shutdown took more than an hour of (paused) time"),
        }
    }

    #[test]
    fn shutdown_that_loses_accepted_jobs_is_rejected() {
        paused(|| async {
            let runs = Arc::new(Mutex::new(Vec::new()));
            let service = Service::start(config(8, 2), work(runs.clone()));
            let mut ids = Vec::new();
            for n in 0..8 {
                ids.push(service.submitter.submit(format!("job {n}")).await.unwrap());
            }
            let books = service.books.clone();
            let report = shutdown(service).await;
            assert_eq!(
                runs.lock().unwrap().len(),
                8,
                "8 jobs were accepted: all 8 must run before shutdown returns"
            );
            for id in ids {
                assert_eq!(
                    books.with(|ledger| ledger.status(id)),
                    Some(Status::Done {
                        output: "ok".to_string()
                    })
                );
            }
            assert_eq!(report.stats.done, 8);
        });
    }

    #[test]
    fn a_report_taken_while_jobs_still_run_is_rejected() {
        paused(|| async {
            let runs = Arc::new(Mutex::new(Vec::new()));
            let service = Service::start(config(4, 4), work(runs.clone()));
            for payload in ["fail 0", "fail 1", "fail 2", "fail 5"] {
                service.submitter.submit(payload).await.unwrap();
            }
            sleep(Duration::from_secs(1)).await;
            let report = shutdown(service).await;
            assert_eq!(
                report.stats,
                Stats {
                    accepted: 4,
                    queued: 0,
                    running: 0,
                    backoff: 0,
                    done: 3,
                    dead: 1,
                },
                "after shutdown nothing is queued, running or waiting: report once it is all over"
            );
            assert_eq!(report.dead_letters.len(), 1);
            assert_eq!(report.dead_letters[0].job.payload, "fail 5");
        });
    }

    #[test]
    fn shutdown_that_sleeps_out_the_backoffs_is_rejected() {
        paused(|| async {
            let runs = Arc::new(Mutex::new(Vec::new()));
            let service = Service::start(config(4, 2), work(runs.clone()));
            service.submitter.submit("fail 2").await.unwrap();
            sleep(Duration::from_millis(1)).await;
            let stopping = tokio::time::Instant::now();
            let report = shutdown(service).await;
            assert!(
                stopping.elapsed() < Duration::from_secs(60),
                "shutdown waited {:?} for backoffs of a minute: give the workers the token as \
                 their stop",
                stopping.elapsed()
            );
            assert_eq!(report.stats.done, 1, "the retries still ran");
        });
    }

    #[test]
    fn accepting_during_or_after_shutdown_is_rejected() {
        paused(|| async {
            let runs = Arc::new(Mutex::new(Vec::new()));
            let service = Service::start(config(2, 1), work(runs.clone()));
            let submitter = service.submitter.clone();
            let books = service.books.clone();
            submitter.submit("first").await.unwrap();
            let report = shutdown(service).await;
            assert_eq!(submitter.submit("late").await, Err(Closed));
            assert_eq!(report.stats.accepted, 1);
            assert_eq!(books.with(|ledger| ledger.stats().accepted), 1);
        });
    }

    #[test]
    fn a_job_lost_or_run_twice_when_shutdown_meets_producers_is_rejected() {
        paused(|| async {
            let runs = Arc::new(Mutex::new(Vec::new()));
            let service = Service::start(config(3, 2), work(runs.clone()));
            let accepted = Arc::new(AtomicUsize::new(0));
            let mut producers = Vec::new();
            for p in 0..4 {
                let (submitter, accepted) = (service.submitter.clone(), accepted.clone());
                producers.push(tokio::spawn(async move {
                    for n in 0..10 {
                        if submitter.submit(format!("p{p} {n}")).await.is_ok() {
                            accepted.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }));
            }
            // Let the producers fill the intake and wait for room, then stop in their midst.
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            let report = shutdown(service).await;
            for producer in producers {
                producer.await.unwrap();
            }
            let accepted = accepted.load(Ordering::SeqCst);
            assert!(
                accepted > 0,
                "the producers got no job in before the shutdown"
            );
            assert_eq!(
                report.stats.accepted, accepted,
                "the ledger and the producers disagree on how many jobs were accepted"
            );
            assert_eq!(
                report.stats.done, accepted,
                "every accepted job must be done when shutdown returns"
            );
            let mut ran = runs.lock().unwrap().clone();
            ran.sort();
            ran.dedup();
            assert_eq!(ran.len(), accepted, "a job was lost or ran twice");
        });
    }
}
