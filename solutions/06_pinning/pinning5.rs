// pinning5: pin projection
//
// pinning3's `CountPolls` demanded `F: Unpin`. Real combinators cannot: most futures they wrap
// are async blocks. The way out is *pin projection*: from `Pin<&mut Self>`, hand out one borrow
// per field. A field that is pinned because the wrapper is (structurally pinned) comes out as
// `Pin<&mut T>`; a field nothing pins, which you may replace or move out, comes out as a plain
// `&mut T`. Safe code cannot do this split; it needs `unsafe`, and `unsafe` is only sound under
// conditions that you must check and state (the chapter README lists them).
//
// `Counted` polls `inner`, counts the polls, and when `inner` finishes it moves the
// `on_ready` callback out of its `Option` and calls it with the count. Three TODOs: choose each
// field's type in `Fields`, write `project`, and write `poll` with it. No `Unpin` bound, and no
// `impl Unpin` by hand. Above each `unsafe` block, write a `// SAFETY:` comment that states why
// it is sound *here*: which conditions it relies on and what in this file makes them hold.
// Libraries such as `pin-project` generate this code and check these rules for you; writing it
// once by hand shows what they check.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

struct Counted<F, C> {
    inner: F,
    polls: usize,
    /// Called once, with the number of polls, when `inner` finishes.
    on_ready: Option<C>,
}

impl<F, C> Counted<F, C> {
    fn new(inner: F, on_ready: C) -> Self {
        Counted {
            inner,
            polls: 0,
            on_ready: Some(on_ready),
        }
    }
}

/// One borrow per field of a pinned `Counted`.
struct Fields<'a, F, C> {
    /// Pinned: once polled, the inner future may rely on its address.
    inner: Pin<&'a mut F>,
    /// Not pinned: a plain counter.
    polls: &'a mut usize,
    /// Not pinned: the callback is moved out when `inner` finishes.
    on_ready: &'a mut Option<C>,
}

impl<F, C> Counted<F, C> {
    fn project(self: Pin<&mut Self>) -> Fields<'_, F, C> {
        // SAFETY: the `&mut Counted<F, C>` never lets `inner` move: it is only used to borrow
        // the three fields; nothing swaps, replaces, takes or returns `inner`, and no method of
        // `Counted` hands out a plain `&mut F`.
        let this = unsafe { self.get_unchecked_mut() };
        Fields {
            // SAFETY: `inner` is structurally pinned, and `Counted` keeps the rules for that:
            // it is `Unpin` only when its fields are (the automatic impl; there is no
            // hand-written one), it has no `Drop` impl that could move `inner` out, it is not
            // `#[repr(packed)]`, and (see above) `inner` is never moved while pinned.
            inner: unsafe { Pin::new_unchecked(&mut this.inner) },
            polls: &mut this.polls,
            on_ready: &mut this.on_ready,
        }
    }
}

impl<F: Future, C: FnOnce(usize)> Future for Counted<F, C> {
    /// The inner output and how many polls it took.
    type Output = (F::Output, usize);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fields = self.project();
        *fields.polls += 1;
        match fields.inner.poll(cx) {
            Poll::Ready(output) => {
                let on_ready = fields
                    .on_ready
                    .take()
                    .expect("Counted polled after it finished");
                on_ready(*fields.polls);
                Poll::Ready((output, *fields.polls))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

fn main() {
    let fut = Counted::new(async { "no Box needed" }, |polls| {
        println!("{polls} poll(s)")
    });
    println!("{:?}", runtime_reference::testing::block_on_checked(fut));
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::cell::Cell;
    use std::marker::PhantomPinned;
    use std::pin::pin;
    use std::rc::Rc;

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

    /// A callback that records the counts it is called with.
    fn recorder() -> (Rc<Cell<Vec<usize>>>, impl FnOnce(usize)) {
        let calls = Rc::new(Cell::new(Vec::new()));
        let c = Rc::clone(&calls);
        (calls, move |n| {
            let mut v = c.take();
            v.push(n);
            c.set(v);
        })
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

    /// A future that must never move once polled.
    struct Immovable(PhantomPinned);

    impl Future for Immovable {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            Poll::Ready(())
        }
    }

    #[test]
    fn wraps_an_async_block_without_boxing() {
        // The async block keeps `text` across awaits, so it is !Unpin and is not boxed here.
        let fut = Counted::new(
            async {
                let text = String::from("projected");
                YieldNow(false).await;
                YieldNow(false).await;
                text
            },
            |_| {},
        );
        assert_eq!(block_on_checked(fut), ("projected".to_string(), 3));
    }

    #[test]
    fn wrapper_made_unpin_by_hand_is_rejected() {
        assert!(
            !std::hint::black_box(Probe::<Counted<Immovable, fn(usize)>>::UNPIN),
            "Counted around a !Unpin future is Unpin: an `impl Unpin` by hand lets safe code \
             move the pinned inner future. Counted must be Unpin only when its fields are"
        );
        assert!(std::hint::black_box(
            Probe::<Counted<YieldNow, fn(usize)>>::UNPIN
        ));
        let fut = Counted::new(Immovable(PhantomPinned), |_| {});
        assert_eq!(block_on_checked(fut), ((), 1));
    }

    #[test]
    fn inner_polled_with_a_different_waker_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(Counted::new(
            async {
                YieldNow(false).await;
                'x'
            },
            |_| {}
        ));
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
        assert_eq!(block_on_checked(Counted::new(async { 3 }, |_| {})), (3, 1));
    }

    #[test]
    fn callback_not_called_once_with_the_count_is_rejected() {
        let (calls, on_ready) = recorder();
        let counter = CountingWaker::new();
        let mut fut = pin!(Counted::new(YieldNow(false), on_ready));
        assert!(poll_once(fut.as_mut(), &counter.waker()).is_pending());
        let early = calls.take();
        assert!(
            early.is_empty(),
            "on_ready was called before inner finished: {early:?}"
        );
        assert_eq!(
            poll_once(fut.as_mut(), &counter.waker()),
            Poll::Ready(((), 2))
        );
        assert_eq!(
            calls.take(),
            [2],
            "on_ready is called once, when inner finishes, with the number of polls"
        );
    }

    #[test]
    fn nested_wrappers_count_independently() {
        let fut = Counted::new(
            Counted::new(
                async {
                    YieldNow(false).await;
                    "inner"
                },
                |_| {},
            ),
            |_| {},
        );
        assert_eq!(block_on_checked(fut), (("inner", 2), 2));
    }
}
