//! `JoinSet`: tokio's set of tasks awaited in the order they finish.
//!
//! Each task of the set tells the set it has ended (finished or cancelled) on an unbounded
//! channel, from a guard dropped on its own stack; `join_next` receives the next such message
//! and then joins that task. So waiting on a set is a channel wait the detector sees, and a
//! report names the channel created where the set was.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use super::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use super::task::{self, AbortHandle, JoinError, JoinHandle, TaskId};

/// A set of tasks on the current runtime, awaited in the order they finish. Dropping the set
/// aborts the tasks still in it.
///
/// # Examples
///
/// ```
/// use interleave::future::{self, JoinSet};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let mut set = JoinSet::new();
///         for i in 0..3u32 {
///             set.spawn(async move { i * 10 });
///         }
///         let mut total = 0;
///         while let Some(out) = set.join_next().await {
///             total += out.unwrap();
///         }
///         assert_eq!(total, 30);
///     });
/// });
/// ```
pub struct JoinSet<T> {
    tasks: BTreeMap<u64, JoinHandle<T>>,
    ended_tx: UnboundedSender<u64>,
    ended_rx: UnboundedReceiver<u64>,
    next_id: u64,
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet")
            .field("len", &self.tasks.len())
            .finish_non_exhaustive()
    }
}

impl<T: 'static> Default for JoinSet<T> {
    #[track_caller]
    fn default() -> Self {
        JoinSet::new()
    }
}

/// Sends the task's id when dropped: at the end of the task's future, or when it is cancelled.
struct Ended {
    id: u64,
    tx: UnboundedSender<u64>,
}

impl Drop for Ended {
    fn drop(&mut self) {
        // The set may be gone (it aborted this task): nobody to tell.
        let _ = self.tx.send(self.id);
    }
}

impl<T: 'static> JoinSet<T> {
    /// An empty set (its channel created at the caller's site).
    #[track_caller]
    pub fn new() -> Self {
        let (ended_tx, ended_rx) = mpsc::unbounded_channel();
        JoinSet {
            tasks: BTreeMap::new(),
            ended_tx,
            ended_rx,
            next_id: 0,
        }
    }

    /// How many tasks are in the set.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set has no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Spawns `future` on the current runtime as a task of the set.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        let (id, ended) = self.next_ended();
        let handle = task::spawn(async move {
            let _ended = ended;
            future.await
        });
        self.insert(id, handle)
    }

    /// Runs the blocking closure `f` on a thread of its own as a task of the set.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        let (id, ended) = self.next_ended();
        let handle = task::spawn_blocking(move || {
            let _ended = ended;
            f()
        });
        self.insert(id, handle)
    }

    fn next_ended(&mut self) -> (u64, Ended) {
        let id = self.next_id;
        self.next_id += 1;
        let tx = self.ended_tx.clone();
        (id, Ended { id, tx })
    }

    fn insert(&mut self, id: u64, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        self.tasks.insert(id, handle);
        abort
    }

    /// The output of the next task to end, `None` if the set is empty.
    #[track_caller]
    pub fn join_next(&mut self) -> impl Future<Output = Option<Result<T, JoinError>>> + '_ {
        let next = self.join_next_with_id();
        async move { Some(next.await?.map(|(_, output)| output)) }
    }

    /// As [`JoinSet::join_next`], with the id of the task that ended, as tokio's.
    #[track_caller]
    pub fn join_next_with_id(
        &mut self,
    ) -> impl Future<Output = Option<Result<(TaskId, T), JoinError>>> + '_ {
        let tasks = &mut self.tasks;
        let recv = if tasks.is_empty() {
            None
        } else {
            Some(self.ended_rx.recv())
        };
        async move {
            let id = recv?.await?;
            let handle = tasks.remove(&id)?;
            let task = handle.id();
            Some(handle.await.map(|output| (task, output)))
        }
    }

    /// Aborts every task of the set (they stay in it until joined).
    pub fn abort_all(&self) {
        for handle in self.tasks.values() {
            handle.abort();
        }
    }

    /// Aborts every task, then waits for each to end.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every task and returns their outputs in the order they ended.
    ///
    /// # Panics
    ///
    /// If a task was cancelled (tokio's resumes a task's panic).
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(output) = self.join_next().await {
            outputs.push(output.expect("a task of the JoinSet was cancelled"));
        }
        outputs
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        let running = crate::rt::with(|c| c.stop.is_none()).unwrap_or(false);
        if running {
            for handle in self.tasks.values() {
                handle.abort();
            }
        }
    }
}
