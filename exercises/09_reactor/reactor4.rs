// reactor4: readiness is only a hint
//
// A wake-up from the reactor means "this socket may be ready now", never "a read will succeed".
// Another task may have drained the socket, the OS may report readiness spuriously, or the waker
// was called for an unrelated reason. So an I/O future always *tries* the operation, and treats
// `WouldBlock` as "not yet": it makes sure the reactor will wake the current task, and returns
// `Pending` again.
//
//   poll_read:  try read --Ok(n)--------> Ready(Ok(n))
//                        --WouldBlock---> registered? update the waker : register; Pending
//                        --other error--> Ready(Err(e))
//
// Implement `AsyncStream::poll_read`. A socket is registered with the reactor only once; after
// that, every `Pending` stores the newest waker with `set_waker`.

use mio::event::Source;
use mio::net::TcpStream;
use mio::{Events, Interest, Token};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Read};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

pub struct Reactor {
    poll: mio::Poll,
    events: Events,
    wakers: HashMap<Token, Waker>,
    next_token: usize,
}

impl Reactor {
    pub fn new() -> io::Result<Self> {
        Ok(Reactor {
            poll: mio::Poll::new()?,
            events: Events::with_capacity(64),
            wakers: HashMap::new(),
            next_token: 0,
        })
    }

    /// Registers `source`; registering a source mio already watches is an error.
    pub fn register(
        &mut self,
        source: &mut impl Source,
        interest: Interest,
        waker: Waker,
    ) -> io::Result<Token> {
        let token = Token(self.next_token);
        self.next_token += 1;
        self.poll.registry().register(source, token, interest)?;
        self.wakers.insert(token, waker);
        Ok(token)
    }

    /// Replaces the waker stored for an existing registration.
    pub fn set_waker(&mut self, token: Token, waker: Waker) {
        self.wakers.insert(token, waker);
    }

    pub fn wait(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        self.poll.poll(&mut self.events, timeout)?;
        let mut woken = 0;
        for event in self.events.iter() {
            if let Some(waker) = self.wakers.get(&event.token()) {
                waker.wake_by_ref();
                woken += 1;
            }
        }
        Ok(woken)
    }

    pub fn registrations(&self) -> usize {
        self.wakers.len()
    }
}

pub struct AsyncStream {
    stream: TcpStream,
    token: Option<Token>,
    reactor: Rc<RefCell<Reactor>>,
}

impl AsyncStream {
    pub fn new(stream: TcpStream, reactor: Rc<RefCell<Reactor>>) -> Self {
        AsyncStream {
            stream,
            token: None,
            reactor,
        }
    }

    /// Reads into `buf`, or arranges for `cx`'s waker to be woken when the socket may be readable.
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        // TODO: try `self.stream.read(buf)` first.
        // - Ok(n): ready.
        // - WouldBlock: not yet. Register with the reactor if this stream has no token yet,
        //   otherwise `set_waker` the current waker. Return Pending.
        // - Interrupted: try again. Any other error: ready with the error.
        todo!()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::CountingWaker;
    use std::io::Write;

    /// Long enough for data that was written before `wait` was called.
    const LONG: Option<Duration> = Some(Duration::from_millis(500));

    /// A connected pair: our non-blocking mio end, and a plain blocking client end.
    fn pair() -> (TcpStream, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        (TcpStream::from_std(server), client)
    }

    fn setup() -> (AsyncStream, std::net::TcpStream, Rc<RefCell<Reactor>>) {
        let reactor = Rc::new(RefCell::new(Reactor::new().unwrap()));
        let (server, client) = pair();
        (AsyncStream::new(server, reactor.clone()), client, reactor)
    }

    #[test]
    fn trusting_a_spurious_wake_is_rejected() {
        let (mut stream, mut client, reactor) = setup();
        let w = CountingWaker::new();
        let mut buf = [0u8; 16];
        let first = stream.poll_read(&mut Context::from_waker(&w.waker()), &mut buf);
        assert!(
            first.is_pending(),
            "no data was sent yet, so the first poll must be Pending"
        );
        // A wake-up with nothing to read: the task is polled again.
        w.waker().wake();
        let again = stream.poll_read(&mut Context::from_waker(&w.waker()), &mut buf);
        assert!(
            again.is_pending(),
            "polled after a spurious wake with no data, poll_read returned {again:?}: \
             a wake is a hint, try the read and treat WouldBlock as Pending"
        );
        client.write_all(b"hello").unwrap();
        reactor.borrow_mut().wait(LONG).unwrap();
        let ready = stream.poll_read(&mut Context::from_waker(&w.waker()), &mut buf);
        assert!(
            matches!(ready, Poll::Ready(Ok(5))),
            "after real data arrived: {ready:?}"
        );
        assert_eq!(&buf[..5], b"hello");
    }

    #[test]
    fn registering_on_every_pending_is_rejected() {
        let (mut stream, _client, reactor) = setup();
        let w = CountingWaker::new();
        let mut buf = [0u8; 16];
        for _ in 0..3 {
            let r = stream.poll_read(&mut Context::from_waker(&w.waker()), &mut buf);
            assert!(
                r.is_pending(),
                "with no data every poll must be Pending, got {r:?}"
            );
        }
        assert_eq!(
            reactor.borrow().registrations(),
            1,
            "the socket must be registered once"
        );
    }

    #[test]
    fn keeping_the_first_waker_is_rejected() {
        let (mut stream, mut client, reactor) = setup();
        let (a, b) = (CountingWaker::new(), CountingWaker::new());
        let mut buf = [0u8; 16];
        assert!(
            stream
                .poll_read(&mut Context::from_waker(&a.waker()), &mut buf)
                .is_pending()
        );
        assert!(
            stream
                .poll_read(&mut Context::from_waker(&b.waker()), &mut buf)
                .is_pending()
        );
        client.write_all(b"x").unwrap();
        reactor.borrow_mut().wait(LONG).unwrap();
        assert_eq!(b.count(), 1, "the waker from the latest poll was not woken");
        assert_eq!(
            a.count(),
            0,
            "a waker from an earlier poll was woken instead of the latest"
        );
    }

    #[test]
    fn waiting_for_readiness_before_reading_is_rejected() {
        let (mut stream, mut client, reactor) = setup();
        client.write_all(b"already here").unwrap();
        // Wait until the bytes have crossed loopback (peeking leaves them in the socket).
        let start = std::time::Instant::now();
        while stream.stream.peek(&mut [0u8; 32]).map_or(true, |n| n < 12) {
            assert!(
                start.elapsed() < Duration::from_millis(500),
                "the data never arrived"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        let w = CountingWaker::new();
        let mut buf = [0u8; 32];
        let r = stream.poll_read(&mut Context::from_waker(&w.waker()), &mut buf);
        assert!(
            matches!(r, Poll::Ready(Ok(12))),
            "data was already there: try the read first, got {r:?}"
        );
        assert_eq!(
            reactor.borrow().registrations(),
            0,
            "a read that succeeded needs no registration"
        );
    }
}
