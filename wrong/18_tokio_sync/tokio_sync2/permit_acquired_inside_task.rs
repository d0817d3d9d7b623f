// wrong answer: each job's task acquires its own permit, so the loop never waits and spawns every job up front; acquiring_the_permit_inside_the_spawned_task_is_rejected sees 12 tasks alive with a limit of 3.
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
    let mut handles = Vec::with_capacity(jobs);
    for i in 0..jobs {
        let permits = Arc::clone(&permits);
        let work = job(i);
        handles.push(tokio::spawn(async move {
            let permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let output = work.await;
            // The job is over: only now may another one start.
            drop(permit);
            output
        }));
    }
    let mut outputs = Vec::with_capacity(jobs);
    for handle in handles {
        outputs.push(handle.await.expect("a job panicked"));
    }
    outputs
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::time::Instant;

    const STUCK: &str = "the run did not finish within a second of real time: a task is spinning (a loop that never waits), or every job waits for a permit that is never given back";

    // Runs a test body on a current_thread runtime with paused time, in a thread of its own, and
    // fails the test if the body has not finished after one second of real time. The paused
    // clock only moves while every task waits, so a task that never stops running freezes it
    // and no `timeout` inside the body could fire: this real-time limit catches that case.
    fn paused<Fut: std::future::Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        let (finished, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime");
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(body())));
            let _ = finished.send(result);
        });
        match outcome.recv_timeout(std::time::Duration::from_secs(1)) {
            Ok(Ok(())) => {}
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => {
                // The stuck thread cannot be stopped and would starve the other tests: end the
                // whole test run now, with the reason written straight to stderr (not captured).
                let test = std::thread::current()
                    .name()
                    .unwrap_or("a test")
                    .to_string();
                let mut stderr = std::io::stderr();
                let _ = std::io::Write::write_all(
                    &mut stderr,
                    format!("\ntest {test} FAILED: {STUCK}\n").as_bytes(),
                );
                std::process::exit(101);
            }
        }
    }

    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        max: AtomicUsize,
        // `job(i)` called but that job not finished yet, and the most of those ever seen.
        called: AtomicUsize,
        max_called: AtomicUsize,
        // The most tasks ever alive in the runtime while a job was running.
        max_tasks: AtomicUsize,
    }

    struct Run {
        // The most jobs that ever ran together.
        max: usize,
        // The most jobs that had been created by `job(i)` and not finished yet.
        max_called: usize,
        // The most tasks that were alive at once.
        max_tasks: usize,
        took: Duration,
    }

    // Runs `jobs` jobs that each take `millis(i)` of paused time and measures the run.
    async fn measure(jobs: usize, limit: usize, millis: fn(usize) -> u64) -> Run {
        let gauge = Arc::new(Gauge::default());
        let start = Instant::now();
        let outputs = run_limited(jobs, limit, |i| {
            // Calling `job(i)` may already start work (a real job could connect here).
            let called = gauge.called.fetch_add(1, Ordering::SeqCst) + 1;
            gauge.max_called.fetch_max(called, Ordering::SeqCst);
            let gauge = Arc::clone(&gauge);
            async move {
                let running = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
                gauge.max.fetch_max(running, Ordering::SeqCst);
                let tasks = tokio::runtime::Handle::current()
                    .metrics()
                    .num_alive_tasks();
                gauge.max_tasks.fetch_max(tasks, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(millis(i))).await;
                gauge.now.fetch_sub(1, Ordering::SeqCst);
                gauge.called.fetch_sub(1, Ordering::SeqCst);
                i
            }
        })
        .await;
        assert_eq!(
            outputs,
            (0..jobs).collect::<Vec<_>>(),
            "one output per job, in job order"
        );
        Run {
            max: gauge.max.load(Ordering::SeqCst),
            max_called: gauge.max_called.load(Ordering::SeqCst),
            max_tasks: gauge.max_tasks.load(Ordering::SeqCst),
            took: start.elapsed(),
        }
    }

    #[test]
    fn more_than_limit_in_flight_is_rejected() {
        paused(|| async {
            let run = measure(12, 3, |_| 10).await;
            assert!(
                run.max <= 3,
                "{} jobs ran at once with a limit of 3: every job must hold a permit until it ends \
                 (a permit bound to `_` is dropped immediately)",
                run.max
            );
        });
    }

    #[test]
    fn calling_job_before_its_permit_is_rejected() {
        paused(|| async {
            let run = measure(12, 3, |_| 10).await;
            assert!(
                run.max_called <= 3,
                "{} jobs had been created by `job(i)` at once with a limit of 3: wait for the permit \
                 first, then call `job(i)`; a job taken before its permit is one more in flight",
                run.max_called
            );
        });
    }

    #[test]
    fn acquiring_the_permit_inside_the_spawned_task_is_rejected() {
        paused(|| async {
            let run = measure(12, 3, |_| 10).await;
            assert!(
                run.max_tasks <= 3,
                "{} tasks were alive at once with a limit of 3: acquire the permit before spawning, so \
                 the loop waits instead of spawning a task per job up front",
                run.max_tasks
            );
        });
    }

    #[test]
    fn running_one_job_at_a_time_is_rejected() {
        paused(|| async {
            let run = measure(9, 3, |_| 10).await;
            assert_eq!(
                run.max, 3,
                "with 9 jobs and a limit of 3, three must run together"
            );
            assert!(
                run.took < Duration::from_millis(40),
                "9 jobs of 10 ms with 3 at a time take 30 ms, not {:?}: do not await a job before \
                 starting the next",
                run.took
            );
        });
    }

    #[test]
    fn outputs_in_finishing_order_are_rejected() {
        paused(|| async {
            // Later jobs finish first; the outputs must still come back in job order.
            let run = measure(6, 6, |i| 60 - 10 * i as u64).await;
            assert_eq!(run.max, 6);
        });
    }

    #[test]
    fn limit_of_one_runs_jobs_in_sequence() {
        paused(|| async {
            let run = measure(4, 1, |_| 5).await;
            assert_eq!(run.max, 1);
            assert_eq!(run.took, Duration::from_millis(20));
        });
    }
}
