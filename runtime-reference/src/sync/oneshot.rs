//! A channel for exactly one value.
//!
//! ```
//! use runtime_reference::park::block_on;
//! use runtime_reference::sync::oneshot;
//!
//! let (tx, rx) = oneshot::channel::<u8>();
//! drop(tx);
//! assert_eq!(block_on(rx), Err(oneshot::RecvError));
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::store_waker;
use crate::lock::lock;

struct State<T> {
    value: Option<T>,
    sender_gone: bool,
    receiver_gone: bool,
    waker: Option<Waker>,
}

/// Create a oneshot channel.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(State {
        value: None,
        sender_gone: false,
        receiver_gone: false,
        waker: None,
    }));
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

/// The sending half; `send` consumes it.
pub struct Sender<T> {
    shared: Arc<Mutex<State<T>>>,
}

/// The receiving half: a future of the value.
pub struct Receiver<T> {
    shared: Arc<Mutex<State<T>>>,
}

/// The sender was dropped without sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the oneshot sender was dropped without sending")
    }
}

impl std::error::Error for RecvError {}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot::Sender")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot::Receiver")
    }
}

impl<T> Sender<T> {
    /// Send the value and wake the receiver. `Err(value)` if the receiver is gone.
    pub fn send(self, value: T) -> Result<(), T> {
        let waker = {
            let mut st = lock(&self.shared);
            if st.receiver_gone {
                return Err(value);
            }
            st.value = Some(value);
            st.waker.take()
        };
        // Wake after unlocking: the receiver may run at once on another thread.
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Whether the receiver has been dropped.
    pub fn is_closed(&self) -> bool {
        lock(&self.shared).receiver_gone
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut st = lock(&self.shared);
            st.sender_gone = true;
            st.waker.take()
        };
        // Without this wake a receiver waiting on a dropped sender would wait forever.
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// `Ok(Some(v))` if the value has arrived, `Ok(None)` if not yet, `Err` if it never will.
    pub fn try_recv(&mut self) -> Result<Option<T>, RecvError> {
        let mut st = lock(&self.shared);
        match st.value.take() {
            Some(v) => Ok(Some(v)),
            None if st.sender_gone => Err(RecvError),
            None => Ok(None),
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut st = lock(&self.shared);
        if let Some(v) = st.value.take() {
            return Poll::Ready(Ok(v));
        }
        if st.sender_gone {
            return Poll::Ready(Err(RecvError));
        }
        store_waker(&mut st.waker, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let value = {
            let mut st = lock(&self.shared);
            st.receiver_gone = true;
            st.value.take()
        };
        // Drop an unreceived value outside the lock: its destructor may do anything.
        drop(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CountingWaker, block_on_checked, poll_once};
    use std::pin::pin;

    #[test]
    fn send_wakes_the_waiting_receiver() {
        let (tx, rx) = channel();
        let w = CountingWaker::new();
        let mut rx = pin!(rx);
        assert!(poll_once(rx.as_mut(), &w.waker()).is_pending());
        tx.send(5).unwrap();
        assert_eq!(w.count(), 1);
        assert_eq!(poll_once(rx.as_mut(), &w.waker()), Poll::Ready(Ok(5)));
    }

    #[test]
    fn dropping_the_sender_wakes_the_receiver_with_an_error() {
        let (tx, rx) = channel::<u8>();
        let w = CountingWaker::new();
        let mut rx = pin!(rx);
        assert!(poll_once(rx.as_mut(), &w.waker()).is_pending());
        drop(tx);
        assert_eq!(w.count(), 1);
        assert_eq!(
            poll_once(rx.as_mut(), &w.waker()),
            Poll::Ready(Err(RecvError))
        );
    }

    #[test]
    fn send_from_another_thread() {
        let (tx, rx) = channel();
        std::thread::spawn(move || tx.send("hi").unwrap());
        assert_eq!(block_on_checked(rx), Ok("hi"));
    }

    #[test]
    fn send_to_a_dropped_receiver_returns_the_value() {
        let (tx, rx) = channel();
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(3), Err(3));
    }
}
