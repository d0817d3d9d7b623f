// cancel2: keep the half-read frame outside the loop
//
// In cancel1 every round started with a fresh buffer and a fresh `read_exact`, so the heartbeat
// dropped the bytes of a half-read frame. The fix: the partly filled frame and how much of it is
// filled live *outside* the loop, and each round only races a single `read`. `read` is
// cancellation-safe: if it is dropped before it completes, it has taken no bytes; if it
// completes, its bytes are in our buffer before anything else can happen.
//
//     let mut frame, filled = 0        <- survives every round
//     loop { select! { n = read(&mut frame[filled..]) => filled += n, ..., heartbeat => ... } }
//
// Rewrite `read_with_heartbeat` this way. When `read` returns 0 the stream has ended: return the
// report (a partial frame at the end is dropped). Do not change the tests.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

const FRAME: usize = 4;
const HEARTBEAT: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
struct Report {
    frames: Vec<[u8; FRAME]>,
    heartbeats: u32,
}

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
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::io::{AsyncWriteExt, ReadBuf};

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

    /// Passes reads through, and fails the test if the reader keeps reading an ended stream.
    struct EndWatch<R> {
        inner: R,
        reads_after_end: u32,
    }

    impl<R: AsyncRead + Unpin> AsyncRead for EndWatch<R> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let before = buf.filled().len();
            let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
            if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() == before {
                self.reads_after_end += 1;
                assert!(
                    self.reads_after_end < 100,
                    "read returned 0 bytes (the stream ended) and the loop kept reading"
                );
            }
            poll
        }
    }

    /// Writes each chunk after its pause, then closes the stream; returns the report.
    async fn run(chunks: &[(Duration, &[u8])]) -> Report {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = EndWatch {
            inner: server,
            reads_after_end: 0,
        };
        let reader = tokio::spawn(async move { read_with_heartbeat(&mut server).await });
        for (pause, bytes) in chunks {
            tokio::time::sleep(*pause).await;
            let _ = client.write_all(bytes).await;
        }
        drop(client);
        tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .expect("read_with_heartbeat did not return after the stream ended")
            .unwrap()
    }

    const NOW: Duration = Duration::ZERO;
    const LONG: Duration = Duration::from_millis(150);

    #[test]
    fn read_exact_cancelled_by_the_heartbeat_is_rejected() {
        paused(|| async {
            let report = run(&[(NOW, &[1, 2]), (LONG, &[3, 4, 5, 6, 7, 8])]).await;
            assert_eq!(
                report.frames,
                vec![[1, 2, 3, 4], [5, 6, 7, 8]],
                "the heartbeat fired while a frame was half read; no byte may be lost"
            );
            assert_eq!(report.heartbeats, 1, "the 150 ms pause is one heartbeat");
        });
    }

    #[test]
    fn partial_frame_reset_each_round_is_rejected() {
        paused(|| async {
            // One byte at a time, each after a long pause: every frame spans several heartbeats.
            let bytes = [9u8, 8, 7, 6, 5, 4, 3, 2];
            let chunks: Vec<(Duration, &[u8])> = bytes
                .iter()
                .map(|b| (LONG, std::slice::from_ref(b)))
                .collect();
            let report = run(&chunks).await;
            assert_eq!(
                report.frames,
                vec![[9, 8, 7, 6], [5, 4, 3, 2]],
                "the partly filled frame and its fill count must survive every round of the loop"
            );
            assert_eq!(report.heartbeats, 8);
        });
    }

    #[test]
    fn end_of_stream_not_ending_the_loop_is_rejected() {
        paused(|| async {
            let report = run(&[(NOW, &[1, 1, 1, 1, 2, 2])]).await;
            assert_eq!(
                report.frames,
                vec![[1, 1, 1, 1]],
                "one whole frame, then two bytes and the end of the stream"
            );
        });
    }
}
