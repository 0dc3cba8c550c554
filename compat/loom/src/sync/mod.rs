//! loom's `sync`: interleave's primitives, and loom's [`Notify`].

mod notify;

pub use interleave::sync::{
    mpsc, Arc, Barrier, BarrierWaitResult, Condvar, LockResult, Mutex, MutexGuard, RwLock,
    RwLockReadGuard, RwLockWriteGuard, TryLockResult,
};
pub use notify::Notify;
pub use std::sync::WaitTimeoutResult;

/// loom's atomics: interleave's, with loom's `with_mut` and `unsync_load`.
pub mod atomic {
    pub use interleave::sync::atomic::*;

    /// loom's deprecated spin hint: std's ([`crate::hint::spin_loop`]).
    pub fn spin_loop_hint() {
        crate::hint::spin_loop();
    }
}
