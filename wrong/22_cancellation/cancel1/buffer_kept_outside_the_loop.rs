// wrong answer: the frame buffer and a fill count live outside the loop and each round races a single read (cancel2's fix), so nothing is lost and the test asserting the loss fails; read_exact_cancelled_mid_frame_loses_bytes.
// cancel1: watch `read_exact` lose bytes inside `select!`
//
// `select!` finishes as soon as one branch is ready and drops the others. Dropping a future is
// how async Rust cancels it, and it is only harmless if the future kept nothing you need. A
// `read_exact` that was dropped halfway had already moved some bytes out of the stream into its
// buffer: they are gone, and the stream continues in the middle of a frame.
//
// In this exercise you write the natural loop that has this bug, and the tests show the loss.
// cancel2 fixes this loop; cancel3 and cancel4 show two more ways to stay safe.
//
//     bytes:  1 2 | 100 ms pass | 3 4 5 6 7 8 (end)
//     round 1: read_exact takes 1 2 ... heartbeat fires, read_exact dropped: 1 2 gone
//     round 2: read_exact reads 3 4 5 6  -> a "frame" that was never sent
//     round 3: read_exact reads 7 8, then the end of the stream -> error, stop
//
// Write `read_with_heartbeat` as described. Do not change the tests.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

const FRAME: usize = 4;
const HEARTBEAT: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
struct Report {
    frames: Vec<[u8; FRAME]>,
    heartbeats: u32,
}

/// Reads 4-byte frames until reading fails (the end of the stream is an error for
/// `read_exact`). Each round races a fresh `read_exact` of one frame against
/// `tokio::time::sleep(HEARTBEAT)`: a complete frame is recorded; a heartbeat that fires first is
/// counted and the loop goes round again.
async fn read_with_heartbeat<R: AsyncRead + Unpin>(reader: &mut R) -> Report {
    let mut report = Report::default();
    let mut frame = [0u8; FRAME];
    let mut filled = 0;
    loop {
        tokio::select! {
            read = reader.read(&mut frame[filled..]) => match read {
                Ok(0) | Err(_) => return report,
                Ok(n) => {
                    filled += n;
                    if filled == FRAME {
                        report.frames.push(frame);
                        filled = 0;
                    }
                }
            },
            _ = tokio::time::sleep(HEARTBEAT) => report.heartbeats += 1,
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    const STUCK: &str = "a test did not finish within a second of real time: the reader is spinning (a loop that goes round again after the end of the stream, or a finished sleep polled again), which also freezes tokio's paused clock";

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

    /// Sends `first`, lets `pause` pass, sends `rest`, closes the stream; returns the report.
    async fn run(first: &[u8], pause: Duration, rest: &[u8]) -> Report {
        let (mut client, mut server) = tokio::io::duplex(64);
        let reader = tokio::spawn(async move { read_with_heartbeat(&mut server).await });
        let _ = client.write_all(first).await;
        tokio::time::sleep(pause).await;
        let _ = client.write_all(rest).await;
        drop(client);
        tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .expect("read_with_heartbeat did not return after the stream ended")
            .unwrap()
    }

    #[test]
    fn heartbeat_or_loss_without_a_pause_is_rejected() {
        paused(|| async {
            let report = run(&[1, 2, 3, 4], Duration::from_millis(10), &[5, 6, 7, 8]).await;
            assert_eq!(report.frames, vec![[1, 2, 3, 4], [5, 6, 7, 8]]);
            assert_eq!(
                report.heartbeats, 0,
                "no pause reached 100 ms, so no heartbeat"
            );
        });
    }

    #[test]
    fn loop_without_the_heartbeat_race_is_rejected() {
        paused(|| async {
            let report = run(&[1, 2], Duration::from_millis(150), &[3, 4, 5, 6, 7, 8]).await;
            assert_eq!(
                report.heartbeats, 1,
                "the stream was silent for 150 ms: one heartbeat must fire (is the read raced \
                 against sleep(HEARTBEAT) in a select!?)"
            );
        });
    }

    #[test]
    fn read_exact_cancelled_mid_frame_loses_bytes() {
        paused(|| async {
            let report = run(&[1, 2], Duration::from_millis(150), &[3, 4, 5, 6, 7, 8]).await;
            // This is the bug, asserted: the heartbeat dropped a read_exact holding bytes 1 and 2,
            // the next read started mid-frame, and 7 8 were left over when the stream ended.
            assert_eq!(
                report.frames,
                vec![[3, 4, 5, 6]],
                "expected the cancelled read_exact to lose bytes 1 and 2 (a fresh buffer and a \
                 fresh read_exact in each round)"
            );
        });
    }
}
