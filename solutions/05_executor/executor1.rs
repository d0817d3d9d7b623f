// executor1: block_on with park and unpark
//
// `block_on` runs one future to completion on the current thread. Poll the future; when it
// returns `Pending`, put the thread to sleep with `thread::park()`. The future's waker is a
// `ThreadWaker` that calls `unpark()` on that thread, so the thread wakes exactly when there is
// something new to poll. Never spin: a waiting thread must cost nothing.
//
// `ThreadWaker` is done (you built it in chapter 03). Write the loop in `block_on`.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// A waker that unparks the thread it was made on.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            // `park` may also return early for no reason; the loop just polls again.
            Poll::Pending => thread::park(),
        }
    }
}

fn main() {
    println!("{}", block_on(async { "block_on ran an async block" }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    /// What a `Flag` saw: every poll, and every poll that came without a wake-up before it.
    #[derive(Default)]
    struct Seen {
        polls: AtomicUsize,
        polls_without_wake: AtomicUsize,
    }

    #[derive(Default)]
    struct FlagState {
        set: bool,
        /// A wake-up was sent and no poll has happened since.
        woken: bool,
        /// The future has answered Pending at least once.
        waited: bool,
        waker: Option<Waker>,
    }

    /// Ready once a helper thread has set it. The helper sets it (and wakes the stored waker)
    /// only after the future has answered Pending, so every run takes the same path.
    struct Flag {
        state: Arc<Mutex<FlagState>>,
        seen: Arc<Seen>,
    }

    impl Future for Flag {
        type Output = ();
        fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let mut state = self.state.lock().unwrap();
            self.seen.polls.fetch_add(1, Ordering::SeqCst);
            if state.waited && !state.woken {
                self.seen.polls_without_wake.fetch_add(1, Ordering::SeqCst);
            }
            state.woken = false;
            if state.set {
                return Poll::Ready(());
            }
            state.waker = Some(cx.waker().clone());
            state.waited = true;
            Poll::Pending
        }
    }

    /// A `Flag` and the helper thread that sets it: after the first Pending, and then only
    /// after `hold` has passed (a lower bound: a spinning `block_on` polls again meanwhile).
    fn flag_set_after_pending(hold: Duration, seen: Arc<Seen>) -> Flag {
        let state: Arc<Mutex<FlagState>> = Arc::default();
        let shared = state.clone();
        thread::spawn(move || {
            while !shared.lock().unwrap().waited {
                thread::yield_now();
            }
            thread::sleep(hold);
            let waker = {
                let mut state = shared.lock().unwrap();
                state.set = true;
                state.woken = true;
                state.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        });
        Flag { state, seen }
    }

    /// Runs `f` on its own thread and fails (instead of hanging) if it does not finish.
    fn finishes<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(f());
        });
        match rx.recv_timeout(Duration::from_millis(400)) {
            Ok(out) => out,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("{what}: block_on never returned; does the waker unpark the parked thread?")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: block_on panicked"),
        }
    }

    #[test]
    fn ready_future_returns_its_output() {
        assert_eq!(finishes("async { 7 }", || block_on(async { 7 })), 7);
    }

    #[test]
    fn parking_without_an_unparking_waker_is_rejected() {
        let seen = Arc::new(Seen::default());
        let s = seen.clone();
        finishes("a future woken from another thread", move || {
            block_on(flag_set_after_pending(Duration::ZERO, s))
        });
        assert_eq!(
            seen.polls.load(Ordering::SeqCst),
            2,
            "one Pending, one wake-up, one Ready: two polls"
        );
    }

    #[test]
    fn spinning_instead_of_parking_is_rejected() {
        let seen = Arc::new(Seen::default());
        let s = seen.clone();
        finishes("a future woken after 20 ms", move || {
            block_on(flag_set_after_pending(Duration::from_millis(20), s))
        });
        let n = seen.polls_without_wake.load(Ordering::SeqCst);
        assert_eq!(
            n, 0,
            "the future was polled {n} times although nothing had woken it: \
             block_on must park between polls, not spin"
        );
    }

    #[test]
    fn async_fn_with_several_awaits_completes() {
        let seen = Arc::new(Seen::default());
        let s = seen.clone();
        let out = finishes("three awaits in a row", move || {
            block_on(async move {
                for _ in 0..3 {
                    flag_set_after_pending(Duration::ZERO, s.clone()).await;
                }
                "done"
            })
        });
        assert_eq!(out, "done");
        assert_eq!(seen.polls.load(Ordering::SeqCst), 6);
        assert_eq!(seen.polls_without_wake.load(Ordering::SeqCst), 0);
    }
}
