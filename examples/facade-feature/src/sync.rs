//! The facade: std's types, or interleave's with the `interleave` feature.

#[cfg(not(feature = "interleave"))]
pub use std::sync::{Arc, Mutex};
#[cfg(not(feature = "interleave"))]
pub use std::thread;

#[cfg(feature = "interleave")]
pub use interleave::sync::{Arc, Mutex};
#[cfg(feature = "interleave")]
pub use interleave::thread;
