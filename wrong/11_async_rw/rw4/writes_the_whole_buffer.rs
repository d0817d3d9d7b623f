// wrong answer: each round writes the whole 8 KiB buffer instead of the n bytes just read, so stale bytes are copied too; writing_the_whole_buffer_is_rejected catches it.
// rw4: copy from a reader to a writer
//
// `copy` is the loop under every proxy and echo server: read a chunk, write that chunk out in
// full, repeat until the reader reports end of stream (a read of 0 bytes), then flush the writer
// and return how many bytes went through.
//
//   reader ──read──► buf[..n] ──write_all──► writer        n == 0: flush, return the total
//
// A read that returns fewer bytes than the buffer holds is normal (that is what had arrived so
// far), not the end. Only the first `n` bytes of the buffer are data.
//
// Implement `copy` with `read`, `write_all` and `flush` from `runtime_reference::io`.

use runtime_reference::io::{AsyncRead, AsyncWrite, flush, read, write_all};
use std::io;

pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = vec![0u8; 8 * 1024];
    let mut total = 0u64;
    loop {
        let n = read(reader, &mut buf).await?;
        if n == 0 {
            flush(writer).await?;
            return Ok(total);
        }
        write_all(writer, &buf).await?;
        total += n as u64;
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::executor::{Runtime, spawn};
    use runtime_reference::net::{TcpListener, TcpStream};
    use runtime_reference::testing::block_on_checked;
    use runtime_reference::time::timeout;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};
    use std::time::Duration;

    /// Hands out `data` in chunks of at most `chunk` bytes, with a `Pending` (after a wake)
    /// before every chunk when `pause` is set.
    struct Chunks {
        data: Vec<u8>,
        pos: usize,
        chunk: usize,
        pause: bool,
        paused: bool,
    }

    fn chunks(data: &[u8], chunk: usize, pause: bool) -> Chunks {
        Chunks {
            data: data.to_vec(),
            pos: 0,
            chunk,
            pause,
            paused: false,
        }
    }

    impl AsyncRead for Chunks {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            if self.pause && !self.paused {
                self.paused = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.paused = false;
            let n = buf.len().min(self.chunk).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Poll::Ready(Ok(n))
        }
    }

    /// Keeps written bytes in `pending` until flushed into `out`.
    #[derive(Default)]
    struct Buffered {
        pending: Vec<u8>,
        out: Vec<u8>,
    }

    impl AsyncWrite for Buffered {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.pending.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let this = &mut *self;
            this.out.append(&mut this.pending);
            Poll::Ready(Ok(()))
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn writing_the_whole_buffer_is_rejected() {
        let data = pattern(10_000);
        let mut src = chunks(&data, 1000, false);
        let mut out = Vec::new();
        let n = block_on_checked(copy(&mut src, &mut out)).unwrap();
        assert_eq!(
            out.len(),
            data.len(),
            "wrote more than was read: write only buf[..n]"
        );
        assert!(out == data);
        assert_eq!(n, 10_000);
    }

    #[test]
    fn short_read_taken_as_end_of_stream_is_rejected() {
        let data = pattern(20);
        let mut src = chunks(&data, 10, true);
        let mut out = Vec::new();
        let n = block_on_checked(copy(&mut src, &mut out)).unwrap();
        assert_eq!(
            out, data,
            "a short read is not the end of the stream: only a read of 0 is"
        );
        assert_eq!(n, 20, "copy must return how many bytes it moved");
    }

    #[test]
    fn forgetting_to_flush_is_rejected() {
        let data = pattern(100);
        let mut src = chunks(&data, 64, false);
        let mut sink = Buffered::default();
        block_on_checked(copy(&mut src, &mut sink)).unwrap();
        assert_eq!(
            sink.out, data,
            "the writer was never flushed at the end of the stream"
        );
    }

    #[test]
    fn a_mebibyte_echoed_over_tcp_arrives_intact() {
        let data = pattern(1 << 20);
        let expected = data.clone();
        let (copied, got) = Runtime::new().block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let echo = spawn(async move {
                let (conn, _) = listener.accept().await.unwrap();
                let (mut r, mut w) = (&conn, &conn);
                let copied = copy(&mut r, &mut w).await.unwrap();
                conn.shutdown_write().unwrap();
                copied
            });
            let client = Arc::new(TcpStream::connect(addr).await.unwrap());
            let sender = client.clone();
            let send = spawn(async move {
                let mut w = &*sender;
                write_all(&mut w, &data).await.unwrap();
                sender.shutdown_write().unwrap();
            });
            let mut got = Vec::new();
            let mut r = &*client;
            timeout(
                Duration::from_secs(5),
                runtime_reference::io::read_to_end(&mut r, &mut got),
            )
            .await
            .expect("the echo did not finish")
            .unwrap();
            send.await.unwrap();
            (echo.await.unwrap(), got)
        });
        assert!(
            got == expected,
            "the echoed bytes differ from the ones sent"
        );
        assert_eq!(copied, 1 << 20);
    }
}
