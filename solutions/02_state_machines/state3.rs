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

/// A buffer borrowed from a pool. Its destructor hands it back, so it has drop glue.
struct Frame {
    bytes: [u8; 4096],
}

impl Frame {
    fn take() -> Frame {
        Frame { bytes: [0; 4096] }
    }
}

thread_local! {
    /// How many frames this thread has handed back to the pool.
    static FRAMES_RETURNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Drop for Frame {
    fn drop(&mut self) {
        FRAMES_RETURNED.with(|n| n.set(n.get() + 1));
    }
}

async fn ends_later(seed: u8) -> u16 {
    let mut frame = Frame::take();
    frame.bytes[0] = seed;
    frame.bytes[4095] = seed.wrapping_mul(2);
    let ends = u16::from(frame.bytes[0]) + u16::from(frame.bytes[4095]);
    // Moved out (and dropped) here: never borrowed, so nothing of it is left for the future.
    drop(frame);
    yield_once().await;
    ends
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;

    /// The sum `checksum_later` must return, computed the plain way.
    fn expected(seed: u8) -> u64 {
        (0..4096_usize)
            .map(|i| u64::from(seed.wrapping_add(i as u8)))
            .sum()
    }

    /// Polls twice: the first poll must be Pending (the `.await` is kept), the second Ready.
    fn run_two_polls<F: Future>(fut: F) -> F::Output {
        let counter = CountingWaker::new();
        let mut fut = pin!(fut);
        assert!(
            poll_once(fut.as_mut(), &counter.waker()).is_pending(),
            "keep the .await: the future must still wait for its turn once"
        );
        assert_eq!(counter.count(), 1);
        match poll_once(fut.as_mut(), &counter.waker()) {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("the second poll must finish"),
        }
    }

    #[test]
    fn borrowed_buffer_kept_across_the_await_is_rejected() {
        let size = std::mem::size_of_val(&checksum_later(7));
        assert!(
            size < 64,
            "checksum_later's future is {size} bytes: `buffer` is borrowed (by iter_mut and \
             iter), and a borrowed local stays in the future until the end of its scope, even \
             after drop(buffer). End its scope before the .await"
        );
    }

    #[test]
    fn frame_with_a_destructor_kept_across_the_await_is_rejected() {
        let size = std::mem::size_of_val(&ends_later(7));
        assert!(
            size < 64,
            "ends_later's future is {size} bytes: `frame` has a destructor, so it is live \
             until the end of its scope, after the .await, although its last use is before"
        );
    }

    #[test]
    fn frame_handed_back_after_the_await_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(ends_later(3));
        let before = FRAMES_RETURNED.with(|n| n.get());
        assert!(poll_once(fut.as_mut(), &counter.waker()).is_pending());
        assert_eq!(
            FRAMES_RETURNED.with(|n| n.get()),
            before + 1,
            "ends_later is suspended at its .await and has not handed its frame back yet"
        );
    }

    #[test]
    fn changed_result_is_rejected() {
        for seed in [0, 7, 255] {
            assert_eq!(run_two_polls(checksum_later(seed)), expected(seed));
            let ends = u16::from(seed) + u16::from(seed.wrapping_mul(2));
            assert_eq!(run_two_polls(ends_later(seed)), ends);
        }
    }

    #[test]
    fn removing_the_await_is_rejected() {
        assert_eq!(run_two_polls(checksum_later(1)), expected(1));
        assert_eq!(run_two_polls(ends_later(1)), 3);
    }
}
