// seeing2: find the task that holds the runtime's thread, then let it go
//
// A runtime thread runs one task at a time, and it gets the thread back only when that task's
// `poll` returns. A task that blocks inside `poll` (a `std::thread::sleep`, a std lock, a long
// loop) stops every other task on that thread, and nothing in the runtime says which one did.
// A watchdog can: time each *poll* of each task and report the polls that held the thread for
// `limit` or more. Not the time from start to finish: a task that waits at an `.await` is not
// holding anything.
//
// 1. Write `poll` for `Watched`: time one poll of the inner future on the watchdog's clock and
//    record a `SlowPoll` when it took `limit` or more. (A service would read `Instant::now()`;
//    this watchdog reads a `TestClock`, so a test can make a poll "take" 300 ms without
//    sleeping.)
// 2. Write `off_the_runtime`: run blocking work where it holds no runtime thread.
//
// Do not change the tests.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use runtime_reference::testing::TestClock;

/// One poll that held the thread for too long.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SlowPoll {
    task: &'static str,
    took: Duration,
}

/// Watches the futures it wraps and collects their slow polls.
#[derive(Clone)]
struct Watchdog {
    clock: TestClock,
    limit: Duration,
    slow: Arc<Mutex<Vec<SlowPoll>>>,
}

impl Watchdog {
    fn new(clock: TestClock, limit: Duration) -> Self {
        Self {
            clock,
            limit,
            slow: Arc::default(),
        }
    }

    /// `fut`, timed poll by poll under the name `task`.
    fn watch<F: Future>(&self, task: &'static str, fut: F) -> Watched<F> {
        Watched {
            task,
            dog: self.clone(),
            inner: Box::pin(fut),
        }
    }

    /// Every slow poll so far, in the order they happened.
    fn slow_polls(&self) -> Vec<SlowPoll> {
        self.slow.lock().unwrap().clone()
    }
}

struct Watched<F> {
    task: &'static str,
    dog: Watchdog,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // TODO: poll the inner future once, timing that poll on `self.dog.clock`; when it took
        //   `self.dog.limit` or more, push a `SlowPoll` with this task's name to `self.dog.slow`.
        //   (`Watched` is `Unpin`, so `self.get_mut()` gives a `&mut Watched`.)
        todo!()
    }
}

/// Runs `work`, which blocks, without holding a thread of the runtime, and returns its result.
async fn off_the_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    // TODO: run `work` where blocking holds no runtime thread, and return what it returns.
    todo!()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use tokio::sync::oneshot;
    use tokio::task::yield_now;

    const LIMIT: Duration = Duration::from_millis(100);

    /// Runs `body` on a current_thread runtime (the default of `#[tokio::test]`), failing the
    /// test if it is still running after two seconds of real time.
    fn run<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(
            Duration::from_secs(2),
            "a test did not finish within two seconds: something blocks the runtime's thread",
            || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("failed to build the test runtime")
                    .block_on(body())
            },
        );
    }

    fn slow(task: &'static str, millis: u64) -> SlowPoll {
        SlowPoll {
            task,
            took: Duration::from_millis(millis),
        }
    }

    #[test]
    fn time_spent_waiting_counted_as_blocking_is_rejected() {
        run(|| async {
            let clock = TestClock::new();
            let dog = Watchdog::new(clock.clone(), LIMIT);
            let (done, wait) = oneshot::channel();
            // `waiter` waits at `.await` while `hog` holds the thread for 300 ms in one poll.
            let waiter = tokio::spawn(dog.watch("waiter", async move { wait.await.unwrap() }));
            let hog = tokio::spawn(dog.watch("hog", async move {
                clock.advance(Duration::from_millis(300));
                done.send(()).unwrap();
            }));
            hog.await.unwrap();
            waiter.await.unwrap();
            assert_eq!(
                dog.slow_polls(),
                vec![slow("hog", 300)],
                "only `hog` held the thread; `waiter` spent those 300 ms parked at an `.await`, \
                 which blocks nobody: time each poll, not the task from start to finish"
            );
        });
    }

    #[test]
    fn slow_later_poll_missed_is_rejected() {
        run(|| async {
            let clock = TestClock::new();
            let dog = Watchdog::new(clock.clone(), LIMIT);
            dog.watch("late", async move {
                yield_now().await;
                clock.advance(Duration::from_millis(250));
            })
            .await;
            assert_eq!(
                dog.slow_polls(),
                vec![slow("late", 250)],
                "the second poll of `late` held the thread for 250 ms: time every poll, not only \
                 the first"
            );
        });
    }

    #[test]
    fn short_polls_added_up_is_rejected() {
        run(|| async {
            let clock = TestClock::new();
            let dog = Watchdog::new(clock.clone(), LIMIT);
            dog.watch("chatty", async move {
                for _ in 0..5 {
                    clock.advance(Duration::from_millis(50));
                    yield_now().await;
                }
            })
            .await;
            assert_eq!(
                dog.slow_polls(),
                vec![],
                "`chatty` held the thread 50 ms at a time and gave it back in between: no single \
                 poll reached the limit, so nothing should be reported"
            );
        });
    }

    #[test]
    fn blocking_work_left_on_the_runtime_thread_is_rejected() {
        run(|| async {
            // The work waits (a real blocking wait) for a message from another task of this
            // runtime. It comes only if the runtime's one thread is free to run that task.
            let (beat, heard) = std::sync::mpsc::channel();
            tokio::spawn(async move {
                let _ = beat.send(());
            });
            let got_through =
                off_the_runtime(move || heard.recv_timeout(Duration::from_millis(500)).is_ok())
                    .await;
            assert!(
                got_through,
                "while the blocking work ran, no other task of the runtime ran: the work held the \
                 runtime's thread (run it with `tokio::task::spawn_blocking`)"
            );
        });
    }
}
