// wrong answer: drop unwraps the key, as if every Sleep had registered, so dropping one that was never polled panics; dropping_an_unregistered_or_fired_sleep_panicking_is_rejected catches it.
// timers5: a dropped Sleep leaves the heap
//
// A `Sleep` is often dropped before its deadline: the other branch of a `select` won, a
// `timeout`'s future finished first, a task was aborted. Its entry in the timer heap must go
// with it. Otherwise the heap grows with every cancelled timeout (a leak in a server that sets
// one per request), the runtime keeps waking up for deadlines nobody waits for, and the stored
// waker keeps a finished task alive and wakes it for nothing.
//
//   drop(Sleep) -> registered? remove its key from the heap : nothing to do
//
// Implement `Drop for Sleep`. The rest is the `Sleep` of timers2.

use runtime_reference::testing::TestClock;
use runtime_reference::time::{TimerHeap, TimerKey};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

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

    /// Wakes every timer that is due; returns how many.
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
    key: Option<TimerKey>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.timers.clock.now() >= self.deadline {
            return Poll::Ready(());
        }
        let mut heap = self.timers.heap.lock().unwrap();
        let key = match self.key {
            Some(key) if heap.update_waker(key, cx.waker()) => key,
            _ => heap.insert(self.deadline, cx.waker().clone()),
        };
        drop(heap);
        self.key = Some(key);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        let key = self.key.take().unwrap();
        self.timers.heap.lock().unwrap().remove(key);
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// A sleep polled once, so that it is registered in the heap.
    fn registered(timers: &Arc<Timers>, d: Duration, w: &Arc<CountingWaker>) -> Pin<Box<Sleep>> {
        let mut sleep = Box::pin(timers.sleep(d));
        assert!(poll_once(sleep.as_mut(), &w.waker()).is_pending());
        sleep
    }

    #[test]
    fn dropped_sleep_left_in_the_heap_is_rejected() {
        let timers = Timers::new(TestClock::new());
        let w = CountingWaker::new();
        let sleep = registered(&timers, secs(5), &w);
        assert_eq!(timers.pending(), 1);
        drop(sleep);
        assert_eq!(
            timers.pending(),
            0,
            "a dropped Sleep left its entry in the timer heap"
        );
    }

    #[test]
    fn dropped_sleep_still_woken_is_rejected() {
        let clock = TestClock::new();
        let timers = Timers::new(clock.clone());
        let w = CountingWaker::new();
        drop(registered(&timers, secs(5), &w));
        clock.advance(secs(5));
        assert_eq!(timers.fire(), 0, "no timer should fire: its Sleep is gone");
        assert_eq!(w.count(), 0, "the task of a dropped Sleep was woken");
        assert_eq!(
            w.live_wakers(),
            0,
            "the heap still holds the dropped Sleep's waker"
        );
    }

    #[test]
    fn drop_that_removes_other_timers_is_rejected() {
        let clock = TestClock::new();
        let timers = Timers::new(clock.clone());
        let (a, b) = (CountingWaker::new(), CountingWaker::new());
        let first = registered(&timers, secs(5), &a);
        let _second = registered(&timers, secs(5), &b);
        drop(first);
        assert_eq!(timers.pending(), 1, "only the dropped Sleep's entry may go");
        clock.advance(secs(5));
        timers.fire();
        assert_eq!(
            (a.count(), b.count()),
            (0, 1),
            "the Sleep still alive must still fire"
        );
    }

    #[test]
    fn dropping_an_unregistered_or_fired_sleep_panicking_is_rejected() {
        let clock = TestClock::new();
        let timers = Timers::new(clock.clone());
        let never_polled = timers.sleep(secs(1));
        let w = CountingWaker::new();
        let fired = registered(&timers, secs(1), &w);
        clock.advance(secs(1));
        assert_eq!(timers.fire(), 1);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            drop(never_polled);
            drop(fired);
        }));
        assert!(
            result.is_ok(),
            "dropping a Sleep that never registered, or whose timer already fired, must do nothing"
        );
        assert_eq!(timers.pending(), 0);
    }
}
