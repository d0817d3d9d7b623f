//! The work-stealing multi-threaded runtime (course chapter 14, used by p2_chat).
//!
//! ```text
//!             spawn / wake from outside
//!                        |
//!                        v
//!                 +-------------+
//!                 |  Injector   |  global FIFO, any thread pushes
//!                 +-------------+
//!                  |           |
//!        worker 0  v           v  worker 1
//!   [LIFO slot][local deque] [LIFO slot][local deque]
//!                   ^   \_______steal half_____/  ^
//!                   |                             |
//!         spawn / wake on this worker     spawn / wake on that worker
//! ```
//!
//! A worker runs its LIFO slot, then its own deque, then the injector, then steals half of a
//! random victim's deque. With nothing anywhere it parks: one idle worker waits in the reactor
//! (so I/O and timers still make progress), the others on a condition variable. New work
//! unparks one of them.
//!
//! ```
//! use runtime_reference::executor::spawn;
//! use runtime_reference::multi::Runtime;
//!
//! let rt = Runtime::new(2);
//! let total = rt.block_on(async {
//!     let handles: Vec<_> = (0..100u64).map(|i| spawn(async move { i })).collect();
//!     let mut total = 0;
//!     for h in handles {
//!         total += h.await.unwrap();
//!     }
//!     total
//! });
//! assert_eq!(total, 4950);
//! ```

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::{self, JoinHandle as ThreadHandle};
use std::time::Duration;

use crossbeam_deque::{Injector, Steal, Stealer, Worker};

use crate::context::{self, Handle};
use crate::coop;
use crate::driver::Driver;
use crate::lock::{lock, try_lock, wait};
use crate::park::Parker;
use crate::task::{JoinHandle, OwnedTasks, RunOutcome, Schedule, Task, spawn_on};
use crate::timer::Clock;

/// How many tasks in a row may come from the LIFO slot. Two tasks that wake each other (a
/// ping-pong over a channel) would otherwise take turns in the slot forever while the tasks in
/// the deque never run.
const LIFO_CAP: u32 = 3;

/// Every this many tasks a worker looks at the injector first, and at the reactor, so neither
/// a busy local deque nor a busy worker set can starve injected tasks or I/O.
const GLOBAL_INTERVAL: u32 = 61;

/// Per-worker parking state.
#[derive(Default)]
struct Unparker {
    notified: AtomicBool,
    /// Set while this worker waits in the reactor rather than on the condvar.
    in_driver: AtomicBool,
    lock: Mutex<()>,
    cvar: Condvar,
}

struct Shared {
    injector: Injector<Arc<Task>>,
    stealers: Vec<Stealer<Arc<Task>>>,
    unparkers: Vec<Unparker>,
    /// Parked workers, by index.
    idle: Mutex<Vec<usize>>,
    num_idle: AtomicUsize,
    /// Workers that are awake and looking for work to steal; while one is, a new task will
    /// be found without waking anybody else.
    num_searching: AtomicUsize,
    /// Held by the one idle worker that waits in the reactor.
    driver_lock: Mutex<()>,
    driver: Arc<Driver>,
    shutdown: AtomicBool,
    owned: OwnedTasks,
    /// Turns of the workers' loops, so a test can tell parking from spinning.
    #[cfg(test)]
    turns: AtomicUsize,
}

impl Shared {
    fn idle(&self) -> MutexGuard<'_, Vec<usize>> {
        lock(&self.idle)
    }

    fn has_work_anywhere(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }

    /// There is new work: wake a parked worker unless one is already searching.
    fn notify_one(&self) {
        // Pairs with the fence in `park`: either the parking worker sees our work on its
        // second look, or we see it counted as idle here.
        fence(Ordering::SeqCst);
        if self.num_idle.load(Ordering::SeqCst) == 0
            || self.num_searching.load(Ordering::SeqCst) > 0
        {
            return;
        }
        let woken = {
            let mut idle = self.idle();
            let w = idle.pop();
            if w.is_some() {
                self.num_idle.fetch_sub(1, Ordering::SeqCst);
                // It wakes up searching; counted now so that a burst of spawns wakes one
                // worker, not all of them.
                self.num_searching.fetch_add(1, Ordering::SeqCst);
            }
            w
        };
        if let Some(index) = woken {
            self.unpark(index);
        }
    }

    fn unpark(&self, index: usize) {
        let u = &self.unparkers[index];
        u.notified.store(true, Ordering::SeqCst);
        if u.in_driver.load(Ordering::SeqCst) {
            self.driver.unpark();
        }
        let _guard = lock(&u.lock);
        u.cvar.notify_one();
    }

    fn unpark_all(&self) {
        for i in 0..self.unparkers.len() {
            self.unpark(i);
        }
        self.driver.unpark();
    }
}

/// A worker's own state, reachable from its thread through `WORKER`.
struct WorkerCtx {
    shared: Arc<Shared>,
    index: usize,
    local: Worker<Arc<Task>>,
    lifo: Cell<Option<Arc<Task>>>,
}

thread_local! {
    static WORKER: RefCell<Option<Rc<WorkerCtx>>> = const { RefCell::new(None) };
}

/// Run `f` with this thread's worker context if it belongs to `shared`.
fn with_local<R>(shared: &Shared, f: impl FnOnce(&WorkerCtx) -> R) -> Option<R> {
    WORKER.with(|w| match &*w.borrow() {
        Some(ctx) if std::ptr::eq(Arc::as_ptr(&ctx.shared), shared) => Some(f(ctx)),
        _ => None,
    })
}

impl Schedule for Shared {
    fn schedule(&self, task: Arc<Task>) {
        let mut task = Some(task);
        let done = with_local(self, |ctx| {
            let task = task.take().expect("task taken once");
            // A task woken here most likely needs the data that was just written by the task
            // that woke it (a message, a buffer): run it next, while that data is in cache.
            if let Some(prev) = ctx.lifo.replace(Some(task)) {
                ctx.local.push(prev);
                self.notify_one();
            }
        });
        if done.is_none()
            && let Some(task) = task
        {
            self.injector.push(task);
            self.notify_one();
        }
    }

    fn schedule_new(&self, task: Arc<Task>) {
        let mut task = Some(task);
        let done = with_local(self, |ctx| {
            ctx.local.push(task.take().expect("task taken once"));
        });
        if done.is_none()
            && let Some(task) = task
        {
            self.injector.push(task);
        }
        self.notify_one();
    }

    fn owned(&self) -> &OwnedTasks {
        &self.owned
    }
}

impl WorkerCtx {
    fn run(&self) {
        let mut tick: u32 = 0;
        let mut lifo_streak: u32 = 0;
        let mut searching = false;
        let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (self.index as u64 + 1);
        while !self.shared.shutdown.load(Ordering::Acquire) {
            #[cfg(test)]
            self.shared.turns.fetch_add(1, Ordering::Relaxed);
            tick = tick.wrapping_add(1);
            if tick.is_multiple_of(GLOBAL_INTERVAL) {
                self.maintenance();
            }
            let task = self
                .next_local(tick, &mut lifo_streak)
                .or_else(|| self.steal(&mut rng));
            match task {
                Some(task) => {
                    if searching {
                        searching = false;
                        // The last searcher found work: there may be more, wake a helper.
                        if self.shared.num_searching.fetch_sub(1, Ordering::SeqCst) == 1 {
                            self.shared.notify_one();
                        }
                    }
                    if task.run() == RunOutcome::Reschedule {
                        // A yield goes to the back of the deque, never the LIFO slot.
                        self.local.push(task);
                    }
                }
                None => {
                    if searching {
                        self.shared.num_searching.fetch_sub(1, Ordering::SeqCst);
                    }
                    self.park();
                    // Woken by `notify_one`, which counted us as searching.
                    searching = true;
                }
            }
        }
        if searching {
            self.shared.num_searching.fetch_sub(1, Ordering::SeqCst);
        }
        self.drain();
    }

    fn next_local(&self, tick: u32, lifo_streak: &mut u32) -> Option<Arc<Task>> {
        if tick.is_multiple_of(GLOBAL_INTERVAL)
            && let Some(t) = self.steal_injector()
        {
            return Some(t);
        }
        if let Some(t) = self.lifo.take() {
            if *lifo_streak < LIFO_CAP {
                *lifo_streak += 1;
                return Some(t);
            }
            // Over the cap: the slot's task waits its turn in the deque like the rest.
            self.local.push(t);
        }
        *lifo_streak = 0;
        self.local.pop().or_else(|| self.steal_injector())
    }

    fn steal_injector(&self) -> Option<Arc<Task>> {
        loop {
            match self.shared.injector.steal_batch_and_pop(&self.local) {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    fn steal(&self, rng: &mut u64) -> Option<Arc<Task>> {
        let n = self.shared.stealers.len();
        // A random first victim spreads thieves over the workers instead of all of them
        // hammering worker 0.
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        let start = (*rng % n as u64) as usize;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            loop {
                // Steal half, not one: one steal then feeds this worker for a while, so the
                // victim's deque is touched rarely and the load evens out in a few steals.
                match self.shared.stealers[victim].steal_batch_and_pop(&self.local) {
                    Steal::Success(t) => return Some(t),
                    Steal::Empty => break,
                    Steal::Retry => continue,
                }
            }
        }
        self.steal_injector()
    }

    /// Look at I/O and timers without waiting, if no idle worker is already doing so.
    fn maintenance(&self) {
        if let Some(_guard) = try_lock(&self.shared.driver_lock) {
            self.shared.driver.park(Some(Duration::ZERO));
        }
    }

    fn park(&self) {
        let shared = &self.shared;
        let me = &shared.unparkers[self.index];
        shared.idle().push(self.index);
        shared.num_idle.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        // Second look after announcing ourselves idle: work pushed before the announcement
        // was visible to its pusher would otherwise sit there with everybody asleep.
        let has_work = shared.has_work_anywhere() || shared.shutdown.load(Ordering::SeqCst);
        if !has_work {
            if let Some(_guard) = try_lock(&shared.driver_lock) {
                me.in_driver.store(true, Ordering::SeqCst);
                if !me.notified.swap(false, Ordering::SeqCst) {
                    shared.driver.park(None);
                }
                me.in_driver.store(false, Ordering::SeqCst);
            } else {
                let mut guard = lock(&me.lock);
                while !me.notified.swap(false, Ordering::SeqCst) {
                    guard = wait(&me.cvar, guard);
                }
            }
        }
        me.notified.store(false, Ordering::SeqCst);
        // If nobody popped us from the idle list (we woke on our own: I/O, a timer, or the
        // second look), take ourselves off it and count as searching like a woken worker.
        let mut idle = shared.idle();
        if let Some(pos) = idle.iter().position(|&i| i == self.index) {
            idle.swap_remove(pos);
            shared.num_idle.fetch_sub(1, Ordering::SeqCst);
            shared.num_searching.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Shutdown: drop every task still queued here.
    fn drain(&self) {
        if let Some(t) = self.lifo.take() {
            t.cancel();
        }
        while let Some(t) = self.local.pop() {
            t.cancel();
        }
    }
}

/// Configure a [`Runtime`].
#[derive(Debug, Clone)]
pub struct Builder {
    workers: usize,
}

impl Builder {
    /// Set the number of worker threads (at least 1).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// Start the workers.
    pub fn build(self) -> std::io::Result<Runtime> {
        Runtime::start(self.workers)
    }
}

/// A multi-threaded, work-stealing runtime. Dropping it stops the workers and cancels the
/// tasks they had not finished.
pub struct Runtime {
    shared: Arc<Shared>,
    handle: Handle,
    threads: Vec<ThreadHandle<()>>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("multi::Runtime")
            .field("workers", &self.threads.len())
            .finish()
    }
}

impl Runtime {
    /// A runtime with `workers` worker threads.
    ///
    /// # Panics
    /// If the reactor or a thread cannot be created.
    pub fn new(workers: usize) -> Runtime {
        Self::builder()
            .worker_threads(workers)
            .build()
            .expect("failed to start the multi-threaded runtime")
    }

    /// A builder, defaulting to one worker per available core.
    pub fn builder() -> Builder {
        Builder {
            workers: thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }

    fn start(workers: usize) -> std::io::Result<Runtime> {
        let driver = Driver::new(Clock::Real)?;
        let locals: Vec<Worker<Arc<Task>>> = (0..workers).map(|_| Worker::new_fifo()).collect();
        let shared = Arc::new(Shared {
            injector: Injector::new(),
            stealers: locals.iter().map(Worker::stealer).collect(),
            unparkers: (0..workers).map(|_| Unparker::default()).collect(),
            idle: Mutex::new(Vec::with_capacity(workers)),
            num_idle: AtomicUsize::new(0),
            num_searching: AtomicUsize::new(0),
            driver_lock: Mutex::new(()),
            driver: Arc::clone(&driver),
            shutdown: AtomicBool::new(false),
            owned: OwnedTasks::new(),
            #[cfg(test)]
            turns: AtomicUsize::new(0),
        });
        let handle = Handle {
            driver,
            scheduler: shared.clone(),
        };
        let mut threads = Vec::with_capacity(workers);
        for (index, local) in locals.into_iter().enumerate() {
            let shared = Arc::clone(&shared);
            let handle = handle.clone();
            threads.push(
                thread::Builder::new()
                    .name(format!("rt-worker-{index}"))
                    .spawn(move || {
                        let _driving = context::start_driving();
                        let _enter = context::enter(handle);
                        let ctx = Rc::new(WorkerCtx {
                            shared,
                            index,
                            local,
                            lifo: Cell::new(None),
                        });
                        WORKER.with(|w| *w.borrow_mut() = Some(Rc::clone(&ctx)));
                        ctx.run();
                        WORKER.with(|w| *w.borrow_mut() = None);
                    })?,
            );
        }
        Ok(Runtime {
            shared,
            handle,
            threads,
        })
    }

    /// Make this runtime current on this thread (see `executor::Runtime::enter`).
    pub fn enter(&self) -> context::EnterGuard {
        context::enter(self.handle.clone())
    }

    /// Spawn a task onto the workers.
    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(fut, self.handle.scheduler.clone())
    }

    /// Run `fut` on the calling thread (which parks while it is pending) while the workers run
    /// the spawned tasks. Inside, `executor::spawn`, `sleep` and the I/O types use this
    /// runtime.
    ///
    /// # Panics
    /// When called from inside a runtime (a task or another `block_on`): await instead.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let _driving = context::start_driving();
        let _enter = context::enter(self.handle.clone());
        let parker = Arc::new(Parker::new());
        let waker = Waker::from(Arc::clone(&parker));
        let mut cx = Context::from_waker(&waker);
        let mut fut = pin!(fut);
        loop {
            if let Poll::Ready(out) = coop::with_budget(|| fut.as_mut().poll(&mut cx)) {
                return out;
            }
            parker.park();
        }
    }

    /// The number of worker threads.
    pub fn workers(&self) -> usize {
        self.threads.len()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.shared.unpark_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        self.shared.owned.close_and_cancel_all();
        loop {
            match self.shared.injector.steal() {
                Steal::Success(t) => t.cancel(),
                Steal::Retry => continue,
                Steal::Empty => break,
            }
        }
        self.shared.driver.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::spawn;
    use crate::net::{TcpListener, TcpStream};
    use crate::sync::mpsc;
    use std::collections::HashSet;
    use std::sync::atomic::AtomicU8;

    #[test]
    fn a_hundred_thousand_tasks_all_complete_exactly_once() {
        const N: usize = 100_000;
        let rt = Runtime::new(2);
        let runs: Arc<Vec<AtomicU8>> = Arc::new((0..N).map(|_| AtomicU8::new(0)).collect());
        let r = Arc::clone(&runs);
        let outputs = rt.block_on(async move {
            // Spawned from a worker, so both the local-queue and the stealing paths are used.
            spawn(async move {
                let handles: Vec<_> = (0..N)
                    .map(|i| {
                        let r = Arc::clone(&r);
                        spawn(async move {
                            r[i].fetch_add(1, Ordering::SeqCst);
                            i
                        })
                    })
                    .collect();
                let mut sum = 0usize;
                for h in handles {
                    sum += h.await.unwrap();
                }
                sum
            })
            .await
            .unwrap()
        });
        assert_eq!(outputs, N * (N - 1) / 2);
        assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) == 1));
    }

    #[test]
    fn a_worker_with_all_the_work_gets_help() {
        let rt = Runtime::new(2);
        let threads = rt.block_on(async {
            spawn(async {
                // All 50 land in this worker's deque; the other worker must steal some.
                let handles: Vec<_> = (0..50)
                    .map(|_| {
                        spawn(async {
                            std::thread::sleep(Duration::from_millis(1));
                            thread::current().id()
                        })
                    })
                    .collect();
                let mut ids = HashSet::new();
                for h in handles {
                    ids.insert(h.await.unwrap());
                }
                ids.len()
            })
            .await
            .unwrap()
        });
        assert_eq!(threads, 2, "the idle worker never stole");
    }

    #[test]
    fn foreign_thread_wakes_are_never_lost() {
        let rt = Runtime::new(2);
        for _ in 0..300 {
            let (tx, rx) = crate::sync::oneshot::channel();
            let h = rt.spawn(rx);
            thread::spawn(move || tx.send(5).unwrap());
            assert_eq!(rt.block_on(h), Ok(Ok(5)));
        }
    }

    #[test]
    fn ping_pong_through_the_lifo_slot_does_not_starve_the_queue() {
        let rt = Runtime::new(1);
        let other_ran = rt.block_on(async {
            spawn(async {
                let (a_tx, mut a_rx) = mpsc::unbounded::<u32>();
                let (b_tx, mut b_rx) = mpsc::unbounded::<u32>();
                let flag = Arc::new(AtomicBool::new(false));
                let seen_at = Arc::new(AtomicUsize::new(usize::MAX));
                let pinger = spawn(async move {
                    for i in 0..1_000 {
                        a_tx.send(i).unwrap();
                        b_rx.recv().await.unwrap();
                    }
                });
                let ponger = spawn(async move {
                    while let Some(i) = a_rx.recv().await {
                        if b_tx.send(i).is_err() {
                            break;
                        }
                    }
                });
                let (f, s) = (Arc::clone(&flag), Arc::clone(&seen_at));
                let bystander = spawn(async move {
                    f.store(true, Ordering::SeqCst);
                    s.store(0, Ordering::SeqCst);
                });
                pinger.await.unwrap();
                let ran_during = flag.load(Ordering::SeqCst);
                bystander.await.unwrap();
                drop(ponger);
                ran_during
            })
            .await
            .unwrap()
        });
        assert!(
            other_ran,
            "a task in the deque waited for the whole ping-pong"
        );
    }

    #[test]
    fn workers_share_the_reactor_and_timers() {
        let rt = Runtime::new(2);
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            spawn(async move {
                loop {
                    let (conn, _) = listener.accept().await.unwrap();
                    spawn(async move {
                        let (mut r, mut w) = (&conn, &conn);
                        crate::io::copy(&mut r, &mut w).await.unwrap();
                        conn.shutdown_write().unwrap();
                    });
                }
            });
            let clients: Vec<_> = (0..20u8)
                .map(|i| {
                    spawn(async move {
                        crate::time::sleep(Duration::from_millis(u64::from(i % 3))).await;
                        let mut c = TcpStream::connect(addr).await.unwrap();
                        let msg = vec![i; 10_000];
                        c.write_all(&msg).await.unwrap();
                        c.shutdown_write().unwrap();
                        let mut back = Vec::new();
                        c.read_to_end(&mut back).await.unwrap();
                        back == msg
                    })
                })
                .collect();
            for c in clients {
                assert!(c.await.unwrap());
            }
        });
    }

    #[test]
    fn an_earlier_timer_interrupts_a_worker_waiting_for_a_later_one() {
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let rt = Runtime::new(1);
            // The only worker goes to sleep in the reactor until this far-away deadline.
            let far = rt.spawn(async { crate::time::sleep(Duration::from_secs(3600)).await });
            thread::sleep(Duration::from_millis(5));
            // A nearer timer, registered from outside the worker, must cut that wait short.
            rt.block_on(async { crate::time::sleep(Duration::from_millis(2)).await });
            far.abort();
            let _ = tx.send(());
        });
        // A generous guard so a missing interrupt fails instead of hanging for an hour.
        rx.recv_timeout(Duration::from_secs(10))
            .expect("the worker slept past a timer registered while it waited");
    }

    #[test]
    fn idle_workers_park_instead_of_spinning() {
        let rt = Runtime::new(2);
        rt.block_on(async { spawn(async {}).await.unwrap() });
        let before = rt.shared.turns.load(Ordering::Relaxed);
        // Nothing to do for a while (real time passes: a lower bound only).
        thread::sleep(Duration::from_millis(20));
        let idle_turns = rt.shared.turns.load(Ordering::Relaxed) - before;
        assert!(
            idle_turns <= 4,
            "idle workers went round {idle_turns} times"
        );
        // And a spawn still wakes one of them.
        assert_eq!(rt.block_on(rt.spawn(async { 3 })), Ok(3));
    }

    #[test]
    fn dropping_the_runtime_stops_the_workers() {
        let rt = Runtime::new(2);
        let h = rt.spawn(std::future::pending::<()>());
        rt.block_on(crate::coop::yield_now());
        drop(rt);
        assert_eq!(
            crate::park::block_on(h),
            Err(crate::task::JoinError::Cancelled)
        );
    }
}
