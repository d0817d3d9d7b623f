// wrong answer: futures ready_chunks batches only the events ready at that moment, so events a millisecond apart are written one by one; batch_of_whatever_is_ready_is_rejected.
// eco3: batch a channel's events with tokio-stream
//
// A logger receives events on an `mpsc` channel and writes them to a database in batches: a
// batch goes out when it holds MAX_BATCH events, or MAX_WAIT after its first event arrived,
// whichever comes first, and whatever is left goes out when the channel closes.
//
// `tokio-stream` has both halves. `tokio_stream::wrappers::ReceiverStream` turns an
// `mpsc::Receiver` into a `Stream`, and `tokio_stream::StreamExt::chunks_timeout` batches a
// stream exactly as described. `futures::StreamExt` has `chunks` and `ready_chunks`, which
// look close and are not: the first waits for a full batch however long that takes, the second
// batches only what is ready at that moment.
//
// The trap: both crates have a trait called `StreamExt`, and both give every stream a `next`,
// a `map`, a `filter`... Import both and `batches.next()` no longer compiles: the compiler does
// not know which `next` you mean. Use one trait per file, or call the other by its full path
// (`futures::StreamExt::buffer_unordered(stream, 4)`).
//
// Make `batches` batch as described. `store_all` must keep compiling.

use futures::StreamExt;
use std::pin::pin;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;

const MAX_BATCH: usize = 4;
const MAX_WAIT: Duration = Duration::from_millis(10);

/// Remembers every batch written, with the millisecond it was written at.
struct Db {
    start: Instant,
    writes: Mutex<Vec<(u128, Vec<u32>)>>,
}

impl Db {
    fn write(&self, batch: Vec<u32>) {
        let at = self.start.elapsed().as_millis();
        self.writes.lock().unwrap().push((at, batch));
    }
}

fn batches(events: mpsc::Receiver<u32>) -> impl Stream<Item = Vec<u32>> {
    ReceiverStream::new(events).ready_chunks(MAX_BATCH)
}

async fn store_all(events: mpsc::Receiver<u32>, db: &Db) {
    let mut batches = pin!(batches(events));
    while let Some(batch) = batches.next().await {
        db.write(batch);
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::Future;

    const STUCK: &str = "a test did not finish within a second of real time: the batching is spinning (a loop that polls without waiting), which also freezes tokio's paused clock";

    // Runs a test body on a current_thread runtime with paused time, failing the test if it is
    // still running after a second of real time: a spinning task also freezes the paused clock.
    fn paused<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(Duration::from_secs(1), STUCK, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        });
    }

    /// Sends each `(ms, event)` at that millisecond, closes the channel at `close_ms`, and
    /// returns what `store_all` wrote.
    async fn log(events: Vec<(u64, u32)>, close_ms: u64) -> Vec<(u128, Vec<u32>)> {
        let start = Instant::now();
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            for (ms, event) in events {
                tokio::time::sleep_until(start + Duration::from_millis(ms)).await;
                tx.send(event)
                    .await
                    .expect("store_all dropped the receiver");
            }
            tokio::time::sleep_until(start + Duration::from_millis(close_ms)).await;
        });
        let db = Db {
            start,
            writes: Mutex::new(Vec::new()),
        };
        store_all(rx, &db).await;
        db.writes.into_inner().unwrap()
    }

    #[test]
    fn partial_batch_waiting_for_a_full_one_is_rejected() {
        paused(|| async {
            let writes = log(vec![(0, 1), (0, 2)], 100).await;
            assert_eq!(
                writes,
                vec![(10, vec![1, 2])],
                "two events and no more for a while: the batch goes out MAX_WAIT after its first event, not when it is full"
            );
        });
    }

    #[test]
    fn batch_of_whatever_is_ready_is_rejected() {
        paused(|| async {
            let writes = log(vec![(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)], 50).await;
            assert_eq!(
                writes,
                vec![(3, vec![1, 2, 3, 4]), (14, vec![5])],
                "events one millisecond apart belong to one batch until it is full; the fifth starts a new batch that waits MAX_WAIT"
            );
        });
    }

    #[test]
    fn deadline_restarted_by_each_event_is_rejected() {
        paused(|| async {
            let writes = log(vec![(0, 1), (6, 2), (12, 3)], 50).await;
            assert_eq!(
                writes,
                vec![(10, vec![1, 2]), (22, vec![3])],
                "MAX_WAIT counts from the batch's first event; a new event must not push the deadline back"
            );
        });
    }

    #[test]
    fn last_batch_lost_or_held_at_close_is_rejected() {
        paused(|| async {
            let writes = log(vec![(0, 1), (0, 2), (0, 3)], 1).await;
            assert_eq!(
                writes,
                vec![(1, vec![1, 2, 3])],
                "when the channel closes, what is left is written at once"
            );
        });
    }
}
