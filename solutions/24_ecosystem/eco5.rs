// eco5: wait for every request at shutdown, with a TaskTracker
//
// In shutdown2 you counted requests in flight by hand (an atomic, a guard, a `Notify`), and in
// shutdown3 a `JoinSet` waited for a group of tasks. `tokio_util::task::TaskTracker` is the
// crate's version of the first: `tracker.spawn(fut)` spawns a task and counts it until it
// exits; `tracker.wait().await` finishes when the tracker is *closed* and empty. Closing is
// the step that gets forgotten: an open tracker is never done waiting, even with nothing in it,
// because more tasks might still come. `close()` does not stop new spawns; it only lets `wait`
// finish. Unlike a `JoinSet`, a tracker keeps no results, so a long-running server does not
// pile up the outputs of finished tasks, and dropping it aborts nothing.
//
// Write `handle` (run the request as a tracked task) and `shutdown`: let the requests in flight
// finish for up to `grace`; if some are still running then, cancel them through `stop` and wait
// until they have all stopped. Return whether everything finished within the grace period.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Debug, PartialEq)]
enum Outcome {
    Done,
    Cancelled,
}

type Log = Arc<Mutex<Vec<(u32, Outcome)>>>;

/// Serves request `id`, which takes `cost`, unless `stop` is cancelled first. Logs the outcome.
async fn serve(id: u32, cost: Duration, stop: CancellationToken, log: Log) {
    let outcome = tokio::select! {
        _ = tokio::time::sleep(cost) => Outcome::Done,
        _ = stop.cancelled() => Outcome::Cancelled,
    };
    log.lock().unwrap().push((id, outcome));
}

struct Server {
    tracker: TaskTracker,
    stop: CancellationToken,
    log: Log,
}

impl Server {
    fn new() -> Self {
        Server {
            tracker: TaskTracker::new(),
            stop: CancellationToken::new(),
            log: Log::default(),
        }
    }

    /// Starts serving request `id` in a task of its own, and returns at once.
    fn handle(&self, id: u32, cost: Duration) {
        let stop = self.stop.clone();
        let log = Arc::clone(&self.log);
        self.tracker.spawn(serve(id, cost, stop, log));
    }

    /// Waits for the requests in flight, cancelling them after `grace`. `true` when all of them
    /// finished within `grace`.
    async fn shutdown(&self, grace: Duration) -> bool {
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
        {
            return true;
        }
        self.stop.cancel();
        self.tracker.wait().await;
        false
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::Future;
    use tokio::time::{Instant, timeout};

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

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Shuts `server` down with `grace`; fails the test if that never finishes.
    async fn shut(server: &Server, grace: Duration) -> (bool, Duration) {
        let start = Instant::now();
        match timeout(Duration::from_secs(60), server.shutdown(grace)).await {
            Ok(in_time) => (in_time, start.elapsed()),
            Err(_) => panic!(
                "shutdown never finished: TaskTracker::wait returns only once the tracker is closed (close()) and empty"
            ),
        }
    }

    fn log(server: &Server) -> Vec<(u32, Outcome)> {
        std::mem::take(&mut *server.log.lock().unwrap())
    }

    #[test]
    fn wait_without_close_is_rejected() {
        paused(|| async {
            let server = Server::new();
            server.handle(1, ms(10));
            assert_eq!(shut(&server, ms(100)).await, (true, ms(10)));
        });
    }

    #[test]
    fn request_not_tracked_is_rejected() {
        paused(|| async {
            let server = Server::new();
            server.handle(1, ms(30));
            server.handle(2, ms(20));
            let (in_time, _) = shut(&server, ms(100)).await;
            assert_eq!(
                log(&server),
                vec![(2, Outcome::Done), (1, Outcome::Done)],
                "shutdown returned before the requests were done: spawn them with the tracker, or it cannot wait for them"
            );
            assert!(in_time);
        });
    }

    #[test]
    fn cancelling_before_the_grace_period_is_rejected() {
        paused(|| async {
            let server = Server::new();
            server.handle(1, ms(30));
            server.handle(2, ms(500));
            let (in_time, _) = shut(&server, ms(100)).await;
            assert_eq!(
                log(&server),
                vec![(1, Outcome::Done), (2, Outcome::Cancelled)],
                "a request that finishes within the grace period must be left to finish; only what is still running after it is cancelled"
            );
            assert!(!in_time, "request 2 did not finish within the grace period");
        });
    }

    #[test]
    fn waiting_past_the_grace_period_is_rejected() {
        paused(|| async {
            let server = Server::new();
            server.handle(1, ms(500));
            let (in_time, took) = shut(&server, ms(100)).await;
            assert_eq!(
                (in_time, took),
                (false, ms(100)),
                "after the grace period, cancel what is left through `stop` instead of waiting for it"
            );
            assert_eq!(log(&server), vec![(1, Outcome::Cancelled)]);
        });
    }

    #[test]
    fn nothing_in_flight_shuts_down_at_once() {
        paused(|| async {
            let server = Server::new();
            assert_eq!(shut(&server, ms(100)).await, (true, Duration::ZERO));
        });
    }
}
