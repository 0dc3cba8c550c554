//! Async synchronisation primitives with tokio's API: `Mutex`, `RwLock`, `Semaphore`, `Notify`,
//! `mpsc` and `oneshot`. Each operation is a scheduling point and an event for the detector,
//! reported at the caller's site.
//!
//! `Mutex`, `RwLock` and `Semaphore` share one waiter queue (tokio's batch semaphore), first
//! come first served.

pub mod mpsc;
mod mutex;
mod notify;
pub mod oneshot;
mod queue;
mod rwlock;
mod semaphore;

pub use mutex::{Mutex, MutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
