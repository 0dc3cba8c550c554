//! tokio's `sync`, each type the harness's model with tokio's semantics.
//!
//! | item | status |
//! | --- | --- |
//! | `Mutex`, `RwLock`, `Semaphore` (FIFO hand-off, permits, `close`) | modelled |
//! | owned guards and permits (`lock_owned`, `read_owned`, `write_owned`, `acquire_owned`, `acquire_many_owned`, their `try_`s), `MutexGuard::map`/`try_map` | modelled: the same requests and holds as the borrowed ones |
//! | `const_new` of `Mutex`, `RwLock`, `Semaphore`, `Notify`, `OnceCell` | modelled: the object registers at its first use in each execution and starts afresh (unlocked, its initial permits, no stored notification); a `static`'s *data* (a `Mutex`'s value, a `OnceCell`'s value once set) is not reset between executions |
//! | `Notify` (`notify_one`'s stored permit, `notify_last`, `notify_waiters`, `notified_owned`), `Notified::enable`, `OwnedNotified::enable` | modelled; creating a `notified()` (or `notified_owned()`) future is a scheduling point |
//! | `mpsc` (bounded and unbounded; closure on the last sender's drop; `recv_many`, `send_timeout`, `poll_recv`, `poll_recv_many`, `blocking_recv_many`) | modelled; `recv_many` takes the messages waiting, up to its limit, in one step; `send_timeout` is a reservation under a `timeout`, as tokio's; each `poll_recv` is a receive of its own, as a `recv()` polled once |
//! | the errors of `mpsc`, `broadcast`, `watch`, `oneshot`, `OnceCell` | as tokio's, `Debug` and `Display` included; `mpsc`'s are `Copy` and have `into_inner` |
//! | `Mutex::from`, `RwLock::from`, `RwLock::default` | modelled |
//! | `broadcast::Sender::{send, subscribe, receiver_count}` with no `T: Clone` bound | as tokio's |
//! | `oneshot::Receiver::blocking_recv` | modelled |
//! | `mpsc` reservations (`reserve`, `reserve_many`, `reserve_owned`, their `try_`s, `Permit`, `OwnedPermit`, `capacity`, `max_capacity`) | modelled: a reservation takes capacity, waits first come first served with sends, and is a send request for the detector |
//! | `oneshot` | modelled |
//! | `watch` (latest value, `changed`, `borrow_and_update`; `Sender::new`, `Sender::default`) | modelled |
//! | `broadcast` (ring of `capacity`, `Lagged(n)`) | modelled |
//! | `OnceCell` (`get_or_init`, `set`) | modelled; `const_new_with` not supported (see `OnceCell::const_new`) |
//! | `Barrier` | modelled |
//! | `mpsc::{WeakSender, WeakUnboundedSender}` (`downgrade`, `upgrade`), `strong_count`, `weak_count`, `sender_strong_count`, `sender_weak_count` | modelled: a weak sender does not keep the channel open; `upgrade` is a scheduling point that races with the last sender's drop; the weak senders' own clones and drops are not steps (their count is approximated) |
//! | `blocking_read`, `blocking_write`, `blocking_lock_owned`, `Semaphore::{blocking_acquire, blocking_acquire_many, blocking_acquire_owned, blocking_acquire_many_owned}` | modelled (from sync code; inside a runtime they panic, as tokio's) |
//! | `Semaphore::{forget_permits, MAX_PERMITS}`, permits' `num_permits`, `split`, `merge`, `semaphore` | modelled |
//! | `RwLockReadGuard::{map, try_map}`, `RwLockWriteGuard::{map, try_map, into_mapped}`, `RwLockMappedWriteGuard::{map, try_map}` | modelled: the same hold, until the mapped guard is dropped |
//! | `RwLockWriteGuard::{downgrade, downgrade_map, try_downgrade_map}`, `OwnedRwLockWriteGuard::downgrade` | modelled: atomic (no writer gets in between), the readers waiting behind it get in; for the detector the write hold ends and a read hold begins, a request that cannot wait (no lock-order edge) |
//! | the owned guards' `map`, `try_map` (`OwnedMappedMutexGuard`, `OwnedRwLockMappedWriteGuard`, `OwnedRwLockReadGuard<T, U>`), `OwnedRwLockWriteGuard::{into_mapped, downgrade_map, try_downgrade_map}`, `rwlock()` | modelled: the same hold, until the mapped guard is dropped |

pub use interleave::future::sync::{
    broadcast, mpsc, oneshot, watch, AcquireError, Barrier, BarrierWaitResult, MappedMutexGuard,
    Mutex, MutexGuard, Notify, OnceCell, OwnedMappedMutexGuard, OwnedMutexGuard,
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, OwnedSemaphorePermit,
    RwLock, RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard, Semaphore, SemaphorePermit,
    SetError, TryAcquireError, TryLockError,
};

/// The `Notify` future, as tokio's `sync::futures`.
pub mod futures {
    pub use interleave::future::sync::{Notified, OwnedNotified};
}
