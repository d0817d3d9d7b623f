// wrong answer: wakes the caller itself on every Pending "to be sure", so the task spins instead of sleeping until the inner future wakes it; `pending_with_a_different_waker_is_rejected` (one wake per Pending) catches it.
// combinators1: Map
//
// A combinator is a future built from other futures. `Map` wraps a future and a function:
// it polls the inner future and, once that is ready, passes the output through the function.
// The function runs exactly once, and only when the output exists. `Pending` passes straight
// through: the inner future has already arranged its own wake-up with the same `Context`.
//
// To keep the focus on the combinator, this chapter asks for `Unpin` parts (06_pinning showed
// how to lift that; an async block can be wrapped in `Box::pin` first).
//
// Write `Map::poll`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

struct Map<F, G> {
    fut: F,
    /// `Some` until the output has been mapped.
    f: Option<G>,
}

fn map<F, G>(fut: F, f: G) -> Map<F, G> {
    Map { fut, f: Some(f) }
}

impl<F, G, T> Future for Map<F, G>
where
    F: Future + Unpin,
    G: FnOnce(F::Output) -> T + Unpin,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        // `ready!` returns `Poll::Pending` from this function when the inner future is pending.
        let output = match Pin::new(&mut this.fut).poll(cx) {
            Poll::Ready(output) => output,
            Poll::Pending => {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        };
        let f = this.f.take().expect("Map polled after it completed");
        Poll::Ready(f(output))
    }
}

fn main() {
    let doubled = map(std::future::ready(21), |n| n * 2);
    println!("{}", runtime_reference::testing::block_on_checked(doubled));
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::cell::Cell;
    use std::rc::Rc;

    /// `Pending` `left` times (waking itself), then `Ready(value)`.
    struct Countdown {
        left: u32,
        value: u32,
    }

    impl Future for Countdown {
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

    #[test]
    fn maps_the_output() {
        let fut = map(Countdown { left: 2, value: 20 }, |n| format!("got {n}"));
        assert_eq!(block_on_checked(fut), "got 20");
    }

    #[test]
    fn calling_f_before_the_output_exists_is_rejected() {
        let calls = Rc::new(Cell::new(0));
        let seen = calls.clone();
        let mut fut = map(Countdown { left: 1, value: 5 }, move |n| {
            seen.set(seen.get() + 1);
            n + 1
        });
        assert_eq!(calls.get(), 0, "map() must not call f: futures are lazy");
        let counter = CountingWaker::new();
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        assert_eq!(
            calls.get(),
            0,
            "f ran while the inner future was still pending"
        );
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready(6)
        );
        assert_eq!(calls.get(), 1, "f must run exactly once");
    }

    #[test]
    fn pending_with_a_different_waker_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = map(Countdown { left: 3, value: 0 }, |n| n);
        for _ in 0..3 {
            assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        }
        assert_eq!(
            counter.count(),
            3,
            "poll the inner future with the caller's Context so its wake-ups reach the caller"
        );
    }

    #[test]
    fn works_on_a_boxed_async_block() {
        let fut = map(Box::pin(async { "boxed" }), str::len);
        assert_eq!(block_on_checked(fut), 5);
    }

    #[test]
    #[should_panic(expected = "polled after it completed")]
    fn answering_a_poll_after_completion_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = map(std::future::poll_fn(|_| Poll::Ready(1)), |x: u32| x + 1);
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready(2)
        );
        let _ = poll_once(Pin::new(&mut fut), &counter.waker());
    }
}
