// wrong answer: the values are kept in finishing order instead of sorted; values_in_finishing_order_are_rejected.
// shutdown3: wait for every task with a JoinSet
//
// Before a program exits it must wait for the tasks it started: `tokio::spawn` returns a handle,
// but dropping that handle does not wait for anything, and when `main` returns the runtime
// simply drops whatever is still running. A `tokio::task::JoinSet` owns a group of tasks:
// `spawn` adds one, `join_next().await` returns the next one to finish (in finishing order) and
// `None` once the set is empty. Dropping the set aborts what is left, so drain it first.
//
// Write `run_all`: run every job as a task in a JoinSet, wait for all of them, and return the
// values of the jobs that finished (sorted ascending) and how many jobs panicked. A panic in one
// job arrives as an `Err(JoinError)` from `join_next`; it must not take `run_all` down with it.

use std::future::Future;
use std::pin::Pin;
use tokio::task::JoinSet;

type Job = Pin<Box<dyn Future<Output = u32> + Send>>;

#[derive(Debug, PartialEq)]
struct Outcome {
    values: Vec<u32>,
    panicked: usize,
}

async fn run_all(jobs: Vec<Job>) -> Outcome {
    let mut set: JoinSet<u32> = JoinSet::new();
    for job in jobs {
        set.spawn(job);
    }
    let mut values = Vec::new();
    let mut panicked = 0;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(value) => values.push(value),
            // Nobody aborts these tasks, so an error here is a panic.
            Err(_) => panicked += 1,
        }
    }

    Outcome { values, panicked }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::Instant;

    const STUCK: &str = "a test did not finish within a second of real time: some task is spinning (a loop that never waits), which also freezes tokio's paused clock";

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
                    format!(
                        "
test {test} FAILED: {STUCK}
"
                    )
                    .as_bytes(),
                );
                std::process::exit(101);
            }
        }
    }

    fn job(millis: u64, value: u32) -> Job {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            value
        })
    }

    fn failing_job(millis: u64) -> Job {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            // A panic without the panic hook: no message or backtrace to print, and just as
            // much a panic for the JoinSet.
            std::panic::resume_unwind(Box::new("this job fails on purpose"));
        })
    }

    #[test]
    fn returning_after_the_first_task_is_rejected() {
        paused(|| async {
            let outcome = run_all(vec![job(30, 3), job(10, 1), job(20, 2)]).await;
            assert_eq!(
                outcome,
                Outcome {
                    values: vec![1, 2, 3],
                    panicked: 0
                },
                "run_all must wait for every job, not just the first to finish"
            );
        });
    }

    #[test]
    fn running_jobs_one_after_another_is_rejected() {
        paused(|| async {
            let start = Instant::now();
            run_all((0..5).map(|i| job(20, i)).collect()).await;
            assert_eq!(
                start.elapsed(),
                Duration::from_millis(20),
                "five jobs of 20 ms run as tasks take 20 ms together"
            );
        });
    }

    #[test]
    fn unwrapping_a_panicked_task_is_rejected() {
        paused(|| async {
            let outcome =
                run_all(vec![job(5, 7), failing_job(10), job(15, 9), failing_job(1)]).await;
            assert_eq!(
                outcome,
                Outcome {
                    values: vec![7, 9],
                    panicked: 2
                },
                "count panicked jobs and keep collecting the others"
            );
        });
    }

    #[test]
    fn values_in_finishing_order_are_rejected() {
        paused(|| async {
            // The largest value finishes first: join_next hands them back in finishing order.
            let outcome = run_all(vec![job(30, 1), job(20, 2), job(10, 3)]).await;
            assert_eq!(
                outcome.values,
                vec![1, 2, 3],
                "the values must come back sorted ascending, not in the order the jobs finished"
            );
        });
    }

    #[test]
    fn an_empty_batch_finishes_at_once() {
        paused(|| async {
            let outcome = run_all(Vec::new()).await;
            assert_eq!(
                outcome,
                Outcome {
                    values: vec![],
                    panicked: 0
                }
            );
        });
    }
}
