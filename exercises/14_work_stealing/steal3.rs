// steal3: an idle worker steals half of a busy worker's queue
//
// With local queues, work can pile up on one worker while another has nothing to do. Work
// stealing fixes that: a worker whose own queue is empty picks another worker (the victim) and
// moves half of the victim's jobs into its own queue. Half, not one: after one steal both
// workers have plenty to do and neither needs the other's lock again soon. Not all: the victim
// keeps enough to stay busy.
//
//     before:  worker 0 [j0 j1 j2 j3 j4 j5]     worker 1 [ ]
//     after:   worker 0 [j3 j4 j5]              worker 1 [j0 j1 j2]   (the oldest half moves)
//
// Here each local queue sits behind its own mutex so that others can steal from it (steal4
// replaces it with a lock-free deque). Write `steal_half` and `Worker::next_job`. Do not change
// the tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

pub type Job = Box<dyn FnOnce() + Send>;
pub type Queue = Arc<Mutex<VecDeque<Job>>>;

/// Takes the oldest half of the victim's jobs, rounded up (so a single job can be stolen).
pub fn steal_half(victim: &Mutex<VecDeque<Job>>) -> VecDeque<Job> {
    // TODO: remove the oldest half of the victim's jobs (rounded up) and return them in order.
    todo!()
}

pub struct Worker {
    /// This worker's position in `queues`.
    pub index: usize,
    /// Every worker's queue, this one's included.
    pub queues: Vec<Queue>,
}

impl Worker {
    /// A job from this worker's own queue, or else one stolen from another worker.
    pub fn next_job(&self) -> Option<Job> {
        // TODO: pop from this worker's own queue; if it is empty, go through the other workers
        // and steal half from the first one that has jobs: run one of them (return it) and put
        // the rest into this worker's own queue. Never hold two queue locks at once.
        todo!()
    }

    pub fn run(&self) {
        while let Some(job) = self.next_job() {
            job();
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::thread;
    use std::time::{Duration, Instant};

    type Log = Arc<Mutex<Vec<usize>>>;

    fn queue_of(ids: std::ops::Range<usize>, log: &Log) -> Queue {
        let jobs = ids
            .map(|id| {
                let log = Arc::clone(log);
                Box::new(move || log.lock().unwrap().push(id)) as Job
            })
            .collect();
        Arc::new(Mutex::new(jobs))
    }

    fn run_all(jobs: VecDeque<Job>) {
        for job in jobs {
            job();
        }
    }

    #[test]
    fn stealing_one_or_all_is_rejected() {
        let log = Log::default();
        let victim = queue_of(0..50, &log);
        let stolen = steal_half(&victim);
        assert_eq!(
            (stolen.len(), victim.lock().unwrap().len()),
            (25, 25),
            "(stolen, left with the victim) from a queue of 50: steal half"
        );
        run_all(stolen);
        assert_eq!(
            *log.lock().unwrap(),
            (0..25).collect::<Vec<_>>(),
            "steal the oldest half, in order"
        );
    }

    #[test]
    fn odd_counts_round_up() {
        let log = Log::default();
        let victim = queue_of(0..1, &log);
        assert_eq!(steal_half(&victim).len(), 1, "a lone job must be stealable");
        let victim = queue_of(0..5, &log);
        assert_eq!(steal_half(&victim).len(), 3);
    }

    #[test]
    fn stealing_while_own_queue_has_work_is_rejected() {
        let log = Log::default();
        let queues = vec![queue_of(0..2, &log), queue_of(10..12, &log)];
        let worker = Worker { index: 0, queues };
        worker.next_job().expect("worker 0 has jobs")();
        assert_eq!(
            *log.lock().unwrap(),
            vec![0],
            "a worker runs its own jobs first"
        );
        assert_eq!(
            worker.queues[1].lock().unwrap().len(),
            2,
            "worker 1 was robbed needlessly"
        );
    }

    #[test]
    fn idle_worker_giving_up_while_a_victim_has_work_is_rejected() {
        let log = Log::default();
        let queues = vec![
            queue_of(0..8, &log),
            Queue::default(),
            queue_of(20..24, &log),
        ];
        let worker = Worker { index: 1, queues };
        let job = worker
            .next_job()
            .expect("worker 1's queue is empty but others have jobs: steal instead of None");
        job();
        let lens: Vec<usize> = worker
            .queues
            .iter()
            .map(|q| q.lock().unwrap().len())
            .collect();
        assert_eq!(
            lens,
            vec![4, 3, 4],
            "queue lengths after worker 1 stole half of worker 0's 8 jobs and ran one of them \
             (the rest of the batch goes into worker 1's own queue)"
        );
    }

    /// Runs `next_job` for worker 1 on a thread while the test holds `held`'s lock, waits until
    /// that thread sleeps (it is blocked on the lock the test holds: Linux reports the thread's
    /// state in /proc), and then says whether `other`'s lock was free meanwhile.
    #[cfg(target_os = "linux")]
    fn other_lock_free_while_blocked_on(hold_own: bool) -> bool {
        let log = Log::default();
        let queues = vec![queue_of(0..4, &log), Queue::default()];
        let (victim, own) = (Arc::clone(&queues[0]), Arc::clone(&queues[1]));
        let (held, other) = if hold_own {
            (own, victim)
        } else {
            (victim, own)
        };
        let worker = Worker { index: 1, queues };
        let guard = held.lock().unwrap();
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let thief = thread::spawn(move || {
            tid_tx
                .send(std::fs::read_link("/proc/thread-self").unwrap())
                .unwrap();
            if let Some(job) = worker.next_job() {
                job();
            }
        });
        let stat = std::path::Path::new("/proc")
            .join(tid_rx.recv().unwrap())
            .join("stat");
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&stat).unwrap_or_default();
            let state = text
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.chars().next());
            if state == Some('S') {
                break;
            }
            if thief.is_finished() {
                drop(guard);
                match thief.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => panic!("next_job returned without the queue lock the test holds"),
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "next_job never waited for a queue lock the test holds"
            );
            thread::sleep(Duration::from_millis(1));
        }
        let free = other.try_lock().is_ok();
        drop(guard);
        thief.join().unwrap();
        free
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn holding_two_queue_locks_while_stealing_is_rejected() {
        assert!(
            other_lock_free_while_blocked_on(false),
            "worker 1 kept its own queue locked while it waited for the victim's lock: two \
             workers stealing from each other that way deadlock. Release your own queue before \
             calling steal_half"
        );
        assert!(
            other_lock_free_while_blocked_on(true),
            "worker 1 kept the victim's queue locked while it waited for its own queue's lock: \
             two workers stealing from each other that way deadlock. Hold one queue lock at a \
             time"
        );
    }

    #[test]
    fn loaded_worker_gets_help() {
        let log = Log::default();
        let helpers: Arc<Mutex<Vec<thread::ThreadId>>> = Arc::default();
        let loaded = queue_of(1..50, &log);
        // Worker 0's first job blocks until some other thread has run a job (at most 1 s), so
        // the 49 jobs behind it finish only if worker 1 steals them.
        let (l, h) = (Arc::clone(&log), Arc::clone(&helpers));
        loaded.lock().unwrap().push_front(Box::new(move || {
            let me = thread::current().id();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(1)
                && !h.lock().unwrap().iter().any(|t| *t != me)
            {
                thread::sleep(Duration::from_millis(1));
            }
            l.lock().unwrap().push(0);
        }));
        let queues = vec![loaded, Queue::default()];
        let threads: Vec<_> = (0..2)
            .map(|index| {
                let worker = Worker {
                    index,
                    queues: queues.clone(),
                };
                let helpers = Arc::clone(&helpers);
                thread::spawn(move || {
                    while let Some(job) = worker.next_job() {
                        helpers.lock().unwrap().push(thread::current().id());
                        job();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut ran = log.lock().unwrap().clone();
        ran.sort();
        assert_eq!(ran, (0..50).collect::<Vec<_>>(), "every job runs once");
        let distinct: HashSet<_> = helpers.lock().unwrap().iter().copied().collect();
        assert_eq!(
            distinct.len(),
            2,
            "worker 1 never ran a job: it must steal from worker 0"
        );
    }
}
