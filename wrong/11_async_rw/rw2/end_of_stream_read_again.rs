// wrong answer: a read of 0 bytes is ignored and the loop reads again, so a stream that ended is read for ever; looping_on_end_of_stream_is_rejected catches it.
// rw2: read_exact keeps its place
//
// A socket hands over whatever has arrived: asking for 6 bytes may give 1, then `Pending`, then
// 2, and so on. `read_exact` must fill the whole buffer, so it loops over `poll_read`, and
// because it can return `Pending` in the middle, how much it has filled so far must live in the
// future itself, not in a local variable of `poll` (which starts again at every poll).
//
//   [ h e l | . . . ]   filled = 3: the next poll_read reads into buf[filled..]
//
// Implement `ReadExact::poll`. `Ready(Ok(0))` from the reader before the buffer is full means
// the stream ended early: that is an `UnexpectedEof` error.

use runtime_reference::io::AsyncRead;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pub struct ReadExact<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut [u8],
    /// How many bytes of `buf` are already filled.
    filled: usize,
}

pub fn read_exact<'a, R: AsyncRead + Unpin + ?Sized>(
    reader: &'a mut R,
    buf: &'a mut [u8],
) -> ReadExact<'a, R> {
    ReadExact {
        reader,
        buf,
        filled: 0,
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadExact<'_, R> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.filled < this.buf.len() {
            let n =
                ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf[this.filled..]))?;
            this.filled += n;
        }
        Poll::Ready(Ok(()))
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::block_on_checked;

    /// Gives one byte per read. With `pause`, every read is preceded by a `Pending` (after
    /// waking the task), like a socket whose bytes trickle in. Panics if read again and again
    /// after reporting the end of the stream.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        pause: bool,
        paused: bool,
        eof_reads: usize,
    }

    fn trickle(data: &[u8], pause: bool) -> Trickle {
        Trickle {
            data: data.to_vec(),
            pos: 0,
            pause,
            paused: false,
            eof_reads: 0,
        }
    }

    impl AsyncRead for Trickle {
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
            if self.pos == self.data.len() {
                self.eof_reads += 1;
                assert!(
                    self.eof_reads < 10,
                    "read_exact kept reading after the stream ended (Ok(0))"
                );
                return Poll::Ready(Ok(0));
            }
            buf[0] = self.data[self.pos];
            self.pos += 1;
            Poll::Ready(Ok(1))
        }
    }

    #[test]
    fn forgetting_progress_across_pending_is_rejected() {
        let mut src = trickle(b"abcdef", true);
        let mut buf = [0u8; 6];
        block_on_checked(read_exact(&mut src, &mut buf)).unwrap();
        assert_eq!(
            &buf, b"abcdef",
            "bytes were lost or overwritten across a Pending"
        );
    }

    #[test]
    fn stopping_after_the_first_read_is_rejected() {
        let mut src = trickle(b"xyz", false);
        let mut buf = [0u8; 3];
        block_on_checked(read_exact(&mut src, &mut buf)).unwrap();
        assert_eq!(
            &buf, b"xyz",
            "read_exact returned before the buffer was full"
        );
        assert_eq!(src.pos, 3);
    }

    #[test]
    fn reading_past_the_buffer_is_rejected() {
        let mut src = trickle(b"abcdef", false);
        let mut buf = [0u8; 4];
        block_on_checked(read_exact(&mut src, &mut buf)).unwrap();
        assert_eq!(&buf, b"abcd");
        assert_eq!(src.pos, 4, "read_exact consumed bytes beyond its buffer");
    }

    #[test]
    fn looping_on_end_of_stream_is_rejected() {
        let mut src = trickle(b"ab", true);
        let mut buf = [0u8; 4];
        let result = block_on_checked(read_exact(&mut src, &mut buf));
        let err = result.expect_err("the stream ended after 2 of 4 bytes: that is an error");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
