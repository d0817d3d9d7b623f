// wrong answer: accepted is counted before send() has accepted the job, so a waiting producer already counts one job too many; producer_running_ahead_of_capacity_is_rejected.
// backpressure1: a bounded queue that makes a fast producer wait
//
// `produce` sends jobs to a consumer that is slower than it. With an unbounded queue the producer
// never waits: the backlog (and the memory behind it) grows for as long as the producer is faster.
// A bounded queue pushes back instead: once `capacity` jobs are queued, `send(..).await` waits
// until the consumer takes one, so the producer runs at the consumer's pace.
//
// Fill in `queue` and `produce`. Do not change the tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::mpsc;

/// A job is just its sequence number here.
type Job = u32;

/// Builds the queue between producer and consumer; at most `capacity` jobs wait in it.
fn queue(capacity: usize) -> (mpsc::Sender<Job>, mpsc::Receiver<Job>) {
    mpsc::channel(capacity)
}

/// Sends jobs `0..count` in order. After the queue has accepted a job (and not before), add one
/// to `accepted`. Every job must arrive: none may be dropped because the queue was full.
async fn produce(tx: mpsc::Sender<Job>, count: u32, accepted: Arc<AtomicU32>) {
    for job in 0..count {
        // `send` waits while the queue is full; an error means the consumer is gone.
        accepted.fetch_add(1, Ordering::SeqCst);
        if tx.send(job).await.is_err() {
            return;
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const STUCK: &str = "a test did not finish within a second of real time: some task is spinning (a loop that never waits), which also freezes tokio's paused clock";

    // Runs a test body on a current_thread runtime with paused time, in a thread of its own, and
    // fails the test if the body has not finished after one second of real time. The paused
    // clock only moves while every task waits, so a task that never stops running freezes it
    // and no `timeout` inside the body could fire: this real-time limit catches that case.
    fn paused<Fut: std::future::Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        let (finished, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime");
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(body())));
            let _ = finished.send(result);
        });
        match outcome.recv_timeout(std::time::Duration::from_secs(1)) {
            Ok(Ok(())) => {}
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => {
                // The stuck thread cannot be stopped and would starve the other tests: end the
                // whole test run now, with the reason written straight to stderr (not captured).
                let test = std::thread::current()
                    .name()
                    .unwrap_or("a test")
                    .to_string();
                let mut stderr = std::io::stderr();
                let _ = std::io::Write::write_all(
                    &mut stderr,
                    format!(
                        "
test {test} FAILED: {STUCK}
"
                    )
                    .as_bytes(),
                );
                std::process::exit(101);
            }
        }
    }

    fn start(capacity: usize, count: u32) -> (mpsc::Receiver<Job>, Arc<AtomicU32>) {
        let (tx, rx) = queue(capacity);
        let accepted = Arc::new(AtomicU32::new(0));
        tokio::spawn(produce(tx, count, accepted.clone()));
        (rx, accepted)
    }

    // Lets the producer run until it can make no more progress.
    async fn settle() {
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
    }

    #[test]
    fn producer_running_ahead_of_capacity_is_rejected() {
        paused(|| async {
            let (_rx, accepted) = start(4, 100);
            settle().await;
            let n = accepted.load(Ordering::SeqCst);
            assert_eq!(
                n, 4,
                "with nobody consuming, the producer got {n} jobs accepted; a queue of capacity 4 \
                 must hold it at 4 (is the queue bounded, with exactly `capacity`?)"
            );
        });
    }

    #[test]
    fn a_task_per_send_is_rejected() {
        paused(|| async {
            let (_rx, accepted) = start(4, 100);
            settle().await;
            let tasks = tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks();
            assert!(
                tasks <= 1,
                "{tasks} tasks are alive with a full queue: the producer must wait in `send` \
                 itself; a task per send hides the backlog in waiting tasks instead of pushing \
                 back (accepted: {})",
                accepted.load(Ordering::SeqCst)
            );
        });
    }

    #[test]
    fn dropping_jobs_when_full_is_rejected() {
        paused(|| async {
            let (mut rx, _accepted) = start(2, 20);
            let mut got = Vec::new();
            while let Ok(Some(job)) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await
            {
                got.push(job);
                // A slow consumer: let the producer fill the queue before taking the next job.
                settle().await;
            }
            let want: Vec<Job> = (0..20).collect();
            assert_eq!(
                got, want,
                "every job must arrive in order; a full queue means wait, not drop"
            );
        });
    }

    #[test]
    fn producer_not_resuming_as_slots_free_is_rejected() {
        paused(|| async {
            let (mut rx, accepted) = start(3, 10);
            settle().await;
            // Free one slot at a time: each time, the waiting producer must get exactly one more in.
            for step in 1..=7 {
                let job = tokio::time::timeout(Duration::from_secs(1), rx.recv())
                    .await
                    .expect("the consumer waited for a job that never came")
                    .expect("the producer hung up early");
                assert_eq!(job, step - 1);
                settle().await;
                assert_eq!(
                    accepted.load(Ordering::SeqCst),
                    3 + step,
                    "after the consumer took {step} job(s) the waiting producer must have been \
                     woken and got exactly one more job in per free slot"
                );
            }
        });
    }
}
