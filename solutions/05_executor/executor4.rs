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
        let this = self.get_mut();
        let mut shared = this.shared.lock().unwrap();
        if shared.fired {
            return Poll::Ready(());
        }
        // Stored before the thread can look at it, under the same lock the thread takes.
        shared.waker = Some(cx.waker().clone());
        if !this.started {
            this.started = true;
            let (deadline, state) = (this.deadline, this.shared.clone());
            thread::spawn(move || {
                thread::sleep(deadline.saturating_duration_since(Instant::now()));
                let waker = {
                    let mut shared = state.lock().unwrap();
                    shared.fired = true;
                    shared.waker.take()
                };
                // Woken outside the lock: the woken task may poll (and lock) at once.
                if let Some(waker) = waker {
                    waker.wake();
                }
            });
        }
        Poll::Pending
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
    use std::sync::mpsc;
    use std::task::Wake;

    /// A waker that, when woken, looks whether the timer is already marked as fired, as the
    /// task it wakes would on its next poll (`None`: the lock was taken, it could not look).
    struct LooksWhenWoken {
        shared: Arc<Mutex<Shared>>,
        saw_fired: Mutex<Vec<Option<bool>>>,
    }

    impl Wake for LooksWhenWoken {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            let fired = self.shared.try_lock().ok().map(|shared| shared.fired);
            self.saw_fired.lock().unwrap().push(fired);
        }
    }

    /// Long enough that its helper thread never fires while the tests run.
    const FAR: Duration = Duration::from_secs(3600);

    /// Waits (a millisecond at a time, at most half a second) until `done` holds.
    fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
        let limit = Instant::now() + Duration::from_millis(500);
        while !done() {
            assert!(
                Instant::now() < limit,
                "{what}: no wake-up within half a second"
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Runs `f` on its own thread; fails if it does not return soon (a poll that sleeps).
    fn without_sleeping_in_poll<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(f());
        });
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(out) => out,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "polling a timer an hour away did not return: poll must never sleep, a helper \
                 thread waits instead"
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the test failed (see above)"),
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
            "a timer polled before its deadline must return Pending"
        );
        wait_until("the 30 ms timer", || counter.count() > 0);
        assert!(
            start.elapsed() >= Duration::from_millis(30),
            "the timer woke its task before its deadline"
        );
        assert!(poll_once(Pin::new(&mut timer), &counter.waker()).is_ready());
    }

    #[test]
    fn sleeping_inside_poll_is_rejected() {
        let pending = without_sleeping_in_poll(|| {
            let mut timer = Timer::after(FAR);
            let counter = CountingWaker::new();
            poll_once(Pin::new(&mut timer), &counter.waker()).is_pending()
        });
        assert!(pending, "a timer an hour away must answer Pending");
    }

    #[test]
    fn timers_served_one_after_another_are_rejected() {
        without_sleeping_in_poll(|| {
            let start = Instant::now();
            let (late, soon) = (CountingWaker::new(), CountingWaker::new());
            let mut far = Timer::after(FAR);
            let mut near = Timer::after(Duration::from_millis(5));
            assert!(poll_once(Pin::new(&mut far), &late.waker()).is_pending());
            assert!(poll_once(Pin::new(&mut near), &soon.waker()).is_pending());
            wait_until(
                "a 5 ms timer polled after a timer an hour away: each timer needs its own helper",
                || soon.count() > 0,
            );
            assert!(start.elapsed() >= Duration::from_millis(5));
            assert!(poll_once(Pin::new(&mut near), &soon.waker()).is_ready());
            assert_eq!(late.count(), 0, "the timer an hour away woke its task");
            assert!(poll_once(Pin::new(&mut far), &late.waker()).is_pending());
        });
    }

    #[test]
    fn waking_a_stale_waker_is_rejected() {
        without_sleeping_in_poll(|| {
            let mut timer = Timer::after(FAR);
            let (first, second) = (CountingWaker::new(), CountingWaker::new());
            assert!(poll_once(Pin::new(&mut timer), &first.waker()).is_pending());
            assert!(poll_once(Pin::new(&mut timer), &second.waker()).is_pending());
            let shared = timer.shared.lock().unwrap();
            let stored = shared
                .waker
                .as_ref()
                .expect("a pending timer stores its waker");
            assert!(
                stored.will_wake(&second.waker()),
                "the stored waker is an old poll's: keep the most recent one"
            );
            assert_eq!(
                first.live_wakers(),
                0,
                "a copy of the first poll's waker is still alive (kept by the helper thread?): \
                 the thread must wake the waker stored by the latest poll"
            );
        });
    }

    #[test]
    fn waking_before_marking_the_timer_fired_is_rejected() {
        let mut timer = Timer::after(Duration::from_millis(2));
        let looker = Arc::new(LooksWhenWoken {
            shared: Arc::clone(&timer.shared),
            saw_fired: Mutex::new(Vec::new()),
        });
        let waker = Waker::from(Arc::clone(&looker));
        assert!(poll_once(Pin::new(&mut timer), &waker).is_pending());
        wait_until("the 2 ms timer", || {
            !looker.saw_fired.lock().unwrap().is_empty()
        });
        let seen = looker.saw_fired.lock().unwrap().clone();
        assert!(
            !seen.contains(&Some(false)),
            "the timer's waker was woken before the timer was marked as fired: the woken task \
             would poll, find it not fired, and sleep with nobody left to wake it. Mark it \
             fired first, then wake"
        );
    }
}
