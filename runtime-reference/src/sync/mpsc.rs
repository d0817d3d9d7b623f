//! Multi-producer, single-consumer channels: unbounded, and bounded with senders that wait.
//!
//! ```
//! use runtime_reference::park::block_on;
//! use runtime_reference::sync::mpsc;
//!
//! let (tx, mut rx) = mpsc::unbounded();
//! let tx2 = tx.clone();
//! tx.send(1).unwrap();
//! tx2.send(2).unwrap();
//! drop((tx, tx2));
//! block_on(async {
//!     assert_eq!(rx.recv().await, Some(1));
//!     assert_eq!(rx.recv().await, Some(2));
//!     assert_eq!(rx.recv().await, None); // every sender is gone
//! });
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::store_waker;
use crate::coop;
use crate::lock::lock;

struct State<T> {
    queue: VecDeque<T>,
    senders: usize,
    receiver_alive: bool,
    recv_waker: Option<Waker>,
    /// Senders of a bounded channel waiting for room, oldest first.
    send_waiters: VecDeque<(u64, Waker)>,
    next_waiter: u64,
}

struct Chan<T> {
    state: Mutex<State<T>>,
    /// `None`: unbounded.
    capacity: Option<usize>,
}

impl<T> Chan<T> {
    fn new(capacity: Option<usize>) -> Arc<Self> {
        Arc::new(Chan {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                senders: 1,
                receiver_alive: true,
                recv_waker: None,
                send_waiters: VecDeque::new(),
                next_waiter: 0,
            }),
            capacity,
        })
    }

    fn has_room(&self, st: &State<T>) -> bool {
        self.capacity.is_none_or(|cap| st.queue.len() < cap)
    }

    /// Push and wake the receiver; the caller has checked for room and a live receiver.
    fn push(&self, mut st: std::sync::MutexGuard<'_, State<T>>, value: T) {
        st.queue.push_back(value);
        let waker = st.recv_waker.take();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The channel is closed (the receiver is gone); the value comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the receiver was dropped")
    }
}

impl<T: fmt::Debug> std::error::Error for SendError<T> {}

/// Why `try_send` did not send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The channel is at capacity.
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

/// Why `try_recv` returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No message now, but senders remain.
    Empty,
    /// No message and no sender left.
    Disconnected,
}

/// A bounded channel holding at most `capacity` messages; `send` waits while it is full.
///
/// # Panics
/// If `capacity` is zero.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "a bounded channel needs a capacity of at least 1"
    );
    let chan = Chan::new(Some(capacity));
    (
        Sender {
            chan: Arc::clone(&chan),
        },
        Receiver { chan },
    )
}

/// An unbounded channel: `send` never waits (memory is the only limit).
pub fn unbounded<T>() -> (UnboundedSender<T>, Receiver<T>) {
    let chan = Chan::new(None);
    (
        UnboundedSender {
            chan: Arc::clone(&chan),
        },
        Receiver { chan },
    )
}

/// The receiving half of either kind of channel.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

/// The receiver of an unbounded channel (the same type).
pub type UnboundedReceiver<T> = Receiver<T>;

/// The sending half of a bounded channel.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// The sending half of an unbounded channel.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mpsc::Receiver")
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mpsc::Sender")
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mpsc::UnboundedSender")
    }
}

fn add_sender<T>(chan: &Arc<Chan<T>>) -> Arc<Chan<T>> {
    lock(&chan.state).senders += 1;
    Arc::clone(chan)
}

fn drop_sender<T>(chan: &Chan<T>) {
    let waker = {
        let mut st = lock(&chan.state);
        st.senders -= 1;
        if st.senders > 0 {
            return;
        }
        st.recv_waker.take()
    };
    // The last sender is gone: the receiver must wake to see `None`.
    if let Some(w) = waker {
        w.wake();
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            chan: add_sender(&self.chan),
        }
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            chan: add_sender(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        drop_sender(&self.chan);
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        drop_sender(&self.chan);
    }
}

impl<T> UnboundedSender<T> {
    /// Queue a message and wake the receiver.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let st = lock(&self.chan.state);
        if !st.receiver_alive {
            return Err(SendError(value));
        }
        self.chan.push(st, value);
        Ok(())
    }

    /// Whether the receiver is gone.
    pub fn is_closed(&self) -> bool {
        !lock(&self.chan.state).receiver_alive
    }
}

impl<T> Sender<T> {
    /// Queue a message, waiting while the channel is full.
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            chan: &self.chan,
            value: Some(value),
            waiter: None,
        }
    }

    /// Queue a message only if there is room right now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let st = lock(&self.chan.state);
        if !st.receiver_alive {
            return Err(TrySendError::Closed(value));
        }
        // Waiting senders are served first.
        if !self.chan.has_room(&st) || !st.send_waiters.is_empty() {
            return Err(TrySendError::Full(value));
        }
        self.chan.push(st, value);
        Ok(())
    }

    /// Whether the receiver is gone.
    pub fn is_closed(&self) -> bool {
        !lock(&self.chan.state).receiver_alive
    }
}

/// The future of [`Sender::send`].
#[must_use = "futures do nothing unless awaited"]
pub struct Send<'a, T> {
    chan: &'a Chan<T>,
    value: Option<T>,
    /// Our place in the waiting line, once we have had to wait.
    waiter: Option<u64>,
}

// The value is moved out by value, never pinned, so the future can be `Unpin` whatever `T` is.
impl<T> Unpin for Send<'_, T> {}

impl<T> fmt::Debug for Send<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Send")
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = &mut *self;
        let mut st = lock(&this.chan.state);
        let value = this.value.take().expect("Send polled after completion");
        if !st.receiver_alive {
            return Poll::Ready(Err(SendError(value)));
        }
        let in_line = this
            .waiter
            .and_then(|id| st.send_waiters.iter().position(|(w, _)| *w == id));
        // First come, first served: a new sender may not take a free slot while others wait
        // for one, or a steady stream of new sends could starve a waiting sender forever. A
        // sender woken from the line (and so no longer in it) has been handed the slot.
        let may_take = in_line.is_none() && (this.waiter.is_some() || st.send_waiters.is_empty());
        if may_take && this.chan.has_room(&st) {
            this.waiter = None;
            this.chan.push(st, value);
            return Poll::Ready(Ok(()));
        }
        this.value = Some(value);
        match (in_line, this.waiter) {
            // Still in line: keep the latest waker.
            (Some(pos), _) => {
                let waker = &mut st.send_waiters[pos].1;
                if !waker.will_wake(cx.waker()) {
                    *waker = cx.waker().clone();
                }
            }
            // Woken, but the slot went to someone else: back to the head of the line.
            (None, Some(id)) => st.send_waiters.push_front((id, cx.waker().clone())),
            // New and the channel is full (or others are waiting): join the back.
            (None, None) => {
                let id = st.next_waiter;
                st.next_waiter += 1;
                this.waiter = Some(id);
                st.send_waiters.push_back((id, cx.waker().clone()));
            }
        }
        Poll::Pending
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        let Some(id) = self.waiter else { return };
        let mut st = lock(&self.chan.state);
        let before = st.send_waiters.len();
        st.send_waiters.retain(|(w, _)| *w != id);
        if st.send_waiters.len() == before && self.value.is_some() && self.chan.has_room(&st) {
            // We were woken for a free slot but are cancelled before using it: hand the wake
            // to the next sender in line, or that slot's wake-up would be lost.
            let next = st.send_waiters.pop_front();
            drop(st);
            if let Some((_, w)) = next {
                w.wake();
            }
        }
    }
}

impl<T> Receiver<T> {
    /// The next message; `None` once the queue is empty and every sender is gone.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Poll for the next message.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut st = lock(&self.chan.state);
        if let Some(v) = st.queue.pop_front() {
            // A slot just freed: wake the sender that has waited longest.
            let next = if self.chan.capacity.is_some() {
                st.send_waiters.pop_front()
            } else {
                None
            };
            drop(st);
            if let Some((_, w)) = next {
                w.wake();
            }
            return Poll::Ready(Some(v));
        }
        if st.senders == 0 {
            return Poll::Ready(None);
        }
        store_waker(&mut st.recv_waker, cx.waker());
        Poll::Pending
    }

    /// A message if one is queued right now.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut st = lock(&self.chan.state);
        match st.queue.pop_front() {
            Some(v) => {
                let next = if self.chan.capacity.is_some() {
                    st.send_waiters.pop_front()
                } else {
                    None
                };
                drop(st);
                if let Some((_, w)) = next {
                    w.wake();
                }
                Ok(v)
            }
            None if st.senders == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// How many messages are queued.
    pub fn len(&self) -> usize {
        lock(&self.chan.state).queue.len()
    }

    /// Whether no message is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (queued, waiters) = {
            let mut st = lock(&self.chan.state);
            st.receiver_alive = false;
            (
                std::mem::take(&mut st.queue),
                std::mem::take(&mut st.send_waiters),
            )
        };
        // Waiting senders wake to find the channel closed; messages drop outside the lock.
        for (_, w) in waiters {
            w.wake();
        }
        drop(queued);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CountingWaker, block_on_checked, poll_once};
    use std::pin::pin;
    use std::thread;

    #[test]
    fn recv_returns_none_once_every_sender_is_gone() {
        let (tx, mut rx) = unbounded::<u8>();
        let tx2 = tx.clone();
        let w = CountingWaker::new();
        {
            let mut r = pin!(rx.recv());
            assert!(poll_once(r.as_mut(), &w.waker()).is_pending());
            drop(tx);
            assert_eq!(w.count(), 0, "one sender is still alive");
            drop(tx2);
            assert_eq!(w.count(), 1, "the last sender's drop wakes the receiver");
            assert_eq!(poll_once(r.as_mut(), &w.waker()), Poll::Ready(None));
        }
    }

    #[test]
    fn a_full_channel_makes_send_wait_until_recv_frees_a_slot() {
        let (tx, mut rx) = channel(1);
        tx.try_send(1).unwrap();
        assert_eq!(tx.try_send(9), Err(TrySendError::Full(9)));
        let w = CountingWaker::new();
        let mut send = pin!(tx.send(2));
        assert!(poll_once(send.as_mut(), &w.waker()).is_pending());
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(w.count(), 1, "freeing a slot must wake the blocked sender");
        assert!(poll_once(send.as_mut(), &w.waker()).is_ready());
        assert_eq!(rx.try_recv(), Ok(2));
    }

    #[test]
    fn a_cancelled_woken_sender_passes_the_wake_on() {
        let (tx, mut rx) = channel(1);
        tx.try_send(0).unwrap();
        let (a, b) = (CountingWaker::new(), CountingWaker::new());
        let mut first = Box::pin(tx.send(1));
        let mut second = Box::pin(tx.send(2));
        assert!(poll_once(first.as_mut(), &a.waker()).is_pending());
        assert!(poll_once(second.as_mut(), &b.waker()).is_pending());
        rx.try_recv().unwrap();
        assert_eq!((a.count(), b.count()), (1, 0));
        drop(first);
        assert_eq!(
            b.count(),
            1,
            "the slot's wake-up must not die with the first sender"
        );
    }

    #[test]
    fn bounded_channel_under_contention_loses_and_duplicates_nothing() {
        const SENDERS: u64 = 4;
        const EACH: u64 = 2_000;
        let (tx, mut rx) = channel::<u64>(8);
        let threads: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = tx.clone();
                thread::spawn(move || {
                    block_on_checked(async {
                        for i in 0..EACH {
                            tx.send(s * EACH + i).await.unwrap();
                        }
                    })
                })
            })
            .collect();
        drop(tx);
        let mut seen = vec![false; (SENDERS * EACH) as usize];
        let mut count = 0;
        block_on_checked(async {
            while let Some(v) = rx.recv().await {
                assert!(!seen[v as usize], "{v} delivered twice");
                seen[v as usize] = true;
                count += 1;
            }
        });
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(count, SENDERS * EACH, "messages were lost");
    }

    #[test]
    fn a_new_sender_cannot_jump_the_line_of_waiting_senders() {
        let (tx, mut rx) = channel(1);
        tx.try_send(0).unwrap();
        let (a, b, c) = (
            CountingWaker::new(),
            CountingWaker::new(),
            CountingWaker::new(),
        );
        let mut first = pin!(tx.send(1));
        let mut second = pin!(tx.send(2));
        assert!(poll_once(first.as_mut(), &a.waker()).is_pending());
        assert!(poll_once(second.as_mut(), &b.waker()).is_pending());
        assert_eq!(rx.try_recv(), Ok(0)); // wakes `first`
        let mut late = pin!(tx.send(3));
        assert!(
            poll_once(late.as_mut(), &c.waker()).is_pending(),
            "a new send took the slot handed to a waiting one"
        );
        assert_eq!(tx.try_send(9), Err(TrySendError::Full(9)));
        assert!(poll_once(first.as_mut(), &a.waker()).is_ready());
        assert_eq!(rx.try_recv(), Ok(1)); // wakes `second`
        assert_eq!((b.count(), c.count()), (1, 0));
        assert!(poll_once(second.as_mut(), &b.waker()).is_ready());
        assert_eq!(rx.try_recv(), Ok(2)); // wakes `late`
        assert_eq!(c.count(), 1);
        assert!(poll_once(late.as_mut(), &c.waker()).is_ready());
        assert_eq!(rx.try_recv(), Ok(3));
    }

    #[test]
    fn dropping_the_receiver_fails_waiting_senders() {
        let (tx, rx) = channel(1);
        tx.try_send(1).unwrap();
        let w = CountingWaker::new();
        let mut send = pin!(tx.send(2));
        assert!(poll_once(send.as_mut(), &w.waker()).is_pending());
        drop(rx);
        assert_eq!(w.count(), 1);
        assert_eq!(
            poll_once(send.as_mut(), &w.waker()),
            Poll::Ready(Err(SendError(2)))
        );
    }
}
