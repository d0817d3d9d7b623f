// wrong answer: the worker pops in a `while let` on the locked queue, so the guard lives through the job and no other worker can take a job meanwhile; holding_the_lock_while_a_job_runs_is_rejected catches it.
// steal1: two workers sharing one queue
//
// The simplest multi-threaded scheduler: every job goes into one `Mutex<VecDeque<Job>>`, and
// each worker thread loops "lock, pop the front job, unlock, run it" until the queue is empty.
// It is correct, and it is the baseline the rest of this chapter improves on: every pop by every
// worker takes the same lock, so with many workers and short jobs they spend their time waiting
// for each other.
//
// One rule matters here: the lock is held only to pop. A job can take a long time, and may
// itself push new jobs; a worker that runs a job while still holding the lock stops every other
// worker (or deadlocks on its own job). Watch out for `while let Some(job) =
// queue.lock().unwrap().pop_front() { .. }`: the guard lives until the end of the loop body.
//
// Write `worker_loop` and `run_workers`. Do not change the tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::thread;

pub type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
pub struct SharedQueue {
    pub jobs: Mutex<VecDeque<Job>>,
}

impl SharedQueue {
    pub fn push(&self, job: impl FnOnce() + Send + 'static) {
        self.jobs.lock().unwrap().push_back(Box::new(job));
    }
}

/// Runs jobs from the front of the queue, oldest first, until the queue is empty.
pub fn worker_loop(queue: &SharedQueue) {
    while let Some(job) = queue.jobs.lock().unwrap().pop_front() {
        job();
    }
}

/// Starts `workers` threads running `worker_loop` on the same queue; returns when all of them
/// have finished.
pub fn run_workers(queue: Arc<SharedQueue>, workers: usize) {
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || worker_loop(&queue))
        })
        .collect();
    for handle in handles {
        handle.join().expect("a worker thread panicked");
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    #[test]
    fn every_job_runs_exactly_once() {
        let queue = Arc::new(SharedQueue::default());
        let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..300).map(|_| AtomicUsize::new(0)).collect());
        for i in 0..300 {
            let runs = Arc::clone(&runs);
            queue.push(move || {
                runs[i].fetch_add(1, Ordering::SeqCst);
            });
        }
        run_workers(Arc::clone(&queue), 2);
        let counts: Vec<usize> = runs.iter().map(|r| r.load(Ordering::SeqCst)).collect();
        assert!(
            counts.iter().all(|&c| c == 1),
            "after run_workers returned, every job must have run exactly once: {counts:?}"
        );
        assert!(queue.jobs.lock().unwrap().is_empty());
    }

    #[test]
    fn returning_before_the_jobs_finish_is_rejected() {
        let queue = Arc::new(SharedQueue::default());
        let returned = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (report_tx, report) = std::sync::mpsc::channel();
        let r = Arc::clone(&returned);
        // The job watches (50 ms) for run_workers to return while it is still running: a
        // run_workers that joins its threads cannot.
        queue.push(move || {
            let start = Instant::now();
            while !r.load(Ordering::SeqCst) && start.elapsed() < Duration::from_millis(50) {
                thread::sleep(Duration::from_millis(1));
            }
            let _ = report_tx.send(r.load(Ordering::SeqCst));
        });
        run_workers(queue, 2);
        returned.store(true, Ordering::SeqCst);
        let returned_early = report
            .recv_timeout(Duration::from_millis(500))
            .expect("the job never ran");
        assert!(
            !returned_early,
            "run_workers returned while a job was still running: join every worker thread"
        );
    }

    #[test]
    fn newest_first_is_rejected() {
        let queue = Arc::new(SharedQueue::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        for i in 0..5 {
            let order = Arc::clone(&order);
            queue.push(move || order.lock().unwrap().push(i));
        }
        run_workers(queue, 1);
        assert_eq!(
            *order.lock().unwrap(),
            vec![0, 1, 2, 3, 4],
            "one worker must run the jobs oldest first (pop_front)"
        );
    }

    #[test]
    fn holding_the_lock_while_a_job_runs_is_rejected() {
        let queue = Arc::new(SharedQueue::default());
        let free_during_job = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..3 {
            let (q, seen) = (Arc::clone(&queue), Arc::clone(&free_during_job));
            // With a single worker, nobody else can be holding the lock while this job runs.
            queue.push(move || {
                let free = q.jobs.try_lock().is_ok();
                seen.lock().unwrap().push(free);
            });
        }
        run_workers(Arc::clone(&queue), 1);
        assert_eq!(
            *free_during_job.lock().unwrap(),
            vec![true; 3],
            "the queue was locked while a job ran: release the lock before running the job \
             (in `while let Some(j) = q.lock().unwrap().pop_front()` the guard lives on)"
        );
    }

    #[test]
    fn job_pushing_more_jobs_runs_them_too() {
        let queue = Arc::new(SharedQueue::default());
        let ran = Arc::new(AtomicUsize::new(0));
        let (q, r) = (Arc::clone(&queue), Arc::clone(&ran));
        queue.push(move || {
            for _ in 0..10 {
                let r = Arc::clone(&r);
                // Uses try_lock so that a worker holding the lock fails this test, not hangs it.
                q.jobs
                    .try_lock()
                    .expect("the queue is locked while a job runs")
                    .push_back(Box::new(move || {
                        r.fetch_add(1, Ordering::SeqCst);
                    }));
            }
        });
        run_workers(Arc::clone(&queue), 1);
        assert_eq!(ran.load(Ordering::SeqCst), 10);
    }

    #[test]
    fn only_one_worker_running_is_rejected() {
        let queue = Arc::new(SharedQueue::default());
        let threads = Arc::new(Mutex::new(HashSet::new()));
        // Each job waits until two different threads have started a job, or until one shared
        // deadline (so a single worker fails the test once, not once per job).
        let deadline = Instant::now() + Duration::from_millis(300);
        for _ in 0..2 {
            let threads = Arc::clone(&threads);
            queue.push(move || {
                threads.lock().unwrap().insert(thread::current().id());
                while threads.lock().unwrap().len() < 2 && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(1));
                }
            });
        }
        run_workers(queue, 2);
        assert_eq!(
            threads.lock().unwrap().len(),
            2,
            "run_workers(queue, 2) ran every job on one thread: start `workers` threads"
        );
    }
}
