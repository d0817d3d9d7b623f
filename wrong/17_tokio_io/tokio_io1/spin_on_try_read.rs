// wrong answer: after WouldBlock, read_some calls try_read again at once without awaiting anything, so its first poll never returns; the real-time limit fails the stale-readiness tests within a second.
// tokio_io1: readable() + try_read, and readiness that lies
//
// Under `AsyncRead`, tokio's sockets expose readiness directly. `stream.readable().await`
// waits until the reactor has said "this socket may be readable"; `stream.try_read(buf)` then
// does one non-blocking read. Readiness is only a hint: it is cached until a read reports
// `WouldBlock`, so `readable()` can return while there is nothing to read. Then `try_read`
// fails with `io::ErrorKind::WouldBlock`, which means "wait again", not "the read failed".
//
// Write `read_some`: wait for readiness, try the read, and loop back to waiting on `WouldBlock`.
// Return the number of bytes read (0 means the peer closed the connection); return any other
// error as it is. Use only `readable` and `try_read` (the stream is shared, `&TcpStream`).

use std::io;
use tokio::net::TcpStream;

async fn read_some(stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    stream.readable().await?;
    loop {
        match stream.try_read(buf) {
            Ok(n) => return Ok(n),
            // The readiness was stale: tokio has now cleared it, so waiting again is correct.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::future::{Future, poll_fn};
    use std::pin::pin;
    use std::task::Poll;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    const STUCK: &str = "a test did not finish within a second of real time: read_some is spinning (trying to read again and again without waiting for readiness)";

    // Runs a test body on a current_thread runtime in a thread of its own, and fails the test if
    // the body has not finished after one second of real time: a read_some that spins never
    // returns from its poll, so no timeout inside the body could fire.
    fn real_time<Fut: std::future::Future<Output = ()>>(
        body: impl FnOnce() -> Fut + Send + 'static,
    ) {
        let (finished, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
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

    async fn connected_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    // Leaves `reader` with readiness cached but no bytes buffered: the next readable() returns
    // at once and the next try_read reports WouldBlock.
    async fn make_readiness_stale(reader: &TcpStream, writer: &mut TcpStream) {
        writer.write_all(b"first").await.unwrap();
        let mut buf = [0u8; 5];
        let mut got = 0;
        while got < buf.len() {
            reader.readable().await.unwrap();
            match reader.try_read(&mut buf[got..]) {
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("test setup failed: {e}"),
            }
        }
    }

    async fn read_with_limit(stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
        tokio::time::timeout(Duration::from_secs(2), read_some(stream, buf))
            .await
            .expect("read_some never returned although data arrived")
    }

    #[test]
    fn reads_what_is_there() {
        real_time(|| async {
            let (mut writer, reader) = connected_pair().await;
            writer.write_all(b"hello").await.unwrap();
            let mut buf = [0u8; 16];
            let mut got = Vec::new();
            while got.len() < 5 {
                let n = read_with_limit(&reader, &mut buf).await.unwrap();
                assert!(
                    n > 0,
                    "read_some returned 0 (end of stream) while the peer is open"
                );
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, b"hello");
        });
    }

    // Makes the readiness stale, polls read_some exactly once, then sends "second" and lets
    // read_some finish. Returns what the first poll gave and what read_some finally read.
    async fn read_after_stale_readiness() -> (Poll<io::Result<usize>>, io::Result<Vec<u8>>) {
        let (mut writer, reader) = connected_pair().await;
        make_readiness_stale(&reader, &mut writer).await;
        let mut buf = [0u8; 16];
        let (first_poll, finished) = {
            let mut read = pin!(read_some(&reader, &mut buf));
            let first_poll = poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
            if first_poll.is_ready() {
                (first_poll, Ok(0)) // the tests judge the first poll alone in this case
            } else {
                writer.write_all(b"second").await.unwrap();
                let finished = tokio::time::timeout(Duration::from_secs(2), read)
                    .await
                    .expect("read_some was never woken although data arrived");
                (first_poll, finished)
            }
        };
        (first_poll, finished.map(|n| buf[..n].to_vec()))
    }

    #[test]
    fn would_block_returned_as_an_error_is_rejected() {
        real_time(|| async {
            let (first_poll, finished) = read_after_stale_readiness().await;
            if let Poll::Ready(Err(e)) = first_poll {
                panic!(
                    "read_some returned {e:?} after a stale readiness: WouldBlock after readable() \
                     means wait for readiness again, not fail"
                );
            }
            if first_poll.is_pending() {
                let got = finished.expect("read_some failed after the data arrived");
                assert!(
                    !got.is_empty(),
                    "read_some returned no bytes although \"second\" arrived"
                );
                assert!(b"second".starts_with(&got), "read_some returned {got:?}");
            }
        });
    }

    #[test]
    fn would_block_reported_as_end_of_stream_is_rejected() {
        real_time(|| async {
            let (first_poll, _) = read_after_stale_readiness().await;
            assert!(
                !matches!(first_poll, Poll::Ready(Ok(0))),
                "read_some returned Ok(0) after a stale readiness, which means end of stream: the peer \
                 is still open, so wait for readiness again"
            );
            assert!(
                first_poll.is_pending(),
                "nothing had been sent yet, so read_some must wait (return Pending)"
            );
        });
    }

    #[test]
    fn spinning_on_try_read_is_rejected() {
        real_time(|| async {
            let (mut writer, reader) = connected_pair().await;
            make_readiness_stale(&reader, &mut writer).await;
            let counter = CountingWaker::new();
            let mut buf = [0u8; 16];
            let mut read = pin!(read_some(&reader, &mut buf));
            assert!(
                poll_once(read.as_mut(), &counter.waker()).is_pending(),
                "nothing had been sent yet, so read_some must wait (return Pending)"
            );
            // Give a self-wake (yield_now, wake_by_ref) every chance to be delivered.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            assert_eq!(
                counter.count(),
                0,
                "read_some woke itself although no byte had arrived: after WouldBlock, wait for \
                 readiness (`readable().await`) instead of trying again at once"
            );
            writer.write_all(b"second").await.unwrap();
            let finished = tokio::time::timeout(Duration::from_secs(2), read)
                .await
                .expect("read_some was never woken although data arrived");
            assert!(finished.unwrap() > 0);
        });
    }

    #[test]
    fn end_of_stream_reads_zero() {
        real_time(|| async {
            let (writer, reader) = connected_pair().await;
            drop(writer);
            let mut buf = [0u8; 4];
            let n = read_with_limit(&reader, &mut buf).await.unwrap();
            assert_eq!(n, 0, "a closed peer reads as Ok(0)");
        });
    }
}
