// wrong answer: returns Pending on WouldBlock without filing the waker; `pending_without_filing_the_waker_is_rejected` catches it.
// io4: from readiness events to wakers
//
// io3 read the data right where the event arrived. An async runtime splits that in two:
//
//   - the *future* tries to read; on `WouldBlock` it files its waker under its socket's
//     `Token` and returns `Pending`;
//   - the *event loop* reads nothing: for each event it takes the waker filed under that
//     token and wakes it. The task is polled again and its future does the read.
//
// This is the whole bridge between the operating system and `Future`, and the core of the
// reactor you build in chapter 09.
//
// Write the `WouldBlock` arm of `ReadSome::poll`, and `dispatch`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use mio::net::TcpStream;
use mio::{Events, Token};

/// Who is waiting for which socket.
type Wakers = Rc<RefCell<HashMap<Token, Waker>>>;

/// Reads whatever is available (at most 1 KiB) from a registered non-blocking stream.
struct ReadSome<'a> {
    stream: &'a mut TcpStream,
    token: Token,
    wakers: Wakers,
}

impl Future for ReadSome<'_> {
    type Output = io::Result<Vec<u8>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut buf = [0u8; 1024];
        match this.stream.read(&mut buf) {
            Ok(n) => Poll::Ready(Ok(buf[..n].to_vec())),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Filed under our token; a newer waker replaces an older one.
                let _ = cx;
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

/// For every event, wakes (and forgets) the waker filed under its token. Reads nothing.
fn dispatch(events: &Events, wakers: &Wakers) {
    for event in events {
        // Removed before waking: the map is not borrowed while the waker runs, and a woken
        // task files a fresh waker when it next returns Pending.
        let waker = wakers.borrow_mut().remove(&event.token());
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

fn main() {
    println!("run the tests: asyncling run io4");
}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::{Interest, Poll as MioPoll};
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::{Duration, Instant};

    /// A blocking std client and a non-blocking mio server side registered under `token`.
    fn pair(poll: &MioPoll, token: Token) -> (std::net::TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        let mut server = TcpStream::from_std(server);
        poll.registry()
            .register(&mut server, token, Interest::READABLE)
            .unwrap();
        (client, server)
    }

    /// Polls mio until an event for `token` arrives (at most a second), dispatching all.
    fn dispatch_until(poll: &mut MioPoll, wakers: &Wakers, token: Token) {
        let mut events = Events::with_capacity(8);
        let limit = Instant::now() + Duration::from_secs(1);
        loop {
            poll.poll(&mut events, Some(Duration::from_millis(20)))
                .unwrap();
            dispatch(&events, wakers);
            if events.iter().any(|e| e.token() == token) {
                return;
            }
            assert!(Instant::now() < limit, "no readable event arrived");
        }
    }

    #[test]
    fn pending_without_filing_the_waker_is_rejected() {
        let poll = MioPoll::new().unwrap();
        let (_client, mut server) = pair(&poll, Token(1));
        let wakers = Wakers::default();
        let counter = CountingWaker::new();
        let mut fut = ReadSome {
            stream: &mut server,
            token: Token(1),
            wakers: wakers.clone(),
        };
        assert!(poll_once(Pin::new(&mut fut), &counter.waker()).is_pending());
        let filed = wakers
            .borrow()
            .get(&Token(1))
            .map(|w| w.will_wake(&counter.waker()));
        assert_eq!(
            filed,
            Some(true),
            "on WouldBlock the future must file its waker under its token"
        );
    }

    #[test]
    fn event_wakes_only_the_task_on_that_socket() {
        let mut poll = MioPoll::new().unwrap();
        let (mut client_a, mut server_a) = pair(&poll, Token(1));
        let (_client_b, mut server_b) = pair(&poll, Token(2));
        let wakers = Wakers::default();
        let (woken_a, woken_b) = (CountingWaker::new(), CountingWaker::new());
        let mut read_a = ReadSome {
            stream: &mut server_a,
            token: Token(1),
            wakers: wakers.clone(),
        };
        let mut read_b = ReadSome {
            stream: &mut server_b,
            token: Token(2),
            wakers: wakers.clone(),
        };
        assert!(poll_once(Pin::new(&mut read_a), &woken_a.waker()).is_pending());
        assert!(poll_once(Pin::new(&mut read_b), &woken_b.waker()).is_pending());

        client_a.write_all(b"ping").unwrap();
        dispatch_until(&mut poll, &wakers, Token(1));
        assert_eq!(
            woken_a.count(),
            1,
            "the event for socket A must wake A's task"
        );
        assert_eq!(
            woken_b.count(),
            0,
            "socket B had no event: its task must not be woken"
        );
        assert!(
            !wakers.borrow().contains_key(&Token(1)),
            "a waker that fired must be removed, not kept for the next event"
        );
        assert!(wakers.borrow().contains_key(&Token(2)));

        match poll_once(Pin::new(&mut read_a), &woken_a.waker()) {
            Poll::Ready(Ok(bytes)) => assert_eq!(
                bytes, b"ping",
                "the woken future must find the data still in the socket: dispatch reads nothing"
            ),
            other => panic!("after its wake-up the future must be ready, got {other:?}"),
        }
    }

    #[test]
    fn waking_an_old_waker_is_rejected() {
        let mut poll = MioPoll::new().unwrap();
        let (mut client, mut server) = pair(&poll, Token(7));
        let wakers = Wakers::default();
        let (old, new) = (CountingWaker::new(), CountingWaker::new());
        let mut fut = ReadSome {
            stream: &mut server,
            token: Token(7),
            wakers: wakers.clone(),
        };
        assert!(poll_once(Pin::new(&mut fut), &old.waker()).is_pending());
        assert!(poll_once(Pin::new(&mut fut), &new.waker()).is_pending());
        client.write_all(b"x").unwrap();
        dispatch_until(&mut poll, &wakers, Token(7));
        assert_eq!(
            (old.count(), new.count()),
            (0, 1),
            "only the latest waker counts"
        );
    }

    #[test]
    fn event_without_a_waiting_task_is_ignored() {
        let mut poll = MioPoll::new().unwrap();
        let (mut client, _server) = pair(&poll, Token(3));
        client.write_all(b"nobody listens").unwrap();
        let wakers = Wakers::default();
        dispatch_until(&mut poll, &wakers, Token(3));
        assert!(wakers.borrow().is_empty());
    }
}
