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
        // TODO: under the lock, evict from the front when full, then add at the back.
        // Then wake a consumer that may be waiting in `pop`.
        todo!()
    }

    /// Waits until an item is there, then removes and returns the oldest one.
    async fn pop(&self) -> T {
        // TODO: take the front item if there is one; otherwise wait on `item_added` and look
        // again. Release the lock before you await.
        todo!()
    }

    fn len(&self) -> usize {
        self.items.lock().unwrap().len()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    async fn pop_or_fail<T>(buffer: &DropOldest<T>) -> T {
        tokio::time::timeout(Duration::from_secs(1), buffer.pop())
            .await
            .expect("pop waited for an item but was never woken")
    }

    #[tokio::test(start_paused = true)]
    async fn evicting_the_newest_is_rejected() {
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
    }

    #[tokio::test(start_paused = true)]
    async fn growing_past_capacity_is_rejected() {
        let buffer = DropOldest::new(4);
        for n in 0..100 {
            buffer.push(n);
            assert!(
                buffer.len() <= 4,
                "the buffer holds {} items; its capacity is 4",
                buffer.len()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn pop_never_woken_by_push_is_rejected() {
        let buffer = Arc::new(DropOldest::new(2));
        let consumer = tokio::spawn({
            let buffer = buffer.clone();
            async move { pop_or_fail(&buffer).await }
        });
        // Let the consumer find the buffer empty and start waiting.
        tokio::task::yield_now().await;
        buffer.push(42);
        assert_eq!(consumer.await.unwrap(), 42);
    }

    #[tokio::test(start_paused = true)]
    async fn waking_only_on_empty_to_non_empty_is_rejected() {
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
    }
}
