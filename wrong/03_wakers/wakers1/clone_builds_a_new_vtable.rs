// wrong answer: clone returns a RawWaker with a vtable built on the spot, a different address from NOOP_VTABLE, so a clone no longer `will_wake` the original; `clone_with_another_vtable_is_rejected` catches it.
// wakers1: a waker built by hand from a vtable
//
// A `Waker` is two pointers: a data pointer (anything the waker needs, type-erased to
// `*const ()`) and a pointer to a `RawWakerVTable`, a table of four functions that say what
// to do with that data:
//
//   clone(data)       -> RawWaker   make another waker for the same thing
//   wake(data)                      wake, and release this waker's data (it is consumed)
//   wake_by_ref(data)               wake, keep the data
//   drop(data)                      release this waker's data
//
// This is how a runtime gives every task a waker without `Waker` knowing anything about tasks.
//
// Build the simplest waker there is: one whose data is a null pointer and whose functions do
// nothing (clone just hands out another null waker with the same vtable). Fill in `noop_clone`
// and `noop_waker`. The other three functions are already right: there is nothing to release.

use std::ptr;
use std::task::{RawWaker, RawWakerVTable, Waker};

static NOOP_VTABLE: RawWakerVTable =
    RawWakerVTable::new(noop_clone, noop_wake, noop_wake_by_ref, noop_drop);

fn noop_clone(_data: *const ()) -> RawWaker {
    RawWaker::new(
        ptr::null(),
        &RawWakerVTable::new(noop_clone, noop_wake, noop_wake_by_ref, noop_drop),
    )
}

fn noop_wake(_data: *const ()) {}

fn noop_wake_by_ref(_data: *const ()) {}

fn noop_drop(_data: *const ()) {}

fn noop_waker() -> Waker {
    let raw = RawWaker::new(ptr::null(), &NOOP_VTABLE);
    // SAFETY: no function in NOOP_VTABLE ever reads the data pointer, so a null pointer is
    // valid for all of them, from any thread and for any number of clones.
    unsafe { Waker::from_raw(raw) }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowing_some_other_waker_is_rejected() {
        let waker = noop_waker();
        assert!(
            ptr::eq(waker.vtable(), &NOOP_VTABLE),
            "the waker must be built from NOOP_VTABLE"
        );
        assert!(waker.data().is_null(), "the data pointer must be null");
    }

    #[test]
    fn clone_with_another_vtable_is_rejected() {
        let waker = noop_waker();
        let copy = waker.clone();
        assert!(ptr::eq(copy.vtable(), &NOOP_VTABLE));
        assert!(
            copy.will_wake(&waker),
            "a clone wakes the same thing: same data, same vtable"
        );
    }

    #[test]
    fn unimplemented_vtable_function_is_rejected() {
        let waker = noop_waker();
        waker.wake_by_ref();
        let copies: Vec<Waker> = (0..3).map(|_| waker.clone()).collect();
        for copy in copies {
            copy.wake();
        }
        drop(waker);
    }
}
