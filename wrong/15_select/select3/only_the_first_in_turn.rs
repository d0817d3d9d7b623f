// wrong answer: on each call poll_select polls only the branch whose turn it is, so a ready branch waits when the other one is pending; a_single_ready_branch_wins_whoever_goes_first catches it.
// select3: take turns at who is polled first
//
// A select polls its branches in some order and returns the first one that is ready. In a loop
// over two sources that are *both* always ready (a busy channel and a busy socket), a select that
// always polls branch `a` first returns `a` every time, and `b` starves although it has work.
//
// The fix is to rotate: each call starts with the branch that went second last time. (tokio's
// `select!` picks a random start for the same reason; `biased;` turns that off.)
//
// `Selector` keeps whose turn it is across calls. Write `poll_select`. Do not change the tests.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

#[derive(Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    Left(A),
    Right(B),
}

#[derive(Default)]
pub struct Selector {
    /// Whether the next call polls `b` before `a`.
    b_first: bool,
}

impl Selector {
    /// Polls both futures, starting with the one whose turn it is, and returns the first
    /// output. Each call hands the first turn to the other branch.
    pub fn poll_select<A, B>(
        &mut self,
        cx: &mut Context<'_>,
        a: &mut A,
        b: &mut B,
    ) -> Poll<Either<A::Output, B::Output>>
    where
        A: Future + Unpin,
        B: Future + Unpin,
    {
        let b_first = self.b_first;
        self.b_first = !self.b_first;
        if b_first {
            if let Poll::Ready(out) = Pin::new(&mut *b).poll(cx) {
                return Poll::Ready(Either::Right(out));
            }
            let _ = a;
        } else {
            if let Poll::Ready(out) = Pin::new(&mut *a).poll(cx) {
                return Poll::Ready(Either::Left(out));
            }
            if let Poll::Ready(out) = Pin::new(b).poll(cx) {
                return Poll::Ready(Either::Right(out));
            }
        }
        Poll::Pending
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::CountingWaker;
    use std::future::{Ready, pending, ready};

    fn select_once<A, B>(
        sel: &mut Selector,
        a: &mut A,
        b: &mut B,
    ) -> Poll<Either<A::Output, B::Output>>
    where
        A: Future + Unpin,
        B: Future + Unpin,
    {
        let counter = CountingWaker::new();
        sel.poll_select(&mut Context::from_waker(&counter.waker()), a, b)
    }

    #[test]
    fn always_polling_a_first_is_rejected() {
        let mut sel = Selector::default();
        let (mut lefts, mut rights) = (0, 0);
        for i in 0..100 {
            // Two sources that always have something ready.
            let mut a: Ready<u32> = ready(i);
            let mut b: Ready<u32> = ready(i);
            match select_once(&mut sel, &mut a, &mut b) {
                Poll::Ready(Either::Left(_)) => lefts += 1,
                Poll::Ready(Either::Right(_)) => rights += 1,
                Poll::Pending => panic!("both branches were ready, but select returned Pending"),
            }
        }
        assert_eq!(
            (lefts, rights),
            (50, 50),
            "(a wins, b wins) over 100 selects where both were always ready: take turns"
        );
    }

    #[test]
    fn a_single_ready_branch_wins_whoever_goes_first() {
        let mut sel = Selector::default();
        for _ in 0..4 {
            let (mut a, mut b) = (pending::<u32>(), ready(7));
            assert_eq!(
                select_once(&mut sel, &mut a, &mut b),
                Poll::Ready(Either::Right(7))
            );
            let (mut a, mut b) = (ready(8), pending::<u32>());
            assert_eq!(
                select_once(&mut sel, &mut a, &mut b),
                Poll::Ready(Either::Left(8))
            );
        }
    }
}
