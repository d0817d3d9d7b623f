// wrong answer: notified() completes on a permit without consuming it, so one notify_one lets every later waiter through; permits_piling_up_are_rejected catches it.
// channels5: a Notify that never loses a notification
//
// `Notify` wakes a task without sending it a value: "something changed, look again". The usual
// pattern is
//
//     consumer: loop { if let Some(job) = take_job() { ... } else { notify.notified().await } }
//     producer: push_job(); notify.notify_one();
//
// The producer can run *between* the consumer's check and its await. If `notify_one` only wakes
// a task that is already waiting, that notification is lost and the consumer sleeps on a queue
// that has a job in it. So a `notify_one` that finds nobody waiting stores a permit, and the next
// `notified()` consumes it and completes at once. Permits do not pile up: there is at most one.
//
// This Notify serves one waiting task at a time (tokio's serves many). Write `notify_one` and
// `Notified::poll`. Do not change the tests.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct State {
    /// A notification that arrived while nobody was waiting.
    permit: bool,
    /// The waiting task's waker.
    waiter: Option<Waker>,
}

#[derive(Default)]
pub struct Notify {
    state: Mutex<State>,
}

impl Notify {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn notify_one(&self) {
        // The permit is what the woken (or next) `notified()` consumes; the wake only makes
        // sure a waiting task polls again to find it.
        let waiter = {
            let mut state = self.state.lock().unwrap();
            state.permit = true;
            state.waiter.take()
        };
        if let Some(waker) = waiter {
            waker.wake();
        }
    }

    pub fn notified(&self) -> Notified<'_> {
        Notified { notify: self }
    }
}

pub struct Notified<'a> {
    notify: &'a Notify,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.notify.state.lock().unwrap();
        if state.permit {
            Poll::Ready(())
        } else {
            state.waiter = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::collections::VecDeque;
    use std::pin::pin;
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    #[test]
    fn notified_completes_on_its_own_is_rejected() {
        let notify = Notify::new();
        let counter = CountingWaker::new();
        assert!(
            poll_once(pin!(notify.notified()), &counter.waker()).is_pending(),
            "nobody called notify_one: notified() must wait"
        );
    }

    #[test]
    fn notify_not_waking_the_waiter_is_rejected() {
        let notify = Notify::new();
        let counter = CountingWaker::new();
        let mut waiting = pin!(notify.notified());
        assert!(poll_once(waiting.as_mut(), &counter.waker()).is_pending());
        notify.notify_one();
        assert_eq!(
            counter.count(),
            1,
            "notify_one did not wake the waiting task"
        );
        assert!(poll_once(waiting.as_mut(), &counter.waker()).is_ready());
    }

    /// A waker that looks at the Notify when it is woken, as the woken task will: it counts
    /// wakes that came while no permit was stored. (Busy means the waker's caller holds the
    /// lock, so the task cannot look before the caller is done: that order is fine.)
    struct PermitCheckingWaker {
        notify: Arc<Notify>,
        woken: std::sync::atomic::AtomicUsize,
        too_early: std::sync::atomic::AtomicUsize,
    }

    impl std::task::Wake for PermitCheckingWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            use std::sync::atomic::Ordering::SeqCst;
            self.woken.fetch_add(1, SeqCst);
            if let Ok(state) = self.notify.state.try_lock()
                && !state.permit
            {
                self.too_early.fetch_add(1, SeqCst);
            }
        }
    }

    #[test]
    fn waking_before_storing_the_permit_is_rejected() {
        use std::sync::atomic::Ordering::SeqCst;
        let notify = Arc::new(Notify::new());
        let checker = Arc::new(PermitCheckingWaker {
            notify: Arc::clone(&notify),
            woken: Default::default(),
            too_early: Default::default(),
        });
        let waker = std::task::Waker::from(checker.clone());
        let mut waiting = pin!(notify.notified());
        assert!(poll_once(waiting.as_mut(), &waker).is_pending());
        notify.notify_one();
        assert_eq!(
            checker.woken.load(SeqCst),
            1,
            "notify_one must wake the waiter"
        );
        assert_eq!(
            checker.too_early.load(SeqCst),
            0,
            "notify_one woke the waiter before storing the permit: on another thread the \
             waiter polls at once, finds no permit and sleeps for good. Store, then wake"
        );
        assert!(poll_once(waiting.as_mut(), &waker).is_ready());
    }

    #[test]
    fn keeping_the_first_waiters_waker_is_rejected() {
        let notify = Notify::new();
        let (first, latest) = (CountingWaker::new(), CountingWaker::new());
        let mut waiting = pin!(notify.notified());
        assert!(poll_once(waiting.as_mut(), &first.waker()).is_pending());
        // Polled again by a task that has moved: only the newest waker still reaches it.
        assert!(poll_once(waiting.as_mut(), &latest.waker()).is_pending());
        notify.notify_one();
        assert_eq!(
            (first.count(), latest.count()),
            (0, 1),
            "notify_one must wake the waker of the latest poll, not the first one kept"
        );
    }

    #[test]
    fn notify_before_notified_is_lost_is_rejected() {
        let notify = Notify::new();
        notify.notify_one();
        let counter = CountingWaker::new();
        assert!(
            poll_once(pin!(notify.notified()), &counter.waker()).is_ready(),
            "notify_one came before anyone waited and was lost: store a permit so the next \
             notified() completes at once"
        );
    }

    #[test]
    fn permits_piling_up_are_rejected() {
        let notify = Notify::new();
        notify.notify_one();
        notify.notify_one();
        let counter = CountingWaker::new();
        assert!(poll_once(pin!(notify.notified()), &counter.waker()).is_ready());
        assert!(
            poll_once(pin!(notify.notified()), &counter.waker()).is_pending(),
            "two notify_one calls with nobody waiting leave one permit, not two: Notify says \
             'look again', it does not count events"
        );
    }

    #[test]
    fn no_job_is_left_behind_across_threads() {
        const JOBS: usize = 300;
        let queue = Arc::new(Mutex::new(VecDeque::new()));
        let notify = Arc::new(Notify::new());
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let (q, n) = (Arc::clone(&queue), Arc::clone(&notify));
        // The consumer runs on its own thread, so a lost notification fails this test instead
        // of hanging it.
        thread::spawn(move || {
            done_tx.send(block_on_checked(async {
                let mut taken = 0;
                while taken < JOBS {
                    let job = q.lock().unwrap().pop_front();
                    match job {
                        Some(_) => taken += 1,
                        // A producer may push and notify right here, before the await.
                        None => n.notified().await,
                    }
                }
                taken
            }))
        });
        for i in 0..JOBS {
            queue.lock().unwrap().push_back(i);
            notify.notify_one();
            if i % 50 == 0 {
                thread::sleep(Duration::from_micros(200));
            }
        }
        let taken = done_rx.recv_timeout(Duration::from_secs(1)).expect(
            "the consumer was still asleep 1 s after the last job was pushed: a notification \
             was lost",
        );
        assert_eq!(taken, JOBS);
    }
}
