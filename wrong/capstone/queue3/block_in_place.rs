// wrong answer: runs `compute` under `block_in_place`, which panics on a current_thread runtime; cpu_result_lost_is_rejected fails.
// queue3: CPU-heavy jobs go to the blocking pool
//
// Some jobs wait (on a timer, a socket); others compute for a long time. An async worker
// thread that runs a long computation inside `poll` can do nothing else until it returns:
// every other task on that thread, timers included, stands still. `tokio::task::spawn_blocking`
// runs a closure on a separate pool of threads meant for blocking work, and its `JoinHandle`
// is a future the async side can await without blocking anybody.
//
// The pool from queue2 is below, finished. Write `run`, which performs one piece of `Work`:
// - `Work::Io(d)`: wait `d` on tokio's timer (done for you);
// - `Work::Cpu(f)`: run `f` on the blocking pool and wait for its number. If `f` panics,
//   report `Outcome::Panicked` instead of taking the worker down with it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};

pub type JobId = u64;

pub enum Work {
    /// Waits, the way I/O does.
    Io(Duration),
    /// Computes, the way a hash or an image resize does.
    Cpu(Box<dyn FnOnce() -> u64 + Send>),
}

pub struct Job {
    pub id: JobId,
    pub work: Work,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Waited,
    Computed(u64),
    Panicked,
}

pub async fn run(work: Work) -> Outcome {
    match work {
        Work::Io(duration) => {
            tokio::time::sleep(duration).await;
            Outcome::Waited
        }
        Work::Cpu(compute) => {
            // The closure runs on a blocking-pool thread; awaiting the handle parks only this
            // task. A panic inside the closure arrives here as an Err(JoinError).
            Outcome::Computed(tokio::task::block_in_place(compute))
        }
    }
}

// ---- The pool from queue2, finished. ----

pub struct Pool {
    submissions: mpsc::Sender<Job>,
}

impl Pool {
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
        let permit = limit
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let Some(job) = inbox.recv().await else {
            return;
        };
        let handler = handler.clone();
        tokio::spawn(async move {
            handler(job).await;
            drop(permit);
        });
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::sync::mpsc::unbounded_channel;

    #[tokio::test]
    async fn cpu_result_lost_is_rejected() {
        assert_eq!(
            run(Work::Cpu(Box::new(|| 6 * 7))).await,
            Outcome::Computed(42)
        );
        assert_eq!(
            run(Work::Io(Duration::from_millis(1))).await,
            Outcome::Waited
        );
    }

    #[tokio::test]
    async fn cpu_panic_that_kills_the_worker_is_rejected() {
        let outcome = run(Work::Cpu(Box::new(|| {
            panic!("this job's computation failed")
        })))
        .await;
        assert_eq!(
            outcome,
            Outcome::Panicked,
            "a panicking job is reported, not propagated"
        );
    }

    /// The tests run on a current-thread runtime: a single async worker thread. A CPU job
    /// computed on that thread stops every other job until it is done.
    #[tokio::test]
    async fn cpu_job_blocking_the_async_workers_is_rejected() {
        // The CPU job spins until the I/O job (submitted after it) has finished, or gives up
        // after a generous half second of real time and returns 0.
        let (io_done_tx, io_done_rx) = std::sync::mpsc::channel::<()>();
        let cpu = Work::Cpu(Box::new(move || {
            match io_done_rx.recv_timeout(Duration::from_millis(500)) {
                Ok(()) => 1,
                Err(_) => 0,
            }
        }));
        let (results_tx, mut results) = unbounded_channel();
        let io_done_tx = Mutex::new(Some(io_done_tx));
        let pool = Pool::start(4, 2, move |job: Job| {
            let results_tx = results_tx.clone();
            let io_done = match job.work {
                Work::Io(_) => io_done_tx.lock().unwrap().take(),
                Work::Cpu(_) => None,
            };
            async move {
                // `run` in a task of its own, so that a panic in `run` comes back as an error
                // here instead of leaving the test waiting for a result forever.
                let outcome = tokio::spawn(run(job.work)).await.map_err(|e| e.to_string());
                if let Some(io_done) = io_done {
                    let _ = io_done.send(());
                }
                results_tx.send((job.id, outcome)).unwrap();
            }
        });
        pool.submit(Job { id: 1, work: cpu }).await.ok().unwrap();
        pool.submit(Job {
            id: 2,
            work: Work::Io(Duration::from_millis(1)),
        })
        .await
        .ok()
        .unwrap();
        let mut outcomes = vec![results.recv().await.unwrap(), results.recv().await.unwrap()];
        outcomes.sort_by_key(|(id, _)| *id);
        assert_eq!(
            outcomes,
            [(1, Ok(Outcome::Computed(1))), (2, Ok(Outcome::Waited))],
            "the I/O job could not finish while the CPU job ran: CPU work must go to \
             spawn_blocking, not run on the async worker thread"
        );
    }
}
