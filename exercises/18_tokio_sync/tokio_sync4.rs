// tokio_sync4: an async lock built from Notify and an atomic
//
// The simplest async lock that waits instead of spinning. The lock is one `AtomicBool`: `false`
// is free, `true` is held. Taking it is a `compare_exchange(false, true, ..)`, which succeeds for exactly
// one task. A task that loses waits on a `Notify`; the guard's `Drop` frees the lock and wakes one
// waiter. Use `notify_one`: if the waiter has not started waiting yet, it leaves a permit, so the
// wake-up cannot fall into the gap between a failed `compare_exchange` and `notified().await`.
//
// It is not how `tokio::sync::Mutex` works. Tokio's lock is a semaphore with one permit and a
// FIFO queue of waiters: a release hands the permit straight to the first waiter, so locks are
// granted in the order they were asked for. Here a woken waiter must still win the
// `compare_exchange`, and a task that has just arrived can take the lock first (barging); under
// steady contention one waiter can lose every time. That is acceptable for this exercise, not
// for a general-purpose mutex.
//
// Write `lock` and the guard's `Drop`. A task that cannot take the lock must wait (return
// `Pending`) and not wake itself: no spinning, no `yield_now` loop.

use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

struct AsyncLock {
    locked: AtomicBool,
    released: Notify,
}

struct LockGuard<'a> {
    lock: &'a AsyncLock,
}

impl AsyncLock {
    fn new() -> Self {
        AsyncLock {
            locked: AtomicBool::new(false),
            released: Notify::new(),
        }
    }

    // TODO: loop { try to flip `locked` from false to true; on success return a guard,
    // otherwise wait for a release }
    async fn lock(&self) -> LockGuard<'_> {
        todo!()
    }
}

impl Drop for LockGuard<'_> {
    // TODO: free the lock, then wake one waiting task.
    fn drop(&mut self) {
        todo!()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Poll, Waker};
    use std::time::Duration;

    // Takes a free lock with one poll.
    fn lock_now<'a>(lock: &'a AsyncLock, waker: &Waker) -> LockGuard<'a> {
        match poll_once(pin!(lock.lock()), waker) {
            Poll::Ready(guard) => guard,
            Poll::Pending => panic!("lock() on a free lock must not wait"),
        }
    }

    #[test]
    fn spinning_or_a_silent_release_is_rejected() {
        let lock = AsyncLock::new();
        let counter = CountingWaker::new();
        let waker = counter.waker();

        let first = lock_now(&lock, &waker);
        let mut second = pin!(lock.lock());
        assert!(
            poll_once(second.as_mut(), &waker).is_pending(),
            "a second lock() must wait while the first guard is alive"
        );
        assert_eq!(
            counter.count(),
            0,
            "the waiting lock() woke itself although nothing was released: wait on the Notify \
             instead of spinning or yielding"
        );
        drop(first);
        assert_eq!(
            counter.count(),
            1,
            "dropping the guard must wake the waiting task once"
        );
        assert!(
            poll_once(second.as_mut(), &waker).is_ready(),
            "after the release, the woken lock() must take the lock"
        );
    }

    #[test]
    fn guard_drop_that_keeps_the_lock_is_rejected() {
        let lock = AsyncLock::new();
        let waker = CountingWaker::new().waker();
        for _ in 0..3 {
            // Panics if lock() waits: every earlier guard has been dropped by then.
            drop(lock_now(&lock, &waker));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn two_holders_at_once_are_rejected() {
        let lock = Arc::new(AsyncLock::new());
        let inside = Arc::new(AtomicUsize::new(0));
        let most_inside = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let (lock, inside, most_inside) = (lock.clone(), inside.clone(), most_inside.clone());
            tasks.push(tokio::spawn(async move {
                let _guard = lock.lock().await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most_inside.fetch_max(now, Ordering::SeqCst);
                // Stay inside for a few turns of the scheduler so the others get to try.
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(1), task)
                .await
                .expect("a task never got the lock: was a release left unannounced?")
                .unwrap();
        }
        assert_eq!(
            most_inside.load(Ordering::SeqCst),
            1,
            "two tasks held the lock at the same time"
        );
    }
}
