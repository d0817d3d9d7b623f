// wrong answer: the count goes up only when the inner future is still pending, so the poll that finishes it is not counted; `not_counting_the_final_poll_is_rejected` catches it.
//
// Most types do not care where they live, so they are `Unpin`, and for them `Pin` is just a
// wrapper: `Pin::new(&mut x)` pins, `pin.get_mut()` unpins, no `unsafe` anywhere.
//
// `CountPolls<F>` wraps a future and counts how often it is polled. Its `poll` unpins itself
// with `get_mut` and re-pins its inner future with `Pin::new`, and both need `Unpin`. The impl
// below does not compile yet: say that `F` must be `Unpin`. Then write `count_any`, which
// accepts any future, `Unpin` or not, by pinning it on the heap first: `Pin<Box<F>>` is
// always `Unpin` (moving the box never moves the future inside).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

struct CountPolls<F> {
    inner: F,
    polls: usize,
}

impl<F> CountPolls<F> {
    fn new(inner: F) -> Self {
        CountPolls { inner, polls: 0 }
    }
}

impl<F: Future + Unpin> Future for CountPolls<F> {
    /// The inner output and how many polls it took.
    type Output = (F::Output, usize);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll(cx) {
            Poll::Ready(output) => Poll::Ready((output, this.polls)),
            Poll::Pending => {
                this.polls += 1;
                Poll::Pending
            }
        }
    }
}

/// Counts the polls of any future, even one that is `!Unpin`.
fn count_any<F: Future>(fut: F) -> CountPolls<Pin<Box<F>>> {
    CountPolls::new(Box::pin(fut))
}

fn main() {
    let (out, polls) = runtime_reference::testing::block_on_checked(count_any(async { 5 }));
    println!("{out} after {polls} poll(s)");
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};

    /// A hand-written (and so `Unpin`) future: `Pending` n times, waking itself, then `Ready`.
    struct Countdown(u32);

    impl Future for Countdown {
        type Output = &'static str;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
            if self.0 == 0 {
                return Poll::Ready("liftoff");
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// `Pending` once (waking itself), then `Ready`; usable inside async blocks.
    struct YieldNow(bool);

    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if std::mem::replace(&mut self.0, true) {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn counts_every_poll_of_an_unpin_future() {
        assert_eq!(
            block_on_checked(CountPolls::new(Countdown(3))),
            ("liftoff", 4)
        );
        assert_eq!(
            block_on_checked(CountPolls::new(Countdown(0))),
            ("liftoff", 1)
        );
    }

    #[test]
    fn inner_polled_with_a_different_waker_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = CountPolls::new(Countdown(2));
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        assert_eq!(
            counter.count(),
            2,
            "the inner future must be polled with the caller's Context, so it wakes the caller"
        );
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready(("liftoff", 3))
        );
    }

    #[test]
    fn count_any_accepts_an_async_block() {
        // An async block holding state across an await is !Unpin: it needs count_any's box.
        let fut = count_any(async {
            let text = String::from("pinned");
            YieldNow(false).await;
            YieldNow(false).await;
            text.len()
        });
        assert_eq!(block_on_checked(fut), (6, 3));
    }

    #[test]
    fn not_counting_the_final_poll_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = count_any(async { 1 });
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready((1, 1))
        );
    }

    /// `Unpin` is detected without naming it in a bound: the inherent constant wins when the
    /// type is `Unpin`, the trait's default otherwise.
    trait NotUnpin {
        const UNPIN: bool = false;
    }
    impl<T: ?Sized> NotUnpin for T {}
    struct Probe<T: ?Sized>(std::marker::PhantomData<T>);
    #[allow(dead_code)]
    impl<T: ?Sized + Unpin> Probe<T> {
        const UNPIN: bool = true;
    }

    #[test]
    fn wrapper_made_unpin_by_hand_is_rejected() {
        assert!(
            !std::hint::black_box(Probe::<CountPolls<std::marker::PhantomPinned>>::UNPIN),
            "CountPolls around a !Unpin value is Unpin: an `impl Unpin` by hand lets safe code \
             move a future that was polled in place. Require `F: Unpin` instead, and box a \
             !Unpin future (count_any)"
        );
        assert!(std::hint::black_box(Probe::<CountPolls<Countdown>>::UNPIN));
    }
}
