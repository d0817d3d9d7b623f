// wrong answer: the child stores its output but never wakes the waiter; `handle_never_woken_by_a_slower_child_is_rejected` catches it.
// executor5: spawn returns a JoinHandle
//
// The executor from executor3 runs tasks whose output is `()`. To get a value back, `spawn`
// wraps the caller's future in a task that stores the output in shared state and wakes
// whoever is waiting for it. The `JoinHandle` it returns is itself a future over that state:
// ready with the output once it is there, otherwise it leaves its waker and returns `Pending`.
//
// Write `Executor::spawn` and `JoinHandle::poll`. The executor itself (`spawn_task`, `run`) is
// done.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// What a task and its handle share.
struct JoinState<T> {
    /// The task's output, once it has finished (and until the handle takes it).
    output: Option<T>,
    /// The waker of whoever is awaiting the handle.
    waiter: Option<Waker>,
}

struct JoinHandle<T> {
    state: Arc<Mutex<JoinState<T>>>,
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.lock().unwrap();
        match state.output.take() {
            Some(output) => Poll::Ready(output),
            None => {
                state.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Executor {
    fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let state = Arc::new(Mutex::new(JoinState {
            output: None,
            waiter: None,
        }));
        let shared = state.clone();
        self.spawn_task(async move {
            let output = fut.await;
            shared.lock().unwrap().output = Some(output);
        });
        JoinHandle { state }
    }
}

// ---- The executor from executor3: nothing to change below this line. ----

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

struct Task {
    future: Mutex<Option<BoxFuture>>,
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<(VecDeque<Arc<Task>>, usize)>,
    cvar: Condvar,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        let shared = self.shared.clone();
        shared.state.lock().unwrap().0.push_back(self);
        shared.cvar.notify_one();
    }
}

#[derive(Clone)]
struct Executor {
    shared: Arc<Shared>,
}

impl Executor {
    fn new() -> Self {
        let shared = Shared {
            state: Mutex::new((VecDeque::new(), 0)),
            cvar: Condvar::new(),
        };
        Executor {
            shared: Arc::new(shared),
        }
    }

    /// Queues a task whose output nobody waits for.
    fn spawn_task(&self, fut: impl Future<Output = ()> + Send + 'static) {
        let task = Arc::new(Task {
            future: Mutex::new(Some(Box::pin(fut))),
            shared: self.shared.clone(),
        });
        let mut state = self.shared.state.lock().unwrap();
        state.0.push_back(task);
        state.1 += 1;
        self.shared.cvar.notify_one();
    }

    /// Runs until every task has finished.
    fn run(&self) {
        loop {
            let task = {
                let mut state = self.shared.state.lock().unwrap();
                loop {
                    if let Some(task) = state.0.pop_front() {
                        break task;
                    }
                    if state.1 == 0 {
                        return;
                    }
                    state = self.shared.cvar.wait(state).unwrap();
                }
            };
            let mut slot = task.future.lock().unwrap();
            let Some(fut) = slot.as_mut() else { continue };
            let waker = Waker::from(task.clone());
            if fut
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
            {
                *slot = None;
                self.shared.state.lock().unwrap().1 -= 1;
            }
        }
    }
}

fn main() {
    let executor = Executor::new();
    let inner = executor.clone();
    executor.spawn_task(async move {
        let answer = inner.spawn(async { 6 * 7 }).await;
        println!("the child returned {answer}");
    });
    executor.run();
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::sync::mpsc;
    use std::task::Wake;
    use std::thread;
    use std::time::Duration;

    /// A waker that, when woken, looks whether the output is already stored, as the task it
    /// wakes would on its next poll. (If the lock is taken at that moment, it cannot look.)
    struct LooksWhenWoken {
        state: Arc<Mutex<JoinState<&'static str>>>,
        saw_output: Mutex<Vec<bool>>,
    }

    impl Wake for LooksWhenWoken {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            if let Ok(state) = self.state.try_lock() {
                let seen = state.output.is_some();
                self.saw_output.lock().unwrap().push(seen);
            }
        }
    }

    /// `Pending` (after waking itself) `n` times, then `Ready`.
    struct Yield(usize);

    impl Future for Yield {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 == 0 {
                return Poll::Ready(());
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
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
                "run() never finished: a task awaiting a JoinHandle was never woken. \
                 Does the finished child wake the waker the handle stored?"
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("a task panicked"),
        }
    }

    /// Spawns `parent` (which gets its own executor handle) and returns what it produced.
    fn run_parent<T: Send + 'static, Fut>(parent: impl FnOnce(Executor) -> Fut) -> T
    where
        Fut: Future<Output = T> + Send + 'static,
    {
        let executor = Executor::new();
        let result = Arc::new(Mutex::new(None));
        let (slot, fut) = (result.clone(), parent(executor.clone()));
        executor.spawn_task(async move {
            let out = fut.await;
            *slot.lock().unwrap() = Some(out);
        });
        run_checked(executor);
        let out = result.lock().unwrap().take();
        out.expect("the parent task never finished")
    }

    #[test]
    fn handle_never_woken_by_a_slower_child_is_rejected() {
        let out = run_parent(|ex| async move {
            let handle = ex.spawn(async {
                Yield(3).await;
                String::from("from the child")
            });
            handle.await
        });
        assert_eq!(out, "from the child");
    }

    #[test]
    fn handle_pending_after_the_child_finished_is_rejected() {
        let out = run_parent(|ex| async move {
            let handle = ex.spawn(async { 42 });
            Yield(3).await; // the child finishes meanwhile
            handle.await
        });
        assert_eq!(out, 42);
    }

    #[test]
    fn handles_mixing_up_outputs_are_rejected() {
        let out = run_parent(|ex| async move {
            let handles: Vec<JoinHandle<usize>> = (0..5)
                .map(|i| {
                    ex.spawn(async move {
                        Yield(5 - i).await;
                        i * 10
                    })
                })
                .collect();
            let mut outputs = Vec::new();
            for handle in handles {
                outputs.push(handle.await);
            }
            outputs
        });
        assert_eq!(out, [0, 10, 20, 30, 40]);
    }

    #[test]
    fn handle_polled_outside_the_executor_sees_the_output() {
        let executor = Executor::new();
        let mut handle = executor.spawn(async { "done" });
        let counter = CountingWaker::new();
        assert!(
            poll_once(Pin::new(&mut handle), &counter.waker()).is_pending(),
            "the child has not run yet, so its handle must be Pending"
        );
        run_checked(executor);
        assert_eq!(
            counter.count(),
            1,
            "the child must wake the handle's waker once"
        );
        assert_eq!(
            poll_once(Pin::new(&mut handle), &counter.waker()),
            Poll::Ready("done")
        );
    }

    #[test]
    fn waking_the_handle_before_the_output_is_stored_is_rejected() {
        let executor = Executor::new();
        let mut handle = executor.spawn(async { "stored first" });
        let looker = Arc::new(LooksWhenWoken {
            state: Arc::clone(&handle.state),
            saw_output: Mutex::new(Vec::new()),
        });
        let waker = Waker::from(Arc::clone(&looker));
        assert!(poll_once(Pin::new(&mut handle), &waker).is_pending());
        run_checked(executor);
        let seen = looker.saw_output.lock().unwrap().clone();
        assert!(
            !seen.contains(&false),
            "the handle's waker was woken before the output was stored: the woken task \
             would poll, find nothing, and sleep with nobody left to wake it. Store first, \
             then wake"
        );
        assert_eq!(
            poll_once(Pin::new(&mut handle), &waker),
            Poll::Ready("stored first")
        );
    }
}
