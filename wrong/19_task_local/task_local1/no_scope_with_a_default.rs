// wrong answer: handle runs process without a scope and current_request falls back to 0 with try_with, so every line says req 0; one_request_logs_its_id.
// task_local1: a request id that survives .await
//
// `log_line` wants the current request's id without every function passing it down. A
// `thread_local!` looks like the answer, but on a runtime many tasks take turns on one thread:
// task A sets the id, awaits, task B runs on the same thread and overwrites it, and A logs with
// B's id. A task-local (`tokio::task_local!`) belongs to the task instead: `KEY.scope(value, fut)`
// makes `value` visible to `fut` — across every `.await`, on whatever thread polls it.
//
// Replace the thread-local with a task-local and make `handle` run `process` inside its scope.

tokio::task_local! {
    static REQUEST_ID: u64;
}

fn current_request() -> u64 {
    REQUEST_ID.try_with(|id| *id).unwrap_or(0)
}

fn log_line(msg: &str) -> String {
    format!("[req {}] {msg}", current_request())
}

async fn process(steps: u32) -> Vec<String> {
    let mut lines = Vec::new();
    for step in 0..steps {
        lines.push(log_line(&format!("step {step}")));
        tokio::task::yield_now().await;
    }
    lines
}

async fn handle(id: u64, steps: u32) -> Vec<String> {
    // The scope wraps the whole future, so the id is set again at every poll of `process`.
    let _ = id;
    process(steps).await
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_all_from(lines: &[String], id: u64, steps: u32) {
        let expected: Vec<String> = (0..steps).map(|s| format!("[req {id}] step {s}")).collect();
        assert_eq!(
            lines, expected,
            "request {id} logged another request's id: the id must belong to the task, not the \
             thread"
        );
    }

    #[tokio::test]
    async fn one_request_logs_its_id() {
        let lines = handle(7, 3).await;
        assert_all_from(&lines, 7, 3);
    }

    #[tokio::test]
    async fn thread_local_overwritten_by_an_interleaved_task_is_rejected() {
        // Both requests run on this one thread and take turns at every yield.
        let (a, b) = tokio::join!(handle(1, 4), handle(2, 4));
        assert_all_from(&a, 1, 4);
        assert_all_from(&b, 2, 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn id_lost_when_the_task_moves_threads_is_rejected() {
        let tasks: Vec<_> = (10..18).map(|id| tokio::spawn(handle(id, 5))).collect();
        for (id, task) in (10..18).zip(tasks) {
            let lines = task.await.expect(
                "a request panicked: was REQUEST_ID read outside its scope (sync_scope ends \
                 before the future is awaited)?",
            );
            assert_all_from(&lines, id, 5);
        }
    }
}
