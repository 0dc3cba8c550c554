//! tokio's `sync`, each type the harness's model with tokio's semantics.
//!
//! | item | status |
//! | --- | --- |
//! | `Mutex`, `RwLock`, `Semaphore` (FIFO hand-off, permits, `close`) | modelled |
//! | `Notify` (`notify_one`'s stored permit, `notify_waiters`) | modelled |
//! | `mpsc` (bounded and unbounded; closure on the last sender's drop) | modelled; `reserve`/`Permit` not supported |
//! | `oneshot` | modelled |
//! | `watch` (latest value, `changed`, `borrow_and_update`) | modelled |
//! | `broadcast` (ring of `capacity`, `Lagged(n)`) | modelled |
//! | `OnceCell` (`get_or_init`, `set`) | modelled; `const_new` not supported (a cell is created in each execution) |
//! | `Barrier` | modelled |
//! | owned guards (`lock_owned`, …), `MappedMutexGuard`, `mpsc::WeakSender` | not supported |

pub use interleave::future::sync::{
    broadcast, mpsc, oneshot, watch, AcquireError, Barrier, BarrierWaitResult, Mutex, MutexGuard,
    Notify, OnceCell, OwnedSemaphorePermit, RwLock, RwLockReadGuard, RwLockWriteGuard, Semaphore,
    SemaphorePermit, SetError, TryAcquireError, TryLockError,
};

/// The `Notify` future, as tokio's `sync::futures`.
pub mod futures {
    pub use interleave::future::sync::Notified;
}
