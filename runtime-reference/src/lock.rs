//! Locks that ignore poisoning, used by every module that holds a `Mutex`.
//!
//! A `Mutex` is poisoned when a thread panics while holding it. Every critical section in this
//! crate leaves its data consistent at each step (a panic there comes from a task's code, not
//! from half-done bookkeeping), so a poisoned lock is still safe to use, and refusing it would
//! turn one task's panic into a panic of the whole runtime.

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
