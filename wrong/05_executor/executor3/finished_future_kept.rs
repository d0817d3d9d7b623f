// wrong answer: a finished task's future is not cleared, so a task that woke itself as it finished is polled again; `polling_a_finished_task_again_is_rejected` catches it.
// executor3: an executor for many tasks
//
// A task is a boxed future plus a way back onto the ready queue: waking a task pushes it onto
// the queue (that part is done, in `impl Wake for Task`). The executor pops a task, polls it
// once, and moves on to the next, so tasks take turns. It runs until every spawned task has
// finished, and while tasks exist but none is ready it waits on the condition variable for
// a wake-up from another thread instead of returning or spinning.
//
// Write `spawn` and `run`. A task's future is `None` once it has finished: a finished task can
// still be woken (and so queued) again, and must then be skipped, never polled.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Wake, Waker};

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

struct Task {
    /// `None` once the future has returned `Ready`.
    future: Mutex<Option<BoxFuture>>,
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled whenever a task is queued.
    cvar: Condvar,
}

struct State {
    ready: VecDeque<Arc<Task>>,
    /// Tasks spawned and not finished yet.
    live: usize,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        let shared = self.shared.clone();
        shared.state.lock().unwrap().ready.push_back(self);
        shared.cvar.notify_one();
    }
}

#[derive(Clone)]
struct Executor {
    shared: Arc<Shared>,
}

impl Executor {
    fn new() -> Self {
        let state = State {
            ready: VecDeque::new(),
            live: 0,
        };
        Executor {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                cvar: Condvar::new(),
            }),
        }
    }

    fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        let task = Arc::new(Task {
            future: Mutex::new(Some(Box::pin(fut))),
            shared: self.shared.clone(),
        });
        let mut state = self.shared.state.lock().unwrap();
        state.live += 1;
        state.ready.push_back(task);
        self.shared.cvar.notify_one();
    }

    fn run(&self) {
        loop {
            // Take the next ready task, or wait for one while unfinished tasks remain.
            let task = {
                let mut state = self.shared.state.lock().unwrap();
                loop {
                    if let Some(task) = state.ready.pop_front() {
                        break task;
                    }
                    if state.live == 0 {
                        return;
                    }
                    state = self.shared.cvar.wait(state).unwrap();
                }
            };
            // The state lock is released here, so the task may spawn or wake while polled.
            let mut slot = task.future.lock().unwrap();
            let Some(fut) = slot.as_mut() else {
                continue; // finished earlier, woken since: nothing to do
            };
            let waker = Waker::from(task.clone());
            if fut
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
            {
                self.shared.state.lock().unwrap().live -= 1;
            }
        }
    }
}

fn main() {
    let executor = Executor::new();
    for i in 0..3 {
        executor.spawn(async move { println!("task {i} ran") });
    }
    executor.run();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::task::Poll;
    use std::thread;
    use std::time::Duration;

    type Log = Arc<Mutex<Vec<String>>>;

    /// `Pending` once (after waking itself), then `Ready`.
    struct YieldNow(bool);

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

    /// Wakes its own task and finishes in the same poll; panics if polled again.
    struct WakeThenFinish(bool);

    impl Future for WakeThenFinish {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            assert!(!self.0, "a task was polled again after it returned Ready");
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Ready(())
        }
    }

    /// `Pending` until a helper thread, after `delay`, wakes it.
    struct WokenLater {
        delay: Duration,
        started: bool,
        fired: Arc<AtomicBool>,
    }

    impl Future for WokenLater {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.fired.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            if !self.started {
                self.started = true;
                let (delay, fired, waker) = (self.delay, self.fired.clone(), cx.waker().clone());
                thread::spawn(move || {
                    thread::sleep(delay);
                    fired.store(true, Ordering::SeqCst);
                    waker.wake();
                });
            }
            Poll::Pending
        }
    }

    /// Runs the executor on its own thread; fails instead of hanging.
    fn run_checked(executor: Executor) {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            executor.run();
            let _ = tx.send(());
        });
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(()) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "run() did not return after every task finished: \
                 does it count finished tasks and stop when none are left?"
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("run() panicked"),
        }
    }

    fn logging(log: &Log, name: &'static str, yields: usize) -> impl Future<Output = ()> + use<> {
        let log = log.clone();
        async move {
            for i in 0..=yields {
                log.lock().unwrap().push(format!("{name}{i}"));
                if i < yields {
                    YieldNow(false).await;
                }
            }
        }
    }

    #[test]
    fn all_spawned_tasks_run_to_completion() {
        let log = Log::default();
        let executor = Executor::new();
        for name in ["a", "b", "c"] {
            executor.spawn(logging(&log, name, 0));
        }
        run_checked(executor);
        assert_eq!(*log.lock().unwrap(), ["a0", "b0", "c0"]);
    }

    #[test]
    fn running_one_task_to_the_end_before_the_next_is_rejected() {
        let log = Log::default();
        let executor = Executor::new();
        executor.spawn(logging(&log, "a", 2));
        executor.spawn(logging(&log, "b", 2));
        run_checked(executor);
        assert_eq!(
            *log.lock().unwrap(),
            ["a0", "b0", "a1", "b1", "a2", "b2"],
            "tasks must take turns: poll a task once, then the next one in FIFO order"
        );
    }

    #[test]
    fn polling_a_finished_task_again_is_rejected() {
        let executor = Executor::new();
        executor.spawn(WakeThenFinish(false));
        run_checked(executor);
    }

    #[test]
    fn task_spawned_by_a_task_is_rejected_if_never_run() {
        let log = Log::default();
        let executor = Executor::new();
        let (inner, log2) = (executor.clone(), log.clone());
        executor.spawn(async move {
            log2.lock().unwrap().push("parent".to_string());
            inner.spawn(logging(&log2, "child", 1));
        });
        run_checked(executor);
        assert_eq!(*log.lock().unwrap(), ["parent", "child0", "child1"]);
    }

    #[test]
    fn returning_while_a_task_waits_is_rejected() {
        let log = Log::default();
        let executor = Executor::new();
        let log2 = log.clone();
        executor.spawn(async move {
            let delay = Duration::from_millis(5);
            let fired = Arc::new(AtomicBool::new(false));
            WokenLater {
                delay,
                started: false,
                fired,
            }
            .await;
            log2.lock().unwrap().push("woken".to_string());
        });
        run_checked(executor);
        assert_eq!(
            *log.lock().unwrap(),
            ["woken"],
            "run() returned while a task was still waiting for a wake-up from another thread"
        );
    }
}
