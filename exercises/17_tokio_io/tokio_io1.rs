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
    // TODO: loop { wait until readable; try_read; on WouldBlock go around again }
    todo!()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[tokio::test]
    async fn would_block_returned_as_an_error_is_rejected() {
        let (mut writer, reader) = connected_pair().await;
        make_readiness_stale(&reader, &mut writer).await;
        let late_writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            writer.write_all(b"second").await.unwrap();
            writer
        });
        let mut buf = [0u8; 6];
        let result = read_with_limit(&reader, &mut buf).await;
        match result {
            Ok(n) => {
                assert!(
                    n > 0,
                    "WouldBlock is not end of stream: read_some must wait again, not return Ok(0)"
                );
                assert_eq!(&buf[..n], &b"second"[..n]);
            }
            Err(e) => panic!(
                "read_some returned {e:?}: a WouldBlock after readable() means the readiness was \
                 stale; wait for readiness again instead of failing"
            ),
        }
        drop(late_writer.await.unwrap());
    }

    #[tokio::test]
    async fn would_block_reported_as_end_of_stream_is_rejected() {
        let (mut writer, reader) = connected_pair().await;
        make_readiness_stale(&reader, &mut writer).await;
        let late_writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            writer.write_all(b"x").await.unwrap();
            writer
        });
        let mut buf = [0u8; 4];
        let n = read_with_limit(&reader, &mut buf)
            .await
            .expect("a stale readiness is not an error");
        assert_eq!(
            (n, buf[0]),
            (1, b'x'),
            "after stale readiness, read_some must wait for the next byte (0 means end of stream)"
        );
        drop(late_writer.await.unwrap());
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
