// wrong answer: the count is read under one lock and written under another after serving, so visits served at once overwrite each other; lost_update_across_the_await_is_rejected.
// traits2: a trait whose futures can be spawned
//
// `tokio::spawn` needs a `Send` future: the task may be moved to another worker thread at any
// `.await`. Code that is generic over a trait only knows what the trait promises, and an
// `async fn` in a trait promises nothing about `Send`. So `spawn_visit` below, which spawns
// `visitor.visit()` for any `Visitor`, does not compile: "future cannot be sent between threads
// safely".
//
// The fix is in the trait: write the method in its long form and add the bound,
//
//     fn visit(&self) -> impl Future<Output = u64> + Send;
//
// Now every implementer must return a `Send` future (it may still write `async fn`), and
// generic code can spawn it. `Counter`'s future holds a `std::sync::MutexGuard` across an
// `.await`, which is not `Send`: fix it too, without losing a visit.
//
// `Counter::visit` records the visit the moment it starts (a status page reads `count` while
// visitors are being served), then spends `SERVE` serving it, and returns the visit's number.
// Many visits are served at the same time. Do not change the tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long serving one visit takes.
const SERVE: Duration = Duration::from_millis(30);

trait Visitor {
    /// Serves one visit and returns its number (1 for the first visit, 2 for the next, ...).
    fn visit(&self) -> impl Future<Output = u64> + Send;
}

#[derive(Default)]
struct Counter {
    count: Mutex<u64>,
}

impl Visitor for Counter {
    async fn visit(&self) -> u64 {
        let seen = *self.count.lock().unwrap();
        tokio::time::sleep(SERVE).await;
        let mut count = self.count.lock().unwrap();
        *count = seen + 1;
        *count
    }
}

/// Serves one visit of `visitor` on a task of its own.
fn spawn_visit<V: Visitor + Send + Sync + 'static>(
    visitor: Arc<V>,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move { visitor.visit().await })
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    fn count(counter: &Counter) -> u64 {
        *counter.count.lock().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn counting_the_visit_after_serving_it_is_rejected() {
        let counter = Arc::new(Counter::default());
        let visit = spawn_visit(counter.clone());
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(
            count(&counter),
            1,
            "the visit is recorded as soon as it starts, before it is served"
        );
        assert_eq!(visit.await.unwrap(), 1);
        assert_eq!(count(&counter), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn lost_update_across_the_await_is_rejected() {
        let counter = Arc::new(Counter::default());
        let visits: Vec<_> = (0..5).map(|_| spawn_visit(counter.clone())).collect();
        let mut numbers = Vec::new();
        for visit in visits {
            numbers.push(visit.await.unwrap());
        }
        numbers.sort();
        assert_eq!(
            numbers,
            [1, 2, 3, 4, 5],
            "five visits at once must get five different numbers: read and write the count under one lock, with no .await in between"
        );
        assert_eq!(count(&counter), 5, "a visit was lost");
    }

    #[tokio::test(start_paused = true)]
    async fn visits_served_one_at_a_time_is_rejected() {
        let counter = Arc::new(Counter::default());
        let start = Instant::now();
        let visits: Vec<_> = (0..4).map(|_| spawn_visit(counter.clone())).collect();
        for visit in visits {
            visit.await.unwrap();
        }
        assert_eq!(
            start.elapsed(),
            SERVE,
            "four visits at once take as long as one: do not hold a lock while serving"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn visit_not_served_is_rejected() {
        let counter = Arc::new(Counter::default());
        let start = Instant::now();
        assert_eq!(spawn_visit(counter.clone()).await.unwrap(), 1);
        assert_eq!(
            start.elapsed(),
            SERVE,
            "serving a visit takes SERVE (tokio::time::sleep)"
        );
    }
}
