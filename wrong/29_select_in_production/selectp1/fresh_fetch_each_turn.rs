// wrong answer: calls start() inside select!, so every ping drops the fetch and starts a new one; caught by restarting_the_fetch_each_turn_is_rejected
// selectp1: keep one pinned future alive across the turns of a `select!` loop
//
// A long fetch runs while status pings keep arriving. Each ping must be answered at once, and the
// fetch must go on where it was. Writing `start()` inside `select!` builds a NEW fetch on every
// turn of the loop: when a ping wins, the old fetch is dropped with all its progress and the next
// turn starts from zero. Create the fetch once, pin it (`std::pin::pin!`), and give `select!` a
// `&mut` to it: the same future is polled turn after turn until it finishes.
//
//     turn 1: fetch (started once) ... ping  -> answer, fetch keeps its progress
//     turn 2: same fetch           ... ping  -> answer
//     turn 3: same fetch finishes            -> return
//
// Write `fetch_while_answering` as described. Do not change the tests.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

/// Calls `start` ONCE to begin the fetch, and until the fetch finishes answers every ping that
/// arrives: each ping is a oneshot sender, answered with the number of pings answered so far
/// (1 for the first). Returns the fetch's output and the number of pings answered. When the ping
/// channel closes, only the fetch is left to wait for.
async fn fetch_while_answering<F, Fut>(
    mut start: F,
    mut pings: mpsc::Receiver<oneshot::Sender<u32>>,
) -> (u32, u32)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = u32>,
{
    let mut answered = 0;
    loop {
        tokio::select! {
            out = start() => return (out, answered),
            Some(reply) = pings.recv() => {
                answered += 1;
                let _ = reply.send(answered);
            }
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;
    use tokio::time::Instant;

    const STUCK: &str = "a test did not finish within a second of real time: the loop is spinning (is a closed ping channel, where recv() returns None at once, handled as if it were a ping?), which also freezes tokio's paused clock";

    const FETCH: Duration = Duration::from_millis(100);

    struct Outcome {
        output: u32,
        answered: u32,
        starts: u32,
        finished_after: Duration,
        replies: Vec<(Duration, u32)>,
    }

    /// Runs `fetch_while_answering` with a fetch of 100 ms that returns 7, sends a ping every
    /// `every`, `pings` times, then closes the ping channel.
    fn run(pings: u32, every: Duration) -> Outcome {
        finishes_within(Duration::from_secs(1), STUCK, move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime")
                .block_on(async move {
                    let begin = Instant::now();
                    let starts = Arc::new(AtomicU32::new(0));
                    let counter = starts.clone();
                    let start = move || {
                        counter.fetch_add(1, Ordering::SeqCst);
                        async {
                            tokio::time::sleep(FETCH).await;
                            7
                        }
                    };
                    let (tx, rx) = mpsc::channel(1);
                    let worker = tokio::spawn(async move {
                        let result = fetch_while_answering(start, rx).await;
                        (result, begin.elapsed())
                    });
                    let mut replies = Vec::new();
                    for _ in 0..pings {
                        tokio::time::sleep(every).await;
                        let (reply, answer) = oneshot::channel();
                        if tx.send(reply).await.is_err() {
                            break;
                        }
                        let Ok(n) = answer.await else { break };
                        replies.push((begin.elapsed(), n));
                    }
                    drop(tx);
                    let ((output, answered), finished_after) =
                        worker.await.expect("fetch_while_answering panicked");
                    Outcome {
                        output,
                        answered,
                        starts: starts.load(Ordering::SeqCst),
                        finished_after,
                        replies,
                    }
                })
        })
    }

    #[test]
    fn restarting_the_fetch_each_turn_is_rejected() {
        let out = run(3, Duration::from_millis(30));
        assert_eq!(
            out.starts, 1,
            "the fetch was started {} times: a fresh `start()` inside select! is dropped whenever \
             a ping wins and begun again on the next turn; start it once and select on `&mut fetch`",
            out.starts
        );
        assert_eq!(
            out.finished_after, FETCH,
            "a 100 ms fetch must finish at 100 ms even with pings answered in between"
        );
        assert_eq!(out.output, 7);
    }

    #[test]
    fn answering_pings_only_after_the_fetch_is_rejected() {
        let out = run(3, Duration::from_millis(30));
        let expected = vec![
            (Duration::from_millis(30), 1),
            (Duration::from_millis(60), 2),
            (Duration::from_millis(90), 3),
        ];
        assert_eq!(
            out.replies, expected,
            "each ping must be answered the moment it arrives, while the fetch is still running \
             (race the fetch and `pings.recv()` in one select!)"
        );
        assert_eq!(out.answered, 3);
    }

    #[test]
    fn closed_ping_channel_handled_as_a_ping_is_rejected() {
        // One ping at 10 ms, then the channel closes long before the fetch is done.
        let out = run(1, Duration::from_millis(10));
        assert_eq!(
            out.answered, 1,
            "one ping was sent; a closed channel (recv() returning None) is not a ping"
        );
        assert_eq!(out.output, 7);
        assert_eq!(out.finished_after, FETCH);
        assert_eq!(out.starts, 1);
    }
}
