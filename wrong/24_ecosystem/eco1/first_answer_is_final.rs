// wrong answer: the first query to finish decides, even when it failed, so a fast error hides a good answer; first_answer_taken_even_when_it_is_an_error_is_rejected.
// eco1: the first good answer from several replicas, with FuturesUnordered
//
// The same question goes to several replicas and the first *successful* answer wins; whatever is
// still running is then dropped, which cancels it. `futures::stream::FuturesUnordered` is a set
// of futures that is itself a `Stream`: `next().await` (from `futures::StreamExt`) gives the
// output of whichever future finishes next, and `None` once the set is empty. The futures in it
// are not tasks. They make progress only while someone polls the set, all on that one task.
//
// Write `first_ok`: put every query into a FuturesUnordered and take the outputs as they finish.
// Return the first `Ok`. A failed replica does not end the race: keep its error and go on
// waiting for the others. When every replica has failed, return all the errors, in the order
// the replicas failed.

use futures::stream::{FuturesUnordered, StreamExt};
use std::future::Future;

async fn first_ok<F>(queries: Vec<F>) -> Result<u32, Vec<String>>
where
    F: Future<Output = Result<u32, String>>,
{
    let mut racing: FuturesUnordered<F> = queries.into_iter().collect();
    let mut errors = Vec::new();
    match racing.next().await {
        Some(Ok(value)) => Ok(value),
        Some(Err(error)) => {
            errors.push(error);
            Err(errors)
        }
        None => Err(errors),
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::pin::Pin;
    use std::time::Duration;
    use tokio::time::Instant;

    const STUCK: &str = "a test did not finish within a second of real time: first_ok is spinning (a loop that polls without waiting), which also freezes tokio's paused clock";

    // Runs a test body on a current_thread runtime with paused time, failing the test if it is
    // still running after a second of real time: a spinning task also freezes the paused clock.
    fn paused<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(Duration::from_secs(1), STUCK, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        });
    }

    type Query = Pin<Box<dyn Future<Output = Result<u32, String>> + Send>>;

    /// A replica that answers `answer` after `ms` milliseconds.
    fn replica(ms: u64, answer: Result<u32, &str>) -> Query {
        let answer = answer.map_err(str::to_string);
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            answer
        })
    }

    /// A replica that never answers.
    fn silent() -> Query {
        Box::pin(std::future::pending())
    }

    #[test]
    fn first_answer_taken_even_when_it_is_an_error_is_rejected() {
        paused(|| async {
            let answer = first_ok(vec![replica(1, Err("down")), replica(5, Ok(7))]).await;
            assert_eq!(
                answer,
                Ok(7),
                "a replica that fails first does not end the race: keep waiting for a good answer"
            );
        });
    }

    #[test]
    fn asking_replicas_one_after_another_is_rejected() {
        paused(|| async {
            let start = Instant::now();
            let answer = first_ok(vec![replica(50, Ok(1)), replica(5, Ok(2))]).await;
            assert_eq!(
                (answer, start.elapsed()),
                (Ok(2), Duration::from_millis(5)),
                "the fast replica answers after 5 ms: every query must be in flight at once, and the first to finish wins"
            );
        });
    }

    #[test]
    fn waiting_for_every_replica_is_rejected() {
        paused(|| async {
            let race = first_ok(vec![replica(5, Ok(3)), silent()]);
            let answer = tokio::time::timeout(Duration::from_secs(60), race).await;
            assert_eq!(
                answer,
                Ok(Ok(3)),
                "one replica never answers: return the first Ok as soon as it arrives instead of waiting for all of them"
            );
        });
    }

    #[test]
    fn errors_lost_or_out_of_order_is_rejected() {
        paused(|| async {
            let answer = first_ok(vec![
                replica(30, Err("slow")),
                replica(10, Err("fast")),
                replica(20, Err("middle")),
            ])
            .await;
            assert_eq!(
                answer,
                Err(vec![
                    "fast".to_string(),
                    "middle".to_string(),
                    "slow".to_string()
                ]),
                "when every replica fails, return every error, in the order the replicas failed"
            );
        });
    }

    #[test]
    fn no_replicas_is_an_empty_error() {
        paused(|| async {
            assert_eq!(first_ok(Vec::<Query>::new()).await, Err(vec![]));
        });
    }
}
