// wrong answer: abort marks the state aborted even when the task had already finished, so its output is lost; abort_after_finishing_losing_the_output_is_rejected catches it.
// sched4: aborting a task
//
// `JoinHandle::abort` cancels a task from outside. In async Rust, cancelling means dropping: the
// task's future is dropped, which runs the destructors of everything it held (buffers, sockets,
// locks), and it is never polled again. Whoever awaits the handle must then learn that the task
// was aborted, so it must be woken: it may already be waiting.
//
//   abort(): take the future out of the task's slot and drop it
//            unless the output is already there: record "aborted"
//            wake the waker stored by whoever awaits the handle
//
// Implement `JoinHandle::abort`. Abort is called from outside the task, never from inside it.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

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

/// What the task and its handle share.
struct JoinState<T> {
    output: Option<T>,
    aborted: bool,
    /// The waker of whoever awaits the handle.
    waiter: Option<Waker>,
}

#[derive(Debug, PartialEq)]
pub enum JoinError {
    Aborted,
}

pub struct JoinHandle<T> {
    state: Arc<Mutex<JoinState<T>>>,
    task: Arc<Task>,
}

impl<T> JoinHandle<T> {
    /// Cancels the task: its future is dropped now, and awaiting this handle gives
    /// `Err(JoinError::Aborted)`, unless the task had already finished.
    pub fn abort(&self) {
        let future = self.task.future.lock().unwrap().take();
        drop(future);
        let waiter = {
            let mut state = self.state.lock().unwrap();
            state.aborted = true;
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.state.lock().unwrap();
        if state.aborted {
            return Poll::Ready(Err(JoinError::Aborted));
        }
        if let Some(output) = state.output.take() {
            return Poll::Ready(Ok(output));
        }
        state.waiter = Some(cx.waker().clone());
        Poll::Pending
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

    pub fn spawn<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> JoinHandle<T> {
        let state = Arc::new(Mutex::new(JoinState {
            output: None,
            aborted: false,
            waiter: None,
        }));
        let shared = state.clone();
        let wrapped = async move {
            let output = future.await;
            let waiter = {
                let mut state = shared.lock().unwrap();
                state.output = Some(output);
                state.waiter.take()
            };
            if let Some(waiter) = waiter {
                waiter.wake();
            }
        };
        let task = Arc::new(Task {
            future: Mutex::new(Some(Box::pin(wrapped))),
            queue: self.queue.clone(),
        });
        self.queue.lock().unwrap().push_back(task.clone());
        JoinHandle { state, task }
    }

    fn next_task(&self) -> Option<Arc<Task>> {
        self.queue.lock().unwrap().pop_front()
    }

    pub fn run(&self) {
        while let Some(task) = self.next_task() {
            let waker = Waker::from(task.clone());
            let mut slot = task.future.lock().unwrap();
            if let Some(future) = slot.as_mut()
                && future
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_ready()
            {
                *slot = None;
            }
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its own drops, so a test can see when the task's future was dropped.
    struct DropCounter(Arc<AtomicUsize>);

    impl Drop for DropCounter {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A task that holds a `DropCounter` and waits forever.
    fn spawn_forever(ex: &Executor) -> (JoinHandle<()>, Arc<AtomicUsize>) {
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropCounter(drops.clone());
        let handle = ex.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        (handle, drops)
    }

    #[test]
    fn abort_that_keeps_the_future_alive_is_rejected() {
        let ex = Executor::new();
        let (handle, drops) = spawn_forever(&ex);
        ex.run();
        assert_eq!(
            drops.load(Ordering::SeqCst),
            0,
            "the task should still be waiting"
        );
        handle.abort();
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "abort must drop the task's future right away"
        );
    }

    #[test]
    fn abort_without_waking_the_waiter_is_rejected() {
        let ex = Executor::new();
        let (handle, _) = spawn_forever(&ex);
        ex.run();
        let mut handle = std::pin::pin!(handle);
        let waiter = CountingWaker::new();
        assert!(poll_once(handle.as_mut(), &waiter.waker()).is_pending());
        handle.abort();
        assert_eq!(
            waiter.count(),
            1,
            "the task awaiting the handle was not woken by abort"
        );
        assert_eq!(
            poll_once(handle.as_mut(), &waiter.waker()),
            Poll::Ready(Err(JoinError::Aborted))
        );
    }

    /// A waker that, when woken, looks at the handle's state the way the woken task will:
    /// it records a wake that came while the state said neither "aborted" nor "finished".
    struct StateCheckingWaker {
        state: Arc<Mutex<JoinState<()>>>,
        woken: AtomicUsize,
        woken_too_early: AtomicUsize,
    }

    impl std::task::Wake for StateCheckingWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.fetch_add(1, Ordering::SeqCst);
            // Busy means the waker's caller holds the lock: the task cannot look before the
            // caller is done with the state, so that order is fine.
            if let Ok(state) = self.state.try_lock()
                && !state.aborted
                && state.output.is_none()
            {
                self.woken_too_early.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn waking_the_waiter_before_marking_aborted_is_rejected() {
        let ex = Executor::new();
        let (handle, _) = spawn_forever(&ex);
        ex.run();
        let checker = Arc::new(StateCheckingWaker {
            state: handle.state.clone(),
            woken: AtomicUsize::new(0),
            woken_too_early: AtomicUsize::new(0),
        });
        let mut handle = std::pin::pin!(handle);
        assert!(poll_once(handle.as_mut(), &Waker::from(checker.clone())).is_pending());
        handle.abort();
        assert_eq!(
            checker.woken.load(Ordering::SeqCst),
            1,
            "abort must wake the waiter"
        );
        assert_eq!(
            checker.woken_too_early.load(Ordering::SeqCst),
            0,
            "abort woke the waiter before marking the state aborted: a task woken then polls \
             the handle, finds it still Pending and sleeps for good. Update the state, then wake"
        );
    }

    #[test]
    fn aborted_task_reported_as_pending_is_rejected() {
        let ex = Executor::new();
        let (handle, _) = spawn_forever(&ex);
        handle.abort();
        let result = Arc::new(Mutex::new(None));
        let r = result.clone();
        ex.spawn(async move { *r.lock().unwrap() = Some(handle.await) });
        ex.run();
        assert_eq!(
            *result.lock().unwrap(),
            Some(Err(JoinError::Aborted)),
            "awaiting the handle of an aborted task must give Err(Aborted)"
        );
    }

    #[test]
    fn abort_after_finishing_losing_the_output_is_rejected() {
        let ex = Executor::new();
        let handle = ex.spawn(async { 42 });
        ex.run();
        handle.abort();
        let mut handle = std::pin::pin!(handle);
        let waiter = CountingWaker::new();
        assert_eq!(
            poll_once(handle.as_mut(), &waiter.waker()),
            Poll::Ready(Ok(42)),
            "the task had finished before abort: its output must still be delivered"
        );
    }
}
