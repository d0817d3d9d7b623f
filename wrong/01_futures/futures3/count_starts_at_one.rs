// wrong answer: starts the count at one and adds one per poll, so every count is one too many; `extra_poll_of_a_ready_future_is_rejected` and `stopping_at_the_first_pending_is_rejected` catch it.
// futures3: drive a future by hand
//
// Something has to call `poll`. Here that something is you: write `run_to_completion`, a
// tiny executor that polls a future until it is ready and reports how many polls it took.
//
// Three steps:
//   1. `poll` takes `Pin<&mut Self>`, so pin the future first. `std::pin::pin!(fut)` pins it on
//      the stack and gives you a `Pin<&mut F>`; `.as_mut()` reborrows it for each poll.
//   2. `poll` also takes a `&mut Context`. Build one from a waker with `Context::from_waker`.
//      `Waker::noop()` is a waker that does nothing when woken: enough for a loop that polls
//      again anyway.
//   3. Loop: poll; on `Ready(value)` return it with the number of polls; on `Pending` go round.
//
// A loop that polls without waiting for a wake is a busy loop; chapter 05 replaces it with
// one that sleeps until woken. Never poll again once the future returned `Ready`.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Polls `fut` until it is ready. Returns its output and how many times `poll` was called.
fn run_to_completion<F: Future>(fut: F) -> (F::Output, usize) {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 1;
    loop {
        polls += 1;
        if let Poll::Ready(output) = fut.as_mut().poll(&mut cx) {
            return (output, polls);
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::pin::Pin;

    /// Pending `left` more times, then Ready with `value`. Panics if polled after Ready.
    struct NotYet {
        left: usize,
        value: &'static str,
        done: bool,
    }

    impl Future for NotYet {
        type Output = &'static str;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
            assert!(!self.done, "polled again after it returned Ready");
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
    fn extra_poll_of_a_ready_future_is_rejected() {
        assert_eq!(run_to_completion(async { 42 }), (42, 1));
    }

    #[test]
    fn stopping_at_the_first_pending_is_rejected() {
        let fut = NotYet {
            left: 3,
            value: "finally",
            done: false,
        };
        assert_eq!(
            run_to_completion(fut),
            ("finally", 4),
            "three Pendings and one Ready are four polls"
        );
    }

    #[test]
    fn polling_after_ready_is_rejected() {
        let fut = NotYet {
            left: 0,
            value: "once",
            done: false,
        };
        assert_eq!(run_to_completion(fut).0, "once");
    }

    #[test]
    fn hard_coded_poll_count_is_rejected() {
        let ran = Cell::new(false);
        let (out, polls) = run_to_completion(async {
            ran.set(true);
            let a = NotYet {
                left: 1,
                value: "a",
                done: false,
            }
            .await;
            let b = NotYet {
                left: 2,
                value: "b",
                done: false,
            }
            .await;
            format!("{a}{b}")
        });
        assert!(ran.get());
        assert_eq!(out, "ab");
        assert_eq!(
            polls, 4,
            "an async block is polled once per inner Pending, plus once"
        );
    }
}
