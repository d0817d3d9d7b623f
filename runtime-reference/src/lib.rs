//! The reference runtime: the finished form of what the asyncling course builds.
//!
//! Each module is one concept, in the order the course teaches it; see `README.md` for the map
//! from modules to chapters.

pub mod coop;
pub mod executor;
pub mod future;
pub mod io;
pub mod multi;
pub mod net;
pub mod park;
pub mod reactor;
pub mod sync;
pub mod task;
pub mod testing;
pub mod time;
pub mod waker;

mod context;
mod driver;

pub use executor::{Runtime, run, spawn};
