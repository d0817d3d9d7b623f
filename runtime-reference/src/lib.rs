//! The reference runtime: the finished form of what the asyncling course builds.
