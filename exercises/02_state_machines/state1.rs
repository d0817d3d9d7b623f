// state1: a future as an enum of states
//
// A future that needs more than one poll has to remember where it is between polls. The
// natural shape for that is an enum with one variant per state, and `poll` as a `match` that
// moves from one state to the next.
//
// `YieldOnce<T>` gives the executor one chance to run something else before it finishes:
//
//   Start(value) --poll--> Yielded(value)   answers Pending, after waking its waker
//   Yielded(value) --poll--> Done           answers Ready(value)
//   Done --poll--> panic!("YieldOnce polled after completion")
//
// Implement `poll`. The value has to move from one variant to the next, and a `match` on
// `&mut self` only lends it to you. `std::mem::replace(this, YieldOnce::Done)` takes the whole
// state out by value and leaves `Done` behind; then put the next state back.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

enum YieldOnce<T> {
    Start(T),
    Yielded(T),
    Done,
}

impl<T> YieldOnce<T> {
    fn new(value: T) -> Self {
        YieldOnce::Start(value)
    }
}

// No state points into another, so moving a `YieldOnce` is always fine.
impl<T> Unpin for YieldOnce<T> {}

impl<T> Future for YieldOnce<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        // TODO: take the state out with `std::mem::replace` and match on it.
        todo!()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;

    /// Polls `fut` to completion, at most `max_polls` times; every Pending must come with a
    /// wake-up. Fails instead of hanging when the future never finishes.
    fn run_bounded<F: Future>(fut: F, max_polls: usize) -> F::Output {
        let mut fut = pin!(fut);
        let counter = CountingWaker::new();
        for poll in 1..=max_polls {
            let before = counter.count();
            match poll_once(fut.as_mut(), &counter.waker()) {
                Poll::Ready(out) => return out,
                Poll::Pending => assert!(
                    counter.count() > before,
                    "poll {poll} answered Pending without waking the waker: nobody would poll again"
                ),
            }
        }
        panic!("still Pending after {max_polls} polls: the future yields forever")
    }

    #[test]
    fn ready_on_the_first_poll_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(YieldOnce::new(5));
        assert!(
            poll_once(fut.as_mut(), &counter.waker()).is_pending(),
            "the first poll must yield: answer Pending"
        );
    }

    #[test]
    fn pending_without_wake_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(YieldOnce::new(5));
        let _ = poll_once(fut.as_mut(), &counter.waker());
        assert_eq!(
            counter.count(),
            1,
            "the future returned Pending but did not wake its waker: nobody would poll it again"
        );
    }

    #[test]
    fn pending_forever_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(YieldOnce::new(String::from("moved")));
        let _ = poll_once(fut.as_mut(), &counter.waker());
        assert_eq!(
            poll_once(fut.as_mut(), &counter.waker()),
            Poll::Ready(String::from("moved")),
            "the second poll must hand over the value"
        );
        assert_eq!(counter.count(), 1, "Ready needs no wake");
    }

    #[test]
    #[should_panic(expected = "polled after completion")]
    fn answering_a_poll_after_ready_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(YieldOnce::new(1));
        let _ = poll_once(fut.as_mut(), &counter.waker());
        let _ = poll_once(fut.as_mut(), &counter.waker());
        let _ = poll_once(fut.as_mut(), &counter.waker());
    }

    #[test]
    fn yielding_more_than_once_is_rejected() {
        let out = run_bounded(
            async { YieldOnce::new(20).await + YieldOnce::new(22).await },
            3,
        );
        assert_eq!(out, 42, "two YieldOnce in a row: two Pendings, then Ready");
    }
}
