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
    // TODO: pin the future (`pin!`), make a `Waker` from an `Arc<ThreadWaker>` for
    // `thread::current()`, and a `Context` from it. Then loop: poll; on `Ready` return the
    // output; on `Pending` park the thread until the waker unparks it.
    todo!()
}

fn main() {
    println!("{}", block_on(async { "block_on ran an async block" }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    /// Ready once another thread has set it; that thread then wakes the stored waker.
    struct Flag {
        set: Arc<AtomicBool>,
        waker: Arc<Mutex<Option<Waker>>>,
        polls: Arc<AtomicUsize>,
    }

    impl Future for Flag {
        type Output = ();
        fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polls.fetch_add(1, Ordering::SeqCst);
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.set.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }

    /// A `Flag` that a helper thread sets (and wakes) after `delay`.
    fn flag_set_after(delay: Duration, polls: Arc<AtomicUsize>) -> Flag {
        let set = Arc::new(AtomicBool::new(false));
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let (set2, waker2) = (set.clone(), waker.clone());
        thread::spawn(move || {
            thread::sleep(delay);
            set2.store(true, Ordering::SeqCst);
            if let Some(w) = waker2.lock().unwrap().take() {
                w.wake();
            }
        });
        Flag { set, waker, polls }
    }

    /// Runs `f` on its own thread and fails (instead of hanging) if it does not finish.
    fn finishes<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(f());
        });
        match rx.recv_timeout(Duration::from_millis(800)) {
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
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        finishes("a future woken from another thread", move || {
            block_on(flag_set_after(Duration::from_millis(5), p))
        });
        assert!(polls.load(Ordering::SeqCst) >= 2);
    }

    #[test]
    fn spinning_instead_of_parking_is_rejected() {
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        finishes("a future woken after 20 ms", move || {
            block_on(flag_set_after(Duration::from_millis(20), p))
        });
        let n = polls.load(Ordering::SeqCst);
        assert!(
            n <= 4,
            "the future was polled {n} times while it waited for one wake-up: \
             block_on must park between polls, not spin"
        );
    }

    #[test]
    fn async_fn_with_several_awaits_completes() {
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        let out = finishes("three awaits in a row", move || {
            block_on(async move {
                for ms in [3, 1, 2] {
                    flag_set_after(Duration::from_millis(ms), p.clone()).await;
                }
                "done"
            })
        });
        assert_eq!(out, "done");
    }
}
