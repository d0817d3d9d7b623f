//! The runtime this thread is running in: found by `spawn`, `sleep` and the I/O types, so they
//! need no handle passed around.
//!
//! The lookups live here, not in `reactor` or `timer`, so that those stand alone: the runtime
//! knows its reactor and timers, never the other way round.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

use mio::event::Source;

use crate::driver::Driver;
use crate::reactor::Registered;
use crate::task::Schedule;
use crate::timer::Timers;

#[derive(Clone)]
pub(crate) struct Handle {
    pub(crate) driver: Arc<Driver>,
    pub(crate) scheduler: Arc<dyn Schedule>,
}

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// Set while this thread drives a runtime (inside `block_on`, or as a worker).
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread as driving a runtime until dropped.
pub(crate) struct DrivingGuard(());

/// Mark this thread as driving a runtime.
///
/// # Panics
/// If it already is: a nested `block_on` would run the outer runtime's tasks re-entrantly
/// (or block the thread that must run them), so it is refused with a clear message.
pub(crate) fn start_driving() -> DrivingGuard {
    if DRIVING.with(|d| d.replace(true)) {
        panic!(
            "block_on called on a thread that is already running a runtime_reference runtime \
             (inside block_on or a task): use .await there instead"
        );
    }
    DrivingGuard(())
}

impl Drop for DrivingGuard {
    fn drop(&mut self) {
        DRIVING.with(|d| d.set(false));
    }
}

const NO_RUNTIME: &str = "no runtime_reference runtime on this thread: call this inside \
    Runtime::block_on, a spawned task, a worker of the multi-threaded runtime, or while a \
    Runtime::enter guard is alive";

/// Look into the current runtime's handle, so a caller clones only the part it needs.
///
/// # Panics
/// Outside a runtime.
fn with_current<R>(f: impl FnOnce(&Handle) -> R) -> R {
    CURRENT
        .with(|c| c.borrow().as_ref().map(f))
        .expect(NO_RUNTIME)
}

/// The current runtime's scheduler (for `spawn`).
pub(crate) fn current_scheduler() -> Arc<dyn Schedule> {
    with_current(|h| Arc::clone(&h.scheduler))
}

/// The current runtime's timers (for `sleep` and `time::now`).
pub(crate) fn current_timers() -> Arc<Timers> {
    with_current(|h| Arc::clone(h.driver.timers()))
}

impl<S: Source> Registered<S> {
    /// Register `source` with the reactor of the runtime this thread is running in.
    ///
    /// # Panics
    /// Outside a runtime (`Runtime::block_on`, a spawned task, or a worker thread).
    pub fn new(source: S) -> std::io::Result<Self> {
        let reactor = with_current(|h| Arc::clone(h.driver.reactor()));
        Self::with_reactor(source, &reactor)
    }
}

/// Makes a runtime current on this thread until dropped, then restores the previous one, so
/// nested runtimes unwind correctly. Returned by `Runtime::enter`.
#[must_use = "the runtime stays current only while the guard lives"]
pub struct EnterGuard {
    prev: Option<Handle>,
    // The guard restores a thread-local: it must be dropped on the thread that made it.
    _not_send: PhantomData<Rc<()>>,
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnterGuard")
    }
}

pub(crate) fn enter(handle: Handle) -> EnterGuard {
    EnterGuard {
        prev: CURRENT.with(|c| c.borrow_mut().replace(handle)),
        _not_send: PhantomData,
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}
