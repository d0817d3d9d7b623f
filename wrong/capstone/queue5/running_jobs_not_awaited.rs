// wrong answer: returns without waiting for the jobs still in the JoinSet, which aborts them; running_jobs_abandoned_at_shutdown_is_rejected fails.
// queue5: graceful shutdown — stop accepting, finish everything, lose nothing
//
// Shutting the pool down must not lose a job a producer was told was accepted, and must not run
// one twice. In order:
//   1. stop accepting: from now on `submit` fails and hands the job back to its producer;
//   2. drain: jobs already in the channel still run;
//   3. wait: jobs that are running finish;
//   4. report: the ids of every job that ran, each once.
//
//     shutdown() ──stop──▶ dispatcher: inbox.close() ─▶ recv() until None ─▶ join the JoinSet
//
// `mpsc::Receiver::close` does step 1 while keeping what is buffered for `recv`, and once the
// buffer is empty `recv` returns None, even while producers still hold their `Submitter`s.
// Dropping the receiver instead would throw the buffered jobs away; waiting for every sender to
// go away could wait forever.
//
// The pool from queue2 is below, reworked around a stop signal: the dispatcher is one
// `select!` loop, and a `JoinSet` of running jobs replaces the semaphore (its length is the
// number of jobs in flight), so no branch ever waits inside its body and the stop signal is
// seen at once. Fill in the two TODOs in `dispatch`.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

pub type JobId = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub payload: String,
}

/// A producer's handle: cheap to clone, one per producer task.
#[derive(Clone)]
pub struct Submitter {
    submissions: mpsc::Sender<Job>,
}

impl Submitter {
    /// Waits while the channel is full; gives the job back once the pool has stopped accepting.
    pub async fn submit(&self, job: Job) -> Result<(), Job> {
        self.submissions.send(job).await.map_err(|err| err.0)
    }
}

pub struct Pool {
    submitter: Submitter,
    stop: oneshot::Sender<()>,
    dispatcher: JoinHandle<Vec<JobId>>,
}

impl Pool {
    pub fn start<H, Fut>(capacity: usize, max_in_flight: usize, handler: H) -> Pool
    where
        H: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (submissions, inbox) = mpsc::channel(capacity);
        let (stop, stop_rx) = oneshot::channel();
        let dispatcher = tokio::spawn(dispatch(inbox, stop_rx, max_in_flight, Arc::new(handler)));
        Pool {
            submitter: Submitter { submissions },
            stop,
            dispatcher,
        }
    }

    pub fn submitter(&self) -> Submitter {
        self.submitter.clone()
    }

    /// Stops accepting, lets every accepted job finish, and returns the ids of the jobs that ran.
    pub async fn shutdown(self) -> Vec<JobId> {
        let _ = self.stop.send(());
        self.dispatcher.await.expect("the dispatcher panicked")
    }
}

async fn dispatch<H, Fut>(
    mut inbox: mpsc::Receiver<Job>,
    mut stop: oneshot::Receiver<()>,
    max_in_flight: usize,
    handler: Arc<H>,
) -> Vec<JobId>
where
    H: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut running = JoinSet::new();
    let mut finished = Vec::new();
    let mut stopping = false;
    loop {
        tokio::select! {
            _ = &mut stop, if !stopping => {
                // Refuse new jobs; the ones already buffered stay for `recv` below.
                stopping = true;
                inbox.close();
            }
            Some(done) = running.join_next() => {
                finished.push(done.expect("a job panicked"));
            }
            // Only take a job while a slot is free; otherwise jobs stay in the channel.
            job = inbox.recv(), if running.len() < max_in_flight => {
                // None: closed and empty (or every producer is gone). Nothing more will come.
                let Some(job) = job else { break };
                let handler = handler.clone();
                running.spawn(async move {
                    let id = job.id;
                    handler(job).await;
                    id
                });
            }
        }
    }
    // Dropping a JoinSet aborts its tasks: wait for every running job before returning.
    finished
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;
    use tokio::time::{sleep, timeout};

    fn job(id: JobId) -> Job {
        Job {
            id,
            payload: format!("job {id}"),
        }
    }

    /// A pool whose jobs take 10 ms (paused clock) and record their id when they finish.
    fn pool(capacity: usize, max_in_flight: usize) -> (Pool, Arc<Mutex<Vec<JobId>>>) {
        let ran = Arc::new(Mutex::new(Vec::new()));
        let r = ran.clone();
        let pool = Pool::start(capacity, max_in_flight, move |job: Job| {
            let ran = r.clone();
            async move {
                sleep(Duration::from_millis(10)).await;
                ran.lock().unwrap().push(job.id);
            }
        });
        (pool, ran)
    }

    async fn shutdown(pool: Pool) -> Vec<JobId> {
        // The clock is paused: this timeout fires only if everything is stuck waiting.
        match timeout(Duration::from_secs(60), pool.shutdown()).await {
            Ok(report) => report,
            Err(_) => panic!(
                "shutdown never finished: a Submitter is still alive, so the channel reports \
                 None only after the receiver is closed"
            ),
        }
    }

    fn sorted(mut ids: Vec<JobId>) -> Vec<JobId> {
        ids.sort();
        ids
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_that_loses_or_duplicates_a_job_is_rejected() {
        let (pool, ran) = pool(8, 2);
        let submitter = pool.submitter();
        // Two will be running, the rest waiting in the channel when shutdown starts.
        for id in 1..=8 {
            submitter
                .submit(job(id))
                .await
                .expect("the pool is accepting jobs");
        }
        let report = shutdown(pool).await;
        let expected: Vec<JobId> = (1..=8).collect();
        assert_eq!(
            sorted(ran.lock().unwrap().clone()),
            expected,
            "every accepted job must run exactly once: drain the channel and wait for running jobs"
        );
        assert_eq!(
            sorted(report),
            expected,
            "the report lists every job that ran, once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_that_keeps_accepting_is_rejected() {
        let (pool, ran) = pool(8, 2);
        let submitter = pool.submitter();
        for id in 1..=3 {
            submitter
                .submit(job(id))
                .await
                .expect("the pool is accepting jobs");
        }
        let shutting_down = tokio::spawn(shutdown(pool));
        // Let the dispatcher see the stop signal; the running jobs are not done yet.
        sleep(Duration::from_millis(1)).await;
        let late = timeout(Duration::from_secs(1), submitter.submit(job(99))).await;
        assert_eq!(
            late,
            Ok(Err(job(99))),
            "once shutdown has begun, submit must fail at once and hand the job back"
        );
        let report = shutting_down.await.unwrap();
        assert_eq!(sorted(report), [1, 2, 3]);
        assert_eq!(sorted(ran.lock().unwrap().clone()), [1, 2, 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn running_jobs_abandoned_at_shutdown_is_rejected() {
        // Job n takes n * 10 ms. Two run at once: at 20 ms job 2 ends, the channel is empty and
        // closed, and job 3 (started at 10 ms) is still running until 40 ms.
        let ran = Arc::new(Mutex::new(Vec::new()));
        let r = ran.clone();
        let pool = Pool::start(4, 2, move |job: Job| {
            let ran = r.clone();
            async move {
                sleep(Duration::from_millis(10 * job.id)).await;
                ran.lock().unwrap().push(job.id);
            }
        });
        let submitter = pool.submitter();
        for id in 1..=3 {
            submitter
                .submit(job(id))
                .await
                .expect("the pool is accepting jobs");
        }
        let report = shutdown(pool).await;
        assert_eq!(
            sorted(ran.lock().unwrap().clone()),
            [1, 2, 3],
            "job 3 was still running when the channel ran dry: wait for the running jobs \
             (dropping the JoinSet aborts them)"
        );
        assert_eq!(sorted(report), [1, 2, 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_of_an_idle_pool_that_hangs_is_rejected() {
        let (pool, _ran) = pool(4, 2);
        let _producer_still_alive = pool.submitter();
        assert_eq!(shutdown(pool).await, Vec::<JobId>::new());
    }
}
