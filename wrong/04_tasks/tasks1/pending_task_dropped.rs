// wrong answer: a task that answers Pending is not put back in the queue, so it is lost; `ignoring_the_futures_answer_is_rejected` catches it.
//
// An executor runs many futures of many different types. To keep them in one queue it erases
// their types: each future is boxed as `dyn Future<Output = ()> + Send` and pinned on the heap
// (`Box::pin`), which is also where it stays for its whole life, so it is safe to poll. That
// box, plus whatever the executor needs to know about it, is a *task*.
//
// The `Mutex` looks unnecessary today (one thread runs everything), but tasks are shared
// through `Arc`s with wakers that other threads may hold, so `Task` must be `Sync`; a
// `Pin<Box<dyn Future + Send>>` is only `Send`. The lock also guarantees that two threads
// never poll the same future at once.
//
// Fill in `Task::new`, `Task::poll` and `RunQueue::spawn`. `run_round` is given: it polls every
// queued task once, in queue order, and puts the unfinished ones at the back. It uses a no-op
// waker and simply polls everything again next round; the next exercise fixes that.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

struct Task {
    future: Mutex<BoxFuture>,
}

#[derive(Default)]
struct RunQueue {
    tasks: VecDeque<Arc<Task>>,
}

impl Task {
    fn new(future: impl Future<Output = ()> + Send + 'static) -> Arc<Task> {
        Arc::new(Task {
            future: Mutex::new(Box::pin(future)),
        })
    }

    /// Polls the task's future once.
    fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut future = self.future.lock().unwrap();
        future.as_mut().poll(cx)
    }
}

impl RunQueue {
    /// Queues a new task. Nothing runs until `run_round`.
    fn spawn(&mut self, future: impl Future<Output = ()> + Send + 'static) {
        self.tasks.push_back(Task::new(future));
    }

    /// Polls each queued task once. Returns how many of them finished.
    fn run_round(&mut self) -> usize {
        let mut cx = Context::from_waker(Waker::noop());
        let mut finished = 0;
        for _ in 0..self.tasks.len() {
            let task = self.tasks.pop_front().expect("counted above");
            match task.poll(&mut cx) {
                Poll::Ready(()) => finished += 1,
                Poll::Pending => {}
            }
        }
        finished
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    type Log = Arc<Mutex<Vec<&'static str>>>;

    /// Logs `name`, then returns Pending `yields` times before finishing.
    fn job(log: &Log, name: &'static str, mut yields: usize) -> impl Future<Output = ()> + use<> {
        let log = Arc::clone(log);
        let mut logged = false;
        poll_fn(move |_| {
            if !logged {
                log.lock().unwrap().push(name);
                logged = true;
            }
            if yields == 0 {
                return Poll::Ready(());
            }
            yields -= 1;
            Poll::Pending
        })
    }

    #[test]
    fn running_at_spawn_is_rejected() {
        let log = Log::default();
        let mut queue = RunQueue::default();
        queue.spawn(job(&log, "a", 0));
        assert!(log.lock().unwrap().is_empty(), "spawn only queues the task");
        assert_eq!(queue.run_round(), 1);
        assert_eq!(*log.lock().unwrap(), ["a"]);
    }

    #[test]
    fn running_in_lifo_order_is_rejected() {
        let log = Log::default();
        let mut queue = RunQueue::default();
        for name in ["first", "second", "third"] {
            queue.spawn(job(&log, name, 0));
        }
        assert_eq!(queue.run_round(), 3);
        assert_eq!(
            *log.lock().unwrap(),
            ["first", "second", "third"],
            "tasks run in the order they were spawned"
        );
    }

    #[test]
    fn ignoring_the_futures_answer_is_rejected() {
        let log = Log::default();
        let mut queue = RunQueue::default();
        queue.spawn(job(&log, "slow", 2));
        queue.spawn(job(&log, "quick", 0));
        assert_eq!(
            queue.run_round(),
            1,
            "only `quick` finishes in the first round"
        );
        assert_eq!(
            queue.tasks.len(),
            1,
            "`slow` answered Pending and stays queued"
        );
        assert_eq!(queue.run_round(), 0);
        assert_eq!(queue.run_round(), 1);
        assert!(queue.tasks.is_empty());
    }

    #[test]
    fn losing_a_task_of_another_type_is_rejected() {
        let log = Log::default();
        let mut queue = RunQueue::default();
        let inner = Arc::clone(&log);
        queue.spawn(async move { inner.lock().unwrap().push("async block") });
        queue.spawn(job(&log, "poll_fn", 1));
        queue.spawn(std::future::ready(()));
        let mut finished = 0;
        for _ in 0..3 {
            finished += queue.run_round();
        }
        assert_eq!(finished, 3);
        assert_eq!(*log.lock().unwrap(), ["async block", "poll_fn"]);
    }
}
