// wrong answer: push wakes consumers with notify_waiters, which wakes every one of them for one item and stores nothing; notify_waiters_waking_every_consumer_is_rejected.
// backpressure3: a drop-oldest ring buffer
//
// For live data (sensor readings, prices, positions) the newest value matters most. Here the
// producer never waits and never loses the latest item: when the buffer is full, `push` evicts the
// oldest item to make room and hands it back. The consumer's `pop` waits until an item exists.
//
//     push(6) on a full buffer of 4:   [2 3 4 5] -> evict 2 -> [3 4 5 6]
//
// A `std::sync::Mutex<VecDeque<T>>` holds the items (never held across an await) and a
// `tokio::sync::Notify` wakes a waiting consumer. Implement `push` and `pop`. Do not change the
// tests.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

struct DropOldest<T> {
    items: Mutex<VecDeque<T>>,
    capacity: usize,
    item_added: Notify,
}

impl<T> DropOldest<T> {
    fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "a ring buffer needs room for one item");
        DropOldest {
            items: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
            item_added: Notify::new(),
        }
    }

    /// Adds `item` without waiting. If the buffer was full, the oldest item is removed and
    /// returned.
    fn push(&self, item: T) -> Option<T> {
        let evicted = {
            let mut items = self.items.lock().unwrap();
            let evicted = if items.len() == self.capacity {
                items.pop_front()
            } else {
                None
            };
            items.push_back(item);
            evicted
        };
        // One wake per item. `notify_one` stores a permit when nobody waits yet, so a consumer
        // that checks the buffer and then waits cannot miss this item.
        self.item_added.notify_waiters();
        evicted
    }

    /// Waits until an item is there, then removes and returns the oldest one.
    async fn pop(&self) -> T {
        loop {
            if let Some(item) = self.items.lock().unwrap().pop_front() {
                return item;
            }
            self.item_added.notified().await;
        }
    }

    fn len(&self) -> usize {
        self.items.lock().unwrap().len()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Poll, Wake, Waker};
    use std::time::Duration;

    const STUCK: &str = "a test did not finish within a second of real time: some task is spinning (a loop that never waits), which also freezes tokio's paused clock";

    // Runs a test body on a current_thread runtime with paused time, in a thread of its own, and
    // fails the test if the body has not finished after one second of real time. The paused
    // clock only moves while every task waits, so a task that never stops running freezes it
    // and no `timeout` inside the body could fire: this real-time limit catches that case.
    fn paused<Fut: std::future::Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        let (finished, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime");
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(body())));
            let _ = finished.send(result);
        });
        match outcome.recv_timeout(std::time::Duration::from_secs(1)) {
            Ok(Ok(())) => {}
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => {
                // The stuck thread cannot be stopped and would starve the other tests: end the
                // whole test run now, with the reason written straight to stderr (not captured).
                let test = std::thread::current()
                    .name()
                    .unwrap_or("a test")
                    .to_string();
                let mut stderr = std::io::stderr();
                let _ = std::io::Write::write_all(
                    &mut stderr,
                    format!(
                        "
test {test} FAILED: {STUCK}
"
                    )
                    .as_bytes(),
                );
                std::process::exit(101);
            }
        }
    }

    async fn pop_or_fail<T>(buffer: &DropOldest<T>) -> T {
        tokio::time::timeout(Duration::from_secs(1), buffer.pop())
            .await
            .expect("pop waited for an item but was never woken")
    }

    #[test]
    fn evicting_the_newest_is_rejected() {
        paused(|| async {
            let buffer = DropOldest::new(3);
            let evicted: Vec<Option<u32>> = (1..=5).map(|n| buffer.push(n)).collect();
            assert_eq!(
                evicted,
                vec![None, None, None, Some(1), Some(2)],
                "pushing 4 and 5 into a full buffer of 3 must evict 1, then 2 (the oldest)"
            );
            let mut left = Vec::new();
            for _ in 0..3 {
                left.push(pop_or_fail(&buffer).await);
            }
            assert_eq!(
                left,
                vec![3, 4, 5],
                "the three newest items stay, oldest first"
            );
        });
    }

    #[test]
    fn growing_past_capacity_is_rejected() {
        paused(|| async {
            let buffer = DropOldest::new(4);
            for n in 0..100 {
                buffer.push(n);
                assert!(
                    buffer.len() <= 4,
                    "the buffer holds {} items; its capacity is 4",
                    buffer.len()
                );
            }
        });
    }

    #[test]
    fn pop_never_woken_by_push_is_rejected() {
        paused(|| async {
            let buffer = Arc::new(DropOldest::new(2));
            let consumer = tokio::spawn({
                let buffer = buffer.clone();
                async move { pop_or_fail(&buffer).await }
            });
            // Let the consumer find the buffer empty and start waiting.
            tokio::task::yield_now().await;
            buffer.push(42);
            assert_eq!(consumer.await.unwrap(), 42);
        });
    }

    // A waker that looks at the buffer when it is woken: a consumer woken while the buffer is
    // still empty would find nothing, wait again, and miss the item pushed just after.
    struct CheckingWaker {
        buffer: Arc<DropOldest<u32>>,
        woken: AtomicUsize,
        woken_on_empty: AtomicUsize,
    }

    impl Wake for CheckingWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.fetch_add(1, Ordering::SeqCst);
            // While push holds the lock the item may or may not be in: only count what we see.
            if let Ok(items) = self.buffer.items.try_lock()
                && items.is_empty()
            {
                self.woken_on_empty.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn waking_before_the_item_is_in_is_rejected() {
        let buffer = Arc::new(DropOldest::new(2));
        let checker = Arc::new(CheckingWaker {
            buffer: Arc::clone(&buffer),
            woken: AtomicUsize::new(0),
            woken_on_empty: AtomicUsize::new(0),
        });
        let waker = Waker::from(Arc::clone(&checker));
        let mut waiting = pin!(buffer.pop());
        assert!(poll_once(waiting.as_mut(), &waker).is_pending());
        buffer.push(9);
        assert_eq!(
            checker.woken.load(Ordering::SeqCst),
            1,
            "push must wake the waiting pop once"
        );
        assert_eq!(
            checker.woken_on_empty.load(Ordering::SeqCst),
            0,
            "the consumer was woken while the buffer was still empty: add the item first, then \
             notify"
        );
        assert_eq!(poll_once(waiting.as_mut(), &waker), Poll::Ready(9));
    }

    #[test]
    fn notify_waiters_waking_every_consumer_is_rejected() {
        let buffer = DropOldest::new(4);
        let (first, second) = (CountingWaker::new(), CountingWaker::new());
        let mut a = pin!(buffer.pop());
        let mut b = pin!(buffer.pop());
        assert!(poll_once(a.as_mut(), &first.waker()).is_pending());
        assert!(poll_once(b.as_mut(), &second.waker()).is_pending());
        buffer.push(1);
        assert_eq!(
            first.count() + second.count(),
            1,
            "one item was pushed and two consumers were waiting: wake exactly one (`notify_one`); \
             `notify_waiters` wakes all of them and stores nothing for a consumer about to wait"
        );
    }

    #[test]
    fn waking_only_on_empty_to_non_empty_is_rejected() {
        paused(|| async {
            let buffer = Arc::new(DropOldest::new(4));
            let consumers: Vec<_> = (0..2)
                .map(|_| {
                    let buffer = buffer.clone();
                    tokio::spawn(async move { pop_or_fail(&buffer).await })
                })
                .collect();
            tokio::task::yield_now().await;
            // Two waiting consumers, two items pushed back to back: each consumer needs its wake-up.
            buffer.push(1);
            buffer.push(2);
            let mut got = Vec::new();
            for consumer in consumers {
                got.push(consumer.await.unwrap());
            }
            got.sort();
            assert_eq!(got, vec![1, 2]);
        });
    }
}
