// wrong answer: matches only `Ok(permit)`, so when the receiver is gone the reserve branch is disabled and the forwarder waits for the stop; caught by closed_receiver_not_noticed_is_rejected
// selectp3: take the channel's slot before taking the value, so a lost race loses nothing
//
// A forwarder moves jobs from its own queue into a bounded channel and stops when told to. When
// the channel is full it must wait for a slot, and a stop may come during that wait. If the job
// was already taken off the queue and handed to `out.send(job)` inside `select!`, the stop
// branch wins, the `send` future is dropped, and the job inside it is gone with it: `send` being
// cancelled guarantees only that nothing was sent.
//
// `Sender::reserve()` waits for the slot alone and gives back a `Permit` holding it. Only once
// the permit is in hand do you take the job off the queue and `permit.send(job)`, which cannot
// wait and cannot fail. If the stop wins first, the job never left the queue.
//
//     send(job) in select!:    pop 3 -> wait for a slot ... stop wins -> 3 dropped, lost
//     reserve() in select!:    wait for a slot ... stop wins -> 3 still in the queue
//
// Write `forward` as described. Do not change the tests.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;

use tokio::sync::mpsc;

#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Every job from the queue was sent.
    Empty,
    /// `stop` finished first; the jobs not sent are still in the queue.
    Stopped,
    /// The receiver is gone; the jobs not sent are still in the queue.
    ReceiverGone,
}

/// Sends the jobs in `queue` to `out`, front first, until the queue is empty, `stop` finishes,
/// or the receiver is gone. A job leaves the queue only when it is sent.
async fn forward(
    queue: &mut VecDeque<u32>,
    out: &mpsc::Sender<u32>,
    stop: impl Future<Output = ()>,
) -> End {
    let mut stop = pin!(stop);
    while !queue.is_empty() {
        tokio::select! {
            Ok(permit) = out.reserve() => {
                if let Some(job) = queue.pop_front() {
                    permit.send(job);
                }
            }
            () = &mut stop => return End::Stopped,
        }
    }
    End::Empty
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::time::Duration;

    const STUCK: &str = "a test did not finish within a second of real time: the forwarder is waiting on something that will never come (a closed receiver left to the stop branch?) or spinning";

    /// Runs `body` on a current_thread runtime with paused time, failing the test if it is still
    /// running after a second of real time.
    fn paused<Fut: std::future::Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(Duration::from_secs(1), STUCK, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        });
    }

    fn jobs(n: u32) -> VecDeque<u32> {
        (1..=n).collect()
    }

    /// The jobs that are neither received, nor in the channel, nor back in the queue.
    fn lost(
        n: u32,
        received: &[u32],
        rx: &mut mpsc::Receiver<u32>,
        queue: &VecDeque<u32>,
    ) -> Vec<u32> {
        let mut seen: Vec<u32> = received.to_vec();
        while let Ok(job) = rx.try_recv() {
            seen.push(job);
        }
        seen.extend(queue.iter().copied());
        (1..=n).filter(|job| !seen.contains(job)).collect()
    }

    #[test]
    fn jobs_sent_out_of_order_or_left_behind_are_rejected() {
        paused(|| async {
            let (tx, mut rx) = mpsc::channel(2);
            let reader = tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(job) = rx.recv().await {
                    got.push(job);
                }
                got
            });
            let mut queue = jobs(6);
            let end = forward(&mut queue, &tx, std::future::pending()).await;
            drop(tx);
            assert_eq!(end, End::Empty);
            assert_eq!(reader.await.unwrap(), vec![1, 2, 3, 4, 5, 6]);
            assert!(queue.is_empty());
        });
    }

    #[test]
    fn job_taken_before_the_slot_is_lost_on_stop_is_rejected() {
        paused(|| async {
            // Nobody reads: the channel fills with 1 and 2, then the forwarder waits for a slot
            // until the stop fires at 10 ms.
            let (tx, mut rx) = mpsc::channel(2);
            let mut queue = jobs(5);
            let end = forward(
                &mut queue,
                &tx,
                tokio::time::sleep(Duration::from_millis(10)),
            )
            .await;
            assert_eq!(end, End::Stopped);
            let lost = lost(5, &[], &mut rx, &queue);
            assert!(
                lost.is_empty(),
                "jobs {lost:?} were lost: the job left the queue before a slot was free, and the \
                 stop dropped it with the send (reserve the slot first, then pop the job)"
            );
            assert_eq!(queue, VecDeque::from([3, 4, 5]));
        });
    }

    #[test]
    fn jobs_lost_with_a_slow_reader_are_rejected() {
        paused(|| async {
            // The reader takes one job every 10 ms; the stop comes at 35 ms.
            let (tx, mut rx) = mpsc::channel(1);
            let (got_tx, got_rx) = tokio::sync::oneshot::channel();
            let mut queue = jobs(10);
            let reader = tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..3 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    if let Some(job) = rx.recv().await {
                        got.push(job);
                    }
                }
                let _ = got_tx.send(got);
                rx
            });
            let end = forward(
                &mut queue,
                &tx,
                tokio::time::sleep(Duration::from_millis(35)),
            )
            .await;
            assert_eq!(end, End::Stopped);
            let got = got_rx.await.unwrap();
            let mut rx = reader.await.unwrap();
            assert_eq!(got, vec![1, 2, 3]);
            let lost = lost(10, &got, &mut rx, &queue);
            assert!(
                lost.is_empty(),
                "jobs {lost:?} were lost between the queue and the channel when the stop came"
            );
        });
    }

    #[test]
    fn closed_receiver_not_noticed_is_rejected() {
        paused(|| async {
            let (tx, rx) = mpsc::channel(2);
            drop(rx);
            let mut queue = jobs(3);
            let end = forward(
                &mut queue,
                &tx,
                tokio::time::sleep(Duration::from_secs(3600)),
            )
            .await;
            assert_eq!(
                end,
                End::ReceiverGone,
                "the receiver was dropped: reserve() returns Err at once, and the forwarder must \
                 return ReceiverGone instead of waiting for the stop"
            );
            assert_eq!(
                queue,
                jobs(3),
                "no job was sent, so all three stay in the queue"
            );
        });
    }
}
