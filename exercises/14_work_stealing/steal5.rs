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
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

pub type Job = Box<dyn FnOnce() + Send>;
pub type LockHook = Box<dyn Fn(&Pool) + Send + Sync>;

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
    /// How many times `unpark_one` and `unpark_all` were called.
    pub unpark_ones: AtomicUsize,
    pub unpark_alls: AtomicUsize,
    /// How many times `unpark_one` was called while the queue (seen unlocked) was empty: a
    /// worker woken then finds nothing to do.
    pub unparks_with_nothing_queued: AtomicUsize,
    /// For the tests: called at the start of every `lock`, before the lock is taken.
    pub on_lock: OnceLock<LockHook>,
}

impl Pool {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.locks.fetch_add(1, Ordering::SeqCst);
        if let Some(hook) = self.on_lock.get() {
            hook(self);
        }
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
        self.unpark_ones.fetch_add(1, Ordering::SeqCst);
        // Busy means the caller still holds the lock: the woken worker cannot look before the
        // caller is done, so that order is fine.
        if let Ok(state) = self.state.try_lock()
            && state.jobs.is_empty()
            && !state.shutdown
        {
            self.unparks_with_nothing_queued
                .fetch_add(1, Ordering::SeqCst);
        }
        self.available.notify_one();
    }

    pub fn unpark_all(&self) {
        self.unpark_alls.fetch_add(1, Ordering::SeqCst);
        self.available.notify_all();
    }

    pub fn spawn(&self, job: impl FnOnce() + Send + 'static) {
        // TODO: queue the job and unpark one parked worker.
        todo!()
    }

    /// Blocks until there is a job (`Some`) or the pool is shut down with no job left (`None`).
    pub fn next_job(&self) -> Option<Job> {
        // TODO: a job if there is one; None if the pool is shut down; otherwise park and look
        // again. Do the check and the park under the same lock.
        todo!()
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

    /// How long a test waits for something that takes a correct pool microseconds.
    const WAIT: Duration = Duration::from_millis(500);

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

    /// Waits (at most 0.5 s) until `n` workers are parked.
    fn wait_parked(pool: &Pool, exited: &mpsc::Receiver<()>, n: usize) {
        let start = Instant::now();
        while pool.parked.load(Ordering::SeqCst) < n {
            assert!(
                exited.try_recv().is_err(),
                "a worker stopped although the pool was not shut down (did next_job panic, or \
                 return None for an empty queue?)"
            );
            let locks = pool.locks.load(Ordering::SeqCst);
            assert!(
                locks < 100,
                "idle workers locked the queue {locks} times without parking: they poll. With \
                 an empty queue, next_job must call park"
            );
            assert!(
                start.elapsed() < WAIT,
                "an idle worker never parked: with an empty queue, next_job must call park"
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    fn stop(pool: &Pool, exited: &mpsc::Receiver<()>, workers: usize) {
        pool.shutdown();
        for _ in 0..workers {
            exited.recv_timeout(WAIT).expect(
                "a worker was still running 0.5 s after shutdown: next_job must return None once \
                 the pool is shut down and empty",
            );
        }
    }

    #[test]
    fn spinning_while_idle_is_rejected() {
        let (pool, exited) = start(2);
        // A worker that polls the queue instead of parking never gets here.
        wait_parked(&pool, &exited, 2);
        let locks = pool.locks.load(Ordering::SeqCst);
        assert!(
            locks <= 2,
            "two idle workers locked the queue {locks} times before both parked: each needs \
             one lock to look and park (looking, unlocking and locking again to park leaves a \
             gap where a wake-up is lost)"
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
            rx.recv_timeout(WAIT),
            Ok("ran"),
            "the only worker was parked and the spawned job never ran: spawn must unpark it"
        );
        stop(&pool, &exited, 1);
    }

    #[test]
    fn unparking_before_pushing_the_job_is_rejected() {
        let (pool, exited) = start(1);
        wait_parked(&pool, &exited, 1);
        let (tx, rx) = mpsc::channel();
        pool.spawn(move || tx.send(()).unwrap());
        rx.recv_timeout(WAIT).expect("the job never ran");
        assert_eq!(
            pool.unparks_with_nothing_queued.load(Ordering::SeqCst),
            0,
            "spawn unparked the worker while the queue was still empty: the worker may look \
             before the push, find nothing and park again next to the job. Push, then unpark"
        );
        stop(&pool, &exited, 1);
    }

    #[test]
    fn waking_every_worker_for_one_job_is_rejected() {
        let (pool, exited) = start(3);
        wait_parked(&pool, &exited, 3);
        let (tx, rx) = mpsc::channel();
        pool.spawn(move || tx.send(()).unwrap());
        rx.recv_timeout(WAIT).expect("the job never ran");
        let (ones, alls) = (
            pool.unpark_ones.load(Ordering::SeqCst),
            pool.unpark_alls.load(Ordering::SeqCst),
        );
        assert!(
            ones == 1 && alls == 0,
            "one spawn called unpark_one {ones} times and unpark_all {alls} times: one job \
             needs one worker, so unpark one; the others would only go back to sleep"
        );
        stop(&pool, &exited, 3);
    }

    #[test]
    fn lost_wake_up_between_check_and_park_is_rejected() {
        let pool = Arc::new(Pool::default());
        // The worker's second lock, if it takes one before parking, is where a spawn from
        // elsewhere lands in the gap between "the queue is empty" and "parked".
        let test_thread = thread::current().id();
        let worker_locks = AtomicUsize::new(0);
        let _ = pool.on_lock.set(Box::new(move |pool: &Pool| {
            if thread::current().id() != test_thread
                && worker_locks.fetch_add(1, Ordering::SeqCst) == 1
            {
                pool.spawn(|| {});
            }
        }));
        let (exited_tx, exited) = mpsc::channel();
        let p = Arc::clone(&pool);
        thread::spawn(move || {
            let _signal = ExitSignal(exited_tx);
            worker(&p);
        });
        wait_parked(&pool, &exited, 1);
        let queued = pool.lock().jobs.len();
        assert_eq!(
            queued, 0,
            "the worker parked while a job was queued: a spawn came between its empty check \
             and its park, and its wake-up found nobody parked. Check and park under one lock"
        );
        stop(&pool, &exited, 1);
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
                rx.recv_timeout(WAIT),
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
        let (exited_tx, exited) = mpsc::channel();
        let p = Arc::clone(&pool);
        thread::spawn(move || {
            let _signal = ExitSignal(exited_tx);
            worker(&p);
        });
        exited
            .recv_timeout(WAIT)
            .expect("a shut-down pool's worker kept running");
        let got: Vec<i32> = rx.try_iter().collect();
        assert_eq!(
            got,
            vec![0, 1, 2],
            "shutdown ends the pool only once the queue is empty"
        );
    }
}
