//! Channels and notification between tasks (course chapter 13).
//!
//! All three are runtime-agnostic: they only store and wake wakers, so they work on either
//! executor, on `park::block_on`, and between threads.
//!
//! ```
//! use runtime_reference::executor::{run, spawn};
//! use runtime_reference::sync::{mpsc, oneshot};
//!
//! run(async {
//!     let (tx, mut rx) = mpsc::channel(2);
//!     let (done_tx, done_rx) = oneshot::channel();
//!     spawn(async move {
//!         let mut sum = 0;
//!         while let Some(v) = rx.recv().await {
//!             sum += v;
//!         }
//!         done_tx.send(sum).unwrap();
//!     });
//!     for i in 1..=10 {
//!         tx.send(i).await.unwrap(); // waits whenever two messages are queued
//!     }
//!     drop(tx); // the receiver's loop ends once every sender is gone
//!     assert_eq!(done_rx.await, Ok(55));
//! });
//! ```

pub mod mpsc;
pub mod oneshot;

mod notify;

pub use notify::{Notified, Notify};

/// Store `new` as the waker to call, replacing an older one unless it wakes the same task.
fn store_waker(slot: &mut Option<std::task::Waker>, new: &std::task::Waker) {
    match slot {
        Some(w) if w.will_wake(new) => {}
        _ => *slot = Some(new.clone()),
    }
}
