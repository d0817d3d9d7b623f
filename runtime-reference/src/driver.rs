//! The driver: the reactor and the timer heap behind one `park`, so an idle executor waits for
//! whichever comes first, an I/O event or the next deadline.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::reactor::Reactor;
use crate::testing::TestClock;
use crate::time::{TimerHeap, TimerKey};

pub(crate) struct Driver {
    reactor: Arc<Reactor>,
    timers: Mutex<TimerHeap>,
    /// `Some` for a runtime on a test clock: time moves only by `advance` or when the runtime
    /// is idle with a timer pending (then it jumps to that timer).
    clock: Option<TestClock>,
    /// Threads inside `park` right now. A new earliest timer only needs to interrupt the
    /// reactor when someone may be waiting in it with a later deadline.
    waiting: AtomicUsize,
}

impl Driver {
    pub(crate) fn new(clock: Option<TestClock>) -> io::Result<Arc<Driver>> {
        Ok(Arc::new(Driver {
            reactor: Reactor::new()?,
            timers: Mutex::new(TimerHeap::new()),
            clock,
            waiting: AtomicUsize::new(0),
        }))
    }

    pub(crate) fn reactor(&self) -> &Arc<Reactor> {
        &self.reactor
    }

    pub(crate) fn now(&self) -> Instant {
        match &self.clock {
            Some(clock) => clock.now(),
            None => Instant::now(),
        }
    }

    fn timers(&self) -> MutexGuard<'_, TimerHeap> {
        self.timers.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn insert_timer(&self, deadline: Instant, waker: Waker) -> TimerKey {
        let (key, earliest) = {
            let mut timers = self.timers();
            let before = timers.next_deadline();
            let key = timers.insert(deadline, waker);
            (key, before.is_none_or(|b| deadline < b))
        };
        // SeqCst pairs with `park`, which counts itself waiting before it reads the next
        // deadline: either it sees our timer, or we see it waiting and interrupt it.
        if earliest && self.waiting.load(Ordering::SeqCst) > 0 {
            // It may be waiting until a later deadline: make it recompute.
            self.reactor.unpark();
        }
        key
    }

    pub(crate) fn update_timer_waker(&self, key: TimerKey, waker: &Waker) -> bool {
        self.timers().update_waker(key, waker)
    }

    pub(crate) fn remove_timer(&self, key: TimerKey) {
        self.timers().remove(key);
    }

    pub(crate) fn timer_count(&self) -> usize {
        self.timers().len()
    }

    /// Wait for I/O, a deadline, or an `unpark`, at most `timeout` (`None`: no limit but
    /// those), then wake whatever became ready.
    pub(crate) fn park(&self, timeout: Option<Duration>) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        self.wait(timeout);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        self.fire_timers();
    }

    fn wait(&self, timeout: Option<Duration>) {
        let next = self.timers().next_deadline();
        match &self.clock {
            None => {
                let until_timer = next.map(|d| d.saturating_duration_since(Instant::now()));
                let wait = match (timeout, until_timer) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                // An error here means the epoll fd is broken; nothing useful to do but retry.
                let _ = self.reactor.wait(wait);
            }
            Some(clock) => {
                let events = self.reactor.wait(Some(Duration::ZERO)).unwrap_or(0);
                if events == 0 && timeout.is_none() {
                    match next {
                        // Idle with a timer pending: nothing else can happen first on a
                        // clock that stands still, so jump to it.
                        Some(deadline) => clock.advance_to(deadline),
                        None => {
                            let _ = self.reactor.wait(None);
                        }
                    }
                }
            }
        }
    }

    fn fire_timers(&self) {
        let fired = self.timers().take_expired(self.now());
        // Woken outside the lock: a woken task may insert a new timer straight away.
        for waker in fired {
            waker.wake();
        }
    }

    pub(crate) fn unpark(&self) {
        self.reactor.unpark();
    }

    /// Drop every stored waker so tasks parked on timers or I/O can be freed.
    pub(crate) fn shutdown(&self) {
        self.timers().clear();
        self.reactor.clear_wakers();
    }
}
