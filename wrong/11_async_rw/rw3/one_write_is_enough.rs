// wrong answer: write_all makes a single write and returns, as if a write always took everything; stopping_after_a_partial_write_is_rejected catches it.
// rw3: write_all when the send buffer is full
//
// A write to a socket copies bytes into the kernel's send buffer and returns how many it took.
// When the peer reads slowly, the buffer fills: a write takes only part of what you gave it,
// and the next one is `Pending` until the peer has read some. `write_all` loops until every byte
// is taken, each time writing what is left.
//
//   data: [ taken | taken | ........ left ........ ]
//                          ^ write(&data[sent..]) next
//
// This time write it as an `async fn`: locals such as "how much is sent" live across `.await`
// because the compiler stores them in the future, the way you did by hand in rw2. Use
// `runtime_reference::io::write`, which does one write (and waits while the sink is full).
// A write that takes 0 bytes of a non-empty buffer will never take more: that is a
// `WriteZero` error.

use runtime_reference::io::{AsyncWrite, write};
use std::io;

pub async fn write_all<W: AsyncWrite + Unpin + ?Sized>(
    writer: &mut W,
    data: &[u8],
) -> io::Result<()> {
    let mut sent = 0;
    if sent < data.len() {
        match write(writer, &data[sent..]).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => sent += n,
        }
    }
    Ok(())
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::block_on_checked;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Takes at most `room` bytes per write, with a `Pending` (and a wake) before each, like a
    /// send buffer that the peer drains a little at a time. Panics if written to again and
    /// again after it took nothing.
    struct Narrow {
        out: Vec<u8>,
        room: usize,
        paused: bool,
        zero_writes: usize,
    }

    fn narrow(room: usize) -> Narrow {
        Narrow {
            out: Vec::new(),
            room,
            paused: false,
            zero_writes: 0,
        }
    }

    impl AsyncWrite for Narrow {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            if !self.paused {
                self.paused = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.paused = false;
            if self.room == 0 {
                self.zero_writes += 1;
                assert!(
                    self.zero_writes < 10,
                    "write_all kept writing to a sink that took 0 bytes"
                );
            }
            let n = buf.len().min(self.room);
            self.out.extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        }
    }

    #[test]
    fn stopping_after_a_partial_write_is_rejected() {
        // 100 bytes through a sink that takes 7 at a time, Pending in between.
        let data: Vec<u8> = (0..100).collect();
        let mut sink = narrow(7);
        block_on_checked(write_all(&mut sink, &data)).unwrap();
        assert_eq!(
            sink.out.len(),
            100,
            "every byte must be written, not just the first write's"
        );
        assert!(
            sink.out == data,
            "the bytes arrived wrong: write what is left, from where the last write stopped"
        );
    }

    #[test]
    fn looping_on_a_zero_write_is_rejected() {
        let mut sink = narrow(0);
        let err = block_on_checked(write_all(&mut sink, b"abc"))
            .expect_err("a sink that takes nothing must fail");
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    }
}
