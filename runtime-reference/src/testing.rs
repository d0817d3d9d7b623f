//! Helpers for testing futures by hand: a waker that counts, a single poll, a `block_on` that
//! names a forgotten wake-up instead of hanging, a clock that only moves when told to, and a
//! real-time limit that turns a stuck test into a failure ([`finishes_within`]).
//!
//! ```
//! use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
//! use std::pin::pin;
//! use std::task::Poll;
//!
//! let counter = CountingWaker::new();
//! let mut fut = pin!(async { 7 });
//! assert_eq!(poll_once(fut.as_mut(), &counter.waker()), Poll::Ready(7));
//! assert_eq!(counter.count(), 0);
//!
//! assert_eq!(block_on_checked(async { 1 + 1 }), 2);
//! ```

use std::future::Future;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use crate::lock::lock;
use crate::timer::ManualClock;

/// A waker that counts wake-ups, so a test can assert "woken exactly once".
#[derive(Debug, Default)]
pub struct CountingWaker {
    wakes: AtomicUsize,
}

impl CountingWaker {
    /// A new counter at zero, shared so that the wakers it hands out can outlive the test's
    /// borrow.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A `Waker` that adds one to this counter each time it is woken.
    pub fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::clone(self))
    }

    /// How many times `wake` or `wake_by_ref` has been called on any of this counter's wakers.
    pub fn count(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }

    /// How many wakers (clones included) are alive right now. A future that stored its waker
    /// keeps this above zero; one that dropped every copy brings it back to zero.
    pub fn live_wakers(self: &Arc<Self>) -> usize {
        // One strong reference is the caller's own `Arc`.
        Arc::strong_count(self) - 1
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// Poll a pinned future once with the given waker.
pub fn poll_once<F: Future + ?Sized>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    let mut cx = Context::from_waker(waker);
    fut.poll(&mut cx)
}

/// The waker `block_on_checked` hands out: it remembers that it was woken and unparks the
/// blocked thread.
struct CheckedWaker {
    woken: AtomicBool,
    thread: Thread,
}

impl Wake for CheckedWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// The message `block_on_checked` panics with when no waker is left to wake the future.
pub const DROPPED_EVERY_WAKER: &str = "the future returned Pending and dropped every Waker it was \
given without waking it: nothing can ever wake it again. Did you forget to store the waker, or to \
call wake()?";

/// How long the blocked thread sleeps between checks on whether a waker is still alive.
const RECHECK: Duration = Duration::from_millis(5);

/// Run a future to completion on this thread.
///
/// Instead of hanging, it panics with [`DROPPED_EVERY_WAKER`] when the future returned `Pending`
/// and every waker it was given has been dropped without a wake: that future can never finish.
/// A future that keeps a waker (in a timer thread, a channel, another task) is waited for.
pub fn block_on_checked<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let state = Arc::new(CheckedWaker {
        woken: AtomicBool::new(false),
        thread: thread::current(),
    });
    loop {
        // The waker lives only for this poll, so afterwards every strong reference other than
        // `state` is a copy the future (or something it handed it to) kept.
        let waker = Waker::from(Arc::clone(&state));
        if let Poll::Ready(out) = poll_once(fut.as_mut(), &waker) {
            return out;
        }
        drop(waker);
        loop {
            if state.woken.swap(false, Ordering::SeqCst) {
                break;
            }
            if Arc::strong_count(&state) == 1 {
                // A waker calls wake before it is dropped, so a wake that raced with the last
                // drop is visible now: look once more before declaring the future dead.
                if state.woken.swap(false, Ordering::SeqCst) {
                    break;
                }
                panic!("{DROPPED_EVERY_WAKER}");
            }
            // Parking with a timeout lets us notice a waker dropped on another thread, which
            // does not unpark us.
            thread::park_timeout(RECHECK);
        }
    }
}

/// This process's resident memory in bytes, where Linux reports it (`VmRSS` in
/// `/proc/self/status`); `None` elsewhere.
///
/// For tests that must notice memory that is never given back, such as `Box::leak` used to get a
/// `'static` reference for a spawned task: memory that is freed is reused by the next call, so a
/// loop of calls grows the resident size only when something leaks.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Run `test` on a thread of its own and return what it returns, unless it is still running after
/// `limit` of real time: then write `test <name> FAILED: <stuck>` to stderr (`<name>` is the name
/// of the calling thread, which the test harness names after the test) and end the whole process
/// with exit status 101, the status of a failed test run.
///
/// If `test` panics, its panic is raised again on the calling thread with the same payload, so
/// the test fails with its own message.
///
/// Why end the process instead of failing just this test: a thread cannot be stopped from the
/// outside, so a stuck body would keep running (often spinning on a core) while the tests after it
/// run, starving them. And a limit inside the body cannot help when the body never yields: with
/// tokio's paused clock, time only moves forward while the runtime has nothing to run, so a task
/// that never waits also freezes the clock and no `tokio::time::timeout` around it can fire. Only
/// real time, watched from another thread, notices.
///
/// Keep `limit` well above what the test needs on a loaded machine (a second is usual for a
/// test whose own work takes milliseconds): it is a guard against hangs, not a measurement.
///
/// The function is runtime-agnostic: build whatever runtime the test needs inside `test`.
///
/// ```
/// use runtime_reference::testing::finishes_within;
/// use std::time::Duration;
///
/// // A test body on tokio's paused clock, failed if it spins for a second of real time.
/// fn paused<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
///     finishes_within(Duration::from_secs(1), "a task is spinning", || {
///         tokio::runtime::Builder::new_current_thread()
///             .enable_all()
///             .start_paused(true)
///             .build()
///             .expect("failed to build the test runtime")
///             .block_on(body())
///     })
/// }
///
/// paused(|| async {
///     tokio::time::sleep(Duration::from_secs(60)).await; // paused: returns at once
/// });
/// assert_eq!(finishes_within(Duration::from_secs(1), "stuck", || 6 * 7), 42);
/// ```
pub fn finishes_within<T: Send + 'static>(
    limit: Duration,
    stuck: &str,
    test: impl FnOnce() -> T + Send + 'static,
) -> T {
    let current = thread::current();
    let name = current.name().unwrap_or("a test");
    let (finished, outcome) = mpsc::channel();
    let mut body = thread::Builder::new();
    if let Some(name) = current.name() {
        // A panic message names the thread it happened on: let that be the test's name too.
        body = body.name(name.to_string());
    }
    body.spawn(move || {
        // Send the outcome rather than join: joining has no time limit.
        let _ = finished.send(catch_unwind(AssertUnwindSafe(test)));
    })
    .expect("failed to start the test thread");
    match outcome.recv_timeout(limit) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => {
            // Straight to stderr: the harness captures only what goes through print macros of
            // a test that then fails, and this process ends before that could happen.
            let _ =
                std::io::stderr().write_all(format!("\ntest {name} FAILED: {stuck}\n").as_bytes());
            std::process::exit(101);
        }
    }
}

/// A manual clock for timer tests: it starts at an arbitrary instant and moves only when
/// [`advance`](TestClock::advance) is called. Clones share the same time.
#[derive(Debug, Clone)]
pub struct TestClock {
    start: Instant,
    offset: Arc<Mutex<Duration>>,
}

impl TestClock {
    /// A clock frozen at the moment of creation.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            offset: Arc::new(Mutex::new(Duration::ZERO)),
        }
    }

    /// The current time of this clock.
    pub fn now(&self) -> Instant {
        self.start + *lock(&self.offset)
    }

    /// Move the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *lock(&self.offset) += by;
    }

    /// Move the clock forward to `to`; does nothing if `to` is in the clock's past.
    pub fn advance_to(&self, to: Instant) {
        let mut offset = lock(&self.offset);
        if let Some(ahead) = to.checked_duration_since(self.start + *offset) {
            *offset += ahead;
        }
    }

    /// How far the clock has been advanced since it was created.
    pub fn elapsed(&self) -> Duration {
        *lock(&self.offset)
    }
}

impl Default for TestClock {
    fn default() -> Self {
        Self::new()
    }
}

/// What a runtime built with `Runtime::with_test_clock` reads: the driver sees only this
/// trait, so the runtime does not depend on the testing helpers.
impl ManualClock for TestClock {
    fn now(&self) -> Instant {
        TestClock::now(self)
    }

    fn advance_to(&self, to: Instant) {
        TestClock::advance_to(self, to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pending forever, dropping the waker each time.
    struct ForgetsWaker;
    impl Future for ForgetsWaker {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }

    /// Pending once; hands the waker to a thread that wakes it a little later.
    struct WokenLater {
        started: bool,
    }
    impl Future for WokenLater {
        type Output = &'static str;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
            if self.started {
                return Poll::Ready("done");
            }
            self.started = true;
            let waker = cx.waker().clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(20));
                waker.wake();
            });
            Poll::Pending
        }
    }

    #[test]
    fn counting_waker_counts_wake_and_wake_by_ref() {
        let counter = CountingWaker::new();
        let waker = counter.waker();
        waker.wake_by_ref();
        let copy = waker.clone();
        copy.wake();
        assert_eq!(counter.count(), 2);
        assert_eq!(counter.live_wakers(), 1);
        drop(waker);
        assert_eq!(counter.live_wakers(), 0);
    }

    #[test]
    fn poll_once_returns_the_poll_result() {
        let counter = CountingWaker::new();
        let mut fut = pin!(ForgetsWaker);
        assert!(poll_once(fut.as_mut(), &counter.waker()).is_pending());
    }

    #[test]
    fn deadlock_detector_fires_on_a_never_woken_future() {
        let err = std::panic::catch_unwind(|| block_on_checked(ForgetsWaker)).unwrap_err();
        let msg = err
            .downcast_ref::<String>()
            .expect("a formatted panic message");
        assert!(msg.contains("dropped every Waker"), "{msg}");
    }

    #[test]
    fn deadlock_detector_is_quiet_on_a_future_woken_from_another_thread() {
        assert_eq!(block_on_checked(WokenLater { started: false }), "done");
    }

    #[test]
    fn deadlock_detector_is_quiet_on_a_self_waking_future() {
        let mut polls = 0;
        let out = block_on_checked(std::future::poll_fn(|cx| {
            polls += 1;
            if polls < 5 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(polls)
            }
        }));
        assert_eq!(out, 5);
    }

    #[test]
    fn test_clock_moves_only_when_advanced() {
        let clock = TestClock::new();
        let t0 = clock.now();
        thread::sleep(Duration::from_millis(2));
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::from_secs(3));
        assert_eq!(clock.now(), t0 + Duration::from_secs(3));
        let shared = clock.clone();
        shared.advance_to(t0 + Duration::from_secs(10));
        assert_eq!(clock.elapsed(), Duration::from_secs(10));
        shared.advance_to(t0);
        assert_eq!(clock.elapsed(), Duration::from_secs(10));
    }

    #[test]
    fn finishes_within_returns_the_value_of_a_finished_body() {
        let out = finishes_within(Duration::from_secs(5), "unused", || "finished".to_string());
        assert_eq!(out, "finished");
    }

    #[test]
    fn finishes_within_passes_a_panic_through_unchanged() {
        let seven = std::hint::black_box(7);
        let err = std::panic::catch_unwind(|| {
            finishes_within(Duration::from_secs(5), "unused", move || -> () {
                panic!("the body's own message {seven}")
            })
        })
        .unwrap_err();
        let msg = err
            .downcast_ref::<String>()
            .expect("a formatted panic message");
        assert_eq!(msg, "the body's own message 7");
    }

    /// Set in the child process that `finishes_within_ends_the_run_on_a_stuck_body` starts.
    const STUCK_CHILD: &str = "RUNTIME_REFERENCE_STUCK_CHILD";

    /// Does nothing in a normal run. In the child process it runs a body that never finishes,
    /// so `finishes_within` must end the process.
    #[test]
    fn stuck_body_in_a_child_process() {
        if std::env::var_os(STUCK_CHILD).is_none() {
            return;
        }
        finishes_within(
            Duration::from_millis(50),
            "the body is parked for good",
            || {
                loop {
                    thread::park();
                }
            },
        );
        unreachable!("finishes_within returned although its body never finished");
    }

    #[test]
    fn finishes_within_ends_the_run_on_a_stuck_body() {
        let started = Instant::now();
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "testing::tests::stuck_body_in_a_child_process"])
            .env(STUCK_CHILD, "1")
            .output()
            .expect("failed to run the test binary");
        let stderr = String::from_utf8_lossy(&child.stderr);
        assert_eq!(child.status.code(), Some(101), "stderr: {stderr}");
        assert!(
            stderr.contains(
                "test testing::tests::stuck_body_in_a_child_process FAILED: the body is parked for good"
            ),
            "stderr: {stderr}"
        );
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
