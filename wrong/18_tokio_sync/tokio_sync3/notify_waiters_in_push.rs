// wrong answer: push uses notify_waiters, which wakes every consumer for one item and stores no permit; notify_waiters_waking_every_consumer_is_rejected counts two wake-ups.
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

    fn push(&self, item: T) {
        self.items.lock().unwrap().push_back(item);
        // Wakes a waiting consumer, or leaves a permit for the next one to arrive.
        self.notify.notify_waiters();
    }

    async fn pop(&self) -> T {
        loop {
            let next = self.items.lock().unwrap().pop_front();
            if let Some(item) = next {
                return item;
            }
            // Woken does not mean an item is there: go round and look again.
            self.notify.notified().await;
        }
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
    use tokio::time::timeout;

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

    // Time is paused in these tests: when every task is waiting, the clock jumps ahead and the
    // timeout fires at once instead of hanging.
    async fn pop_or_fail<T>(queue: &WorkQueue<T>, why: &str) -> T {
        timeout(Duration::from_secs(1), queue.pop())
            .await
            .unwrap_or_else(|_| panic!("pop never returned: {why}"))
    }

    #[test]
    fn push_that_wakes_nobody_is_rejected() {
        paused(|| async {
            let queue = Arc::new(WorkQueue::new());
            let consumer = {
                let queue = Arc::clone(&queue);
                tokio::spawn(async move {
                    pop_or_fail(&queue, "push must wake the waiting consumer").await
                })
            };
            tokio::task::yield_now().await;
            queue.push(7);
            assert_eq!(consumer.await.unwrap(), 7);
        });
    }

    #[test]
    fn waiting_before_checking_the_queue_is_rejected() {
        paused(|| async {
            let queue = WorkQueue::new();
            queue.push("first");
            queue.push("second");
            let why = "two items were pushed with nobody waiting, which leaves one permit: check the \
                       queue before waiting";
            assert_eq!(pop_or_fail(&queue, why).await, "first");
            assert_eq!(pop_or_fail(&queue, why).await, "second");
        });
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

    // A waker that looks at the queue when it is woken: a consumer woken while the queue is still
    // empty would find nothing, go back to waiting, and miss the item pushed just after.
    struct CheckingWaker {
        queue: Arc<WorkQueue<u32>>,
        woken: AtomicUsize,
        woken_on_empty: AtomicUsize,
    }

    impl Wake for CheckingWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.fetch_add(1, Ordering::SeqCst);
            // If push still holds the lock, the item may or may not be in yet: only an empty
            // queue that can be looked at is counted.
            if let Ok(items) = self.queue.items.try_lock()
                && items.is_empty()
            {
                self.woken_on_empty.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn waking_before_the_item_is_pushed_is_rejected() {
        let queue = Arc::new(WorkQueue::new());
        let checker = Arc::new(CheckingWaker {
            queue: Arc::clone(&queue),
            woken: AtomicUsize::new(0),
            woken_on_empty: AtomicUsize::new(0),
        });
        let waker = Waker::from(Arc::clone(&checker));
        let mut waiting = pin!(queue.pop());
        assert!(poll_once(waiting.as_mut(), &waker).is_pending());
        queue.push(5);
        assert_eq!(
            checker.woken.load(Ordering::SeqCst),
            1,
            "push must wake the waiting pop"
        );
        assert_eq!(
            checker.woken_on_empty.load(Ordering::SeqCst),
            0,
            "the consumer was woken while the queue was still empty: put the item in first, \
             then notify (on another thread the woken pop would find nothing and wait again)"
        );
        assert_eq!(poll_once(waiting.as_mut(), &waker), Poll::Ready(5));
    }

    #[test]
    fn notify_waiters_waking_every_consumer_is_rejected() {
        let queue = WorkQueue::new();
        let (first, second) = (CountingWaker::new(), CountingWaker::new());
        let mut a = pin!(queue.pop());
        let mut b = pin!(queue.pop());
        assert!(poll_once(a.as_mut(), &first.waker()).is_pending());
        assert!(poll_once(b.as_mut(), &second.waker()).is_pending());
        queue.push(1);
        assert_eq!(
            first.count() + second.count(),
            1,
            "one item was pushed and two consumers were waiting: exactly one must be woken \
             (`notify_one`); `notify_waiters` wakes them all and stores nothing for a consumer \
             that is about to wait"
        );
        queue.push(2);
        assert_eq!(first.count(), 1, "each push wakes one more consumer");
        assert_eq!(second.count(), 1, "each push wakes one more consumer");
        let mut got = [
            poll_once(a.as_mut(), &first.waker()),
            poll_once(b.as_mut(), &second.waker()),
        ];
        got.sort_by_key(|p| format!("{p:?}"));
        assert_eq!(got, [Poll::Ready(1), Poll::Ready(2)]);
    }

    #[test]
    fn items_lost_or_duplicated_between_consumers_are_rejected() {
        paused(|| async {
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
        });
    }
}
