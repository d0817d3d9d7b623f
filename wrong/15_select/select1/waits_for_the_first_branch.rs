// wrong answer: poll returns Pending as soon as `a` is Pending, never giving `b` a chance; polling_only_the_first_branch_is_rejected catches it.
// select1: wait for the first of two futures, and drop the other
//
// `select(a, b)` is a future that polls both branches and completes with the output of whichever
// finishes first, as `Either::Left` or `Either::Right`. The other branch, the loser, is dropped
// *at that moment*: its work stops, its resources are released, and it is never polled again.
//
// While neither is ready, both branches have been polled with the same waker, so whichever
// becomes ready first wakes the task and the next poll finds it.
//
// The branches are `Unpin` here (box and pin them if they are not), so `Option<A>` fields can be
// polled with `Pin::new`. Write `Select::poll`. Do not change the tests.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

#[derive(Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    Left(A),
    Right(B),
}

pub struct Select<A, B> {
    a: Option<A>,
    b: Option<B>,
}

pub fn select<A, B>(a: A, b: B) -> Select<A, B> {
    Select {
        a: Some(a),
        b: Some(b),
    }
}

impl<A, B> Future for Select<A, B>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    type Output = Either<A::Output, B::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let a = this.a.as_mut().expect("Select polled after it completed");
        match Pin::new(a).poll(cx) {
            Poll::Ready(out) => {
                this.a = None;
                this.b = None;
                return Poll::Ready(Either::Left(out));
            }
            Poll::Pending => return Poll::Pending,
        }
        #[allow(unreachable_code)]
        let b = this.b.as_mut().expect("Select polled after it completed");
        if let Poll::Ready(out) = Pin::new(b).poll(cx) {
            this.a = None;
            this.b = None;
            return Poll::Ready(Either::Right(out));
        }
        Poll::Pending
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::cell::Cell;
    use std::rc::Rc;

    /// Ready with `value` on poll number `ready_on` (1-based); records polls and its drop.
    struct Probe {
        value: u32,
        ready_on: u32,
        polls: Rc<Cell<u32>>,
        dropped: Rc<Cell<bool>>,
    }

    fn probe(value: u32, ready_on: u32) -> (Probe, Rc<Cell<u32>>, Rc<Cell<bool>>) {
        let polls = Rc::new(Cell::new(0));
        let dropped = Rc::new(Cell::new(false));
        let p = Probe {
            value,
            ready_on,
            polls: Rc::clone(&polls),
            dropped: Rc::clone(&dropped),
        };
        (p, polls, dropped)
    }

    impl Future for Probe {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            self.polls.set(self.polls.get() + 1);
            if self.polls.get() >= self.ready_on {
                Poll::Ready(self.value)
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.dropped.set(true);
        }
    }

    #[test]
    fn first_ready_branch_wins() {
        let (a, _, _) = probe(1, 3);
        let (b, _, _) = probe(2, 2);
        let counter = CountingWaker::new();
        let mut sel = select(a, b);
        assert!(poll_once(Pin::new(&mut sel), &counter.waker()).is_pending());
        assert_eq!(
            poll_once(Pin::new(&mut sel), &counter.waker()),
            Poll::Ready(Either::Right(2))
        );
    }

    #[test]
    fn polling_only_the_first_branch_is_rejected() {
        let (a, a_polls, _) = probe(1, 100);
        let (b, b_polls, _) = probe(2, 1);
        let counter = CountingWaker::new();
        let mut sel = select(a, b);
        assert_eq!(
            poll_once(Pin::new(&mut sel), &counter.waker()),
            Poll::Ready(Either::Right(2)),
            "b was ready on its first poll: a Pending `a` must not stop select from polling b"
        );
        assert_eq!((a_polls.get(), b_polls.get()), (1, 1));
    }

    /// Pending until `fire` is called by the test, like a socket or a channel: it keeps the
    /// waker of its last poll and wakes exactly that one.
    struct External {
        fired: Rc<Cell<bool>>,
        waker: Rc<std::cell::RefCell<Option<std::task::Waker>>>,
    }

    impl Future for External {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            if self.fired.get() {
                return Poll::Ready(9);
            }
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    #[test]
    fn second_branch_polled_with_another_waker_is_rejected() {
        let (a, _, _) = probe(1, 100);
        let fired = Rc::new(Cell::new(false));
        let waker = Rc::new(std::cell::RefCell::new(None));
        let b = External {
            fired: Rc::clone(&fired),
            waker: Rc::clone(&waker),
        };
        let task = CountingWaker::new();
        let mut sel = select(a, b);
        assert!(poll_once(Pin::new(&mut sel), &task.waker()).is_pending());
        let woken_by_a = task.count();
        // b's event happens: it wakes the waker it was polled with.
        fired.set(true);
        waker
            .borrow_mut()
            .take()
            .expect("b was polled and left a waker")
            .wake();
        assert_eq!(
            task.count(),
            woken_by_a + 1,
            "b's event did not wake the task: poll each branch with the task's own `cx`. A \
             branch polled with another waker only works while some other branch keeps waking \
             the task"
        );
    }

    #[test]
    fn loser_kept_alive_until_select_is_dropped_is_rejected() {
        let (a, _, a_dropped) = probe(1, 1);
        let (b, b_polls, b_dropped) = probe(2, 100);
        let counter = CountingWaker::new();
        let mut sel = select(a, b);
        assert_eq!(
            poll_once(Pin::new(&mut sel), &counter.waker()),
            Poll::Ready(Either::Left(1))
        );
        assert!(
            b_dropped.get(),
            "select completed but the losing branch is still alive inside it: drop it when the \
             winner is known, so its work stops at once"
        );
        assert!(a_dropped.get(), "the finished winner should be dropped too");
        assert!(
            b_polls.get() <= 1,
            "the loser was polled after the winner finished"
        );
        drop(sel);
    }
}
