//! Synchronisation primitives with std's API, explored and checked.
//!
//! Each operation is a scheduling point and an event for the detector. `Arc` is std's own:
//! reference counting needs no exploring.

pub mod atomic;
mod lock;
pub mod mpsc;
mod mutex;
mod object;

pub use mutex::{Mutex, MutexGuard};
pub use std::sync::{Arc, LockResult, PoisonError, TryLockError, TryLockResult, Weak};

pub(crate) use lock::LockCore;
pub(crate) use object::Registration;
