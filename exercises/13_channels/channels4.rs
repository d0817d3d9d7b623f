// channels4: a bounded channel whose full queue makes senders wait
//
// A bounded channel holds at most `capacity` values. A `send` that finds it full must not drop
// the value and must not spin: it leaves its waker in a list of blocked senders and returns
// `Pending`. Each `recv` frees one slot and wakes one blocked sender, which then tries again.
// This is backpressure: a fast producer is slowed to the consumer's pace.
//
//     send ─► [ v v v ] (full) ─► recv
//      │  Pending, waker queued     │ frees a slot, wakes one queued sender
//      └────────────◄───────────────┘
//
// This list of blocked senders has two known flaws (the README explains them): a blocked
// `send` that is dropped leaves its waker behind, so a `recv` can wake a task that is gone while
// a live sender keeps waiting; and a blocked `send` polled again queues a second copy of its
// waker. Real channels give each waiting future its own entry, updated on re-poll and removed
// on drop.
//
// Write `poll_send` and `poll_recv`. Do not change the tests.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

struct Shared<T> {
    queue: VecDeque<T>,
    capacity: usize,
    /// The receiver's waker, left by a `poll_recv` that found the queue empty.
    recv_waker: Option<Waker>,
    /// One waker per sender that found the queue full, oldest first.
    blocked_senders: VecDeque<Waker>,
}

#[derive(Clone)]
pub struct Sender<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

pub struct Receiver<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "a bounded channel needs room for one value");
    let shared = Arc::new(Mutex::new(Shared {
        queue: VecDeque::new(),
        capacity,
        recv_waker: None,
        blocked_senders: VecDeque::new(),
    }));
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

impl<T> Sender<T> {
    /// Moves the value out of `slot` into the queue when there is room.
    pub fn poll_send(&self, cx: &mut Context<'_>, slot: &mut Option<T>) -> Poll<()> {
        // TODO: if the queue is full, queue this poll's waker among the blocked senders (once:
        // a send polled again while it waits already has its entry; refresh it) and return
        // Pending. Otherwise move the value from `slot` into the queue, wake the receiver if
        // it is waiting, and return Ready.
        todo!()
    }

    /// Called when a send is dropped while it waits, with the waker of its last poll.
    pub fn cancel_send(&self, waker: &Waker) {
        // TODO: if its waker is still among the blocked senders, remove it. If it is not, a
        // recv already popped it and woke this send for a free slot that it will never use:
        // pass that wake on to the next blocked sender.
        todo!()
    }

    pub async fn send(&self, value: T) {
        let mut slot = Some(value);
        // Remembers the waker of a send that is waiting, so that dropping the send (a timeout,
        // a lost `select!` branch) tells the channel through `cancel_send`.
        let mut waiting = Waiting {
            tx: self,
            waker: None,
        };
        poll_fn(|cx| {
            let poll = self.poll_send(cx, &mut slot);
            waiting.waker = poll.is_pending().then(|| cx.waker().clone());
            poll
        })
        .await
    }
}

struct Waiting<'a, T> {
    tx: &'a Sender<T>,
    waker: Option<Waker>,
}

impl<T> Drop for Waiting<'_, T> {
    fn drop(&mut self) {
        if let Some(waker) = self.waker.take() {
            self.tx.cancel_send(&waker);
        }
    }
}

impl<T> Receiver<T> {
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        // TODO: pop a value and wake one blocked sender (a slot is free now), or keep the
        // receiver's waker and return Pending.
        todo!()
    }

    pub async fn recv(&mut self) -> T {
        poll_fn(|cx| self.poll_recv(cx)).await
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked};
    use std::thread;
    use std::time::Duration;

    fn try_send<T>(tx: &Sender<T>, value: T, counter: &Arc<CountingWaker>) -> Option<T> {
        let mut slot = Some(value);
        let poll = tx.poll_send(&mut Context::from_waker(&counter.waker()), &mut slot);
        assert_eq!(
            poll.is_ready(),
            slot.is_none(),
            "poll_send must take the value exactly when it returns Ready"
        );
        slot
    }

    fn try_recv<T>(rx: &mut Receiver<T>, counter: &Arc<CountingWaker>) -> Poll<T> {
        rx.poll_recv(&mut Context::from_waker(&counter.waker()))
    }

    #[test]
    fn send_past_capacity_is_rejected() {
        let (tx, mut rx) = bounded(2);
        let counter = CountingWaker::new();
        assert_eq!(try_send(&tx, 1, &counter), None);
        assert_eq!(try_send(&tx, 2, &counter), None);
        assert_eq!(
            try_send(&tx, 3, &counter),
            Some(3),
            "the channel holds 2 values and is full: a third send must wait (Pending) and keep \
             its value"
        );
        assert_eq!(try_recv(&mut rx, &counter), Poll::Ready(1));
        assert_eq!(try_recv(&mut rx, &counter), Poll::Ready(2));
    }

    #[test]
    fn send_not_waking_a_waiting_receiver_is_rejected() {
        let (tx, mut rx) = bounded(1);
        let receiver = CountingWaker::new();
        assert!(try_recv(&mut rx, &receiver).is_pending());
        assert_eq!(try_send(&tx, 7, &CountingWaker::new()), None);
        assert_eq!(
            receiver.count(),
            1,
            "the send did not wake the waiting receiver"
        );
        assert_eq!(try_recv(&mut rx, &receiver), Poll::Ready(7));
    }

    #[test]
    fn recv_not_waking_a_blocked_sender_is_rejected() {
        let (tx, mut rx) = bounded(1);
        let sender = CountingWaker::new();
        assert_eq!(try_send(&tx, 1, &sender), None);
        assert_eq!(try_send(&tx, 2, &sender), Some(2));
        assert_eq!(try_recv(&mut rx, &CountingWaker::new()), Poll::Ready(1));
        assert_eq!(
            sender.count(),
            1,
            "recv freed a slot but did not wake the sender blocked on the full channel"
        );
        assert_eq!(try_send(&tx, 2, &sender), None);
    }

    #[test]
    fn second_blocked_sender_replacing_the_first_is_rejected() {
        let (tx, mut rx) = bounded(1);
        let tx2 = tx.clone();
        let first = CountingWaker::new();
        let second = CountingWaker::new();
        assert_eq!(try_send(&tx, 0, &CountingWaker::new()), None);
        assert_eq!(try_send(&tx, 1, &first), Some(1));
        assert_eq!(try_send(&tx2, 2, &second), Some(2));
        let other = CountingWaker::new();
        assert_eq!(try_recv(&mut rx, &other), Poll::Ready(0));
        assert_eq!(
            try_send(&tx, 1, &first),
            None,
            "the first woken sender fills the slot"
        );
        assert_eq!(try_recv(&mut rx, &other), Poll::Ready(1));
        assert_eq!(
            (first.count(), second.count()),
            (1, 1),
            "two senders were blocked and two slots were freed: each must be woken once. Keep \
             every blocked sender's waker, not just the latest"
        );
    }

    #[test]
    fn repolled_send_pushing_a_duplicate_waker_is_rejected() {
        let (tx, mut rx) = bounded(1);
        let tx2 = tx.clone();
        let first = CountingWaker::new();
        let second = CountingWaker::new();
        assert_eq!(try_send(&tx, 0, &CountingWaker::new()), None);
        // The first send is polled three times while the channel stays full (a task woken
        // for another reason polls every future it holds again).
        for _ in 0..3 {
            assert_eq!(try_send(&tx, 1, &first), Some(1));
        }
        assert_eq!(try_send(&tx2, 2, &second), Some(2));
        assert_eq!(
            tx.shared.lock().unwrap().blocked_senders.len(),
            2,
            "two senders wait, so two wakers are queued: a send polled again while it waits \
             must refresh its entry, not push one more copy of its waker each time"
        );
        let other = CountingWaker::new();
        assert_eq!(try_recv(&mut rx, &other), Poll::Ready(0));
        assert_eq!(try_send(&tx, 1, &first), None);
        assert_eq!(try_recv(&mut rx, &other), Poll::Ready(1));
        assert_eq!(
            second.count(),
            1,
            "two slots were freed for two waiting senders, but the second was never woken: \
             the first sender's duplicate wakers used up its wake-up"
        );
    }

    /// Polls a `send` future once (it must be Pending: the channel is full) and drops it.
    fn send_then_drop_it(tx: &Sender<u32>, value: u32, counter: &Arc<CountingWaker>) {
        let mut fut = std::pin::pin!(tx.send(value));
        assert!(
            runtime_reference::testing::poll_once(fut.as_mut(), &counter.waker()).is_pending(),
            "the channel is full: send must wait"
        );
    }

    #[test]
    fn dropped_send_leaving_its_waker_queued_is_rejected() {
        let (tx, mut rx) = bounded(1);
        let tx2 = tx.clone();
        let gone = CountingWaker::new();
        let waiting = CountingWaker::new();
        assert_eq!(try_send(&tx, 0, &CountingWaker::new()), None);
        let mut fut = std::pin::pin!(tx2.send(2));
        send_then_drop_it(&tx, 1, &gone);
        assert!(runtime_reference::testing::poll_once(fut.as_mut(), &waiting.waker()).is_pending());
        assert_eq!(try_recv(&mut rx, &CountingWaker::new()), Poll::Ready(0));
        assert_eq!(
            waiting.count(),
            1,
            "a send dropped while it waited (a timeout, a lost select! branch) left its waker \
             in line, so the freed slot woke a send that no longer exists and the sender \
             still waiting was never woken: cancel_send must remove the waker"
        );
        assert_eq!(
            runtime_reference::testing::poll_once(fut.as_mut(), &waiting.waker()),
            Poll::Ready(())
        );
        assert_eq!(try_recv(&mut rx, &CountingWaker::new()), Poll::Ready(2));
    }

    #[test]
    fn woken_send_dropped_swallowing_the_wake_is_rejected() {
        let (tx, mut rx) = bounded(1);
        let tx2 = tx.clone();
        let first = CountingWaker::new();
        let second = CountingWaker::new();
        assert_eq!(try_send(&tx, 0, &CountingWaker::new()), None);
        let mut a = Box::pin(tx.send(1));
        let mut b = std::pin::pin!(tx2.send(2));
        assert!(runtime_reference::testing::poll_once(a.as_mut(), &first.waker()).is_pending());
        assert!(runtime_reference::testing::poll_once(b.as_mut(), &second.waker()).is_pending());
        assert_eq!(try_recv(&mut rx, &CountingWaker::new()), Poll::Ready(0));
        assert_eq!(
            first.count(),
            1,
            "the freed slot wakes the oldest waiting send"
        );
        // Woken for the free slot, the first send is dropped before it runs again.
        drop(a);
        assert_eq!(
            second.count(),
            1,
            "the send woken for a free slot was dropped without using it, and the other \
             waiting send was never told: cancel_send must pass the wake on"
        );
        assert_eq!(
            runtime_reference::testing::poll_once(b.as_mut(), &second.waker()),
            Poll::Ready(())
        );
        assert_eq!(try_recv(&mut rx, &CountingWaker::new()), Poll::Ready(2));
    }

    #[test]
    fn producer_thread_paced_by_a_consumer_thread() {
        let (tx, mut rx) = bounded(1);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        // Both sides run on their own threads, so a missing wake-up fails this test instead of
        // hanging it.
        thread::spawn(move || {
            block_on_checked(async {
                for i in 0..200 {
                    tx.send(i).await;
                }
            })
        });
        thread::spawn(move || {
            let got: Vec<u32> = block_on_checked(async {
                let mut got = Vec::new();
                for _ in 0..200 {
                    got.push(rx.recv().await);
                }
                got
            });
            done_tx.send(got)
        });
        let got = done_rx
            .recv_timeout(Duration::from_secs(1))
            .expect("200 values through a channel of capacity 1 did not arrive within 1 s");
        assert_eq!(got, (0..200).collect::<Vec<_>>());
    }
}
