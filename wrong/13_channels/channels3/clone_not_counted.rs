// wrong answer: clone shares the channel but does not count the new sender, so dropping the original ends the channel while the clone can still send; none_while_a_clone_is_alive_is_rejected catches it.
// channels3: an unbounded mpsc channel that ends when the last sender is gone
//
// Many senders, one receiver. `recv` returns `Some(value)` while values are queued, waits while
// the queue is empty and some sender is alive, and returns `None` once the queue is empty and
// every sender has been dropped. That `None` is how a consumer loop learns that it is done:
//
//     while let Some(msg) = rx.recv().await { ... }
//
// `send` is written for you. Count the live senders in `Clone` and `Drop`, wake the receiver
// when the last one goes, and write `poll_recv`. Do not change the tests.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

struct Shared<T> {
    queue: VecDeque<T>,
    /// How many `Sender`s are alive.
    senders: usize,
    /// The receiver's waker, left by a `poll_recv` that found nothing to return.
    waker: Option<Waker>,
}

pub struct Sender<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

pub struct Receiver<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(Shared {
        queue: VecDeque::new(),
        senders: 1,
        waker: None,
    }));
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

impl<T> Sender<T> {
    pub fn send(&self, value: T) {
        let waker = {
            let mut shared = self.shared.lock().unwrap();
            shared.queue.push_back(value);
            shared.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut shared = self.shared.lock().unwrap();
            shared.senders -= 1;
            // Only the last sender changes what `recv` can return; the others need not wake it.
            if shared.senders == 0 {
                shared.waker.take()
            } else {
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut shared = self.shared.lock().unwrap();
        // Queued values first: senders may all be gone while their messages are still queued.
        if let Some(value) = shared.queue.pop_front() {
            return Poll::Ready(Some(value));
        }
        if shared.senders == 0 {
            return Poll::Ready(None);
        }
        shared.waker = Some(cx.waker().clone());
        Poll::Pending
    }

    pub async fn recv(&mut self) -> Option<T> {
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

    fn poll_recv_with<T>(rx: &mut Receiver<T>, counter: &Arc<CountingWaker>) -> Poll<Option<T>> {
        rx.poll_recv(&mut Context::from_waker(&counter.waker()))
    }

    /// A waker that looks at the channel when it is woken, as the woken task will: it counts
    /// wakes that came while `ready` still said no. (Busy means the waker's caller holds the
    /// lock, so the task cannot look before the caller is done: that order is fine.)
    struct StateCheckingWaker<T> {
        shared: Arc<Mutex<Shared<T>>>,
        ready: fn(&Shared<T>) -> bool,
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
            if let Ok(shared) = self.shared.try_lock()
                && !(self.ready)(&shared)
            {
                self.too_early.fetch_add(1, SeqCst);
            }
        }
    }

    fn state_checking_waker<T>(
        shared: &Arc<Mutex<Shared<T>>>,
        ready: fn(&Shared<T>) -> bool,
    ) -> Arc<StateCheckingWaker<T>> {
        Arc::new(StateCheckingWaker {
            shared: Arc::clone(shared),
            ready,
            woken: Default::default(),
            too_early: Default::default(),
        })
    }

    #[test]
    fn values_arrive_in_order() {
        let (tx, mut rx) = unbounded();
        let counter = CountingWaker::new();
        for i in 0..3 {
            tx.send(i);
        }
        for i in 0..3 {
            assert_eq!(poll_recv_with(&mut rx, &counter), Poll::Ready(Some(i)));
        }
        assert!(poll_recv_with(&mut rx, &counter).is_pending());
    }

    #[test]
    fn none_while_a_clone_is_alive_is_rejected() {
        let (tx, mut rx) = unbounded::<u8>();
        let tx2 = tx.clone();
        drop(tx);
        let counter = CountingWaker::new();
        assert!(
            poll_recv_with(&mut rx, &counter).is_pending(),
            "one sender was dropped but its clone is alive and may still send: recv must wait, \
             not return None (do clones count as senders?)"
        );
        tx2.send(9);
        assert_eq!(poll_recv_with(&mut rx, &counter), Poll::Ready(Some(9)));
    }

    #[test]
    fn last_sender_dropped_without_wake_is_rejected() {
        let (tx, mut rx) = unbounded::<u8>();
        let tx2 = tx.clone();
        let counter = CountingWaker::new();
        assert!(poll_recv_with(&mut rx, &counter).is_pending());
        drop(tx);
        drop(tx2);
        assert!(
            counter.count() >= 1,
            "the last sender was dropped while the receiver waited, and nobody woke it: a \
             `while let Some(..) = rx.recv().await` loop would never end"
        );
        assert_eq!(poll_recv_with(&mut rx, &counter), Poll::Ready(None));
    }

    #[test]
    fn waking_before_counting_the_sender_gone_is_rejected() {
        let (tx, mut rx) = unbounded::<u8>();
        let checker = state_checking_waker(&rx.shared, |shared| shared.senders == 0);
        let waker = std::task::Waker::from(checker.clone());
        assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
        drop(tx);
        use std::sync::atomic::Ordering::SeqCst;
        assert_eq!(
            checker.woken.load(SeqCst),
            1,
            "the last sender's drop must wake the receiver"
        );
        assert_eq!(
            checker.too_early.load(SeqCst),
            0,
            "the last sender woke the receiver before counting itself gone: on another thread \
             the receiver polls at once, still sees a sender and sleeps for good. Update the \
             count, then wake"
        );
    }

    #[test]
    fn queued_values_lost_at_close_are_rejected() {
        let (tx, mut rx) = unbounded();
        tx.send("a");
        tx.send("b");
        drop(tx);
        let counter = CountingWaker::new();
        assert_eq!(
            poll_recv_with(&mut rx, &counter),
            Poll::Ready(Some("a")),
            "the senders are gone but two values are still queued: deliver them before None"
        );
        assert_eq!(poll_recv_with(&mut rx, &counter), Poll::Ready(Some("b")));
        assert_eq!(poll_recv_with(&mut rx, &counter), Poll::Ready(None));
    }

    #[test]
    fn four_sending_threads_then_none() {
        let (tx, mut rx) = unbounded();
        for t in 0..4 {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..25 {
                    tx.send(t * 100 + i);
                }
            });
        }
        drop(tx);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        // The consumer runs on its own thread, so a missing wake-up fails this test instead of
        // hanging it.
        thread::spawn(move || {
            done_tx.send(block_on_checked(async {
                let mut all = Vec::new();
                while let Some(v) = rx.recv().await {
                    all.push(v);
                }
                all
            }))
        });
        let received = done_rx
            .recv_timeout(Duration::from_secs(1))
            .expect("the consumer loop did not end 1 s after every sender was gone");
        let mut sorted = received.clone();
        sorted.sort();
        let expected: Vec<i32> = (0..4)
            .flat_map(|t| (0..25).map(move |i| t * 100 + i))
            .collect();
        assert_eq!(
            sorted, expected,
            "every value from every sender, each once, then None"
        );
    }
}
