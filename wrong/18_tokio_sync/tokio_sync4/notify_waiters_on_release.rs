// wrong answer: the guard's drop wakes every waiter with notify_waiters (and stores nothing for a task about to wait); notify_waiters_waking_every_waiter_is_rejected counts two wake-ups for one release.
// tokio_sync4: an async lock built from Notify and an atomic
//
// This is how `tokio::sync::Mutex` works at heart. The lock is one `AtomicBool`: `false` is free,
// `true` is held. Taking it is a `compare_exchange(false, true, ..)`, which succeeds for exactly
// one task. A task that loses waits on a `Notify`; the guard's `Drop` frees the lock and wakes one
// waiter. Use `notify_one`: if the waiter has not started waiting yet, it leaves a permit, so the
// wake-up cannot fall into the gap between a failed `compare_exchange` and `notified().await`.
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

    async fn lock(&self) -> LockGuard<'_> {
        loop {
            // Acquire pairs with the Release in `drop`: we see what the last holder wrote.
            if self
                .locked
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return LockGuard { lock: self };
            }
            self.released.notified().await;
        }
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
        self.lock.released.notify_waiters();
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
    use std::task::{Poll, Wake, Waker};
    use std::time::Duration;

    const STUCK: &str = "a test did not finish within a second of real time: some task is spinning (a loop that never waits), which also freezes tokio's paused clock";

    // Runs a test body on a current_thread runtime with paused time, in a thread of its own, and
    // fails the test if the body has not finished after one second of real time. The paused
    // clock only moves while every task waits, so a task that never stops running freezes it
    // and no `timeout` inside the body could fire: this real-time limit catches that case.
    fn paused<Fut: std::future::Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        let (finished, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime");
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(body())));
            let _ = finished.send(result);
        });
        match outcome.recv_timeout(std::time::Duration::from_secs(1)) {
            Ok(Ok(())) => {}
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => {
                // The stuck thread cannot be stopped and would starve the other tests: end the
                // whole test run now, with the reason written straight to stderr (not captured).
                let test = std::thread::current()
                    .name()
                    .unwrap_or("a test")
                    .to_string();
                let mut stderr = std::io::stderr();
                let _ = std::io::Write::write_all(
                    &mut stderr,
                    format!(
                        "
test {test} FAILED: {STUCK}
"
                    )
                    .as_bytes(),
                );
                std::process::exit(101);
            }
        }
    }

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

    #[test]
    fn notify_waiters_waking_every_waiter_is_rejected() {
        let lock = AsyncLock::new();
        let (first, second) = (CountingWaker::new(), CountingWaker::new());
        let guard = lock_now(&lock, &first.waker());
        let mut a = pin!(lock.lock());
        let mut b = pin!(lock.lock());
        assert!(poll_once(a.as_mut(), &first.waker()).is_pending());
        assert!(poll_once(b.as_mut(), &second.waker()).is_pending());
        drop(guard);
        assert_eq!(
            first.count() + second.count(),
            1,
            "one release, two waiters: exactly one must be woken (`notify_one`). \
             `notify_waiters` wakes them all, and it stores nothing, so a task between its failed \
             compare_exchange and its wait would miss the release"
        );
        // Whoever was woken takes the lock; its release wakes the other.
        let (mut woken, mut other, woken_waker, other_waker) = if first.count() == 1 {
            (a, b, first.waker(), second.waker())
        } else {
            (b, a, second.waker(), first.waker())
        };
        let Poll::Ready(guard) = poll_once(woken.as_mut(), &woken_waker) else {
            panic!("the woken lock() must take the free lock");
        };
        drop(guard);
        assert!(
            poll_once(other.as_mut(), &other_waker).is_ready(),
            "the second release must let the other waiter in"
        );
    }

    // A waker that looks at the lock when it is woken: a waiter woken while the flag still says
    // "held" would fail its compare_exchange, wait again, and sleep through the release.
    struct CheckingWaker {
        lock: Arc<AsyncLock>,
        woken: AtomicUsize,
        woken_while_held: AtomicUsize,
    }

    impl Wake for CheckingWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.fetch_add(1, Ordering::SeqCst);
            if self.lock.locked.load(Ordering::SeqCst) {
                self.woken_while_held.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn waking_before_freeing_the_lock_is_rejected() {
        let lock = Arc::new(AsyncLock::new());
        let checker = Arc::new(CheckingWaker {
            lock: Arc::clone(&lock),
            woken: AtomicUsize::new(0),
            woken_while_held: AtomicUsize::new(0),
        });
        let waker = Waker::from(Arc::clone(&checker));
        let guard = lock_now(&lock, &waker);
        let mut waiting = pin!(lock.lock());
        assert!(poll_once(waiting.as_mut(), &waker).is_pending());
        drop(guard);
        assert_eq!(
            checker.woken.load(Ordering::SeqCst),
            1,
            "dropping the guard must wake the waiting task once"
        );
        assert_eq!(
            checker.woken_while_held.load(Ordering::SeqCst),
            0,
            "the waiter was woken while the lock was still marked held: free the flag first, \
             then notify (on another thread the woken task would lose the compare_exchange and \
             wait for a release that already happened)"
        );
        assert!(poll_once(waiting.as_mut(), &waker).is_ready());
    }

    #[test]
    fn two_holders_at_once_are_rejected() {
        paused(|| async {
            let lock = Arc::new(AsyncLock::new());
            let inside = Arc::new(AtomicUsize::new(0));
            let most_inside = Arc::new(AtomicUsize::new(0));
            let mut tasks = Vec::new();
            for _ in 0..5 {
                let (lock, inside, most_inside) =
                    (lock.clone(), inside.clone(), most_inside.clone());
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
        });
    }
}
