// wrong answer: creates the guard inside a block that ends before `work.await`, so the lease is released before the work runs; caught by lease_not_held_during_the_work_is_rejected
// selectp4: give back what a task holds even when it is cancelled, with a drop guard
//
// A future can be dropped at any `.await`: by a `select!` whose other branch won, by
// `JoinHandle::abort`, or by the runtime shutting down, which drops every task that has not
// finished the next time it yields. Code written after an `.await` does not run then. What does
// run is `Drop`: every value the future owns is dropped with it.
//
// So the release goes in the `Drop` of a guard value, created when the lease is taken and kept
// alive (bound to a name, not to `_`) until the work is over:
//
//     take the lease  -> guard created          (in_use 1)
//     work.await      -> finishes, or the future is dropped here
//     end of scope    -> guard dropped: release (in_use 0), on both paths
//
// Write `Drop for Lease` and `with_lease` as described. Do not change the tests.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Counts the leases out of a pool.
#[derive(Debug, Default)]
struct Pool {
    in_use: AtomicI64,
}

/// One lease on the pool: taking it counts it as in use, and dropping it must give it back.
struct Lease {
    pool: Arc<Pool>,
}

impl Lease {
    fn take(pool: &Arc<Pool>) -> Lease {
        pool.in_use.fetch_add(1, Ordering::SeqCst);
        Lease { pool: pool.clone() }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.pool.in_use.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Takes a lease, runs `work` while holding it, and gives the lease back exactly once: when the
/// work finishes, and also when this future is dropped before it does.
async fn with_lease<T>(pool: &Arc<Pool>, work: impl Future<Output = T>) -> T {
    {
        let _lease = Lease::take(pool);
    }
    work.await
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::time::Duration;

    fn in_use(pool: &Pool) -> i64 {
        pool.in_use.load(Ordering::SeqCst)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("failed to build the test runtime")
    }

    #[test]
    fn lease_not_held_during_the_work_is_rejected() {
        let pool = Arc::new(Pool::default());
        let seen = runtime().block_on(with_lease(&pool, async {
            tokio::task::yield_now().await;
            in_use(&pool)
        }));
        assert_eq!(
            seen, 1,
            "the lease was not held while the work ran (a guard bound to `_` is dropped at once; \
             bind it to a name such as `_lease`)"
        );
        assert_eq!(
            in_use(&pool),
            0,
            "the lease must be given back after the work"
        );
    }

    #[test]
    fn lease_given_back_twice_is_rejected() {
        let pool = Arc::new(Pool::default());
        let out = runtime().block_on(with_lease(&pool, async { 7 }));
        assert_eq!(out, 7);
        assert_eq!(
            in_use(&pool),
            0,
            "after one lease and one finished work the pool must be back at 0 (released once: \
             by the guard's Drop, not also by hand)"
        );
    }

    #[test]
    fn lease_kept_when_select_drops_the_work_is_rejected() {
        let pool = Arc::new(Pool::default());
        runtime().block_on(async {
            tokio::select! {
                _ = with_lease(&pool, tokio::time::sleep(Duration::from_secs(60))) => {
                    panic!("the 60 s work cannot win against a 10 ms timer");
                }
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        });
        assert_eq!(
            in_use(&pool),
            0,
            "select! dropped the unfinished work: the lease must be given back by a Drop, since \
             code after the `.await` never runs"
        );
    }

    #[test]
    fn lease_kept_when_the_runtime_shuts_down_is_rejected() {
        let pool = Arc::new(Pool::default());
        let task_pool = pool.clone();
        let seen_before = finishes_within(
            Duration::from_secs(1),
            "the test did not finish within a second of real time: the spawned task never began its work",
            move || {
                let rt = runtime();
                let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let task_started = started.clone();
                let task = rt.spawn(async move {
                    let work = async move {
                        task_started.store(true, Ordering::SeqCst);
                        std::future::pending::<()>().await
                    };
                    with_lease(&task_pool, work).await;
                });
                // Let the detached task run until its work has begun and waits forever.
                let seen = rt.block_on(async {
                    while !started.load(Ordering::SeqCst) && !task.is_finished() {
                        tokio::task::yield_now().await;
                    }
                    in_use(&pool)
                });
                // Shutting down drops the task's future at the await where it waits.
                drop(rt);
                (seen, pool)
            },
        );
        let (seen, pool) = seen_before;
        assert_eq!(
            seen, 1,
            "the spawned task should hold one lease while its work waits, before the shutdown"
        );
        assert_eq!(
            in_use(&pool),
            0,
            "dropping the runtime dropped the unfinished task: its lease must be given back by \
             the guard's Drop"
        );
    }
}
