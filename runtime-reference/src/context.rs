//! The runtime this thread is running in: found by `spawn`, `sleep` and the I/O types, so they
//! need no handle passed around.

use std::cell::RefCell;
use std::sync::Arc;

use crate::driver::Driver;
use crate::task::Schedule;

#[derive(Clone)]
pub(crate) struct Handle {
    pub(crate) driver: Arc<Driver>,
    pub(crate) scheduler: Arc<dyn Schedule>,
}

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

pub(crate) fn try_current() -> Option<Handle> {
    CURRENT.with(|c| c.borrow().clone())
}

pub(crate) fn current() -> Handle {
    try_current().expect(
        "no runtime_reference runtime on this thread: call this inside Runtime::block_on, \
         a spawned task, or a worker of the multi-threaded runtime",
    )
}

/// Restores the previous runtime when dropped, so nested runtimes unwind correctly.
pub(crate) struct EnterGuard(Option<Handle>);

pub(crate) fn enter(handle: Handle) -> EnterGuard {
    EnterGuard(CURRENT.with(|c| c.borrow_mut().replace(handle)))
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}
