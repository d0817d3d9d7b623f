// wrong answer: block_on polls again at once instead of parking; `polling_again_without_sleeping_is_rejected` catches it.
// wakers4: a waker that wakes a sleeping thread
//
// The simplest executor runs one future on the current thread: poll it, and while it is
// `Pending`, sleep. The waker's job is to end that sleep. `std::thread::park()` puts the
// current thread to sleep until someone calls `unpark()` on its `Thread` handle (an unpark
// that comes first is remembered, so the next park returns at once).
//
// Two TODOs:
//   1. `ThreadWaker`: remember the thread that creates it, and unpark that thread when woken.
//      Careful: `wake` may run on any thread (a timer thread, an I/O thread), so the thread to
//      unpark is the one captured at creation, not whichever thread calls `wake`.
//   2. The `Pending` arm of `block_on`: sleep until woken, instead of polling again at once.
//
// Chapter 05 grows `block_on` into a real executor.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

struct ThreadWaker {
    thread: Thread,
}

impl ThreadWaker {
    /// A waker state for the thread calling this function.
    fn for_current_thread() -> Arc<Self> {
        Arc::new(ThreadWaker {
            thread: thread::current(),
        })
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.thread.unpark();
    }
}

fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let waker = Waker::from(ThreadWaker::for_current_thread());
    let mut cx = Context::from_waker(&waker);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => {}
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    /// Runs `f` on its own thread; fails the test instead of hanging if it never finishes.
    fn must_finish<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(f());
        });
        match rx.recv_timeout(Duration::from_millis(300)) {
            Ok(out) => out,
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the code under test panicked"),
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "still asleep after 300 ms: the wake did not unpark the thread that is waiting"
            ),
        }
    }

    /// Pending until a helper thread, started on the first poll, wakes it 20 ms later (at
    /// least). Returns how many times it was polled: 2 when polled only after the wake.
    fn woken_by_another_thread() -> impl Future<Output = usize> {
        let mut polls = 0;
        let done = Arc::new(AtomicBool::new(false));
        std::future::poll_fn(move |cx| {
            polls += 1;
            if done.load(Ordering::SeqCst) {
                return Poll::Ready(polls);
            }
            if polls == 1 {
                let waker = cx.waker().clone();
                let done = Arc::clone(&done);
                thread::spawn(move || {
                    thread::sleep(Duration::from_millis(20));
                    done.store(true, Ordering::SeqCst);
                    waker.wake();
                });
            }
            Poll::Pending
        })
    }

    #[test]
    fn unparking_the_waking_thread_is_rejected() {
        // The waker is made on one thread and woken from another: the first must wake up.
        must_finish(|| {
            let (tx, rx) = mpsc::channel();
            let sleeper = thread::spawn(move || {
                tx.send(Waker::from(ThreadWaker::for_current_thread()))
                    .unwrap();
                thread::park();
            });
            let waker = rx.recv().unwrap();
            waker.wake();
            sleeper.join().unwrap();
        });
    }

    #[test]
    fn wake_that_does_nothing_is_rejected() {
        let polls = must_finish(|| block_on(woken_by_another_thread()));
        assert!(polls >= 2);
    }

    #[test]
    fn polling_again_without_sleeping_is_rejected() {
        let polls = must_finish(|| block_on(woken_by_another_thread()));
        assert_eq!(
            polls, 2,
            "the future was polled {polls} times for one wake-up: block_on must sleep until \
             woken, not poll in a loop"
        );
    }

    #[test]
    fn parking_before_the_first_poll_is_rejected() {
        assert_eq!(must_finish(|| block_on(async { 40 + 2 })), 42);
    }
}
