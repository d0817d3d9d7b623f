// wrong answer: `Some(msg) = rx.recv()` only disables the branch on None, so the loop ticks forever; loop_ignoring_a_closed_channel_is_rejected catches it.
// select5: a select loop over a channel and an interval
//
// The everyday shape of async code: one task that waits on several things at once and reacts
// to whichever happens first.
//
//     loop {
//         tokio::select! {
//             msg = rx.recv() => ...,       // a message, or None: every sender is gone
//             _ = ticker.tick() => ...,     // the periodic timer fired
//         }
//     }
//
// `tokio::select!` is the `Select` of select1 grown up: it polls each branch, runs the arm of the
// first that is ready, and drops the others (the next turn of the loop makes fresh `recv()` and
// `tick()` futures, and both are cancel-safe, so nothing is lost). It starts at a random branch,
// as select3 did in turns.
//
// The loop must end when the channel closes. A branch pattern like `Some(msg) = rx.recv()` only
// *disables* that branch on `None` and keeps waiting on the ticker, forever.
//
// Write `collect`: record every message, count every tick, return once the channel is closed.

use tokio::sync::mpsc;
use tokio::time::Interval;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub messages: Vec<String>,
    pub ticks: u32,
}

pub async fn collect(mut rx: mpsc::Receiver<String>, mut ticker: Interval) -> Report {
    let mut report = Report::default();
    loop {
        tokio::select! {
            Some(msg) = rx.recv() => report.messages.push(msg),
            _ = ticker.tick() => report.ticks += 1,
        }
    }
    report
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::time::Duration;
    use tokio::time::{interval, sleep, timeout};

    const PERIOD: Duration = Duration::from_millis(10);

    /// Runs `test` on a runtime of its own thread, with a paused clock. A `collect` that never
    /// waits (a loop that keeps receiving `None` from a closed channel) never lets the paused
    /// clock move, so a `timeout` inside the test could never fire. Such a loop still hands
    /// control back now and then (tokio's budget makes `recv` return `Pending` after many
    /// ready polls), so the test counts those returns: the longest test here needs about a
    /// hundred, and a spinning loop makes hundreds at once.
    fn on_paused_clock<T, F>(test: impl FnOnce() -> F + Send + 'static) -> T
    where
        T: Send + 'static,
        F: Future<Output = T>,
    {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .unwrap();
            let mut test = std::pin::pin!(test());
            let mut polls = 0;
            let out = runtime.block_on(std::future::poll_fn(|cx| {
                polls += 1;
                if polls > 250 {
                    return std::task::Poll::Ready(None);
                }
                test.as_mut().poll(cx).map(Some)
            }));
            let _ = tx.send(out);
        });
        rx.recv_timeout(Duration::from_secs(1))
            .ok()
            .flatten()
            .expect(
                "collect never waits: it spins, so no time passes and it never ends. When \
                 recv() returns None the channel is closed for good; leave the loop",
            )
    }

    #[test]
    fn messages_and_ticks_until_close() {
        let report = on_paused_clock(|| async {
            let (tx, rx) = mpsc::channel(8);
            tokio::spawn(async move {
                tx.send("a".to_string()).await.unwrap();
                sleep(Duration::from_millis(25)).await;
                tx.send("b".to_string()).await.unwrap();
                // The sender is dropped at 47 ms, between two ticks.
                sleep(Duration::from_millis(22)).await;
            });
            timeout(Duration::from_secs(1), collect(rx, interval(PERIOD))).await
        })
        .expect("collect was still running 1 s (paused clock) after the channel closed");
        assert_eq!(
            report,
            Report {
                messages: vec!["a".into(), "b".into()],
                ticks: 5,
            },
            "ticks at 0, 10, 20, 30 and 40 ms, then the channel closed at 47 ms"
        );
    }

    #[test]
    fn loop_ignoring_a_closed_channel_is_rejected() {
        let report = on_paused_clock(|| async {
            let (tx, rx) = mpsc::channel::<String>(1);
            drop(tx);
            timeout(Duration::from_secs(1), collect(rx, interval(PERIOD))).await
        });
        assert!(
            report.is_ok(),
            "every sender was gone from the start, yet collect kept going (only ticking) for 1 s \
             of paused time: on None from recv(), leave the loop"
        );
    }

    #[test]
    fn messages_queued_before_close_are_kept() {
        let report = on_paused_clock(|| async {
            let (tx, rx) = mpsc::channel(8);
            for m in ["x", "y", "z"] {
                tx.send(m.to_string()).await.unwrap();
            }
            drop(tx);
            timeout(Duration::from_secs(1), collect(rx, interval(PERIOD))).await
        })
        .expect("collect did not return after the channel closed");
        assert_eq!(
            report.messages,
            ["x", "y", "z"],
            "queued messages come before None"
        );
        assert!(
            report.ticks <= 1,
            "only the immediate first tick can come before the close"
        );
    }
}
