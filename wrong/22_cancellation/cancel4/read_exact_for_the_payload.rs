// wrong answer: after the length byte, the payload is read with read_exact into a local buffer, which a cancelled next_frame loses; bytes_lost_when_cancelled_mid_frame_is_rejected.
// cancel4: a cancellation-safe framed reader
//
// A reader you can use as a branch of `select!` must be *cancellation-safe*: if its future is
// dropped before it completes, the next call carries on as if nothing happened. The rule that
// gets you there: every byte taken from the stream goes into a buffer that belongs to the
// struct, not to the future, and the only await is a single `read` (which is itself
// cancellation-safe).
//
// Frames are one length byte followed by that many payload bytes:
//
//     [3, b'a', b'b', b'c'] [0] [2, b'h', b'i']   ->   "abc", "", "hi"
//
//     next_frame: loop {
//         a whole frame at the front of self.buf?  -> remove it from buf, return it
//         otherwise: read more bytes and append them to self.buf
//     }
//
// Implement `next_frame`. At the end of the stream, return `Ok(None)` if the buffer is empty,
// or an `UnexpectedEof` error if a frame was cut off. Do not change the tests.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

struct FramedReader<R> {
    reader: R,
    /// Bytes read from the stream and not yet returned as part of a frame.
    buf: Vec<u8>,
}

impl<R: AsyncRead + Unpin> FramedReader<R> {
    fn new(reader: R) -> Self {
        FramedReader {
            reader,
            buf: Vec::new(),
        }
    }

    /// Returns the next frame's payload, `Ok(None)` at a clean end of the stream.
    /// Cancellation-safe: dropping the future before it completes loses no data.
    async fn next_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(&len) = self.buf.first() {
                let end = 1 + len as usize;
                if self.buf.len() < end {
                    let mut rest = vec![0u8; end - self.buf.len()];
                    self.reader.read_exact(&mut rest).await?;
                    self.buf.extend_from_slice(&rest);
                }
                let frame = self.buf[1..end].to_vec();
                self.buf.drain(..end);
                return Ok(Some(frame));
            }
            // The only await. Whatever it returns is appended before the next await, so a
            // cancellation can only happen while no byte is in flight.
            let mut chunk = [0u8; 256];
            let n = self.reader.read(&mut chunk).await?;
            if n == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the stream ended inside a frame",
                    ))
                };
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
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

    /// Writes `chunks` one at a time with `gap` between them, then closes the stream.
    fn feed(chunks: Vec<Vec<u8>>, gap: Duration) -> tokio::io::DuplexStream {
        let (mut client, server) = tokio::io::duplex(256);
        tokio::spawn(async move {
            for chunk in chunks {
                tokio::time::sleep(gap).await;
                if client.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        });
        server
    }

    /// Reads every frame, racing each `next_frame` against a 5 ms tick, as a real select loop
    /// with a heartbeat would. Returns the frames, the number of ticks, and how it ended.
    async fn read_all(
        framed: &mut FramedReader<tokio::io::DuplexStream>,
    ) -> (Vec<Vec<u8>>, u32, io::Result<()>) {
        let mut frames = Vec::new();
        let mut ticks = 0;
        loop {
            tokio::select! {
                frame = framed.next_frame() => match frame {
                    Ok(Some(frame)) => frames.push(frame),
                    Ok(None) => return (frames, ticks, Ok(())),
                    Err(e) => return (frames, ticks, Err(e)),
                },
                _ = tokio::time::sleep(Duration::from_millis(5)) => ticks += 1,
            }
        }
    }

    fn bytes(frames: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for frame in frames {
            out.push(frame.len() as u8);
            out.extend_from_slice(frame);
        }
        out
    }

    #[test]
    fn bytes_lost_when_cancelled_mid_frame_is_rejected() {
        paused(|| async {
            let stream = bytes(&[b"abc", b"", b"hi", b"async"]);
            // One byte every 10 ms: every frame is interrupted by ticks, many times.
            let chunks = stream.iter().map(|b| vec![*b]).collect();
            let mut framed = FramedReader::new(feed(chunks, Duration::from_millis(10)));
            let (frames, ticks, end) = read_all(&mut framed).await;
            assert!(ticks > 10, "the ticks should have interrupted the reads");
            assert_eq!(
                frames,
                vec![
                    b"abc".to_vec(),
                    b"".to_vec(),
                    b"hi".to_vec(),
                    b"async".to_vec()
                ],
                "a cancelled next_frame must not lose bytes: keep them in self.buf"
            );
            assert!(end.is_ok(), "the stream ended cleanly between frames");
        });
    }

    #[test]
    fn second_frame_in_the_same_read_lost_is_rejected() {
        paused(|| async {
            // All frames arrive in a single write, so one read returns all of them.
            let chunks = vec![bytes(&[b"one", b"two", b"three"])];
            let mut framed = FramedReader::new(feed(chunks, Duration::ZERO));
            let (frames, _, end) = read_all(&mut framed).await;
            assert_eq!(
                frames,
                vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()],
                "bytes read past the end of one frame are the start of the next: keep them"
            );
            assert!(end.is_ok());
        });
    }

    #[test]
    fn frame_cut_off_reported_as_clean_end_is_rejected() {
        paused(|| async {
            // A frame that announces 5 bytes but the stream ends after 2.
            let chunks = vec![bytes(&[b"ok"]), vec![5, b'x', b'y']];
            let mut framed = FramedReader::new(feed(chunks, Duration::from_millis(1)));
            let (frames, _, end) = read_all(&mut framed).await;
            assert_eq!(frames, vec![b"ok".to_vec()]);
            let err = end.expect_err("the stream ended in the middle of a frame");
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        });
    }
}
