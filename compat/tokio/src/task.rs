//! tokio's `task`: spawning, joining, aborting, yielding, task-locals.
//!
//! | item | status |
//! | --- | --- |
//! | `spawn`, `spawn_local`, `JoinHandle` (`abort`, `abort_handle`, `is_finished`), `JoinError` | modelled (a task is a thread of the execution) |
//! | `JoinSet` (`spawn`, `spawn_blocking`, `join_next`, `abort_all`, `shutdown`, `join_all`) | modelled |
//! | `AbortHandle` | modelled |
//! | `spawn_blocking` | modelled: a thread of its own that takes no worker |
//! | `yield_now` | modelled |
//! | `task_local!`, `LocalKey` (`scope`, `sync_scope`, `with`, `try_with`, `get`) | modelled |
//! | `JoinError::is_panic` | approximated: always `false` (a panicking task is a finding) |
//! | `block_in_place`, `LocalSet`, `Id`, `Builder` | not supported |

pub use interleave::future::{
    spawn, spawn_blocking, spawn_local, yield_now, AbortHandle, AccessError, JoinError, JoinHandle,
    JoinSet, LocalKey, TaskLocalFuture,
};

/// Futures of this module, as tokio's `task::futures`.
pub mod futures {
    pub use interleave::future::TaskLocalFuture;
}
