// wrong answer: is_terminated always says false, so a select loop never learns that a branch is done; is_terminated_not_tracking_completion_is_rejected catches it.
// select4: Fuse, so a finished future can sit in a select loop
//
// A select loop polls the same futures again and again:
//
//     loop { match select(&mut a, &mut b) { Left(x) => ..., Right(y) => ... } }
//
// Once `a` has completed, the next turn polls it again, and polling a future after it returned
// `Ready` is a contract violation: an async block panics ("`async fn` resumed after
// completion"), others may return garbage. `Fuse<F>` makes that safe: it remembers that its
// future finished, drops it, and from then on returns `Pending` without touching it.
// `is_terminated()` tells the loop when a branch is done for good.
//
// Write `Fuse::poll` and `Fuse::is_terminated`. Do not change the tests.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub struct Fuse<F> {
    /// `None` once the future has completed.
    inner: Option<F>,
}

impl<F> Fuse<F> {
    pub fn new(fut: F) -> Self {
        Fuse { inner: Some(fut) }
    }

    pub fn is_terminated(&self) -> bool {
        false
    }
}

impl<F: Future + Unpin> Future for Fuse<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(inner) = self.inner.as_mut() else {
            // Finished earlier: never poll it again. No waker is kept because nothing will wake.
            return Poll::Pending;
        };
        let out = std::task::ready!(Pin::new(inner).poll(cx));
        self.inner = None;
        Poll::Ready(out)
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::cell::Cell;
    use std::rc::Rc;

    /// Ready with `value` after `pending` Pending polls (waking itself); panics if polled again
    /// after Ready, as an `async fn` does.
    struct Strict {
        value: u32,
        pending: u32,
        done: bool,
        polls: Rc<Cell<u32>>,
    }

    impl Future for Strict {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            assert!(!self.done, "a future was polled after it returned Ready");
            self.polls.set(self.polls.get() + 1);
            if self.pending == 0 {
                self.done = true;
                Poll::Ready(self.value)
            } else {
                self.pending -= 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    fn strict(value: u32, pending: u32) -> (Strict, Rc<Cell<u32>>) {
        let polls = Rc::new(Cell::new(0));
        let s = Strict {
            value,
            pending,
            done: false,
            polls: Rc::clone(&polls),
        };
        (s, polls)
    }

    #[test]
    fn polling_the_inner_future_after_ready_is_rejected() {
        let (s, polls) = strict(5, 0);
        let mut fused = Fuse::new(s);
        let counter = CountingWaker::new();
        assert_eq!(
            poll_once(Pin::new(&mut fused), &counter.waker()),
            Poll::Ready(5)
        );
        for _ in 0..3 {
            assert!(
                poll_once(Pin::new(&mut fused), &counter.waker()).is_pending(),
                "a fused future that finished stays Pending"
            );
        }
        assert_eq!(
            polls.get(),
            1,
            "the inner future was polled after it completed"
        );
    }

    #[test]
    fn is_terminated_not_tracking_completion_is_rejected() {
        let (s, _) = strict(1, 1);
        let mut fused = Fuse::new(s);
        let counter = CountingWaker::new();
        assert!(!fused.is_terminated(), "a fresh future is not terminated");
        assert!(poll_once(Pin::new(&mut fused), &counter.waker()).is_pending());
        assert!(!fused.is_terminated(), "Pending is not terminated");
        assert!(poll_once(Pin::new(&mut fused), &counter.waker()).is_ready());
        assert!(fused.is_terminated(), "after Ready the fuse is terminated");
    }

    #[test]
    fn a_select_loop_over_two_fused_futures_sees_each_output_once() {
        let (a, a_polls) = strict(10, 1);
        let (b, b_polls) = strict(20, 4);
        let (mut a, mut b) = (Fuse::new(a), Fuse::new(b));
        let counter = CountingWaker::new();
        let mut outputs = Vec::new();
        for _ in 0..20 {
            if a.is_terminated() && b.is_terminated() {
                break;
            }
            // One select turn: poll both, take whatever is ready.
            if let Poll::Ready(x) = poll_once(Pin::new(&mut a), &counter.waker()) {
                outputs.push(x);
            }
            if let Poll::Ready(y) = poll_once(Pin::new(&mut b), &counter.waker()) {
                outputs.push(y);
            }
        }
        assert_eq!(outputs, vec![10, 20]);
        assert_eq!((a_polls.get(), b_polls.get()), (2, 5));
        assert!(
            a.is_terminated() && b.is_terminated(),
            "both branches are done"
        );
    }
}
