// wrong answer: calls accept at once and hands WouldBlock back as an error instead of waiting for readiness; `accept_that_does_not_wait_is_rejected` catches it.
// echo1: an async accept
//
// From here on your code runs on a real single-threaded runtime: `runtime_reference`'s
// executor and reactor, the finished form of chapters 05 and 08. A socket is `Registered`
// with the reactor; its `Registration` answers one question, "has the reactor seen this socket
// become readable?":
//
//   - `registration.poll_ready(cx, Direction::Read)` is `Ready(event)` if so, and otherwise
//     stores the waker (the reactor wakes it on the next event) and returns `Pending`;
//   - readiness is a hint. If `accept` still says `WouldBlock`, the readiness was stale:
//     `registration.clear_readiness(event)` forgets it, and you ask `poll_ready` again, which
//     now stores the waker and returns `Pending`.
//
// Write `Listener::poll_accept` with that loop, and `accept` on top of it.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll, ready};

use runtime_reference::reactor::{Direction, Registered};

struct Listener {
    inner: Registered<mio::net::TcpListener>,
}

impl Listener {
    /// Binds and registers with the current runtime's reactor (call it inside the runtime).
    fn bind(addr: &str) -> io::Result<Listener> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let mio_listener = mio::net::TcpListener::from_std(std_listener);
        Ok(Listener {
            inner: Registered::new(mio_listener)?,
        })
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(mio::net::TcpStream, SocketAddr)>> {
        let registration = self.inner.registration();
        let _ = (registration, cx);
        Poll::Ready(self.inner.get_ref().accept())
    }

    async fn accept(&self) -> io::Result<(mio::net::TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }
}

fn main() -> io::Result<()> {
    runtime_reference::executor::run(async {
        let listener = Listener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || std::net::TcpStream::connect(addr));
        let (_stream, peer) = listener.accept().await?;
        println!("accepted {peer}");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::executor::{Runtime, spawn};
    use runtime_reference::task::JoinHandle;
    use runtime_reference::time::sleep;
    use std::future::Future;
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    /// Runs `make()` on a fresh runtime on its own thread; fails instead of hanging.
    fn run_checked<T, Fut>(make: impl FnOnce() -> Fut + Send + 'static) -> T
    where
        T: Send + 'static,
        Fut: Future<Output = T>,
    {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(Runtime::new().block_on(async move { make().await }));
        });
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(out) => out,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "accept never finished: after WouldBlock, clear the readiness and return to \
                 poll_ready (which stores the waker) instead of spinning or returning Pending"
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the code under test panicked"),
        }
    }

    /// A task on the same runtime that connects after `delay_ms` and hands back the client.
    /// If `accept` spins instead of waiting, it blocks the thread and this task never runs.
    fn connect_later(addr: SocketAddr, delay_ms: u64) -> JoinHandle<std::net::TcpStream> {
        spawn(async move {
            sleep(Duration::from_millis(delay_ms)).await;
            std::net::TcpStream::connect(addr).unwrap()
        })
    }

    #[test]
    fn accept_that_does_not_wait_is_rejected() {
        run_checked(|| async {
            let listener = Listener::bind("127.0.0.1:0").unwrap();
            let client = connect_later(listener.local_addr().unwrap(), 10);
            let accepted = listener.accept().await;
            let (_stream, peer) = accepted.unwrap_or_else(|e| {
                panic!("accept failed with {e}: wait for readiness instead of failing")
            });
            let client = client.await.unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
        });
    }

    #[test]
    fn spinning_on_stale_readiness_is_rejected() {
        run_checked(|| async {
            let listener = Listener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let early = connect_later(addr, 0);
            let (_a, first) = listener.accept().await.unwrap();
            // The readiness from the first client is still set: this accept hits WouldBlock,
            // and must then wait (letting the connecting task run), not retry in a loop.
            let late = connect_later(addr, 20);
            let (_b, second) = listener.accept().await.unwrap();
            assert_eq!(first, early.await.unwrap().local_addr().unwrap());
            assert_eq!(second, late.await.unwrap().local_addr().unwrap());
        });
    }

    #[test]
    fn three_waiting_clients_are_all_accepted() {
        run_checked(|| async {
            let listener = Listener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let clients: Vec<_> = (0..3).map(|_| connect_later(addr, 0)).collect();
            let mut peers = Vec::new();
            for _ in 0..3 {
                peers.push(listener.accept().await.unwrap().1);
            }
            let mut expected = Vec::new();
            for client in clients {
                expected.push(client.await.unwrap().local_addr().unwrap());
            }
            peers.sort();
            expected.sort();
            assert_eq!(peers, expected);
        });
    }
}
