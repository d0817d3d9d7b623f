// wrong answer: wake_by_ref counts but does not set the woken flag (only wake does); `wake_by_ref_not_counted_is_rejected` catches it.
// wakers3: the same counting waker, with the `Wake` trait and no `unsafe`
//
// Most wakers are "an `Arc` of something, and do X when woken". The standard library writes
// the vtable for that case once: implement `std::task::Wake` for your type, and
// `Waker::from(arc)` builds a waker whose clone and drop are the Arc's own, and whose wake and
// wake_by_ref call your methods. No raw pointers, no reference counting by hand.
//
// `WakeCounter` counts wakes, and also remembers whether it has been woken since the last
// `take_woken`: the question an executor asks ("does this task need polling?").
// Implement `Wake` for it.
//
// `wake` receives the Arc by value (the waker is consumed); `wake_by_ref` borrows it. If you
// only write `wake`, the trait's default `wake_by_ref` clones the Arc to call it: correct, but
// an atomic increment and decrement on every wake. Write both, and let `wake` reuse
// `wake_by_ref`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Wake;

#[derive(Default)]
struct WakeCounter {
    wakes: AtomicUsize,
    woken: AtomicBool,
}

impl WakeCounter {
    fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }

    /// Was this woken since the last call? Resets the answer to "no".
    fn take_woken(&self) -> bool {
        self.woken.swap(false, Ordering::SeqCst)
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
        self.woken.store(true, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn wake_not_counted_is_rejected() {
        let counter = Arc::new(WakeCounter::default());
        let waker = Waker::from(Arc::clone(&counter));
        waker.wake();
        assert_eq!(counter.wakes(), 1, "waking by value counts one wake");
        assert!(counter.take_woken(), "a wake must set the woken flag");
    }

    #[test]
    fn wake_by_ref_not_counted_is_rejected() {
        let counter = Arc::new(WakeCounter::default());
        let waker = Waker::from(Arc::clone(&counter));
        waker.wake_by_ref();
        waker.wake_by_ref();
        assert_eq!(counter.wakes(), 2, "each wake_by_ref counts one wake");
        assert!(counter.take_woken());
    }

    #[test]
    fn counting_one_wake_twice_is_rejected() {
        let counter = Arc::new(WakeCounter::default());
        let waker = Waker::from(Arc::clone(&counter));
        let copy = waker.clone();
        copy.wake();
        waker.wake_by_ref();
        assert_eq!(counter.wakes(), 2, "two wakes, counted once each");
    }

    #[test]
    fn flag_set_without_a_wake_is_rejected() {
        let counter = Arc::new(WakeCounter::default());
        let waker = Waker::from(Arc::clone(&counter));
        let copy = waker.clone();
        drop(copy);
        assert!(
            !counter.take_woken(),
            "cloning and dropping a waker is not waking"
        );
        waker.wake_by_ref();
        assert!(counter.take_woken());
        assert!(!counter.take_woken(), "take_woken resets the flag");
    }
}
