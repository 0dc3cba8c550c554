//! tokio's `task`: spawning, joining, aborting, yielding, task-locals.
//!
//! | item | status |
//! | --- | --- |
//! | `spawn`, `spawn_local`, `JoinHandle` (`abort`, `abort_handle`, `is_finished`), `JoinError` | modelled (a task is a thread of the execution) |
//! | `JoinSet` (`spawn`, `spawn_on`, `spawn_local`, `spawn_blocking`, `join_next`, `try_join_next`, `abort_all`, `detach_all`, `shutdown`, `join_all`) | modelled; `join_next` is cancel safe, as tokio's |
//! | `AbortHandle` | modelled |
//! | `spawn_blocking` | modelled: a thread of its own that takes no worker |
//! | `yield_now` | modelled |
//! | `task_local!`, `LocalKey` (`scope`, `sync_scope`, `with`, `try_with`, `get`) | modelled |
//! | `JoinError::is_panic` | approximated: always `false` (a panicking task is a finding), so `into_panic` panics and `try_into_panic` gives the error back |
//! | `JoinError` into `io::Error` (`?` in an `io::Result` function) | as tokio's: "task was cancelled", kind `Other` |
//! | `Id`, `id`, `try_id`, `JoinHandle::id`, `AbortHandle::id`, `JoinError::id` | modelled: a task's number among the execution's threads (the same in every execution that spawns alike); `block_on`'s future is not a task |
//! | `JoinSet::{join_next_with_id, try_join_next_with_id}` | modelled |
//! | `block_in_place` | modelled: in a task of a multi-thread runtime, the task gives its worker back for the rest of that poll, so the other tasks go on while `f` blocks; elsewhere `f` just runs; on a current-thread runtime it panics, as tokio's |
//! | `LocalSet` (`new`, `default`, `spawn_local`, `run_until`, `block_on`, `enter`, awaiting it; dropping it cancels its tasks), `spawn_local` inside one | modelled: its tasks run only while it is driven, one at a time, between the polls of the future it runs until (61 per tick, as tokio's) |

pub use interleave::future::{
    block_in_place, spawn, spawn_blocking, spawn_local, task_id as id, try_task_id as try_id,
    yield_now, AbortHandle, AccessError, JoinError, JoinHandle, JoinSet, LocalEnterGuard, LocalKey,
    LocalSet, TaskId as Id, TaskLocalFuture,
};

/// Futures of this module, as tokio's `task::futures`.
pub mod futures {
    pub use interleave::future::TaskLocalFuture;
}
