// wrong answer: every Pending poll inserts the deadline again, so one sleep fills the heap and older wakers are woken too; inserting_on_every_poll_is_rejected catches it.
// timers2: Sleep, and how long the runtime may sleep
//
// A `Sleep` future is a deadline. Polled before its deadline, it puts its waker into the
// runtime's timer heap (once: later polls only refresh the waker) and returns `Pending`. When
// the runtime has no task to run, it blocks in the reactor, but only until the earliest
// deadline: then it fires the expired timers, which wakes the sleeping tasks, which poll their
// `Sleep` again and find the deadline passed.
//
//   Sleep::poll:   now >= deadline ? Ready : (insert into the heap | update its waker); Pending
//   park_timeout:  no timers -> None (wait for I/O only); else earliest deadline - now (>= 0)
//
// The timer heap is the reference runtime's `TimerHeap` (insert -> key, update_waker, remove,
// next_deadline, take_expired). Time comes from a `TestClock`, which only moves when a test
// advances it. Implement `Sleep::poll` and `Timers::park_timeout`.

use runtime_reference::testing::TestClock;
use runtime_reference::time::{TimerHeap, TimerKey};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The runtime's timer state: the heap of deadlines and the clock.
pub struct Timers {
    heap: Mutex<TimerHeap>,
    clock: TestClock,
}

impl Timers {
    pub fn new(clock: TestClock) -> Arc<Timers> {
        Arc::new(Timers {
            heap: Mutex::new(TimerHeap::new()),
            clock,
        })
    }

    pub fn sleep(self: &Arc<Self>, duration: Duration) -> Sleep {
        Sleep {
            deadline: self.clock.now() + duration,
            timers: self.clone(),
            key: None,
        }
    }

    /// How long an idle runtime may block in the reactor before a timer is due: `None` (no
    /// limit) when there are no timers, else the time left until the earliest deadline, zero if
    /// it has already passed.
    pub fn park_timeout(&self) -> Option<Duration> {
        let next = self.heap.lock().unwrap().next_deadline()?;
        Some(next.saturating_duration_since(self.clock.now()))
    }

    /// What the runtime does after parking: wake every timer that is due. Returns how many.
    pub fn fire(&self) -> usize {
        let expired = self.heap.lock().unwrap().take_expired(self.clock.now());
        let fired = expired.len();
        for waker in expired {
            waker.wake();
        }
        fired
    }

    pub fn pending(&self) -> usize {
        self.heap.lock().unwrap().len()
    }
}

pub struct Sleep {
    deadline: Instant,
    timers: Arc<Timers>,
    /// The heap entry, once this sleep has registered.
    key: Option<TimerKey>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.timers.clock.now() >= self.deadline {
            return Poll::Ready(());
        }
        let mut heap = self.timers.heap.lock().unwrap();
        let key = heap.insert(self.deadline, cx.waker().clone());
        drop(heap);
        self.key = Some(key);
        Poll::Pending
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn sleep_that_never_registers_is_rejected() {
        let clock = TestClock::new();
        let timers = Timers::new(clock.clone());
        let mut sleep = pin!(timers.sleep(secs(5)));
        let w = CountingWaker::new();
        assert!(
            poll_once(sleep.as_mut(), &w.waker()).is_pending(),
            "the deadline has not passed"
        );
        assert_eq!(
            timers.pending(),
            1,
            "a pending Sleep must put its deadline in the heap"
        );
        clock.advance(secs(5));
        assert_eq!(timers.fire(), 1);
        assert_eq!(w.count(), 1, "firing the timer must wake the sleeping task");
        assert!(poll_once(sleep.as_mut(), &w.waker()).is_ready());
    }

    #[test]
    fn inserting_on_every_poll_is_rejected() {
        let clock = TestClock::new();
        let timers = Timers::new(clock.clone());
        let mut sleep = pin!(timers.sleep(secs(5)));
        let (a, b) = (CountingWaker::new(), CountingWaker::new());
        assert!(poll_once(sleep.as_mut(), &a.waker()).is_pending());
        assert!(poll_once(sleep.as_mut(), &a.waker()).is_pending());
        assert!(poll_once(sleep.as_mut(), &b.waker()).is_pending());
        assert_eq!(
            timers.pending(),
            1,
            "one Sleep, one heap entry, however often it is polled"
        );
        clock.advance(secs(5));
        timers.fire();
        assert_eq!(
            (a.count(), b.count()),
            (0, 1),
            "the waker from the latest poll must be the one woken"
        );
    }

    #[test]
    fn trusting_the_wake_instead_of_the_clock_is_rejected() {
        let clock = TestClock::new();
        let timers = Timers::new(clock.clone());
        let mut sleep = pin!(timers.sleep(secs(5)));
        let w = CountingWaker::new();
        assert!(poll_once(sleep.as_mut(), &w.waker()).is_pending());
        clock.advance(secs(4));
        // Polled again (some other wake) one second early.
        assert!(
            poll_once(sleep.as_mut(), &w.waker()).is_pending(),
            "the deadline is still 1 s away"
        );
        clock.advance(secs(1));
        assert!(
            poll_once(sleep.as_mut(), &w.waker()).is_ready(),
            "at the deadline, Sleep is Ready"
        );
    }

    #[test]
    fn park_timeout_not_from_the_earliest_deadline_is_rejected() {
        let clock = TestClock::new();
        let timers = Timers::new(clock.clone());
        assert_eq!(
            timers.park_timeout(),
            None,
            "with no timers, park until I/O: no timeout"
        );
        let w = CountingWaker::new();
        let mut late = pin!(timers.sleep(secs(30)));
        let mut soon = pin!(timers.sleep(secs(10)));
        assert!(poll_once(late.as_mut(), &w.waker()).is_pending());
        assert!(poll_once(soon.as_mut(), &w.waker()).is_pending());
        assert_eq!(
            timers.park_timeout(),
            Some(secs(10)),
            "wake up for the earliest deadline, not the latest"
        );
        clock.advance(secs(4));
        assert_eq!(
            timers.park_timeout(),
            Some(secs(6)),
            "the timeout counts from now"
        );
        clock.advance(secs(8));
        assert_eq!(
            timers.park_timeout(),
            Some(Duration::ZERO),
            "a deadline already passed means: do not block at all"
        );
    }
}
