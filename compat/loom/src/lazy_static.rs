//! loom's `lazy_static` module: what its [`lazy_static!`](crate::lazy_static!) uses.

pub use interleave::local::{AccessError, Lazy};
pub use interleave::thread::yield_now;
pub use std::thread::panicking;
