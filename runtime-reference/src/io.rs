//! Asynchronous reading and writing: two poll traits and the helpers built on them
//! (course chapter 11).
//!
//! `poll_read`/`poll_write` are the one-step operations a source implements; `read_exact`,
//! `write_all` and `copy` loop over them, keeping their progress in the future so that a
//! `Pending` in the middle loses nothing.
//!
//! ```
//! use runtime_reference::io::{copy, read_exact};
//! use runtime_reference::park::block_on;
//!
//! block_on(async {
//!     let mut src: &[u8] = b"hello world";
//!     let mut first = [0u8; 5];
//!     read_exact(&mut src, &mut first).await.unwrap();
//!     assert_eq!(&first, b"hello");
//!
//!     let mut out = Vec::new();
//!     assert_eq!(copy(&mut src, &mut out).await.unwrap(), 6);
//!     assert_eq!(out, b" world");
//! });
//! ```

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A source of bytes that may not have any yet.
pub trait AsyncRead {
    /// Read into `buf`. `Ready(Ok(0))` means end of stream (or an empty `buf`); `Pending` means
    /// no data yet, and the waker in `cx` will be woken when there may be some.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>;
}

/// A sink of bytes that may not accept any yet.
pub trait AsyncWrite {
    /// Write some of `buf`; `Pending` means the sink is full and the waker will be woken when
    /// it may have room.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>;

    /// Push out anything buffered. Unbuffered sinks are always flushed.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin + ?Sized> AsyncRead for &mut T {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut **self).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin + ?Sized> AsyncWrite for &mut T {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut **self).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self).poll_flush(cx)
    }
}

/// An in-memory reader, handy in tests: always ready.
impl AsyncRead for &[u8] {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let n = buf.len().min(self.len());
        let (head, tail) = self.split_at(n);
        buf[..n].copy_from_slice(head);
        *self = tail;
        Poll::Ready(Ok(n))
    }
}

/// An in-memory writer, handy in tests: always ready, never full.
impl AsyncWrite for Vec<u8> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
}

/// Read some bytes into `buf`; `Ok(0)` at end of stream.
pub async fn read<R: AsyncRead + Unpin + ?Sized>(
    reader: &mut R,
    buf: &mut [u8],
) -> io::Result<usize> {
    poll_fn(|cx| Pin::new(&mut *reader).poll_read(cx, buf)).await
}

/// Fill `buf` completely; `UnexpectedEof` if the stream ends first.
pub async fn read_exact<R: AsyncRead + Unpin + ?Sized>(
    reader: &mut R,
    buf: &mut [u8],
) -> io::Result<()> {
    // The count lives in the future's state, so partial reads across `Pending`s add up.
    let mut filled = 0;
    while filled < buf.len() {
        match read(reader, &mut buf[filled..]).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    Ok(())
}

/// Read until end of stream, appending to `out`; returns how many bytes were read.
pub async fn read_to_end<R: AsyncRead + Unpin + ?Sized>(
    reader: &mut R,
    out: &mut Vec<u8>,
) -> io::Result<usize> {
    /// Bytes made readable per call: reading straight into the vector avoids a copy, and a
    /// bounded window keeps the zero-filling proportional to what is actually read.
    const WINDOW: usize = 32 * 1024;
    let start = out.len();
    loop {
        let filled = out.len();
        out.resize(filled + WINDOW, 0);
        let res = read(reader, &mut out[filled..]).await;
        match res {
            Ok(0) => {
                out.truncate(filled);
                return Ok(filled - start);
            }
            Ok(n) => out.truncate(filled + n),
            Err(e) => {
                out.truncate(filled);
                return Err(e);
            }
        }
    }
}

/// Write some of `buf`; returns how many bytes were taken.
pub async fn write<W: AsyncWrite + Unpin + ?Sized>(
    writer: &mut W,
    buf: &[u8],
) -> io::Result<usize> {
    poll_fn(|cx| Pin::new(&mut *writer).poll_write(cx, buf)).await
}

/// Write all of `buf`, waiting whenever the sink is full.
pub async fn write_all<W: AsyncWrite + Unpin + ?Sized>(
    writer: &mut W,
    mut buf: &[u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        match write(writer, buf).await? {
            // A sink that takes nothing is not going to take the rest later.
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

/// Flush `writer`.
pub async fn flush<W: AsyncWrite + Unpin + ?Sized>(writer: &mut W) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *writer).poll_flush(cx)).await
}

/// Size of `copy`'s buffer: big enough that a 1 MiB transfer is a few dozen system calls.
const COPY_BUF: usize = 64 * 1024;

/// Move everything from `reader` to `writer` until the reader's end of stream; returns the
/// number of bytes copied.
pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = vec![0u8; COPY_BUF];
    let mut total = 0u64;
    loop {
        let n = read(reader, &mut buf).await?;
        if n == 0 {
            flush(writer).await?;
            return Ok(total);
        }
        write_all(writer, &buf[..n]).await?;
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CountingWaker, block_on_checked, poll_once};
    use std::pin::pin;

    /// Hands out one byte per poll and is `Pending` (with a wake) in between.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        ready: bool,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            if !self.ready {
                self.ready = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.ready = false;
            if self.pos == self.data.len() || buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            buf[0] = self.data[self.pos];
            self.pos += 1;
            Poll::Ready(Ok(1))
        }
    }

    /// Takes at most `room` bytes per poll, `Pending` every other poll.
    struct Narrow {
        out: Vec<u8>,
        room: usize,
        ready: bool,
    }

    impl AsyncWrite for Narrow {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            if !self.ready {
                self.ready = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.ready = false;
            let n = buf.len().min(self.room);
            self.out.extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        }
    }

    #[test]
    fn read_exact_accumulates_one_byte_chunks() {
        let mut src = Trickle {
            data: b"abcdef".to_vec(),
            pos: 0,
            ready: false,
        };
        let mut buf = [0u8; 6];
        block_on_checked(read_exact(&mut src, &mut buf)).unwrap();
        assert_eq!(&buf, b"abcdef");
    }

    #[test]
    fn read_exact_reports_early_eof() {
        let mut src: &[u8] = b"ab";
        let mut buf = [0u8; 3];
        let err = block_on_checked(read_exact(&mut src, &mut buf)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn write_all_finishes_through_a_narrow_sink() {
        let mut sink = Narrow {
            out: Vec::new(),
            room: 3,
            ready: false,
        };
        let data: Vec<u8> = (0..100).collect();
        block_on_checked(write_all(&mut sink, &data)).unwrap();
        assert_eq!(sink.out, data);
    }

    #[test]
    fn write_all_is_pending_while_the_sink_is_full() {
        let mut sink = Narrow {
            out: Vec::new(),
            room: 3,
            ready: false,
        };
        let w = CountingWaker::new();
        let mut fut = pin!(write_all(&mut sink, b"xyz"));
        assert!(poll_once(fut.as_mut(), &w.waker()).is_pending());
        assert!(poll_once(fut.as_mut(), &w.waker()).is_ready());
    }

    #[test]
    fn copy_moves_a_mebibyte_intact() {
        let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
        let mut src = &data[..];
        let mut out = Vec::new();
        let n = block_on_checked(copy(&mut src, &mut out)).unwrap();
        assert_eq!(n, data.len() as u64);
        assert!(out == data);
    }
}
