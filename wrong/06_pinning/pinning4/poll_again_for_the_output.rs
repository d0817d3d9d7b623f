// wrong answer: loops while Pending and then polls once more to get the output, polling a finished future; `polling_again_after_ready_is_rejected` catches it.
// pinning4: pin on the stack, pin on the heap
//
// An async block that keeps a value across an `.await` is `!Unpin`, so to poll it by hand
// you must pin it first. Two ways:
//
//   - `pin!(fut)` pins it in the current stack frame: free, but the pinned future cannot
//     leave the function that pinned it.
//   - `Box::pin(fut)` pins it on the heap: one allocation, and the `Pin<Box<_>>` can be
//     returned, stored, and mixed with futures of other types as `Pin<Box<dyn Future>>`.
//
// Write `poll_on_stack` with `pin!`, and `jobs` with `Box::pin`.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// Polls `fut`, pinned on this stack frame, with a no-op waker (so `fut` must wake itself)
/// at most `max_polls` times. Returns the output and the number of polls, or `None` if it was
/// still pending after `max_polls`.
fn poll_on_stack<F: Future>(fut: F, max_polls: usize) -> Option<(F::Output, usize)> {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 1;
    while fut.as_mut().poll(&mut cx).is_pending() {
        if polls == max_polls {
            return None;
        }
        polls += 1;
    }
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(output) => Some((output, polls)),
        Poll::Pending => None,
    }
}

/// `Pending` once (waking itself), then `Ready`.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

type Job = Pin<Box<dyn Future<Output = String>>>;

/// Two futures of different types, ready to be polled: a greeting built over two awaits and
/// the sum of `numbers` over one await per number.
fn jobs(name: &str, numbers: Vec<u32>) -> Vec<Job> {
    let name = name.to_string();
    let greet = async move {
        YieldNow(false).await;
        let greeting = format!("hello, {name}");
        YieldNow(false).await;
        greeting
    };
    let sum = async move {
        let mut total = 0;
        for n in numbers {
            YieldNow(false).await;
            total += n;
        }
        total.to_string()
    };
    vec![Box::pin(greet), Box::pin(sum)]
}

fn main() {
    for job in jobs("pin", vec![1, 2, 3]) {
        println!("{:?}", poll_on_stack(job, 10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn async_block_polled_until_ready() {
        let fut = async {
            let word = String::from("stack");
            YieldNow(false).await;
            YieldNow(false).await;
            word
        };
        assert_eq!(poll_on_stack(fut, 10), Some(("stack".to_string(), 3)));
    }

    #[test]
    fn polling_past_the_limit_is_rejected() {
        let polls = Cell::new(0);
        let never = std::future::poll_fn(|cx: &mut Context<'_>| {
            polls.set(polls.get() + 1);
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        });
        assert_eq!(poll_on_stack(never, 4), None);
        assert_eq!(polls.get(), 4, "poll exactly max_polls times, then give up");
    }

    #[test]
    fn polling_again_after_ready_is_rejected() {
        let polls = Cell::new(0);
        let once = std::future::poll_fn(|_cx: &mut Context<'_>| {
            polls.set(polls.get() + 1);
            assert_eq!(polls.get(), 1, "a future was polled again after Ready");
            Poll::Ready(9)
        });
        assert_eq!(poll_on_stack(once, 5), Some((9, 1)));
    }

    #[test]
    fn jobs_of_different_types_share_one_vec() {
        let results: Vec<_> = jobs("ferris", vec![4, 5, 6])
            .into_iter()
            .map(|job| poll_on_stack(job, 10))
            .collect();
        assert_eq!(
            results,
            [
                Some(("hello, ferris".to_string(), 3)),
                Some(("15".to_string(), 4))
            ],
            "jobs() must return the greeting first, then the sum, each still unpolled"
        );
    }
}
