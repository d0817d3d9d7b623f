// combinators4: Select
//
// `Select` races two futures: the first to finish wins, and its output comes back as
// `Either::Left` (first future) or `Either::Right` (second). The loser is dropped the moment
// the race is decided, not whenever the `Select` itself goes away: dropping a future is how
// async Rust cancels it, and the loser may hold a connection, a lock, or a timer that must be
// released now. If both are ready in the same poll, the first future wins.
//
// Write `Select::poll`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

#[derive(Debug, PartialEq)]
enum Either<L, R> {
    Left(L),
    Right(R),
}

struct Select<A, B> {
    /// Both `Some` while the race runs; both `None` once it is decided.
    a: Option<A>,
    b: Option<B>,
}

fn select<A, B>(a: A, b: B) -> Select<A, B> {
    Select {
        a: Some(a),
        b: Some(b),
    }
}

impl<A: Future + Unpin, B: Future + Unpin> Future for Select<A, B> {
    type Output = Either<A::Output, B::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // TODO: poll `a` (it is in an `Option`: `as_mut()`, then `Pin::new`); if it is ready,
        // drop both futures (set both options to `None`) and return `Either::Left(out)`.
        // Otherwise do the same with `b` and `Either::Right`. Neither ready: `Pending`.
        todo!()
    }
}

fn main() {
    let race = select(
        std::future::pending::<()>(),
        std::future::ready("right wins"),
    );
    println!("{:?}", runtime_reference::testing::block_on_checked(race));
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::cell::Cell;
    use std::rc::Rc;

    /// `Pending` `left` times (waking itself), then `Ready(name)`. Counts its drops.
    struct Racer {
        left: u32,
        name: &'static str,
        drops: Rc<Cell<u32>>,
    }

    fn racer(left: u32, name: &'static str) -> (Racer, Rc<Cell<u32>>) {
        let drops = Rc::new(Cell::new(0));
        let fut = Racer {
            left,
            name,
            drops: drops.clone(),
        };
        (fut, drops)
    }

    impl Future for Racer {
        type Output = &'static str;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
            if self.left == 0 {
                return Poll::Ready(self.name);
            }
            self.left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    impl Drop for Racer {
        fn drop(&mut self) {
            self.drops.set(self.drops.get() + 1);
        }
    }

    #[test]
    fn first_future_finishing_first_wins() {
        let (a, _) = racer(1, "a");
        let (b, _) = racer(3, "b");
        assert_eq!(block_on_checked(select(a, b)), Either::Left("a"));
    }

    #[test]
    fn never_polling_the_second_future_is_rejected() {
        let (a, _) = racer(5, "a");
        let (b, _) = racer(1, "b");
        assert_eq!(
            block_on_checked(select(a, b)),
            Either::Right("b"),
            "the second future finished first, so it wins"
        );
    }

    #[test]
    fn keeping_the_loser_alive_after_the_race_is_rejected() {
        let counter = CountingWaker::new();
        let (a, a_drops) = racer(0, "a");
        let (b, b_drops) = racer(10, "b");
        let mut race = select(a, b);
        assert_eq!(
            poll_once(Pin::new(&mut race), &counter.waker()),
            Poll::Ready(Either::Left("a"))
        );
        assert_eq!(
            b_drops.get(),
            1,
            "the loser must be dropped (cancelled) as soon as the race is decided"
        );
        assert_eq!(a_drops.get(), 1, "the finished winner is dropped too");
        drop(race);
        assert_eq!(b_drops.get(), 1, "dropped exactly once");
    }

    #[test]
    fn both_ready_lets_the_first_win() {
        let (a, _) = racer(0, "a");
        let (b, b_drops) = racer(0, "b");
        let counter = CountingWaker::new();
        let mut race = select(a, b);
        assert_eq!(
            poll_once(Pin::new(&mut race), &counter.waker()),
            Poll::Ready(Either::Left("a"))
        );
        assert_eq!(b_drops.get(), 1);
    }

    #[test]
    fn pending_with_a_different_waker_is_rejected() {
        let (a, _) = racer(2, "a");
        let (b, _) = racer(2, "b");
        let counter = CountingWaker::new();
        let mut race = select(a, b);
        assert!(poll_once(Pin::new(&mut race), &counter.waker()).is_pending());
        assert!(
            counter.count() >= 1,
            "both futures must be polled with the caller's Context so their wake-ups arrive"
        );
    }

    #[test]
    fn second_future_polled_with_another_waker_is_rejected() {
        // `a` never wakes the task, so only `b`'s wake-up can bring the task back.
        let (b, _) = racer(1, "b");
        let (first, second) = (CountingWaker::new(), CountingWaker::new());
        let mut race = select(std::future::pending::<&'static str>(), b);
        assert!(poll_once(Pin::new(&mut race), &first.waker()).is_pending());
        assert_eq!(
            first.count(),
            1,
            "the second future woke the waker it was given, but the caller's never heard: \
             poll every future with the caller's Context"
        );
        assert_eq!(
            poll_once(Pin::new(&mut race), &second.waker()),
            Poll::Ready(Either::Right("b"))
        );
    }
}
