// wrong answer: poll polls the inner future first and looks at the cancel flag only when it is Pending, so a cancelled future still runs; polling_the_inner_future_after_cancel_is_rejected catches it.
// select2: cancellation is a drop
//
// Rust futures have no "cancel" method. A future is cancelled by no longer polling it and dropping
// it: the code after its current `.await` never runs, and the destructors of everything it
// holds (buffers, locks, sockets, guards) run right then. `select` cancels its loser this way;
// so does a timeout, and so does dropping a `JoinHandle`'s task on abort.
//
// `Cancelable<F>` wraps a future with a `CancelHandle`. After `cancel()`, the next poll must drop
// the inner future at once and return `Err(Canceled)`, without polling the inner future again.
// `cancel()` wakes the task so that this next poll happens; for that, `poll` leaves its waker in
// the shared `Flag`. Write `Cancelable::poll`. Do not change the tests.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Debug, PartialEq, Eq)]
pub struct Canceled;

#[derive(Default)]
struct Flag {
    canceled: bool,
    waker: Option<Waker>,
}

pub struct CancelHandle {
    flag: Arc<Mutex<Flag>>,
}

impl CancelHandle {
    pub fn cancel(&self) {
        let waker = {
            let mut flag = self.flag.lock().unwrap();
            flag.canceled = true;
            flag.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

pub struct Cancelable<F> {
    inner: Option<F>,
    flag: Arc<Mutex<Flag>>,
}

pub fn cancelable<F>(fut: F) -> (Cancelable<F>, CancelHandle) {
    let flag = Arc::new(Mutex::new(Flag::default()));
    let handle = CancelHandle {
        flag: Arc::clone(&flag),
    };
    (
        Cancelable {
            inner: Some(fut),
            flag,
        },
        handle,
    )
}

impl<F: Future + Unpin> Future for Cancelable<F> {
    type Output = Result<F::Output, Canceled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(inner) = this.inner.as_mut()
            && let Poll::Ready(out) = Pin::new(inner).poll(cx)
        {
            this.inner = None;
            return Poll::Ready(Ok(out));
        }
        {
            let mut flag = this.flag.lock().unwrap();
            if flag.canceled {
                drop(flag);
                // Cancelling *is* this drop: the inner future's destructors run now.
                this.inner = None;
                return Poll::Ready(Err(Canceled));
            }
            flag.waker = Some(cx.waker().clone());
        }
        let inner = this
            .inner
            .as_mut()
            .expect("Cancelable polled after it completed");
        match Pin::new(inner).poll(cx) {
            Poll::Ready(out) => {
                this.inner = None;
                Poll::Ready(Ok(out))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::cell::Cell;
    use std::rc::Rc;

    /// Pending until its `ready_on`-th poll; counts polls and records its drop.
    struct Probe {
        ready_on: u32,
        polls: Rc<Cell<u32>>,
        dropped: Rc<Cell<bool>>,
    }

    impl Future for Probe {
        type Output = &'static str;
        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<&'static str> {
            self.polls.set(self.polls.get() + 1);
            if self.polls.get() >= self.ready_on {
                Poll::Ready("finished")
            } else {
                Poll::Pending
            }
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.dropped.set(true);
        }
    }

    fn probe(ready_on: u32) -> (Probe, Rc<Cell<u32>>, Rc<Cell<bool>>) {
        let (polls, dropped) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(false)));
        let p = Probe {
            ready_on,
            polls: Rc::clone(&polls),
            dropped: Rc::clone(&dropped),
        };
        (p, polls, dropped)
    }

    #[test]
    fn uncanceled_future_finishes() {
        let (p, polls, _) = probe(2);
        let (mut fut, _handle) = cancelable(p);
        let counter = CountingWaker::new();
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready(Ok("finished"))
        );
        assert_eq!(polls.get(), 2);
    }

    #[test]
    fn polling_the_inner_future_after_cancel_is_rejected() {
        let (p, polls, _) = probe(2);
        let (mut fut, handle) = cancelable(p);
        let counter = CountingWaker::new();
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        handle.cancel();
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready(Err(Canceled)),
            "cancelled before it could finish: the result is Err(Canceled)"
        );
        assert_eq!(
            polls.get(),
            1,
            "the inner future was polled after cancel(): check the flag before polling it"
        );
    }

    #[test]
    fn keeping_the_canceled_future_alive_is_rejected() {
        let (p, _, dropped) = probe(100);
        let (mut fut, handle) = cancelable(p);
        let counter = CountingWaker::new();
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        handle.cancel();
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_ready());
        assert!(
            dropped.get(),
            "cancel returned Err but the inner future is still alive: cancellation is the drop, \
             do it now (set the Option to None)"
        );
    }

    #[test]
    fn cancel_not_waking_the_task_is_rejected() {
        let (p, _, _) = probe(100);
        let (mut fut, handle) = cancelable(p);
        let counter = CountingWaker::new();
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        handle.cancel();
        assert_eq!(
            counter.count(),
            1,
            "cancel() found no waker to wake: poll must leave its waker in the flag, or a \
             cancelled task that is waiting would never notice"
        );
    }

    #[test]
    fn keeping_the_first_pollers_waker_is_rejected() {
        let (p, _, _) = probe(100);
        let (mut fut, handle) = cancelable(p);
        let (first, latest) = (CountingWaker::new(), CountingWaker::new());
        assert!(poll_once(Pin::new(&mut fut), &first.waker()).is_pending());
        // Polled again by a task that has moved: only the newest waker still reaches it.
        assert!(poll_once(Pin::new(&mut fut), &latest.waker()).is_pending());
        handle.cancel();
        assert_eq!(
            (first.count(), latest.count()),
            (0, 1),
            "cancel() must wake the waker of the latest poll: leave each poll's waker in the flag"
        );
    }

    #[test]
    fn an_async_block_stops_at_its_await_and_drops_its_locals() {
        let (guard, _, guard_dropped) = probe(1);
        let reached_the_end = Rc::new(Cell::new(false));
        let end = Rc::clone(&reached_the_end);
        let (mut fut, handle) = cancelable(Box::pin(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
            end.set(true);
        }));
        let counter = CountingWaker::new();
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        handle.cancel();
        assert_eq!(
            poll_once(Pin::new(&mut fut), &counter.waker()),
            Poll::Ready(Err(Canceled))
        );
        assert!(
            guard_dropped.get(),
            "the block's locals are dropped when it is cancelled"
        );
        assert!(!reached_the_end.get());
    }
}
