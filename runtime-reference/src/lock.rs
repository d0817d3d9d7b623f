//! Locks that ignore poisoning, used by every module that holds a `Mutex`.
//!
//! A `Mutex` is poisoned when a thread panics while holding it. The critical sections in this
//! crate are short (push or pop a task, take or replace a waker, read a counter) and no step
//! leaves the data half-changed, so what a poisoned lock guards is still consistent. A panic
//! can still pass through one (a task's panic is caught inside the task, but a user's waker or
//! `Drop` may panic under a lock); refusing the lock afterwards would turn that one panic into
//! a failure of every task and thread that touches it.

use std::sync::{Condvar, Mutex, MutexGuard, TryLockError, WaitTimeoutResult};
use std::time::Duration;

/// Lock `m`, poisoned or not.
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Lock `m` if nobody holds it, poisoned or not: a poisoned lock that is free counts as free.
pub(crate) fn try_lock<T: ?Sized>(m: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match m.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// Wait on `cvar`, releasing `guard` meanwhile, poisoned or not.
pub(crate) fn wait<'a, T>(cvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cvar.wait(guard).unwrap_or_else(|e| e.into_inner())
}

/// Wait on `cvar` while `condition` holds, at most `timeout`, poisoned or not.
pub(crate) fn wait_timeout_while<'a, T>(
    cvar: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: Duration,
    condition: impl FnMut(&mut T) -> bool,
) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
    cvar.wait_timeout_while(guard, timeout, condition)
        .unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn poisoned() -> Arc<Mutex<u32>> {
        let m = Arc::new(Mutex::new(7));
        let m2 = Arc::clone(&m);
        let _ = std::thread::spawn(move || {
            let _guard = m2.lock().unwrap();
            panic!("poison the lock on purpose");
        })
        .join();
        assert!(m.is_poisoned());
        m
    }

    #[test]
    fn a_poisoned_lock_is_still_taken() {
        let m = poisoned();
        assert_eq!(*lock(&m), 7);
    }

    #[test]
    fn try_lock_takes_a_free_poisoned_lock_and_refuses_a_held_one() {
        let m = poisoned();
        let held = try_lock(&m).expect("a free lock is taken even when poisoned");
        assert!(try_lock(&m).is_none(), "a held lock is not taken");
        drop(held);
    }
}
