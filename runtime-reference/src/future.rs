//! Combinators: run futures together in one task (course chapters 07 and 15).
//!
//! Each is an `async fn` around `poll_fn`: the inner futures are pinned in the combinator's
//! own state with `pin!`, so no `unsafe` pin projection and no boxing is needed.
//!
//! ```
//! use runtime_reference::future::{Either, join, join_all, select};
//! use runtime_reference::park::block_on;
//!
//! block_on(async {
//!     assert_eq!(join(async { 1 }, async { "two" }).await, (1, "two"));
//!     let doubled = join_all((1..=3).map(|i| async move { i * 2 }).collect()).await;
//!     assert_eq!(doubled, vec![2, 4, 6]);
//!     let first = select(std::future::pending::<()>(), async { 5 }).await;
//!     assert_eq!(first, Either::Right(5));
//! });
//! ```

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

/// Run two futures concurrently; finish when both have, with both outputs.
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        // Only the unfinished side is polled: a finished future must not be polled again.
        if out_a.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            out_a = Some(v);
        }
        if out_b.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            out_b = Some(v);
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (out_a, out_b) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

/// Run every future concurrently; the outputs come back in input order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    // Boxed because a `Vec` may move its elements; each box keeps its future in place.
    let mut pending: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    let mut left = pending.len();
    poll_fn(|cx| {
        for (slot, out) in pending.iter_mut().zip(outputs.iter_mut()) {
            if let Some(fut) = slot
                && let Poll::Ready(v) = fut.as_mut().poll(cx)
            {
                *out = Some(v);
                // Drop a finished future at once; it may hold resources.
                *slot = None;
                left -= 1;
            }
        }
        if left == 0 {
            Poll::Ready(
                outputs
                    .iter_mut()
                    .map(|o| o.take().expect("every future has finished"))
                    .collect(),
            )
        } else {
            Poll::Pending
        }
    })
    .await
}

/// One of two outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Either<L, R> {
    /// The first future finished first.
    Left(L),
    /// The second future finished first.
    Right(R),
}

thread_local! {
    static ROTATE: Cell<bool> = const { Cell::new(false) };
}

/// Race two futures: the first to finish wins and the other is dropped (cancelled).
///
/// Which branch is polled first alternates from one poll to the next, so a branch that is
/// always ready cannot starve the other when `select` runs in a loop.
pub async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        let b_first = ROTATE.with(|r| {
            let v = r.get();
            r.set(!v);
            v
        });
        if b_first {
            poll_branches(b.as_mut(), a.as_mut(), cx).map(Either::flip)
        } else {
            poll_branches(a.as_mut(), b.as_mut(), cx)
        }
    })
    .await
    // The loser is dropped here, when this function's state is.
}

fn poll_branches<A: Future + ?Sized, B: Future + ?Sized>(
    first: Pin<&mut A>,
    second: Pin<&mut B>,
    cx: &mut Context<'_>,
) -> Poll<Either<A::Output, B::Output>> {
    if let Poll::Ready(v) = first.poll(cx) {
        return Poll::Ready(Either::Left(v));
    }
    second.poll(cx).map(Either::Right)
}

impl<L, R> Either<L, R> {
    fn flip(self) -> Either<R, L> {
        match self {
            Either::Left(v) => Either::Right(v),
            Either::Right(v) => Either::Left(v),
        }
    }
}

/// A future that is safe to poll after it finished: it stays `Pending` forever instead of
/// panicking or misbehaving, which is what a `select` loop needs for a branch that is done.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Fuse<F> {
    inner: Option<F>,
}

impl<F: Future + Unpin> Fuse<F> {
    /// Wrap `fut` (pin it first with `pin!` or `Box::pin` if it is not `Unpin`).
    pub fn new(fut: F) -> Self {
        Fuse { inner: Some(fut) }
    }

    /// A fuse that has already finished.
    pub fn terminated() -> Self {
        Fuse { inner: None }
    }

    /// Whether the inner future has completed (and been dropped).
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }
}

impl<F: Future + Unpin> Future for Fuse<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(fut) = self.inner.as_mut() else {
            return Poll::Pending;
        };
        let out = Pin::new(fut).poll(cx);
        if out.is_ready() {
            self.inner = None;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::park::block_on;
    use crate::testing::{CountingWaker, poll_once};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Pending `n` times (waking itself), then ready; counts polls and drops.
    struct Probe {
        left: usize,
        polls: Arc<AtomicUsize>,
        drops: Arc<AtomicUsize>,
    }

    impl Future for Probe {
        type Output = usize;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            self.polls.fetch_add(1, Ordering::SeqCst);
            if self.left == 0 {
                return Poll::Ready(self.polls.load(Ordering::SeqCst));
            }
            self.left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn probe(left: usize) -> (Probe, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let (p, d) = (Arc::default(), Arc::default());
        let fut = Probe {
            left,
            polls: Arc::clone(&p),
            drops: Arc::clone(&d),
        };
        (fut, p, d)
    }

    #[test]
    fn join_waits_for_both_and_polls_a_finished_side_no_more() {
        let (quick, quick_polls, _) = probe(0);
        let (slow, _, _) = probe(3);
        let (a, b) = block_on(join(quick, slow));
        assert_eq!((a, b), (1, 4));
        assert_eq!(quick_polls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn join_all_keeps_input_order() {
        let futs: Vec<_> = (0..5usize)
            .map(|i| async move {
                for _ in 0..(5 - i) {
                    crate::coop::yield_now().await;
                }
                i
            })
            .collect();
        assert_eq!(block_on(join_all(futs)), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn select_drops_the_loser_after_one_poll() {
        let (loser, polls, drops) = probe(100);
        let out = block_on(select(async { 7 }, loser));
        assert_eq!(out, Either::Left(7));
        assert!(polls.load(Ordering::SeqCst) <= 1);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "the losing future is dropped"
        );
    }

    #[test]
    fn select_rotation_lets_the_second_branch_win_against_an_always_ready_one() {
        let mut right_wins = 0;
        for _ in 0..10 {
            if let Either::Right(()) = block_on(select(async {}, async {})) {
                right_wins += 1;
            }
        }
        assert_eq!(right_wins, 5);
    }

    #[test]
    fn fuse_is_pending_after_completion() {
        let w = CountingWaker::new();
        let mut f = Fuse::new(Box::pin(async { 1 }));
        assert_eq!(poll_once(Pin::new(&mut f), &w.waker()), Poll::Ready(1));
        assert!(f.is_terminated());
        assert!(poll_once(Pin::new(&mut f), &w.waker()).is_pending());
    }
}
