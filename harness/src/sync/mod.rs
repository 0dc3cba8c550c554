//! Synchronisation primitives with std's API, explored and checked.
//!
//! Each operation is a scheduling point and an event for the detector. `Arc` is std's own:
//! reference counting needs no exploring.

pub mod atomic;
mod barrier;
mod condvar;
mod lazy;
mod lock;
pub mod mpsc;
mod mutex;
mod object;
mod once;
mod poison;
mod rwlock;

pub use barrier::{Barrier, BarrierWaitResult};
pub use condvar::Condvar;
pub use lazy::LazyLock;
pub use mutex::{Mutex, MutexGuard};
pub use once::{Once, OnceLock, OnceState};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use std::sync::{Arc, LockResult, PoisonError, TryLockError, TryLockResult, Weak};

pub(crate) use lock::LockCore;
pub(crate) use object::Registration;
