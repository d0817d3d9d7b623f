// wrong answer: a job spawned on a worker goes to the shared injector instead of the worker's local queue; spawn_from_a_worker_going_to_the_injector_is_rejected catches it.
// steal2: a local queue per worker, plus a global injector
//
// To take the shared lock out of the common path, each worker gets its own queue that only it
// touches, so it needs no lock at all. One shared queue stays, the injector, for jobs that come
// from outside the workers (from `main`, from another thread). A job that spawns a job while it
// runs on a worker puts the new job on *that worker's* local queue: it is cheap, and the child's
// data is probably still in this core's cache.
//
//     outside ──push──► Injector (Mutex)      worker A: local [..] ◄── spawn from a job on A
//                          │   ▲                    next_job: local first, then injector
//                          └───┴──── worker B: local [..]
//
// A worker looks at its own queue first and at the injector only when the local queue is empty.
// Write `Worker::spawn` and `Worker::next_job`. Do not change the tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A job gets the worker it runs on, so it can spawn more jobs there.
pub type Job = Box<dyn FnOnce(&mut Worker) + Send>;

#[derive(Default)]
pub struct Injector {
    jobs: Mutex<VecDeque<Job>>,
}

impl Injector {
    pub fn push(&self, job: impl FnOnce(&mut Worker) + Send + 'static) {
        self.jobs.lock().unwrap().push_back(Box::new(job));
    }

    pub fn pop(&self) -> Option<Job> {
        self.jobs.lock().unwrap().pop_front()
    }

    pub fn len(&self) -> usize {
        self.jobs.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every this many calls to `next_job`, a worker looks at the injector before its own queue.
/// Without it, a worker whose jobs keep spawning jobs would never look at the injector, and the
/// jobs waiting there would starve. (tokio's workers do the same with their global queue.)
pub const GLOBAL_QUEUE_INTERVAL: u32 = 61;

pub struct Worker {
    pub local: VecDeque<Job>,
    pub injector: Arc<Injector>,
    /// How many times `next_job` has been called.
    pub tick: u32,
}

impl Worker {
    pub fn new(injector: Arc<Injector>) -> Self {
        Worker {
            local: VecDeque::new(),
            injector,
            tick: 0,
        }
    }

    /// Spawns a job from code running on this worker.
    pub fn spawn(&mut self, job: impl FnOnce(&mut Worker) + Send + 'static) {
        // No lock: only this worker's thread touches `local`.
        self.injector.push(job);
    }

    /// The next job for this worker, oldest first: its own queue, then the injector; but on
    /// every `GLOBAL_QUEUE_INTERVAL`-th call, the injector first.
    pub fn next_job(&mut self) -> Option<Job> {
        self.tick = self.tick.wrapping_add(1);
        if self.tick.is_multiple_of(GLOBAL_QUEUE_INTERVAL)
            && let Some(job) = self.injector.pop()
        {
            // Now and then the injector goes first, so a busy local queue cannot starve it.
            return Some(job);
        }
        self.local.pop_front().or_else(|| self.injector.pop())
    }

    /// Runs jobs until both the local queue and the injector are empty.
    pub fn run(&mut self) {
        while let Some(job) = self.next_job() {
            job(self);
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;

    #[test]
    fn spawn_from_a_worker_going_to_the_injector_is_rejected() {
        let injector = Arc::new(Injector::default());
        let seen = Arc::new(Mutex::new(None));
        let s = Arc::clone(&seen);
        injector.push(move |w: &mut Worker| {
            w.spawn(|_: &mut Worker| {});
            *s.lock().unwrap() = Some((w.local.len(), w.injector.len()));
        });
        Worker::new(Arc::clone(&injector)).run();
        assert_eq!(
            *seen.lock().unwrap(),
            Some((1, 0)),
            "(local, injector) lengths right after a job spawned a child: the child belongs on \
             the worker's local queue, not the shared injector"
        );
    }

    #[test]
    fn injector_before_local_is_rejected() {
        let injector = Arc::new(Injector::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let o = Arc::clone(&order);
        injector.push(move |w: &mut Worker| {
            o.lock().unwrap().push("a");
            let o = Arc::clone(&o);
            w.spawn(move |_: &mut Worker| o.lock().unwrap().push("child of a"));
        });
        let o = Arc::clone(&order);
        injector.push(move |_: &mut Worker| o.lock().unwrap().push("b"));
        Worker::new(injector).run();
        assert_eq!(
            *order.lock().unwrap(),
            vec!["a", "child of a", "b"],
            "a worker must empty its own queue before it takes from the injector"
        );
    }

    #[test]
    fn local_queue_out_of_order_is_rejected() {
        let injector = Arc::new(Injector::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let o = Arc::clone(&order);
        injector.push(move |w: &mut Worker| {
            for i in 0..4 {
                let o = Arc::clone(&o);
                w.spawn(move |_: &mut Worker| o.lock().unwrap().push(i));
            }
        });
        Worker::new(injector).run();
        assert_eq!(
            *order.lock().unwrap(),
            vec![0, 1, 2, 3],
            "local jobs run oldest first"
        );
    }

    #[test]
    fn injector_checked_only_when_local_is_empty_is_rejected() {
        // One job that always spawns a successor keeps the local queue busy for 1000 turns.
        // Two jobs wait in the injector; each must be taken within GLOBAL_QUEUE_INTERVAL turns.
        let injector = Arc::new(Injector::default());
        let local_turns = Arc::new(AtomicUsize::new(0));
        let taken_at = Arc::new(Mutex::new(Vec::new()));
        fn busy(turns: Arc<AtomicUsize>) -> impl FnOnce(&mut Worker) + Send + 'static {
            move |w: &mut Worker| {
                if turns.fetch_add(1, Ordering::SeqCst) < 1000 {
                    w.spawn(busy(turns));
                }
            }
        }
        injector.push(busy(Arc::clone(&local_turns)));
        for _ in 0..2 {
            let (turns, taken_at) = (Arc::clone(&local_turns), Arc::clone(&taken_at));
            injector.push(move |_: &mut Worker| {
                taken_at.lock().unwrap().push(turns.load(Ordering::SeqCst));
            });
        }
        Worker::new(injector).run();
        let taken_at = taken_at.lock().unwrap().clone();
        let limit = GLOBAL_QUEUE_INTERVAL as usize;
        assert!(
            taken_at.len() == 2 && taken_at[0] <= limit && taken_at[1] - taken_at[0] <= limit,
            "the injected jobs ran after {taken_at:?} local jobs, while the local queue was \
             never empty: every GLOBAL_QUEUE_INTERVAL ({limit}) calls, next_job must look at \
             the injector first, or a busy worker starves it"
        );
    }

    #[test]
    fn injector_first_too_often_is_rejected() {
        let injector = Arc::new(Injector::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let o = Arc::clone(&order);
        injector.push(move |w: &mut Worker| {
            for i in 0..10 {
                let o = Arc::clone(&o);
                w.spawn(move |_: &mut Worker| o.lock().unwrap().push(i));
            }
        });
        let o = Arc::clone(&order);
        injector.push(move |_: &mut Worker| o.lock().unwrap().push(99));
        Worker::new(injector).run();
        assert_eq!(
            *order.lock().unwrap(),
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99],
            "within its first GLOBAL_QUEUE_INTERVAL calls, next_job takes local jobs first; \
             the injector goes first only on every GLOBAL_QUEUE_INTERVAL-th call"
        );
    }

    #[test]
    fn two_worker_threads_run_every_job_once() {
        let injector = Arc::new(Injector::default());
        let ran = Arc::new(AtomicUsize::new(0));
        for _ in 0..100 {
            let ran = Arc::clone(&ran);
            injector.push(move |w: &mut Worker| {
                for _ in 0..2 {
                    let ran = Arc::clone(&ran);
                    w.spawn(move |_: &mut Worker| {
                        ran.fetch_add(1, Ordering::SeqCst);
                    });
                }
                ran.fetch_add(1, Ordering::SeqCst);
            });
        }
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let injector = Arc::clone(&injector);
                thread::spawn(move || Worker::new(injector).run())
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(
            ran.load(Ordering::SeqCst),
            300,
            "100 jobs and their 200 children"
        );
    }
}
