// wrong answer: dropping the sender wakes the receiver but never marks the channel closed, so the woken receiver waits again for a value that cannot come; dropped_sender_without_wake_is_rejected catches it.
// channels2: a oneshot whose receiver learns that the sender is gone
//
// A sender can be dropped without sending: its task failed, panicked or was cancelled. The
// receiver must not wait forever for a value that cannot come. When the sender goes away, it
// marks the channel closed and wakes the receiver, which then returns `Err(Canceled)`.
//
// `send` is written for you. Implement `Drop for Sender` and finish `Receiver::poll`.
// Careful: `send` takes `self`, so the sender is dropped at the end of every `send` too.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// The receiver's error: the sender was dropped without sending.
#[derive(Debug, PartialEq, Eq)]
pub struct Canceled;

struct Inner<T> {
    value: Option<T>,
    /// Set once the sender is gone (after sending or not).
    closed: bool,
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
        closed: false,
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
    pub fn send(self, value: T) {
        let waker = {
            let mut inner = self.inner.lock().unwrap();
            inner.value = Some(value);
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        // `self` is dropped here, so `Drop::drop` runs next.
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // Closing is a state change the receiver may be waiting for: wake it like a send does.
        let waker = {
            let mut inner = self.inner.lock().unwrap();
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, Canceled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Canceled>> {
        let mut inner = self.inner.lock().unwrap();
        // A value wins over `closed`: a sender that sent is also closed once it is dropped.
        if let Some(value) = inner.value.take() {
            return Poll::Ready(Ok(value));
        }
        if inner.closed {
            return Poll::Ready(Err(Canceled));
        }
        inner.waker = Some(cx.waker().clone());
        Poll::Pending
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
    fn sent_value_reported_as_canceled_is_rejected() {
        let (tx, rx) = oneshot();
        tx.send(3);
        let counter = CountingWaker::new();
        assert_eq!(
            poll_once(pin!(rx), &counter.waker()),
            Poll::Ready(Ok(3)),
            "the value was sent (and then the sender dropped, as every send does): the receiver \
             must get the value, not Canceled"
        );
    }

    #[test]
    fn value_sent_while_waiting_arrives() {
        let (tx, rx) = oneshot();
        let mut rx = pin!(rx);
        let counter = CountingWaker::new();
        assert!(poll_once(rx.as_mut(), &counter.waker()).is_pending());
        tx.send("v");
        assert!(counter.count() >= 1, "send did not wake the receiver");
        assert_eq!(
            poll_once(rx.as_mut(), &counter.waker()),
            Poll::Ready(Ok("v"))
        );
    }

    #[test]
    fn dropped_sender_without_wake_is_rejected() {
        let (tx, rx) = oneshot::<u32>();
        let mut rx = pin!(rx);
        let counter = CountingWaker::new();
        assert!(poll_once(rx.as_mut(), &counter.waker()).is_pending());
        drop(tx);
        assert_eq!(
            counter.count(),
            1,
            "the sender was dropped while the receiver waited, but the receiver was not woken: \
             it would wait forever"
        );
        assert_eq!(
            poll_once(rx.as_mut(), &counter.waker()),
            Poll::Ready(Err(Canceled))
        );
    }

    #[test]
    fn waking_before_marking_closed_is_rejected() {
        let (tx, rx) = oneshot::<u32>();
        let mut rx = pin!(rx);
        let checker = state_checking_waker(&rx.inner, |inner| inner.closed);
        let waker = std::task::Waker::from(checker.clone());
        assert!(poll_once(rx.as_mut(), &waker).is_pending());
        drop(tx);
        use std::sync::atomic::Ordering::SeqCst;
        assert_eq!(
            checker.woken.load(SeqCst),
            1,
            "dropping the sender must wake the receiver"
        );
        assert_eq!(
            checker.too_early.load(SeqCst),
            0,
            "the sender's drop woke the receiver before marking the channel closed: on another \
             thread the receiver polls at once, finds it still open and sleeps for good. Mark \
             closed, then wake"
        );
        assert_eq!(poll_once(rx.as_mut(), &waker), Poll::Ready(Err(Canceled)));
    }

    #[test]
    fn sender_dropped_before_first_poll_is_canceled() {
        let (tx, rx) = oneshot::<u32>();
        drop(tx);
        let counter = CountingWaker::new();
        assert_eq!(
            poll_once(pin!(rx), &counter.waker()),
            Poll::Ready(Err(Canceled)),
            "the sender is already gone: the first poll must say so instead of waiting"
        );
    }

    #[test]
    fn sender_dropped_on_another_thread_ends_the_wait() {
        let (tx, rx) = oneshot::<u32>();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        // The receiver waits on its own thread, so a missing wake-up fails this test instead of
        // hanging it.
        thread::spawn(move || done_tx.send(block_on_checked(rx)));
        thread::sleep(Duration::from_millis(2));
        drop(tx);
        let outcome = done_rx.recv_timeout(Duration::from_secs(1)).expect(
            "the receiver was still waiting 1 s after the sender was dropped: dropping the \
             sender must wake it",
        );
        assert_eq!(outcome, Err(Canceled));
    }
}
