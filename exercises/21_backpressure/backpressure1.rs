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
    // TODO: a bounded tokio mpsc channel holding `capacity` jobs.
    todo!()
}

/// Sends jobs `0..count` in order. After the queue has accepted a job (and not before), add one
/// to `accepted`. Every job must arrive: none may be dropped because the queue was full.
async fn produce(tx: mpsc::Sender<Job>, count: u32, accepted: Arc<AtomicU32>) {
    // TODO: send each job, waiting while the queue is full; stop if the consumer is gone.
    todo!()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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

    #[tokio::test]
    async fn producer_running_ahead_of_capacity_is_rejected() {
        let (_rx, accepted) = start(4, 100);
        settle().await;
        let n = accepted.load(Ordering::SeqCst);
        assert_eq!(
            n, 4,
            "with nobody consuming, the producer got {n} jobs accepted; a queue of capacity 4 \
             must hold it at 4 (is the queue bounded, with exactly `capacity`?)"
        );
    }

    #[tokio::test]
    async fn dropping_jobs_when_full_is_rejected() {
        let (mut rx, _accepted) = start(2, 20);
        let mut got = Vec::new();
        while let Ok(Some(job)) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
            got.push(job);
            // A slow consumer: let the producer fill the queue before taking the next job.
            settle().await;
        }
        let want: Vec<Job> = (0..20).collect();
        assert_eq!(
            got, want,
            "every job must arrive in order; a full queue means wait, not drop"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn producer_not_resuming_as_slots_free_is_rejected() {
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
    }
}
