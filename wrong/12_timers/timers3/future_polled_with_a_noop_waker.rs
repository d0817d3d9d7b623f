// wrong answer: the inner future is polled with a no-op waker, so it only makes progress when the timer happens to wake the task; elapsed_while_the_future_is_pending_is_rejected catches it.
// timers3: timeout
//
// `timeout(d, f)` races a future against a timer. Each poll gives the future a chance first: if
// it is ready, its output wins (`Ok`), even if the deadline has also just passed. Only then is
// the timer polled: if it has fired, the timeout wins (`Err(Elapsed)`) and the future is dropped
// with the `Timeout`. If neither is ready, both have stored the task's waker (the future in
// whatever it waits on, the timer in the runtime's heap), so whichever comes first wakes the
// task.
//
//   poll: future Ready(v)? -> Ready(Ok(v))
//         sleep  Ready?    -> Ready(Err(Elapsed))
//         else             -> Pending
//
// Implement `Timeout::poll`. The timer is the reference runtime's `Sleep` (it is `Unpin`:
// `Pin::new(&mut self.sleep)`), and the future is boxed so it can be polled with `as_mut()`.

use runtime_reference::time::{Elapsed, Sleep, sleep};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub struct Timeout<F> {
    future: Pin<Box<F>>,
    sleep: Sleep,
}

/// Runs `future` for at most `duration`, counted from this call.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Box::pin(future),
        sleep: sleep(duration),
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut quiet = Context::from_waker(std::task::Waker::noop());
        if let Poll::Ready(output) = self.future.as_mut().poll(&mut quiet) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(&mut self.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::executor::Runtime;
    use runtime_reference::testing::TestClock;

    /// Runs `f` on a runtime whose clock jumps to the next timer when idle: no real waiting.
    /// The reference runtime's own timeout (an hour) turns a learner's timeout that never
    /// fires into a failure instead of a hang.
    fn run_on_test_clock<T>(f: impl Future<Output = T>) -> (T, Duration) {
        let clock = TestClock::new();
        let rt = Runtime::with_test_clock(clock.clone());
        let out = rt.block_on(async {
            runtime_reference::time::timeout(Duration::from_secs(3600), f).await
        });
        let out = out.expect("the timeout never fired: poll the timer when the future is Pending");
        (out, clock.elapsed())
    }

    #[test]
    fn elapsed_while_the_future_is_pending_is_rejected() {
        let (result, elapsed) = run_on_test_clock(async {
            timeout(Duration::from_secs(2), async {
                sleep(Duration::from_secs(1)).await;
                7
            })
            .await
        });
        assert_eq!(
            result,
            Ok(7),
            "the future finished after 1 s, before the 2 s timeout"
        );
        assert_eq!(elapsed, Duration::from_secs(1));
    }

    #[test]
    fn timer_that_never_wins_is_rejected() {
        let (result, elapsed) = run_on_test_clock(async {
            timeout(Duration::from_secs(1), std::future::pending::<()>()).await
        });
        assert_eq!(
            result,
            Err(Elapsed),
            "the future never finishes: the timer must win"
        );
        assert_eq!(
            elapsed,
            Duration::from_secs(1),
            "the timeout fired at the wrong time"
        );
    }

    #[test]
    fn checking_the_timer_before_the_future_is_rejected() {
        let (result, _) = run_on_test_clock(async { timeout(Duration::ZERO, async { 5 }).await });
        assert_eq!(
            result,
            Ok(5),
            "a future that is ready must win even when the deadline has passed"
        );
    }
}
