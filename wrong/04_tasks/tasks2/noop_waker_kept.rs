// wrong answer: wake() is written but run() still polls with the no-op waker; `polling_with_a_waker_that_forgets_the_task_is_rejected` catches it.
// tasks2: a task's waker puts the task back on the run queue
//
// The previous executor polled every unfinished task every round, woken or not. A real one
// polls a task only after its waker was called: the waker *is* the task, and waking it means
// "push me back on the run queue". A task that is waiting is on no queue at all; it is kept
// alive only by the wakers that other code (a timer, a socket, a channel) holds.
//
//   run queue: [ t1 t2 ]  --pop t1, poll--> Pending, t1's waker given to a timer
//   run queue: [ t2 ]                       ... later the timer calls wake() ...
//   run queue: [ t2 t1 ]  <--push t1--
//
// Two TODOs: implement `Wake` for `Task` (push the task onto its queue), and in `Task::run`,
// poll the future with a waker made from the task itself.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
type Queue = Arc<Mutex<VecDeque<Arc<Task>>>>;

struct Task {
    future: Mutex<BoxFuture>,
    /// The queue this task goes back to when woken.
    queue: Queue,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        let queue = Arc::clone(&self.queue);
        queue.lock().unwrap().push_back(self);
    }
}

impl Task {
    /// Polls the task once. If it answers Pending, only its waker can bring it back.
    fn run(self: &Arc<Self>) -> Poll<()> {
        let waker = Waker::noop().clone();
        let mut cx = Context::from_waker(&waker);
        self.future.lock().unwrap().as_mut().poll(&mut cx)
    }
}

#[derive(Default)]
struct Executor {
    queue: Queue,
}

impl Executor {
    fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        let task = Arc::new(Task {
            future: Mutex::new(Box::pin(future)),
            queue: Arc::clone(&self.queue),
        });
        self.queue.lock().unwrap().push_back(task);
    }

    fn queued(&self) -> usize {
        self.queue.lock().unwrap().len()
    }

    /// Runs the task at the front of the queue, if any. Returns false when the queue is empty.
    fn run_one(&self) -> bool {
        // The lock is released before the task runs: its waker may need the queue.
        let next = self.queue.lock().unwrap().pop_front();
        match next {
            Some(task) => {
                let _ = task.run();
                true
            }
            None => false,
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Runs `f` on its own thread and fails (instead of hanging) if it does not finish: a task
    /// that is polled from inside its own wake would wait on its own lock forever.
    fn finishes(what: &str, f: impl FnOnce() + Send + 'static) {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            f();
            let _ = tx.send(());
        });
        match rx.recv_timeout(Duration::from_millis(300)) {
            Ok(()) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "{what}: stuck. Does wake() poll the task right away (the task is already \
                 being polled, and waits on its own lock)? wake() only puts it on the queue"
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: failed (see above)"),
        }
    }

    /// Pending `n` times, waking itself each time, then Ready. Logs `name` on every poll.
    fn self_waking(
        name: &'static str,
        mut n: usize,
        log: &Arc<Mutex<Vec<&'static str>>>,
    ) -> impl Future<Output = ()> + use<> {
        let log = Arc::clone(log);
        poll_fn(move |cx| {
            log.lock().unwrap().push(name);
            if n == 0 {
                return Poll::Ready(());
            }
            n -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    }

    type Slot = Arc<Mutex<Option<Waker>>>;

    /// Pending until someone takes the waker out of `slot` and wakes it.
    fn waits_for_outside_wake(slot: &Slot) -> impl Future<Output = ()> + use<> {
        let slot = Arc::clone(slot);
        let mut waited = false;
        poll_fn(move |cx| {
            if waited {
                return Poll::Ready(());
            }
            waited = true;
            *slot.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        })
    }

    #[test]
    fn wake_that_does_not_requeue_is_rejected() {
        finishes("a task that wakes itself", || {
            let executor = Executor::default();
            executor.spawn(self_waking("a", 1, &Arc::default()));
            assert!(executor.run_one());
            assert_eq!(
                executor.queued(),
                1,
                "the task woke itself while it ran: its waker must have put it back on the queue"
            );
            assert!(executor.run_one());
            assert_eq!(executor.queued(), 0, "a finished task is not queued again");
        });
    }

    #[test]
    fn polling_with_a_waker_that_forgets_the_task_is_rejected() {
        finishes("a task woken from outside", || {
            let executor = Executor::default();
            let slot = Slot::default();
            executor.spawn(waits_for_outside_wake(&slot));
            assert!(executor.run_one());
            assert_eq!(executor.queued(), 0, "a waiting task sits on no queue");
            let waker = slot
                .lock()
                .unwrap()
                .take()
                .expect("the future stored its waker");
            waker.wake();
            assert_eq!(
                executor.queued(),
                1,
                "waking the waker a task was polled with must queue that task"
            );
            assert!(executor.run_one());
            assert_eq!(executor.queued(), 0);
        });
    }

    #[test]
    fn queueing_twice_per_wake_is_rejected() {
        finishes("a task that wakes itself three times", || {
            let executor = Executor::default();
            executor.spawn(self_waking("a", 3, &Arc::default()));
            let mut runs = 0;
            while executor.run_one() {
                runs += 1;
                assert!(runs <= 4, "one wake must queue the task once");
            }
            assert_eq!(runs, 4, "three Pendings and a Ready: four runs");
        });
    }

    #[test]
    fn woken_task_jumping_the_queue_is_rejected() {
        finishes("two tasks, one waking itself", || {
            let executor = Executor::default();
            let log = Arc::default();
            executor.spawn(self_waking("a", 1, &log));
            executor.spawn(self_waking("b", 0, &log));
            while executor.run_one() {}
            assert_eq!(
                *log.lock().unwrap(),
                ["a", "b", "a"],
                "a woken task goes to the back of the queue, behind the tasks already waiting"
            );
        });
    }

    #[test]
    fn wake_from_another_thread_lost_is_rejected() {
        finishes("a task woken from another thread", || {
            let executor = Executor::default();
            let slot = Slot::default();
            executor.spawn(waits_for_outside_wake(&slot));
            executor.run_one();
            let waker = slot.lock().unwrap().take().unwrap();
            std::thread::spawn(move || waker.wake()).join().unwrap();
            assert_eq!(executor.queued(), 1);
        });
    }
}
