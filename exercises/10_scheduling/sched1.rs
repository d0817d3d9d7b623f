// sched1: an executor whose tasks wake themselves
//
// A task is a future plus the way back to its executor's queue. Make `Task` implement the
// standard `Wake` trait, and `Waker::from(task)` becomes a waker whose `wake` puts the task back
// on the queue: no `unsafe`, no vtable. The executor then just pops tasks in the order they were
// woken (first woken, first polled) and polls each once.
//
//   spawn ──► [ t0 t1 t2 ] ──pop front──► poll ──Pending, woke itself──► push back
//                                              └─Ready──► drop the future
//
// Implement `Wake for Task`, `Executor::next_task` and `Executor::run`.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
type Queue = Arc<Mutex<VecDeque<Arc<Task>>>>;

pub struct Task {
    /// `None` once the future has finished.
    future: Mutex<Option<BoxFuture>>,
    queue: Queue,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        // TODO: put this task at the back of its executor's queue.
        todo!()
    }
}

#[derive(Default)]
pub struct Executor {
    queue: Queue,
}

impl Executor {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        let task = Arc::new(Task {
            future: Mutex::new(Some(Box::pin(future))),
            queue: self.queue.clone(),
        });
        self.queue.lock().unwrap().push_back(task);
    }

    /// The task that was woken earliest, if any. The queue's lock is released on return.
    fn next_task(&self) -> Option<Arc<Task>> {
        // TODO: lock the queue and take the task woken earliest.
        todo!()
    }

    /// Polls woken tasks, one poll each, until the queue is empty.
    pub fn run(&self) {
        // TODO: for each task from `next_task`: make a waker from the task (`Waker::from`),
        // poll its future once if it still has one, and drop the future when it is Ready.
        todo!()
    }
}

/// Returns `Pending` once, waking its task first, then `Ready`.
pub struct YieldNow(bool);

pub fn yield_now() -> YieldNow {
    YieldNow(false)
}

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    type Log = Arc<Mutex<Vec<(usize, usize)>>>;

    fn log() -> Log {
        Arc::new(Mutex::new(Vec::new()))
    }

    /// Runs the executor on a thread of its own, for at most 0.3 s: an executor that keeps the
    /// queue locked while it polls deadlocks as soon as a task wakes itself, and that must
    /// fail the test rather than hang it. A panic inside `run` comes back as `Err`.
    fn run_on_a_thread(ex: Executor) -> std::thread::Result<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = std::thread::spawn(move || {
            ex.run();
            let _ = tx.send(());
        });
        match rx.recv_timeout(std::time::Duration::from_millis(300)) {
            Ok(()) => Ok(()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => handle.join(),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                "run was stuck for 0.3 s: it kept the queue locked while polling, and a task \
                 that wakes itself needs that lock to queue itself again. Take the task out \
                 with next_task (which releases the lock), then poll it"
            ),
        }
    }

    /// Like `yield_now`, but it first checks that the queue is not locked while it is polled:
    /// its wake is about to lock it, and a `run` that holds the lock would deadlock.
    fn yield_checking_the_queue(queue: &Queue) -> impl Future<Output = ()> + Send + 'static {
        let queue = queue.clone();
        let mut yielded = false;
        std::future::poll_fn(move |cx| {
            if yielded {
                return Poll::Ready(());
            }
            assert!(
                queue.try_lock().is_ok(),
                "run polled a task while holding the queue's lock, so the task's wake would \
                 deadlock: take the task out with next_task (which releases it), then poll"
            );
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    }

    fn run(ex: Executor) {
        if let Err(panic) = run_on_a_thread(ex) {
            std::panic::resume_unwind(panic);
        }
    }

    #[test]
    fn lifo_order_is_rejected() {
        let ex = Executor::new();
        let log = log();
        for id in 0..3 {
            let log = log.clone();
            ex.spawn(async move { log.lock().unwrap().push((id, 0)) });
        }
        run(ex);
        assert_eq!(
            *log.lock().unwrap(),
            [(0, 0), (1, 0), (2, 0)],
            "tasks must run first-in, first-out"
        );
    }

    #[test]
    fn woken_task_jumping_the_queue_is_rejected() {
        let ex = Executor::new();
        let log = log();
        let queue = ex.queue.clone();
        for id in 0..3 {
            let (log, queue) = (log.clone(), queue.clone());
            ex.spawn(async move {
                log.lock().unwrap().push((id, 0));
                yield_checking_the_queue(&queue).await;
                log.lock().unwrap().push((id, 1));
            });
        }
        run(ex);
        assert_eq!(
            *log.lock().unwrap(),
            [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)],
            "a woken task goes to the back of the queue, behind the tasks already waiting"
        );
    }

    #[test]
    fn wake_that_does_not_requeue_is_rejected() {
        let ex = Executor::new();
        let log = log();
        let queue = ex.queue.clone();
        let l = log.clone();
        ex.spawn(async move {
            for step in 0..5 {
                yield_checking_the_queue(&queue).await;
                l.lock().unwrap().push((0, step));
            }
        });
        run(ex);
        assert_eq!(
            log.lock().unwrap().len(),
            5,
            "a task that yielded was never polled again: wake must requeue it"
        );
    }

    #[test]
    fn polling_a_finished_task_again_is_rejected() {
        let ex = Executor::new();
        let stored: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let s = stored.clone();
        // Finishes on its first poll, but leaves a copy of its waker behind...
        ex.spawn(async move {
            std::future::poll_fn(|cx| {
                *s.lock().unwrap() = Some(cx.waker().clone());
                Poll::Ready(())
            })
            .await
        });
        // ...which another task then calls, putting the finished task back on the queue.
        let s = stored.clone();
        ex.spawn(async move {
            let late = s.lock().unwrap().take();
            late.expect("the first task ran first").wake();
        });
        let result = run_on_a_thread(ex);
        assert!(
            result.is_ok(),
            "a finished task was polled again after a late wake: skip tasks whose future is gone"
        );
    }
}
