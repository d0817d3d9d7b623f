// wrong answer: spends one unit of budget once, before the loop, so the lookups themselves never yield; caught by lookups_that_never_yield_are_rejected and a_counter_of_its_own_instead_of_the_budget_is_rejected
// tokio_depth1: make a loop over always-ready work give way, through tokio's cooperative budget
//
// `.await` is not a yield point by itself: awaiting a future that is already ready returns at once,
// and a loop of such awaits can run for seconds without ever giving the thread back. On a
// current_thread runtime nothing else runs meanwhile; on a multi_thread one, that worker is lost.
//
// Tokio gives every task a budget each time it polls it (128 units). Its own resources (channel
// receives, socket reads, semaphores, timers) spend one unit per operation that makes progress,
// and return Pending once the budget is spent, so the task yields and the others get a turn.
// `Cache::get` below is ready at once and spends nothing.
//
// Make `total` cooperative: spend one unit of the task's budget for every lookup, with
// `tokio::task::coop::consume_budget`, so that it yields exactly when the task's budget is spent.
// Do not yield after every lookup, and do not keep a counter of your own. Do not change the tests.

use std::collections::HashMap;

/// A cache in memory: every lookup is ready at once.
struct Cache {
    entries: HashMap<u64, u64>,
}

impl Cache {
    fn with_squares(n: u64) -> Cache {
        Cache {
            entries: (0..n).map(|key| (key, key * key)).collect(),
        }
    }

    /// Never waits, so it never returns Pending, and spends none of tokio's budget.
    async fn get(&self, key: u64) -> Option<u64> {
        self.entries.get(&key).copied()
    }
}

/// Adds up the values of `keys` (a missing key counts as 0), one unit of budget per lookup.
async fn total(cache: &Cache, keys: &[u64]) -> u64 {
    let mut sum = 0;
    tokio::task::coop::consume_budget().await;
    for &key in keys {
        sum += cache.get(key).await.unwrap_or(0);
    }
    sum
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};
    use tokio::task::coop;

    /// Counts how many times the wrapped future is polled: one more than the times it yielded.
    struct Polls<F> {
        inner: Pin<Box<F>>,
        count: usize,
    }

    impl<F: Future> Future for Polls<F> {
        type Output = (F::Output, usize);
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            self.count += 1;
            match self.inner.as_mut().poll(cx) {
                Poll::Ready(out) => Poll::Ready((out, self.count)),
                Poll::Pending => Poll::Pending,
            }
        }
    }

    fn polls<F: Future>(fut: F) -> Polls<F> {
        Polls {
            inner: Box::pin(fut),
            count: 0,
        }
    }

    fn sum_of_squares(n: u64) -> u64 {
        (0..n).map(|key| key * key).sum()
    }

    #[tokio::test]
    async fn lookups_that_never_yield_are_rejected() {
        let cache = Cache::with_squares(1000);
        let keys: Vec<u64> = (0..1000).collect();
        let turns = Arc::new(AtomicUsize::new(0));
        let counted = turns.clone();
        // Another task on the same thread, ready to run at every turn it is given.
        let other = tokio::spawn(async move {
            loop {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
        });
        let sum = total(&cache, &keys).await;
        let turns_during = turns.load(Ordering::SeqCst);
        other.abort();
        assert_eq!(sum, sum_of_squares(1000));
        assert!(
            turns_during >= 3,
            "another task got {turns_during} turns while 1000 lookups ran on its thread: the loop \
             never gave the thread back (awaiting a ready future is not a yield point; spend budget \
             inside the loop, once per lookup)"
        );
    }

    #[tokio::test]
    async fn a_yield_after_every_lookup_is_rejected() {
        let cache = Cache::with_squares(1024);
        let keys: Vec<u64> = (0..1024).collect();
        let (sum, count) = polls(total(&cache, &keys)).await;
        assert_eq!(sum, sum_of_squares(1024));
        assert!(
            count <= 1024 / 128 + 2,
            "1024 lookups were polled {count} times: the loop yields far more often than its \
             budget of 128 units a poll requires (consume budget, do not yield every time)"
        );
    }

    #[tokio::test]
    async fn a_counter_of_its_own_instead_of_the_budget_is_rejected() {
        let cache = Cache::with_squares(64);
        let keys: Vec<u64> = (0..64).collect();
        // This task has already spent 120 of its 128 units in this poll, on other work.
        for _ in 0..120 {
            coop::consume_budget().await;
        }
        let (sum, count) = polls(total(&cache, &keys)).await;
        assert_eq!(sum, sum_of_squares(64));
        assert!(
            count >= 2,
            "the task had 8 units of budget left and made 64 lookups without yielding: the budget \
             belongs to the whole task and is shared by everything it does in one poll, so count \
             with consume_budget, not with a counter of your own"
        );
    }

    #[tokio::test]
    async fn yielding_inside_unconstrained_is_rejected() {
        let cache = Cache::with_squares(1024);
        let keys: Vec<u64> = (0..1024).collect();
        // The caller opted out of the budget: consume_budget never asks this future to yield.
        let (sum, count) = coop::unconstrained(polls(total(&cache, &keys))).await;
        assert_eq!(sum, sum_of_squares(1024));
        assert_eq!(
            count, 1,
            "inside coop::unconstrained the budget is never spent, so the loop must not yield \
             (yield through the budget, not on a schedule of your own)"
        );
    }
}
