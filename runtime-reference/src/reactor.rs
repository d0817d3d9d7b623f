//! The reactor: `mio::Poll` plus a map from tokens to readiness state (course chapters 08–09).
//!
//! A source is registered once and gets a [`Registration`]. A future that wants to read asks
//! the registration whether the source is readable; if not, the registration stores the
//! future's waker and the reactor wakes it when `epoll`/`kqueue` reports an event for the
//! token. Readiness is only a hint: the operation is tried, and a `WouldBlock` clears the
//! readiness so the next attempt waits for a fresh event.
//!
//! The reactor stands alone: it needs mio and wakers, not an executor. Here it runs by hand;
//! inside a runtime, the driver calls [`Reactor::wait`] when no task is ready, and
//! `Registered::new` registers with that runtime's reactor.
//!
//! ```
//! use runtime_reference::reactor::{Direction, Reactor, Registered};
//! use std::task::{Context, Poll, Waker};
//! use std::time::Duration;
//!
//! let reactor = Reactor::new().unwrap();
//! let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! std_listener.set_nonblocking(true).unwrap();
//! let addr = std_listener.local_addr().unwrap();
//! let listener = mio::net::TcpListener::from_std(std_listener);
//! let listener = Registered::with_reactor(listener, &reactor).unwrap();
//!
//! let mut cx = Context::from_waker(Waker::noop());
//! let mut accept = |cx: &mut Context<'_>| listener.poll_io(cx, Direction::Read, |l| l.accept());
//! assert!(accept(&mut cx).is_pending()); // nobody has connected: the waker is stored
//!
//! let _client = std::net::TcpStream::connect(addr).unwrap();
//! while reactor.wait(Some(Duration::from_secs(1))).unwrap() == 0 {} // the listener's event
//! assert!(matches!(accept(&mut cx), Poll::Ready(Ok(_))));
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mio::event::Source;
use mio::{Events, Interest, Poll as MioPoll, Token};

use crate::lock::lock;

/// The token reserved for the reactor's own `mio::Waker`.
const WAKE_TOKEN: Token = Token(0);

const READABLE: usize = 0b0001;
const WRITABLE: usize = 0b0010;
const READ_CLOSED: usize = 0b0100;
const WRITE_CLOSED: usize = 0b1000;
const READINESS_MASK: usize = 0b1111;
/// Each event bumps a tick stored above the readiness bits, so that clearing readiness after a
/// `WouldBlock` cannot erase an event that arrived in between.
const TICK_SHIFT: u32 = 8;

/// Which half of a source an operation waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Reading (and accepting).
    Read,
    /// Writing (and finishing a connect).
    Write,
}

impl Direction {
    fn mask(self) -> usize {
        match self {
            // A closed half counts as ready: the next read returns 0 or the error.
            Direction::Read => READABLE | READ_CLOSED,
            Direction::Write => WRITABLE | WRITE_CLOSED,
        }
    }
}

/// The readiness the reactor reported for a source, and the tick at which it saw it.
#[derive(Debug, Clone, Copy)]
pub struct ReadyEvent {
    tick: usize,
    direction: Direction,
}

/// Per-source state shared by the reactor (which sets readiness) and the futures (which read
/// it and leave their wakers).
#[derive(Default)]
struct ScheduledIo {
    readiness: AtomicUsize,
    reader: Mutex<Option<Waker>>,
    writer: Mutex<Option<Waker>>,
}

impl ScheduledIo {
    fn waker_slot(&self, dir: Direction) -> &Mutex<Option<Waker>> {
        match dir {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        }
    }

    fn ready_event(&self, dir: Direction) -> Option<ReadyEvent> {
        let cur = self.readiness.load(Ordering::SeqCst);
        (cur & dir.mask() != 0).then_some(ReadyEvent {
            tick: cur >> TICK_SHIFT,
            direction: dir,
        })
    }

    fn set_readiness(&self, bits: usize) {
        let _ = self
            .readiness
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| {
                let tick = (cur >> TICK_SHIFT).wrapping_add(1);
                Some((tick << TICK_SHIFT) | (cur & READINESS_MASK) | bits)
            });
        for dir in [Direction::Read, Direction::Write] {
            if bits & dir.mask() != 0 {
                let waker = lock(self.waker_slot(dir)).take();
                if let Some(w) = waker {
                    w.wake();
                }
            }
        }
    }
}

/// The reactor. Any thread may register sources; one thread at a time waits in
/// [`Reactor::wait`].
pub struct Reactor {
    poll: Mutex<(MioPoll, Events)>,
    registry: mio::Registry,
    waker: mio::Waker,
    sources: Mutex<HashMap<usize, Arc<ScheduledIo>>>,
    // Tokens are never reused, so a late event for a closed source finds no entry and is
    // dropped instead of waking whoever got the token next.
    next_token: AtomicUsize,
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("sources", &self.source_count())
            .finish()
    }
}

impl Reactor {
    /// A reactor with its own `epoll`/`kqueue` instance.
    pub fn new() -> io::Result<Arc<Reactor>> {
        let poll = MioPoll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(&registry, WAKE_TOKEN)?;
        Ok(Arc::new(Reactor {
            poll: Mutex::new((poll, Events::with_capacity(1024))),
            registry,
            waker,
            sources: Mutex::new(HashMap::new()),
            next_token: AtomicUsize::new(1),
        }))
    }

    /// Register `source` for both directions (edge-triggered).
    pub fn register(self: &Arc<Self>, source: &mut impl Source) -> io::Result<Registration> {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let io = Arc::new(ScheduledIo::default());
        lock(&self.sources).insert(token, Arc::clone(&io));
        if let Err(e) = self.registry.register(
            source,
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            self.remove(token);
            return Err(e);
        }
        Ok(Registration {
            reactor: Arc::clone(self),
            token,
            io,
        })
    }

    fn remove(&self, token: usize) {
        lock(&self.sources).remove(&token);
    }

    /// How many sources are registered right now (a closed source leaves no entry).
    pub fn source_count(&self) -> usize {
        lock(&self.sources).len()
    }

    /// Wait for events (at most `timeout`; `None` is forever) and wake the futures waiting on
    /// them. Returns how many source events were dispatched.
    pub fn wait(&self, timeout: Option<Duration>) -> io::Result<usize> {
        let mut guard = lock(&self.poll);
        let (poll, events) = &mut *guard;
        match poll.poll(events, timeout) {
            Ok(()) => {}
            // A signal interrupted the wait: report nothing, the caller loops anyway.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(0),
            Err(e) => return Err(e),
        }
        let mut dispatched = 0;
        for event in events.iter() {
            if event.token() == WAKE_TOKEN {
                continue;
            }
            let io = lock(&self.sources).get(&event.token().0).cloned();
            // A stale token (the source was dropped after the event was queued): nothing to do.
            let Some(io) = io else { continue };
            let mut bits = 0;
            if event.is_readable() {
                bits |= READABLE;
            }
            if event.is_writable() {
                bits |= WRITABLE;
            }
            if event.is_read_closed() {
                bits |= READ_CLOSED;
            }
            if event.is_write_closed() {
                bits |= WRITE_CLOSED;
            }
            if event.is_error() {
                bits |= READ_CLOSED | WRITE_CLOSED;
            }
            io.set_readiness(bits);
            dispatched += 1;
        }
        Ok(dispatched)
    }

    /// Drop every stored waker (runtime shutdown), breaking task -> source -> waker cycles.
    pub(crate) fn clear_wakers(&self) {
        let sources: Vec<_> = lock(&self.sources).values().cloned().collect();
        for io in sources {
            for dir in [Direction::Read, Direction::Write] {
                let waker = lock(io.waker_slot(dir)).take();
                drop(waker);
            }
        }
    }

    /// Make a concurrent or the next [`wait`](Reactor::wait) return at once.
    pub fn unpark(&self) {
        // Failure means the wake-up fd is broken; the next timeout still wakes the waiter.
        let _ = self.waker.wake();
    }
}

/// A source's entry in the reactor; dropping it removes the entry.
pub struct Registration {
    reactor: Arc<Reactor>,
    token: usize,
    io: Arc<ScheduledIo>,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("token", &self.token)
            .finish()
    }
}

impl Registration {
    /// `Ready` when the reactor has reported readiness for `dir` that no `WouldBlock` has
    /// cleared since; otherwise stores the waker and returns `Pending`.
    pub fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<ReadyEvent> {
        if let Some(ev) = self.io.ready_event(dir) {
            return Poll::Ready(ev);
        }
        {
            let mut slot = lock(self.io.waker_slot(dir));
            // Keep the latest waker: the same future may be polled by a different task (it
            // was moved into a spawned task, or a select changed hands), and waking the old
            // one would wake the wrong task.
            match &*slot {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *slot = Some(cx.waker().clone()),
            }
        }
        // The event may have landed between the check above and storing the waker.
        match self.io.ready_event(dir) {
            Some(ev) => Poll::Ready(ev),
            None => Poll::Pending,
        }
    }

    /// Wait until the reactor reports readiness for `dir`.
    pub async fn ready(&self, dir: Direction) -> ReadyEvent {
        poll_fn(|cx| self.poll_ready(cx, dir)).await
    }

    /// Forget the readiness `ev` reported, unless a newer event has arrived since.
    pub fn clear_readiness(&self, ev: ReadyEvent) {
        let bit = match ev.direction {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        };
        let _ = self
            .io
            .readiness
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| {
                (cur >> TICK_SHIFT == ev.tick).then_some(cur & !bit)
            });
    }

    /// Try `op` whenever the source is ready for `dir`; a `WouldBlock` (spurious or stale
    /// readiness) clears the readiness and waits again, any other result is returned.
    pub fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let ev = match self.poll_ready(cx, dir) {
                Poll::Ready(ev) => ev,
                Poll::Pending => return Poll::Pending,
            };
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(ev),
                res => return Poll::Ready(res),
            }
        }
    }

    /// The reactor this registration belongs to.
    pub fn reactor(&self) -> &Arc<Reactor> {
        &self.reactor
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.reactor.remove(self.token);
    }
}

/// A mio source registered with a reactor; deregistered when dropped.
///
/// `Registered::new`, which uses the reactor of the runtime this thread is running in, is
/// defined in `context.rs`: the reactor stands alone and knows nothing of runtimes.
pub struct Registered<S: Source> {
    source: S,
    registration: Registration,
}

impl<S: Source + fmt::Debug> fmt::Debug for Registered<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registered")
            .field("source", &self.source)
            .field("registration", &self.registration)
            .finish()
    }
}

impl<S: Source> Registered<S> {
    /// Register `source` with a given reactor.
    pub fn with_reactor(mut source: S, reactor: &Arc<Reactor>) -> io::Result<Self> {
        let registration = reactor.register(&mut source)?;
        Ok(Self {
            source,
            registration,
        })
    }

    /// The source, for operations that do not wait.
    pub fn get_ref(&self) -> &S {
        &self.source
    }

    /// The registration, for hand-written `poll_*` methods.
    pub fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Poll `op` on the source until it stops returning `WouldBlock`.
    pub fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.registration.poll_io(cx, dir, || op(&self.source))
    }

    /// Await `op` on the source until it stops returning `WouldBlock`.
    pub async fn io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(cx, dir, &mut op)).await
    }
}

impl<S: Source> Drop for Registered<S> {
    fn drop(&mut self) {
        // Deregister before the fd closes so the kernel drops its interest list entry;
        // the `Registration` drop that follows removes our map entry.
        let _ = self
            .registration
            .reactor
            .registry
            .deregister(&mut self.source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::CountingWaker;
    use std::io::{Read, Write};

    fn pair() -> (mio::net::TcpStream, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        (mio::net::TcpStream::from_std(server), client)
    }

    #[test]
    fn an_event_wakes_the_latest_waker_only() {
        let reactor = Reactor::new().unwrap();
        let (server, mut client) = pair();
        let io = Registered::with_reactor(server, &reactor).unwrap();
        // Drain the initial writable event so the read side is what we observe.
        reactor.wait(Some(Duration::ZERO)).unwrap();
        let (a, b) = (CountingWaker::new(), CountingWaker::new());
        let mut buf = [0u8; 8];
        let mut read = |w: &Waker| {
            io.poll_io(&mut Context::from_waker(w), Direction::Read, |mut s| {
                s.read(&mut buf)
            })
        };
        assert!(read(&a.waker()).is_pending());
        assert!(read(&b.waker()).is_pending());
        client.write_all(b"hi").unwrap();
        while b.count() == 0 {
            reactor.wait(Some(Duration::from_millis(100))).unwrap();
        }
        assert_eq!(a.count(), 0, "a replaced waker must not be woken");
        assert!(matches!(read(&b.waker()), Poll::Ready(Ok(2))));
    }

    #[test]
    fn spurious_readiness_is_retried_not_returned() {
        let reactor = Reactor::new().unwrap();
        let (server, _client) = pair();
        let io = Registered::with_reactor(server, &reactor).unwrap();
        // Pretend the reactor reported readability although no data is there.
        io.registration.io.set_readiness(READABLE);
        let w = CountingWaker::new();
        let mut buf = [0u8; 8];
        let res = io.poll_io(
            &mut Context::from_waker(&w.waker()),
            Direction::Read,
            |mut s| s.read(&mut buf),
        );
        assert!(
            res.is_pending(),
            "WouldBlock after a spurious event means wait again"
        );
        assert!(io.registration.io.ready_event(Direction::Read).is_none());
    }

    #[test]
    fn clearing_stale_readiness_keeps_a_newer_event() {
        let reactor = Reactor::new().unwrap();
        let (server, _client) = pair();
        let io = Registered::with_reactor(server, &reactor).unwrap();
        io.registration.io.set_readiness(READABLE);
        let old = io.registration.io.ready_event(Direction::Read).unwrap();
        io.registration.io.set_readiness(READABLE); // a new event after our WouldBlock
        io.registration.clear_readiness(old);
        assert!(io.registration.io.ready_event(Direction::Read).is_some());
    }

    #[test]
    fn dropping_a_source_leaves_no_entry_and_stale_events_are_ignored() {
        let reactor = Reactor::new().unwrap();
        let (server, mut client) = pair();
        let io = Registered::with_reactor(server, &reactor).unwrap();
        assert_eq!(reactor.source_count(), 1);
        client.write_all(b"x").unwrap();
        drop(io);
        assert_eq!(reactor.source_count(), 0);
        reactor.wait(Some(Duration::from_millis(5))).unwrap();
    }

    #[test]
    fn unpark_interrupts_a_wait() {
        let reactor = Reactor::new().unwrap();
        let r = Arc::clone(&reactor);
        let t = std::thread::spawn(move || r.wait(None).unwrap());
        std::thread::sleep(Duration::from_millis(5));
        reactor.unpark();
        assert_eq!(t.join().unwrap(), 0);
    }
}
