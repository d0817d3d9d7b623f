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
        // TODO: if the queue is full, queue this poll's waker among the blocked senders and
        // return Pending. Otherwise move the value from `slot` into the queue, wake the
        // receiver if it is waiting, and return Ready.
        todo!()
    }

    pub async fn send(&self, value: T) {
        let mut slot = Some(value);
        poll_fn(|cx| self.poll_send(cx, &mut slot)).await
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
