// state3: what a future holds across an await makes it big
//
// The enum the compiler builds for an `async fn` stores the locals it may still need when it
// resumes from an `.await`: those used after it, those with drop glue that are dropped at the
// end of their scope, and those that have been borrowed and are still in scope (the compiler
// does not prove that a borrow has ended, so it keeps a borrowed local until its scope ends).
// The future is as large as the biggest set of such locals. Futures are moved into tasks,
// boxed, and nested inside other futures, so a 4 KiB buffer kept across an await makes every
// one of those 4 KiB larger.
//
// `checksum_later` fills a buffer through `iter_mut`, sums it through `iter`, then waits for
// its turn before answering. The buffer is not used after the sum, but it was borrowed and is
// still in scope at the `.await`, so it is kept. Make the future small (the test wants it under
// 64 bytes) without changing what it returns and without removing the `.await`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Pending once (after waking its waker), then Ready. Given; do not change.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn yield_once() -> YieldOnce {
    YieldOnce { yielded: false }
}

async fn checksum_later(seed: u8) -> u64 {
    let sum: u64 = {
        let mut buffer = [0_u8; 4096];
        for (i, byte) in buffer.iter_mut().enumerate() {
            *byte = seed.wrapping_add(i as u8);
        }
        buffer.iter().map(|&b| u64::from(b)).sum()
    };
    yield_once().await;
    sum
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;

    /// The sum the function must return, computed the plain way.
    fn expected(seed: u8) -> u64 {
        (0..4096_usize)
            .map(|i| u64::from(seed.wrapping_add(i as u8)))
            .sum()
    }

    #[test]
    fn buffer_held_across_the_await_is_rejected() {
        let size = std::mem::size_of_val(&checksum_later(7));
        assert!(
            size < 64,
            "the future is {size} bytes: something large is still in scope at the .await"
        );
    }

    #[test]
    fn changed_result_is_rejected() {
        let counter = CountingWaker::new();
        for seed in [0, 7, 255] {
            let mut fut = pin!(checksum_later(seed));
            let mut answer = poll_once(fut.as_mut(), &counter.waker());
            if answer.is_pending() {
                answer = poll_once(fut.as_mut(), &counter.waker());
            }
            assert_eq!(answer, Poll::Ready(expected(seed)));
        }
    }

    #[test]
    fn removing_the_await_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(checksum_later(1));
        assert!(
            poll_once(fut.as_mut(), &counter.waker()).is_pending(),
            "keep the .await: the future must still wait for its turn once"
        );
        assert_eq!(counter.count(), 1);
        assert_eq!(
            poll_once(fut.as_mut(), &counter.waker()),
            Poll::Ready(expected(1))
        );
    }
}
