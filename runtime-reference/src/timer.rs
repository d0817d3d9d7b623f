//! The timer store: pending deadlines in order, and the clock they are measured on (course
//! chapter 12).
//!
//! This is the part of the timers that the driver waits on. It knows nothing of the driver or
//! of the runtime around it, so it can be built and tested alone (chapter 12's exercises build
//! the same store by hand from `TimerHeap` and `TestClock`). The futures that use it (`sleep`,
//! `timeout`, `interval`) are in `time`, which re-exports the public types of this module.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Instant;

use crate::lock::lock;

/// Identifies one entry of a [`TimerHeap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimerKey {
    deadline: Instant,
    id: u64,
}

/// Pending deadlines in order, each with the waker to call when it expires.
///
/// A `BinaryHeap<Reverse<_>>` gives the earliest deadline just as well, but cannot remove an
/// entry when its `Sleep` is dropped; an ordered map can, so cancelled timers leave nothing
/// behind.
#[derive(Debug, Default)]
pub struct TimerHeap {
    entries: BTreeMap<TimerKey, Waker>,
    next_id: u64,
}

impl TimerHeap {
    /// An empty heap.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a deadline; the id makes equal deadlines distinct entries.
    pub fn insert(&mut self, deadline: Instant, waker: Waker) -> TimerKey {
        let key = TimerKey {
            deadline,
            id: self.next_id,
        };
        self.next_id += 1;
        self.entries.insert(key, waker);
        key
    }

    /// Replace the waker of a pending entry. Returns `false` if the entry is gone (it fired).
    pub fn update_waker(&mut self, key: TimerKey, waker: &Waker) -> bool {
        match self.entries.get_mut(&key) {
            Some(w) => {
                if !w.will_wake(waker) {
                    *w = waker.clone();
                }
                true
            }
            None => false,
        }
    }

    /// Remove an entry; `false` if it was not there.
    pub fn remove(&mut self, key: TimerKey) -> bool {
        self.entries.remove(&key).is_some()
    }

    /// The earliest pending deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.entries.first_key_value().map(|(k, _)| k.deadline)
    }

    /// Remove every entry whose deadline is at or before `now` and return their wakers, in
    /// deadline order. The caller wakes them after releasing any lock on the heap.
    pub fn take_expired(&mut self, now: Instant) -> Vec<Waker> {
        let mut fired = Vec::new();
        while let Some(entry) = self.entries.first_entry() {
            if entry.key().deadline > now {
                break;
            }
            fired.push(entry.remove());
        }
        fired
    }

    /// Pending entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is pending.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drop every entry (runtime shutdown).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// A clock that moves only when told to, such as `testing::TestClock`.
pub trait ManualClock: Send + Sync + fmt::Debug {
    /// The current time of this clock.
    fn now(&self) -> Instant;

    /// Move forward to `to`; nothing happens if `to` is in the clock's past.
    fn advance_to(&self, to: Instant);
}

/// Where a runtime reads the time.
///
/// An enum rather than only a trait, because the runtime waits differently on the two kinds:
/// on the real clock it sleeps until the next deadline; on a manual clock no deadline passes
/// by itself, so once no task is ready and no I/O event is waiting, it moves the clock to the
/// next deadline instead.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// `Instant::now()`.
    #[default]
    Real,
    /// A clock that moves only when told to; see [`ManualClock`].
    Manual(Arc<dyn ManualClock>),
}

impl Clock {
    /// The current time of this clock.
    pub fn now(&self) -> Instant {
        match self {
            Clock::Real => Instant::now(),
            Clock::Manual(clock) => clock.now(),
        }
    }
}

/// One runtime's timers: the heap and the clock, shared by the driver (which waits for the
/// earliest deadline and fires the expired ones) and by every `Sleep` (which inserts, updates
/// and removes its entry).
pub(crate) struct Timers {
    heap: Mutex<TimerHeap>,
    clock: Clock,
    /// Threads waiting for the next deadline right now. A new earliest timer only needs to
    /// interrupt the wait when someone may be waiting with a later deadline.
    waiting: AtomicUsize,
    /// Interrupts such a wait. Given by the owner (the driver unparks its reactor), so this
    /// module needs nothing of the driver.
    interrupt: Box<dyn Fn() + Send + Sync>,
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers")
            .field("pending", &self.len())
            .field("clock", &self.clock)
            .finish()
    }
}

impl Timers {
    /// Timers measured on `clock`; `interrupt` wakes a thread that waits for a later deadline
    /// than a newly inserted one.
    pub(crate) fn new(clock: Clock, interrupt: impl Fn() + Send + Sync + 'static) -> Self {
        Timers {
            heap: Mutex::new(TimerHeap::new()),
            clock,
            waiting: AtomicUsize::new(0),
            interrupt: Box::new(interrupt),
        }
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    pub(crate) fn insert(&self, deadline: Instant, waker: Waker) -> TimerKey {
        let (key, earliest) = {
            let mut heap = lock(&self.heap);
            let before = heap.next_deadline();
            let key = heap.insert(deadline, waker);
            (key, before.is_none_or(|b| deadline < b))
        };
        // SeqCst pairs with `start_waiting`, which counts the waiter before it reads the next
        // deadline: either the waiter sees our timer, or we see it waiting and interrupt it.
        if earliest && self.waiting.load(Ordering::SeqCst) > 0 {
            // It may be waiting until a later deadline: make it recompute.
            (self.interrupt)();
        }
        key
    }

    pub(crate) fn update_waker(&self, key: TimerKey, waker: &Waker) -> bool {
        lock(&self.heap).update_waker(key, waker)
    }

    pub(crate) fn remove(&self, key: TimerKey) {
        lock(&self.heap).remove(key);
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.heap).len()
    }

    /// Count the caller as waiting for the next deadline, and return that deadline. Pair
    /// with [`stop_waiting`](Timers::stop_waiting).
    pub(crate) fn start_waiting(&self) -> Option<Instant> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        lock(&self.heap).next_deadline()
    }

    pub(crate) fn stop_waiting(&self) {
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    /// Wake every timer whose deadline has passed.
    pub(crate) fn fire_expired(&self) {
        let fired = lock(&self.heap).take_expired(self.now());
        // Woken outside the lock: a woken task may insert a new timer straight away.
        for waker in fired {
            waker.wake();
        }
    }

    /// Drop every entry and its waker (runtime shutdown), so tasks parked on timers can be
    /// freed.
    pub(crate) fn clear(&self) {
        lock(&self.heap).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CountingWaker, TestClock};
    use std::time::Duration;

    #[test]
    fn heap_fires_in_deadline_order_and_only_expired() {
        let clock = TestClock::new();
        let t0 = clock.now();
        let mut heap = TimerHeap::new();
        let (a, b, c) = (
            CountingWaker::new(),
            CountingWaker::new(),
            CountingWaker::new(),
        );
        heap.insert(t0 + Duration::from_secs(3), c.waker());
        heap.insert(t0 + Duration::from_secs(1), a.waker());
        heap.insert(t0 + Duration::from_secs(2), b.waker());
        assert_eq!(heap.next_deadline(), Some(t0 + Duration::from_secs(1)));
        clock.advance(Duration::from_secs(2));
        let fired = heap.take_expired(clock.now());
        assert_eq!(fired.len(), 2);
        assert!(fired[0].will_wake(&a.waker()) && fired[1].will_wake(&b.waker()));
        assert_eq!(heap.len(), 1);
        assert_eq!(heap.next_deadline(), Some(t0 + Duration::from_secs(3)));
    }

    #[test]
    fn heap_remove_leaves_no_entry() {
        let clock = TestClock::new();
        let mut heap = TimerHeap::new();
        let key = heap.insert(clock.now(), Waker::noop().clone());
        assert!(heap.remove(key));
        assert!(heap.is_empty());
        assert!(!heap.remove(key));
    }

    #[test]
    fn a_new_earliest_timer_interrupts_a_waiter_and_a_later_one_does_not() {
        let interrupts = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&interrupts);
        let clock = TestClock::new();
        let t0 = clock.now();
        let timers = Timers::new(Clock::Manual(Arc::new(clock)), move || {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        timers.insert(t0 + Duration::from_secs(5), Waker::noop().clone());
        assert_eq!(
            interrupts.load(Ordering::SeqCst),
            0,
            "nobody is waiting yet"
        );
        assert_eq!(timers.start_waiting(), Some(t0 + Duration::from_secs(5)));
        timers.insert(t0 + Duration::from_secs(9), Waker::noop().clone());
        assert_eq!(
            interrupts.load(Ordering::SeqCst),
            0,
            "a later deadline changes nothing"
        );
        timers.insert(t0 + Duration::from_secs(1), Waker::noop().clone());
        assert_eq!(
            interrupts.load(Ordering::SeqCst),
            1,
            "the waiter must recompute"
        );
        timers.stop_waiting();
        assert_eq!(timers.len(), 3);
    }
}
