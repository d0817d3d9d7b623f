// wrong answer: waits for each task right after spawning it, so they run one by one; tasks_awaited_one_by_one_are_rejected fails.
// patterns3: fan-out and fan-in with a JoinSet
//
// Fan-out: start one task per input so the slow ones overlap. Fan-in: collect the results as
// they finish. A `JoinSet` does both: `spawn` adds a task, `join_next` waits for whichever task
// finishes next. Three things to get right:
//   - spawn everything first, then wait (awaiting inside the spawn loop runs them one by one);
//   - tasks finish in any order, but the caller wants result i for input i;
//   - a task that panics becomes an `Err(JoinError)` for that one input, not a crash of all.
//     `join_next_with_id` and `JoinError::id()` tell you which task it was.
//
// Write `fan_out`.

use std::collections::HashMap;
use std::future::Future;

use tokio::task::JoinSet;

/// Runs `work(input)` for every input at once. Result i belongs to input i: `Ok(output)`, or
/// `Err(message)` when that task panicked.
pub async fn fan_out<F, Fut>(inputs: Vec<u64>, work: F) -> Vec<Result<u64, String>>
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = u64> + Send + 'static,
{
    let mut set = JoinSet::new();
    let mut index_of = HashMap::new();
    let mut pending = Vec::new();
    for (index, input) in inputs.iter().copied().enumerate() {
        let task = work(input);
        // Each task carries its index back, and we remember it by task id for the panic case.
        let handle = set.spawn(async move { (index, task.await) });
        index_of.insert(handle.id(), index);
        pending.push(set.join_next_with_id().await);
    }
    let mut results: Vec<Option<Result<u64, String>>> = vec![None; inputs.len()];
    for joined in pending.into_iter().flatten() {
        match joined {
            Ok((_id, (index, output))) => results[index] = Some(Ok(output)),
            Err(error) => {
                let index = index_of[&error.id()];
                results[index] = Some(Err(format!(
                    "task for input {} failed: {error}",
                    inputs[index]
                )));
            }
        }
    }
    results
        .into_iter()
        .map(|result| result.expect("every task reports exactly once"))
        .collect()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::{Instant, sleep};

    async fn slow_double(ms: u64) -> u64 {
        sleep(Duration::from_millis(ms)).await;
        ms * 2
    }

    #[tokio::test(start_paused = true)]
    async fn tasks_awaited_one_by_one_are_rejected() {
        let start = Instant::now();
        let results = fan_out(vec![30, 10, 20], slow_double).await;
        assert_eq!(results.len(), 3);
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(30),
            "the three tasks must overlap (30 ms in all, not 10 + 20 + 30): spawn them all \
             before waiting for any"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn results_in_completion_order_are_rejected() {
        let results = fan_out(vec![30, 10, 20], slow_double).await;
        assert_eq!(
            results,
            [Ok(60), Ok(20), Ok(40)],
            "result i must belong to input i, whatever order the tasks finish in"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_panic_failing_the_whole_batch_is_rejected() {
        let results = fan_out(vec![5, 0, 15], |ms| async move {
            assert!(ms != 0, "this input is poison");
            slow_double(ms).await
        })
        .await;
        assert_eq!(results[0], Ok(10));
        assert!(
            results[1].is_err(),
            "the panicking task's input gets an Err"
        );
        assert_eq!(
            results[2],
            Ok(30),
            "the other tasks still deliver their results"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn empty_input_that_hangs_or_panics_is_rejected() {
        assert_eq!(fan_out(Vec::new(), slow_double).await, []);
    }
}
