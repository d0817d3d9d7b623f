// wrong answer: waits with no timeout, so with no client it never returns; `waiting_forever_without_a_client_is_rejected` catches it.
// io2: wait for readiness with mio
//
// Retrying a non-blocking `accept` in a loop works, and burns a CPU core doing nothing. The
// operating system can tell you instead when a socket is *ready*: epoll on Linux, kqueue on
// macOS, IOCP on Windows, all behind `mio::Poll`. Register the listener with a `Token` and the
// `Interest` you have (`READABLE`: a connection is waiting), then `poll.poll(...)` sleeps until
// an event arrives or the timeout runs out.
//
// Write `accept_one`: register, wait for readiness, accept. Readiness is a hint, not a promise:
// if `accept` still says `WouldBlock`, wait again.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(0);

/// Waits (at most `timeout`) for one incoming connection and accepts it. Fails with
/// `io::ErrorKind::TimedOut` if none arrives in time.
fn accept_one(
    listener: &mut TcpListener,
    timeout: Duration,
) -> io::Result<(TcpStream, SocketAddr)> {
    let mut poll = Poll::new()?;
    poll.registry()
        .register(listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(8);
    let deadline = Instant::now() + timeout;
    let result = 'wait: loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Err(io::ErrorKind::TimedOut.into());
        }
        poll.poll(&mut events, None)?;
        for event in &events {
            if event.token() != LISTENER {
                continue;
            }
            match listener.accept() {
                Ok(accepted) => break 'wait Ok(accepted),
                // A stale event: nothing to accept after all. Wait for the next one.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => break 'wait Err(e),
            }
        }
    };
    // Leave nothing behind: the listener may be registered again by the next caller.
    poll.registry().deregister(listener)?;
    result
}

fn main() -> io::Result<()> {
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || std::net::TcpStream::connect(addr));
    let (_stream, peer) = accept_one(&mut listener, Duration::from_secs(1))?;
    println!("accepted a connection from {peer}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread;

    fn listener() -> TcpListener {
        TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap()
    }

    /// Runs `accept_one` on its own thread; fails instead of hanging.
    fn accept_checked(
        mut listener: TcpListener,
        timeout: Duration,
    ) -> io::Result<(TcpStream, SocketAddr)> {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(accept_one(&mut listener, timeout));
        });
        match rx.recv_timeout(timeout + Duration::from_millis(500)) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("accept_one did not return: pass the time left to poll.poll, not None")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("accept_one panicked"),
        }
    }

    #[test]
    fn accept_before_readiness_is_rejected() {
        let listener = listener();
        let addr = listener.local_addr().unwrap();
        let client = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            std::net::TcpStream::connect(addr).unwrap()
        });
        let accepted = accept_checked(listener, Duration::from_secs(2));
        let client = client.join().unwrap();
        let (_stream, peer) = accepted.unwrap_or_else(|e| {
            panic!("accept_one failed with {e}: wait for the listener to become readable first")
        });
        assert_eq!(peer, client.local_addr().unwrap());
    }

    #[test]
    fn connection_already_waiting_is_accepted() {
        let listener = listener();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_stream, peer) = accept_checked(listener, Duration::from_secs(2)).unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
    }

    #[test]
    fn waiting_forever_without_a_client_is_rejected() {
        let start = Instant::now();
        let result = accept_checked(listener(), Duration::from_millis(30));
        match result {
            Ok(_) => panic!("nobody connected, so accept_one must fail"),
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::TimedOut),
        }
        assert!(
            start.elapsed() >= Duration::from_millis(30),
            "gave up before the timeout"
        );
    }

    #[test]
    fn leaving_the_listener_registered_is_rejected() {
        let mut listener = listener();
        let addr = listener.local_addr().unwrap();
        let first = std::net::TcpStream::connect(addr).unwrap();
        let (_a, peer_a) = accept_one(&mut listener, Duration::from_secs(2)).unwrap();
        let second = std::net::TcpStream::connect(addr).unwrap();
        let (_b, peer_b) = accept_one(&mut listener, Duration::from_secs(2))
            .expect("a second accept_one failed: deregister the listener before returning");
        assert_eq!(peer_a, first.local_addr().unwrap());
        assert_eq!(peer_b, second.local_addr().unwrap());
    }
}
