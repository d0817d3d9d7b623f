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
        let notified = self.notified.lock().unwrap();
        // TODO: this waits even when an `unpark` already happened. Wait only while no
        // notification is waiting (the condvar may also wake for no reason), then consume it.
        let _notified = self.cvar.wait(notified).unwrap();
    }

    /// Leaves a notification, and wakes the parked thread if there is one.
    fn unpark(&self) {
        // TODO: if nobody is waiting yet, this is forgotten. Record the notification first.
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
    use std::sync::atomic::{AtomicBool, Ordering};
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
        let parker = Arc::new(Parker::default());
        let done = Arc::new(AtomicBool::new(false));
        let (p, d) = (parker.clone(), done.clone());
        let sleeper = thread::spawn(move || {
            p.park();
            p.park();
            d.store(true, Ordering::SeqCst);
        });
        parker.unpark();
        thread::sleep(Duration::from_millis(20));
        assert!(
            !done.load(Ordering::SeqCst),
            "one unpark() let two park() calls through: park must consume the notification"
        );
        parker.unpark();
        finishes("the second park after the second unpark", move || {
            sleeper.join().unwrap();
        });
        assert!(done.load(Ordering::SeqCst));
    }

    /// Ready on its second poll; the first poll hands the waker to another thread that wakes
    /// it at once, racing with `block_on` on its way to `park`.
    struct WokenElsewhere {
        polled: bool,
        waker_tx: mpsc::Sender<Waker>,
    }

    impl Future for WokenElsewhere {
        type Output = ();
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.polled {
                return Poll::Ready(());
            }
            self.polled = true;
            self.waker_tx.send(cx.waker().clone()).unwrap();
            Poll::Pending
        }
    }

    #[test]
    fn wake_between_poll_and_park_is_lost_is_rejected() {
        let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
        thread::spawn(move || {
            for waker in waker_rx {
                waker.wake();
            }
        });
        // Each round gets its own time limit, so a slow machine only makes the test slower.
        for round in 0..100 {
            let waker_tx = waker_tx.clone();
            finishes(
                &format!("round {round} of a wake-up racing with park"),
                move || {
                    block_on(WokenElsewhere {
                        polled: false,
                        waker_tx,
                    })
                },
            );
        }
    }
}
