//! `block_on` and the parker under it (course chapter 05).
//!
//! The parker remembers a notification that arrives while nobody is parked, so a wake-up that
//! lands between "the future returned `Pending`" and "the thread goes to sleep" is not lost.
//!
//! ```
//! use runtime_reference::park::block_on;
//!
//! let answer = block_on(async { 6 * 7 });
//! assert_eq!(answer, 42);
//! ```

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::lock::{lock, wait, wait_timeout_while};

/// A one-slot notification: `unpark` sets it, `park` waits for it and clears it.
#[derive(Debug, Default)]
pub struct Parker {
    notified: Mutex<bool>,
    cvar: Condvar,
}

impl Parker {
    /// A parker with no pending notification.
    pub fn new() -> Self {
        Self::default()
    }

    /// Block until notified; returns at once (consuming it) if a notification is already
    /// pending.
    pub fn park(&self) {
        let mut notified = lock(&self.notified);
        // Loop: condvars may wake spuriously, the flag is the truth.
        while !*notified {
            notified = wait(&self.cvar, notified);
        }
        *notified = false;
    }

    /// Like `park`, but gives up after `timeout`. Returns whether a notification was consumed.
    pub fn park_timeout(&self, timeout: Duration) -> bool {
        let notified = lock(&self.notified);
        let (mut notified, _) = wait_timeout_while(&self.cvar, notified, timeout, |n| !*n);
        std::mem::replace(&mut *notified, false)
    }

    /// Set the notification and wake the parked thread, if any.
    pub fn unpark(&self) {
        // Setting the flag under the lock is what makes the wake-up impossible to lose: the
        // parker either sees the flag before waiting or is already waiting when we notify.
        *lock(&self.notified) = true;
        self.cvar.notify_one();
    }
}

impl Wake for Parker {
    fn wake(self: Arc<Self>) {
        self.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.unpark();
    }
}

/// Run a future to completion on the current thread, sleeping while it is `Pending`.
///
/// This is the bare `block_on` of chapter 05: no reactor and no timers behind it. Futures that
/// need I/O or `sleep` run on [`crate::executor::Runtime`] instead.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let parker = Arc::new(Parker::new());
    let waker = Waker::from(Arc::clone(&parker));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        parker.park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread;

    #[test]
    fn unpark_before_park_is_remembered() {
        let p = Parker::new();
        p.unpark();
        p.park(); // would block forever if the notification were lost
        assert!(!p.park_timeout(Duration::from_millis(1)));
    }

    /// A future that hands its waker to another thread which wakes it immediately: the wake
    /// races with the executor going to sleep. Repeated many times, none may be lost.
    #[test]
    fn foreign_thread_wakes_at_the_worst_moment_are_never_lost() {
        for _ in 0..2_000 {
            let done = Arc::new(AtomicBool::new(false));
            let mut spawned = false;
            let flag = Arc::clone(&done);
            let out = block_on(std::future::poll_fn(move |cx| {
                if flag.load(Ordering::SeqCst) {
                    return Poll::Ready(7);
                }
                if !spawned {
                    spawned = true;
                    let waker = cx.waker().clone();
                    let flag = Arc::clone(&flag);
                    thread::spawn(move || {
                        flag.store(true, Ordering::SeqCst);
                        waker.wake();
                    });
                }
                Poll::Pending
            }));
            assert_eq!(out, 7);
            assert!(done.load(Ordering::SeqCst));
        }
    }
}
