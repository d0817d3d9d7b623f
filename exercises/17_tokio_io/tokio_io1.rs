// tokio_io1: readable() + try_read, and readiness that lies
//
// Under `AsyncRead`, tokio's sockets expose readiness directly. `stream.readable().await`
// waits until the reactor has said "this socket may be readable"; `stream.try_read(buf)` then
// does one non-blocking read. Readiness is only a hint: for `try_read` it is cached until a
// read reports `WouldBlock`, so `readable()` can return while there is nothing to read. Then `try_read`
// fails with `io::ErrorKind::WouldBlock`, which means "wait again", not "the read failed".
//
// Write `read_some`: wait for readiness, try the read, and loop back to waiting on `WouldBlock`.
// Return the number of bytes read (0 means the peer closed its sending half); return any other
// error as it is. Use only `readable` and `try_read` (the stream is shared, `&TcpStream`).

use std::io;
use tokio::net::TcpStream;

async fn read_some(stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    // TODO: loop { wait until readable; try_read; on WouldBlock go around again }
    todo!()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::{Future, poll_fn};
    use std::pin::pin;
    use std::task::Poll;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

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

    #[tokio::test]
    async fn reads_what_is_there() {
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

    #[tokio::test]
    async fn would_block_returned_as_an_error_is_rejected() {
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
    }

    #[tokio::test]
    async fn would_block_reported_as_end_of_stream_is_rejected() {
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
    }

    #[tokio::test]
    async fn end_of_stream_reads_zero() {
        let (writer, reader) = connected_pair().await;
        drop(writer);
        let mut buf = [0u8; 4];
        let n = read_with_limit(&reader, &mut buf).await.unwrap();
        assert_eq!(n, 0, "a closed peer reads as Ok(0)");
    }
}
