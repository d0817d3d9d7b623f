// executor4: a timer future backed by a helper thread
//
// A `Timer` is ready once its deadline has passed. The future itself must never sleep: that
// would block the thread that polls it, and every other future waiting there. Instead, the
// first poll starts a helper thread that sleeps until the deadline, marks the timer as fired,
// and wakes the most recent waker. Each poll stores its waker in the shared state, so the
// helper thread always wakes whoever polled last.
//
// Write `Timer::poll`.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Shared {
    fired: bool,
    /// The waker of the most recent poll.
    waker: Option<Waker>,
}

struct Timer {
    deadline: Instant,
    /// Whether the helper thread has been started.
    started: bool,
    shared: Arc<Mutex<Shared>>,
}

impl Timer {
    fn after(duration: Duration) -> Self {
        Timer {
            deadline: Instant::now() + duration,
            started: false,
            shared: Arc::default(),
        }
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // TODO: `Timer` is `Unpin`, so `self.get_mut()` gives `&mut Timer`. Then, holding the
        // `shared` lock:
        //   - fired already? `Ready(())`.
        //   - otherwise store a clone of `cx.waker()`, and on the first poll only, start a
        //     thread that sleeps until `deadline`, sets `fired`, takes the stored waker and
        //     wakes it (after releasing the lock). Return `Pending`.
        todo!()
    }
}

fn main() {
    let start = Instant::now();
    runtime_reference::testing::block_on_checked(Timer::after(Duration::from_millis(10)));
    println!("the timer fired after {:?}", start.elapsed());
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::task::Wake;

    /// A waker that records which timer woke and when.
    struct Recorder {
        id: u64,
        log: Arc<Mutex<Vec<(u64, Instant)>>>,
    }

    impl Wake for Recorder {
        fn wake(self: Arc<Self>) {
            self.log.lock().unwrap().push((self.id, Instant::now()));
        }
    }

    /// Waits (a few ms at a time, at most a second) until `done` holds.
    fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
        let limit = Instant::now() + Duration::from_secs(1);
        while !done() {
            assert!(Instant::now() < limit, "{what}: no wake-up within a second");
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn timer_that_never_wakes_is_rejected() {
        let start = Instant::now();
        let mut timer = Timer::after(Duration::from_millis(5));
        let counter = CountingWaker::new();
        assert!(poll_once(Pin::new(&mut timer), &counter.waker()).is_pending());
        wait_until(
            "the timer returned Pending, so something must wake it at the deadline",
            || counter.count() > 0,
        );
        assert!(poll_once(Pin::new(&mut timer), &counter.waker()).is_ready());
        assert!(start.elapsed() >= Duration::from_millis(5));
    }

    #[test]
    fn timer_ready_before_its_deadline_is_rejected() {
        let start = Instant::now();
        let mut timer = Timer::after(Duration::from_millis(30));
        let counter = CountingWaker::new();
        assert!(
            poll_once(Pin::new(&mut timer), &counter.waker()).is_pending(),
            "a timer polled before its deadline must return Pending (and must not sleep in poll)"
        );
        wait_until("the 30 ms timer", || counter.count() > 0);
        assert!(poll_once(Pin::new(&mut timer), &counter.waker()).is_ready());
        assert!(
            start.elapsed() >= Duration::from_millis(30),
            "the timer finished before its deadline"
        );
    }

    #[test]
    fn timers_served_one_after_another_are_rejected() {
        let start = Instant::now();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut timers: Vec<(u64, Timer)> = [70, 40, 10]
            .into_iter()
            .map(|ms| (ms, Timer::after(Duration::from_millis(ms))))
            .collect();
        for (ms, timer) in &mut timers {
            let waker = Waker::from(Arc::new(Recorder {
                id: *ms,
                log: log.clone(),
            }));
            assert!(poll_once(Pin::new(timer), &waker).is_pending());
        }
        wait_until("three timers", || log.lock().unwrap().len() >= 3);
        let log = log.lock().unwrap().clone();
        let order: Vec<u64> = log.iter().map(|(id, _)| *id).collect();
        assert_eq!(
            order,
            [10, 40, 70],
            "the timers must run side by side and fire in deadline order"
        );
        for (ms, at) in log {
            assert!(
                at >= start + Duration::from_millis(ms),
                "the {ms} ms timer woke its task before its deadline"
            );
        }
        let counter = CountingWaker::new();
        for (ms, timer) in &mut timers {
            let polled = poll_once(Pin::new(timer), &counter.waker());
            assert!(polled.is_ready(), "the {ms} ms timer woke but is not ready");
        }
    }

    #[test]
    fn waking_a_stale_waker_is_rejected() {
        let mut timer = Timer::after(Duration::from_millis(5));
        let (first, second) = (CountingWaker::new(), CountingWaker::new());
        assert!(poll_once(Pin::new(&mut timer), &first.waker()).is_pending());
        assert!(poll_once(Pin::new(&mut timer), &second.waker()).is_pending());
        wait_until("the second waker", || second.count() > 0);
        assert_eq!(
            first.count(),
            0,
            "the timer woke the waker of an old poll: keep the most recent one"
        );
    }
}
