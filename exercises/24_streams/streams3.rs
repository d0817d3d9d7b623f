// streams3: at most N at once over a stream
//
// Running one job per item, one after the other, wastes the waiting time; running every item at
// once overwhelms whatever the jobs talk to (and has no end if the stream has none). The middle
// way keeps up to `limit` jobs in flight: start jobs until `limit` run, then wait for one to
// finish before taking the next item.
//
//     limit 3:   [job0][job1][job2]  -- job1 done --> take item 3, start job3 ...
//
// Implement `for_each_concurrent` with a `tokio::task::JoinSet`: `spawn` starts a job,
// `len` says how many are unfinished, `join_next().await` waits for one to finish. Take an item
// from the stream only when a slot is free, and return only when every job has finished. Do not
// change the tests.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::task::JoinSet;

trait Stream {
    type Item;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>>;
}

/// The next item of a stream, as a future.
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

/// Runs `job(item)` for every item of `stream`, at most `limit` of them at the same time, and
/// returns when all have finished. A job that panics makes this panic too.
async fn for_each_concurrent<S, F, Fut>(mut stream: S, limit: usize, mut job: F)
where
    S: Stream + Unpin,
    F: FnMut(S::Item) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    assert!(limit > 0, "a limit of 0 would never run anything");
    // TODO: a JoinSet of running jobs. Loop: while `limit` jobs run, wait for one to finish;
    // then take the next item (stop when the stream ends) and spawn `job(item)`. At the end,
    // wait for the jobs still running. `finished` below passes a job's panic on.
    todo!()
}

/// Passes a job's panic on to the caller.
fn finished(done: Option<Result<(), tokio::task::JoinError>>) {
    if let Some(Err(err)) = done
        && err.is_panic()
    {
        std::panic::resume_unwind(err.into_panic());
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::time::Instant;

    /// The most items ever taken from the stream and not yet finished is `max_held`.
    #[derive(Default)]
    struct Record {
        taken: AtomicUsize,
        done: AtomicUsize,
        max_held: AtomicUsize,
        in_flight: AtomicUsize,
        max_in_flight: AtomicUsize,
    }

    /// A stream over `0..n` that is always ready and records every item taken.
    struct Numbers {
        next: usize,
        n: usize,
        record: Arc<Record>,
    }

    impl Stream for Numbers {
        type Item = usize;
        fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<usize>> {
            if self.next == self.n {
                return Poll::Ready(None);
            }
            self.next += 1;
            let taken = self.record.taken.fetch_add(1, Ordering::SeqCst) + 1;
            let held = taken - self.record.done.load(Ordering::SeqCst);
            self.record.max_held.fetch_max(held, Ordering::SeqCst);
            Poll::Ready(Some(self.next - 1))
        }
    }

    /// Runs `n` jobs of 10 ms with the given limit; returns the record and the elapsed time.
    async fn run(n: usize, limit: usize) -> (Arc<Record>, Duration) {
        let record = Arc::new(Record::default());
        let stream = Numbers {
            next: 0,
            n,
            record: record.clone(),
        };
        let start = Instant::now();
        for_each_concurrent(stream, limit, |_item| {
            let record = record.clone();
            async move {
                let now = record.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                record.max_in_flight.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                record.in_flight.fetch_sub(1, Ordering::SeqCst);
                record.done.fetch_add(1, Ordering::SeqCst);
            }
        })
        .await;
        (record, start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn running_one_at_a_time_is_rejected() {
        let (record, elapsed) = run(10, 3).await;
        assert_eq!(
            record.max_in_flight.load(Ordering::SeqCst),
            3,
            "with a limit of 3, three jobs must run together"
        );
        assert_eq!(
            elapsed,
            Duration::from_millis(40),
            "10 jobs of 10 ms, 3 at a time, take 4 rounds"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn exceeding_the_limit_is_rejected() {
        let (record, _) = run(20, 4).await;
        let max = record.max_in_flight.load(Ordering::SeqCst);
        assert!(max <= 4, "{max} jobs ran at once; the limit is 4");
    }

    #[tokio::test(start_paused = true)]
    async fn returning_before_the_last_job_finishes_is_rejected() {
        let (record, _) = run(7, 3).await;
        assert_eq!(
            record.done.load(Ordering::SeqCst),
            7,
            "for_each_concurrent returned while jobs were still running"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn swallowed_job_panic_is_rejected() {
        let record = Arc::new(Record::default());
        let stream = Numbers {
            next: 0,
            n: 5,
            record,
        };
        let outcome = tokio::spawn(for_each_concurrent(stream, 2, |item| async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            assert!(item != 3, "job 3 failed");
        }))
        .await;
        let panic = outcome
            .expect_err("a job panicked, so for_each_concurrent must panic too")
            .into_panic();
        assert_eq!(
            panic.downcast_ref::<&str>(),
            Some(&"job 3 failed"),
            "pass the job's own panic on (resume_unwind), do not replace it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn taking_an_item_with_no_free_slot_is_rejected() {
        let (record, _) = run(10, 2).await;
        let held = record.max_held.load(Ordering::SeqCst);
        assert!(
            held <= 2,
            "{held} items were taken from the stream and unfinished at once; with a limit of 2, \
             wait for a free slot before taking the next item"
        );
    }
}
