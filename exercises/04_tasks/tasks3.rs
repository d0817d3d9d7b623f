// tasks3: a JoinHandle that delivers a task's output
//
// A task's future has output `()`: the executor has nowhere to put anything else. To get a
// value out, `spawn` wraps the user's future in one that stores the output in shared state,
// and returns a `JoinHandle`, itself a future, that reads it from there:
//
//     task (runs on the executor)                 JoinHandle (awaited by someone else)
//     output = user_future.await                  poll: output there?  -> Ready(output)
//     lock shared, store output ----> shared <--- poll: not yet        -> store waker, Pending
//     take the handle's waker, wake it
//
// The two sides meet only through `Shared`, so each must do its half: the handle stores its
// waker before answering Pending, and the task wakes that waker after storing the output.
// Miss either half and whoever awaits the handle sleeps forever.
//
// Implement `Future for JoinHandle<T>` and the TODO in `spawn`'s wrapper. To keep this file
// small there is no executor: `spawn` returns the task's future and the tests poll it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

struct Shared<T> {
    output: Option<T>,
    /// The waker of whoever is waiting on the handle.
    waker: Option<Waker>,
}

struct JoinHandle<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

/// Returns the task to run and the handle that will receive its output.
fn spawn<F>(future: F) -> (BoxFuture, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let shared = Arc::new(Mutex::new(Shared {
        output: None,
        waker: None,
    }));
    let handle = JoinHandle {
        shared: Arc::clone(&shared),
    };
    let task = async move {
        let output = future.await;
        // TODO: store `output` in `shared`, then wake the handle's waker if it left one.
        // (Take the waker out of the lock and wake it after unlocking if you can.)
        let _ = (output, shared);
    };
    (Box::pin(task), handle)
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        // TODO: if the output is there, take it and return Ready. Otherwise store (or replace)
        // the waker from `cx` and return Pending.
        todo!()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::pin::pin;
    use std::task::Wake;

    /// A waker that, when woken, looks whether the output is already stored, as the task it
    /// wakes would on its next poll. (If the lock is taken at that moment, it cannot look.)
    struct LooksWhenWoken {
        shared: Arc<Mutex<Shared<u64>>>,
        saw_output: Mutex<Vec<bool>>,
    }

    impl Wake for LooksWhenWoken {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            if let Ok(shared) = self.shared.try_lock() {
                let seen = shared.output.is_some();
                self.saw_output.lock().unwrap().push(seen);
            }
        }
    }

    #[test]
    fn output_lost_is_rejected() {
        let (task, handle) = spawn(async { String::from("forty-two") });
        block_on_checked(task);
        assert_eq!(block_on_checked(handle), "forty-two");
    }

    #[test]
    fn handle_waker_never_woken_is_rejected() {
        let waiter = CountingWaker::new();
        let (task, handle) = spawn(async { 7_u64 });
        let mut handle = pin!(handle);
        assert!(
            poll_once(handle.as_mut(), &waiter.waker()).is_pending(),
            "the task has not run yet"
        );
        assert_eq!(waiter.count(), 0);
        block_on_checked(task);
        assert_eq!(
            waiter.count(),
            1,
            "the task finished: whoever awaits the handle must be woken exactly once"
        );
        assert_eq!(poll_once(handle.as_mut(), &waiter.waker()), Poll::Ready(7));
    }

    #[test]
    fn waking_a_stale_handle_waker_is_rejected() {
        let (first, second) = (CountingWaker::new(), CountingWaker::new());
        let (task, handle) = spawn(async { 1 });
        let mut handle = pin!(handle);
        let _ = poll_once(handle.as_mut(), &first.waker());
        let _ = poll_once(handle.as_mut(), &second.waker());
        block_on_checked(task);
        assert_eq!(first.count(), 0, "the handle moved on from the first waker");
        assert_eq!(second.count(), 1, "wake the waker of the latest poll");
    }

    #[test]
    fn waking_before_the_output_is_stored_is_rejected() {
        let (task, handle) = spawn(async { 5_u64 });
        let looker = Arc::new(LooksWhenWoken {
            shared: Arc::clone(&handle.shared),
            saw_output: Mutex::new(Vec::new()),
        });
        let mut handle = pin!(handle);
        let waker = Waker::from(Arc::clone(&looker));
        assert!(poll_once(handle.as_mut(), &waker).is_pending());
        block_on_checked(task);
        let seen = looker.saw_output.lock().unwrap().clone();
        assert!(
            !seen.contains(&false),
            "the handle's waker was woken before the output was stored: the woken task \
             would poll, find nothing, and sleep with nobody left to wake it. Store first, \
             then wake"
        );
        assert_eq!(poll_once(handle.as_mut(), &waker), Poll::Ready(5));
    }
}
