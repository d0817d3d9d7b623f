// tokio_sync3: a producer/consumer queue woken by Notify
//
// `tokio::sync::Notify` wakes waiting tasks and carries no data. `notify.notified().await` waits;
// `notify_one()` wakes one waiter, or, when nobody is waiting yet, stores a single permit so that
// the next `notified().await` returns at once. The data lives elsewhere (here, a VecDeque behind
// a std Mutex, locked only for a moment and never across an `.await`).
//
// Write `push` and `pop`. `pop` waits until an item is there and returns the oldest one. Two
// facts shape it: a stored permit can be left over from a push whose item was already taken, so
// being woken does not prove the queue has an item; and permits do not count items, so two
// pushes with nobody waiting leave only one permit. Check the queue, then wait, then check again.

use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::Notify;

struct WorkQueue<T> {
    items: Mutex<VecDeque<T>>,
    notify: Notify,
}

impl<T> WorkQueue<T> {
    fn new() -> Self {
        WorkQueue {
            items: Mutex::new(VecDeque::new()),
            notify: Notify::new(),
        }
    }

    // TODO: add the item at the back and wake one consumer.
    fn push(&self, item: T) {
        todo!()
    }

    // TODO: loop { take the front item if there is one; otherwise wait to be notified }
    async fn pop(&self) -> T {
        todo!()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::Poll;
    use std::time::Duration;
    use tokio::time::timeout;

    // Time is paused in these tests: when every task is waiting, the clock jumps ahead and the
    // timeout fires at once instead of hanging.
    async fn pop_or_fail<T>(queue: &WorkQueue<T>, why: &str) -> T {
        timeout(Duration::from_secs(1), queue.pop())
            .await
            .unwrap_or_else(|_| panic!("pop never returned: {why}"))
    }

    #[tokio::test(start_paused = true)]
    async fn push_that_wakes_nobody_is_rejected() {
        let queue = Arc::new(WorkQueue::new());
        let consumer = {
            let queue = Arc::clone(&queue);
            tokio::spawn(
                async move { pop_or_fail(&queue, "push must wake the waiting consumer").await },
            )
        };
        tokio::task::yield_now().await;
        queue.push(7);
        assert_eq!(consumer.await.unwrap(), 7);
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_before_checking_the_queue_is_rejected() {
        let queue = WorkQueue::new();
        queue.push("first");
        queue.push("second");
        let why = "two items were pushed with nobody waiting, which leaves one permit: check the \
                   queue before waiting";
        assert_eq!(pop_or_fail(&queue, why).await, "first");
        assert_eq!(pop_or_fail(&queue, why).await, "second");
    }

    // Polled by hand with a counting waker, outside any runtime: a pop that spins or wakes
    // itself shows up in the count instead of hanging the test.
    #[test]
    fn trusting_a_left_over_permit_is_rejected() {
        let queue = WorkQueue::new();
        let counter = CountingWaker::new();
        let waker = counter.waker();
        queue.push(1);
        // Takes the item without waiting, so the push's permit stays stored.
        assert_eq!(poll_once(pin!(queue.pop()), &waker), Poll::Ready(1));
        let mut second = pin!(queue.pop());
        assert!(
            poll_once(second.as_mut(), &waker).is_pending(),
            "pop returned on an empty queue: a left-over permit woke it; check the queue again"
        );
        assert_eq!(
            counter.count(),
            0,
            "pop woke itself although the queue is empty: wait on the Notify, do not spin"
        );
        queue.push(2);
        assert_eq!(counter.count(), 1, "push must wake the waiting pop");
        assert_eq!(poll_once(second.as_mut(), &waker), Poll::Ready(2));
    }

    #[tokio::test(start_paused = true)]
    async fn items_lost_or_duplicated_between_consumers_are_rejected() {
        let queue = Arc::new(WorkQueue::new());
        let mut consumers = Vec::new();
        for _ in 0..3 {
            let queue = Arc::clone(&queue);
            consumers.push(tokio::spawn(async move {
                pop_or_fail(&queue, "each push must wake one waiting consumer").await
            }));
        }
        tokio::task::yield_now().await;
        for item in [10, 20, 30] {
            queue.push(item);
        }
        let mut got = Vec::new();
        for consumer in consumers {
            got.push(consumer.await.unwrap());
        }
        got.sort();
        assert_eq!(got, vec![10, 20, 30]);
    }
}
