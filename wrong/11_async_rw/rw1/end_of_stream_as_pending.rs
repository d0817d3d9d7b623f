// wrong answer: a read of 0 bytes is treated like WouldBlock (nothing yet), so a closed connection leaves the reader waiting for ever; end_of_stream_as_pending_is_rejected catches it.
// rw1: poll_read for a TCP stream
//
// `AsyncRead::poll_read` is one attempt at a read: `Ready(Ok(n))` with bytes, `Ready(Ok(0))`
// at end of stream, or `Pending` with the task's waker left where the reactor will find it.
// The reference reactor keeps, per socket, the readiness the OS last reported:
//
//   registration.poll_ready(cx, Direction::Read)
//       Pending          -> no readiness known; the waker is stored, the reactor will wake it
//       Ready(event)     -> the OS said "readable" (maybe long ago): try the read
//   read -> WouldBlock   -> that readiness is stale: registration.clear_readiness(event),
//                           then ask poll_ready again (which now stores the waker)
//
// Implement `poll_read` for `Stream` with these calls. The socket is `self.inner.get_ref()`
// (a `&mio::net::TcpStream`, which implements `Read`: `let mut socket = self.inner.get_ref();`
// then `socket.read(buf)`).

use mio::net::TcpStream;
use runtime_reference::io::AsyncRead;
use runtime_reference::reactor::{Direction, Registered};
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pub struct Stream {
    inner: Registered<TcpStream>,
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let registration = self.inner.registration();
        loop {
            let event = ready!(registration.poll_ready(cx, Direction::Read));
            let mut socket = self.inner.get_ref();
            match socket.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    registration.clear_readiness(event)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(0) => {
                    registration.clear_readiness(event);
                    return Poll::Pending;
                }
                result => return Poll::Ready(result),
            }
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::reactor::Reactor;
    use runtime_reference::testing::CountingWaker;
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Long enough for an event whose cause (a write, a close) happened before the wait.
    const LONG: Option<Duration> = Some(Duration::from_millis(500));

    /// Our stream on a reactor of its own (no runtime: the test drives the reactor), and a
    /// plain blocking client connected to it.
    fn setup() -> (Stream, std::net::TcpStream, Arc<Reactor>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        let reactor = Reactor::new().unwrap();
        let inner = Registered::with_reactor(TcpStream::from_std(server), &reactor).unwrap();
        (Stream { inner }, client, reactor)
    }

    fn poll_read(
        stream: &mut Stream,
        w: &Arc<CountingWaker>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(stream).poll_read(&mut Context::from_waker(&w.waker()), buf)
    }

    /// Polls on another thread so that a `poll_read` that never returns fails the test.
    fn poll_read_bounded(
        mut stream: Stream,
        w: Arc<CountingWaker>,
    ) -> (Stream, Poll<io::Result<usize>>) {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 16];
            let result = poll_read(&mut stream, &w, &mut buf);
            let _ = tx.send((stream, result));
        });
        rx.recv_timeout(Duration::from_millis(500)).expect(
            "poll_read never returned: after WouldBlock, clear the readiness before asking again",
        )
    }

    #[test]
    fn pending_without_storing_the_waker_is_rejected() {
        let (mut stream, mut client, reactor) = setup();
        let w = CountingWaker::new();
        let mut buf = [0u8; 16];
        client.write_all(b"hello").unwrap();
        assert!(
            poll_read(&mut stream, &w, &mut buf).is_pending(),
            "no readiness reported yet"
        );
        reactor.wait(LONG).unwrap();
        assert_eq!(
            w.count(),
            1,
            "the reactor's event did not wake the reading task"
        );
        let r = poll_read(&mut stream, &w, &mut buf);
        assert!(
            matches!(r, Poll::Ready(Ok(5))),
            "expected 5 bytes, got {r:?}"
        );
        assert_eq!(&buf[..5], b"hello");
    }

    #[test]
    fn keeping_stale_readiness_after_wouldblock_is_rejected() {
        let (mut stream, mut client, reactor) = setup();
        let w = CountingWaker::new();
        let mut buf = [0u8; 16];
        client.write_all(b"hello").unwrap();
        assert!(poll_read(&mut stream, &w, &mut buf).is_pending());
        reactor.wait(LONG).unwrap();
        assert!(matches!(
            poll_read(&mut stream, &w, &mut buf),
            Poll::Ready(Ok(5))
        ));
        // The socket is drained, but the reactor still remembers "readable".
        let (mut stream, r) = poll_read_bounded(stream, w.clone());
        assert!(
            r.is_pending(),
            "the socket is empty: poll_read must be Pending, got {r:?}"
        );
        client.write_all(b"more").unwrap();
        reactor.wait(LONG).unwrap();
        assert_eq!(
            w.count(),
            2,
            "new data did not wake the task: on WouldBlock, clear the readiness and poll_ready \
             again so the waker is stored"
        );
        let r = poll_read(&mut stream, &w, &mut buf);
        assert!(
            matches!(r, Poll::Ready(Ok(4))),
            "expected the 4 new bytes, got {r:?}"
        );
        assert_eq!(&buf[..4], b"more");
    }

    #[test]
    fn end_of_stream_as_pending_is_rejected() {
        let (mut stream, client, reactor) = setup();
        let w = CountingWaker::new();
        let mut buf = [0u8; 16];
        assert!(poll_read(&mut stream, &w, &mut buf).is_pending());
        drop(client);
        reactor.wait(LONG).unwrap();
        let r = poll_read(&mut stream, &w, &mut buf);
        assert!(
            matches!(r, Poll::Ready(Ok(0))),
            "the peer closed the connection: poll_read must be Ready(Ok(0)), got {r:?}"
        );
    }
}
