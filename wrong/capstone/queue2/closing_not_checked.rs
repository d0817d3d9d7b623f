// wrong answer: waits for a slot without looking at `closing`, so jobs are still accepted after the service stopped accepting; accepting_after_closing_is_rejected fails.
// queue2: the intake — a bounded queue that slows producers, and a dispatcher that keeps a limit
//
// This step builds on your queue1: the ledger is declared below as a module, and everything
// public in it is used here as if it were written in this file.
//
//     submit ──slot──▶ record in the ledger ──▶ [ bounded channel ] ──▶ dispatcher
//                                                                        │ permit first,
//                                                                        ▼ then a job
//                                                           tracker.spawn(run(job, permit))
//
// Two rules of order make the parts fit:
// - `Submitter::submit` takes a slot in the channel (`Sender::reserve`) *before* it records the
//   job in the ledger, and sends it through that slot right after. A producer facing a full
//   queue waits without leaving a job in the ledger that no worker will ever see, and once the
//   service stops accepting (`closing` is cancelled) nothing more is recorded: `Err(Closed)`.
// - The dispatcher takes a worker permit *before* it takes a job out of the channel. Jobs then
//   stay in the channel while every worker is busy, the channel fills up, and `submit` waits:
//   that is the backpressure (chapter 21). A dispatcher that takes the job first holds one more
//   than the limit and empties the channel faster than the workers run.
//
// Every job runs in a task of the `TaskTracker`, so that shutdown (queue5) can wait for all of
// them. `next_job` is written: once `closing` fires it closes the channel, and still hands out
// every job already in it (the drain), then `None`.
//
// Write `Submitter::submit` and the loop in `dispatch`.

#[path = "../../../solutions/capstone/queue1.rs"]
mod queue1;
pub use queue1::*;

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The service no longer accepts jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// A producer's handle on the intake: cheap to clone.
#[derive(Clone)]
pub struct Submitter {
    pub slots: mpsc::Sender<Job>,
    pub books: Books,
    pub closing: CancellationToken,
}

impl Submitter {
    /// Waits for room in the intake, records the job and hands it to the dispatcher; returns
    /// its id. `Err(Closed)` once `closing` is cancelled (even while waiting for room).
    pub async fn submit(&self, payload: impl Into<String>) -> Result<JobId, Closed> {
        let slot = self.slots.reserve().await.map_err(|_| Closed)?;
        let job = self.books.with(|ledger| ledger.accept(payload.into()));
        let id = job.id;
        slot.send(job);
        Ok(id)
    }
}

/// The next job to run; once `closing` fires, the channel is closed and drained: what is in it
/// still comes out, then `None`.
pub async fn next_job(inbox: &mut mpsc::Receiver<Job>, closing: &CancellationToken) -> Option<Job> {
    if inbox.is_closed() {
        return inbox.recv().await;
    }
    tokio::select! {
        biased;
        job = inbox.recv() => job,
        () = closing.cancelled() => {
            inbox.close();
            inbox.recv().await
        }
    }
}

/// Runs every job that comes out of `inbox` as `run(job, permit)` in a task of `tracker`, at
/// most as many at once as `limit` has permits. Returns when the intake is closed and drained.
pub async fn dispatch<R, Fut>(
    mut inbox: mpsc::Receiver<Job>,
    limit: Arc<Semaphore>,
    tracker: TaskTracker,
    closing: CancellationToken,
    run: R,
) where
    R: Fn(Job, OwnedSemaphorePermit) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let permit = limit
            .clone()
            .acquire_owned()
            .await
            .expect("the worker semaphore is never closed");
        let Some(job) = next_job(&mut inbox, &closing).await else {
            return;
        };
        tracker.spawn(run(job, permit));
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;
    use tokio::sync::Notify;
    use tokio::time::timeout;

    struct Intake {
        submitter: Submitter,
        books: Books,
        closing: CancellationToken,
        tracker: TaskTracker,
        started: Arc<Mutex<Vec<JobId>>>,
        gate: Arc<Notify>,
    }

    /// An intake with `capacity` slots and `workers` permits whose jobs record that they
    /// started, then wait for the gate (each `notify_one` lets one finish).
    fn intake(capacity: usize, workers: usize) -> Intake {
        let (slots, inbox) = mpsc::channel(capacity);
        let books = Books::new(3);
        let closing = CancellationToken::new();
        let tracker = TaskTracker::new();
        let started = Arc::new(Mutex::new(Vec::new()));
        let gate = Arc::new(Notify::new());
        let (s, g) = (started.clone(), gate.clone());
        let run = move |job: Job, permit: OwnedSemaphorePermit| {
            let (started, gate) = (s.clone(), g.clone());
            async move {
                started.lock().unwrap().push(job.id);
                gate.notified().await;
                drop(permit);
            }
        };
        let limit = Arc::new(Semaphore::new(workers));
        tokio::spawn(dispatch(
            inbox,
            limit,
            tracker.clone(),
            closing.clone(),
            run,
        ));
        let submitter = Submitter {
            slots,
            books: books.clone(),
            closing: closing.clone(),
        };
        Intake {
            submitter,
            books,
            closing,
            tracker,
            started,
            gate,
        }
    }

    /// Submits until a submit has waited a (paused) second; returns how many were accepted.
    async fn fill(submitter: &Submitter) -> usize {
        let mut accepted = 0;
        for n in 0..20 {
            match timeout(Duration::from_secs(1), submitter.submit(format!("job {n}"))).await {
                Ok(Ok(_)) => accepted += 1,
                Ok(Err(Closed)) => panic!("the intake refused a job before it was closed"),
                Err(_) => break,
            }
        }
        accepted
    }

    #[tokio::test(start_paused = true)]
    async fn a_producer_not_slowed_by_a_full_queue_is_rejected() {
        let intake = intake(2, 1);
        let accepted = fill(&intake.submitter).await;
        assert_eq!(
            accepted, 3,
            "one job runs and two wait in the channel: the fourth submit must wait (take the \
             permit before the job, so busy workers leave jobs in the channel)"
        );
        assert_eq!(*intake.started.lock().unwrap(), [1]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_recorded_before_its_slot_is_rejected() {
        let intake = intake(1, 1);
        let accepted = fill(&intake.submitter).await;
        let recorded = intake.books.with(|ledger| ledger.stats().accepted);
        assert_eq!(
            recorded, accepted,
            "the ledger holds {recorded} jobs but submit returned {accepted} ids: a submit that \
             is still waiting for room must not have recorded its job yet"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn more_jobs_at_once_than_the_workers_is_rejected() {
        let intake = intake(8, 3);
        for n in 0..8 {
            intake.submitter.submit(format!("job {n}")).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(
            intake.started.lock().unwrap().len(),
            3,
            "3 workers: exactly 3 jobs may run while none has finished"
        );
        intake.gate.notify_one();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(
            intake.started.lock().unwrap().len(),
            4,
            "one job finished: one more may start"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn accepting_after_closing_is_rejected() {
        let intake = intake(4, 1);
        intake.submitter.submit("before").await.unwrap();
        intake.closing.cancel();
        assert_eq!(
            intake.submitter.submit("after").await,
            Err(Closed),
            "once closing is cancelled, submit refuses"
        );
        assert_eq!(intake.books.with(|ledger| ledger.stats().accepted), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn closing_that_drops_buffered_jobs_or_jobs_outside_the_tracker_are_rejected() {
        let intake = intake(8, 2);
        for n in 0..6 {
            intake.submitter.submit(format!("job {n}")).await.unwrap();
        }
        intake.closing.cancel();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(
            intake.tracker.len(),
            2,
            "two jobs run: each job's task must be spawned on the tracker, or shutdown cannot \
             wait for it"
        );
        for _ in 0..6 {
            intake.gate.notify_one();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let mut started = intake.started.lock().unwrap().clone();
        started.sort();
        assert_eq!(
            started,
            [1, 2, 3, 4, 5, 6],
            "jobs accepted before closing must all still run, once each"
        );
        intake.tracker.close();
        if timeout(Duration::from_secs(1), intake.tracker.wait())
            .await
            .is_err()
        {
            panic!("the tracker never emptied: a job task is still waiting");
        }
    }
}
