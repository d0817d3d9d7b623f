// wrong answer: fire wakes every timer in the heap without comparing its deadline with now; firing_timers_not_yet_due_is_rejected catches it.
// timers1: a heap of deadlines
//
// A runtime's timers are a set of deadlines, and it needs two things from that set quickly: the
// earliest deadline (how long may the thread sleep?) and every deadline that has passed (whom to
// wake?). A binary heap gives both. `std::collections::BinaryHeap` is a *max*-heap: `peek` is
// the largest item. Wrapping items in `std::cmp::Reverse` flips the order, so the top is the
// earliest deadline.
//
//   push Reverse((deadline, id))      peek -> earliest       pop while deadline <= now
//
// A `Waker` cannot be ordered, so the heap holds `(deadline, id)` and a map holds each id's
// waker. Implement `insert`, `next_deadline` and `fire_expired`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::task::Waker;
use std::time::Instant;

#[derive(Default)]
pub struct TimerHeap {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    wakers: HashMap<u64, Waker>,
    next_id: u64,
}

impl TimerHeap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a timer that wakes `waker` at `deadline`; returns its id.
    pub fn insert(&mut self, deadline: Instant, waker: Waker) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.heap.push(Reverse((deadline, id)));
        self.wakers.insert(id, waker);
        id
    }

    /// The earliest deadline still pending.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((deadline, _))| *deadline)
    }

    /// Removes every timer whose deadline is at or before `now`, wakes it, and returns how many
    /// fired. They fire earliest first.
    pub fn fire_expired(&mut self, now: Instant) -> usize {
        let mut fired = 0;
        while let Some(Reverse((deadline, id))) = self.heap.peek().copied() {
            let _ = (deadline, now);
            self.heap.pop();
            if let Some(waker) = self.wakers.remove(&id) {
                waker.wake();
                fired += 1;
            }
        }
        fired
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::task::Wake;
    use std::time::Duration;

    /// A waker that writes its name into a shared log when woken, to see the firing order.
    struct Named(&'static str, Arc<Mutex<Vec<&'static str>>>);

    impl Wake for Named {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Timers "a" at +30 ms, "b" at +10 ms, "c" at +20 ms, inserted in that order.
    fn three(t0: Instant) -> (TimerHeap, Arc<Mutex<Vec<&'static str>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut timers = TimerHeap::new();
        for (name, at) in [("a", 30), ("b", 10), ("c", 20)] {
            timers.insert(t0 + ms(at), Waker::from(Arc::new(Named(name, log.clone()))));
        }
        (timers, log)
    }

    #[test]
    fn latest_deadline_first_is_rejected() {
        let t0 = Instant::now();
        let (timers, _) = three(t0);
        assert_eq!(
            timers.next_deadline(),
            Some(t0 + ms(10)),
            "the next deadline is the earliest one (BinaryHeap is a max-heap: wrap in Reverse)"
        );
        assert_eq!(TimerHeap::new().next_deadline(), None);
    }

    #[test]
    fn firing_timers_not_yet_due_is_rejected() {
        let t0 = Instant::now();
        let (mut timers, log) = three(t0);
        assert_eq!(timers.fire_expired(t0 + ms(15)), 1);
        assert_eq!(
            *log.lock().unwrap(),
            ["b"],
            "only the timer due at +10 ms may fire at +15 ms"
        );
        assert_eq!(
            timers.next_deadline(),
            Some(t0 + ms(20)),
            "a fired timer must leave the heap"
        );
        assert_eq!(timers.len(), 2);
    }

    #[test]
    fn deadline_exactly_now_left_waiting_is_rejected() {
        let t0 = Instant::now();
        let (mut timers, log) = three(t0);
        assert_eq!(
            timers.fire_expired(t0 + ms(20)),
            2,
            "a deadline equal to now has expired"
        );
        assert_eq!(*log.lock().unwrap(), ["b", "c"]);
    }

    #[test]
    fn firing_only_the_first_expired_timer_is_rejected() {
        let t0 = Instant::now();
        let (mut timers, log) = three(t0);
        assert_eq!(
            timers.fire_expired(t0 + ms(100)),
            3,
            "every expired timer must fire"
        );
        assert_eq!(
            *log.lock().unwrap(),
            ["b", "c", "a"],
            "timers fire earliest first"
        );
        assert!(timers.is_empty());
        assert_eq!(timers.next_deadline(), None);
        assert_eq!(timers.fire_expired(t0 + ms(200)), 0);
    }

    #[test]
    fn equal_deadlines_overwriting_each_other_is_rejected() {
        let t0 = Instant::now();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut timers = TimerHeap::new();
        timers.insert(t0 + ms(5), Waker::from(Arc::new(Named("x", log.clone()))));
        timers.insert(t0 + ms(5), Waker::from(Arc::new(Named("y", log.clone()))));
        assert_eq!(
            timers.fire_expired(t0 + ms(5)),
            2,
            "two timers with the same deadline must both fire"
        );
    }
}
