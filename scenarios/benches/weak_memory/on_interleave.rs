//! The litmus tests on interleave's facade.

pub(crate) mod rt {
    pub(crate) use interleave::sync::atomic::{fence, AtomicUsize, Ordering};
    pub(crate) use interleave::sync::Arc;
    pub(crate) use interleave::thread;
}

#[path = "../../../tests/tests/litmus/programs.rs"]
pub(crate) mod programs;
