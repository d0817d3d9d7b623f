// reactor1: a reactor that turns mio events into wake-ups
//
// A reactor owns one `mio::Poll` and remembers, for every registered socket, which waker to call
// when the operating system says that socket is ready. Futures register their socket and go to
// sleep (`Pending`); the executor calls `wait`, which blocks in the OS until something is ready
// and wakes exactly the futures whose sockets had events.
//
// Implement `register` (a fresh token per source, registered with mio, its waker remembered) and
// `wait` (poll mio, then wake the waker stored under each event's token). Leave `new` and the
// tests alone.

use mio::event::Source;
use mio::{Events, Interest, Poll, Token};
use std::collections::HashMap;
use std::io;
use std::task::Waker;
use std::time::Duration;

pub struct Reactor {
    poll: Poll,
    events: Events,
    wakers: HashMap<Token, Waker>,
    next_token: usize,
}

impl Reactor {
    pub fn new() -> io::Result<Self> {
        Ok(Reactor {
            poll: Poll::new()?,
            events: Events::with_capacity(64),
            wakers: HashMap::new(),
            next_token: 0,
        })
    }

    /// Registers `source` with mio under a token no other source has, remembers `waker` for that
    /// token, and returns the token.
    pub fn register(
        &mut self,
        source: &mut impl Source,
        interest: Interest,
        waker: Waker,
    ) -> io::Result<Token> {
        // TODO: pick a token no other source has (see `next_token`), register `source` with
        // `self.poll.registry()`, and remember `waker` under that token.
        todo!()
    }

    /// Blocks until at least one registered source is ready or `timeout` passes, then wakes the
    /// waker of every source that had an event. Returns how many wakers it woke.
    pub fn wait(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        // TODO: poll mio into `self.events`, then for each event wake the waker stored under
        // `event.token()` (`wake_by_ref`: the waker stays registered). Count the wakers you woke.
        todo!()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::net::TcpListener;
    use runtime_reference::testing::CountingWaker;

    /// Long enough for an event that is already there (the client connected before `wait`).
    const LONG: Option<Duration> = Some(Duration::from_millis(500));

    fn listener() -> TcpListener {
        TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap()
    }

    #[test]
    fn one_token_for_every_source_is_rejected() {
        let mut reactor = Reactor::new().unwrap();
        let (mut a, mut b) = (listener(), listener());
        let w = CountingWaker::new();
        let ta = reactor
            .register(&mut a, Interest::READABLE, w.waker())
            .unwrap();
        let tb = reactor
            .register(&mut b, Interest::READABLE, w.waker())
            .unwrap();
        assert_ne!(
            ta, tb,
            "two sources got the same token: their events could not be told apart"
        );
    }

    #[test]
    fn event_that_wakes_nobody_is_rejected() {
        let mut reactor = Reactor::new().unwrap();
        let mut l = listener();
        let w = CountingWaker::new();
        reactor
            .register(&mut l, Interest::READABLE, w.waker())
            .unwrap();
        let _client = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let woken = reactor.wait(LONG).unwrap();
        assert_eq!(
            w.count(),
            1,
            "a connection arrived but the listener's waker was not woken"
        );
        assert_eq!(woken, 1, "wait should return how many wakers it woke");
    }

    #[test]
    fn waking_every_waker_on_any_event_is_rejected() {
        let mut reactor = Reactor::new().unwrap();
        let (mut a, mut b) = (listener(), listener());
        let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
        reactor
            .register(&mut a, Interest::READABLE, wa.waker())
            .unwrap();
        reactor
            .register(&mut b, Interest::READABLE, wb.waker())
            .unwrap();
        let _client = std::net::TcpStream::connect(b.local_addr().unwrap()).unwrap();
        reactor.wait(LONG).unwrap();
        assert_eq!(wb.count(), 1, "the ready listener's waker was not woken");
        assert_eq!(
            wa.count(),
            0,
            "a listener with no connection was woken: wake only the event's token"
        );
    }

    #[test]
    fn waker_dropped_after_its_first_event_is_rejected() {
        let mut reactor = Reactor::new().unwrap();
        let mut l = listener();
        let w = CountingWaker::new();
        reactor
            .register(&mut l, Interest::READABLE, w.waker())
            .unwrap();
        let _first = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        reactor.wait(LONG).unwrap();
        // Take the connection, so the next one is a new readiness event.
        l.accept().unwrap();
        let _second = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        reactor.wait(LONG).unwrap();
        assert_eq!(
            w.count(),
            2,
            "two connections, two events, but the listener was not woken for the second: the \
             waker stays registered (wake_by_ref), a socket has events again and again"
        );
    }

    #[test]
    fn waking_without_an_event_is_rejected() {
        let mut reactor = Reactor::new().unwrap();
        let mut l = listener();
        let w = CountingWaker::new();
        reactor
            .register(&mut l, Interest::READABLE, w.waker())
            .unwrap();
        // On a thread, so a wait that ignores its timeout fails instead of blocking forever.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let woken = reactor.wait(Some(Duration::from_millis(5))).unwrap();
            let _ = tx.send((woken, l));
        });
        let (woken, _l) = rx.recv_timeout(Duration::from_millis(500)).expect(
            "wait(Some(5 ms)) with nothing ready did not return: pass the timeout to mio's poll",
        );
        assert_eq!(
            (woken, w.count()),
            (0, 0),
            "nothing was ready, yet a waker was woken"
        );
    }
}
