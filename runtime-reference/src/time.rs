//! Timers: an ordered set of deadlines, `sleep`, `timeout` and `interval` (course chapter 12).
//!
//! Each runtime keeps its pending deadlines in a [`TimerHeap`] (the store is the private
//! `timer` module, which these futures use and the driver waits on); when the executor has
//! nothing to run it waits in the reactor at most until the earliest deadline, then wakes the
//! expired timers. A [`Sleep`] enters the heap on its first poll and leaves it when it fires
//! or is dropped. Time comes from the runtime's [`Clock`]: the real one, or a
//! [`ManualClock`] such as `testing::TestClock`.
//!
//! ```
//! use runtime_reference::executor::Runtime;
//! use runtime_reference::testing::TestClock;
//! use runtime_reference::time::{sleep, timeout};
//! use std::time::Duration;
//!
//! // On a test clock, an idle runtime jumps straight to the next deadline: no real waiting.
//! let clock = TestClock::new();
//! let rt = Runtime::with_test_clock(clock.clone());
//! rt.block_on(async {
//!     sleep(Duration::from_secs(60)).await;
//!     let slow = timeout(Duration::from_secs(1), sleep(Duration::from_secs(5))).await;
//!     assert!(slow.is_err());
//! });
//! assert_eq!(clock.elapsed(), Duration::from_secs(61));
//! ```

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::context;
use crate::timer::Timers;

pub use crate::timer::{Clock, ManualClock, TimerHeap, TimerKey};

/// The current runtime's time: the real clock, or its test clock.
///
/// # Panics
/// Outside a runtime.
pub fn now() -> Instant {
    context::current_timers().now()
}

/// How many timers the current runtime has pending (a dropped `Sleep` leaves none).
///
/// # Panics
/// Outside a runtime.
pub fn pending_timers() -> usize {
    context::current_timers().len()
}

/// Wait until `duration` has passed.
///
/// # Panics
/// Outside a runtime.
pub fn sleep(duration: Duration) -> Sleep {
    let timers = context::current_timers();
    let deadline = timers.now() + duration;
    Sleep {
        deadline,
        timers,
        key: None,
    }
}

/// Wait until `deadline`.
///
/// # Panics
/// Outside a runtime.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        timers: context::current_timers(),
        key: None,
    }
}

/// The future returned by [`sleep`].
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    timers: Arc<Timers>,
    key: Option<TimerKey>,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.key.is_some())
            .finish()
    }
}

impl Sleep {
    /// When this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        self.timers.now() >= self.deadline
    }

    /// Move the deadline; the old heap entry is removed.
    pub fn reset(&mut self, deadline: Instant) {
        if let Some(key) = self.key.take() {
            self.timers.remove(key);
        }
        self.deadline = deadline;
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The clock decides, not the wake-up: a wake is only a hint to look again.
        if self.is_elapsed() {
            if let Some(key) = self.key.take() {
                self.timers.remove(key);
            }
            return Poll::Ready(());
        }
        let key = match self.key {
            Some(key) if self.timers.update_waker(key, cx.waker()) => key,
            _ => self.timers.insert(self.deadline, cx.waker().clone()),
        };
        self.key = Some(key);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // No leak and no wake of a task that stopped caring.
        if let Some(key) = self.key.take() {
            self.timers.remove(key);
        }
    }
}

/// The error of a [`timeout`] whose timer won.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Run `fut` for at most `duration`: `Ok(output)` if it finishes first, `Err(Elapsed)` if the
/// timer does (and `fut` is dropped). The deadline counts from this call, not the first poll.
///
/// # Panics
/// Outside a runtime.
pub fn timeout<F: Future>(
    duration: Duration,
    fut: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    let timer = sleep(duration);
    async move {
        let mut fut = pin!(fut);
        let mut timer = timer;
        poll_fn(|cx| {
            // The future first: a result that is ready at the deadline still counts.
            if let Poll::Ready(v) = fut.as_mut().poll(cx) {
                return Poll::Ready(Ok(v));
            }
            Pin::new(&mut timer).poll(cx).map(|()| Err(Elapsed))
        })
        .await
    }
}

/// What an [`Interval`] does with ticks it missed because its owner was busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks back to back until caught up (keeps the long-run rate).
    #[default]
    Burst,
    /// Start the schedule again from now (keeps the spacing between ticks).
    Delay,
    /// Drop the missed ticks and continue on the original grid.
    Skip,
}

/// Ticks every `period`; the first tick completes at once.
///
/// # Panics
/// Outside a runtime, or if `period` is zero.
pub fn interval(period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "interval period must be non-zero");
    let sleep = sleep(Duration::ZERO);
    Interval {
        period,
        next: sleep.deadline(),
        missed: MissedTickBehavior::default(),
        sleep,
    }
}

/// A periodic timer; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    next: Instant,
    missed: MissedTickBehavior,
    sleep: Sleep,
}

impl Interval {
    /// Choose the missed-tick policy.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// Wait for the next tick; returns the instant the tick was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Poll for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.next;
        let now = self.sleep.timers.now();
        self.next = match self.missed {
            MissedTickBehavior::Burst => scheduled + self.period,
            MissedTickBehavior::Delay => now + self.period,
            MissedTickBehavior::Skip => {
                let mut next = scheduled + self.period;
                if next <= now {
                    // Jump over every whole period already gone.
                    let behind = (now - next).as_nanos() / self.period.as_nanos() + 1;
                    next += self.period * u32::try_from(behind).unwrap_or(u32::MAX);
                }
                next
            }
        };
        self.sleep.reset(self.next);
        Poll::Ready(scheduled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::{Runtime, spawn};
    use crate::testing::{CountingWaker, TestClock};
    use std::sync::Mutex;

    #[test]
    fn sleeps_finish_in_deadline_order_on_the_test_clock() {
        let clock = TestClock::new();
        let rt = Runtime::with_test_clock(clock.clone());
        let order = Arc::new(Mutex::new(Vec::new()));
        rt.block_on(async {
            let mut handles = Vec::new();
            for secs in [3u64, 1, 2] {
                let order = Arc::clone(&order);
                handles.push(spawn(async move {
                    sleep(Duration::from_secs(secs)).await;
                    order.lock().unwrap().push(secs);
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
        });
        assert_eq!(*order.lock().unwrap(), [1, 2, 3]);
        // Concurrent, not sequential: the clock moved 3 s, not 6 s.
        assert_eq!(clock.elapsed(), Duration::from_secs(3));
    }

    #[test]
    fn a_dropped_sleep_leaves_no_entry() {
        let rt = Runtime::with_test_clock(TestClock::new());
        rt.block_on(async {
            let mut s = sleep(Duration::from_secs(10));
            let w = CountingWaker::new();
            assert!(
                Pin::new(&mut s)
                    .poll(&mut Context::from_waker(&w.waker()))
                    .is_pending()
            );
            assert_eq!(pending_timers(), 1);
            drop(s);
            assert_eq!(pending_timers(), 0);
            assert_eq!(w.live_wakers(), 0, "the dead sleep's waker is released");
        });
    }

    #[test]
    fn timeout_ok_when_the_future_wins_err_when_the_timer_wins() {
        let rt = Runtime::with_test_clock(TestClock::new());
        rt.block_on(async {
            let fast = timeout(Duration::from_secs(2), async {
                sleep(Duration::from_secs(1)).await;
                5
            });
            assert_eq!(fast.await, Ok(5));
            let slow = timeout(Duration::from_secs(1), sleep(Duration::from_secs(2)));
            assert_eq!(slow.await, Err(Elapsed));
            assert_eq!(
                pending_timers(),
                0,
                "the losing sleep was dropped with its entry"
            );
        });
    }

    #[test]
    fn interval_burst_delay_and_skip_after_a_stall() {
        let clock = TestClock::new();
        let rt = Runtime::with_test_clock(clock.clone());
        rt.block_on(async {
            let p = Duration::from_secs(10);
            for (policy, expect) in [
                (MissedTickBehavior::Burst, [0u64, 10, 20, 30, 40]),
                (MissedTickBehavior::Delay, [0, 10, 20, 45, 55]),
                (MissedTickBehavior::Skip, [0, 10, 20, 40, 50]),
            ] {
                let start = now();
                let mut iv = interval(p);
                iv.set_missed_tick_behavior(policy);
                let mut seen = Vec::new();
                for i in 0..5 {
                    let t = iv.tick().await;
                    seen.push((t - start).as_secs());
                    if i == 1 {
                        clock.advance(Duration::from_secs(25)); // the owner was busy
                    }
                }
                assert_eq!(seen, expect, "{policy:?}");
                drop(iv);
                sleep(Duration::from_secs(100)).await;
            }
        });
    }
}
