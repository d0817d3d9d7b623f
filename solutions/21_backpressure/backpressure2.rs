// backpressure2: shed load with `try_send` (drop the newest)
//
// Waiting is not always the right push-back. A server that must answer at once (a metrics
// collector, a request front door) would rather refuse work than queue it without end. `offer`
// never waits: when the queue is full the new job is refused and handed back (the queued ones
// stay, so this policy is "drop newest"), and the refusal is counted. A queue whose receiver is
// gone is a different outcome: that is not load, and it is not counted as shed.
//
// Implement `Shedder::offer` with `Sender::try_send`. Do not change the tests.

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

type Job = u32;

/// What happened to an offered job.
#[derive(Debug, PartialEq, Eq)]
enum Offer {
    /// The job is in the queue.
    Queued,
    /// The queue was full: the job was refused and is handed back.
    Shed(Job),
    /// The receiver is gone: the job is handed back.
    Closed(Job),
}

struct Shedder {
    tx: mpsc::Sender<Job>,
    /// How many jobs were refused because the queue was full.
    shed: u64,
}

impl Shedder {
    fn new(tx: mpsc::Sender<Job>) -> Self {
        Shedder { tx, shed: 0 }
    }

    /// Offers a job without ever waiting.
    fn offer(&mut self, job: Job) -> Offer {
        match self.tx.try_send(job) {
            Ok(()) => Offer::Queued,
            Err(TrySendError::Full(job)) => {
                self.shed += 1;
                Offer::Shed(job)
            }
            Err(TrySendError::Closed(job)) => Offer::Closed(job),
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn blocking_or_queueing_past_capacity_is_rejected() {
        paused(|| async {
            let (tx, mut rx) = mpsc::channel(2);
            let mut shedder = Shedder::new(tx);
            let offers: Vec<Offer> = (1..=5).map(|job| shedder.offer(job)).collect();
            assert_eq!(
                offers,
                vec![
                    Offer::Queued,
                    Offer::Queued,
                    Offer::Shed(3),
                    Offer::Shed(4),
                    Offer::Shed(5)
                ],
                "a queue of 2 takes jobs 1 and 2; 3, 4 and 5 must come back as Shed"
            );
            drop(shedder);
            let mut kept = Vec::new();
            while let Some(job) = rx.recv().await {
                kept.push(job);
            }
            assert_eq!(
                kept,
                vec![1, 2],
                "drop newest keeps the jobs already queued"
            );
        });
    }

    #[test]
    fn shed_jobs_not_counted_is_rejected() {
        paused(|| async {
            let (tx, _rx) = mpsc::channel(1);
            let mut shedder = Shedder::new(tx);
            for job in 0..10 {
                shedder.offer(job);
            }
            assert_eq!(shedder.shed, 9, "one job fits; the other nine were shed");
        });
    }

    #[test]
    fn space_freed_by_the_consumer_not_reused_is_rejected() {
        paused(|| async {
            let (tx, mut rx) = mpsc::channel(1);
            let mut shedder = Shedder::new(tx);
            assert_eq!(shedder.offer(1), Offer::Queued);
            assert_eq!(shedder.offer(2), Offer::Shed(2));
            assert_eq!(rx.recv().await, Some(1));
            assert_eq!(
                shedder.offer(3),
                Offer::Queued,
                "the consumer took a job, so there is room again"
            );
            assert_eq!(rx.recv().await, Some(3));
        });
    }

    #[test]
    fn closed_queue_reported_as_shed_is_rejected() {
        paused(|| async {
            let (tx, rx) = mpsc::channel(4);
            let mut shedder = Shedder::new(tx);
            drop(rx);
            assert_eq!(
                shedder.offer(7),
                Offer::Closed(7),
                "the receiver is gone: that is Closed, not load to shed"
            );
            assert_eq!(
                shedder.shed, 0,
                "a closed queue is not counted as shed load"
            );
        });
    }
}
