// wrong answer: keeps retrying after the ledger said the job is over, so it never ends; retrying_forever_or_without_a_permit_is_rejected fails (by its paused-clock limit).
// queue4: a job's whole life in the pool — retries that do not take a worker, and a stop
//
// This step builds on your queue3: `attempt` runs one try. A job that failed waits out a
// backoff and tries again, until the ledger says Done or Dead. The schedule itself is chapter
// 26's (`backoff` below); the design question here is what the job holds while it waits.
//
//     permit ──▶ attempt ──Some(n)──▶ wait backoff(n), holding nothing ──▶ new permit ──▶ attempt
//                   │ None                  │ stop fires: cut the wait short,
//                   ▼                       ▼ still run the attempts left
//                 over                     (nothing is abandoned half-way)
//
// - A worker permit is a slot for *running*. A job that sleeps through its backoff with a
//   permit in hand takes a worker away from every other job: with a few failing jobs the whole
//   pool waits on timers. Give the permit back (attempt does), sleep, then take a new one.
// - Shutdown (queue5) cancels `stop`. A job in backoff then retries at once instead of
//   sleeping on: the service can stop quickly without dropping the job. A job that simply
//   returns when `stop` fires is lost: the ledger shows it in Backoff forever.
//
// Write `run_job`.

#[path = "../../../solutions/capstone/queue3.rs"]
mod queue3;
pub use queue3::*;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// What every job task shares.
pub struct Pool {
    pub books: Books,
    pub work: Work,
    /// The worker permits (one per job running at a time).
    pub limit: Arc<Semaphore>,
    /// The wait after the first failed attempt; it doubles after each one.
    pub base_backoff: Duration,
    /// Cancelled at shutdown: waits between attempts end at once.
    pub stop: CancellationToken,
}

/// The wait after failed attempt `attempt` (1, 2, 3, ...): base, 2·base, 4·base, ...
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
}

/// Runs `job` until it is over (Done or Dead): the first attempt with `permit`, every retry
/// after its backoff with a permit of its own.
pub async fn run_job(pool: Arc<Pool>, job: Job, permit: OwnedSemaphorePermit) {
    let mut permit = permit;
    loop {
        let failed = attempt(&pool.books, &pool.work, &job, permit)
            .await
            .unwrap_or(1);
        tokio::select! {
            () = tokio::time::sleep(backoff(pool.base_backoff, failed)) => {}
            () = pool.stop.cancelled() => {}
        }
        permit = pool
            .limit
            .clone()
            .acquire_owned()
            .await
            .expect("the worker semaphore is never closed");
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::sync::Mutex;
    use tokio::time::{Instant, timeout};

    const STUCK: &str = "a job task kept running without ever waiting, so not even the paused \
                         clock moved: does it loop on after `attempt` said the job is over?";

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

    /// Each attempt: the payload, the attempt number, and when it started.
    type Log = Arc<Mutex<Vec<(String, u32, Duration)>>>;

    /// A pool with `workers` permits; the work fails while the payload's number (`fail 2`) is
    /// at least the attempt, and logs when each attempt started.
    fn pool(workers: usize, base: Duration) -> (Arc<Pool>, Log) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let start = Instant::now();
        let work: Work = Arc::new(move |job: &Job, attempt: u32| {
            l.lock()
                .unwrap()
                .push((job.payload.clone(), attempt, start.elapsed()));
            let fails: u32 = job.payload.trim_start_matches("fail ").parse().unwrap_or(0);
            if attempt <= fails {
                Err(format!("{} failed attempt {attempt}", job.payload))
            } else {
                Ok(format!("{} ok", job.payload))
            }
        });
        let pool = Pool {
            books: Books::new(3),
            work,
            limit: Arc::new(Semaphore::new(workers)),
            base_backoff: base,
            stop: CancellationToken::new(),
        };
        (Arc::new(pool), log)
    }

    /// Accepts `payload` and starts its job task the way the dispatcher does: permit first.
    async fn submit(pool: &Arc<Pool>, payload: &str) -> (JobId, tokio::task::JoinHandle<()>) {
        let job = pool.books.with(|ledger| ledger.accept(payload.to_string()));
        let permit = pool.limit.clone().acquire_owned().await.unwrap();
        let id = job.id;
        (id, tokio::spawn(run_job(pool.clone(), job, permit)))
    }

    async fn finished(task: tokio::task::JoinHandle<()>) {
        match timeout(Duration::from_secs(120), task).await {
            Ok(joined) => joined.expect("the job task panicked"),
            Err(_) => panic!(
                "the job task was still going after two minutes (paused clock): does it stop \
                 when `attempt` says the job is over?"
            ),
        }
    }

    fn status(pool: &Pool, id: JobId) -> Option<Status> {
        pool.books.with(|ledger| ledger.status(id))
    }

    #[test]
    fn retries_without_a_growing_backoff_are_rejected() {
        paused(|| async {
            let (pool, log) = pool(1, Duration::from_millis(100));
            let (id, task) = submit(&pool, "fail 2").await;
            finished(task).await;
            let starts: Vec<(u32, Duration)> =
                log.lock().unwrap().iter().map(|e| (e.1, e.2)).collect();
            assert_eq!(
                starts,
                [
                    (1, Duration::ZERO),
                    (2, Duration::from_millis(100)),
                    (3, Duration::from_millis(300)),
                ],
                "attempt 2 starts one base (100 ms) after attempt 1, attempt 3 two bases after that"
            );
            assert_eq!(
                status(&pool, id),
                Some(Status::Done {
                    output: "fail 2 ok".to_string()
                })
            );
        });
    }

    #[test]
    fn a_permit_held_through_the_backoff_is_rejected() {
        paused(|| async {
            let (pool, log) = pool(1, Duration::from_secs(10));
            let (_, failing) = submit(&pool, "fail 9").await;
            // The failing job is in its first backoff when the next job comes.
            tokio::time::sleep(Duration::from_secs(1)).await;
            let (quick, task) = submit(&pool, "fail 0").await;
            finished(task).await;
            let quick_started = log
                .lock()
                .unwrap()
                .iter()
                .find(|e| e.0 == "fail 0")
                .map(|e| e.2);
            assert_eq!(
                quick_started,
                Some(Duration::from_secs(1)),
                "with one worker, a job waiting out its backoff must leave the worker to others"
            );
            assert!(matches!(status(&pool, quick), Some(Status::Done { .. })));
            finished(failing).await;
        });
    }

    #[test]
    fn retrying_forever_or_without_a_permit_is_rejected() {
        paused(|| async {
            let (pool, log) = pool(2, Duration::from_millis(10));
            let (id, task) = submit(&pool, "fail 9").await;
            finished(task).await;
            assert_eq!(
                log.lock().unwrap().len(),
                3,
                "three attempts allowed, then the job is dead"
            );
            assert!(matches!(status(&pool, id), Some(Status::Dead { .. })));
            assert_eq!(pool.books.with(|ledger| ledger.dead_letters().len()), 1);
            assert_eq!(
                pool.limit.available_permits(),
                2,
                "every permit must be given back when the job is over"
            );
        });
    }

    #[test]
    fn a_backoff_that_ignores_the_stop_is_rejected() {
        paused(|| async {
            let (pool, log) = pool(1, Duration::from_secs(3600));
            let (id, task) = submit(&pool, "fail 1").await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert_eq!(status(&pool, id), Some(Status::Backoff { attempt: 1 }));
            pool.stop.cancel();
            if timeout(Duration::from_secs(1), task).await.is_err() {
                panic!("the job still slept out its hour-long backoff after the stop");
            }
            assert_eq!(log.lock().unwrap().len(), 2);
        });
    }

    #[test]
    fn a_retry_abandoned_at_the_stop_is_rejected() {
        paused(|| async {
            let (pool, _) = pool(1, Duration::from_secs(3600));
            let (id, task) = submit(&pool, "fail 1").await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            pool.stop.cancel();
            finished(task).await;
            assert_eq!(
                status(&pool, id),
                Some(Status::Done {
                    output: "fail 1 ok".to_string()
                }),
                "a stop cuts the wait short, never the job: its next attempt must still run"
            );
        });
    }
}
