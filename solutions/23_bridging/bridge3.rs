// bridge3: no `block_on` inside async code
//
// `Handle::block_on` (and `Runtime::block_on`) block the current thread until a future is done.
// Called from a plain thread, that is the bridge of bridge2. Called from code that is already
// running on the runtime, it is a deadlock in the making: the thread it blocks is the one that
// should be driving the future. Tokio refuses and panics with "Cannot start a runtime from
// within a runtime". Wrapping it in `block_in_place` only moves the problem (it panics on a
// `current_thread` runtime and ties up a worker on the others).
//
// The fix is to stay async all the way: a function that needs the result of a future becomes
// `async` itself and `.await`s it. The body of an ordinary closure `|name| ...` is not async, so
// it cannot `.await`. An async closure `async |name| ...` (stable since Rust 1.85) can, but then
// `Iterator::map` produces futures, not sizes, and something must still await each of them: here
// the plain answer is a `for` loop that awaits one name at a time.
//
// Fix `total_size` so it no longer needs `size_of_blocking`, then delete that helper. Do not
// change the tests.

use std::time::Duration;

/// Asks a (slow) remote service for the size of `name`.
async fn fetch_size(name: &str) -> u64 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    name.len() as u64 * 100
}

/// The total size of every named item.
async fn total_size(names: &[&str]) -> u64 {
    let mut total = 0;
    for name in names {
        total += fetch_size(name).await;
    }
    total
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn block_on_inside_the_runtime_is_rejected() {
        assert_eq!(total_size(&["a", "bb", "ccc"]).await, 600);
        assert_eq!(total_size(&[]).await, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn blocking_the_runtime_thread_while_waiting_is_rejected() {
        let ticks = Arc::new(AtomicU32::new(0));
        let ticker = tokio::spawn({
            let ticks = ticks.clone();
            async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        // Three fetches of 10 ms each: while total_size waits, the ticker must keep ticking.
        let total = total_size(&["x", "y", "z"]).await;
        ticker.abort();
        assert_eq!(total, 300);
        let ticked = ticks.load(Ordering::SeqCst);
        assert!(
            ticked >= 25,
            "the ticker ticked {ticked} times during 30 ms of fetching: total_size blocked the \
             runtime thread instead of awaiting"
        );
    }
}
