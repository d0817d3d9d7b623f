// wrong answer: wraps the work in `std::future::ready(...)`, whose argument is evaluated at call time; `counting_at_creation_is_rejected` catches it.
// futures4: futures are lazy, so keep side effects inside them
//
// A function that returns `impl Future` runs in two stages. Its body runs when it is called;
// the future it returns runs only when polled, which may be much later or never: futures get
// dropped unpolled all the time (a timeout fired first, the other branch of a select won, the
// caller changed its mind). Work done in the first stage happens even for a future that is
// never run.
//
// `fetch` counts requests in flight. As written it counts a request the moment the future is
// created, so a future that is built and dropped leaves the counter wrong forever. Move the
// side effect so it happens only when the future runs. Keep the signature of `fetch`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts requests that have started.
#[derive(Default)]
struct Stats {
    started: AtomicUsize,
}

/// Pretends to fetch `id`; the answer is twice the id.
fn fetch(stats: Arc<Stats>, id: u32) -> impl Future<Output = u32> {
    // Pure preparation with no side effect: harmless at call time.
    let answer = id * 2;
    std::future::ready({
        stats.started.fetch_add(1, Ordering::SeqCst);
        answer
    })
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::block_on_checked;

    #[test]
    fn counting_at_creation_is_rejected() {
        let stats = Arc::new(Stats::default());
        let fut = fetch(Arc::clone(&stats), 1);
        assert_eq!(
            stats.started.load(Ordering::SeqCst),
            0,
            "nothing has polled the future yet, so the request has not started"
        );
        drop(fut);
        assert_eq!(
            stats.started.load(Ordering::SeqCst),
            0,
            "a future dropped unpolled never ran"
        );
    }

    #[test]
    fn counting_cancelled_futures_is_rejected() {
        let stats = Arc::new(Stats::default());
        let cancelled = [fetch(Arc::clone(&stats), 1), fetch(Arc::clone(&stats), 2)];
        let run = fetch(Arc::clone(&stats), 3);
        drop(cancelled);
        assert_eq!(block_on_checked(run), 6);
        assert_eq!(
            stats.started.load(Ordering::SeqCst),
            1,
            "one request ran and two were dropped before they started"
        );
    }

    #[test]
    fn forgetting_to_count_is_rejected() {
        let stats = Arc::new(Stats::default());
        let first = block_on_checked(fetch(Arc::clone(&stats), 5));
        let second = block_on_checked(fetch(Arc::clone(&stats), 8));
        assert_eq!((first, second), (10, 16));
        assert_eq!(
            stats.started.load(Ordering::SeqCst),
            2,
            "every request that runs must be counted once"
        );
    }
}
