// wrong answer: multi_threaded switches on only the time driver, so its first socket panics with "IO is disabled"; runtime_without_the_io_driver_is_rejected.
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
    Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_time()
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

    // Both runtimes, built by the learner's functions, with a name for the failure messages.
    fn both_runtimes() -> [(&'static str, Runtime); 2] {
        [
            ("single_threaded()", single_threaded()),
            ("multi_threaded(2)", multi_threaded(2)),
        ]
    }

    // Runs `fut` on `rt` and turns a driver's panic into a message about drivers.
    fn block_on_with_drivers<F: Future>(which: &str, rt: &Runtime, fut: F) -> F::Output {
        match catch_unwind(AssertUnwindSafe(|| rt.block_on(fut))) {
            Ok(output) => output,
            Err(_) => panic!(
                "the runtime of {which} panicked while using a timer or a socket: it was built \
                 without that driver (see the Builder's enable_all)"
            ),
        }
    }

    #[test]
    fn runtime_without_the_time_driver_is_rejected() {
        for (which, rt) in both_runtimes() {
            let waited = block_on_with_drivers(which, &rt, async {
                let start = tokio::time::Instant::now();
                tokio::time::sleep(Duration::from_millis(2)).await;
                start.elapsed()
            });
            assert!(
                waited >= Duration::from_millis(2),
                "{which}: sleep(2ms) returned after {waited:?}"
            );
        }
    }

    #[test]
    fn runtime_without_the_io_driver_is_rejected() {
        for (which, rt) in both_runtimes() {
            let bound = block_on_with_drivers(which, &rt, async {
                tokio::net::TcpListener::bind("127.0.0.1:0").await.map(|_| ())
            });
            assert!(bound.is_ok(), "{which}: binding 127.0.0.1:0 failed: {bound:?}");
        }
    }

    #[test]
    fn multi_thread_flavor_for_the_single_threaded_runtime_is_rejected() {
        let rt = single_threaded();
        assert_eq!(
            rt.handle().runtime_flavor(),
            RuntimeFlavor::CurrentThread,
            "single_threaded() must use Builder::new_current_thread()"
        );
        let caller = thread::current().id();
        for id in threads_used_by_spawned_tasks(&rt) {
            assert_eq!(
                id, caller,
                "a current_thread runtime runs its tasks on the thread that calls block_on"
            );
        }
    }

    #[test]
    fn current_thread_flavor_for_the_multi_threaded_runtime_is_rejected() {
        let rt = multi_threaded(2);
        assert_eq!(
            rt.handle().runtime_flavor(),
            RuntimeFlavor::MultiThread,
            "multi_threaded() must use Builder::new_multi_thread()"
        );
        let caller = thread::current().id();
        for id in threads_used_by_spawned_tasks(&rt) {
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
            assert_eq!(
                rt.metrics().num_workers(),
                workers,
                "multi_threaded({workers}) must start exactly {workers} worker threads (worker_threads)"
            );
        }
    }
}
