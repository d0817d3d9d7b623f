// wrong answer: marks the wrapper finished on every poll, Pending included; `panicking_on_a_poll_after_pending_is_rejected` catches it.
// futures5: never poll a future after it returned Ready
//
// The `Future` contract has one rule for callers: once `poll` returned `Ready`, do not call it
// again. What happens if you do is up to the future: `async` blocks panic, some hand-written
// futures return garbage or hang. A wrapper can turn the mistake into a clear message instead.
//
// `Checked<F>` wraps any future. Make its `poll`:
//   - panic with the message "polled after completion" if the inner future already returned
//     Ready through this wrapper;
//   - otherwise poll the inner future and pass its answer on, remembering when it was Ready.
// Polling again after `Pending` is normal and must keep working.
//
// The inner future is required to be `Unpin` here, so `Pin::new(&mut self.inner)` pins it
// for the call; chapter 06 lifts that restriction.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

struct Checked<F> {
    inner: F,
    finished: bool,
}

impl<F> Checked<F> {
    fn new(inner: F) -> Self {
        Checked {
            inner,
            finished: false,
        }
    }
}

impl<F: Future + Unpin> Future for Checked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if self.finished {
            panic!("polled after completion");
        }
        let answer = Pin::new(&mut self.inner).poll(cx);
        self.finished = true;
        answer
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::future::{poll_fn, ready};
    use std::pin::pin;

    /// Pending on the first three polls, then Ready with the number of polls so far.
    fn slow() -> impl Future<Output = u32> + Unpin {
        let mut polls = 0;
        poll_fn(move |cx| {
            polls += 1;
            if polls < 4 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(polls)
            }
        })
    }

    #[test]
    fn output_is_passed_through() {
        assert_eq!(block_on_checked(Checked::new(ready("value"))), "value");
        assert_eq!(block_on_checked(Checked::new(slow())), 4);
    }

    #[test]
    #[should_panic(expected = "polled after completion")]
    fn second_poll_after_ready_is_allowed_is_rejected() {
        let counter = CountingWaker::new();
        // `slow` itself would happily answer a fifth poll: only the wrapper can refuse it.
        let mut fut = pin!(Checked::new(slow()));
        while poll_once(fut.as_mut(), &counter.waker()).is_pending() {}
        let _ = poll_once(fut.as_mut(), &counter.waker());
    }

    #[test]
    fn panicking_on_a_poll_after_pending_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(Checked::new(slow()));
        for _ in 0..3 {
            assert!(poll_once(fut.as_mut(), &counter.waker()).is_pending());
        }
        assert_eq!(poll_once(fut.as_mut(), &counter.waker()), Poll::Ready(4));
    }

    #[test]
    fn waker_not_passed_to_the_inner_future_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(Checked::new(slow()));
        let _ = poll_once(fut.as_mut(), &counter.waker());
        assert_eq!(
            counter.count(),
            1,
            "the inner future woke the waker it was given: it must be the caller's"
        );
    }
}
