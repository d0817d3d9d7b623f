// wrong answer: find_task robs the other workers before looking at the injector; injector_before_other_workers catches it.
// steal4: the same scheduler on crossbeam's lock-free deques
//
// steal3 put a mutex around every local queue. `crossbeam_deque` provides the real thing:
//
//   - `Worker<T>`: a worker's own queue. Only its thread pushes and pops, without locking.
//   - `Stealer<T>`: a handle to someone else's `Worker`, shareable across threads. Others steal
//     from it.
//   - `Injector<T>`: the global queue everyone can push to and steal from.
//
// `steal_batch_and_pop(&local)` moves a batch (about half) into `local` and hands you one task at
// once: one call does what steal3's `steal_half` + `pop_front` did. A steal returns a `Steal<T>`:
// `Success(task)`, `Empty`, or `Retry`. `Retry` means "lost a race with another thief, there may
// well be work": it is not `Empty`, so go around again instead of giving up.
//
// Write `find_task`: own queue first, then the injector, then the other workers. Tasks are
// plain numbers here; a runtime would put `Arc<Task>` in the same deques.

use crossbeam_deque::{Injector, Steal, Stealer, Worker};

/// What `find_task` steals from: crossbeam's `Injector` and `Stealer` (and, in the tests, a
/// source that answers `Retry` on demand, which real deques only do under contention).
pub trait Source<T> {
    /// One task.
    fn steal(&self) -> Steal<T>;
    /// A batch moved into `dest`, and one task of it.
    fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T>;
}

impl<T> Source<T> for Injector<T> {
    fn steal(&self) -> Steal<T> {
        Injector::steal(self)
    }

    fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
        Injector::steal_batch_and_pop(self, dest)
    }
}

impl<T> Source<T> for Stealer<T> {
    fn steal(&self) -> Steal<T> {
        Stealer::steal(self)
    }

    fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
        Stealer::steal_batch_and_pop(self, dest)
    }
}

/// The next task for the worker owning `local`, or `None` once there is no task anywhere.
pub fn find_task<T>(
    local: &Worker<T>,
    injector: &impl Source<T>,
    stealers: &[impl Source<T>],
) -> Option<T> {
    if let Some(task) = local.pop() {
        return Some(task);
    }
    loop {
        let mut retry = false;
        for stealer in stealers {
            match stealer.steal_batch_and_pop(local) {
                Steal::Success(task) => return Some(task),
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
        }
        match injector.steal_batch_and_pop(local) {
            Steal::Success(task) => return Some(task),
            Steal::Retry => retry = true,
            Steal::Empty => {}
        }
        // Only when every source answered `Empty` is there really nothing to do.
        if !retry {
            return None;
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;

    const NO_STEALERS: &[Stealer<i32>] = &[];

    /// Answers `Retry` a given number of times, then hands out its tasks (`Empty` after them).
    struct Contended {
        retries: AtomicUsize,
        tasks: std::sync::Mutex<Vec<i32>>,
    }

    fn contended(retries: usize, tasks: &[i32]) -> Contended {
        Contended {
            retries: AtomicUsize::new(retries),
            tasks: std::sync::Mutex::new(tasks.iter().rev().copied().collect()),
        }
    }

    impl Source<i32> for Contended {
        fn steal_batch_and_pop(&self, _dest: &Worker<i32>) -> Steal<i32> {
            self.steal()
        }

        fn steal(&self) -> Steal<i32> {
            if self
                .retries
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Steal::Retry;
            }
            match self.tasks.lock().unwrap().pop() {
                Some(task) => Steal::Success(task),
                None => Steal::Empty,
            }
        }
    }

    #[test]
    fn retry_from_the_injector_taken_as_empty_is_rejected() {
        let local = Worker::new_fifo();
        let injector = contended(2, &[42]);
        assert_eq!(
            find_task(&local, &injector, NO_STEALERS),
            Some(42),
            "the injector answered Retry (a race with another thief) and then had a task: Retry \
             is not Empty, try the round again"
        );
    }

    #[test]
    fn retry_from_a_worker_taken_as_empty_is_rejected() {
        let local = Worker::new_fifo();
        let stealers = [contended(0, &[]), contended(1, &[7])];
        assert_eq!(
            find_task(&local, &Injector::new(), &stealers),
            Some(7),
            "the last worker answered Retry and then had a task: a round with a Retry is not a \
             round of Empty, go around again before returning None"
        );
    }

    #[test]
    fn own_queue_comes_first() {
        let local = Worker::new_fifo();
        let injector = Injector::new();
        local.push(1);
        injector.push(100);
        assert_eq!(find_task(&local, &injector, NO_STEALERS), Some(1));
        assert_eq!(
            injector.len(),
            1,
            "the injector was used while the own queue had work"
        );
    }

    #[test]
    fn taking_one_task_at_a_time_from_the_injector_is_rejected() {
        let local = Worker::new_fifo();
        let injector = Injector::new();
        for i in 0..10 {
            injector.push(i);
        }
        assert_eq!(find_task(&local, &injector, NO_STEALERS), Some(0));
        assert!(
            !local.is_empty(),
            "one task was taken from an injector of 10 and none moved to the local queue: use \
             steal_batch_and_pop, so the next tasks need no trip to the shared queue"
        );
    }

    #[test]
    fn never_stealing_from_other_workers_is_rejected() {
        let local = Worker::new_fifo();
        let injector = Injector::new();
        let busy = Worker::new_fifo();
        for i in 0..10 {
            busy.push(i);
        }
        let stealers = [busy.stealer()];
        assert_eq!(
            find_task(&local, &injector, &stealers),
            Some(0),
            "the injector is empty but another worker has 10 tasks: steal from it"
        );
        assert!(
            !local.is_empty(),
            "steal a batch from the other worker, not a single task"
        );
        assert!(!busy.is_empty(), "the victim must keep some of its tasks");
    }

    #[test]
    fn injector_before_other_workers() {
        let local = Worker::new_fifo();
        let injector = Injector::new();
        injector.push(7);
        let busy = Worker::new_fifo();
        busy.push(8);
        assert_eq!(find_task(&local, &injector, &[busy.stealer()]), Some(7));
    }

    #[test]
    fn none_when_there_is_nothing_anywhere() {
        let local = Worker::<u32>::new_fifo();
        let other = Worker::new_fifo();
        assert_eq!(
            find_task(&local, &Injector::new(), &[other.stealer()]),
            None
        );
    }

    #[test]
    fn two_threads_run_every_task_once() {
        const TASKS: usize = 2000;
        let injector = Arc::new(Injector::new());
        for i in 0..TASKS {
            injector.push(i);
        }
        let runs: Arc<Vec<AtomicUsize>> =
            Arc::new((0..TASKS).map(|_| AtomicUsize::new(0)).collect());
        let workers: Vec<Worker<usize>> = (0..2).map(|_| Worker::new_fifo()).collect();
        let stealers: Vec<Stealer<usize>> = workers.iter().map(Worker::stealer).collect();
        let threads: Vec<_> = workers
            .into_iter()
            .enumerate()
            .map(|(me, local)| {
                let (injector, runs) = (Arc::clone(&injector), Arc::clone(&runs));
                let others: Vec<_> = stealers
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != me)
                    .map(|(_, s)| s.clone())
                    .collect();
                thread::spawn(move || {
                    while let Some(task) = find_task(&local, &*injector, &others) {
                        runs[task].fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let wrong: Vec<usize> = (0..TASKS)
            .filter(|&i| runs[i].load(Ordering::SeqCst) != 1)
            .collect();
        assert!(wrong.is_empty(), "tasks not run exactly once: {wrong:?}");
    }
}
