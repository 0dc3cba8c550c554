//! loom's `alloc`: interleave's checked allocation (use after free, double free and leaks are
//! findings; freed blocks are quarantined until the execution ends).

pub use interleave::alloc::{alloc, alloc_zeroed, dealloc, Layout, Track};
