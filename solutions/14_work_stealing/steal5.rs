// steal5: idle workers park, and a spawn unparks one
//
// A worker with nothing to do must not spin ("any job yet? any job yet?"): that burns a whole
// core doing nothing. It parks: it sleeps until someone has a reason to wake it. Here it parks
// on a condition variable, and `spawn` wakes (unparks) exactly one parked worker.
//
// Lost wake-ups hide in the gap between "the queue is empty" and "I am asleep". If a spawn runs
// in that gap, its wake finds nobody parked and the worker then sleeps next to a job. A condvar
// closes the gap when the check and the park happen under the *same* lock acquisition: `park`
// releases the lock and sleeps in one step, so a spawn (which needs the lock to push) cannot
// slip in between.
//
// The pool's `lock`, `park`, `unpark_one` and `unpark_all` are written for you (they count what
// happens, for the tests). Write `spawn` and `next_job` with them. Do not change the tests.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

pub type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
pub struct State {
    pub jobs: VecDeque<Job>,
    pub shutdown: bool,
}

#[derive(Default)]
pub struct Pool {
    state: Mutex<State>,
    available: Condvar,
    /// How many times the state was locked through `lock`.
    pub locks: AtomicUsize,
    /// How many workers are parked right now.
    pub parked: AtomicUsize,
    /// How many times a parked worker woke up.
    pub wakeups: AtomicUsize,
}

impl Pool {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.locks.fetch_add(1, Ordering::SeqCst);
        self.state.lock().unwrap()
    }

    /// Releases the lock and sleeps until unparked, then takes the lock again. It may (rarely)
    /// return without an unpark, so check the state again after it.
    pub fn park<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.parked.fetch_add(1, Ordering::SeqCst);
        let guard = self.available.wait(guard).unwrap();
        self.parked.fetch_sub(1, Ordering::SeqCst);
        self.wakeups.fetch_add(1, Ordering::SeqCst);
        guard
    }

    pub fn unpark_one(&self) {
        self.available.notify_one();
    }

    pub fn unpark_all(&self) {
        self.available.notify_all();
    }

    pub fn spawn(&self, job: impl FnOnce() + Send + 'static) {
        self.lock().jobs.push_back(Box::new(job));
        // After the push: a worker woken before it would find the queue still empty.
        self.unpark_one();
    }

    /// Blocks until there is a job (`Some`) or the pool is shut down with no job left (`None`).
    pub fn next_job(&self) -> Option<Job> {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                return Some(job);
            }
            if state.shutdown {
                return None;
            }
            // Checked and parked under the same guard: no spawn can slip in between.
            state = self.park(state);
        }
    }

    pub fn shutdown(&self) {
        self.lock().shutdown = true;
        self.unpark_all();
    }
}

pub fn worker(pool: &Pool) {
    while let Some(job) = pool.next_job() {
        job();
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, Instant};

    /// Reports a worker thread's end, even when it ends by panicking.
    struct ExitSignal(mpsc::Sender<()>);

    impl Drop for ExitSignal {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    fn start(workers: usize) -> (Arc<Pool>, mpsc::Receiver<()>) {
        let pool = Arc::new(Pool::default());
        let (exited_tx, exited_rx) = mpsc::channel();
        for _ in 0..workers {
            let (pool, signal) = (Arc::clone(&pool), ExitSignal(exited_tx.clone()));
            thread::spawn(move || {
                let _signal = signal;
                worker(&pool);
            });
        }
        (pool, exited_rx)
    }

    /// Waits (at most 1 s) until `n` workers are parked.
    fn wait_parked(pool: &Pool, exited: &mpsc::Receiver<()>, n: usize) {
        let start = Instant::now();
        while pool.parked.load(Ordering::SeqCst) < n {
            assert!(
                exited.try_recv().is_err(),
                "a worker stopped although the pool was not shut down (did next_job panic, or \
                 return None for an empty queue?)"
            );
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "an idle worker never parked: with an empty queue, next_job must call park"
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    fn stop(pool: &Pool, exited: &mpsc::Receiver<()>, workers: usize) {
        pool.shutdown();
        for _ in 0..workers {
            exited.recv_timeout(Duration::from_secs(1)).expect(
                "a worker was still running 1 s after shutdown: next_job must return None once \
                 the pool is shut down and empty",
            );
        }
    }

    #[test]
    fn spinning_while_idle_is_rejected() {
        let (pool, exited) = start(2);
        thread::sleep(Duration::from_millis(20));
        assert!(
            exited.try_recv().is_err(),
            "a worker stopped although the pool was not shut down"
        );
        let locks = pool.locks.load(Ordering::SeqCst);
        assert!(
            locks <= 6,
            "two idle workers locked the queue {locks} times in 20 ms: they are polling. Park \
             until a spawn unparks you"
        );
        stop(&pool, &exited, 2);
    }

    #[test]
    fn spawn_not_unparking_a_worker_is_rejected() {
        let (pool, exited) = start(1);
        wait_parked(&pool, &exited, 1);
        let (tx, rx) = mpsc::channel();
        pool.spawn(move || tx.send("ran").unwrap());
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(1)),
            Ok("ran"),
            "the only worker was parked and the spawned job never ran: spawn must unpark it"
        );
        stop(&pool, &exited, 1);
    }

    #[test]
    fn waking_every_worker_for_one_job_is_rejected() {
        let (pool, exited) = start(3);
        wait_parked(&pool, &exited, 3);
        let (tx, rx) = mpsc::channel();
        pool.spawn(move || tx.send(()).unwrap());
        rx.recv_timeout(Duration::from_secs(1))
            .expect("the job never ran");
        wait_parked(&pool, &exited, 3);
        let woken = pool.wakeups.load(Ordering::SeqCst);
        assert!(
            woken < 3,
            "one job woke {woken} parked workers: unpark one, the others only go back to sleep"
        );
        stop(&pool, &exited, 3);
    }

    #[test]
    fn lost_wake_up_is_rejected() {
        let (pool, exited) = start(1);
        let (tx, rx) = mpsc::channel();
        // Each job is spawned right after the previous one finished, while the worker is on its
        // way to park: the window where a wake-up gets lost.
        for i in 0..300 {
            let tx = tx.clone();
            pool.spawn(move || tx.send(i).unwrap());
            assert_eq!(
                rx.recv_timeout(Duration::from_secs(1)),
                Ok(i),
                "job {i} never ran: its wake-up was lost between the worker's empty check and \
                 its park (check and park under one lock; unpark after pushing)"
            );
        }
        stop(&pool, &exited, 1);
    }

    #[test]
    fn jobs_queued_before_shutdown_still_run() {
        let pool = Arc::new(Pool::default());
        let (tx, rx) = mpsc::channel();
        for i in 0..3 {
            let tx = tx.clone();
            pool.spawn(move || tx.send(i).unwrap());
        }
        pool.shutdown();
        let p = Arc::clone(&pool);
        thread::spawn(move || worker(&p));
        let got: Vec<i32> = (0..3)
            .filter_map(|_| rx.recv_timeout(Duration::from_secs(1)).ok())
            .collect();
        assert_eq!(
            got,
            vec![0, 1, 2],
            "shutdown ends the pool only once the queue is empty"
        );
    }
}
