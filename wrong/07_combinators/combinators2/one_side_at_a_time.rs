// wrong answer: polls `b` only once `a` has finished; `polling_one_side_at_a_time_is_rejected` catches it.
// combinators2: Join
//
// `Join` runs two futures at once and finishes when *both* have: its output is the pair of
// outputs, in argument order, whichever finished first. Each poll of the `Join` polls every
// side that is not finished yet (so both make progress), stores an output as soon as it
// arrives, and never polls a finished side again: a future must not be polled after `Ready`.
//
// Write `Join::poll`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

struct Join<A: Future, B: Future> {
    a: A,
    b: B,
    /// `Some` once `a` has finished.
    a_out: Option<A::Output>,
    /// `Some` once `b` has finished.
    b_out: Option<B::Output>,
}

// The outputs are only ever moved, never pinned, so `Join` is `Unpin` when the futures are.
impl<A: Future + Unpin, B: Future + Unpin> Unpin for Join<A, B> {}

fn join<A: Future, B: Future>(a: A, b: B) -> Join<A, B> {
    Join {
        a,
        b,
        a_out: None,
        b_out: None,
    }
}

impl<A: Future + Unpin, B: Future + Unpin> Future for Join<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.a_out.is_none()
            && let Poll::Ready(out) = Pin::new(&mut this.a).poll(cx)
        {
            this.a_out = Some(out);
        }
        if this.a_out.is_some()
            && this.b_out.is_none()
            && let Poll::Ready(out) = Pin::new(&mut this.b).poll(cx)
        {
            this.b_out = Some(out);
        }
        match (this.a_out.is_some(), this.b_out.is_some()) {
            (true, true) => Poll::Ready((this.a_out.take().unwrap(), this.b_out.take().unwrap())),
            // A side is still running; it has arranged to wake us.
            _ => Poll::Pending,
        }
    }
}

fn main() {
    let both = join(std::future::ready("left"), std::future::ready(2));
    println!("{:?}", runtime_reference::testing::block_on_checked(both));
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::cell::Cell;
    use std::rc::Rc;

    /// `Pending` `left` times (waking itself), then `Ready(value)`. Counts its polls and
    /// panics if polled after it returned `Ready`.
    struct Countdown {
        left: u32,
        value: &'static str,
        done: bool,
        polls: Rc<Cell<u32>>,
    }

    fn countdown(left: u32, value: &'static str) -> (Countdown, Rc<Cell<u32>>) {
        let polls = Rc::new(Cell::new(0));
        let fut = Countdown {
            left,
            value,
            done: false,
            polls: polls.clone(),
        };
        (fut, polls)
    }

    impl Future for Countdown {
        type Output = &'static str;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
            assert!(
                !self.done,
                "a child future was polled again after it returned Ready"
            );
            self.polls.set(self.polls.get() + 1);
            if self.left == 0 {
                self.done = true;
                return Poll::Ready(self.value);
            }
            self.left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn outputs_come_back_in_argument_order() {
        let (slow, _) = countdown(3, "slow");
        let (fast, _) = countdown(0, "fast");
        assert_eq!(block_on_checked(join(slow, fast)), ("slow", "fast"));
    }

    #[test]
    fn returning_after_the_first_child_is_rejected() {
        let counter = CountingWaker::new();
        let (quick, _) = countdown(0, "a");
        let (later, _) = countdown(2, "b");
        let mut fut = join(quick, later);
        for poll in 1..=2 {
            assert!(
                poll_once(Pin::new(&mut fut), &counter.waker()).is_pending(),
                "poll {poll}: Join returned before its second child finished"
            );
        }
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready(("a", "b"))
        );
        assert_eq!(
            counter.count(),
            2,
            "the pending child's wake-ups must reach the caller"
        );
    }

    #[test]
    fn polling_a_finished_child_again_is_rejected() {
        let (quick, quick_polls) = countdown(0, "a");
        let (later, _) = countdown(4, "b");
        assert_eq!(block_on_checked(join(quick, later)), ("a", "b"));
        assert_eq!(
            quick_polls.get(),
            1,
            "the finished child must not be polled again"
        );
    }

    #[test]
    fn polling_one_side_at_a_time_is_rejected() {
        let (a, a_polls) = countdown(3, "a");
        let (b, b_polls) = countdown(3, "b");
        let counter = CountingWaker::new();
        let mut fut = join(a, b);
        let mut joins = 0;
        while poll_once(Pin::new(&mut fut), &counter.waker()).is_pending() {
            joins += 1;
            assert!(joins < 20, "Join never finished");
        }
        assert_eq!(
            (a_polls.get(), b_polls.get(), joins + 1),
            (4, 4, 4),
            "each poll of Join must poll both unfinished children, so they progress together"
        );
    }

    #[test]
    fn second_child_polled_with_another_waker_is_rejected() {
        // `a` never wakes the task, so only `b`'s wake-up can bring the task back.
        let (b, _) = countdown(1, "b");
        let counter = CountingWaker::new();
        let mut both = join(std::future::pending::<&'static str>(), b);
        assert!(poll_once(Pin::new(&mut both), &counter.waker()).is_pending());
        assert_eq!(
            counter.count(),
            1,
            "the second child woke the waker it was given, but the caller's never heard: \
             poll both children with the caller's Context"
        );
    }
}
