// task_local2: spawned tasks do not inherit task-locals
//
// A task-local lives in the task that entered its scope. `tokio::spawn` starts a new task with
// no task-locals at all, so a child that calls `REQUEST_ID.get()` panics ("cannot access a
// task-local storage value without setting it first"). Nothing is inherited; a parent that wants
// its children to see the id must hand it over: read it, and wrap the child's future in a new
// scope before spawning it.
//
// `fetch_all` runs inside a REQUEST_ID scope (see `serve`) and fetches every part in its own task:
// the parts must be fetched at the same time, each fetch waits at the barrier until all have
// started. Make the children log the parent's request id. Keep one task per part.

use std::sync::Arc;
use tokio::sync::Barrier;

tokio::task_local! {
    static REQUEST_ID: u64;
}

fn log_line(msg: &str) -> String {
    format!("[req {}] {msg}", REQUEST_ID.get())
}

async fn fetch(part: &'static str, all_started: Arc<Barrier>) -> String {
    all_started.wait().await;
    log_line(&format!("fetched {part}"))
}

async fn serve(id: u64, parts: Vec<&'static str>) -> Vec<String> {
    REQUEST_ID.scope(id, fetch_all(parts)).await
}

async fn fetch_all(parts: Vec<&'static str>) -> Vec<String> {
    let all_started = Arc::new(Barrier::new(parts.len()));
    let id = REQUEST_ID.get();
    let mut children = Vec::new();
    for part in parts {
        let child = REQUEST_ID.scope(id, fetch(part, Arc::clone(&all_started)));
        children.push(tokio::spawn(child));
    }
    let mut lines = Vec::new();
    for child in children {
        lines.push(child.await.expect("a fetch task panicked"));
    }
    lines
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const STUCK: &str = "a test did not finish within a second of real time: some task is spinning (a loop that never waits), which also freezes tokio's paused clock";

    // Runs a test body on a current_thread runtime with paused time, in a thread of its own, and
    // fails the test if the body has not finished after one second of real time. The paused
    // clock only moves while every task waits, so a task that never stops running freezes it
    // and no `timeout` inside the body could fire: this real-time limit catches that case.
    fn paused<Fut: std::future::Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        let (finished, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime");
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(body())));
            let _ = finished.send(result);
        });
        match outcome.recv_timeout(std::time::Duration::from_secs(1)) {
            Ok(Ok(())) => {}
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => {
                // The stuck thread cannot be stopped and would starve the other tests: end the
                // whole test run now, with the reason written straight to stderr (not captured).
                let test = std::thread::current()
                    .name()
                    .unwrap_or("a test")
                    .to_string();
                let mut stderr = std::io::stderr();
                let _ = std::io::Write::write_all(
                    &mut stderr,
                    format!(
                        "
test {test} FAILED: {STUCK}
"
                    )
                    .as_bytes(),
                );
                std::process::exit(101);
            }
        }
    }

    // Time is paused: fetches that wait at the barrier forever fail at once instead of hanging.
    async fn serve_or_fail(id: u64, parts: Vec<&'static str>) -> Vec<String> {
        tokio::time::timeout(Duration::from_secs(1), serve(id, parts))
            .await
            .expect(
                "the fetches never all started: spawn one task per part, do not await them in turn",
            )
    }

    #[test]
    fn child_spawned_without_the_id_is_rejected() {
        paused(|| async {
            let lines = serve_or_fail(5, vec!["header", "body"]).await;
            assert_eq!(
                lines,
                vec!["[req 5] fetched header", "[req 5] fetched body"]
            );
        });
    }

    #[test]
    fn fetching_parts_one_after_another_is_rejected() {
        paused(|| async {
            let lines = serve_or_fail(6, vec!["a", "b", "c"]).await;
            assert_eq!(lines.len(), 3);
        });
    }

    #[test]
    fn children_given_a_fixed_or_mixed_id_are_rejected() {
        paused(|| async {
            let (first, second) = tokio::join!(
                serve_or_fail(41, vec!["x", "y"]),
                serve_or_fail(42, vec!["x", "y"])
            );
            assert_eq!(first, vec!["[req 41] fetched x", "[req 41] fetched y"]);
            assert_eq!(second, vec!["[req 42] fetched x", "[req 42] fetched y"]);
        });
    }
}
