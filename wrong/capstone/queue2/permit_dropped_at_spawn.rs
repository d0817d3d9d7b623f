// wrong answer: lets the permit go as soon as the job is spawned instead of when it finishes; more_jobs_in_flight_than_the_limit_is_rejected fails.
// queue2: a dispatcher and a worker pool with two limits
//
// Producers hand jobs to the pool with `submit`. Two limits keep the pool from drowning:
// - the submission channel holds at most `capacity` jobs, so when it is full `submit` waits:
//   a fast producer is slowed to the pool's pace (backpressure) instead of piling up memory;
// - a `Semaphore` with `max_in_flight` permits caps how many jobs run at the same time.
//
//     submit ──▶ [ bounded channel ] ──▶ dispatcher ──permit──▶ tokio::spawn(handler(job))
//
// The dispatcher must take a permit *before* it spawns a job and keep it until that job has
// finished; while no permit is free it stops taking jobs out of the channel, the channel fills
// up and `submit` waits. This step is on its own: it needs only the `Job` type from queue1.
//
// Write `Pool::start` (the channel and the dispatcher task) and `dispatch`.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};

pub type JobId = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub payload: String,
}

pub struct Pool {
    submissions: mpsc::Sender<Job>,
}

impl Pool {
    /// Starts the dispatcher. `handler(job)` is the work; the pool runs at most `max_in_flight`
    /// of them at once, and holds at most `capacity` submitted jobs that have not started yet.
    pub fn start<H, Fut>(capacity: usize, max_in_flight: usize, handler: H) -> Pool
    where
        H: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (submissions, inbox) = mpsc::channel(capacity);
        let limit = Arc::new(Semaphore::new(max_in_flight));
        tokio::spawn(dispatch(inbox, limit, Arc::new(handler)));
        Pool { submissions }
    }

    /// Hands a job to the pool; waits while the submission channel is full.
    /// Gives the job back if the pool has stopped.
    pub async fn submit(&self, job: Job) -> Result<(), Job> {
        self.submissions.send(job).await.map_err(|err| err.0)
    }
}

async fn dispatch<H, Fut>(mut inbox: mpsc::Receiver<Job>, limit: Arc<Semaphore>, handler: Arc<H>)
where
    H: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        // The permit first: while every permit is taken, jobs stay in the channel and the
        // channel's capacity pushes back on producers.
        let permit = limit
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let Some(job) = inbox.recv().await else {
            return; // every producer is gone
        };
        let handler = handler.clone();
        tokio::spawn(async move {
            handler(job).await;
        });
        drop(permit);
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::Notify;
    use tokio::time::{sleep, timeout};

    fn job(id: JobId) -> Job {
        Job {
            id,
            payload: format!("job {id}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn producer_not_slowed_by_a_full_queue_is_rejected() {
        // Jobs that never finish on their own: they wait for the gate.
        let gate = Arc::new(Notify::new());
        let started = Arc::new(AtomicUsize::new(0));
        let (g, s) = (gate.clone(), started.clone());
        let pool = Pool::start(2, 1, move |_job| {
            let (gate, started) = (g.clone(), s.clone());
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                gate.notified().await;
            }
        });
        // One job runs, two wait in the channel, and the dispatcher may hold one more while it
        // waits for a permit. Anything beyond that must make `submit` wait.
        let mut accepted = 0;
        for id in 1..=10 {
            // The clock is paused: this timeout costs no real time, it fires once everything
            // is stuck waiting.
            match timeout(Duration::from_secs(1), pool.submit(job(id))).await {
                Ok(Ok(())) => accepted += 1,
                Ok(Err(_)) => panic!("the pool stopped: the dispatcher must keep running"),
                Err(_) => break,
            }
        }
        assert!(
            accepted <= 4,
            "submit accepted {accepted} jobs while 1 may run and the channel holds 2: a full \
             queue must make the producer wait (bounded channel, permit before taking a job)"
        );
        assert!(
            accepted >= 3,
            "only {accepted} jobs accepted: capacity 2 plus 1 running fit"
        );
        assert_eq!(
            started.load(Ordering::SeqCst),
            1,
            "exactly one job may be running"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn more_jobs_in_flight_than_the_limit_is_rejected() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(Mutex::new(Vec::new()));
        let (f, m, d) = (in_flight.clone(), max_seen.clone(), done.clone());
        let pool = Pool::start(4, 3, move |job| {
            let (in_flight, max_seen, done) = (f.clone(), m.clone(), d.clone());
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                max_seen.fetch_max(now, Ordering::SeqCst);
                sleep(Duration::from_millis(10)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                done.lock().unwrap().push(job.id);
            }
        });
        for id in 1..=20 {
            pool.submit(job(id)).await.expect("the pool stopped");
        }
        sleep(Duration::from_secs(1)).await;
        let mut done = done.lock().unwrap().clone();
        done.sort();
        assert_eq!(
            done,
            (1..=20).collect::<Vec<_>>(),
            "every submitted job runs once"
        );
        let max = max_seen.load(Ordering::SeqCst);
        assert!(
            max <= 3,
            "{max} jobs ran at once with a limit of 3: hold the permit until the job ends"
        );
        assert_eq!(
            max, 3,
            "only {max} at once: jobs must run concurrently, up to the limit"
        );
    }
}
