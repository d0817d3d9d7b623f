//! The driver: the reactor and the timers behind one `park`, so an idle executor waits for
//! whichever comes first, an I/O event or the next deadline.
//!
//! It sits above both and neither knows it: the reactor only reports I/O, the timers only
//! keep deadlines and a clock, and the driver decides how long to wait.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::reactor::Reactor;
use crate::timer::{Clock, Timers};

pub(crate) struct Driver {
    reactor: Arc<Reactor>,
    timers: Arc<Timers>,
}

impl Driver {
    /// A driver whose timers read `clock`. On a manual clock, time moves only when told to or
    /// when the runtime is idle with a timer pending (then it jumps to that timer).
    pub(crate) fn new(clock: Clock) -> io::Result<Arc<Driver>> {
        let reactor = Reactor::new()?;
        let to_unpark = Arc::clone(&reactor);
        // A new earliest timer interrupts a thread waiting in the reactor for a later one.
        let timers = Arc::new(Timers::new(clock, move || to_unpark.unpark()));
        Ok(Arc::new(Driver { reactor, timers }))
    }

    pub(crate) fn reactor(&self) -> &Arc<Reactor> {
        &self.reactor
    }

    pub(crate) fn timers(&self) -> &Arc<Timers> {
        &self.timers
    }

    /// Wait for I/O, a deadline, or an `unpark`, at most `timeout` (`None`: no limit but
    /// those), then wake whatever became ready.
    pub(crate) fn park(&self, timeout: Option<Duration>) {
        let next = self.timers.start_waiting();
        self.wait(next, timeout);
        self.timers.stop_waiting();
        self.timers.fire_expired();
    }

    fn wait(&self, next: Option<Instant>, timeout: Option<Duration>) {
        match self.timers.clock() {
            Clock::Real => {
                let until_timer = next.map(|d| d.saturating_duration_since(Instant::now()));
                let wait = match (timeout, until_timer) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                // An error here means the epoll fd is broken; nothing useful to do but retry.
                let _ = self.reactor.wait(wait);
            }
            Clock::Manual(clock) => {
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

    pub(crate) fn unpark(&self) {
        self.reactor.unpark();
    }

    /// Drop every stored waker so tasks parked on timers or I/O can be freed.
    pub(crate) fn shutdown(&self) {
        self.timers.clear();
        self.reactor.clear_wakers();
    }
}
