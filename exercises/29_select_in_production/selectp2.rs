// selectp2: a worker loop with a shutdown that always wins, and branches that switch off
//
// Three `select!` tools a production loop needs:
// - `biased;` as the first line polls the branches from top to bottom instead of in a random
//   order. Put the shutdown branch first and it wins every turn in which it is ready, even when
//   a job is ready too. (Without it, each turn is a coin toss.)
// - `, if condition` after a branch's future disables the branch for that turn: its future is
//   not polled. A oneshot receiver that has already finished must never be polled again (it
//   panics), so remember that it finished and switch its branch off.
// - `else =>` runs when every branch is disabled, by its precondition or because its pattern
//   did not match (`Some(job)` against `None`). Without an `else`, that case panics.
//
// Write `worker` as described. Do not change the tests.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

const JOB: Duration = Duration::from_millis(10);

#[derive(Debug, PartialEq, Eq)]
enum Stop {
    /// The shutdown signal arrived.
    Shutdown,
    /// The job channel closed and no shutdown can come any more.
    Drained,
}

/// Runs jobs until told to stop and returns why it stopped and the jobs it finished, in order.
/// Each turn, a shutdown signal that is ready wins over a job that is ready. A job takes `JOB`
/// (sleep for it), then is pushed to the list. If the shutdown sender is dropped without sending,
/// that is not a shutdown: the worker goes on without that branch and stops with `Drained` when
/// the job channel is closed and empty.
async fn worker(
    mut jobs: mpsc::Receiver<u32>,
    mut shutdown: oneshot::Receiver<()>,
) -> (Stop, Vec<u32>) {
    // TODO: loop { tokio::select! { `biased;` the shutdown branch first, switched off with
    //   `, if` once it has finished (Ok: return Shutdown; Err: the sender is gone, go on), then
    //   `Some(job) = jobs.recv()` (sleep JOB, record the job), then `else =>` return Drained } }
    todo!()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;

    const STUCK: &str = "a test did not finish within a second of real time: the worker is spinning (a finished branch that is ready again every turn?), which also freezes tokio's paused clock";

    /// Runs `body` on a current_thread runtime with paused time, failing the test if it is still
    /// running after a second of real time.
    fn paused<Fut: std::future::Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(Duration::from_secs(1), STUCK, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        });
    }

    #[test]
    fn shutdown_not_winning_over_ready_jobs_is_rejected() {
        paused(|| async {
            // 20 rounds: a random branch order lets a job through first in about half of them,
            // so an unbiased select! passes all 20 with a chance of one in a million.
            for round in 0..20 {
                let (jobs_tx, jobs) = mpsc::channel(8);
                for job in 1..=5 {
                    jobs_tx.send(job).await.unwrap();
                }
                let (stop, shutdown) = oneshot::channel();
                stop.send(()).unwrap();
                let (why, done) = worker(jobs, shutdown).await;
                assert_eq!(
                    (why, done),
                    (Stop::Shutdown, vec![]),
                    "round {round}: jobs and the shutdown were both ready; the shutdown must win \
                     before any job runs (`biased;` with the shutdown branch first)"
                );
            }
        });
    }

    #[test]
    fn shutdown_mid_stream_not_stopping_at_once_is_rejected() {
        paused(|| async {
            let (jobs_tx, jobs) = mpsc::channel(8);
            for job in 1..=5 {
                jobs_tx.send(job).await.unwrap();
            }
            let (stop, shutdown) = oneshot::channel();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(25)).await;
                let _ = stop.send(());
            });
            let (why, done) = worker(jobs, shutdown).await;
            assert_eq!(
                (why, done),
                (Stop::Shutdown, vec![1, 2, 3]),
                "the shutdown came at 25 ms, during job 3: job 3 finishes, then the shutdown \
                 must win over jobs 4 and 5"
            );
        });
    }

    #[test]
    fn dropped_shutdown_sender_taken_as_shutdown_is_rejected() {
        paused(|| async {
            let (jobs_tx, jobs) = mpsc::channel(8);
            let (stop, shutdown) = oneshot::channel::<()>();
            drop(stop);
            tokio::spawn(async move {
                for job in 1..=3 {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    jobs_tx.send(job).await.unwrap();
                }
            });
            let (why, done) = worker(jobs, shutdown).await;
            assert_eq!(
                (why, done),
                (Stop::Drained, vec![1, 2, 3]),
                "the shutdown sender was dropped without sending: that is no shutdown; run every \
                 job and stop when the job channel closes (a finished oneshot must not be polled \
                 again, so switch its branch off with `, if`)"
            );
        });
    }

    #[test]
    fn missing_else_when_everything_is_closed_is_rejected() {
        paused(|| async {
            let (jobs_tx, jobs) = mpsc::channel::<u32>(8);
            drop(jobs_tx);
            let (stop, shutdown) = oneshot::channel::<()>();
            drop(stop);
            let (why, done) = worker(jobs, shutdown).await;
            assert_eq!(
                (why, done),
                (Stop::Drained, vec![]),
                "both channels closed: every branch is disabled, and `else =>` must return Drained"
            );
        });
    }
}
