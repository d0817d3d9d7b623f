//! The reference runtime: the finished form of what Parts I–II of the asyncling course build.
//!
//! Each module is one concept, declared below in the order the course teaches it (see
//! `README.md` for the map from modules to chapters). Later exercises import pieces from here,
//! so a learner who is stuck in one chapter can still do the next; after solving a chapter, the
//! matching module is the answer key.
//!
//! Imports between the modules form no loop: the reactor and the timer store stand alone, the
//! driver joins them, and the executors sit on top (`tests/layers.rs` checks it).
//!
//! ```
//! use runtime_reference::executor::{run, spawn};
//! use runtime_reference::time::sleep;
//! use std::time::Duration;
//!
//! let out = run(async {
//!     let task = spawn(async {
//!         sleep(Duration::from_millis(1)).await;
//!         "done"
//!     });
//!     task.await.unwrap()
//! });
//! assert_eq!(out, "done");
//! ```

// The one `unsafe` block builds a raw waker (`waker::noop_waker`); everything else is safe.
#![deny(unsafe_code)]
#![warn(missing_docs)]

// 03_wakers
pub mod waker;

// 04_tasks
pub mod task;

// 05_executor
pub mod park;

// 05_executor, 09_reactor, 10_scheduling
pub mod executor;
// The runtime current on this thread, found by `spawn`, `sleep` and `Registered::new`.
mod context;
// The reactor and the timers behind one `park`.
mod driver;

// 07_combinators, 15_select
pub mod future;

// 08_async_io, 09_reactor
pub mod reactor;

// p1_echo, 11_async_rw
pub mod io;
pub mod net;

// 10_scheduling
pub mod coop;

// 12_timers
pub mod time;
// The timer store `time` and the driver share (its public types are re-exported by `time`).
mod timer;

// 13_channels
pub mod sync;

// 14_work_stealing
pub mod multi;

// Helpers for every chapter's tests
pub mod testing;

// Locks that ignore poisoning, for every module that holds a `Mutex`.
mod lock;

pub use executor::{Runtime, run, spawn};
