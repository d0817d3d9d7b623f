// channels1: a oneshot channel whose send wakes the receiver
//
// A oneshot carries exactly one value from a `Sender` to a `Receiver`. The receiver is a future:
// polled before the value is there, it must leave its waker where the sender will find it and
// return `Pending`. `send` stores the value and wakes that waker, so the task waiting on the
// receiver is polled again and finds the value.
//
// Fill in `Sender::send` and `Receiver::poll`. Do not change the tests.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// What sender and receiver share.
struct Inner<T> {
    value: Option<T>,
    /// The waker of the last poll of the receiver that found no value.
    waker: Option<Waker>,
}

pub struct Sender<T> {
    inner: Arc<Mutex<Inner<T>>>,
}

pub struct Receiver<T> {
    inner: Arc<Mutex<Inner<T>>>,
}

pub fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Mutex::new(Inner {
        value: None,
        waker: None,
    }));
    (
        Sender {
            inner: Arc::clone(&inner),
        },
        Receiver { inner },
    )
}

impl<T> Sender<T> {
    /// Hands `value` to the receiver. Taking `self` makes a second send impossible.
    pub fn send(self, value: T) {
        // Store the value, then wake whoever is waiting. Take the waker out under the lock but
        // wake it after: the woken task may poll (and lock) at once on another thread.
        let waker = {
            let mut inner = self.inner.lock().unwrap();
            inner.value = Some(value);
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut inner = self.inner.lock().unwrap();
        match inner.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                // Keep the waker of *this* poll: the task may have moved since the last one.
                inner.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::pin::pin;
    use std::thread;
    use std::time::Duration;

    /// A waker that looks at the channel when it is woken, as the woken task will: it counts
    /// wakes that came while `ready` still said no. (Busy means the waker's caller holds the
    /// lock, so the task cannot look before the caller is done: that order is fine.)
    struct StateCheckingWaker<T> {
        inner: Arc<Mutex<Inner<T>>>,
        ready: fn(&Inner<T>) -> bool,
        woken: std::sync::atomic::AtomicUsize,
        too_early: std::sync::atomic::AtomicUsize,
    }

    impl<T: Send + 'static> std::task::Wake for StateCheckingWaker<T> {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            use std::sync::atomic::Ordering::SeqCst;
            self.woken.fetch_add(1, SeqCst);
            if let Ok(inner) = self.inner.try_lock()
                && !(self.ready)(&inner)
            {
                self.too_early.fetch_add(1, SeqCst);
            }
        }
    }

    fn state_checking_waker<T>(
        inner: &Arc<Mutex<Inner<T>>>,
        ready: fn(&Inner<T>) -> bool,
    ) -> Arc<StateCheckingWaker<T>> {
        Arc::new(StateCheckingWaker {
            inner: Arc::clone(inner),
            ready,
            woken: Default::default(),
            too_early: Default::default(),
        })
    }

    #[test]
    fn value_sent_before_the_first_poll_is_ready_at_once() {
        let (tx, rx) = oneshot();
        tx.send(5);
        let counter = CountingWaker::new();
        assert_eq!(poll_once(pin!(rx), &counter.waker()), Poll::Ready(5));
    }

    #[test]
    fn send_without_waking_the_receiver_is_rejected() {
        let (tx, rx) = oneshot();
        let mut rx = pin!(rx);
        let counter = CountingWaker::new();
        assert_eq!(
            poll_once(rx.as_mut(), &counter.waker()),
            Poll::Pending,
            "nothing was sent yet, so the receiver must be Pending"
        );
        assert_eq!(
            counter.live_wakers(),
            1,
            "the receiver returned Pending without keeping a clone of its waker"
        );
        tx.send("hello");
        assert_eq!(
            counter.count(),
            1,
            "send stored the value but did not wake the waiting receiver exactly once"
        );
        assert_eq!(
            poll_once(rx.as_mut(), &counter.waker()),
            Poll::Ready("hello")
        );
    }

    #[test]
    fn waking_a_stale_waker_is_rejected() {
        let (tx, rx) = oneshot::<u8>();
        let mut rx = pin!(rx);
        let first = CountingWaker::new();
        let second = CountingWaker::new();
        assert!(poll_once(rx.as_mut(), &first.waker()).is_pending());
        assert!(poll_once(rx.as_mut(), &second.waker()).is_pending());
        tx.send(1);
        assert_eq!(
            (first.count(), second.count()),
            (0, 1),
            "send must wake the waker of the latest poll, not the first one the receiver saw"
        );
    }

    #[test]
    fn waking_before_storing_the_value_is_rejected() {
        let (tx, rx) = oneshot::<u8>();
        let mut rx = pin!(rx);
        let checker = state_checking_waker(&rx.inner, |inner| inner.value.is_some());
        let waker = std::task::Waker::from(checker.clone());
        assert!(poll_once(rx.as_mut(), &waker).is_pending());
        tx.send(9);
        use std::sync::atomic::Ordering::SeqCst;
        assert_eq!(checker.woken.load(SeqCst), 1, "send must wake the receiver");
        assert_eq!(
            checker.too_early.load(SeqCst),
            0,
            "send woke the receiver before the value was stored: on another thread the \
             receiver polls at once, finds nothing and goes back to sleep for good. Store the \
             value, then wake"
        );
        assert_eq!(poll_once(rx.as_mut(), &waker), Poll::Ready(9));
    }

    #[test]
    fn value_sent_from_another_thread_arrives() {
        let (tx, rx) = oneshot();
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(2));
            tx.send(String::from("across threads"));
        });
        assert_eq!(block_on_checked(rx), "across threads");
        sender.join().unwrap();
    }
}
