//! Wakers three ways: a no-op waker from a raw vtable, a counting waker through the `Wake`
//! trait, and a waker that unparks a thread (course chapter 03).
//!
//! ```
//! use runtime_reference::waker::{noop_waker, ThreadWaker};
//! use std::task::Waker;
//!
//! noop_waker().wake(); // does nothing, safely
//!
//! let waker: Waker = ThreadWaker::current();
//! waker.wake_by_ref(); // unparks this thread: the next park() returns at once
//! std::thread::park();
//! ```

use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{RawWaker, RawWakerVTable, Wake, Waker};
use std::thread::{self, Thread};

/// The raw path: a waker with no data whose every operation does nothing. The standard library
/// has `Waker::noop()`; this shows what it is made of.
#[allow(unsafe_code)]
pub fn noop_waker() -> Waker {
    // SAFETY: every vtable function ignores its data pointer, so a null pointer is never read,
    // and `clone` returns another raw waker with the same (trivially valid) vtable.
    unsafe { Waker::from_raw(noop_raw()) }
}

fn noop_raw() -> RawWaker {
    RawWaker::new(ptr::null(), &NOOP_VTABLE)
}

fn noop_clone(_: *const ()) -> RawWaker {
    noop_raw()
}

fn noop_nothing(_: *const ()) {}

static NOOP_VTABLE: RawWakerVTable =
    RawWakerVTable::new(noop_clone, noop_nothing, noop_nothing, noop_nothing);

/// The `Wake` path, no `unsafe`: a counter shared by every clone of the waker.
/// (`testing::CountingWaker` is the same idea with a richer test API.)
#[derive(Debug, Default)]
pub struct WakeCounter(AtomicUsize);

impl WakeCounter {
    /// Wake-ups so far.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A waker that unparks the thread that created it: the waker of a `poll`/`park` loop.
#[derive(Debug)]
pub struct ThreadWaker(Thread);

impl ThreadWaker {
    /// A waker for the calling thread.
    pub fn current() -> Waker {
        Waker::from(Arc::new(ThreadWaker(thread::current())))
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // `unpark` before `park` is remembered by std's thread token, so this cannot be lost.
        self.0.unpark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn noop_waker_clones_and_wakes_without_effect() {
        let w = noop_waker();
        let copy = w.clone();
        assert!(w.will_wake(&copy));
        copy.wake();
        w.wake_by_ref();
    }

    #[test]
    fn wake_counter_counts_through_clones() {
        let counter = Arc::new(WakeCounter::default());
        let w = Waker::from(Arc::clone(&counter));
        let copy = w.clone();
        w.wake_by_ref();
        copy.wake();
        assert_eq!(counter.get(), 2);
        drop(w);
        assert_eq!(Arc::strong_count(&counter), 1);
    }

    #[test]
    fn thread_waker_unparks_a_parked_thread() {
        let (tx, rx) = std::sync::mpsc::channel();
        let parked = thread::spawn(move || {
            tx.send(ThreadWaker::current()).unwrap();
            thread::park();
        });
        let w = rx.recv().unwrap();
        thread::sleep(Duration::from_millis(2));
        w.wake();
        parked.join().unwrap();
    }
}
