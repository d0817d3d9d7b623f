// wrong answer: polls the second stage with a no-op waker of its own instead of the caller's Context; `second_future_gets_the_first_output` (block_on_checked names the lost wake-up) catches it.
// combinators4: Then
//
// `then(first, f)` runs `first`, passes its output to `f`, which builds a *second* future,
// and runs that: the hand-written version of
//
//     async { let x = first.await; f(x).await }
//
// It is a state machine with three states. `First` holds the first future and `f`; when the
// first future is ready, the state becomes `Second`, holding the future `f` returned (the
// first future is dropped on the way); when that one is ready, `Done`. After switching to
// `Second`, poll it at once in the same call: returning `Pending` without anyone having
// arranged a wake-up would hang the task forever.
//
// Write `Then::poll`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

enum Then<A, B, G> {
    First { fut: A, f: Option<G> },
    Second(B),
    Done,
}

fn then<A, B, G>(fut: A, f: G) -> Then<A, B, G> {
    Then::First { fut, f: Some(f) }
}

impl<A, B, G> Future for Then<A, B, G>
where
    A: Future + Unpin,
    B: Future + Unpin,
    G: FnOnce(A::Output) -> B + Unpin,
{
    type Output = B::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<B::Output> {
        let this = self.get_mut();
        loop {
            match this {
                Then::First { fut, f } => {
                    let out = std::task::ready!(Pin::new(fut).poll(cx));
                    let f = f.take().expect("f is taken only on this transition");
                    // Replacing the state drops the finished first future.
                    *this = Then::Second(f(out));
                    // Loop: poll the new future now, so it can register its wake-up.
                }
                Then::Second(fut) => {
                    let mut own = Context::from_waker(std::task::Waker::noop());
                    let out = std::task::ready!(Pin::new(fut).poll(&mut own));
                    *this = Then::Done;
                    return Poll::Ready(out);
                }
                Then::Done => panic!("Then polled after it completed"),
            }
        }
    }
}

fn main() {
    let fut = then(std::future::ready(20), |n| std::future::ready(n + 1));
    println!("{}", runtime_reference::testing::block_on_checked(fut));
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::cell::Cell;
    use std::rc::Rc;

    /// `Pending` `left` times (waking itself), then `Ready(value)`. Counts its drops.
    struct Step {
        left: u32,
        value: u32,
        drops: Rc<Cell<u32>>,
    }

    fn step(left: u32, value: u32) -> (Step, Rc<Cell<u32>>) {
        let drops = Rc::new(Cell::new(0));
        let fut = Step {
            left,
            value,
            drops: drops.clone(),
        };
        (fut, drops)
    }

    impl Future for Step {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            if self.left == 0 {
                return Poll::Ready(self.value);
            }
            self.left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    impl Drop for Step {
        fn drop(&mut self) {
            self.drops.set(self.drops.get() + 1);
        }
    }

    #[test]
    fn second_future_gets_the_first_output() {
        let (first, _) = step(2, 4);
        let fut = then(first, |n| step(1, n * 10).0);
        assert_eq!(block_on_checked(fut), 40);
    }

    #[test]
    fn building_the_second_future_early_is_rejected() {
        let calls = Rc::new(Cell::new(0));
        let seen = calls.clone();
        let (first, _) = step(1, 1);
        let mut fut = then(first, move |n| {
            seen.set(seen.get() + 1);
            step(0, n).0
        });
        let counter = CountingWaker::new();
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        assert_eq!(calls.get(), 0, "f ran before the first future was ready");
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready(1)
        );
        assert_eq!(calls.get(), 1, "f must run exactly once");
    }

    #[test]
    fn pending_between_the_stages_without_a_wake_is_rejected() {
        // Both stages are ready at once: the first poll must finish everything.
        let counter = CountingWaker::new();
        let (first, _) = step(0, 7);
        let mut fut = then(first, |n| step(0, n + 1).0);
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready(8),
            "after switching to the second future, poll it in the same call; returning \
             Pending here leaves the task with nobody to wake it"
        );
    }

    #[test]
    fn keeping_the_first_future_alive_is_rejected() {
        let counter = CountingWaker::new();
        let (first, first_drops) = step(0, 3);
        let mut fut = then(first, |n| step(2, n).0);
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        assert_eq!(
            first_drops.get(),
            1,
            "the first future must be dropped once the second one takes over"
        );
        assert_eq!(
            counter.count(),
            1,
            "the second future's wake-up must reach the caller"
        );
    }

    #[test]
    #[should_panic(expected = "polled after it completed")]
    fn answering_a_poll_after_completion_is_rejected() {
        let counter = CountingWaker::new();
        let (first, _) = step(0, 1);
        let mut fut = then(first, |n| step(0, n + 1).0);
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready(2)
        );
        let _ = poll_once(Pin::new(&mut fut), &counter.waker());
    }
}
