// wrong answer: forgets to decrement `remaining`, so it yields forever; `wrong_number_of_pendings_is_rejected` and the bounded `forgotten_wake_under_block_on_is_rejected` catch it without hanging.
// futures2: Pending n times, waking itself each time
//
// `Poll::Pending` is a promise: "I will make sure you are woken when it is worth polling me
// again". The `Context` passed to `poll` carries a `Waker`; calling `wake` (or `wake_by_ref`)
// on it tells the executor to poll this future again. A future that returns `Pending` and never
// arranges a wake is never polled again: the program just stops making progress.
//
// `Countdown::new(n)` returns `Pending` on its first `n` polls and `Ready(())` on the next one.
// It has nothing outside to wait for, so each time it says "not yet" it must wake itself
// straight away. Implement `poll`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

struct Countdown {
    remaining: usize,
}

impl Countdown {
    fn new(n: usize) -> Self {
        Countdown { remaining: n }
    }
}

impl Future for Countdown {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.remaining == 0 {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;

    /// Polls `fut` to completion like an executor that polls only after a wake, at most
    /// `max_polls` times, so a future that never finishes fails instead of hanging.
    fn run_bounded<F: Future>(fut: F, max_polls: usize) -> F::Output {
        let mut fut = pin!(fut);
        let counter = CountingWaker::new();
        for poll in 1..=max_polls {
            let before = counter.count();
            match poll_once(fut.as_mut(), &counter.waker()) {
                Poll::Ready(out) => return out,
                Poll::Pending => assert!(
                    counter.count() > before,
                    "poll {poll} answered Pending without waking the waker: an executor \
                     would never poll it again"
                ),
            }
        }
        panic!("still Pending after {max_polls} polls: the countdown never reaches zero")
    }

    #[test]
    fn pending_without_wake_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(Countdown::new(1));
        assert!(poll_once(fut.as_mut(), &counter.waker()).is_pending());
        assert_eq!(
            counter.count(),
            1,
            "the future returned Pending but did not wake its waker exactly once: \
             nobody would ever poll it again"
        );
    }

    #[test]
    fn wrong_number_of_pendings_is_rejected() {
        for n in [0, 1, 3, 10] {
            let counter = CountingWaker::new();
            let mut fut = pin!(Countdown::new(n));
            let mut pendings = 0;
            while poll_once(fut.as_mut(), &counter.waker()).is_pending() {
                pendings += 1;
                assert!(
                    pendings <= n,
                    "Countdown::new({n}) returned Pending too often"
                );
            }
            assert_eq!(
                pendings, n,
                "Countdown::new({n}) must return Pending {n} times"
            );
            assert_eq!(
                counter.count(),
                n,
                "Countdown::new({n}) must wake once per Pending and not at all on Ready"
            );
        }
    }

    #[test]
    fn forgotten_wake_under_block_on_is_rejected() {
        // An executor only polls again after a wake; a forgotten one is named, not waited on.
        run_bounded(Countdown::new(5), 6);
    }

    #[test]
    fn waking_a_stale_waker_is_rejected() {
        let first = CountingWaker::new();
        let second = CountingWaker::new();
        let mut fut = pin!(Countdown::new(2));
        assert!(poll_once(fut.as_mut(), &first.waker()).is_pending());
        assert!(poll_once(fut.as_mut(), &second.waker()).is_pending());
        assert_eq!(first.count(), 1);
        assert_eq!(
            second.count(),
            1,
            "wake the waker of the current poll's Context, not one kept from earlier"
        );
    }
}
