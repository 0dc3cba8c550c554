//! Async scenarios: tasks, runtimes, async primitives and time, explored like threads.
//!
//! A **task** is a thread of the execution whose body polls a future; between two polls it
//! waits, as a blocked thread does, until its waker is woken. So every strategy, exhaustive
//! exploration, replay, the virtual clock and the detector treat tasks exactly as threads.
//! [`block_on`] runs a future on a **current-thread runtime**: its tasks share one worker, so a
//! task that blocks on a *sync* primitive blocks every task of that runtime, as on tokio's;
//! [`Runtime::new`] gives a runtime `n` workers, with `block_on` polling beside them as on
//! tokio's multi-thread runtime. When a runtime goes (at the end of
//! `block_on`), the tasks still running are cancelled: each drops its future on its own stack.
//!
//! The API is tokio's (`spawn`, `JoinHandle`, `sync::{Mutex, RwLock, Semaphore, Notify, mpsc,
//! oneshot}`, `time::{sleep, timeout, interval}`), so code moves between tokio and interleave
//! by a path change.
//!
//! ```
//! use std::sync::Arc;
//! use interleave::future::{self, sync::Mutex};
//!
//! interleave::check(|| {
//!     future::block_on(async {
//!         let a = Arc::new(Mutex::new(0));
//!         let b = Arc::clone(&a);
//!         let task = future::spawn(async move { *b.lock().await += 1 });
//!         *a.lock().await += 1;
//!         task.await.unwrap();
//!         assert_eq!(*a.lock().await, 2);
//!     });
//! });
//! ```
//!
//! Two tasks taking two async locks in opposite orders fail the check with a lock-order cycle,
//! as threads would:
//!
//! ```should_panic(expected = "potential deadlock: lock-order cycle between 2 threads")
//! use std::sync::Arc;
//! use interleave::future::{self, sync::Mutex};
//!
//! interleave::Config::random(100).name("async_ab_ba").write_artifact(false).check(|| {
//!     future::block_on(async {
//!         let a = Arc::new(Mutex::new(()));
//!         let b = Arc::new(Mutex::new(()));
//!         let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
//!         let task = future::spawn(async move {
//!             let _b = b2.lock().await;
//!             let _a = a2.lock().await;
//!         });
//!         {
//!             let _a = a.lock().await;
//!             let _b = b.lock().await;
//!         }
//!         task.await.unwrap();
//!     });
//! });
//! ```
//!
//! `docs/async.md` in the repository describes the model, each async finding with a report,
//! and what is not modelled.

mod join_set;
mod local;
mod runtime;
pub mod sync;
pub(crate) mod task;
mod task_local;
pub mod time;

pub use join_set::JoinSet;
pub use local::{LocalEnterGuard, LocalSet, RunUntil};
pub use task::{
    block_in_place, block_on, select_start, spawn, spawn_blocking, spawn_local, spawn_named,
    task_id, try_task_id, yield_now, AbortHandle, EnterGuard, Handle, JoinError, JoinHandle,
    Runtime, TaskId, TryCurrentError, YieldNow,
};
pub use task_local::{AccessError, LocalKey, Slots, TaskLocalFuture};
