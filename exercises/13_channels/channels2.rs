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
        // TODO: mark the channel closed and wake the receiver if it is waiting.
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, Canceled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Canceled>> {
        // TODO: Ready(Ok(value)) when a value is there, Ready(Err(Canceled)) when the sender is
        // gone without sending, otherwise keep the waker and return Pending.
        todo!()
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
