// wrong answer: the budget is refilled once when run starts instead of before every poll, so a task that spent it is polled in vain; budget_not_refilled_before_each_poll_is_rejected catches it.
// sched3: a cooperative budget
//
// An executor can only switch tasks when a task returns `Pending`. A task that reads from a
// source that is always ready (a channel with a backlog, a socket with lots of data) never does,
// and every other task on the thread waits until it is done. Runtimes fix this with a budget:
// before each poll the executor gives the task a budget of operations, every leaf operation
// spends one, and when it is spent the operation pretends not to be ready: it wakes its own task
// (so it is queued again) and returns `Pending`. The task yields without its code knowing.
//
//   executor: BUDGET = PER_POLL; poll(task)
//   leaf op:  budget left? spend one, go on : wake own task, Pending
//
// Implement `poll_budget` and the one line in `run` that refills the budget before each poll.

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// How many operations a task may do in one poll.
pub const BUDGET_PER_POLL: u32 = 32;

/// A guard for `run`: no test here needs anywhere near this many polls.
const MAX_POLLS: usize = 100_000;

thread_local! {
    /// What the task being polled may still spend. Outside any executor it is unlimited.
    static BUDGET: Cell<u32> = const { Cell::new(u32::MAX) };
}

/// Called by a leaf future before it does one unit of work. `Ready` means: go ahead (one unit of
/// budget spent). When the budget is spent it wakes the current task and returns `Pending`.
pub fn poll_budget(cx: &mut Context<'_>) -> Poll<()> {
    BUDGET.with(|budget| match budget.get() {
        0 => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        left => {
            budget.set(left - 1);
            Poll::Ready(())
        }
    })
}

/// A source of numbers that is always ready: without a budget, a loop over it never yields.
#[derive(Default)]
pub struct Numbers {
    next: u64,
}

impl Numbers {
    pub fn next_number(&mut self) -> NextNumber<'_> {
        NextNumber(self)
    }
}

pub struct NextNumber<'a>(&'a mut Numbers);

impl Future for NextNumber<'_> {
    type Output = u64;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if poll_budget(cx).is_pending() {
            return Poll::Pending;
        }
        self.0.next += 1;
        Poll::Ready(self.0.next)
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
type Queue = Arc<Mutex<VecDeque<Arc<Task>>>>;

pub struct Task {
    future: Mutex<Option<BoxFuture>>,
    queue: Queue,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        let queue = self.queue.clone();
        queue.lock().unwrap().push_back(self);
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

    fn next_task(&self) -> Option<Arc<Task>> {
        self.queue.lock().unwrap().pop_front()
    }

    /// Polls woken tasks until none is left. Panics instead of spinning forever when tasks keep
    /// waking themselves without making progress.
    pub fn run(&self) {
        let mut polls = 0;
        BUDGET.with(|budget| budget.set(BUDGET_PER_POLL));
        while let Some(task) = self.next_task() {
            polls += 1;
            assert!(
                polls <= MAX_POLLS,
                "{MAX_POLLS} polls and still not done: a task keeps returning Pending without \
                 progress (is the budget refilled before every poll?)"
            );
            let waker = Waker::from(task.clone());
            let mut slot = task.future.lock().unwrap();
            if let Some(future) = slot.as_mut() {
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
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// Spawns a task that takes `count` numbers without ever awaiting anything else; returns
    /// (numbers taken so far, times the task was polled, finished).
    fn spawn_hog(
        ex: &Executor,
        count: u64,
    ) -> (Arc<AtomicUsize>, Arc<AtomicUsize>, Arc<AtomicBool>) {
        let taken = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let (t, p, d) = (taken.clone(), polls.clone(), done.clone());
        let mut numbers = Numbers::default();
        let hog = async move {
            for _ in 0..count {
                numbers.next_number().await;
                t.fetch_add(1, Ordering::SeqCst);
            }
            d.store(true, Ordering::SeqCst);
        };
        let mut hog = Box::pin(hog);
        ex.spawn(std::future::poll_fn(move |cx| {
            p.fetch_add(1, Ordering::SeqCst);
            hog.as_mut().poll(cx)
        }));
        (taken, polls, done)
    }

    #[test]
    fn never_spending_the_budget_is_rejected() {
        let ex = Executor::new();
        let (taken, _, _) = spawn_hog(&ex, 10_000);
        let seen = Arc::new(AtomicUsize::new(usize::MAX));
        let (s, t) = (seen.clone(), taken.clone());
        ex.spawn(async move { s.store(t.load(Ordering::SeqCst), Ordering::SeqCst) });
        ex.run();
        let seen = seen.load(Ordering::SeqCst);
        assert_eq!(
            seen, BUDGET_PER_POLL as usize,
            "the second task ran only after the first had taken {seen} numbers; \
             it should run once the first task's budget of {BUDGET_PER_POLL} is spent"
        );
    }

    #[test]
    fn pending_without_waking_when_spent_is_rejected() {
        let ex = Executor::new();
        let (taken, _, done) = spawn_hog(&ex, 100);
        ex.run();
        assert!(
            done.load(Ordering::SeqCst),
            "the task stopped after {} numbers: an operation that returns Pending because the \
             budget is spent must wake its task",
            taken.load(Ordering::SeqCst)
        );
    }

    #[test]
    fn budget_not_refilled_before_each_poll_is_rejected() {
        let ex = Executor::new();
        let (_, polls, done) = spawn_hog(&ex, 10 * BUDGET_PER_POLL as u64);
        ex.run();
        assert!(done.load(Ordering::SeqCst), "the task never finished");
        assert_eq!(
            polls.load(Ordering::SeqCst),
            10,
            "320 numbers at 32 per poll take 10 polls: refill the budget before every poll"
        );
    }
}
