// wrong answer: builds a current-thread runtime with timers but forgets `start_paused(true)`; clock_that_is_not_paused_is_rejected fails.
// testing3: a runtime that makes async tests deterministic
//
// `#[tokio::test(start_paused = true)]` is shorthand for a runtime you can build yourself:
// one thread (`current_thread`), so tasks run one at a time in a fixed order, with the time
// driver enabled and the clock paused, so timers fire in deadline order without real waiting.
// Build that runtime in `test_runtime`. The tests run scenarios on it and check that the
// outcome is the same every time.

use tokio::runtime::{Builder, Runtime};

pub fn test_runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("building a current-thread runtime does not fail")
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::runtime::RuntimeFlavor;
    use tokio::time::{Instant, sleep};

    /// Three tasks that each log a step, yield, and log a second step.
    fn interleaving(rt: &Runtime) -> Vec<String> {
        rt.block_on(async {
            let log = Arc::new(Mutex::new(Vec::new()));
            let mut handles = Vec::new();
            for name in ["a", "b", "c"] {
                let log = log.clone();
                handles.push(tokio::spawn(async move {
                    log.lock().unwrap().push(format!("{name}1"));
                    tokio::task::yield_now().await;
                    log.lock().unwrap().push(format!("{name}2"));
                }));
            }
            for handle in handles {
                handle.await.unwrap();
            }
            log.lock().unwrap().clone()
        })
    }

    #[test]
    fn multi_thread_runtime_is_rejected() {
        let rt = test_runtime();
        assert_eq!(
            rt.handle().runtime_flavor(),
            RuntimeFlavor::CurrentThread,
            "worker threads run tasks in parallel, so the order changes from run to run"
        );
        let first = interleaving(&rt);
        assert_eq!(
            first[..3],
            ["a1", "b1", "c1"],
            "on one thread, spawned tasks first run in the order they were spawned"
        );
        for _ in 0..20 {
            assert_eq!(
                interleaving(&rt),
                first,
                "the same scenario must give the same interleaving on every run"
            );
        }
    }

    #[test]
    fn clock_that_is_not_paused_is_rejected() {
        let rt = test_runtime();
        rt.block_on(async {
            let before = Instant::now();
            std::thread::sleep(Duration::from_millis(2));
            assert_eq!(
                Instant::now(),
                before,
                "tokio's clock moved while the thread slept: the runtime must start paused"
            );
            // Paused, an hour-long sleep completes as soon as nothing else can run.
            sleep(Duration::from_secs(3600)).await;
            assert_eq!(before.elapsed(), Duration::from_secs(3600));
        });
    }

    #[test]
    fn timers_disabled_is_rejected() {
        let rt = test_runtime();
        let (order, elapsed) = rt.block_on(async {
            let start = Instant::now();
            let order = Arc::new(Mutex::new(Vec::new()));
            let mut handles = Vec::new();
            for ms in [30, 10, 20] {
                let order = order.clone();
                handles.push(tokio::spawn(async move {
                    sleep(Duration::from_millis(ms)).await;
                    order.lock().unwrap().push(ms);
                }));
            }
            for handle in handles {
                handle
                    .await
                    .expect("a task panicked: is the time driver enabled?");
            }
            let order = order.lock().unwrap().clone();
            (order, start.elapsed())
        });
        assert_eq!(order, [10, 20, 30], "timers fire in deadline order");
        assert_eq!(
            elapsed,
            Duration::from_millis(30),
            "the sleeps overlap: 30 ms in all"
        );
    }
}
