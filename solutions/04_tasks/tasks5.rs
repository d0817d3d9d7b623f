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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn losing_the_second_increment_is_rejected() {
        let counter = Arc::new(Mutex::new(0));
        for handle in spawn_bumps(&counter, 20) {
            handle.await.expect("a task panicked");
        }
        assert_eq!(
            *counter.try_lock().unwrap(),
            40,
            "20 tasks, two increments each"
        );
    }
}
