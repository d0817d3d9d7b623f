// wrong answer: the "before" count is read after the scenario has run, so the tasks it left are in both counts and cancel out; caught by tasks_still_alive_after_the_grace_not_counted_is_rejected
// seeing3: a leak check that reads the runtime's own count of tasks
//
// tokio counts the tasks that are alive on a runtime: `Handle::current().metrics()` gives a
// `RuntimeMetrics`, and `num_alive_tasks()` goes up when a task is spawned and down when it
// ends. That makes a leak check for a piece of code: count before, run it, count after.
//
// Two things make the "after" honest. Code often spawns tasks it does not wait for (a log
// flush, a reply sent in the background) that end a moment later: wait a grace period before
// counting, with the runtime's timer, so that those tasks can run and end meanwhile. And
// count the difference: the runtime may have been running other tasks before the check began.
//
// Write `leaked_tasks`. Do not change the tests.

use std::future::Future;
use std::time::Duration;

/// Runs `scenario`, waits `grace`, and returns how many more tasks are alive on the current
/// runtime than before the scenario began.
async fn leaked_tasks(scenario: impl Future<Output = ()>, grace: Duration) -> usize {
    let metrics = tokio::runtime::Handle::current().metrics();
    scenario.await;
    let before = metrics.num_alive_tasks();

    // A sleep gives the thread back to the runtime, which runs the detached tasks meanwhile.
    tokio::time::sleep(grace).await;
    metrics.num_alive_tasks().saturating_sub(before)
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::pending;

    const GRACE: Duration = Duration::from_millis(20);

    /// Runs `body` on a current_thread runtime with paused time, failing the test if it is still
    /// running after a second of real time.
    fn paused<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(
            Duration::from_secs(1),
            "a test did not finish within a second of real time",
            || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .start_paused(true)
                    .build()
                    .expect("failed to build the test runtime")
                    .block_on(body())
            },
        );
    }

    /// Spawns `n` tasks that never end.
    async fn leak(n: usize) {
        for _ in 0..n {
            tokio::spawn(pending::<()>());
        }
    }

    #[test]
    fn detached_tasks_counted_before_they_finished_is_rejected() {
        paused(|| async {
            let scenario = async {
                // Three replies sent in the background: each ends 10 ms later.
                for _ in 0..3 {
                    tokio::spawn(tokio::time::sleep(Duration::from_millis(10)));
                }
            };
            assert_eq!(
                leaked_tasks(scenario, GRACE).await,
                0,
                "the three detached tasks end 10 ms after the scenario, within the 20 ms grace: \
                 wait the grace with the runtime's timer (a `std::thread::sleep` holds the thread, \
                 so they cannot run meanwhile) and only then count"
            );
        });
    }

    #[test]
    fn tasks_still_alive_after_the_grace_not_counted_is_rejected() {
        paused(|| async {
            assert_eq!(
                leaked_tasks(leak(2), GRACE).await,
                2,
                "the scenario left two tasks that never end: count the alive tasks before the \
                 scenario and after the grace, and return the difference"
            );
        });
    }

    #[test]
    fn tasks_from_before_the_check_counted_is_rejected() {
        paused(|| async {
            leak(4).await;
            let scenario = async {
                tokio::spawn(async {}).await.unwrap();
            };
            assert_eq!(
                leaked_tasks(scenario, GRACE).await,
                0,
                "four tasks were alive before the check began and the scenario left none: count \
                 the difference, not everything alive"
            );
        });
    }
}
