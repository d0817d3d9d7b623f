// traits5: checks that borrow their argument, all running at once: AsyncFn
//
// A sign-up service validates a list of user names against slow checks (a profanity service, a
// database lookup). `passing` runs the given check on every name *at the same time* and returns
// the names that passed, in the order they were given.
//
// The old signature, `F: Fn(&str) -> Fut, Fut: Future<Output = bool>`, cannot take the checks
// the tests pass: `async |name: &str| { ...name... }`. Its future borrows `name`, so each call
// returns a future tied to that call's `&str`, while `Fut` is a single type that cannot depend
// on the argument's lifetime. `AsyncFn(&str) -> bool` can: its call `async_call(&self, args)`
// returns a future that may borrow the argument and the closure itself.
//
// `AsyncFn` borrows the closure shared, so the futures of several calls can be alive at the
// same time, which is what running the checks together needs. `AsyncFnMut` (traits4) borrows it
// mutably, one call at a time, and `AsyncFnOnce` may be called only once.
//
// Give `passing` an `AsyncFn` parameter, then start every check and wait for all of them
// (`futures::future::join_all`). Remember that a future does nothing until it is polled.

use futures::future::join_all;

/// The names for which `check` returned `true`, in the order of `names`. Every check runs at
/// the same time.
async fn passing<'a>(names: &'a [String], check: impl AsyncFn(&str) -> bool) -> Vec<&'a str> {
    let verdicts = join_all(names.iter().map(|name| check(name))).await;
    names
        .iter()
        .zip(verdicts)
        .filter(|(_, passed)| *passed)
        .map(|(name, _)| name.as_str())
        .collect()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::collections::HashSet;
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::time::{Instant, sleep};

    const STUCK: &str = "a test did not finish within a second of real time: something is spinning (a loop that never waits), which also freezes tokio's paused clock";

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

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn checks_run_one_after_another_is_rejected() {
        paused(|| async {
            let names = names(&["ada", "bob", "al", "cy"]);
            let start = Instant::now();
            let passed = passing(&names, async |name: &str| {
                sleep(Duration::from_millis(10)).await;
                name.starts_with('a')
            })
            .await;
            assert_eq!(passed, vec!["ada", "al"]);
            assert_eq!(
                start.elapsed(),
                Duration::from_millis(10),
                "four 10 ms checks took {:?}: run them all at once (a future created but not polled has not started)",
                start.elapsed()
            );
        });
    }

    #[test]
    fn names_in_finishing_order_is_rejected() {
        paused(|| async {
            let names = names(&["zed", "amy", "kim", "bo"]);
            // The longer the name, the slower its check: "bo" finishes first.
            let passed = passing(&names, async |name: &str| {
                sleep(Duration::from_millis(10 * name.len() as u64)).await;
                true
            })
            .await;
            assert_eq!(
                passed,
                vec!["zed", "amy", "kim", "bo"],
                "the names must come back in the order they were given, not in the order their checks finished"
            );
        });
    }

    #[test]
    fn check_borrowing_captured_state_is_called_once_per_name() {
        paused(|| async {
            let names = names(&["root", "eve", "admin", "joe"]);
            let taken: HashSet<&str> = ["root", "admin"].into_iter().collect();
            let calls = AtomicUsize::new(0);
            let passed = passing(&names, async |name: &str| {
                calls.fetch_add(1, Ordering::SeqCst);
                sleep(Duration::from_millis(5)).await;
                !taken.contains(name)
            })
            .await;
            assert_eq!(passed, vec!["eve", "joe"]);
            assert_eq!(calls.load(Ordering::SeqCst), 4, "one check per name");
        });
    }

    #[test]
    fn no_names_pass_nothing() {
        paused(|| async {
            let passed = passing(&[], async |_: &str| true).await;
            assert!(passed.is_empty());
        });
    }
}
