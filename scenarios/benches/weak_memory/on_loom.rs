//! The litmus tests and the catalog's weak-memory ports on loom's facade (run in the child).

pub(crate) mod rt {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
    pub(crate) use loom::sync::{Arc, Mutex};
    pub(crate) use loom::thread;
}

pub(crate) mod ports;
#[path = "../../../tests/tests/litmus/programs.rs"]
pub(crate) mod programs;
