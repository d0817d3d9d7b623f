// wrong answer: loops forever with `if let Some(..) = recv()`, so the stage never ends nor drops its sender; stage_that_never_ends_is_rejected fails.
// patterns2: a pipeline of stages joined by bounded channels
//
// A pipeline splits work into stages, each a task that reads items from the stage before and
// sends results to the stage after:
//
//     source ──[cap]──▶ stage A ──[cap]──▶ stage B ──[cap]──▶ consumer
//
// Bounded channels carry backpressure backwards: when the consumer is slow, B's `send` waits,
// so B stops reading, A's `send` waits, and finally the source waits. Nothing piles up. And the
// end of the stream flows forwards: when a stage's input returns None, the stage ends and drops
// its sender, so the next stage sees None too.
//
// Write `spawn_stage`: create the output channel with `capacity`, spawn a task that applies `f`
// to each input item in order and sends the result, and return the output's receiver.

use tokio::sync::mpsc;

pub fn spawn_stage<T, U, F>(
    mut input: mpsc::Receiver<T>,
    capacity: usize,
    f: F,
) -> mpsc::Receiver<U>
where
    T: Send + 'static,
    U: Send + 'static,
    F: Fn(T) -> U + Send + 'static,
{
    let (output, next) = mpsc::channel(capacity);
    tokio::spawn(async move {
        // One item at a time, in order; `send` waits while the next stage is behind.
        loop {
            if let Some(item) = input.recv().await
                && output.send(f(item)).await.is_err()
            {
                return; // the next stage is gone: nobody wants our results
            }
        }
        // The input ended. Returning drops `output`, which ends the next stage's input.
    });
    next
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::time::sleep;

    /// source -> (x + 1) -> (x * 10) -> (x as String)
    fn pipeline(source: mpsc::Receiver<u64>, capacity: usize) -> mpsc::Receiver<String> {
        let plus_one = spawn_stage(source, capacity, |x: u64| x + 1);
        let times_ten = spawn_stage(plus_one, capacity, |x: u64| x * 10);
        spawn_stage(times_ten, capacity, |x: u64| x.to_string())
    }

    #[tokio::test(start_paused = true)]
    async fn stage_that_drops_or_reorders_items_is_rejected() {
        let (tx, rx) = mpsc::channel(4);
        let mut out = pipeline(rx, 4);
        tokio::spawn(async move {
            for x in 0..20u64 {
                tx.send(x).await.unwrap();
            }
        });
        let mut got = Vec::new();
        for _ in 0..20 {
            got.push(out.recv().await.expect("the pipeline ended early"));
        }
        let want: Vec<String> = (0..20u64).map(|x| ((x + 1) * 10).to_string()).collect();
        assert_eq!(got, want, "every stage must keep the order of its input");
    }

    #[tokio::test(start_paused = true)]
    async fn stage_that_never_ends_is_rejected() {
        let (tx, rx) = mpsc::channel(4);
        let mut out = pipeline(rx, 4);
        tx.send(1).await.unwrap();
        drop(tx); // end of the stream
        assert_eq!(out.recv().await.as_deref(), Some("20"));
        // A bounded number of turns for the end to travel through three stages.
        let mut end = None;
        for _ in 0..100 {
            match out.try_recv() {
                Err(mpsc::error::TryRecvError::Empty) => tokio::task::yield_now().await,
                other => {
                    end = Some(other);
                    break;
                }
            }
        }
        assert_eq!(
            end,
            Some(Err(mpsc::error::TryRecvError::Disconnected)),
            "the end of the input must reach the consumer: a stage stops when its input \
             returns None, and drops its sender"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stage_that_runs_ahead_of_a_slow_consumer_is_rejected() {
        let (tx, rx) = mpsc::channel(1);
        let mut out = pipeline(rx, 1);
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = sent.clone();
        tokio::spawn(async move {
            for x in 0..1000u64 {
                if tx.send(x).await.is_err() {
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        // The consumer takes nothing for a (paused) second: everything else settles.
        sleep(Duration::from_secs(1)).await;
        let sent_so_far = sent.load(Ordering::SeqCst);
        // Four channels of one slot, plus one item in hand in each of the three stages.
        assert!(
            sent_so_far <= 7,
            "the source sent {sent_so_far} items while the consumer took none: each stage \
             must wait on a bounded `send` before reading its next item"
        );
        assert_eq!(out.recv().await.as_deref(), Some("10"));
    }
}
