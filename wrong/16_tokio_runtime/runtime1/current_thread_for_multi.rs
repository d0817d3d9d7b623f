// wrong answer: multi_threaded builds a current_thread runtime, which ignores the worker count and runs tasks on the caller; current_thread_flavor_for_the_multi_threaded_runtime_is_rejected.
// runtime1: build a current_thread and a multi_thread runtime yourself
//
// `#[tokio::main]` is a macro that builds a runtime with `tokio::runtime::Builder` and calls
// `block_on` on your `main`. Here you call the builder yourself, once for each flavor:
//
// - `single_threaded()` returns a runtime that runs every task on the one thread that calls
//   `block_on` (the flavor `#[tokio::test]` uses);
// - `multi_threaded(workers)` returns a runtime with exactly `workers` worker threads that
//   share the spawned tasks between them.
//
// A `Builder` starts with every driver switched off: no timers, no sockets. A runtime built that
// way runs plain futures fine, but the first `tokio::time::sleep` panics with "A Tokio 1.x context
// was found, but timers are disabled", and the first socket with "... but IO is disabled".
// Switch on every driver on both runtimes (`enable_all`).

use tokio::runtime::{Builder, Runtime};

fn single_threaded() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("failed to build a current_thread runtime")
}

fn multi_threaded(workers: usize) -> Runtime {
    let _ = workers;
    Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("failed to build a multi_thread runtime")
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::thread::{self, ThreadId};
    use std::time::Duration;
    use tokio::runtime::RuntimeFlavor;

    // Each test reads what it needs from a runtime, drops the runtime, and only then asserts, so
    // a failing assertion never unwinds through the drop of a runtime with worker threads.

    // Spawns a few tasks that yield once and report the thread they finished on.
    fn threads_used_by_spawned_tasks(rt: &Runtime) -> Vec<ThreadId> {
        rt.block_on(async {
            let mut handles = Vec::new();
            for _ in 0..8 {
                handles.push(tokio::spawn(async {
                    tokio::task::yield_now().await;
                    thread::current().id()
                }));
            }
            let mut ids = Vec::new();
            for handle in handles {
                ids.push(handle.await.expect("a spawned task panicked"));
            }
            ids
        })
    }

    /// Builds one of the two runtimes.
    type Build = fn() -> Runtime;

    // Both runtimes, built by the learner's functions, with a name for the failure messages.
    fn both_runtimes() -> [(&'static str, Build); 2] {
        [
            ("single_threaded()", single_threaded),
            ("multi_threaded(2)", || multi_threaded(2)),
        ]
    }

    // Runs `fut` on `rt`; `None` if it panicked, which a runtime does when a driver is missing.
    fn block_on_with_drivers<F: Future>(rt: &Runtime, fut: F) -> Option<F::Output> {
        catch_unwind(AssertUnwindSafe(|| rt.block_on(fut))).ok()
    }

    #[test]
    fn runtime_without_the_time_driver_is_rejected() {
        for (which, build) in both_runtimes() {
            let rt = build();
            let waited = block_on_with_drivers(&rt, async {
                let start = tokio::time::Instant::now();
                tokio::time::sleep(Duration::from_millis(2)).await;
                start.elapsed()
            });
            drop(rt);
            let waited = waited.unwrap_or_else(|| {
                panic!(
                    "the runtime of {which} panicked at its first sleep: it was built without \
                     the time driver (see the Builder's enable_all)"
                )
            });
            assert!(
                waited >= Duration::from_millis(2),
                "{which}: sleep(2ms) returned after {waited:?}"
            );
        }
    }

    #[test]
    fn runtime_without_the_io_driver_is_rejected() {
        for (which, build) in both_runtimes() {
            let rt = build();
            let bound = block_on_with_drivers(&rt, async {
                tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .map(|_| ())
            });
            drop(rt);
            let bound = bound.unwrap_or_else(|| {
                panic!(
                    "the runtime of {which} panicked at its first socket: it was built without \
                     the I/O driver (see the Builder's enable_all)"
                )
            });
            assert!(
                bound.is_ok(),
                "{which}: binding 127.0.0.1:0 failed: {bound:?}"
            );
        }
    }

    #[test]
    fn multi_thread_flavor_for_the_single_threaded_runtime_is_rejected() {
        let rt = single_threaded();
        let flavor = rt.handle().runtime_flavor();
        let used = threads_used_by_spawned_tasks(&rt);
        drop(rt);
        assert_eq!(
            flavor,
            RuntimeFlavor::CurrentThread,
            "single_threaded() must use Builder::new_current_thread()"
        );
        let caller = thread::current().id();
        for id in used {
            assert_eq!(
                id, caller,
                "a current_thread runtime runs its tasks on the thread that calls block_on"
            );
        }
    }

    #[test]
    fn current_thread_flavor_for_the_multi_threaded_runtime_is_rejected() {
        let rt = multi_threaded(2);
        let flavor = rt.handle().runtime_flavor();
        let used = threads_used_by_spawned_tasks(&rt);
        drop(rt);
        assert_eq!(
            flavor,
            RuntimeFlavor::MultiThread,
            "multi_threaded() must use Builder::new_multi_thread()"
        );
        let caller = thread::current().id();
        for id in used {
            assert_ne!(
                id, caller,
                "tasks spawned on a multi_thread runtime run on its worker threads, not on the caller"
            );
        }
    }

    #[test]
    fn ignoring_the_worker_count_is_rejected() {
        for workers in [1, 3] {
            let rt = multi_threaded(workers);
            let started = rt.metrics().num_workers();
            drop(rt);
            assert_eq!(
                started, workers,
                "multi_threaded({workers}) must start exactly {workers} worker threads (worker_threads)"
            );
        }
    }
}
