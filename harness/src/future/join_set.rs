//! `JoinSet`: tokio's set of tasks awaited in the order they finish.
//!
//! Each task of the set tells the set it has ended (finished or cancelled) on an unbounded
//! channel, from a guard dropped on its own stack; `join_next` receives the next such message
//! and then joins that task. So waiting on a set is a channel wait the detector sees, and a
//! report names the channel created where the set was.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::Future;

use interleave_detector::Site;

use super::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use super::task::{self, AbortHandle, Handle, JoinError, JoinHandle, TaskId};

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
    /// Tasks whose end message was received, not joined yet, in the order they ended (a
    /// `join_next` dropped while it joined one leaves it here: no task leaves the set unjoined).
    ended: VecDeque<u64>,
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
            ended: VecDeque::new(),
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

    /// Spawns `future` on the runtime of `handle` as a task of the set.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        let (id, ended) = self.next_ended();
        let task = handle.spawn(async move {
            let _ended = ended;
            future.await
        });
        self.insert(id, task)
    }

    /// Spawns a future that is not `Send` as a task of the set ([`task::spawn_local`]).
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        let (id, ended) = self.next_ended();
        let handle = task::spawn_local(async move {
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

    /// As [`JoinSet::join_next`], with the id of the task that ended, as tokio's. Cancel
    /// safe, as tokio's: dropped before it returns, it leaves every task in the set.
    #[track_caller]
    pub fn join_next_with_id(
        &mut self,
    ) -> impl Future<Output = Option<Result<(TaskId, T), JoinError>>> + '_ {
        let JoinSet {
            tasks,
            ended,
            ended_rx,
            ..
        } = self;
        // The receive is created here, so that a wait on it names the caller's `.await`.
        let recv = (ended.is_empty() && !tasks.is_empty()).then(|| ended_rx.recv());
        async move {
            let id = match ended.front() {
                Some(&id) => id,
                None => {
                    let id = recv?.await?;
                    ended.push_back(id);
                    id
                }
            };
            let handle = tasks
                .get_mut(&id)
                .expect("a task of the set says once that it ended, and stays until joined");
            let task = handle.id();
            let output = Awaiting(handle).await;
            ended.pop_front();
            tasks.remove(&id);
            Some(output.map(|output| (task, output)))
        }
    }

    /// The output of a task of the set that has finished, without waiting: `None` if none
    /// has (or the set is empty). Tasks come out in the order they ended, as tokio's. Each
    /// look at the set's channel is a scheduling point.
    #[track_caller]
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        let site = Site::caller();
        self.try_join_next_at(site)
            .map(|output| output.map(|(_, output)| output))
    }

    /// As [`JoinSet::try_join_next`], with the id of the task that ended.
    #[track_caller]
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(TaskId, T), JoinError>> {
        self.try_join_next_at(Site::caller())
    }

    #[track_caller]
    fn try_join_next_at(&mut self, site: Site) -> Option<Result<(TaskId, T), JoinError>> {
        if self.tasks.is_empty() {
            return None;
        }
        while let Ok(id) = self.ended_rx.try_recv() {
            self.ended.push_back(id);
        }
        // A task says it ended as its future ends, just before its output is stored: the
        // first one whose output is there.
        let (index, output) = self.ended.iter().enumerate().find_map(|(index, id)| {
            let handle = self.tasks.get_mut(id)?;
            let task = handle.id();
            handle
                .try_join(site.clone())
                .map(|output| (index, output.map(|output| (task, output))))
        })?;
        let id = self.ended.remove(index).expect("found at this index");
        self.tasks.remove(&id);
        Some(output)
    }

    /// Removes every task from the set without aborting it: each runs on, detached (its
    /// runtime still cancels it at shutdown), as tokio's. The set takes a new channel, so
    /// that the detached tasks' end messages go nowhere.
    #[track_caller]
    pub fn detach_all(&mut self) {
        self.tasks.clear();
        self.ended.clear();
        (self.ended_tx, self.ended_rx) = mpsc::unbounded_channel();
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

/// Awaits a task's handle; dropped before the task's output came, it tells the handle that
/// nobody waits for it any more (it stays in the set).
struct Awaiting<'a, T>(&'a mut JoinHandle<T>);

impl<T> Future for Awaiting<'_, T> {
    type Output = Result<T, JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut *self.0).poll(cx)
    }
}

impl<T> Drop for Awaiting<'_, T> {
    fn drop(&mut self) {
        self.0.stop_awaiting();
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
