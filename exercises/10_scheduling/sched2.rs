// sched2: one queue entry per task
//
// A task can be woken many times before it runs: a future that joins two children is woken by
// each, a socket fires several events. If every wake pushes another copy of the task, the queue
// fills with duplicates of the noisy task, and each duplicate is a poll that a quiet task waits
// behind. The fix runtimes use is one flag per task, "already queued":
//
//   wake:  if !queued.swap(true) { push_back(task) }      (second wake while queued: no-op)
//   run:   pop task; queued.store(false); poll            (clear BEFORE polling, so a wake
//                                                          during the poll queues it again)
//
// Implement the flag in `Wake for Task` and in `Executor::run`. The tests check that a task that
// yields 1,000 times, waking itself twice each time, does not starve a quick task.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
type Queue = Arc<Mutex<VecDeque<Arc<Task>>>>;

pub struct Task {
    future: Mutex<Option<BoxFuture>>,
    queue: Queue,
    /// True while the task sits in the queue.
    queued: QueuedFlag,
}

/// An `AtomicBool` with the operations this exercise needs. One addition, for the tests: they
/// can make the first two `load`s wait for each other after reading, to check that no wake
/// reads the flag in one step and sets it in another (two wakes could both read `false`).
#[derive(Default)]
pub struct QueuedFlag {
    value: AtomicBool,
    /// `Some(n)`: the first two loads meet here, `n` of them have arrived.
    meet: Mutex<Option<usize>>,
    met: Condvar,
}

impl QueuedFlag {
    pub fn new(value: bool) -> Self {
        QueuedFlag {
            value: AtomicBool::new(value),
            ..Default::default()
        }
    }

    pub fn load(&self, order: Ordering) -> bool {
        let value = self.value.load(order);
        let mut meet = self.meet.lock().unwrap();
        if let Some(arrived) = meet.as_mut().filter(|n| **n < 2) {
            *arrived += 1;
            // Wait (briefly) for the other load, so that both have read before either writes.
            let _ = self
                .met
                .wait_timeout_while(meet, Duration::from_millis(200), |m| *m != Some(2));
            self.met.notify_all();
        }
        value
    }

    pub fn store(&self, value: bool, order: Ordering) {
        self.value.store(value, order)
    }

    /// Sets the flag to `value` and returns the value it had, in one atomic step.
    pub fn swap(&self, value: bool, order: Ordering) -> bool {
        self.value.swap(value, order)
    }

    pub fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        self.value.compare_exchange(current, new, success, failure)
    }
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        // TODO: push the task only if it is not already queued (set `queued` as you check it).
        let queue = self.queue.clone();
        queue.lock().unwrap().push_back(self);
    }
}

#[derive(Default)]
pub struct Executor {
    queue: Queue,
    /// How many times a task's future was polled, across all tasks.
    polls: AtomicUsize,
}

impl Executor {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        let task = Arc::new(Task {
            future: Mutex::new(Some(Box::pin(future))),
            queue: self.queue.clone(),
            queued: QueuedFlag::new(true),
        });
        self.queue.lock().unwrap().push_back(task);
    }

    fn next_task(&self) -> Option<Arc<Task>> {
        self.queue.lock().unwrap().pop_front()
    }

    pub fn run(&self) {
        while let Some(task) = self.next_task() {
            // TODO: the task has left the queue; say so before it is polled.
            let waker = Waker::from(task.clone());
            let mut slot = task.future.lock().unwrap();
            if let Some(future) = slot.as_mut() {
                self.polls.fetch_add(1, Ordering::Relaxed);
                if future
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_ready()
                {
                    *slot = None;
                }
            }
        }
    }

    pub fn polls(&self) -> usize {
        self.polls.load(Ordering::Relaxed)
    }
}

/// Like `yield_now`, but wakes its task twice, as a future woken by two sources would.
pub struct YieldTwice(bool);

pub fn yield_twice() -> YieldTwice {
    YieldTwice(false)
}

impl Future for YieldTwice {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queueing_a_task_once_per_wake_is_rejected() {
        let ex = Executor::new();
        let noisy_polls = Arc::new(AtomicUsize::new(0));
        let seen_by_quick = Arc::new(AtomicUsize::new(usize::MAX));
        let n = noisy_polls.clone();
        ex.spawn(async move {
            for _ in 0..1000 {
                n.fetch_add(1, Ordering::SeqCst);
                yield_twice().await;
            }
        });
        let (n, seen) = (noisy_polls.clone(), seen_by_quick.clone());
        ex.spawn(async move {
            for _ in 0..10 {
                yield_twice().await;
            }
            seen.store(n.load(Ordering::SeqCst), Ordering::SeqCst);
        });
        ex.run();
        let seen = seen_by_quick.load(Ordering::SeqCst);
        assert!(seen != usize::MAX, "the quick task never finished");
        assert!(
            seen <= 11,
            "the quick task needed 11 polls but waited behind {seen} polls of the noisy task: \
             a task woken twice was queued twice"
        );
        assert_eq!(
            noisy_polls.load(Ordering::SeqCst),
            1000,
            "the noisy task must still finish"
        );
        assert_eq!(
            ex.polls(),
            1001 + 11,
            "every poll must be of a task that was woken since its last poll"
        );
    }

    #[test]
    fn losing_a_wake_during_the_poll_is_rejected() {
        let ex = Executor::new();
        let steps = Arc::new(AtomicUsize::new(0));
        let s = steps.clone();
        ex.spawn(async move {
            for _ in 0..3 {
                yield_twice().await;
                s.fetch_add(1, Ordering::SeqCst);
            }
        });
        ex.run();
        assert_eq!(
            steps.load(Ordering::SeqCst),
            3,
            "a task that woke itself while being polled was never polled again: \
             clear the queued flag before polling, not after"
        );
    }

    #[test]
    fn check_then_set_on_the_queued_flag_is_rejected() {
        let ex = Executor::new();
        let stored: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let s = stored.clone();
        ex.spawn(std::future::poll_fn(move |cx| {
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        }));
        let task = ex.queue.lock().unwrap().back().unwrap().clone();
        ex.run();
        // The task waits, not queued. Two threads wake it at the same moment: each load of the
        // flag waits until the other thread has loaded it too.
        *task.queued.meet.lock().unwrap() = Some(0);
        let waker = stored.lock().unwrap().clone().expect("the task was polled");
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let waker = waker.clone();
                std::thread::spawn(move || waker.wake())
            })
            .collect();
        for w in wakers {
            w.join().unwrap();
        }
        assert_eq!(
            ex.queue.lock().unwrap().len(),
            1,
            "two wakes at the same moment queued the task twice: both read queued == false \
             before either set it. Read and set in one atomic step (swap)"
        );
    }

    #[test]
    fn five_wakes_while_queued_polling_five_times_is_rejected() {
        let ex = Executor::new();
        let stored: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let polled = Arc::new(AtomicUsize::new(0));
        let (s, p) = (stored.clone(), polled.clone());
        // Never finishes: it only counts how often it is polled.
        ex.spawn(std::future::poll_fn(move |cx| {
            p.fetch_add(1, Ordering::SeqCst);
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        }));
        let s = stored.clone();
        ex.spawn(async move {
            let w = s.lock().unwrap().clone().expect("the first task ran first");
            for _ in 0..5 {
                w.wake_by_ref();
            }
        });
        ex.run();
        assert_eq!(
            polled.load(Ordering::SeqCst),
            2,
            "five wakes of a task that was waiting must lead to exactly one more poll"
        );
    }
}
