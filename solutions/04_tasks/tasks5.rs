// tasks5: a task that moves between threads must be Send
//
// A multi-threaded runtime may poll a task on one thread, suspend it at an `.await`, and resume
// it on another. Everything the task holds across an `.await` travels with it, so
// `tokio::spawn` requires the future to be `Send`. A `std::sync::MutexGuard` is not `Send`: a
// mutex must be unlocked by the thread that locked it. Hold one across an `.await` and the
// compiler says "future cannot be sent between threads safely".
//
// That error is also good advice. A task suspended while holding a lock keeps every other
// task that wants the lock waiting for as long as it sleeps.
//
// Fix `bump_twice`: lock, add one, and release the lock *before* the `.await`; lock again
// afterwards for the second increment. (Swapping in an async mutex and keeping the guard
// across the await would compile, and the tests reject it: the lock must be free while the
// task is suspended.)

use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// Adds one to the counter, lets other tasks run, then adds one more.
async fn bump_twice(counter: Arc<Mutex<u64>>) {
    {
        let mut count = counter.lock().unwrap();
        *count += 1;
    }
    tokio::task::yield_now().await;
    *counter.lock().unwrap() += 1;
}

fn spawn_bumps(counter: &Arc<Mutex<u64>>, tasks: usize) -> Vec<JoinHandle<()>> {
    (0..tasks)
        .map(|_| tokio::spawn(bump_twice(Arc::clone(counter))))
        .collect()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn holding_the_lock_while_suspended_is_rejected() {
        let counter = Arc::new(Mutex::new(0));
        let waker = CountingWaker::new();
        let mut task = pin!(bump_twice(Arc::clone(&counter)));
        assert!(
            poll_once(task.as_mut(), &waker.waker()).is_pending(),
            "bump_twice must still yield between its two increments"
        );
        match counter.try_lock() {
            Ok(count) => assert_eq!(*count, 1, "the first increment happens before the await"),
            Err(_) => panic!("the task is suspended at its await but still holds the lock"),
        }
        assert!(poll_once(task.as_mut(), &waker.waker()).is_ready());
        assert_eq!(*counter.try_lock().unwrap(), 2);
    }

    #[test]
    fn writing_back_a_value_read_before_the_await_is_rejected() {
        let counter = Arc::new(Mutex::new(0));
        let waker = CountingWaker::new();
        let mut first = pin!(bump_twice(Arc::clone(&counter)));
        let mut second = pin!(bump_twice(Arc::clone(&counter)));
        // Both tasks suspended at their await at once, then resumed in turn.
        assert!(poll_once(first.as_mut(), &waker.waker()).is_pending());
        assert!(poll_once(second.as_mut(), &waker.waker()).is_pending());
        assert!(poll_once(first.as_mut(), &waker.waker()).is_ready());
        assert!(poll_once(second.as_mut(), &waker.waker()).is_ready());
        assert_eq!(
            *counter.try_lock().unwrap(),
            4,
            "two tasks, two increments each: after the await, lock again and add one to the \
             value the counter has now, not to a value read before the await"
        );
    }

    #[test]
    fn losing_the_second_increment_is_rejected() {
        let counter = Arc::new(Mutex::new(0));
        let (done_tx, done_rx) = mpsc::channel();
        let shared = Arc::clone(&counter);
        // Its own thread, so that tasks stuck on the lock fail the test instead of hanging it.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap();
            runtime.block_on(async {
                for handle in spawn_bumps(&shared, 20) {
                    handle.await.expect("a task panicked");
                }
            });
            let _ = done_tx.send(());
        });
        match done_rx.recv_timeout(Duration::from_millis(500)) {
            Ok(()) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("20 tasks did not finish: is a lock held across the await?")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("a task panicked (see above)"),
        }
        assert_eq!(
            *counter.try_lock().unwrap(),
            40,
            "20 tasks, two increments each"
        );
    }
}
