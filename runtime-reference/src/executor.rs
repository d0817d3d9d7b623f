//! The single-threaded executor: a ready queue, `spawn`, and a loop that parks in the reactor
//! when there is nothing to run (course chapters 05, 09 and 10).
//!
//! ```
//! use runtime_reference::executor::{Runtime, spawn};
//! use runtime_reference::coop::yield_now;
//!
//! let rt = Runtime::new();
//! let sum = rt.block_on(async {
//!     let handles: Vec<_> = (1..=10u64)
//!         .map(|i| spawn(async move { yield_now().await; i }))
//!         .collect();
//!     let mut sum = 0;
//!     for h in handles {
//!         sum += h.await.unwrap();
//!     }
//!     sum
//! });
//! assert_eq!(sum, 55);
//! ```

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::context::{self, Handle};
use crate::coop;
use crate::driver::Driver;
use crate::lock::lock;
use crate::task::{JoinHandle, OwnedTasks, RunOutcome, Schedule, Task, spawn_on};
use crate::testing::TestClock;
use crate::timer::Clock;

pub use crate::context::EnterGuard;
pub use crate::coop::yield_now;
pub use crate::task::JoinError;

/// Tasks run between two looks at the reactor and the timers when the queue never empties;
/// without it a busy runtime would never notice I/O or expired timers.
const EVENT_INTERVAL: u32 = 61;

thread_local! {
    /// The address of the `Shared` whose `block_on` is running on this thread, so a wake from
    /// this very thread knows it need not interrupt the reactor.
    static RUNNING_HERE: Cell<usize> = const { Cell::new(0) };
}

struct Shared {
    queue: Mutex<VecDeque<Arc<Task>>>,
    driver: Arc<Driver>,
    /// Set while the runtime thread waits in the reactor.
    parked: AtomicBool,
    owned: OwnedTasks,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, VecDeque<Arc<Task>>> {
        lock(&self.queue)
    }

    fn notify(&self) {
        // SeqCst pairs with the runtime's store to `parked` and its second look at the queue:
        // either it sees our work, or we see it parked and interrupt the wait.
        let here = RUNNING_HERE.with(Cell::get) == self as *const Shared as usize;
        if !here && self.parked.load(Ordering::SeqCst) {
            self.driver.unpark();
        }
    }
}

impl Schedule for Shared {
    fn schedule(&self, task: Arc<Task>) {
        self.queue().push_back(task);
        self.notify();
    }

    fn owned(&self) -> &OwnedTasks {
        &self.owned
    }
}

/// The waker of the future passed to `block_on`, which is not a task.
struct MainWaker {
    woken: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.shared.notify();
    }
}

/// A single-threaded runtime: tasks, a reactor and timers, all driven by the thread that
/// calls [`block_on`](Runtime::block_on).
pub struct Runtime {
    shared: Arc<Shared>,
    handle: Handle,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("queued", &self.shared.queue().len())
            .finish()
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

impl Runtime {
    /// A runtime on the real clock.
    ///
    /// # Panics
    /// If the OS refuses to create the reactor (`epoll`/`kqueue`); see [`Runtime::try_new`].
    pub fn new() -> Runtime {
        Self::try_new().expect("failed to create the reactor")
    }

    /// A runtime on the real clock, reporting reactor creation errors.
    pub fn try_new() -> std::io::Result<Runtime> {
        Self::build(Clock::Real)
    }

    /// A runtime whose time is `clock`: it stands still while tasks run, and when the runtime
    /// is idle with a timer pending, it jumps to that timer. Timer tests run instantly and
    /// deterministically.
    ///
    /// # Panics
    /// If the OS refuses to create the reactor.
    pub fn with_test_clock(clock: TestClock) -> Runtime {
        Self::build(Clock::Manual(Arc::new(clock))).expect("failed to create the reactor")
    }

    fn build(clock: Clock) -> std::io::Result<Runtime> {
        let driver = Driver::new(clock)?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            driver: Arc::clone(&driver),
            parked: AtomicBool::new(false),
            owned: OwnedTasks::new(),
        });
        let handle = Handle {
            driver,
            scheduler: shared.clone(),
        };
        Ok(Runtime { shared, handle })
    }

    /// Make this runtime current on this thread without running it, so `sleep`, `spawn` and
    /// the I/O types can be created outside `block_on` (for example a listener bound before the
    /// server starts).
    pub fn enter(&self) -> EnterGuard {
        context::enter(self.handle.clone())
    }

    /// Spawn a task; it runs while some `block_on` of this runtime is running.
    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(fut, self.handle.scheduler.clone())
    }

    /// Run `fut` to completion, running spawned tasks, I/O and timers meanwhile. Tasks still
    /// pending when `fut` finishes stay queued for the next `block_on`.
    ///
    /// # Panics
    /// When called from inside a runtime (a task or another `block_on`): await instead.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let _driving = context::start_driving();
        let _enter = context::enter(self.handle.clone());
        let me = Arc::as_ptr(&self.shared) as usize;
        let prev = RUNNING_HERE.with(|r| r.replace(me));
        let _restore = RestoreRunning(prev);

        let main = Arc::new(MainWaker {
            woken: AtomicBool::new(true),
            shared: Arc::clone(&self.shared),
        });
        let waker = Waker::from(Arc::clone(&main));
        let mut cx = Context::from_waker(&waker);
        let mut fut = pin!(fut);
        loop {
            if main.woken.swap(false, Ordering::SeqCst)
                && let Poll::Ready(out) = coop::with_budget(|| fut.as_mut().poll(&mut cx))
            {
                return out;
            }
            let mut ran = 0;
            while ran < EVENT_INTERVAL {
                let Some(task) = self.shared.queue().pop_front() else {
                    break;
                };
                if task.run() == RunOutcome::Reschedule {
                    // Back of the queue: a task that yields lets every other task go first.
                    self.shared.queue().push_back(task);
                }
                ran += 1;
            }
            if ran == EVENT_INTERVAL {
                // Busy: look at I/O and timers without waiting.
                self.shared.driver.park(Some(Duration::ZERO));
                continue;
            }
            self.shared.parked.store(true, Ordering::SeqCst);
            if self.shared.queue().is_empty() && !main.woken.load(Ordering::SeqCst) {
                // Nothing to run: sleep in the reactor until I/O, a timer, or a wake.
                self.shared.driver.park(None);
            }
            self.shared.parked.store(false, Ordering::SeqCst);
        }
    }
}

struct RestoreRunning(usize);

impl Drop for RestoreRunning {
    fn drop(&mut self) {
        RUNNING_HERE.with(|r| r.set(self.0));
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Drop every unfinished task's future (their join handles report `Cancelled`), then
        // the queue and every stored waker, so nothing keeps a task alive.
        self.shared.owned.close_and_cancel_all();
        let queued: Vec<_> = self.shared.queue().drain(..).collect();
        for task in queued {
            task.cancel();
        }
        self.shared.driver.shutdown();
    }
}

/// Spawn a task on the runtime this thread is running in (single- or multi-threaded).
///
/// # Panics
/// Outside a runtime.
pub fn spawn<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_on(fut, context::current_scheduler())
}

/// Run `fut` on a fresh single-threaded runtime: `Runtime::new().block_on(fut)`.
pub fn run<F: Future>(fut: F) -> F::Output {
    Runtime::new().block_on(fut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::CountingWaker;
    use std::future::poll_fn;
    use std::sync::atomic::AtomicUsize;
    use std::thread;

    #[test]
    fn spawned_tasks_run_in_fifo_order() {
        let order = Arc::new(Mutex::new(Vec::new()));
        run(async {
            let hs: Vec<_> = (0..5)
                .map(|i| {
                    let order = Arc::clone(&order);
                    spawn(async move { order.lock().unwrap().push(i) })
                })
                .collect();
            for h in hs {
                h.await.unwrap();
            }
        });
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_yielding_task_does_not_starve_a_quick_one() {
        let spins = Arc::new(AtomicUsize::new(0));
        let seen = run({
            let spins = Arc::clone(&spins);
            async move {
                let spinner = spawn({
                    let spins = Arc::clone(&spins);
                    async move {
                        for _ in 0..1_000 {
                            spins.fetch_add(1, Ordering::SeqCst);
                            yield_now().await;
                        }
                    }
                });
                let quick = spawn({
                    let spins = Arc::clone(&spins);
                    async move { spins.load(Ordering::SeqCst) }
                });
                let seen = quick.await.unwrap();
                spinner.await.unwrap();
                seen
            }
        });
        assert!(seen < 10, "the quick task waited for {seen} spins");
        assert_eq!(spins.load(Ordering::SeqCst), 1_000);
    }

    #[test]
    fn a_task_that_never_yields_is_forced_to_by_the_budget() {
        // A resource that is always ready but spends budget, like a full channel.
        let other_ran_after = run(async {
            let ops = Arc::new(AtomicUsize::new(0));
            let busy = spawn({
                let ops = Arc::clone(&ops);
                async move {
                    for _ in 0..1_000 {
                        poll_fn(coop::poll_proceed).await;
                        ops.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
            let other = spawn({
                let ops = Arc::clone(&ops);
                async move { ops.load(Ordering::SeqCst) }
            });
            let n = other.await.unwrap();
            busy.await.unwrap();
            n
        });
        assert_eq!(other_ran_after, coop::BUDGET as usize);
    }

    #[test]
    fn abort_drops_the_task_and_the_handle_says_so() {
        struct Dropped(Arc<AtomicBool>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let flag = Arc::new(AtomicBool::new(false));
        let res = run({
            let d = Dropped(Arc::clone(&flag));
            async move {
                let h = spawn(async move {
                    let _d = d;
                    std::future::pending::<()>().await
                });
                yield_now().await;
                h.abort();
                h.await
            }
        });
        assert_eq!(res, Err(JoinError::Aborted));
        assert!(flag.load(Ordering::SeqCst));
    }

    #[test]
    fn idle_executor_parks_instead_of_polling() {
        // A future woken once from another thread after a short delay: it must be polled
        // exactly twice, not spun on while idle.
        let polls = Arc::new(AtomicUsize::new(0));
        let p = Arc::clone(&polls);
        let mut started = false;
        run(poll_fn(move |cx| {
            p.fetch_add(1, Ordering::SeqCst);
            if started {
                return Poll::Ready(());
            }
            started = true;
            let w = cx.waker().clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(5));
                w.wake();
            });
            Poll::Pending
        }));
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn foreign_thread_wakes_of_tasks_are_never_lost() {
        let rt = Runtime::new();
        for _ in 0..500 {
            let out = rt.block_on(async {
                spawn(async {
                    let mut handed = false;
                    let flag = Arc::new(AtomicBool::new(false));
                    poll_fn(|cx| {
                        if flag.load(Ordering::SeqCst) {
                            return Poll::Ready(1);
                        }
                        if !handed {
                            handed = true;
                            let (w, f) = (cx.waker().clone(), Arc::clone(&flag));
                            thread::spawn(move || {
                                f.store(true, Ordering::SeqCst);
                                w.wake();
                            });
                        }
                        Poll::Pending
                    })
                    .await
                })
                .await
            });
            assert_eq!(out, Ok(1));
        }
    }

    #[test]
    fn enter_lets_resources_be_made_outside_block_on() {
        let rt = Runtime::with_test_clock(TestClock::new());
        let sleep = {
            let _guard = rt.enter();
            crate::time::sleep(Duration::from_secs(1))
        };
        rt.block_on(sleep);
    }

    #[test]
    #[should_panic(expected = "use .await there instead")]
    fn nested_block_on_is_refused() {
        let rt = Runtime::new();
        rt.block_on(async { Runtime::new().block_on(async {}) });
    }

    #[test]
    fn dropping_the_runtime_cancels_pending_tasks() {
        let rt = Runtime::new();
        let quick = rt.spawn(async {});
        let h = rt.spawn(std::future::pending::<()>());
        // Polled once, so it sits in no queue: only the live-task set still knows it. The
        // quick task finished in its first poll and never entered the set.
        rt.block_on(yield_now());
        assert!(quick.is_finished());
        assert_eq!(rt.shared.owned.len(), 1);
        drop(rt);
        let w = CountingWaker::new();
        let mut h = h;
        assert_eq!(
            crate::testing::poll_once(std::pin::Pin::new(&mut h), &w.waker()),
            Poll::Ready(Err(JoinError::Cancelled))
        );
    }
}
