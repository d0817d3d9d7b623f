// reactor2: registrations end
//
// A socket that is done must leave the reactor: its entry in mio (or the same socket cannot be
// registered again, and the OS keeps reporting its events until it is closed) and its waker in
// the map (or the map grows with every connection and holds tasks alive). And because events
// are collected in a batch before they are dispatched, an event can arrive for a token that was
// deregistered a moment ago: that event must be ignored, not crash the reactor.
//
// Implement `deregister`, and fix `wake` so that a token with no entry is a no-op.

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

    /// Stops watching `source`, which was registered under `token`, and forgets its waker.
    pub fn deregister(&mut self, source: &mut impl Source, token: Token) -> io::Result<()> {
        // TODO: tell mio to stop watching `source`, and drop the waker stored under `token`.
        todo!()
    }

    /// Wakes the waker stored under `token`. Returns whether there was one.
    pub fn wake(&mut self, token: Token) -> bool {
        // TODO: this line panics when `token` has no entry. Make that case return `false`.
        self.wakers[&token].wake_by_ref();
        true
    }

    pub fn wait(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        self.poll.poll(&mut self.events, timeout)?;
        let tokens: Vec<Token> = self.events.iter().map(|e| e.token()).collect();
        Ok(tokens.into_iter().filter(|t| self.wake(*t)).count())
    }

    /// How many registrations the reactor holds.
    pub fn registrations(&self) -> usize {
        self.wakers.len()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::net::TcpListener;
    use runtime_reference::testing::CountingWaker;

    fn listener() -> TcpListener {
        TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap()
    }

    #[test]
    fn deregister_that_keeps_the_waker_is_rejected() {
        let mut reactor = Reactor::new().unwrap();
        let (mut a, mut b) = (listener(), listener());
        let w = CountingWaker::new();
        let ta = reactor
            .register(&mut a, Interest::READABLE, w.waker())
            .unwrap();
        reactor
            .register(&mut b, Interest::READABLE, w.waker())
            .unwrap();
        reactor.deregister(&mut a, ta).unwrap();
        assert_eq!(
            reactor.registrations(),
            1,
            "after deregistering one of two sources exactly one registration must remain"
        );
    }

    #[test]
    fn deregister_that_forgets_only_the_waker_is_rejected() {
        let mut reactor = Reactor::new().unwrap();
        let mut a = listener();
        let w = CountingWaker::new();
        let ta = reactor
            .register(&mut a, Interest::READABLE, w.waker())
            .unwrap();
        reactor.deregister(&mut a, ta).unwrap();
        let again = reactor.register(&mut a, Interest::READABLE, w.waker());
        assert!(
            again.is_ok(),
            "registering the source again failed ({:?}): mio still has it, call registry().deregister",
            again.err()
        );
    }

    #[test]
    fn deregister_that_drops_other_entries_is_rejected() {
        let mut reactor = Reactor::new().unwrap();
        let (mut a, mut b) = (listener(), listener());
        let (wa, wb) = (CountingWaker::new(), CountingWaker::new());
        let ta = reactor
            .register(&mut a, Interest::READABLE, wa.waker())
            .unwrap();
        reactor
            .register(&mut b, Interest::READABLE, wb.waker())
            .unwrap();
        reactor.deregister(&mut a, ta).unwrap();
        let _client = std::net::TcpStream::connect(b.local_addr().unwrap()).unwrap();
        reactor.wait(Some(Duration::from_millis(500))).unwrap();
        assert_eq!(wb.count(), 1, "the source still registered was not woken");
    }

    #[test]
    fn stale_token_panicking_is_rejected() {
        let mut reactor = Reactor::new().unwrap();
        let mut a = listener();
        let w = CountingWaker::new();
        let ta = reactor
            .register(&mut a, Interest::READABLE, w.waker())
            .unwrap();
        reactor.deregister(&mut a, ta).unwrap();
        let woke = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reactor.wake(ta)));
        assert_eq!(
            woke.ok(),
            Some(false),
            "an event for a deregistered token must be ignored"
        );
        assert_eq!(w.count(), 0, "a deregistered source's waker was woken");
    }
}
