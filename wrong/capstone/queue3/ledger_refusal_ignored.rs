// wrong answer: runs the work even when the ledger refuses to start the job, so a job handed out twice runs twice; running_a_job_the_ledger_refused_is_rejected fails.
// queue3: one attempt — ask the ledger, run the work off the async threads, report back
//
// This step builds on your queue2 (and through it your queue1): the dispatcher hands a worker a
// job and a permit; here is what the worker does with them, for one attempt.
//
//     ledger.start(id) ──None──▶ not ours to run: stop (it is running elsewhere, or over)
//          │ Some(attempt)
//          ▼
//     spawn_blocking(work(&job, attempt)) ──▶ Ok(output) ──▶ ledger.succeed ──▶ waiters hear Done
//          │ (permit held until here)     └─▶ Err / panic ──▶ ledger.fail ──▶ Retry{n} or Dead
//
// The order is the design:
// - the ledger is asked first, and its `None` obeyed: that is what keeps a job from running
//   twice when it is handed out twice;
// - the job is reported Done only after the work returned: whoever waits for it (a client of
//   the status port, in queue6) must never hear "done" for work that has not happened;
// - the work is a plain function that may compute for a long time, so it runs on the blocking
//   pool (chapter 23): the async threads keep serving the intake and the network meanwhile, and a
//   panic in it comes back as a failed attempt instead of taking the worker down;
// - the permit is a worker slot: held while the work runs, released when the attempt is over.
//
// Write `attempt`.

#[path = "../../../solutions/capstone/queue2.rs"]
mod queue2;
pub use queue2::*;

use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;

/// The service's work: a plain function of the job and the attempt number (from 1). It may
/// compute for a long time; `Err` is a failed attempt.
pub type Work = Arc<dyn Fn(&Job, u32) -> Result<String, String> + Send + Sync>;

/// Runs one attempt of `job` while holding `permit`, and records how it ended. Returns
/// `Some(n)` when failed attempt `n` is to be retried, `None` when there is nothing more to do
/// (the job is Done or Dead, or the ledger would not let it start).
pub async fn attempt(
    books: &Books,
    work: &Work,
    job: &Job,
    permit: OwnedSemaphorePermit,
) -> Option<u32> {
    let number = books.with(|ledger| ledger.start(job.id)).unwrap_or(1);
    let (work, to_run) = (work.clone(), job.clone());
    let result = tokio::task::spawn_blocking(move || work(&to_run, number))
        .await
        .unwrap_or_else(|_| Err("the job panicked".to_string()));
    drop(permit);
    match result {
        Ok(output) => {
            books.with(|ledger| ledger.succeed(job.id, output));
            None
        }
        Err(error) => match books.with(|ledger| ledger.fail(job.id, error)) {
            Some(AfterFailure::Retry { attempt }) => Some(attempt),
            Some(AfterFailure::Dead) | None => None,
        },
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::Semaphore;

    const STUCK: &str = "the attempt did not finish within a second: does the work run on the \
                         async thread, blocking the runtime that would let it finish?";

    /// Runs `body` on a current-thread runtime (one async thread), failing after 1 s.
    fn on_one_thread<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(Duration::from_secs(1), STUCK, move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        });
    }

    fn work(f: impl Fn(&Job, u32) -> Result<String, String> + Send + Sync + 'static) -> Work {
        Arc::new(f)
    }

    fn permit(limit: &Arc<Semaphore>) -> OwnedSemaphorePermit {
        limit.clone().try_acquire_owned().expect("a free permit")
    }

    #[test]
    fn reporting_done_before_the_work_ran_is_rejected() {
        on_one_thread(|| async {
            let books = Books::new(3);
            let job = books.with(|ledger| ledger.accept("report".to_string()));
            let mut told = books.with(|ledger| ledger.wait(job.id)).unwrap();
            // The work waits until the test lets it go.
            let (go, gate) = std::sync::mpsc::channel::<()>();
            let gate = Mutex::new(gate);
            let w = work(move |_, _| {
                gate.lock().unwrap().recv().unwrap();
                Ok("written".to_string())
            });
            let limit = Arc::new(Semaphore::new(1));
            let (b, j, p) = (books.clone(), job.clone(), permit(&limit));
            let worker = tokio::spawn(async move { attempt(&b, &w, &j, p).await });
            for _ in 0..20 {
                tokio::task::yield_now().await;
            }
            assert!(
                told.try_recv().is_err(),
                "the waiter heard about the job while its work was still running"
            );
            assert_eq!(
                books.with(|ledger| ledger.status(job.id)),
                Some(Status::Running { attempt: 1 })
            );
            go.send(()).unwrap();
            assert_eq!(worker.await.unwrap(), None);
            assert_eq!(told.await, Ok(Outcome::Done("written".to_string())));
        });
    }

    #[test]
    fn work_run_on_the_async_thread_is_rejected() {
        on_one_thread(|| async {
            let books = Books::new(3);
            let job = books.with(|ledger| ledger.accept("crunch".to_string()));
            let ran_on = Arc::new(Mutex::new(None));
            let r = ran_on.clone();
            let w = work(move |_, _| {
                *r.lock().unwrap() = Some(std::thread::current().id());
                Ok(String::new())
            });
            let limit = Arc::new(Semaphore::new(1));
            attempt(&books, &w, &job, permit(&limit)).await;
            let ran_on = ran_on.lock().unwrap().expect("the work never ran");
            assert_ne!(
                ran_on,
                std::thread::current().id(),
                "the work ran on the async thread: long computations go to the blocking pool"
            );
        });
    }

    #[test]
    fn a_panicking_job_that_takes_the_worker_down_is_rejected() {
        on_one_thread(|| async {
            let books = Books::new(2);
            let job = books.with(|ledger| ledger.accept("divide by zero".to_string()));
            let w = work(|_, _| std::panic::resume_unwind(Box::new("the work panics on purpose")));
            let limit = Arc::new(Semaphore::new(1));
            let b = books.clone();
            let (j, p) = (job.clone(), permit(&limit));
            let outcome = tokio::spawn(async move { attempt(&b, &w, &j, p).await }).await;
            assert_eq!(
                outcome.ok(),
                Some(Some(1)),
                "a panic in the work is a failed attempt (retry after attempt 1), not a crash"
            );
            assert_eq!(
                books.with(|ledger| ledger.status(job.id)),
                Some(Status::Backoff { attempt: 1 })
            );
            assert_eq!(
                limit.available_permits(),
                1,
                "the permit was not given back"
            );
        });
    }

    #[test]
    fn a_permit_released_before_the_work_ran_is_rejected() {
        on_one_thread(|| async {
            let books = Books::new(3);
            let job = books.with(|ledger| ledger.accept("hold".to_string()));
            let limit = Arc::new(Semaphore::new(1));
            let l = limit.clone();
            let w = work(move |_, _| Ok(l.available_permits().to_string()));
            attempt(&books, &w, &job, permit(&limit)).await;
            assert_eq!(
                books.with(|ledger| ledger.status(job.id)),
                Some(Status::Done {
                    output: "0".to_string()
                }),
                "a free permit was seen while the work ran: hold the worker's permit until the \
                 work is over"
            );
            assert_eq!(
                limit.available_permits(),
                1,
                "the permit was not given back"
            );
        });
    }

    #[test]
    fn running_a_job_the_ledger_refused_is_rejected() {
        on_one_thread(|| async {
            let books = Books::new(3);
            let job = books.with(|ledger| ledger.accept("once".to_string()));
            let runs = Arc::new(AtomicUsize::new(0));
            let r = runs.clone();
            let w = work(move |_, _| {
                r.fetch_add(1, Ordering::SeqCst);
                Ok("ran".to_string())
            });
            let limit = Arc::new(Semaphore::new(2));
            // The same job handed out twice: the second attempt finds it Done.
            assert_eq!(attempt(&books, &w, &job, permit(&limit)).await, None);
            assert_eq!(attempt(&books, &w, &job, permit(&limit)).await, None);
            assert_eq!(
                runs.load(Ordering::SeqCst),
                1,
                "the work ran twice: when the ledger says the job may not start, do not run it"
            );
        });
    }

    #[test]
    fn failures_reported_with_the_wrong_attempt_are_rejected() {
        on_one_thread(|| async {
            let books = Books::new(3);
            let job = books.with(|ledger| ledger.accept("flaky".to_string()));
            let seen = Arc::new(Mutex::new(Vec::new()));
            let s = seen.clone();
            let w = work(move |_, attempt| {
                s.lock().unwrap().push(attempt);
                Err(format!("attempt {attempt} failed"))
            });
            let limit = Arc::new(Semaphore::new(1));
            let mut verdicts = Vec::new();
            for _ in 0..4 {
                verdicts.push(attempt(&books, &w, &job, permit(&limit)).await);
            }
            assert_eq!(verdicts, [Some(1), Some(2), None, None]);
            assert_eq!(
                *seen.lock().unwrap(),
                [1, 2, 3],
                "the work gets the attempt number the ledger gave"
            );
            assert_eq!(
                books.with(|ledger| ledger.dead_letters().len()),
                1,
                "after the last attempt the job is dead, with one dead letter"
            );
        });
    }
}
