// wrong answer: SlowAdd creates its sleep in handle, so the delay runs from the call and a future awaited later answers early; delay_started_when_called_is_rejected.
// traits3: boxed futures for a list of trait objects
//
// A router keeps its handlers of different types in one `Vec<Box<dyn Handler>>`. A trait object
// calls its methods through a table of function pointers, and each entry must have one signature
// for every implementer. An `async fn` (or `-> impl Future`) method returns a different future
// type for each implementer, so a trait with one is not dyn compatible: `dyn Handler` is refused.
//
// The way out is to give every implementer the same return type: a boxed trait object of a future,
//
//     fn handle(&self, request: u32) -> Pin<Box<dyn Future<Output = u32> + Send + '_>>;
//
// (`'_`: the future may borrow `self`). An implementer returns `Box::pin(async move { ... })`.
// One allocation per call is the price. The body of the `async` block runs when the future is
// polled; whatever sits before `Box::pin` runs when `handle` is called, even if the future is
// never awaited.
//
// Change the trait so `Router` compiles, and the three handlers to match. Keep what each handler
// does. Do not change the tests.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A future on the heap, the same type for every handler.
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

trait Handler {
    /// Answers one request.
    fn handle(&self, request: u32) -> BoxFuture<'_, u32>;
}

/// Answers twice the request.
struct Double;

impl Handler for Double {
    fn handle(&self, request: u32) -> BoxFuture<'_, u32> {
        Box::pin(async move { request * 2 })
    }
}

/// Waits `delay`, then answers the request plus `add`.
struct SlowAdd {
    add: u32,
    delay: Duration,
}

impl Handler for SlowAdd {
    fn handle(&self, request: u32) -> BoxFuture<'_, u32> {
        let delay = tokio::time::sleep(self.delay);
        Box::pin(async move {
            delay.await;
            request + self.add
        })
    }
}

/// Echoes the request and counts the requests it has served (a future that is dropped before
/// it runs has served nothing).
#[derive(Default)]
struct Counted {
    served: AtomicUsize,
}

impl Handler for Counted {
    fn handle(&self, request: u32) -> BoxFuture<'_, u32> {
        Box::pin(async move {
            self.served.fetch_add(1, Ordering::SeqCst);
            request
        })
    }
}

/// Handlers of any type, run one after another.
#[derive(Default)]
struct Router {
    handlers: Vec<Box<dyn Handler + Send + Sync>>,
}

impl Router {
    fn add(&mut self, handler: impl Handler + Send + Sync + 'static) {
        self.handlers.push(Box::new(handler));
    }

    /// Every handler's answer to `request`, in the order they were added.
    async fn run_all(&self, request: u32) -> Vec<u32> {
        let mut answers = Vec::new();
        for handler in &self.handlers {
            answers.push(handler.handle(request).await);
        }
        answers
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    const DELAY: Duration = Duration::from_millis(20);

    #[tokio::test(start_paused = true)]
    async fn counting_when_called_instead_of_when_run_is_rejected() {
        let counted = Counted::default();
        let dropped = counted.handle(1);
        drop(dropped);
        assert_eq!(
            counted.served.load(Ordering::SeqCst),
            0,
            "a future dropped before it ran served nothing: count inside the async block"
        );
        assert_eq!(counted.handle(7).await, 7);
        assert_eq!(counted.served.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn delay_started_when_called_is_rejected() {
        let slow = SlowAdd {
            add: 3,
            delay: DELAY,
        };
        let answer = slow.handle(1);
        tokio::time::sleep(DELAY * 2).await;
        let start = Instant::now();
        assert_eq!(answer.await, 4);
        assert_eq!(
            start.elapsed(),
            DELAY,
            "the delay starts when the future first runs, not when handle is called: create the sleep inside the async block"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn slow_handler_answering_at_once_is_rejected() {
        let slow = SlowAdd {
            add: 3,
            delay: DELAY,
        };
        let start = Instant::now();
        assert_eq!(slow.handle(10).await, 13);
        assert_eq!(
            start.elapsed(),
            DELAY,
            "SlowAdd waits its delay before answering"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn wrong_answer_from_a_boxed_handler_is_rejected() {
        let mut router = Router::default();
        router.add(Double);
        router.add(SlowAdd {
            add: 1,
            delay: DELAY,
        });
        router.add(Counted::default());
        let start = Instant::now();
        assert_eq!(router.run_all(5).await, [10, 6, 5]);
        assert_eq!(router.run_all(0).await, [0, 1, 0]);
        assert_eq!(start.elapsed(), DELAY * 2);
    }
}
