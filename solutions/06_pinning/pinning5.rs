// pinning5: pin projection
//
// pinning3's `CountPolls` demanded `F: Unpin`. Real combinators cannot: most futures they wrap
// are async blocks. The way out is *pin projection*: from `Pin<&mut Self>`, hand out a
// `Pin<&mut F>` to the inner future (it is pinned because the wrapper is) and a plain `&mut` to
// the counter (nothing depends on its address). That needs `unsafe`, and `unsafe` is only sound
// under conditions that you must check and state (the chapter README lists them).
//
// Write `Counted::poll` without an `Unpin` bound. Above each `unsafe` block, write a `// SAFETY:`
// comment that states why it is sound *here*: which conditions it relies on and what in this
// file makes them hold. Libraries such as `pin-project` generate this code for you; writing it
// once by hand shows what they check.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

struct Counted<F> {
    inner: F,
    polls: usize,
}

impl<F> Counted<F> {
    fn new(inner: F) -> Self {
        Counted { inner, polls: 0 }
    }
}

impl<F: Future> Future for Counted<F> {
    /// The inner output and how many polls it took.
    type Output = (F::Output, usize);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: the `&mut Counted<F>` never lets `inner` move: below it is only used to bump
        // `polls` and to re-pin `inner` in place; nothing swaps, replaces, takes or returns
        // `inner`, and no method of `Counted` hands out a plain `&mut F`.
        let this = unsafe { self.get_unchecked_mut() };
        // `polls` is not structurally pinned (nothing depends on its address): a plain `&mut`.
        this.polls += 1;
        // SAFETY: `inner` is structurally pinned, and `Counted` keeps the rules for that:
        // it is `Unpin` only when `F: Unpin` (the automatic impl; there is no hand-written one),
        // it has no `Drop` impl that could move `inner` out, it is not `#[repr(packed)]`, and
        // (see above) `inner` is never moved while the `Counted` is pinned.
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        match inner.poll(cx) {
            Poll::Ready(output) => Poll::Ready((output, this.polls)),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn main() {
    let fut = Counted::new(async { "no Box needed" });
    println!("{:?}", runtime_reference::testing::block_on_checked(fut));
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::pin::pin;

    /// `Pending` once (waking itself), then `Ready`.
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
    fn wraps_an_async_block_without_boxing() {
        // The async block keeps `text` across awaits, so it is !Unpin and is not boxed here.
        let fut = Counted::new(async {
            let text = String::from("projected");
            YieldNow(false).await;
            YieldNow(false).await;
            text
        });
        assert_eq!(block_on_checked(fut), ("projected".to_string(), 3));
    }

    #[test]
    fn inner_polled_with_a_different_waker_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(Counted::new(async {
            YieldNow(false).await;
            'x'
        }));
        assert!(poll_once(fut.as_mut(), &counter.waker()).is_pending());
        assert_eq!(
            counter.count(),
            1,
            "the inner future must get the caller's Context, so its wake reaches the caller"
        );
        assert_eq!(
            poll_once(fut.as_mut(), &counter.waker()),
            Poll::Ready(('x', 2))
        );
    }

    #[test]
    fn counting_only_pending_polls_is_rejected() {
        assert_eq!(block_on_checked(Counted::new(async { 3 })), (3, 1));
    }

    #[test]
    fn nested_wrappers_count_independently() {
        let fut = Counted::new(Counted::new(async {
            YieldNow(false).await;
            "inner"
        }));
        assert_eq!(block_on_checked(fut), (("inner", 2), 2));
    }
}
