//! Counts visits with the `counter` dependency.

pub use counter::Counter;
