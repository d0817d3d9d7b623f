// eco2: many requests, at most LIMIT at a time: map and buffer_unordered
//
// A crawler has a list of page ids to fetch from one backend. One request at a time is slow;
// every request at once overloads the backend. `futures::StreamExt` has the tool for "at most
// N at a time": turn each id into a future with `map`, then `buffer_unordered(n)` polls up to
// `n` of those futures at once, starts the next one as soon as any finishes, and yields each
// output when it is ready. (`buffered(n)` looks the same but yields in the order of the ids,
// so one slow page holds back every page behind it.) `stream::iter` makes a stream from a list.
//
// Write `fetch_all`: a stream of the pages for `ids`, with at most LIMIT requests in flight,
// each page yielded as soon as it arrives. Nothing is fetched until the stream is polled.

use futures::stream::{self, Stream, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const LIMIT: usize = 3;

/// A backend that takes `delays_ms[id]` milliseconds to answer for page `id`, and remembers how
/// many requests it ever had in flight at once.
struct Backend {
    delays_ms: Vec<u64>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl Backend {
    fn new(delays_ms: Vec<u64>) -> Arc<Self> {
        Arc::new(Backend {
            delays_ms,
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
        })
    }

    async fn fetch(&self, id: u32) -> String {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(self.delays_ms[id as usize])).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        format!("page {id}")
    }
}

fn fetch_all(backend: Arc<Backend>, ids: Vec<u32>) -> impl Stream<Item = String> {
    stream::iter(ids)
        .map(move |id| {
            let backend = Arc::clone(&backend);
            async move { backend.fetch(id).await }
        })
        .buffer_unordered(LIMIT)
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::Future;
    use std::pin::pin;
    use tokio::time::Instant;

    const STUCK: &str = "a test did not finish within a second of real time: the stream is spinning (a loop that polls without waiting), which also freezes tokio's paused clock";

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

    /// Fetches every id (0, 1, 2, ...) of `backend` through `fetch_all`; returns each page with
    /// the millisecond it arrived at, and the most requests the backend had in flight at once.
    async fn crawl(delays_ms: Vec<u64>) -> (Vec<(String, u128)>, usize) {
        let ids = (0..delays_ms.len() as u32).collect();
        let backend = Backend::new(delays_ms);
        let start = Instant::now();
        let mut pages = pin!(fetch_all(Arc::clone(&backend), ids));
        let mut arrived = Vec::new();
        while let Some(page) = pages.next().await {
            arrived.push((page, start.elapsed().as_millis()));
        }
        (arrived, backend.most_in_flight.load(Ordering::SeqCst))
    }

    fn at(id: u32, ms: u128) -> (String, u128) {
        (format!("page {id}"), ms)
    }

    #[test]
    fn fast_page_held_behind_a_slow_one_is_rejected() {
        paused(|| async {
            let (arrived, _) = crawl(vec![50, 10, 20]).await;
            assert_eq!(
                arrived,
                vec![at(1, 10), at(2, 20), at(0, 50)],
                "each page must be yielded when it arrives, not in the order of the ids (buffer_unordered, not buffered)"
            );
        });
    }

    #[test]
    fn one_request_at_a_time_is_rejected() {
        paused(|| async {
            let (arrived, most) = crawl(vec![10, 10, 10]).await;
            assert_eq!(
                most, LIMIT,
                "three pages and a limit of three: all three requests should be in flight together"
            );
            assert_eq!(arrived.len(), 3);
            assert!(
                arrived.iter().all(|(_, ms)| *ms == 10),
                "three 10 ms requests fetched together all arrive at 10 ms, got {arrived:?}"
            );
        });
    }

    #[test]
    fn more_than_the_limit_in_flight_is_rejected() {
        paused(|| async {
            let (arrived, most) = crawl(vec![10; 10]).await;
            assert_eq!(arrived.len(), 10, "every page must be fetched");
            assert_eq!(
                most, LIMIT,
                "the backend had {most} requests in flight at once; the limit is {LIMIT}"
            );
        });
    }

    #[test]
    fn slot_refilled_only_after_a_whole_wave_is_rejected() {
        paused(|| async {
            let (arrived, most) = crawl(vec![50, 10, 15, 10, 10]).await;
            assert_eq!(
                arrived,
                vec![at(1, 10), at(2, 15), at(3, 20), at(4, 25), at(0, 50)],
                "a finished request frees its slot at once: page 3 starts at 10 ms, when page 1 is done, not after the slowest of the first three"
            );
            assert_eq!(most, LIMIT);
        });
    }

    #[test]
    fn nothing_fetched_before_the_stream_is_polled() {
        paused(|| async {
            let backend = Backend::new(vec![10, 10]);
            let pages = fetch_all(Arc::clone(&backend), vec![0, 1]);
            tokio::time::sleep(Duration::from_millis(30)).await;
            assert_eq!(backend.most_in_flight.load(Ordering::SeqCst), 0);
            drop(pages);
        });
    }
}
