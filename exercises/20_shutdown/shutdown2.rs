// shutdown2: drain in-flight requests, with a deadline
//
// Graceful shutdown: stop taking new requests, let the ones already running finish, and give up
// after a deadline so a stuck request cannot keep the process alive forever. That needs to know
// how many requests are in flight, and a wake-up when the number reaches zero.
//
// Write the `Tracker`:
// - `start` counts one more request in flight and returns a guard; dropping the guard (however
//   the request ends) counts it out again, and the last one out wakes anyone draining;
// - `drain(deadline)` returns `true` as soon as nothing is in flight (at once if nothing is), or
//   `false` when the deadline passes first (`tokio::time::timeout`).
// The Notified future must exist before you check the count: create it, then check, then await
// it. Otherwise the last request could finish between your check and your wait. A `Notified`
// hears `notify_waiters` from the moment it is created; `enable()` matters for `notify_one`
// (which only sees a future once it is polled or enabled), and does no harm here.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

struct Tracker {
    in_flight: AtomicUsize,
    idle: Notify,
}

struct InFlight {
    tracker: Arc<Tracker>,
}

impl Tracker {
    fn new() -> Arc<Self> {
        Arc::new(Tracker {
            in_flight: AtomicUsize::new(0),
            idle: Notify::new(),
        })
    }

    // TODO: one more request in flight.
    fn start(self: &Arc<Self>) -> InFlight {
        todo!()
    }

    // TODO: wait (at most `deadline`) until nothing is in flight.
    async fn drain(&self, deadline: Duration) -> bool {
        todo!()
    }
}

impl Drop for InFlight {
    // TODO: one request fewer; if it was the last, wake every task in `drain`.
    fn drop(&mut self) {
        todo!()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;
    use std::task::{Poll, Wake, Waker};
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

    // Starts a request that takes `millis` of (paused) time.
    fn request(tracker: &Arc<Tracker>, millis: u64) -> tokio::task::JoinHandle<()> {
        let guard = tracker.start();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            drop(guard);
        })
    }

    // Time is paused: a drain that ignores its deadline fails the test at once.
    async fn drain_within_a_second(tracker: &Tracker, deadline: Duration) -> (bool, Duration) {
        let start = Instant::now();
        let drained = tokio::time::timeout(Duration::from_secs(1), tracker.drain(deadline))
            .await
            .expect("drain went on past its deadline");
        (drained, start.elapsed())
    }

    #[test]
    fn returning_before_the_last_request_ends_is_rejected() {
        paused(|| async {
            let tracker = Tracker::new();
            for millis in [10, 30, 20] {
                request(&tracker, millis);
            }
            let (drained, took) = drain_within_a_second(&tracker, Duration::from_millis(100)).await;
            assert!(
                drained,
                "all requests ended before the deadline, so drain must return true"
            );
            assert_eq!(
                took,
                Duration::from_millis(30),
                "drain must return when the last request (30 ms) ends, not before and not later"
            );
        });
    }

    #[test]
    fn waiting_past_the_deadline_is_rejected() {
        paused(|| async {
            let tracker = Tracker::new();
            let _stuck = tracker.start();
            request(&tracker, 5);
            let (drained, took) = drain_within_a_second(&tracker, Duration::from_millis(50)).await;
            assert!(
                !drained,
                "a request is still in flight, so drain must report false"
            );
            assert_eq!(
                took,
                Duration::from_millis(50),
                "drain must give up at the deadline"
            );
        });
    }

    #[test]
    fn waiting_when_nothing_is_in_flight_is_rejected() {
        paused(|| async {
            let tracker = Tracker::new();
            drop(tracker.start());
            drop((tracker.start(), tracker.start()));
            let (drained, took) = drain_within_a_second(&tracker, Duration::from_millis(50)).await;
            assert!(drained, "every guard was dropped: nothing is in flight");
            assert_eq!(
                took,
                Duration::ZERO,
                "with nothing in flight, drain returns at once"
            );
        });
    }

    #[test]
    fn waking_before_the_count_reaches_zero_is_rejected() {
        paused(|| async {
            let tracker = Tracker::new();
            let first = tracker.start();
            let second = tracker.start();
            let drainer = {
                let tracker = Arc::clone(&tracker);
                tokio::spawn(async move { tracker.drain(Duration::from_secs(10)).await })
            };
            tokio::task::yield_now().await;
            drop(first);
            tokio::task::yield_now().await;
            assert!(
                !drainer.is_finished(),
                "one request is still in flight; drain must keep waiting"
            );
            drop(second);
            let drained = tokio::time::timeout(Duration::from_millis(1), drainer)
                .await
                .expect("the last guard was dropped but drain was never woken")
                .unwrap();
            assert!(drained);
        });
    }

    #[test]
    fn notify_one_waking_a_single_drainer_is_rejected() {
        paused(|| async {
            let tracker = Tracker::new();
            let guard = tracker.start();
            let (first, second) = (CountingWaker::new(), CountingWaker::new());
            let mut a = pin!(tracker.drain(Duration::from_secs(10)));
            let mut b = pin!(tracker.drain(Duration::from_secs(10)));
            assert!(poll_once(a.as_mut(), &first.waker()).is_pending());
            assert!(poll_once(b.as_mut(), &second.waker()).is_pending());
            drop(guard);
            assert!(
                first.count() >= 1 && second.count() >= 1,
                "two tasks were draining and the last request ended: every one of them must be woken \
                 (`notify_waiters`); `notify_one` wakes only one"
            );
            assert_eq!(poll_once(a.as_mut(), &first.waker()), Poll::Ready(true));
            assert_eq!(poll_once(b.as_mut(), &second.waker()), Poll::Ready(true));
        });
    }

    // A waker that looks at the count when it is woken: a drain woken while a request is still
    // counted finds it non-zero, waits again, and sleeps through the last request's end.
    struct CheckingWaker {
        tracker: Arc<Tracker>,
        woken: AtomicUsize,
        woken_while_busy: AtomicUsize,
    }

    impl Wake for CheckingWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.fetch_add(1, Ordering::SeqCst);
            if self.tracker.in_flight.load(Ordering::SeqCst) != 0 {
                self.woken_while_busy.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn waking_before_counting_the_request_out_is_rejected() {
        paused(|| async {
            let tracker = Tracker::new();
            let guard = tracker.start();
            let checker = Arc::new(CheckingWaker {
                tracker: Arc::clone(&tracker),
                woken: AtomicUsize::new(0),
                woken_while_busy: AtomicUsize::new(0),
            });
            let waker = Waker::from(Arc::clone(&checker));
            let mut drain = pin!(tracker.drain(Duration::from_secs(10)));
            assert!(poll_once(drain.as_mut(), &waker).is_pending());
            drop(guard);
            assert!(
                checker.woken.load(Ordering::SeqCst) >= 1,
                "dropping the last guard must wake the drain"
            );
            assert_eq!(
                checker.woken_while_busy.load(Ordering::SeqCst),
                0,
                "the drain was woken while the request was still counted: decrement first, then \
                 notify (on another thread the woken drain would see 1, wait again, and never wake)"
            );
        });
    }

    #[test]
    fn polling_the_count_instead_of_being_woken_is_rejected() {
        paused(|| async {
            let tracker = Tracker::new();
            let guard = tracker.start();
            let counter = CountingWaker::new();
            let waker = counter.waker();
            let mut drain = pin!(tracker.drain(Duration::from_secs(10)));
            assert!(
                poll_once(drain.as_mut(), &waker).is_pending(),
                "one request is in flight; drain must wait"
            );
            drop(guard);
            assert!(
                counter.count() >= 1,
                "dropping the last guard must wake the drain right away through the Notify; checking \
                 the count again later (sleep or yield in a loop) is not a wake-up"
            );
            assert_eq!(poll_once(drain.as_mut(), &waker), Poll::Ready(true));
        });
    }
}
