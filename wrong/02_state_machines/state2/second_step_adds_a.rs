// wrong answer: the second step waits for `a` again instead of `b`; `wrong_sum_is_rejected` catches it.
// state2: write by hand what `async fn` writes for you
//
// The compiler turns an `async fn` into an enum: one variant per `.await` where it can stop,
// holding the variables still needed after that point. `add_slowly_async` below stops at two
// awaits, so it becomes (roughly) the `AddSlowly` enum underneath it.
//
// Implement `poll` for `AddSlowly` so it behaves exactly like `add_slowly_async`: same result,
// and the same number of polls. The detail that matters: when the first inner future is Ready,
// the compiled async fn does not return to its caller; it starts the second step in the same
// poll. Only an inner `Pending` makes it return `Pending`. A `loop` around the `match` does this.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Pending once (after waking its waker), then Ready with its value. Given; do not change.
struct YieldOnce {
    value: u32,
    yielded: bool,
}

impl YieldOnce {
    fn new(value: u32) -> Self {
        YieldOnce {
            value,
            yielded: false,
        }
    }
}

impl Future for YieldOnce {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.yielded {
            return Poll::Ready(self.value);
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The model: the async fn your state machine must match.
async fn add_slowly_async(a: u32, b: u32) -> u32 {
    let x = YieldOnce::new(a).await;
    let y = YieldOnce::new(b).await;
    x + y
}

/// The same computation as an explicit state machine.
enum AddSlowly {
    /// Waiting on the first value. `b` is kept for the second step.
    First { fut: YieldOnce, b: u32 },
    /// The first value `x` arrived; waiting on the second.
    Second { x: u32, fut: YieldOnce },
    /// The sum was returned.
    Done,
}

impl AddSlowly {
    fn new(a: u32, b: u32) -> Self {
        AddSlowly::First {
            fut: YieldOnce::new(a),
            b,
        }
    }
}

impl Future for AddSlowly {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        // Every field here is Unpin, so we can work on a plain `&mut AddSlowly`.
        let this = self.get_mut();
        loop {
            match this {
                AddSlowly::First { fut, b: _ } => match Pin::new(fut).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(x) => {
                        *this = AddSlowly::Second {
                            x,
                            fut: YieldOnce::new(x),
                        };
                    }
                },
                AddSlowly::Second { x, fut } => match Pin::new(fut).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(y) => {
                        let sum = *x + y;
                        *this = AddSlowly::Done;
                        return Poll::Ready(sum);
                    }
                },
                AddSlowly::Done => panic!("AddSlowly polled after completion"),
            }
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::pin::pin;

    /// Polls to completion; returns (output, polls, wakes).
    fn profile<F: Future<Output = u32>>(fut: F) -> (u32, usize, usize) {
        let counter = CountingWaker::new();
        let mut fut = pin!(fut);
        let mut polls = 0;
        loop {
            polls += 1;
            assert!(polls <= 10, "still Pending after 10 polls");
            if let Poll::Ready(out) = poll_once(fut.as_mut(), &counter.waker()) {
                return (out, polls, counter.count());
            }
        }
    }

    #[test]
    fn wrong_sum_is_rejected() {
        for (a, b) in [(2, 3), (0, 0), (100, 23)] {
            assert_eq!(profile(AddSlowly::new(a, b)).0, a + b);
        }
    }

    #[test]
    fn returning_pending_between_the_steps_is_rejected() {
        let model = profile(add_slowly_async(4, 5));
        let mine = profile(AddSlowly::new(4, 5));
        assert_eq!(
            mine.1, model.1,
            "the async fn takes {} polls; when the first step is Ready, go straight on to the \
             second in the same poll",
            model.1
        );
        assert_eq!(mine.2, model.2, "the async fn wakes {} times", model.2);
    }

    #[test]
    fn skipping_the_inner_futures_is_rejected() {
        let (_, polls, wakes) = profile(AddSlowly::new(1, 1));
        assert!(
            polls > 1 && wakes > 0,
            "the sum is only ready after both inner futures were awaited"
        );
    }

    #[test]
    fn forgotten_wake_under_block_on_is_rejected() {
        assert_eq!(block_on_checked(AddSlowly::new(40, 2)), 42);
    }

    #[test]
    #[should_panic(expected = "polled after completion")]
    fn answering_a_poll_after_ready_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(AddSlowly::new(1, 2));
        while poll_once(fut.as_mut(), &counter.waker()).is_pending() {}
        let _ = poll_once(fut.as_mut(), &counter.waker());
    }
}
