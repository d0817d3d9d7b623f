// wrong answer: reports every JoinError as NeverStarted, so a panicking step looks like a job that never ran; caught by a_panicking_step_reported_as_never_started_is_rejected
// tokio_depth3: a blocking job that can really be stopped, whether it runs or still waits in the pool
//
// `spawn_blocking` hands a closure to the runtime's blocking pool: a set of threads that grows on
// demand up to `max_blocking_threads` (512 by default). Past that cap, new closures wait in the
// pool's queue until a thread is free. A closure is not a future: once it has started, nothing can
// interrupt it. `abort` on its JoinHandle only helps while it still waits in the queue: then it
// never starts and the handle reports a cancelled JoinError. A closure that has started runs on.
//
// So a long blocking job that must be stoppable needs both: a flag that the closure checks
// between two steps, and `abort` for the case where it has not started yet.
//
// Write `spawn_job`, `Job::stop` and `Job::join` as their comments say. Do not change the tests.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::task::JoinHandle;

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// `step` returned `Break` after this many calls: the work is done.
    Finished { steps: u64 },
    /// The job was stopped after this many calls of `step`.
    Stopped { steps: u64 },
    /// The job was stopped while it still waited in the pool's queue: `step` never ran.
    NeverStarted,
}

struct Job {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Outcome>,
}

/// Runs `step` again and again on the blocking pool until it returns `Break`, or until the job
/// is stopped, which it notices before every call of `step` (the first one included).
fn spawn_job(mut step: impl FnMut() -> ControlFlow<()> + Send + 'static) -> Job {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let handle = tokio::task::spawn_blocking(move || {
        let mut steps = 0;
        loop {
            if stopped.load(Ordering::SeqCst) {
                return Outcome::Stopped { steps };
            }
            steps += 1;
            if step().is_break() {
                return Outcome::Finished { steps };
            }
        }
    });
    Job { stop, handle }
}

impl Job {
    /// Stops the job without waiting: a job still in the queue must never start, and a running
    /// one must not call `step` again.
    fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.abort();
    }

    /// Waits until the job has ended and says how. If `step` panicked, panics with its payload.
    async fn join(self) -> Outcome {
        match self.handle.await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::NeverStarted,
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::Future;
    use std::sync::atomic::AtomicU64;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Runs `body` on a current_thread runtime whose blocking pool has one thread, failed if it
    /// is still running after a second of real time.
    fn with_one_blocking_thread<Fut: Future<Output = ()>>(
        stuck: &str,
        body: impl FnOnce() -> Fut + Send + 'static,
    ) {
        finishes_within(Duration::from_secs(1), stuck, move || {
            tokio::runtime::Builder::new_current_thread()
                .max_blocking_threads(1)
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        })
    }

    #[test]
    fn abort_alone_leaves_the_job_running_is_rejected() {
        with_one_blocking_thread(
            "the job was stopped but still ran a second later: abort cannot interrupt a \
             spawn_blocking closure that has started; it must check a stop flag before every step",
            || async {
                let steps = Arc::new(AtomicU64::new(0));
                let counted = steps.clone();
                let (running, mut three_steps) = tokio::sync::mpsc::unbounded_channel();
                let job = spawn_job(move || {
                    if counted.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
                        let _ = running.send(());
                    }
                    // A step of blocking work; a job that is never stopped idles instead of spinning.
                    std::thread::sleep(Duration::from_millis(1));
                    ControlFlow::Continue(())
                });
                three_steps.recv().await;
                job.stop();
                let outcome = job.join().await;
                let total = steps.load(Ordering::SeqCst);
                match outcome {
                    Outcome::Stopped { steps } => assert_eq!(
                        steps, total,
                        "the job reported {steps} steps but step ran {total} times"
                    ),
                    other => {
                        panic!("a running job that was stopped must end Stopped, got {other:?}")
                    }
                }
            },
        );
    }

    #[test]
    fn stop_that_lets_the_queued_job_start_is_rejected() {
        with_one_blocking_thread(
            "the test did not finish within a second: the first job never started, or the \
             stopped job never ended",
            || async {
                // The first job takes the pool's only thread and holds it until released.
                let (release, released) = mpsc::channel::<()>();
                let (started, mut first_started) = tokio::sync::mpsc::unbounded_channel();
                let first = spawn_job(move || {
                    let _ = started.send(());
                    let _ = released.recv();
                    ControlFlow::Break(())
                });
                first_started.recv().await;
                // The pool is at its cap: this job waits in the queue.
                let calls = Arc::new(AtomicU64::new(0));
                let counted = calls.clone();
                let queued = spawn_job(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    ControlFlow::Break(())
                });
                queued.stop();
                release.send(()).expect("the first job is gone");
                assert_eq!(first.join().await, Outcome::Finished { steps: 1 });
                assert_eq!(
                    queued.join().await,
                    Outcome::NeverStarted,
                    "a job stopped while it waited in the queue must never start: abort its \
                     JoinHandle, and report the cancelled JoinError as NeverStarted"
                );
                assert_eq!(calls.load(Ordering::SeqCst), 0);
            },
        );
    }

    #[test]
    fn a_finished_job_reported_as_stopped_is_rejected() {
        with_one_blocking_thread(
            "a job of five steps did not finish within a second",
            || async {
                let mut left = 5;
                let job = spawn_job(move || {
                    left -= 1;
                    if left == 0 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                });
                assert_eq!(job.join().await, Outcome::Finished { steps: 5 });
            },
        );
    }

    #[test]
    fn a_panicking_step_reported_as_never_started_is_rejected() {
        with_one_blocking_thread(
            "a job whose step panics did not end within a second",
            || async {
                // A panic raised without the panic hook: nothing is printed, and no backtrace
                // is captured (which can take longer than the limit on a busy machine).
                let job = spawn_job(|| std::panic::resume_unwind(Box::new("the step failed")));
                let joined = tokio::spawn(job.join()).await;
                let error = match joined {
                    Ok(outcome) => panic!(
                        "the step panicked, but join returned {outcome:?}: only a cancelled \
                         JoinError means the job never started; a panic must go on as a panic"
                    ),
                    Err(error) => error,
                };
                assert!(error.is_panic(), "join must panic when the step panicked");
            },
        );
    }
}
