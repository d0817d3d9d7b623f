// wrong answer: gives up only when more than `max_restarts` restarts are in the window (`>`), allowing one restart too many; restarts_without_a_limit_are_rejected and giving_up_one_restart_early_or_late_is_rejected fail.
// patterns4: a supervisor that restarts a crashing worker, within limits
//
// A worker task may panic. Its supervisor notices (the worker's JoinHandle returns an error)
// and starts a fresh one. But a worker that crashes as soon as it starts would be restarted in
// a tight loop forever, so the supervisor allows at most `max_restarts` restarts within any
// `window` of time; one crash more and it gives up. Crashes older than the window are
// forgotten: a worker that crashes now and then, far apart, is restarted forever.
//
//     start ──▶ worker ──panic──▶ restarts in the last `window` < max? ──yes──▶ start again
//                  │                                            └──no──▶ GaveUp
//                  └──returns──▶ Finished
//
// Write `supervise`. `start_worker()` builds a fresh worker future; run each on its own task.
// Read the time with `tokio::time::Instant` (the tests pause the clock).

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// A worker returned normally after `starts` starts in all.
    Finished { starts: u32 },
    /// The restart limit was hit after `starts` starts in all.
    GaveUp { starts: u32 },
}

pub async fn supervise<F, Fut>(mut start_worker: F, max_restarts: usize, window: Duration) -> Exit
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut recent_restarts: VecDeque<Instant> = VecDeque::new();
    let mut starts = 0;
    loop {
        starts += 1;
        // A task of its own: its panic is caught at the task boundary and reported to us.
        if tokio::spawn(start_worker()).await.is_ok() {
            return Exit::Finished { starts };
        }
        let now = Instant::now();
        // Forget restarts that have slid out of the window.
        while let Some(&at) = recent_restarts.front() {
            if now.duration_since(at) >= window {
                recent_restarts.pop_front();
            } else {
                break;
            }
        }
        if recent_restarts.len() > max_restarts {
            return Exit::GaveUp { starts };
        }
        recent_restarts.push_back(now);
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tokio::time::sleep;

    /// A worker factory: worker number n (from 1) runs for `run_for`, then panics while
    /// n <= crashes, and returns normally after that.
    fn worker(
        crashes: u32,
        run_for: Duration,
    ) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
        let started = Arc::new(AtomicU32::new(0));
        move || {
            let n = started.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(async move {
                sleep(run_for).await;
                if n <= crashes {
                    panic!("worker {n} crashed (on purpose)");
                }
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn crashed_worker_not_restarted_is_rejected() {
        let exit = supervise(
            worker(2, Duration::from_millis(5)),
            3,
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(
            exit,
            Exit::Finished { starts: 3 },
            "two crashes, two restarts, and the third worker finishes"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn restarts_without_a_limit_are_rejected() {
        // Crashes at once, 100 times (then it would finish): the limit must stop it long before.
        let start = Instant::now();
        let exit = supervise(worker(100, Duration::ZERO), 3, Duration::from_secs(1)).await;
        assert_eq!(
            exit,
            Exit::GaveUp { starts: 4 },
            "three restarts are allowed within the window; the fourth crash means giving up"
        );
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn limit_that_never_forgets_old_crashes_is_rejected() {
        // A crash every 600 ms, five times: never more than two in any one second.
        let start = Instant::now();
        let exit = supervise(
            worker(5, Duration::from_millis(600)),
            2,
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(
            exit,
            Exit::Finished { starts: 6 },
            "crashes older than the window must not count against the limit"
        );
        assert_eq!(start.elapsed(), Duration::from_millis(3600));
    }

    #[tokio::test(start_paused = true)]
    async fn giving_up_one_restart_early_or_late_is_rejected() {
        for max_restarts in 1..=4 {
            let exit = supervise(
                worker(100, Duration::ZERO),
                max_restarts,
                Duration::from_secs(1),
            )
            .await;
            let starts = max_restarts as u32 + 1;
            assert_eq!(
                exit,
                Exit::GaveUp { starts },
                "max_restarts = {max_restarts}: the first start plus {max_restarts} restarts, then \
                 the next crash means giving up"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn restart_exactly_one_window_old_still_counted_is_rejected() {
        // One restart allowed per second; the worker crashes after exactly one second each time,
        // so every earlier restart is exactly `window` old at the next crash, and forgotten.
        let exit = supervise(worker(4, Duration::from_secs(1)), 1, Duration::from_secs(1)).await;
        assert_eq!(
            exit,
            Exit::Finished { starts: 5 },
            "a restart `window` or more ago has left the window: it no longer counts"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn zero_limit_that_still_restarts_is_rejected() {
        let exit = supervise(worker(1, Duration::ZERO), 0, Duration::from_secs(1)).await;
        assert_eq!(exit, Exit::GaveUp { starts: 1 });
    }
}
