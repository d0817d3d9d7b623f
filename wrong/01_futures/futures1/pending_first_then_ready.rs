// wrong answer: the first poll wakes and answers Pending, as if every future had to wait once; `pending_on_the_first_poll_is_rejected` catches it.
// futures1: a future that is ready on its first poll
//
// A future is any type that implements `Future`. Its one method, `poll`, is called by whoever
// drives the future and answers either `Poll::Ready(output)` ("done, here is the value") or
// `Poll::Pending` ("not yet, I will wake you"). `Ready<T>` already holds its value, so it has
// nothing to wait for: its first poll hands the value over.
//
// Implement `poll` for `Ready<T>`. Do not change the struct, `ready` or the tests.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future that completes at once with the value it was built with.
struct Ready<T> {
    polled: bool,
    // An Option, because `poll` only gets `&mut self`: the value has to be taken out.
    value: Option<T>,
}

// `Ready` never points into itself, so moving it is always fine. This is what lets `poll`
// call `get_mut` on its `Pin<&mut Self>` (chapter 06 explains pinning).
impl<T> Unpin for Ready<T> {}

fn ready<T>(value: T) -> Ready<T> {
    Ready {
        polled: false,
        value: Some(value),
    }
}

impl<T> Future for Ready<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        if !this.polled {
            this.polled = true;
            _cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let value = this.value.take().expect("Ready polled after it completed");
        Poll::Ready(value)
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;

    #[test]
    fn pending_on_the_first_poll_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(ready(7_u32));
        let first = poll_once(fut.as_mut(), &counter.waker());
        assert_eq!(
            first,
            Poll::Ready(7),
            "Ready already holds its value: the first poll must return it"
        );
    }

    #[test]
    fn hard_coded_output_is_rejected() {
        let counter = CountingWaker::new();
        for value in [0_u32, 41, 1_000_000] {
            let mut fut = pin!(ready(value));
            assert_eq!(
                poll_once(fut.as_mut(), &counter.waker()),
                Poll::Ready(value),
                "the output must be the value the future was built with"
            );
        }
    }

    #[test]
    fn works_under_await() {
        let out = runtime_reference::testing::block_on_checked(async {
            let a = ready(2).await;
            let b = ready(3).await;
            a * b
        });
        assert_eq!(out, 6);
    }

    #[test]
    #[should_panic(expected = "after it completed")]
    fn silent_second_poll_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(ready(1_u8));
        let _ = poll_once(fut.as_mut(), &counter.waker());
        // Polling a finished future is a bug in the caller; the future should say so loudly.
        let _ = poll_once(fut.as_mut(), &counter.waker());
    }
}
