// wrong answer: park clears the flag before waiting ("start fresh"), throwing away an unpark that came first; `unpark_before_park_is_lost_is_rejected` catches it.
// executor2: a parker that never loses a wake-up
//
// `block_on` polls, sees `Pending`, then parks. A waker running on another thread can fire in
// between: after the poll, before the park. If the parker forgets that wake-up, the thread
// sleeps forever although the future is ready. `thread::park` remembers it for you; here you
// build a `Parker` that does too, from a `Mutex<bool>` ("a notification is waiting") and a
// `Condvar`.
//
// Fix `park` and `unpark`. Do not change `block_on`.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};

#[derive(Default)]
struct Parker {
    /// `true` while an `unpark` has not yet been consumed by a `park`.
    notified: Mutex<bool>,
    cvar: Condvar,
}

impl Parker {
    /// Sleeps until a notification is available, then consumes it.
    fn park(&self) {
        let mut notified = self.notified.lock().unwrap();
        *notified = false;
        // A loop, not an `if`: a condition variable may wake up with nothing to report.
        while !*notified {
            notified = self.cvar.wait(notified).unwrap();
        }
        *notified = false;
    }

    /// Leaves a notification, and wakes the parked thread if there is one.
    fn unpark(&self) {
        *self.notified.lock().unwrap() = true;
        self.cvar.notify_one();
    }
}

impl Wake for Parker {
    fn wake(self: Arc<Self>) {
        self.unpark();
    }
}

fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let parker = Arc::new(Parker::default());
    let waker = Waker::from(parker.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => parker.park(),
        }
    }
}

fn main() {
    println!("{}", block_on(async { "no wake-up lost" }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    /// Runs `f` on its own thread and fails (instead of hanging) if it does not finish.
    fn finishes<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(f());
        });
        match rx.recv_timeout(Duration::from_millis(300)) {
            Ok(out) => out,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("{what}: the thread is still parked; a wake-up was lost")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: it panicked"),
        }
    }

    #[test]
    fn unpark_before_park_is_lost_is_rejected() {
        finishes("unpark() then park() on one thread", || {
            let parker = Parker::default();
            parker.unpark();
            parker.park();
        });
    }

    #[test]
    fn one_unpark_releasing_two_parks_is_rejected() {
        let parker = finishes("unpark() then park() on one thread", || {
            let parker = Parker::default();
            parker.unpark();
            parker.park();
            parker
        });
        assert!(
            !*parker.notified.lock().unwrap(),
            "park() returned but left the notification in place: the next park() would \
             not wait. park must consume the notification"
        );
    }

    #[test]
    fn parked_thread_not_woken_by_unpark_is_rejected() {
        let parker = Arc::new(Parker::default());
        let (parking_tx, parking_rx) = mpsc::channel();
        let p = parker.clone();
        let sleeper = thread::spawn(move || {
            parking_tx.send(()).unwrap();
            p.park();
        });
        parking_rx.recv().unwrap();
        // Whether the sleeper is already waiting or about to, this one unpark must release it.
        parker.unpark();
        finishes("park() on one thread, unpark() from another", move || {
            sleeper.join().unwrap();
        });
    }

    /// Ready on its second poll. The first poll hands the waker to another thread and waits
    /// until that thread has woken it, so the wake-up always lands after the poll and before
    /// `block_on` reaches `park`.
    struct WokenElsewhere {
        polled: bool,
    }

    impl Future for WokenElsewhere {
        type Output = ();
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.polled {
                return Poll::Ready(());
            }
            self.polled = true;
            let waker = cx.waker().clone();
            thread::spawn(move || waker.wake()).join().unwrap();
            Poll::Pending
        }
    }

    #[test]
    fn wake_between_poll_and_park_is_lost_is_rejected() {
        finishes("a wake-up between poll and park", || {
            block_on(WokenElsewhere { polled: false })
        });
    }
}
