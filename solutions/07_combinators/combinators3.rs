// combinators3: JoinAll
//
// `JoinAll` is `Join` for any number of futures of one type: it finishes when all of them have,
// and returns their outputs in the order the futures were given, not the order they finished.
// Each poll polls every unfinished future once; a finished one is never polled again. An empty
// list is ready at once.
//
// Write `join_all` and `JoinAll::poll`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

struct JoinAll<F: Future> {
    /// Each slot holds its future until it finishes, then its output.
    slots: Vec<Slot<F>>,
}

enum Slot<F: Future> {
    Running(F),
    Done(F::Output),
}

// Outputs are never pinned, so `JoinAll` is `Unpin` when the futures are.
impl<F: Future + Unpin> Unpin for JoinAll<F> {}

fn join_all<F: Future>(futures: Vec<F>) -> JoinAll<F> {
    JoinAll {
        slots: futures.into_iter().map(Slot::Running).collect(),
    }
}

impl<F: Future + Unpin> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        let this = self.get_mut();
        let mut all_done = true;
        for slot in &mut this.slots {
            if let Slot::Running(fut) = slot {
                match Pin::new(fut).poll(cx) {
                    Poll::Ready(out) => *slot = Slot::Done(out),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if !all_done {
            return Poll::Pending;
        }
        let outputs = std::mem::take(&mut this.slots)
            .into_iter()
            .map(|slot| match slot {
                Slot::Done(out) => out,
                Slot::Running(_) => unreachable!("every slot is done"),
            })
            .collect();
        Poll::Ready(outputs)
    }
}

fn main() {
    let all = join_all(vec![std::future::ready(1), std::future::ready(2)]);
    println!("{:?}", runtime_reference::testing::block_on_checked(all));
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
        value: u32,
        done: bool,
        polls: Rc<Cell<u32>>,
    }

    fn countdowns(lefts: &[u32]) -> (Vec<Countdown>, Vec<Rc<Cell<u32>>>) {
        let polls: Vec<_> = lefts.iter().map(|_| Rc::new(Cell::new(0))).collect();
        let futs = lefts
            .iter()
            .zip(&polls)
            .map(|(&left, polls)| Countdown {
                left,
                value: left * 10,
                done: false,
                polls: polls.clone(),
            })
            .collect();
        (futs, polls)
    }

    impl Future for Countdown {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            assert!(
                !self.done,
                "a future was polled again after it returned Ready"
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
    fn outputs_in_completion_order_are_rejected() {
        let (futs, _) = countdowns(&[3, 0, 2, 1]);
        assert_eq!(
            block_on_checked(join_all(futs)),
            [30, 0, 20, 10],
            "outputs must be in the order the futures were given"
        );
    }

    #[test]
    fn returning_before_every_future_finished_is_rejected() {
        let (futs, _) = countdowns(&[0, 2]);
        let counter = CountingWaker::new();
        let mut all = join_all(futs);
        assert!(poll_once(Pin::new(&mut all), &counter.waker()).is_pending());
        assert!(poll_once(Pin::new(&mut all), &counter.waker()).is_pending());
        assert_eq!(
            poll_once(Pin::new(&mut all), &counter.waker()),
            Poll::Ready(vec![0, 20])
        );
    }

    #[test]
    fn polling_finished_futures_again_is_rejected() {
        let (futs, polls) = countdowns(&[0, 1, 4]);
        block_on_checked(join_all(futs));
        let counts: Vec<u32> = polls.iter().map(|p| p.get()).collect();
        assert_eq!(
            counts,
            [1, 2, 5],
            "each future is polled until it is ready, all of them on every JoinAll poll"
        );
    }

    #[test]
    fn polling_one_future_at_a_time_is_rejected() {
        let (futs, _) = countdowns(&[2, 2, 2]);
        let counter = CountingWaker::new();
        let mut all = join_all(futs);
        let mut polls = 1;
        while poll_once(Pin::new(&mut all), &counter.waker()).is_pending() {
            polls += 1;
            assert!(polls < 20, "JoinAll never finished");
        }
        assert_eq!(
            polls, 3,
            "every poll of JoinAll must poll every unfinished future, so they progress together"
        );
    }

    #[test]
    fn empty_list_that_is_not_ready_at_once_is_rejected() {
        let counter = CountingWaker::new();
        let mut all = join_all(Vec::<Countdown>::new());
        assert_eq!(
            poll_once(Pin::new(&mut all), &counter.waker()),
            Poll::Ready(vec![])
        );
    }

    #[test]
    fn later_future_polled_with_another_waker_is_rejected() {
        // The first future finishes at once without waking; only the second one's wake-up can
        // bring the task back.
        let (futs, _) = countdowns(&[0, 1]);
        let counter = CountingWaker::new();
        let mut all = join_all(futs);
        assert!(poll_once(Pin::new(&mut all), &counter.waker()).is_pending());
        assert_eq!(
            counter.count(),
            1,
            "the second future woke the waker it was given, but the caller's never heard: \
             poll every future with the caller's Context"
        );
        assert_eq!(
            poll_once(Pin::new(&mut all), &counter.waker()),
            Poll::Ready(vec![0, 10])
        );
    }
}
