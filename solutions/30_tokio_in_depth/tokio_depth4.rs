// tokio_depth4: cancel a task, wait until it is really gone, and tell how it ended
//
// `JoinHandle::abort` does not stop anything on the spot. It marks the task cancelled and returns
// at once; the runtime drops the task's future the next time it gets hold of it: at once if the
// task is waiting at an `.await`, or when its current poll returns if it is running right now.
// Dropping the future runs the destructors of everything it holds, so its guards clean up then.
// A task that never reaches a yield point cannot be cancelled: it runs on until it finishes.
//
// Awaiting the JoinHandle after `abort` is how you know the task is gone. It returns `Ok` if the
// task finished before the abort took effect (aborting a finished task does nothing), and an
// `Err` whose `is_cancelled()` is true if it was cancelled; a task that panicked gives an `Err`
// whose `is_panic()` is true.
//
// Write `cancel`, and give `count_up` a yield point in every step so it can be cancelled mid-way.
// Do not change the tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::task::JoinHandle;

#[derive(Debug, PartialEq, Eq)]
enum Ended<T> {
    /// The task finished with this value before the abort took effect.
    Finished(T),
    /// The task was cancelled: its future has been dropped.
    Cancelled,
    /// The task panicked.
    Panicked,
}

/// Aborts the task and returns only once it has stopped, saying how it ended.
async fn cancel<T>(handle: JoinHandle<T>) -> Ended<T> {
    handle.abort();
    match handle.await {
        Ok(value) => Ended::Finished(value),
        Err(error) if error.is_cancelled() => Ended::Cancelled,
        Err(_) => Ended::Panicked,
    }
}

/// Adds 1 to `progress` `n` times and returns `n`. Every step is a point where an abort can take
/// effect, without yielding to the scheduler at every step.
async fn count_up(n: u64, progress: Arc<AtomicU64>) -> u64 {
    for _ in 0..n {
        progress.fetch_add(1, Ordering::SeqCst);
        tokio::task::coop::consume_budget().await;
    }
    n
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::Future;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    /// Runs `body` on a current_thread runtime with a paused clock, failed if it is still running
    /// after a second of real time.
    fn paused<Fut: Future<Output = ()>>(stuck: &str, body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(Duration::from_secs(1), stuck, move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        })
    }

    /// Sets its flag when dropped.
    struct Guard(Arc<AtomicBool>);

    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn returning_before_the_task_is_gone_is_rejected() {
        paused(
            "cancel did not return within a second: the task waits forever, so it must be \
             aborted before its JoinHandle is awaited",
            || async {
                let dropped = Arc::new(AtomicBool::new(false));
                let guard = Guard(dropped.clone());
                let task = tokio::spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                });
                // Let the task start and wait.
                tokio::task::yield_now().await;
                assert_eq!(cancel(task).await, Ended::Cancelled);
                assert!(
                    dropped.load(Ordering::SeqCst),
                    "cancel returned while the task's future was still alive (its guard was not \
                     dropped yet): abort only asks, awaiting the JoinHandle waits for the drop; \
                     dropping the JoinHandle instead detaches the task and cancels nothing"
                );
            },
        );
    }

    #[test]
    fn a_finished_task_reported_as_cancelled_is_rejected() {
        paused("the finished task's JoinHandle did not resolve", || async {
            let task = tokio::spawn(async { 7 });
            while !task.is_finished() {
                tokio::task::yield_now().await;
            }
            assert_eq!(
                cancel(task).await,
                Ended::Finished(7),
                "aborting a task that has already finished does nothing: its JoinHandle still \
                 returns its value"
            );
        });
    }

    #[test]
    fn a_panic_reported_as_cancelled_is_rejected() {
        paused("the panicked task's JoinHandle did not resolve", || async {
            let task = tokio::spawn(async {
                tokio::task::yield_now().await;
                // A panic raised without the panic hook: nothing is printed, and no backtrace
                // is captured (which can take longer than the limit on a busy machine).
                std::panic::resume_unwind(Box::new("the task failed on purpose"))
            });
            while !task.is_finished() {
                tokio::task::yield_now().await;
            }
            assert_eq!(
                cancel(task).await,
                Ended::Panicked,
                "the task panicked: only a JoinError whose is_cancelled() is true means cancelled"
            );
        });
    }

    #[test]
    fn a_loop_without_a_yield_point_is_rejected() {
        paused("counting did not end within a second", || async {
            let progress = Arc::new(AtomicU64::new(0));
            let task = tokio::spawn(count_up(100_000, progress.clone()));
            // Give the counting task one turn, then cancel it.
            tokio::task::yield_now().await;
            let ended = cancel(task).await;
            let counted = progress.load(Ordering::SeqCst);
            assert_eq!(
                ended,
                Ended::Cancelled,
                "count_up ran all its {counted} steps in one go: with no yield point in the loop, \
                 the abort could only take effect once it had finished"
            );
            assert!(
                counted > 0,
                "the counting task never ran before it was cancelled"
            );
        });
    }

    #[test]
    fn a_yield_at_every_step_is_rejected() {
        paused("counting did not end within a second", || async {
            let progress = Arc::new(AtomicU64::new(0));
            let task = tokio::spawn(count_up(1024, progress.clone()));
            let mut turns = 0;
            while !task.is_finished() {
                turns += 1;
                tokio::task::yield_now().await;
            }
            assert_eq!(task.await.expect("count_up failed"), 1024);
            assert!(
                turns <= 1024 / 128 + 2,
                "1024 steps took {turns} turns of the scheduler: a yield point does not need a \
                 yield at every step (spend budget instead)"
            );
        });
    }
}
