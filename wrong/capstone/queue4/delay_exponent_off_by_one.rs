// wrong answer: uses 2^failures instead of 2^(failures - 1), so the first wait is already 2 * base; delay_that_is_not_exponential_is_rejected fails.
// queue4: retries with exponential backoff, then the dead-letter queue
//
// Jobs fail: a server is down, a lock is taken. Retrying at once hammers whatever is already
// struggling, so each retry waits twice as long as the one before:
//
//     attempt 1 ──base──▶ attempt 2 ──2·base──▶ attempt 3 ──4·base──▶ ... attempt max_attempts
//
// A job that fails `max_attempts` times is not dropped and not retried forever: it goes to the
// dead-letter queue, exactly once, with its attempt count and last error, for a human or a
// later sweep to look at. This step is on its own: it needs only the `Job` type from queue1.
//
// Write `RetryPolicy::delay` and `run_with_retry`. Wait with tokio's timer: the tests run on a
// paused clock and check the schedule to the millisecond.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;

pub type JobId = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub payload: String,
}

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// How many times a job may run in all, the first attempt included (at least 1).
    pub max_attempts: u32,
    /// The wait after the first failure; every later wait is twice the one before.
    pub base: Duration,
}

impl RetryPolicy {
    /// The wait after the `failures`-th failure (1, 2, 3, ...): base, 2·base, 4·base, ...
    pub fn delay(&self, failures: u32) -> Duration {
        self.base * 2u32.pow(failures)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub job: Job,
    pub attempts: u32,
    pub last_error: String,
}

/// Runs `attempt(&job)` until it succeeds or `policy.max_attempts` attempts have failed.
/// Returns the successful output; after the last failure sends the job to `dead_letters` and
/// returns the last error.
pub async fn run_with_retry<F, Fut>(
    job: Job,
    policy: RetryPolicy,
    mut attempt: F,
    dead_letters: &mpsc::UnboundedSender<DeadLetter>,
) -> Result<String, String>
where
    F: FnMut(&Job) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let mut failures = 0;
    loop {
        let error = match attempt(&job).await {
            Ok(output) => return Ok(output),
            Err(error) => error,
        };
        failures += 1;
        if failures >= policy.max_attempts {
            // Out of attempts: park the job where someone will see it, then report the error.
            let letter = DeadLetter {
                job,
                attempts: failures,
                last_error: error.clone(),
            };
            let _ = dead_letters.send(letter);
            return Err(error);
        }
        tokio::time::sleep(policy.delay(failures)).await;
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tokio::sync::mpsc::unbounded_channel;
    use tokio::time::Instant;

    const MS: Duration = Duration::from_millis(1);

    fn job(id: JobId) -> Job {
        Job {
            id,
            payload: format!("job {id}"),
        }
    }

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base: 10 * MS,
        }
    }

    /// An attempt function that fails the first `failures` times, logging each attempt's time.
    fn flaky(
        failures: u32,
        log: Arc<Mutex<Vec<Instant>>>,
    ) -> impl FnMut(&Job) -> std::future::Ready<Result<String, String>> {
        move |job| {
            let mut log = log.lock().unwrap();
            log.push(Instant::now());
            let n = log.len() as u32;
            assert!(
                n <= 20,
                "the job was attempted more than 20 times: respect max_attempts"
            );
            std::future::ready(if n > failures {
                Ok(format!("{} ok on attempt {n}", job.payload))
            } else {
                Err(format!("attempt {n} failed"))
            })
        }
    }

    #[test]
    fn delay_that_is_not_exponential_is_rejected() {
        let p = policy(10);
        let delays: Vec<Duration> = (1..=5).map(|n| p.delay(n)).collect();
        assert_eq!(delays, [10 * MS, 20 * MS, 40 * MS, 80 * MS, 160 * MS]);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_schedule_that_is_not_exponential_is_rejected() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (dead_tx, _dead) = unbounded_channel();
        let out = run_with_retry(job(1), policy(5), flaky(3, log.clone()), &dead_tx).await;
        assert_eq!(out, Ok("job 1 ok on attempt 4".to_string()));
        let log = log.lock().unwrap();
        let gaps: Vec<Duration> = log.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(
            gaps,
            [10 * MS, 20 * MS, 40 * MS],
            "the waits between attempts must double, measured on tokio's (paused) clock"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn wrong_number_of_attempts_is_rejected() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (dead_tx, _dead) = unbounded_channel();
        let start = Instant::now();
        let out = run_with_retry(job(2), policy(4), flaky(u32::MAX, log.clone()), &dead_tx).await;
        assert_eq!(
            out,
            Err("attempt 4 failed".to_string()),
            "the last error is returned"
        );
        assert_eq!(
            log.lock().unwrap().len(),
            4,
            "max_attempts = 4 means four attempts in all"
        );
        assert_eq!(
            start.elapsed(),
            70 * MS,
            "10 + 20 + 40 ms of waiting, and no wait after the final failure"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dead_letter_lost_or_duplicated_is_rejected() {
        let (dead_tx, mut dead) = unbounded_channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        run_with_retry(job(3), policy(3), flaky(u32::MAX, log), &dead_tx)
            .await
            .ok();
        assert_eq!(
            dead.try_recv().ok(),
            Some(DeadLetter {
                job: job(3),
                attempts: 3,
                last_error: "attempt 3 failed".to_string(),
            }),
            "a job out of attempts goes to the dead-letter queue with its count and last error"
        );
        assert!(
            dead.try_recv().is_err(),
            "the job was dead-lettered more than once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn success_sent_to_dead_letters_is_rejected() {
        let (dead_tx, mut dead) = unbounded_channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let out = run_with_retry(job(4), policy(3), flaky(2, log), &dead_tx).await;
        assert_eq!(out, Ok("job 4 ok on attempt 3".to_string()));
        assert!(
            dead.try_recv().is_err(),
            "a job that succeeded is not a dead letter"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_that_blocks_other_jobs_is_rejected() {
        // Three failing jobs retry side by side: their waits overlap on the paused clock.
        let (dead_tx, mut dead) = unbounded_channel();
        let start = Instant::now();
        let dead_tx = &dead_tx;
        let run = |id| {
            let log = Arc::new(Mutex::new(Vec::new()));
            run_with_retry(job(id), policy(3), flaky(u32::MAX, log), dead_tx)
        };
        let (a, b, c) = tokio::join!(run(10), run(11), run(12));
        assert!(a.is_err() && b.is_err() && c.is_err());
        assert_eq!(
            start.elapsed(),
            30 * MS,
            "three jobs waiting 10 + 20 ms each, together"
        );
        let mut ids = Vec::new();
        while let Ok(letter) = dead.try_recv() {
            ids.push(letter.job.id);
        }
        ids.sort();
        assert_eq!(ids, [10, 11, 12], "each job is dead-lettered exactly once");
    }
}
