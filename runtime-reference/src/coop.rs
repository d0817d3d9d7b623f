//! Cooperative scheduling: `yield_now` and a per-poll budget (course chapter 10).
//!
//! A task whose channel always has a message, or whose socket always has data, would never
//! return `Pending` and would starve every other task on its thread. Each task poll gets a
//! budget of [`BUDGET`] operations; the runtime's resources spend one each and, once it is
//! gone, return `Pending` (after waking the task) so the executor can run someone else.
//!
//! ```
//! use runtime_reference::coop::yield_now;
//! use runtime_reference::executor::Runtime;
//!
//! Runtime::new().block_on(async {
//!     yield_now().await; // back of the queue, then straight on
//! });
//! ```

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Operations a task may perform in one poll before it is made to yield. Large enough that
/// the forced yield is rare, small enough that a busy task cannot hold the thread for long.
pub const BUDGET: u32 = 128;

thread_local! {
    /// `None` outside a runtime-driven poll: then nothing is limited.
    static REMAINING: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Run `f` (one task poll) with a fresh budget, restoring whatever was there before.
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u32>);
    impl Drop for Restore {
        fn drop(&mut self) {
            REMAINING.with(|r| r.set(self.0));
        }
    }
    let _restore = Restore(REMAINING.with(|r| r.replace(Some(BUDGET))));
    f()
}

/// Spend one unit of the current task's budget. When none is left, wake the task and return
/// `Pending`: the caller must return `Pending` too, without having done its operation.
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    REMAINING.with(|r| match r.get() {
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            r.set(Some(n - 1));
            Poll::Ready(())
        }
        None => Poll::Ready(()),
    })
}

/// How much budget the current poll has left (`None` when not inside a runtime poll).
pub fn remaining() -> Option<u32> {
    REMAINING.with(Cell::get)
}

/// Yield once: return `Pending` after waking ourselves, so the executor puts this task at the
/// back of its queue and runs the others first.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CountingWaker, poll_once};
    use std::pin::pin;

    #[test]
    fn budget_runs_out_after_budget_operations_and_wakes() {
        let counter = CountingWaker::new();
        let waker = counter.waker();
        let mut cx = Context::from_waker(&waker);
        let granted = with_budget(|| {
            let mut n = 0;
            while poll_proceed(&mut cx).is_ready() {
                n += 1;
            }
            n
        });
        assert_eq!(granted, BUDGET);
        assert_eq!(counter.count(), 1, "an exhausted budget must wake the task");
        assert_eq!(remaining(), None, "the budget is restored after the poll");
    }

    #[test]
    fn yield_now_is_pending_once_with_a_wake() {
        let counter = CountingWaker::new();
        let mut y = pin!(yield_now());
        assert!(poll_once(y.as_mut(), &counter.waker()).is_pending());
        assert_eq!(counter.count(), 1);
        assert!(poll_once(y.as_mut(), &counter.waker()).is_ready());
    }
}
