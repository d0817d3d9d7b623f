// wrong answer: unwraps the JoinError, so the caller sees a new panic instead of the job's own; panic_replaced_by_unwrapping_the_join_error_is_rejected fails.
// bridge1: move blocking work off the runtime with `spawn_blocking`
//
// A runtime thread runs one task at a time, and it only switches tasks at an `.await`. Code that
// computes for a long time (hashing, compression, parsing a big file) or blocks in a system call
// never reaches an `.await`, so every other task on that thread waits for it. On a
// `current_thread` runtime that is every task.
//
// `tokio::task::spawn_blocking(f)` runs `f` on a separate pool of threads meant for blocking and
// gives back a `JoinHandle` you can await. The caller's task waits without blocking the thread,
// and the other tasks keep running.
//
//     runtime thread:  task A .. task B .. (A awaits the handle) .. task B .. task A resumes
//     blocking pool:              [ job runs here ]
//
// Make `run_blocking` run `job` off the runtime. Do not change the tests.

/// Runs a CPU-heavy or blocking `job` without stalling other tasks, and returns its result.
/// If the job panics, the panic is passed on to the caller.
async fn run_blocking<F, T>(job: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(job).await.unwrap()
}

/// Some honest CPU work for the example: the number of primes below `n`.
fn count_primes(n: u64) -> usize {
    (2..n)
        .filter(|k| (2..).take_while(|d| d * d <= *k).all(|d| k % d != 0))
        .count()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[tokio::test]
    async fn result_of_the_job_returned() {
        assert_eq!(run_blocking(|| count_primes(1_000)).await, 168);
    }

    #[tokio::test]
    async fn running_the_job_on_the_runtime_thread_is_rejected() {
        // This test's runtime is `current_thread`: its only thread is the test's thread.
        let runtime_thread = std::thread::current().id();
        let job_thread = run_blocking(|| std::thread::current().id()).await;
        assert_ne!(
            job_thread, runtime_thread,
            "the job ran on the runtime's own thread (called inline, or inside tokio::spawn)"
        );
    }

    #[tokio::test]
    async fn other_tasks_stalled_while_the_job_runs_is_rejected() {
        let (tx, rx) = mpsc::channel();
        // An ordinary async task that needs the runtime thread to make progress.
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            let _ = tx.send("the other task ran");
        });
        // A job that blocks until that task has run (or gives up after half a second).
        let heard = run_blocking(move || rx.recv_timeout(Duration::from_millis(500))).await;
        assert!(
            heard.is_ok(),
            "while the blocking job ran, no other task could run: the runtime thread was blocked"
        );
    }

    #[tokio::test]
    async fn panic_replaced_by_unwrapping_the_join_error_is_rejected() {
        #[derive(Debug, PartialEq)]
        struct JobFailed(u32);
        let outcome = tokio::spawn(run_blocking(|| -> u32 {
            std::panic::panic_any(JobFailed(7))
        }))
        .await;
        let payload = outcome
            .expect_err("the job panicked, so run_blocking must panic too")
            .into_panic();
        assert_eq!(
            payload.downcast_ref::<JobFailed>(),
            Some(&JobFailed(7)),
            "the caller must get the job's own panic (resume_unwind(err.into_panic())), not a \
             new panic about a JoinError"
        );
    }

    #[tokio::test]
    #[should_panic(expected = "job failed")]
    async fn panic_in_the_job_reaches_the_caller() {
        let value: u32 = run_blocking(|| panic!("job failed")).await;
        println!("got {value}");
    }
}
