// wrong answer: the will_wake test is inverted: the stored waker is replaced when it is the same task and kept when it changed; `keeping_the_first_waker_is_rejected` catches it.
// wakers5: a stored waker must be the latest one
//
// A future that waits for an outside event (data, a timer, a message) stores its waker where
// the event's producer will find it. But the waker can change between polls: the future may
// be moved to another task (a `select` that is rebuilt each loop, a work-stealing runtime that
// moves the task to another worker). The contract: wake the waker from the *most recent*
// poll. A future that keeps the first waker it saw wakes the wrong task, or a finished one,
// and the task that is really waiting sleeps forever.
//
// `Signal::fire` wakes whatever waker `Wait` stored. Fix `Wait::poll` so the stored waker is
// always the one from the latest poll. Cloning a waker has a cost (often an atomic increment),
// so keep the stored one when `Waker::will_wake` says it wakes the same task already.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Shared {
    fired: bool,
    waker: Option<Waker>,
}

/// A one-time event. Clones share it.
#[derive(Clone, Default)]
struct Signal {
    shared: Arc<Mutex<Shared>>,
}

impl Signal {
    fn fire(&self) {
        let mut shared = self.shared.lock().unwrap();
        shared.fired = true;
        if let Some(waker) = shared.waker.take() {
            waker.wake();
        }
    }

    fn wait(&self) -> Wait {
        Wait {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// Ready once the signal has fired.
struct Wait {
    shared: Arc<Mutex<Shared>>,
}

impl Future for Wait {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut shared = self.shared.lock().unwrap();
        if shared.fired {
            return Poll::Ready(());
        }
        match &mut shared.waker {
            Some(stored) if !stored.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{RawWaker, RawWakerVTable};

    /// Counts how often wakers made by `counting_clones` are cloned.
    static CLONES: AtomicUsize = AtomicUsize::new(0);

    static CLONE_COUNTING: RawWakerVTable = RawWakerVTable::new(
        |data| {
            CLONES.fetch_add(1, Ordering::SeqCst);
            RawWaker::new(data, &CLONE_COUNTING)
        },
        |_| {},
        |_| {},
        |_| {},
    );

    /// A waker that wakes nothing and counts its clones in `CLONES` (one test uses it).
    fn counting_clones() -> Waker {
        // SAFETY: the vtable's functions never read `data`, so any pointer will do.
        unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &CLONE_COUNTING)) }
    }

    #[test]
    fn keeping_the_first_waker_is_rejected() {
        let signal = Signal::default();
        let (a, b) = (CountingWaker::new(), CountingWaker::new());
        let mut wait = pin!(signal.wait());
        assert!(poll_once(wait.as_mut(), &a.waker()).is_pending());
        // The future moved to another task: it is now polled with B.
        assert!(poll_once(wait.as_mut(), &b.waker()).is_pending());
        signal.fire();
        assert_eq!(
            a.count(),
            0,
            "A belongs to a task that no longer waits here"
        );
        assert_eq!(
            b.count(),
            1,
            "the signal must wake the waker of the latest poll (B), exactly once"
        );
        assert_eq!(poll_once(wait.as_mut(), &b.waker()), Poll::Ready(()));
    }

    #[test]
    fn holding_on_to_the_old_waker_is_rejected() {
        let signal = Signal::default();
        let (a, b) = (CountingWaker::new(), CountingWaker::new());
        let mut wait = pin!(signal.wait());
        let _ = poll_once(wait.as_mut(), &a.waker());
        assert_eq!(a.live_wakers(), 1, "Pending must keep a copy of the waker");
        let _ = poll_once(wait.as_mut(), &b.waker());
        assert_eq!(
            a.live_wakers(),
            0,
            "A was replaced: its copy must be dropped"
        );
        assert_eq!(b.live_wakers(), 1, "exactly one copy of B is kept");
    }

    #[test]
    fn storing_every_waker_seen_is_rejected() {
        let signal = Signal::default();
        let a = CountingWaker::new();
        let waker = a.waker();
        let mut wait = pin!(signal.wait());
        for _ in 0..3 {
            assert!(poll_once(wait.as_mut(), &waker).is_pending());
        }
        assert_eq!(a.live_wakers(), 2, "the test's waker and one stored copy");
        signal.fire();
        assert_eq!(a.count(), 1, "one fire, one wake");
    }

    #[test]
    fn pending_after_the_signal_fired_is_rejected() {
        let signal = Signal::default();
        let a = CountingWaker::new();
        signal.fire();
        let mut wait = pin!(signal.wait());
        assert_eq!(poll_once(wait.as_mut(), &a.waker()), Poll::Ready(()));
        assert_eq!(
            a.live_wakers(),
            0,
            "a Ready future has no reason to keep a waker"
        );
    }

    #[test]
    fn cloning_the_same_waker_on_every_poll_is_rejected() {
        let signal = Signal::default();
        let waker = counting_clones();
        let mut wait = pin!(signal.wait());
        for _ in 0..4 {
            assert!(poll_once(wait.as_mut(), &waker).is_pending());
        }
        let clones = CLONES.load(Ordering::SeqCst);
        assert_eq!(
            clones, 1,
            "four polls by the same task cloned its waker {clones} times: keep the stored \
             waker when `will_wake` says it wakes the same task, clone only on a change"
        );
    }
}
