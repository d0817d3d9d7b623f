// wrong answer: wakes the waker on every poll, the Ready one included; `address_stays_put_while_the_box_moves_around` (two wakes) catches it.
// pinning2: a future that must not move
//
// `Watcher` is a future that remembers the address of its own `buf` on the first poll and
// checks it on every later poll, the way a real self-referential future (an async block that
// holds a reference to its own local across an `.await`) depends on staying put.
//
// Two things make that safe. `PhantomPinned` makes the type `!Unpin`: once it is behind a
// `Pin`, safe code can no longer move it out. And `Box::pin` puts it on the heap, so moving the
// `Pin<Box<_>>` moves only the pointer, never the future.
//
// Add the marker, write `poll`, and write `watcher()`.

use std::cell::Cell;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Ready on its third poll with the address of `buf` it saw on every poll.
struct Watcher {
    buf: [u8; 64],
    /// The address of `buf` at the first poll (0 before it).
    first_addr: Cell<usize>,
    polls: Cell<u32>,
    _pin: PhantomPinned,
}

impl Future for Watcher {
    type Output = usize;

    // `Pin<&mut Self>` dereferences to `&Self`, so the `Cell` fields can be updated without
    // unpinning (which would need `unsafe` for a `!Unpin` type).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let addr = self.buf.as_ptr() as usize;
        if self.first_addr.get() == 0 {
            self.first_addr.set(addr);
        }
        assert_eq!(
            self.first_addr.get(),
            addr,
            "the future moved between two polls"
        );
        self.polls.set(self.polls.get() + 1);
        cx.waker().wake_by_ref();
        if self.polls.get() == 3 {
            Poll::Ready(addr)
        } else {
            Poll::Pending
        }
    }
}

/// A fresh `Watcher`, pinned on the heap.
fn watcher() -> Pin<Box<Watcher>> {
    Box::pin(Watcher {
        buf: [0; 64],
        first_addr: Cell::new(0),
        polls: Cell::new(0),
        _pin: PhantomPinned,
    })
}

fn main() {
    let mut fut = watcher();
    let mut cx = Context::from_waker(std::task::Waker::noop());
    while fut.as_mut().poll(&mut cx).is_pending() {}
    println!("buf stayed at {:#x}", fut.first_addr.get());
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::marker::PhantomData;

    // Tells at run time whether `T: Unpin`: the inherent method (only for `Unpin` types) wins
    // over the trait method when it applies.
    struct Probe<T>(PhantomData<T>);
    trait NotUnpin {
        fn is_unpin(&self) -> bool {
            false
        }
    }
    impl<T> NotUnpin for Probe<T> {}
    impl<T: Unpin> Probe<T> {
        fn is_unpin(&self) -> bool {
            true
        }
    }

    #[test]
    fn watcher_that_is_unpin_is_rejected() {
        assert!(
            Probe::<u8>(PhantomData).is_unpin(),
            "the probe itself works"
        );
        assert!(
            !Probe::<Watcher>(PhantomData).is_unpin(),
            "Watcher is still Unpin, so a Pin does not stop it from moving: add PhantomPinned"
        );
    }

    #[test]
    fn address_stays_put_while_the_box_moves_around() {
        let counter = CountingWaker::new();
        let mut fut = watcher();
        assert!(poll_once(fut.as_mut(), &counter.waker()).is_pending());
        let mut moved = vec![fut]; // moves the Box, not the future
        assert!(poll_once(moved[0].as_mut(), &counter.waker()).is_pending());
        let mut fut = moved.pop().unwrap();
        let addr = match poll_once(fut.as_mut(), &counter.waker()) {
            Poll::Ready(addr) => addr,
            Poll::Pending => panic!("Watcher must be ready on its third poll"),
        };
        assert_eq!(addr, fut.buf.as_ptr() as usize);
        assert_eq!(fut.polls.get(), 3);
        assert_eq!(counter.count(), 2, "each Pending must wake the task once");
    }

    #[test]
    fn recording_no_address_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = watcher();
        assert!(poll_once(fut.as_mut(), &counter.waker()).is_pending());
        assert_eq!(
            fut.first_addr.get(),
            fut.buf.as_ptr() as usize,
            "the first poll must record where buf is"
        );
    }

    #[test]
    #[should_panic(expected = "moved between two polls")]
    fn a_move_between_polls_going_unnoticed_is_rejected() {
        let counter = CountingWaker::new();
        let mut boxed = watcher();
        assert!(poll_once(boxed.as_mut(), &counter.waker()).is_pending());
        // SAFETY (test only): this breaks Pin's promise on purpose, moving the Watcher out of
        // its box after the first poll, to see that `poll` notices. `Watcher` never reads
        // through the address it records, so nothing dangles.
        let mut moved: Watcher = *unsafe { Pin::into_inner_unchecked(boxed) };
        let _ = poll_once(unsafe { Pin::new_unchecked(&mut moved) }, &counter.waker());
    }
}
