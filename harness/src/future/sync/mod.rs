//! Async synchronisation primitives with tokio's API: `Mutex`, `RwLock`, `Semaphore`, `Notify`,
//! `mpsc`, `oneshot`, `watch`, `broadcast`, `OnceCell` and `Barrier`. Each operation is a scheduling point and an event for the detector,
//! reported at the caller's site.
//!
//! `Mutex`, `RwLock` and `Semaphore` share one waiter queue (tokio's batch semaphore), first
//! come first served.

mod barrier;
pub mod broadcast;
mod closed;
pub mod mpsc;
mod mutex;
mod notify;
mod once_cell;
pub mod oneshot;
mod queue;
mod rwlock;
mod semaphore;
pub mod watch;

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError,
};
pub use notify::{Notified, Notify, OwnedNotified};
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
