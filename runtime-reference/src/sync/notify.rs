use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use crate::lock::lock;

/// Wake one waiting task, or all of them, without sending data.
///
/// `notify_one` with nobody waiting stores a permit, so the next `notified().await` returns at
/// once: a notification sent just before the waiter arrives is not lost.
///
/// ```
/// use runtime_reference::park::block_on;
/// use runtime_reference::sync::Notify;
///
/// let notify = Notify::new();
/// notify.notify_one(); // nobody waits yet: kept as a permit
/// block_on(notify.notified()); // returns at once
/// ```
#[derive(Default)]
pub struct Notify {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    permit: bool,
    waiters: VecDeque<(u64, Waker)>,
    /// Waiters that were notified but have not yet been polled to see it.
    notified: HashSet<u64>,
    next_id: u64,
    /// Bumped by `notify_waiters`: a `Notified` created before the bump completes even if it
    /// had not been polled yet.
    generation: u64,
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Notify")
            .field("permit", &st.permit)
            .field("waiters", &st.waiters.len())
            .finish()
    }
}

impl Notify {
    /// A `Notify` with no permit and no waiters.
    pub fn new() -> Notify {
        Notify::default()
    }

    /// Wait for a notification.
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            generation: lock(&self.state).generation,
            id: None,
            done: false,
        }
    }

    /// Wake the longest-waiting task, or store a permit if none waits.
    pub fn notify_one(&self) {
        let waker = {
            let mut st = lock(&self.state);
            match st.waiters.pop_front() {
                Some((id, w)) => {
                    st.notified.insert(id);
                    Some(w)
                }
                None => {
                    st.permit = true;
                    None
                }
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Wake every task waiting now (and every `Notified` already created). Stores no permit.
    pub fn notify_waiters(&self) {
        let wakers: Vec<Waker> = {
            let mut st = lock(&self.state);
            st.generation += 1;
            let drained: Vec<_> = st.waiters.drain(..).collect();
            drained
                .into_iter()
                .map(|(id, w)| {
                    st.notified.insert(id);
                    w
                })
                .collect()
        };
        for w in wakers {
            w.wake();
        }
    }
}

/// The future of [`Notify::notified`].
#[must_use = "futures do nothing unless awaited"]
pub struct Notified<'a> {
    notify: &'a Notify,
    generation: u64,
    id: Option<u64>,
    done: bool,
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("waiting", &self.id.is_some())
            .finish()
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        assert!(!this.done, "Notified polled after completion");
        let mut st = lock(&this.notify.state);
        let ready = match this.id {
            None if st.generation != this.generation => true,
            None if st.permit => {
                st.permit = false;
                true
            }
            None => {
                let id = st.next_id;
                st.next_id += 1;
                st.waiters.push_back((id, cx.waker().clone()));
                this.id = Some(id);
                false
            }
            Some(id) if st.notified.remove(&id) => true,
            Some(id) => {
                if let Some((_, w)) = st.waiters.iter_mut().find(|(w, _)| *w == id)
                    && !w.will_wake(cx.waker())
                {
                    *w = cx.waker().clone();
                }
                false
            }
        };
        if ready {
            this.id = None;
            this.done = true;
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let forward = {
            let mut st = lock(&self.notify.state);
            st.waiters.retain(|(w, _)| *w != id);
            st.notified.remove(&id)
        };
        if forward {
            // Notified but dropped before seeing it: pass it on rather than lose it.
            self.notify.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CountingWaker, block_on_checked, poll_once};
    use std::pin::pin;
    use std::sync::Arc;

    #[test]
    fn a_notification_before_the_wait_is_kept() {
        let n = Notify::new();
        n.notify_one();
        let w = CountingWaker::new();
        let mut f = pin!(n.notified());
        assert!(poll_once(f.as_mut(), &w.waker()).is_ready());
        let mut g = pin!(n.notified());
        assert!(
            poll_once(g.as_mut(), &w.waker()).is_pending(),
            "one permit, one wake"
        );
    }

    #[test]
    fn notify_one_wakes_only_the_first_waiter() {
        let n = Notify::new();
        let (a, b) = (CountingWaker::new(), CountingWaker::new());
        let mut fa = pin!(n.notified());
        let mut fb = pin!(n.notified());
        assert!(poll_once(fa.as_mut(), &a.waker()).is_pending());
        assert!(poll_once(fb.as_mut(), &b.waker()).is_pending());
        n.notify_one();
        assert_eq!((a.count(), b.count()), (1, 0));
        assert!(poll_once(fa.as_mut(), &a.waker()).is_ready());
        assert!(poll_once(fb.as_mut(), &b.waker()).is_pending());
    }

    #[test]
    fn a_dropped_notified_waiter_forwards_its_notification() {
        let n = Notify::new();
        let (a, b) = (CountingWaker::new(), CountingWaker::new());
        let mut fa = Box::pin(n.notified());
        let mut fb = pin!(n.notified());
        assert!(poll_once(fa.as_mut(), &a.waker()).is_pending());
        assert!(poll_once(fb.as_mut(), &b.waker()).is_pending());
        n.notify_one();
        drop(fa);
        assert_eq!(b.count(), 1);
        assert!(poll_once(fb.as_mut(), &b.waker()).is_ready());
    }

    #[test]
    fn notify_waiters_wakes_all_and_stores_no_permit() {
        let n = Notify::new();
        let created = n.notified();
        let w = CountingWaker::new();
        let mut polled = pin!(n.notified());
        assert!(poll_once(polled.as_mut(), &w.waker()).is_pending());
        n.notify_waiters();
        assert!(poll_once(polled.as_mut(), &w.waker()).is_ready());
        assert!(poll_once(pin!(created), &w.waker()).is_ready());
        assert!(poll_once(pin!(n.notified()), &w.waker()).is_pending());
    }

    #[test]
    fn producer_consumer_across_threads_loses_no_notification() {
        let n = Arc::new(Notify::new());
        for _ in 0..500 {
            let n2 = Arc::clone(&n);
            let t = std::thread::spawn(move || n2.notify_one());
            block_on_checked(n.notified());
            t.join().unwrap();
        }
    }
}
