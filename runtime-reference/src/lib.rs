//! The reference runtime: the finished form of what the asyncling course builds.
//!
//! Each module is one concept, in the order the course teaches it; see `README.md` for the map
//! from modules to chapters.

pub mod park;
pub mod testing;
pub mod waker;
