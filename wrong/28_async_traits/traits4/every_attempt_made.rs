// wrong answer: the loop runs `times` attempts whatever they return and keeps the last result, so it retries after a success; retrying_after_success_is_rejected.
// traits4: retry with an async closure
//
// `retry` calls an async operation until it succeeds, at most `times` times, pausing `PAUSE`
// between two attempts (not before the first, not after the last), and returns the last result.
//
// The old way to take "an async operation" is a closure returning a future:
// `F: FnMut() -> Fut, Fut: Future<Output = ...>`. Its weakness shows as soon as the operation
// updates something it captured, such as a count of attempts: each call returns a future that
// must not borrow from the closure, so `|| async { tries += 1; ... }` is refused ("captured
// variable cannot escape `FnMut` closure body"), and an `async || { ... }` closure that does this
// does not implement `FnMut` at all.
//
// Async closures (stable since Rust 1.85) come with their own traits, `AsyncFn`, `AsyncFnMut`
// and `AsyncFnOnce`, whose futures may borrow from the closure's captured state. A caller writes
// `retry(3, async || { tries += 1; ... })`.
//
// Give `retry` an `AsyncFnMut` parameter and write its loop. Do not change the tests.

use std::time::Duration;

/// The pause between two attempts.
const PAUSE: Duration = Duration::from_millis(100);

/// Runs `attempt` until it returns `Ok`, at most `times` times in all (`times` is at least 1),
/// sleeping `PAUSE` between two attempts. Returns the first `Ok`, or the last `Err`.
async fn retry<T, E>(times: u32, mut attempt: impl AsyncFnMut() -> Result<T, E>) -> Result<T, E> {
    let mut last = attempt().await;
    for _ in 1..times {
        tokio::time::sleep(PAUSE).await;
        last = attempt().await;
    }
    last
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    /// A service that is busy for its first `busy_for` requests, and takes 10 ms per request.
    struct Service {
        busy_for: u32,
    }

    impl Service {
        async fn request(&self, number: u32) -> Result<&'static str, String> {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if number <= self.busy_for {
                Err(format!("busy (request {number})"))
            } else {
                Ok("done")
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retrying_after_success_is_rejected() {
        let service = Service { busy_for: 1 };
        let mut tries = 0;
        let result = retry(5, async || {
            tries += 1;
            service.request(tries).await
        })
        .await;
        assert_eq!(result, Ok("done"));
        assert_eq!(tries, 2, "the second attempt succeeded: stop there");
    }

    #[tokio::test(start_paused = true)]
    async fn wrong_attempt_count_or_first_error_is_rejected() {
        let service = Service { busy_for: 100 };
        let mut tries = 0;
        let result = retry(3, async || {
            tries += 1;
            service.request(tries).await
        })
        .await;
        assert_eq!(tries, 3, "retry(3, ..) makes exactly three attempts");
        assert_eq!(
            result,
            Err("busy (request 3)".to_string()),
            "when every attempt fails, return the last error"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn success_on_the_last_attempt_missed_is_rejected() {
        let service = Service { busy_for: 2 };
        let mut tries = 0;
        let result = retry(3, async || {
            tries += 1;
            service.request(tries).await
        })
        .await;
        assert_eq!(
            (result, tries),
            (Ok("done"), 3),
            "the third of three attempts succeeded: its Ok is the answer"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn pausing_before_the_first_or_after_the_last_attempt_is_rejected() {
        let service = Service { busy_for: 100 };
        let mut tries = 0;
        let start = Instant::now();
        let _ = retry(4, async || {
            tries += 1;
            service.request(tries).await
        })
        .await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(4 * 10) + PAUSE * 3,
            "four attempts of 10 ms each with a PAUSE between two of them: three pauses"
        );

        let start = Instant::now();
        assert_eq!(retry(4, async || Ok::<_, ()>(7)).await, Ok(7));
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "a first attempt that succeeds is not preceded by a pause"
        );
    }
}
