// tokio_sync2: cap the number of jobs in flight with a Semaphore
//
// Spawning one task per job runs all of them at once: a thousand downloads open a thousand
// connections. A `tokio::sync::Semaphore` holds N permits; a job may run only while it holds one.
// `acquire_owned().await` waits until a permit is free and returns an `OwnedSemaphorePermit`
// that can move into a spawned task; the permit goes back when it is dropped.
//
// Write `run_limited`: start `job(0)`, `job(1)`, ... `job(jobs - 1)` as tasks, never more than
// `limit` of them running at once, but up to `limit` of them really at the same time. Return the
// outputs in job order (output i belongs to `job(i)`), whatever order they finish in.
// Careful: `let _ = ...` drops a value on the spot, and so would release a permit at once.

use std::future::Future;
use std::sync::Arc;
use tokio::sync::Semaphore;

async fn run_limited<F, Fut>(jobs: usize, limit: usize, job: F) -> Vec<Fut::Output>
where
    F: Fn(usize) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit));
    // TODO: for each job, wait for a permit, then spawn a task that runs the job and gives the
    // permit back when the job is done. Collect the outputs in job order.
    todo!()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::time::Instant;

    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        max: AtomicUsize,
    }

    // Runs `jobs` jobs that each take `millis(i)` of paused time; returns the most that were ever
    // in flight together and the virtual time the whole run took.
    async fn measure(jobs: usize, limit: usize, millis: fn(usize) -> u64) -> (usize, Duration) {
        let gauge = Arc::new(Gauge::default());
        let start = Instant::now();
        let outputs = run_limited(jobs, limit, |i| {
            let gauge = Arc::clone(&gauge);
            async move {
                let running = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
                gauge.max.fetch_max(running, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(millis(i))).await;
                gauge.now.fetch_sub(1, Ordering::SeqCst);
                i
            }
        })
        .await;
        assert_eq!(
            outputs,
            (0..jobs).collect::<Vec<_>>(),
            "one output per job, in job order"
        );
        (gauge.max.load(Ordering::SeqCst), start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn more_than_limit_in_flight_is_rejected() {
        let (max, _) = measure(12, 3, |_| 10).await;
        assert!(
            max <= 3,
            "{max} jobs ran at once with a limit of 3: every job must hold a permit until it ends \
             (a permit bound to `_` is dropped immediately)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn running_one_job_at_a_time_is_rejected() {
        let (max, took) = measure(9, 3, |_| 10).await;
        assert_eq!(
            max, 3,
            "with 9 jobs and a limit of 3, three must run together"
        );
        assert!(
            took < Duration::from_millis(40),
            "9 jobs of 10 ms with 3 at a time take 30 ms, not {took:?}: do not await a job before \
             starting the next"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn outputs_in_finishing_order_are_rejected() {
        // Later jobs finish first; the outputs must still come back in job order.
        let (max, _) = measure(6, 6, |i| 60 - 10 * i as u64).await;
        assert_eq!(max, 6);
    }

    #[tokio::test(start_paused = true)]
    async fn limit_of_one_runs_jobs_in_sequence() {
        let (max, took) = measure(4, 1, |_| 5).await;
        assert_eq!(max, 1);
        assert_eq!(took, Duration::from_millis(20));
    }
}
