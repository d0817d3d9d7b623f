// wrong answer: the I/O driver is switched on instead of the time driver, so the first sleep still panics; runtime_without_the_time_driver_is_rejected.
// runtime2: a runtime without the time driver
//
// A `Builder` starts with every driver switched off: no timers, no sockets. A runtime built
// that way runs plain futures fine, but the first `tokio::time::sleep` panics with
// "A Tokio 1.x context was found, but timers are disabled".
//
// `build_runtime` below has exactly that bug. Make `tokio::time` work on the runtime it returns,
// and keep it a current_thread runtime.

use tokio::runtime::{Builder, Runtime};

fn build_runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("failed to build the runtime")
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::time::Duration;
    use tokio::runtime::RuntimeFlavor;
    use tokio::time::Instant;

    // Runs `fut` on the learner's runtime and turns the timer panic into a message about drivers.
    fn block_on_built_runtime<F: Future>(fut: F) -> F::Output {
        let rt = build_runtime();
        match catch_unwind(AssertUnwindSafe(|| rt.block_on(fut))) {
            Ok(output) => output,
            Err(_) => panic!(
                "the runtime panicked while using tokio::time: it was built without the time \
                 driver (see the Builder's enable_time / enable_all)"
            ),
        }
    }

    #[test]
    fn runtime_without_the_time_driver_is_rejected() {
        let waited = block_on_built_runtime(async {
            let start = Instant::now();
            tokio::time::sleep(Duration::from_millis(5)).await;
            start.elapsed()
        });
        assert!(
            waited >= Duration::from_millis(5),
            "sleep(5ms) returned after {waited:?}"
        );
    }

    #[test]
    fn timeouts_need_the_time_driver_too() {
        let result = block_on_built_runtime(async {
            tokio::time::timeout(Duration::from_millis(2), std::future::pending::<()>()).await
        });
        assert!(
            result.is_err(),
            "a timeout around a future that never finishes must elapse"
        );
    }

    #[test]
    fn switching_to_a_multi_thread_runtime_is_rejected() {
        assert_eq!(
            build_runtime().handle().runtime_flavor(),
            RuntimeFlavor::CurrentThread,
            "keep Builder::new_current_thread(); the bug is the missing driver, not the flavor"
        );
    }
}
