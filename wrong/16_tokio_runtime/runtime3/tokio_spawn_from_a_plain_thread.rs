// wrong answer: run_on calls tokio::spawn, which panics on a thread outside any runtime context; tokio_spawn_outside_the_runtime_is_rejected.
// runtime3: reach a runtime from a plain thread through its Handle
//
// Code that runs outside the runtime (a `std::thread`, a callback from a C library, a GUI event
// loop) cannot call `tokio::spawn`: that function looks for a runtime in the current thread's
// context, finds none, and panics. A `tokio::runtime::Handle` is a cheap, cloneable reference to
// one runtime, and it works from any thread.
//
// Write `run_on`. It is called from a plain thread. It must run `fut` as a task on the worker
// threads of the runtime behind `handle`, and block the calling thread until the task's output is
// ready. Do not build a runtime of your own.

use std::future::Future;
use tokio::runtime::Handle;

fn run_on<F>(handle: &Handle, fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = tokio::spawn(fut);
    handle.block_on(task).expect("the task panicked")
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;
    use std::time::Duration;
    use tokio::runtime::{Builder, Runtime};

    const WORKER_NAME: &str = "asyncling-worker";

    fn runtime() -> Runtime {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(WORKER_NAME)
            .enable_all()
            .build()
            .expect("failed to build the test runtime")
    }

    // Calls `f` on a fresh plain thread named "plain-caller", outside any runtime context.
    fn from_plain_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let joined = thread::Builder::new()
            .name("plain-caller".into())
            .spawn(f)
            .expect("failed to start a thread")
            .join();
        match joined {
            Ok(value) => value,
            Err(payload) => panic!(
                "run_on panicked on a plain thread ({}). If the message mentions a runtime \
                 context: tokio::spawn needs one there; spawn through the Handle instead",
                panic_message(&*payload)
            ),
        }
    }

    fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
        if let Some(text) = payload.downcast_ref::<&str>() {
            text
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text
        } else {
            "no message"
        }
    }

    #[test]
    fn tokio_spawn_outside_the_runtime_is_rejected() {
        let rt = runtime();
        let handle = rt.handle().clone();
        let answer = from_plain_thread(move || run_on(&handle, async { 6 * 7 }));
        assert_eq!(answer, 42);
    }

    #[test]
    fn future_run_on_the_calling_thread_is_rejected() {
        let rt = runtime();
        let handle = rt.handle().clone();
        let ran_on = from_plain_thread(move || {
            run_on(&handle, async {
                tokio::task::yield_now().await;
                thread::current().name().map(String::from)
            })
        });
        assert_eq!(
            ran_on.as_deref(),
            Some(WORKER_NAME),
            "the future must run as a task on the given runtime's workers, not on the calling \
             thread and not on a runtime of your own"
        );
    }

    #[test]
    fn returning_before_the_task_finishes_is_rejected() {
        let rt = runtime();
        let mut callers = Vec::new();
        for i in 0..4u64 {
            let handle = rt.handle().clone();
            callers.push(thread::spawn(move || {
                run_on(&handle, async move {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    i * 10
                })
            }));
        }
        let mut results: Vec<u64> = callers
            .into_iter()
            .map(|caller| caller.join().expect("run_on panicked on a plain thread"))
            .collect();
        results.sort();
        assert_eq!(results, vec![0, 10, 20, 30]);
    }
}
