// testing1: retry with exponential backoff, measured on tokio's clock
//
// `retry` calls `op` until it returns `Ok`. After a failure it waits `base`, then `2 * base`,
// then `4 * base`, ... before the next attempt. It gives up, returning the last error, when the
// next wait would end later than `budget` after the first attempt started.
//
// The tests run with tokio's clock paused: a sleep of an hour finishes at once, and
// `tokio::time::Instant` moves only when every task is waiting on a timer. That works only if
// your code waits and reads the time through `tokio::time`. A `std::thread::sleep` really
// blocks (and the paused clock does not move), and `std::time::Instant` ignores the pause.

use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, sleep};

pub async fn retry<T, E, F, Fut>(mut op: F, base: Duration, budget: Duration) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let mut delay = base;
    loop {
        let err = match op().await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        // Give up when the next attempt would start after the budget ends.
        if started.elapsed() + delay > budget {
            return Err(err);
        }
        // tokio's sleep yields to the runtime, and under a paused clock it ends at once.
        sleep(delay).await;
        delay *= 2;
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    const MS: Duration = Duration::from_millis(1);

    /// An operation that fails `failures` times, then succeeds with the attempt number.
    /// It records the (paused) time of every attempt and refuses to be called forever.
    fn flaky(
        failures: usize,
        log: Arc<Mutex<Vec<Instant>>>,
    ) -> impl FnMut() -> std::future::Ready<Result<usize, String>> {
        move || {
            let mut log = log.lock().unwrap();
            let now = Instant::now();
            // Checked at once, so a retry that waits on the wrong clock fails on its second
            // attempt instead of sleeping for real through ever longer waits.
            if let Some(&before) = log.last() {
                assert!(
                    now > before,
                    "two attempts at the same instant of the paused clock: wait between attempts \
                     with tokio::time::sleep (std::thread::sleep does not move tokio's clock)"
                );
            }
            log.push(now);
            let attempt = log.len();
            assert!(
                attempt <= 50,
                "retry never gave up: measure the budget with tokio::time::Instant, which follows the paused clock"
            );
            std::future::ready(if attempt > failures {
                Ok(attempt)
            } else {
                Err(format!("failure {attempt}"))
            })
        }
    }

    fn gaps(log: &[Instant]) -> Vec<Duration> {
        log.windows(2).map(|w| w[1] - w[0]).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn thread_sleep_or_no_wait_is_rejected() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let out = retry(flaky(1, log.clone()), 10 * MS, 1000 * MS).await;
        assert_eq!(
            out,
            Ok(2),
            "the second attempt succeeds and its value is returned"
        );
        let log = log.lock().unwrap();
        assert_eq!(
            gaps(&log),
            vec![10 * MS],
            "after one failure the paused clock must move by exactly `base`: wait with tokio::time::sleep"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn constant_or_linear_backoff_is_rejected() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let out = retry(flaky(4, log.clone()), 10 * MS, 1000 * MS).await;
        assert_eq!(out, Ok(5));
        let log = log.lock().unwrap();
        assert_eq!(
            gaps(&log),
            vec![10 * MS, 20 * MS, 40 * MS, 80 * MS],
            "each wait must be twice the one before"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn budget_on_std_clock_or_ignored_is_rejected() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        // Attempts at 0, 10, 30, 70 ms; the next wait (80 ms) would end at 150 ms > 100 ms.
        let out = retry(flaky(usize::MAX, log.clone()), 10 * MS, 100 * MS).await;
        assert_eq!(
            out,
            Err("failure 4".to_string()),
            "the budget counts from the first attempt on tokio's clock: attempts at 0, 10, 30 and \
             70 ms, then the next wait (80 ms) would end past 100 ms, so the fourth error is returned"
        );
        assert_eq!(
            log.lock().unwrap().len(),
            4,
            "four attempts fit in a 100 ms budget"
        );
        assert_eq!(
            start.elapsed(),
            70 * MS,
            "retry must return right after the last attempt, without a final useless wait"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn wait_after_success_is_rejected() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let out = retry(flaky(0, log.clone()), 10 * MS, 1000 * MS).await;
        assert_eq!(out, Ok(1));
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "a first-try success returns at once"
        );
    }
}
