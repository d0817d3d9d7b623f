// wrong answer: spawn_loggers calls the free function tokio::task::spawn_local, which panics when no LocalSet is running; work_done_before_the_set_runs_is_rejected.
// runtime4: run tasks that are not Send on a LocalSet
//
// `tokio::spawn` may hand a task to another worker thread, so it accepts only `Send` futures.
// A task that holds an `Rc<RefCell<_>>` is not `Send`, and the compiler says so
// ("cannot be sent between threads safely"). A `tokio::task::LocalSet` is a group of tasks that
// all stay on the thread that drives the set, so its tasks may hold an `Rc`.
//
// `spawn_loggers` does not compile. Make it compile without replacing the `Rc<RefCell<_>>`:
// queue every task on `local`. The tasks must not run yet; they run when the caller drives the
// set (`local.run_until(..)` or `local.await`).

use std::cell::RefCell;
use std::rc::Rc;
use tokio::task::{JoinHandle, LocalSet};

fn spawn_loggers(
    local: &LocalSet,
    log: Rc<RefCell<Vec<u32>>>,
    ids: Vec<u32>,
) -> Vec<JoinHandle<()>> {
    ids.into_iter()
        .map(|id| {
            let log = Rc::clone(&log);
            let _ = local;
            tokio::task::spawn_local(async move {
                tokio::task::yield_now().await;
                log.borrow_mut().push(id);
            })
        })
        .collect()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(log: &Rc<RefCell<Vec<u32>>>) -> Vec<u32> {
        let mut ids = log.borrow().clone();
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn work_done_before_the_set_runs_is_rejected() {
        let local = LocalSet::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let handles = spawn_loggers(&local, Rc::clone(&log), vec![3, 1, 2]);
        assert_eq!(handles.len(), 3, "one task per id");
        assert!(
            log.borrow().is_empty(),
            "the tasks must be queued on the LocalSet, not run inside spawn_loggers"
        );
        local
            .run_until(async {
                for handle in handles {
                    handle.await.expect("a local task panicked");
                }
            })
            .await;
        assert_eq!(sorted(&log), vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn spawn_local_outside_the_set_is_rejected() {
        // No LocalSet is running here: the free function `tokio::task::spawn_local` would panic.
        // The tasks must go to the set passed in, and run when it is awaited.
        let local = LocalSet::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        drop(spawn_loggers(&local, Rc::clone(&log), vec![10, 20]));
        local.await;
        assert_eq!(
            sorted(&log),
            vec![10, 20],
            "awaiting the LocalSet runs every task queued on it"
        );
    }
}
