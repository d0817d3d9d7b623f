// wrong answer: clone hands out the same pointer without adding a strong reference; `clone_without_a_new_reference_is_rejected` catches it.
// wakers2: a counting waker with real data behind the pointer
//
// This time the data pointer points at something: an `Arc<AtomicUsize>` that counts wakes.
// A waker owns one strong reference of that Arc, so the vtable functions must keep the
// reference count exact:
//
//   counting_waker   Arc::into_raw(count) gives the Arc's one reference to the waker
//   clone            a new waker needs its own reference: Arc::increment_strong_count
//   wake             count one wake, then give up this waker's reference (it is consumed)
//   wake_by_ref      count one wake, keep the reference
//   drop             give up this waker's reference
//
// `Arc::from_raw(ptr)` turns the pointer back into an `Arc` that owns one reference: when that
// Arc is dropped the reference is released. To only look at the counter without taking a
// reference, use `&*ptr` instead. Too few releases leak the counter; too many free it while
// other wakers still point at it.
//
// Fill in the four vtable functions. Each `unsafe` block needs a `// SAFETY:` comment.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{RawWaker, RawWakerVTable, Waker};

static COUNTING_VTABLE: RawWakerVTable = RawWakerVTable::new(
    counting_clone,
    counting_wake,
    counting_wake_by_ref,
    counting_drop,
);

/// A waker that adds one to `count` every time it is woken.
fn counting_waker(count: Arc<AtomicUsize>) -> Waker {
    let data = Arc::into_raw(count).cast::<()>();
    // SAFETY: `data` came from `Arc::into_raw` and carries one strong reference, which is what
    // every function in COUNTING_VTABLE expects; AtomicUsize is Send and Sync.
    unsafe { Waker::from_raw(RawWaker::new(data, &COUNTING_VTABLE)) }
}

// Every function below receives a `data` pointer made by `Arc::into_raw` on an
// `Arc<AtomicUsize>`; `data.cast::<AtomicUsize>()` gives it back its type.

unsafe fn counting_clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &COUNTING_VTABLE)
}

unsafe fn counting_wake(data: *const ()) {
    // SAFETY: this waker's reference is taken over by `count` and released when it drops.
    let count = unsafe { Arc::from_raw(data.cast::<AtomicUsize>()) };
    count.fetch_add(1, Ordering::SeqCst);
}

unsafe fn counting_wake_by_ref(data: *const ()) {
    // SAFETY: the waker still holds its reference, so the counter outlives this borrow.
    let count = unsafe { &*data.cast::<AtomicUsize>() };
    count.fetch_add(1, Ordering::SeqCst);
}

unsafe fn counting_drop(data: *const ()) {
    // SAFETY: this waker's reference is released exactly once, here.
    drop(unsafe { Arc::from_raw(data.cast::<AtomicUsize>()) });
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Extra references each test leaks on purpose: a waker that releases too many then fails
    /// an assertion instead of freeing a counter that is still in use.
    const SPARE: usize = 16;

    fn counter() -> Arc<AtomicUsize> {
        let count = Arc::new(AtomicUsize::new(0));
        for _ in 0..SPARE {
            std::mem::forget(Arc::clone(&count));
        }
        count
    }

    /// Strong references held by wakers: all of them minus the test's own and the spare ones.
    fn waker_refs(count: &Arc<AtomicUsize>) -> isize {
        Arc::strong_count(count) as isize - 1 - SPARE as isize
    }

    #[test]
    fn clone_without_a_new_reference_is_rejected() {
        let count = counter();
        let waker = counting_waker(Arc::clone(&count));
        assert_eq!(waker_refs(&count), 1, "one waker, one reference");
        let copy = waker.clone();
        assert_eq!(
            waker_refs(&count),
            2,
            "a clone is a second waker and must own its own reference"
        );
        assert!(
            copy.will_wake(&waker),
            "a clone must point at the same counter"
        );
    }

    #[test]
    fn wake_by_ref_releasing_the_reference_is_rejected() {
        let count = counter();
        let waker = counting_waker(Arc::clone(&count));
        waker.wake_by_ref();
        waker.wake_by_ref();
        assert_eq!(
            count.load(Ordering::SeqCst),
            2,
            "each wake_by_ref counts one"
        );
        assert_eq!(
            waker_refs(&count),
            1,
            "wake_by_ref must leave the waker's reference alone"
        );
    }

    #[test]
    fn wake_leaking_the_reference_is_rejected() {
        let count = counter();
        let waker = counting_waker(Arc::clone(&count));
        let copy = waker.clone();
        copy.wake();
        assert_eq!(count.load(Ordering::SeqCst), 1, "wake counts one");
        assert_eq!(
            waker_refs(&count),
            1,
            "wake consumes its waker: that waker's reference must be released"
        );
        waker.wake();
        assert_eq!(count.load(Ordering::SeqCst), 2);
        assert_eq!(waker_refs(&count), 0);
    }

    #[test]
    fn drop_leaking_the_reference_is_rejected() {
        let count = counter();
        let waker = counting_waker(Arc::clone(&count));
        let copies: Vec<Waker> = (0..5).map(|_| waker.clone()).collect();
        assert_eq!(waker_refs(&count), 6);
        drop(copies);
        drop(waker);
        assert_eq!(
            waker_refs(&count),
            0,
            "every waker was dropped, so no waker reference may be left"
        );
        assert_eq!(count.load(Ordering::SeqCst), 0, "dropping is not waking");
    }
}
