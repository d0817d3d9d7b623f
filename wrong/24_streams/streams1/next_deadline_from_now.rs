// wrong answer: resets the sleep to now + period, so a slow consumer pushes every later tick back; next_deadline_computed_from_now_is_rejected fails.
// streams1: implement `poll_next`
//
// A stream is the async cousin of an iterator: a sequence of values that may each take time to
// arrive. Its one method mirrors `Future::poll`, with an `Option` inside:
//
//     Poll::Ready(Some(item))   here is the next item
//     Poll::Ready(None)         the stream is over (and stays over)
//     Poll::Pending             not yet; a wake-up has been arranged
//
// The trait is defined right here (tokio re-exports none, and the `futures` crate is not used in
// this course). `next` turns one `poll_next` into a future you can `.await`.
//
// Implement `poll_next` for `Ticks`: it yields 0, 1, .., count - 1, one per `period`, then ends.
// It holds a `Sleep` for the next tick: poll it; when it fires, move its deadline one period on
// (`Sleep::reset`) and yield the tick number. A `Pending` from the sleep is passed on as is: the
// sleep has already arranged the wake-up. Do not change the tests.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

trait Stream {
    type Item;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>>;
}

/// The next item of a stream, as a future.
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

struct Ticks {
    sleep: Pin<Box<Sleep>>,
    period: Duration,
    /// The number of the next tick to yield.
    next_tick: u32,
    count: u32,
}

impl Ticks {
    /// The first tick comes one `period` from now.
    fn new(period: Duration, count: u32) -> Ticks {
        Ticks {
            sleep: Box::pin(tokio::time::sleep(period)),
            period,
            next_tick: 0,
            count,
        }
    }
}

impl Stream for Ticks {
    type Item = u32;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        if self.next_tick == self.count {
            return Poll::Ready(None);
        }
        // Pending here returns at once; the sleep keeps our waker and wakes it at the deadline.
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let following = Instant::now() + self.period;
        self.sleep.as_mut().reset(following);
        let tick = self.next_tick;
        self.next_tick += 1;
        Poll::Ready(Some(tick))
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;

    const PERIOD: Duration = Duration::from_millis(10);

    /// The next tick, failing fast both ways: a Pending that nobody wakes (the paused clock
    /// then jumps to the timeout), and a stream that keeps waking itself to be polled again
    /// while its tick is not due (that keeps the runtime busy, so the clock never moves).
    async fn next_or_fail(ticks: &mut Ticks) -> Option<u32> {
        let mut polls = 0;
        let bounded = std::future::poll_fn(|cx| {
            polls += 1;
            assert!(
                polls <= 20,
                "poll_next was polled {polls} times for one tick: it wakes itself instead of \
                 waiting for the sleep to wake it"
            );
            Pin::new(&mut *ticks).poll_next(cx)
        });
        tokio::time::timeout(Duration::from_secs(1), bounded)
            .await
            .expect("poll_next returned Pending and was never woken")
    }

    #[tokio::test(start_paused = true)]
    async fn wrong_number_of_ticks_is_rejected() {
        let mut ticks = Ticks::new(PERIOD, 4);
        let mut got = Vec::new();
        while let Some(tick) = next_or_fail(&mut ticks).await {
            got.push(tick);
            assert!(got.len() <= 4, "the stream did not end after 4 ticks");
        }
        assert_eq!(got, vec![0, 1, 2, 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn tick_without_waiting_for_the_period_is_rejected() {
        let start = Instant::now();
        let mut ticks = Ticks::new(PERIOD, 3);
        for n in 1..=3 {
            next_or_fail(&mut ticks).await.expect("a tick");
            assert_eq!(
                Instant::now() - start,
                PERIOD * n,
                "tick {n} must arrive {n} periods after the start"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn next_deadline_computed_from_now_is_rejected() {
        let start = Instant::now();
        let mut ticks = Ticks::new(PERIOD, 3);
        assert_eq!(next_or_fail(&mut ticks).await, Some(0));
        // The consumer is busy past the next deadline: tick 1 is late (at 23 ms), but the
        // schedule must not drift with it, so tick 2 still comes at 30 ms.
        tokio::time::sleep(PERIOD + Duration::from_millis(3)).await;
        assert_eq!(next_or_fail(&mut ticks).await, Some(1));
        assert_eq!(next_or_fail(&mut ticks).await, Some(2));
        assert_eq!(
            Instant::now() - start,
            PERIOD * 3,
            "a late consumer must not push the later ticks back: the next deadline is the old \
             deadline plus one period, not now plus one period"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn pending_without_a_wake_up_is_rejected() {
        let mut ticks = Ticks::new(PERIOD, 1);
        let counter = CountingWaker::new();
        let waker = counter.waker();
        assert!(
            poll_once(pin!(next(&mut ticks)), &waker).is_pending(),
            "no time has passed: the first tick is not due"
        );
        tokio::task::yield_now().await;
        assert_eq!(
            counter.count(),
            0,
            "the first tick is not due, yet the waker was woken: wait for the sleep, do not \
             wake yourself to be polled again"
        );
        tokio::time::advance(PERIOD).await;
        assert!(
            counter.count() >= 1,
            "poll_next returned Pending but nothing woke the waker when the tick was due \
             (poll the sleep with the same Context)"
        );
        assert_eq!(
            poll_once(pin!(next(&mut ticks)), &waker),
            Poll::Ready(Some(0))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_again_after_the_end_is_rejected() {
        let mut ticks = Ticks::new(PERIOD, 1);
        assert_eq!(next_or_fail(&mut ticks).await, Some(0));
        let waker = CountingWaker::new().waker();
        for _ in 0..3 {
            assert_eq!(
                poll_once(pin!(next(&mut ticks)), &waker),
                Poll::Ready(None),
                "a finished stream answers Ready(None) at once, every time it is polled"
            );
        }
    }
}
