// wrong answer: progress is stamped with `std::time::Instant::now()`, which paused tokio time does not move, so no task looks quiet after a second of paused time; caught by progress_read_from_the_wall_clock_is_rejected
// seeing4: a report of the tasks that stopped making progress
//
// A service that "hangs" rarely hangs everywhere: one task waits for a reply that will never
// come while the rest carry on. To find it, each long-lived task registers under a name and
// marks its progress as it goes (a message handled, a tick done); a report lists the tasks
// whose last mark is older than some limit. A task that ends unregisters (its `Progress` is
// dropped), so only live tasks can be reported.
//
// Read time from the runtime's clock (`tokio::time::Instant::now()`): with paused time, as in
// these tests, that clock jumps ahead whenever every task waits on a timer, while
// `std::time::Instant::now()` moves only by the few real milliseconds the test takes.
//
// Write `register`, `Progress::mark`, `Drop for Progress` and `stuck`. Do not change the tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Entry {
    name: String,
    /// When the task last marked progress (or registered).
    last: Instant,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    tasks: HashMap<u64, Entry>,
}

/// The live tasks and when each last made progress.
#[derive(Clone, Default)]
struct Tracker {
    table: Arc<Mutex<Table>>,
}

/// A task's registration: `mark` records progress, dropping it unregisters the task.
struct Progress {
    id: u64,
    table: Arc<Mutex<Table>>,
}

fn now() -> Instant {
    Instant::now()
}

impl Tracker {
    /// Registers a task under `name` (names need not be unique), as having made progress now.
    fn register(&self, name: &str) -> Progress {
        let mut table = self.table.lock().unwrap();
        table.next_id += 1;
        let id = table.next_id;
        let entry = Entry {
            name: name.to_string(),
            last: now(),
        };
        table.tasks.insert(id, entry);
        Progress {
            id,
            table: Arc::clone(&self.table),
        }
    }

    /// The names of the live tasks whose last progress is `quiet_for` or longer ago, the longest
    /// silent first (equal silences in the order the tasks registered).
    fn stuck(&self, quiet_for: Duration) -> Vec<String> {
        let table = self.table.lock().unwrap();
        let now = now();
        let mut stuck: Vec<(Instant, u64, &str)> = table
            .tasks
            .iter()
            .filter(|(_, e)| now.duration_since(e.last) >= quiet_for)
            .map(|(id, e)| (e.last, *id, e.name.as_str()))
            .collect();
        stuck.sort();
        stuck
            .into_iter()
            .map(|(_, _, name)| name.to_string())
            .collect()
    }
}

impl Progress {
    /// Records that the task made progress now.
    fn mark(&self) {
        if let Some(entry) = self.table.lock().unwrap().tasks.get_mut(&self.id) {
            entry.last = now();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.table.lock().unwrap().tasks.remove(&self.id);
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::{Future, pending};
    use tokio::time::sleep;

    const MS: Duration = Duration::from_millis(1);

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

    /// A task that marks progress every 10 ms, for ever.
    fn ticker(tracker: &Tracker, name: &str) {
        let progress = tracker.register(name);
        tokio::spawn(async move {
            loop {
                sleep(10 * MS).await;
                progress.mark();
            }
        });
    }

    /// A task that registers and then waits for ever.
    fn waiter(tracker: &Tracker, name: &str) {
        let progress = tracker.register(name);
        tokio::spawn(async move {
            let _progress = progress;
            pending::<()>().await;
        });
    }

    #[test]
    fn progress_read_from_the_wall_clock_is_rejected() {
        paused(|| async {
            let tracker = Tracker::default();
            ticker(&tracker, "ticker");
            waiter(&tracker, "waiter");
            sleep(1000 * MS).await;
            assert_eq!(
                tracker.stuck(500 * MS),
                vec!["waiter"],
                "after a second `waiter` had made no progress and `ticker` had marked every 10 ms: \
                 read the time from the runtime's clock (`tokio::time::Instant::now()`), the one \
                 paused time moves"
            );
        });
    }

    #[test]
    fn finished_task_reported_as_stuck_is_rejected() {
        paused(|| async {
            let tracker = Tracker::default();
            let progress = tracker.register("job");
            tokio::spawn(async move {
                sleep(10 * MS).await;
                drop(progress);
            })
            .await
            .unwrap();
            sleep(1000 * MS).await;
            assert_eq!(
                tracker.stuck(500 * MS),
                Vec::<String>::new(),
                "`job` ended after 10 ms: a task that ended is not stuck (remove it from the table \
                 when its `Progress` is dropped)"
            );
        });
    }

    #[test]
    fn registrations_mixed_up_is_rejected() {
        paused(|| async {
            let tracker = Tracker::default();
            let done = tracker.register("worker");
            waiter(&tracker, "worker");
            drop(done);
            ticker(&tracker, "worker");
            sleep(1000 * MS).await;
            assert_eq!(
                tracker.stuck(500 * MS),
                vec!["worker"],
                "three tasks named `worker`: one ended, one waits, one ticks. Exactly one is \
                 stuck: give every registration an id of its own, never one in use or used \
                 before, whatever its name"
            );
        });
    }

    #[test]
    fn report_not_longest_silent_first_is_rejected() {
        paused(|| async {
            let tracker = Tracker::default();
            waiter(&tracker, "zeta");
            sleep(100 * MS).await;
            waiter(&tracker, "alpha");
            sleep(100 * MS).await;
            waiter(&tracker, "mid");
            sleep(1000 * MS).await;
            assert_eq!(
                tracker.stuck(500 * MS),
                vec!["zeta", "alpha", "mid"],
                "list the longest silent first: `zeta` has been quiet 1.2 s, `alpha` 1.1 s, `mid` \
                 1 s"
            );
        });
    }
}
