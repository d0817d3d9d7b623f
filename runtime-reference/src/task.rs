//! Tasks and join handles, shared by both executors (course chapters 04 and 10).
//!
//! A task is a boxed future plus a small state machine that decides, on each wake, whether the
//! task must be queued. The state machine is what keeps a task from being queued twice, and
//! from being lost when it is woken while it is running:
//!
//! ```text
//!   IDLE --wake--> SCHEDULED --run--> RUNNING --Pending--> IDLE
//!                                       |  ^
//!                                  wake |  | (poll returns Pending: queue it again)
//!                                       v  |
//!                                     NOTIFIED           RUNNING --Ready--> DONE
//! ```
//!
//! ```
//! use runtime_reference::executor::{Runtime, spawn};
//!
//! let out = Runtime::new().block_on(async {
//!     let handle = spawn(async { 40 + 2 });
//!     handle.await
//! });
//! assert_eq!(out, Ok(42));
//! ```

use std::any::Any;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use crate::coop;
use crate::lock::lock;

/// Where a woken task goes. Each executor implements it.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// Queue a task that was woken.
    fn schedule(&self, task: Arc<Task>);

    /// Queue a newly spawned task. The same as a wake unless the executor treats them
    /// differently (the work-stealing one keeps its LIFO slot for wakes).
    fn schedule_new(&self, task: Arc<Task>) {
        self.schedule(task);
    }

    /// This executor's waiting tasks, so shutdown can drop the ones no queue holds (those
    /// waiting on I/O, a timer or a channel).
    fn owned(&self) -> &OwnedTasks;
}

/// Shards of the live-task set; a spawn and a completion lock one shard, so workers on
/// different tasks rarely contend.
const SHARDS: usize = 16;

/// `Task::slot` of a task not (yet) in the live-task set.
const UNREGISTERED: usize = usize::MAX;

/// The set of a runtime's tasks that wait for a wake-up (queued tasks are found through the
/// queues).
pub(crate) struct OwnedTasks {
    shards: Vec<Mutex<Slab>>,
    next_id: AtomicU64,
    closed: AtomicBool,
}

/// Slots indexed by a number stored in the task: insert and remove without hashing.
#[derive(Default)]
struct Slab {
    slots: Vec<Option<Arc<Task>>>,
    free: Vec<usize>,
    len: usize,
}

impl OwnedTasks {
    pub(crate) fn new() -> Self {
        OwnedTasks {
            shards: (0..SHARDS).map(|_| Mutex::new(Slab::default())).collect(),
            next_id: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        }
    }

    fn shard(&self, id: u64) -> std::sync::MutexGuard<'_, Slab> {
        lock(&self.shards[(id % SHARDS as u64) as usize])
    }

    /// Track a new task; `false` if the runtime is shutting down (the caller drops it).
    fn insert(&self, task: &Arc<Task>) -> bool {
        let mut shard = self.shard(task.id);
        // Checked under the shard lock, so `close` cannot miss a task inserted concurrently.
        if self.closed.load(Ordering::SeqCst) {
            return false;
        }
        let index = match shard.free.pop() {
            Some(i) => {
                shard.slots[i] = Some(Arc::clone(task));
                i
            }
            None => {
                shard.slots.push(Some(Arc::clone(task)));
                shard.slots.len() - 1
            }
        };
        shard.len += 1;
        task.slot.store(index, Ordering::Relaxed);
        true
    }

    fn remove(&self, task: &Task) {
        if task.slot.load(Ordering::Relaxed) == UNREGISTERED {
            return;
        }
        let removed = {
            let mut shard = self.shard(task.id);
            let index = task.slot.load(Ordering::Relaxed);
            match shard.slots.get_mut(index) {
                // The slot may have been emptied by `close_and_cancel_all` and reused since:
                // only clear it if it still holds this very task.
                Some(slot) if slot.as_ref().is_some_and(|t| std::ptr::eq(&**t, task)) => {
                    let t = slot.take();
                    shard.free.push(index);
                    shard.len -= 1;
                    t
                }
                _ => None,
            }
        };
        drop(removed);
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Refuse new tasks and drop the future of every task still alive.
    pub(crate) fn close_and_cancel_all(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for i in 0..SHARDS {
            let tasks: Vec<_> = {
                let mut shard = lock(&self.shards[i]);
                shard.free.clear();
                shard.len = 0;
                std::mem::take(&mut shard.slots)
                    .into_iter()
                    .flatten()
                    .collect()
            };
            // Cancelled outside the lock: dropping a future may wake or spawn.
            for t in tasks {
                t.cancel();
            }
        }
    }

    /// How many tasks are alive.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len).sum()
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

const IDLE: u8 = 0;
const SCHEDULED: u8 = 1;
const RUNNING: u8 = 2;
const NOTIFIED: u8 = 3;
const DONE: u8 = 4;

/// A spawned future and its scheduling state.
pub(crate) struct Task {
    // The mutex is never contended: the state machine lets only one thread run the task.
    // It is here so `Task` is `Sync` without `unsafe`.
    future: Mutex<Option<BoxFuture>>,
    state: AtomicU8,
    scheduler: Arc<dyn Schedule>,
    /// Picks the live-task shard.
    id: u64,
    /// Index in that shard's slab.
    slot: AtomicUsize,
}

/// What the executor must do after running a task.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunOutcome {
    /// Finished, or waiting for a wake-up: nothing to do.
    Done,
    /// Woken while it ran (for instance by `yield_now`): put it at the back of the queue.
    Reschedule,
}

impl Task {
    /// A new task in the `SCHEDULED` state: the caller must queue it.
    pub(crate) fn new(future: BoxFuture, scheduler: Arc<dyn Schedule>) -> Arc<Task> {
        let id = scheduler.owned().next_id.fetch_add(1, Ordering::Relaxed);
        Arc::new(Task {
            future: Mutex::new(Some(future)),
            state: AtomicU8::new(SCHEDULED),
            scheduler,
            id,
            slot: AtomicUsize::new(UNREGISTERED),
        })
    }

    /// Poll the task once with a fresh cooperative budget.
    pub(crate) fn run(self: &Arc<Self>) -> RunOutcome {
        self.state.store(RUNNING, Ordering::SeqCst);
        let waker = Waker::from(Arc::clone(self));
        let mut cx = Context::from_waker(&waker);
        let mut slot = lock(&self.future);
        let Some(fut) = slot.as_mut() else {
            self.state.store(DONE, Ordering::SeqCst);
            return RunOutcome::Done;
        };
        if coop::with_budget(|| fut.as_mut().poll(&mut cx)).is_ready() {
            // Drop the future now, not when the last waker goes: its resources are released
            // as soon as the task is finished.
            *slot = None;
            self.state.store(DONE, Ordering::SeqCst);
            drop(slot);
            self.scheduler.owned().remove(self);
            return RunOutcome::Done;
        }
        drop(slot);
        // About to wait for a wake-up, held by no queue: from now on only the live-task set
        // can find this task at shutdown. Tasks that finish in their first poll never pay for
        // the set.
        if self.slot.load(Ordering::Relaxed) == UNREGISTERED && !self.scheduler.owned().insert(self)
        {
            // The runtime is shutting down: nobody would ever run it again.
            self.cancel();
            return RunOutcome::Done;
        }
        match self
            .state
            .compare_exchange(RUNNING, IDLE, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => RunOutcome::Done,
            Err(_) => {
                // NOTIFIED: a wake arrived during the poll and did not queue us; we do.
                self.state.store(SCHEDULED, Ordering::SeqCst);
                RunOutcome::Reschedule
            }
        }
    }

    /// Drop the future without running it (runtime shutdown).
    pub(crate) fn cancel(&self) {
        let fut = lock(&self.future).take();
        self.state.store(DONE, Ordering::SeqCst);
        self.scheduler.owned().remove(self);
        drop(fut);
    }
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut state = self.state.load(Ordering::SeqCst);
        loop {
            let next = match state {
                IDLE => SCHEDULED,
                RUNNING => NOTIFIED,
                // Already queued, already noted, or finished: one queue entry is enough.
                _ => return,
            };
            match self
                .state
                .compare_exchange(state, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state == IDLE {
            self.scheduler.schedule(Arc::clone(self));
        }
    }
}

/// Why a task produced no output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinError {
    /// [`JoinHandle::abort`] was called before the task finished.
    Aborted,
    /// The task panicked; the panic message, when it was a string.
    Panicked(String),
    /// The runtime shut down before the task finished.
    Cancelled,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Aborted => write!(f, "task was aborted"),
            JoinError::Panicked(msg) => write!(f, "task panicked: {msg}"),
            JoinError::Cancelled => write!(f, "task was cancelled by runtime shutdown"),
        }
    }
}

impl std::error::Error for JoinError {}

struct JoinState<T> {
    aborted: AtomicBool,
    slot: Mutex<JoinSlot<T>>,
}

struct JoinSlot<T> {
    output: Option<Result<T, JoinError>>,
    finished: bool,
    waker: Option<Waker>,
}

impl<T> JoinState<T> {
    fn complete(&self, out: Result<T, JoinError>) {
        let waker = {
            let mut slot = lock(&self.slot);
            if slot.finished {
                return;
            }
            slot.finished = true;
            slot.output = Some(out);
            slot.waker.take()
        };
        // Wake outside the lock: the woken task may run on another thread right away.
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Completes the join state with `Cancelled` if the task's future is dropped unfinished.
struct CompleteOnDrop<T>(Option<Arc<JoinState<T>>>);

impl<T> CompleteOnDrop<T> {
    fn state(&self) -> &JoinState<T> {
        self.0
            .as_ref()
            .expect("join state present until completion")
    }

    fn complete(mut self, out: Result<T, JoinError>) {
        if let Some(state) = self.0.take() {
            state.complete(out);
        }
    }
}

impl<T> Drop for CompleteOnDrop<T> {
    fn drop(&mut self) {
        if let Some(state) = self.0.take() {
            state.complete(Err(JoinError::Cancelled));
        }
    }
}

/// Await a spawned task's output; dropping the handle detaches the task (it keeps running).
pub struct JoinHandle<T> {
    state: Arc<JoinState<T>>,
    task: Waker,
}

impl<T> JoinHandle<T> {
    /// Ask the task to stop: its future is dropped the next time the executor gets to it, and
    /// awaiting this handle then yields `Err(JoinError::Aborted)`. No effect once finished.
    pub fn abort(&self) {
        self.state.aborted.store(true, Ordering::SeqCst);
        // Wake the task so the executor runs it and notices the flag.
        self.task.wake_by_ref();
    }

    /// Whether the task has finished (with an output, an abort, a panic or a cancellation).
    pub fn is_finished(&self) -> bool {
        lock(&self.state.slot).finished
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = lock(&self.state.slot);
        if let Some(out) = slot.output.take() {
            return Poll::Ready(out);
        }
        assert!(!slot.finished, "JoinHandle polled after it returned Ready");
        // Keep only the latest waker: the awaiting task may have moved to another thread.
        match &slot.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_string()
    }
}

/// Create a task for `fut` on `scheduler` and queue it.
pub(crate) fn spawn_on<F>(fut: F, scheduler: Arc<dyn Schedule>) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let state = Arc::new(JoinState {
        aborted: AtomicBool::new(false),
        slot: Mutex::new(JoinSlot {
            output: None,
            finished: false,
            waker: None,
        }),
    });
    let guard = CompleteOnDrop(Some(Arc::clone(&state)));
    let wrapped = async move {
        let guard = guard;
        let out = {
            // Pinned inside this block so it is dropped when the block ends: an aborted task's
            // future is gone before the handle hears about it.
            let mut fut = pin!(fut);
            poll_fn(|cx| {
                if guard.state().aborted.load(Ordering::SeqCst) {
                    return Poll::Ready(Err(JoinError::Aborted));
                }
                match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                    Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
                    Ok(Poll::Pending) => Poll::Pending,
                    Err(payload) => Poll::Ready(Err(JoinError::Panicked(panic_message(&*payload)))),
                }
            })
            .await
        };
        guard.complete(out);
    };
    let task = Task::new(Box::pin(wrapped), Arc::clone(&scheduler));
    let handle = JoinHandle {
        state,
        task: Waker::from(Arc::clone(&task)),
    };
    if scheduler.owned().is_closed() {
        // The runtime is shutting down: the task never runs and its handle says so.
        task.cancel();
    } else {
        scheduler.schedule_new(task);
    }
    handle
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A scheduler that only records what it was given.
    struct Recorder(Mutex<VecDeque<Arc<Task>>>, OwnedTasks);
    impl Default for Recorder {
        fn default() -> Self {
            Recorder(Mutex::default(), OwnedTasks::new())
        }
    }
    impl Schedule for Recorder {
        fn schedule(&self, task: Arc<Task>) {
            self.0.lock().unwrap().push_back(task);
        }
        fn owned(&self) -> &OwnedTasks {
            &self.1
        }
    }
    impl Recorder {
        fn pop(&self) -> Option<Arc<Task>> {
            self.0.lock().unwrap().pop_front()
        }
        fn len(&self) -> usize {
            self.0.lock().unwrap().len()
        }
    }

    #[test]
    fn a_task_woken_twice_is_queued_once() {
        let rec = Arc::new(Recorder::default());
        let stored = Arc::new(Mutex::new(None::<Waker>));
        let keep = Arc::clone(&stored);
        let _h = spawn_on(
            poll_fn(move |cx| {
                *keep.lock().unwrap() = Some(cx.waker().clone());
                Poll::<()>::Pending
            }),
            rec.clone(),
        );
        let task = rec.pop().unwrap();
        assert_eq!(task.run(), RunOutcome::Done);
        let waker = stored.lock().unwrap().clone().unwrap();
        waker.wake_by_ref();
        waker.wake_by_ref();
        assert_eq!(rec.len(), 1, "a queued task must not be queued again");
    }

    #[test]
    fn a_wake_during_the_poll_reschedules_instead_of_losing_it() {
        let rec = Arc::new(Recorder::default());
        let mut first = true;
        let _h = spawn_on(
            poll_fn(move |cx| {
                if first {
                    first = false;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Ready(())
            }),
            rec.clone(),
        );
        let task = rec.pop().unwrap();
        assert_eq!(task.run(), RunOutcome::Reschedule);
        assert_eq!(
            rec.len(),
            0,
            "the executor, not the waker, re-queues a running task"
        );
        assert_eq!(task.run(), RunOutcome::Done);
    }

    #[test]
    fn abort_drops_the_future_and_reports_aborted() {
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let rec = Arc::new(Recorder::default());
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = Flag(Arc::clone(&dropped));
        let mut h = spawn_on(
            async move {
                let _flag = flag;
                std::future::pending::<()>().await;
            },
            rec.clone(),
        );
        rec.pop().unwrap().run();
        h.abort();
        let task = rec.pop().expect("abort wakes the task");
        task.run();
        assert!(dropped.load(Ordering::SeqCst));
        let w = Waker::noop();
        assert_eq!(
            Pin::new(&mut h).poll(&mut Context::from_waker(w)),
            Poll::Ready(Err(JoinError::Aborted))
        );
    }

    #[test]
    fn a_panicking_task_reports_the_message() {
        let rec = Arc::new(Recorder::default());
        let mut h = spawn_on(async { panic!("boom") }, rec.clone());
        rec.pop().unwrap().run();
        let w = Waker::noop();
        assert_eq!(
            Pin::new(&mut h).poll(&mut Context::from_waker(w)),
            Poll::Ready(Err::<(), _>(JoinError::Panicked("boom".into())))
        );
    }

    #[test]
    fn a_cancelled_task_reports_cancelled() {
        let rec = Arc::new(Recorder::default());
        let mut h = spawn_on(std::future::pending::<()>(), rec.clone());
        rec.pop().unwrap().cancel();
        let w = Waker::noop();
        assert_eq!(
            Pin::new(&mut h).poll(&mut Context::from_waker(w)),
            Poll::Ready(Err(JoinError::Cancelled))
        );
    }
}
