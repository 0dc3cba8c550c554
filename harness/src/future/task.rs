//! Tasks: `block_on`, `spawn`, `JoinHandle`, `yield_now`.
//!
//! A task is a thread of the execution whose body polls its future: between two polls it waits
//! (blocked, as a thread waits) until its waker is woken, one of its futures' timers fires, or
//! it is cancelled. So every strategy, DPOR, replay, the virtual clock and the detector treat
//! tasks exactly as threads, and a deadlock report names tasks as it names threads.

use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Wake, Waker};

use interleave_detector::{EventKind, Site, ThreadId};

use super::local::LocalShared;
use super::runtime::{self, RuntimeShared};
use crate::rt;

/// How a task waits between polls, shared with its wakers.
#[derive(Debug)]
pub(crate) struct TaskWaker {
    thread: ThreadId,
    generation: u64,
    woken: AtomicBool,
    /// The `LocalSet` whose task it wakes: a wake queues the task there.
    local: std::sync::OnceLock<Arc<LocalShared>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        match rt::with(|c| c.generation == self.generation) {
            Some(true) => {
                rt::note_write(rt::Key::park(self.thread));
                self.wake_thread();
            }
            // A waker of an earlier execution: nothing of it runs any more.
            Some(false) => {}
            // The context is borrowed (a waker woken by the runtime's own work): the wake is
            // deferred to the next scheduling point.
            None if rt::in_execution() => self.wake_thread(),
            None => {}
        }
    }
}

impl TaskWaker {
    /// Makes the task's thread runnable; a task of a `LocalSet` is queued there instead (its
    /// thread runs once the set lends it the worker), unless its wake is a deferred yield.
    fn wake_thread(&self) {
        match self.local.get() {
            Some(set) => {
                if !yield_deferred(self.thread) {
                    set.queue(self.thread);
                }
            }
            None => rt::unblock(self.thread),
        }
    }
}

thread_local! {
    /// Tasks of a `LocalSet` in a poll that awaited `yield_now`: tokio defers the wake of a
    /// yield until its scheduler has run the tasks queued (`context::defer`), so the task is
    /// queued on its set only once the tick that polled it ends (see `future::local`).
    /// With the execution's generation: an execution that stopped in such a poll leaves
    /// nothing for the next.
    static YIELD_DEFERRED: std::cell::RefCell<Vec<(u64, ThreadId)>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn current_generation() -> u64 {
    rt::with(|c| c.generation).unwrap_or(0)
}

/// `thread`, a task of a `LocalSet`, yields in its poll (see [`YIELD_DEFERRED`]).
fn defer_yield(thread: ThreadId) {
    let generation = current_generation();
    YIELD_DEFERRED.with(|d| {
        let mut d = d.borrow_mut();
        d.retain(|&(g, _)| g == generation);
        d.push((generation, thread));
    });
}

/// Whether `thread`'s wake now is a `yield_now` in a task of a `LocalSet` (see
/// [`YIELD_DEFERRED`]).
fn yield_deferred(thread: ThreadId) -> bool {
    let generation = current_generation();
    YIELD_DEFERRED.with(|d| d.borrow().contains(&(generation, thread)))
}

/// Takes `thread`'s deferred yield, if any (and forgets those of earlier executions).
fn take_yield_deferred(thread: ThreadId) -> bool {
    let generation = current_generation();
    YIELD_DEFERRED.with(|d| {
        let mut d = d.borrow_mut();
        let found = d.contains(&(generation, thread));
        d.retain(|&(g, t)| g == generation && t != thread);
        found
    })
}

/// A task's cancellation: what its runtime keeps of it for the shutdown.
#[derive(Debug)]
pub(crate) struct Cancel {
    pub(crate) thread: ThreadId,
    cancelled: AtomicBool,
    /// The `LocalSet` of a task of one: an abort queues it there, to drop its future in its
    /// turn.
    local: std::sync::OnceLock<Arc<LocalShared>>,
}

impl Cancel {
    /// Whether the task was asked to stop; a read of what [`cancel`](Self::cancel) writes, so
    /// that a task that stops at its wait and one that waits, the shutdown coming after, are
    /// two orders to explore (a timer it armed can fire early only in the second).
    fn cancelled(&self) -> bool {
        rt::note_read(rt::Key::park(self.thread));
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Asks the task to stop: at its next wait it drops its future.
    pub(crate) fn cancel(&self) {
        if !self.cancelled.swap(true, Ordering::SeqCst) {
            rt::note_write(rt::Key::park(self.thread));
            match self.local.get().filter(|set| !set.dropping()) {
                Some(set) => set.queue(self.thread),
                None => rt::unblock(self.thread),
            }
        }
    }
}

/// What a task shares with its `JoinHandle`.
pub(crate) struct TaskShared<T> {
    thread: ThreadId,
    waker: Arc<TaskWaker>,
    cancel: Arc<Cancel>,
    state: StdMutex<JoinState<T>>,
}

/// Where a spawned task's body finds its shared state, set right after the spawn.
type Slot<T> = Arc<StdMutex<Option<Arc<TaskShared<T>>>>>;

struct JoinState<T> {
    output: Option<Result<T, JoinError>>,
    finished: bool,
    /// Wakers of the tasks awaiting its `JoinHandle`.
    joiners: Vec<Waker>,
}

impl<T> fmt::Debug for TaskShared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskShared")
            .field("thread", &self.thread)
            .finish_non_exhaustive()
    }
}

impl<T> TaskShared<T> {
    fn state(&self) -> std::sync::MutexGuard<'_, JoinState<T>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn finish(&self, output: Result<T, JoinError>) {
        let joiners = {
            let mut state = self.state();
            state.output = Some(output);
            state.finished = true;
            std::mem::take(&mut state.joiners)
        };
        for joiner in joiners {
            joiner.wake();
        }
    }
}

/// Why a task did not give its output: it was cancelled (`abort`, or its runtime shut down).
///
/// Unlike tokio's, never a panic: a task that panics is a finding that ends the execution.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("task {id} was cancelled")]
pub struct JoinError {
    id: u32,
}

/// As tokio's: `JoinError::Cancelled(Id(3))`.
impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JoinError::Cancelled({:?})", self.id())
    }
}

impl JoinError {
    /// Whether the task was cancelled: always.
    pub fn is_cancelled(&self) -> bool {
        true
    }

    /// Whether the task panicked: never (a panic is a finding).
    pub fn is_panic(&self) -> bool {
        false
    }

    /// The task's panic payload, as tokio's (`std::panic::resume_unwind(e.into_panic())`).
    ///
    /// # Panics
    ///
    /// Always, as tokio's does when the task was cancelled: a task's panic is a finding that
    /// ends the execution, so a `JoinError` never carries one.
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError` reason is not a panic.")
    }

    /// The task's panic payload, or the error back: always the error (see
    /// [`JoinError::into_panic`]).
    ///
    /// # Errors
    ///
    /// Always `Err(self)`.
    pub fn try_into_panic(self) -> Result<Box<dyn std::any::Any + Send + 'static>, JoinError> {
        Err(self)
    }

    /// The id of the task that was cancelled.
    pub fn id(&self) -> TaskId {
        TaskId::of(ThreadId(self.id))
    }
}

/// As tokio's: "task was cancelled", of kind `Other`.
impl From<JoinError> for std::io::Error {
    fn from(_: JoinError) -> std::io::Error {
        std::io::Error::other("task was cancelled")
    }
}

/// A task's id, unique among the tasks of an execution, as tokio's `task::Id` (a task's
/// number among the execution's threads, so the same in every execution that spawns the same
/// threads in the same order; tokio's count every task of the process).
#[derive(Clone, Copy, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaskId(std::num::NonZeroU64);

/// As tokio's: `Id(3)`.
impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

impl TaskId {
    fn of(thread: ThreadId) -> TaskId {
        TaskId(
            std::num::NonZeroU64::new(u64::from(thread.0))
                .expect("a task is never the execution's main thread (0)"),
        )
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of the task that calls it, as tokio's `task::id`.
///
/// # Examples
///
/// ```
/// use interleave::future;
///
/// interleave::check(|| {
///     future::block_on(async {
///         assert_eq!(future::try_task_id(), None); // `block_on`'s future is not a task
///         let task = future::spawn(async { future::task_id() });
///         let id = task.id();
///         assert_eq!(task.await.unwrap(), id);
///     });
/// });
/// ```
///
/// # Panics
///
/// Outside a task (`block_on`'s future is not one, as in tokio), as tokio's.
#[track_caller]
pub fn task_id() -> TaskId {
    try_task_id().expect("Can't get a task id when not inside a task")
}

/// The id of the task that calls it, or `None` outside a task (or a check), as tokio's
/// `task::try_id`.
pub fn try_task_id() -> Option<TaskId> {
    if !rt::in_execution() {
        return None;
    }
    let me = rt::current_thread();
    runtime::membership(me).task.then(|| TaskId::of(me))
}

thread_local! {
    /// Where the future being polled last returned `Pending`: the `.await` a report names.
    static PENDING_AT: std::cell::RefCell<Option<Site>> = const { std::cell::RefCell::new(None) };
}

/// An async primitive's future returns `Pending` at `site` (its caller's `.await`).
pub(crate) fn pending_at(site: &Site) {
    PENDING_AT.with(|p| *p.borrow_mut() = Some(site.clone()));
    rt::future_pending();
}

/// Polls `future` on the current thread until it completes, between polls waiting for a wake
/// as a task does; the current thread holds a worker of `runtime` while it polls. `None` if
/// `cancelled` said to stop first (the future is dropped here, on this thread's stack).
/// With `check_holds`, a `Pending` while the thread holds a sync lock is reported (once per
/// lock).
fn drive<F: Future>(
    future: F,
    runtime: Option<&RuntimeShared>,
    waker: &Arc<TaskWaker>,
    site: &Site,
    cancelled: &dyn Fn() -> bool,
    check_holds: bool,
) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut reported = Vec::new();
    // A task of a `LocalSet` (its worker is `runtime`) is queued there by whoever makes it
    // runnable: its spawn, its waker, the end of the tick its yield was deferred to; only a
    // timer's fire leaves it to queue itself.
    let local = waker.local.get();
    let mut queue = false;
    // An aborted task of a set drops its future in its turn, holding the set's worker, as
    // tokio's; when the set is dropped, at once, after what its dropper did (the drop waits).
    let dropped_with_set = |worker: Option<&RuntimeShared>| {
        if let (Some(_), Some(worker)) = (local, worker) {
            worker.acquire_clock();
        }
    };
    loop {
        let stop = cancelled();
        if stop && local.is_none_or(|set| set.dropping()) {
            dropped_with_set(runtime);
            return None;
        }
        let took = match (local, runtime) {
            (Some(set), Some(worker)) => {
                if std::mem::take(&mut queue) {
                    set.queue(waker.thread);
                }
                // Only a cancel stops the wait, and only the set's drop cancels it at once (an
                // abort waits for its turn).
                worker.acquire_queued(site, || set.dropping() && cancelled())
            }
            (_, Some(worker)) => worker.acquire_worker(site, cancelled),
            (_, None) => true,
        };
        if !took {
            dropped_with_set(runtime);
            return None;
        }
        if runtime.is_some() {
            runtime::set_holds_worker(waker.thread, true);
        }
        if local.is_some() && (stop || cancelled()) {
            // Its future is dropped now, in its turn; the worker goes back after that
            // (`LocalShared::ended`).
            return None;
        }
        rt::note_write(rt::Key::park(waker.thread));
        waker.woken.store(false, Ordering::SeqCst);
        let task_waker = Waker::from(Arc::clone(waker));
        PENDING_AT.with(|p| p.borrow_mut().take());
        rt::task_polling(waker.thread, true);
        let poll = future.as_mut().poll(&mut Context::from_waker(&task_waker));
        rt::task_polling(waker.thread, false);
        // Only a task of a set defers its yield (see `YIELD_DEFERRED`).
        let yielded = local.is_some() && take_yield_deferred(waker.thread);
        drop(task_waker);
        // A poll that gave its worker back in `block_in_place` ended without one.
        let holds_worker = runtime.filter(|_| runtime::set_holds_worker(waker.thread, false));
        if let Poll::Ready(output) = poll {
            if let Some(runtime) = holds_worker {
                runtime.release_worker();
            }
            return Some(output);
        }
        let awaited_at = PENDING_AT
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| site.clone());
        if check_holds {
            report_holds(&awaited_at, &mut reported);
        }
        if yielded {
            if let Some(set) = local {
                set.defer(waker.thread);
            }
        }
        if let Some(runtime) = holds_worker {
            runtime.release_worker();
        }
        let by_waker = wait_for_wake(waker, site, cancelled);
        queue = !by_waker && !yielded;
    }
}

/// The sync locks the current thread holds as its future returns `Pending` at `awaited_at`,
/// each reported the first time.
fn report_holds(awaited_at: &Site, reported: &mut Vec<interleave_detector::ObjectId>) {
    let held = rt::with(|c| c.thread(c.current).sync_held.clone()).unwrap_or_default();
    for lock in held {
        if !reported.contains(&lock) {
            reported.push(lock);
            rt::emit(EventKind::AwaitHolding { lock }, awaited_at.clone());
        }
    }
}

/// Between two polls: wait until woken, a future's timer fires, or the task is cancelled. A
/// future that left no way to wake it is a lost waker, reported at once.
///
/// Returns whether its waker woke it (not a timer, a cancellation, or the execution's end).
fn wait_for_wake(waker: &Arc<TaskWaker>, site: &Site, cancelled: &dyn Fn() -> bool) -> bool {
    if waker.woken.swap(false, Ordering::SeqCst) {
        // Woken during its own poll (`yield_now`): let the others go first.
        rt::yield_now();
        return true;
    }
    let me = waker.thread;
    let timers = rt::with(|c| c.timers.iter().any(|t| t.thread == me)).unwrap_or(false);
    if Arc::strong_count(waker) == 1 && !timers && !cancelled() {
        rt::emit(EventKind::LostWaker, site.clone());
    }
    loop {
        if waker.woken.swap(false, Ordering::SeqCst) {
            return true;
        }
        if rt::take_future_timer_fired() || cancelled() {
            return false;
        }
        rt::with(|c| c.thread_mut(me).idle = true);
        rt::block_current(site);
        rt::with(|c| c.thread_mut(me).idle = false);
        if rt::with(|c| c.stop.is_some()).unwrap_or(true) {
            return false;
        }
    }
}

fn new_waker(thread: ThreadId) -> Arc<TaskWaker> {
    Arc::new(TaskWaker {
        thread,
        generation: rt::with(|c| c.generation).unwrap_or(0),
        woken: AtomicBool::new(false),
        local: std::sync::OnceLock::new(),
    })
}

/// An async runtime of the running execution with a number of workers: `Runtime::new(1)` is
/// tokio's current-thread runtime (what [`block_on`] uses: its `block_on` drives the one
/// worker), `Runtime::new(n)` a multi-thread one with `n` workers, whose `block_on` polls its
/// future on the calling thread beside them, as tokio's ([`Runtime::multi_thread`] for one
/// worker). Dropping it cancels the tasks still running, as tokio's does: each drops its
/// future on its own stack at its next wait.
///
/// # Examples
///
/// ```
/// use interleave::future::{self, Runtime};
///
/// interleave::check(|| {
///     let runtime = Runtime::new(2);
///     let sum = runtime.block_on(async {
///         let a = future::spawn(async { 1 });
///         let b = future::spawn(async { 2 });
///         a.await.unwrap() + b.await.unwrap()
///     });
///     assert_eq!(sum, 3);
/// });
/// ```
pub struct Runtime {
    shared: Arc<RuntimeShared>,
    site: Site,
}

impl AsRef<Runtime> for Runtime {
    fn as_ref(&self) -> &Runtime {
        self
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime with `workers` workers.
    ///
    /// # Panics
    ///
    /// Outside a check (there is no real-threads runtime), or with 0 workers.
    #[track_caller]
    pub fn new(workers: usize) -> Runtime {
        Runtime::with_flavour(workers, workers > 1, Site::caller())
    }

    /// A multi-thread runtime with `workers` workers, even one: `block_on` polls its future on
    /// the calling thread, beside the workers (tokio's `new_multi_thread()`; [`Runtime::new`]
    /// with one worker is a current-thread runtime, whose `block_on` drives that worker).
    ///
    /// # Panics
    ///
    /// Outside a check, or with 0 workers.
    #[track_caller]
    pub fn multi_thread(workers: usize) -> Runtime {
        Runtime::with_flavour(workers, true, Site::caller())
    }

    /// A runtime created at `site`; `multi_thread`: `block_on` polls beside the workers.
    #[track_caller]
    fn with_flavour(workers: usize, multi_thread: bool, site: Site) -> Runtime {
        assert!(
            rt::in_execution(),
            "interleave::future::Runtime runs inside a check only (interleave::check, explore or replay); outside one use a real runtime"
        );
        assert!(workers > 0, "a runtime needs at least one worker");
        Runtime {
            shared: RuntimeShared::new(workers, multi_thread, &site),
            site,
        }
    }

    /// Runs `future` to completion on the current thread, which takes part in the runtime
    /// while it does (tasks it spawns belong to this runtime).
    ///
    /// # Panics
    ///
    /// Inside a task or another `block_on` (as tokio: "cannot start a runtime from within a
    /// runtime").
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.block_on_at(future, Site::caller(), true)
    }

    fn block_on_at<F: Future>(&self, future: F, site: Site, check_holds: bool) -> F::Output {
        block_on_shared(&self.shared, future, site, check_holds)
    }

    /// Spawns `future` as a task of this runtime (from inside it or not).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(Arc::clone(&self.shared), future, None, Site::caller(), true)
    }

    /// Shuts the runtime down without waiting, as tokio's `shutdown_background`: its tasks
    /// are cancelled (each drops its future at its next wait) and the caller goes on at once,
    /// where dropping the runtime waits for them to end.
    pub fn shutdown_background(self) {
        if rt::in_execution() && rt::with(|c| c.stop.is_none()).unwrap_or(false) {
            self.shared.shut_down_background();
        }
    }

    /// Enters the runtime on the current thread until the guard is dropped, as
    /// [`Handle::enter`].
    pub fn enter(&self) -> EnterGuard<'_> {
        enter(&self.shared)
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: Arc::clone(&self.shared),
        }
    }
}

fn block_on_shared<F: Future>(
    shared: &Arc<RuntimeShared>,
    future: F,
    site: Site,
    check_holds: bool,
) -> F::Output {
    let me = rt::current_thread();
    // A blocking task's closure may block (as tokio allows on its blocking threads): it is a
    // member of its runtime, and goes back to being one after.
    let outer = runtime::membership(me);
    assert!(
        outer.runtime.is_none() || outer.blocking,
        "interleave::future::block_on called from inside a runtime (a task or another block_on), at {site}: cannot start a runtime from within a runtime"
    );
    let blocking = outer.blocking;
    runtime::set_membership(
        me,
        runtime::Membership {
            runtime: Some(Arc::clone(shared)),
            blocking: false,
            task: outer.task,
            holds_worker: false,
            entered: None,
            enter_depth: 0,
            local: None,
            on_set: false,
        },
    );
    let worker = shared.block_on_takes_worker();
    if worker {
        shared.join_workers();
    }
    let waker = new_waker(me);
    let polls_on = worker.then_some(&**shared);
    let output = drive(future, polls_on, &waker, &site, &|| false, check_holds);
    runtime::set_membership(me, outer);
    if blocking {
        // Back inside the blocking task's poll, which the nested `drive` ended.
        rt::task_polling(me, true);
    }
    output.expect("block_on is never cancelled")
}

/// A handle to a runtime: tokio's `runtime::Handle`. It spawns tasks on that runtime from
/// anywhere, and [`Handle::current`] finds the runtime of the running task.
#[derive(Clone)]
pub struct Handle {
    shared: Arc<RuntimeShared>,
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

/// [`Handle::try_current`] outside a runtime.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("there is no reactor running, must be called from the context of a Tokio 1.x runtime")]
pub struct TryCurrentError(());

/// The current thread has entered a runtime ([`Handle::enter`], [`Runtime::enter`]) until it is
/// dropped: tokio's `runtime::EnterGuard`.
#[must_use = "the runtime is entered only while the guard lives"]
pub struct EnterGuard<'a> {
    thread: ThreadId,
    /// The runtime entered before this one, put back by the drop.
    previous: Option<Arc<RuntimeShared>>,
    /// Its place among the thread's guards (1 for the first).
    depth: usize,
    /// Not `Send`, as tokio's (a guard belongs to its thread), and borrowing the handle.
    _handle: std::marker::PhantomData<(&'a Handle, std::sync::MutexGuard<'static, ()>)>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        if !rt::in_execution() {
            return;
        }
        // Only the entered runtime goes back: the rest of the membership may have changed
        // since `enter` (a `block_in_place` gave the poll's worker back).
        let mut membership = runtime::membership(self.thread);
        if membership.enter_depth != self.depth {
            if std::thread::panicking() {
                return;
            }
            panic!(
                "`EnterGuard` values dropped out of order. Guards returned by \
                 `tokio::runtime::Handle::enter()` must be dropped in the reverse \
                 order as they were acquired."
            );
        }
        membership.entered = self.previous.take();
        membership.enter_depth -= 1;
        runtime::set_membership(self.thread, membership);
    }
}

fn enter<'a>(shared: &Arc<RuntimeShared>) -> EnterGuard<'a> {
    let thread = rt::current_thread();
    let mut membership = runtime::membership(thread);
    let previous = membership.entered.replace(Arc::clone(shared));
    membership.enter_depth += 1;
    let depth = membership.enter_depth;
    runtime::set_membership(thread, membership);
    EnterGuard {
        thread,
        previous,
        depth,
        _handle: std::marker::PhantomData,
    }
}

impl Handle {
    /// Enters the runtime on the current thread until the guard is dropped, as tokio's:
    /// [`spawn`] and [`Handle::current`] there use this runtime. It does not make the thread
    /// a part of the runtime: sync code there may still block, and [`block_on`] a runtime.
    pub fn enter(&self) -> EnterGuard<'_> {
        enter(&self.shared)
    }

    /// The runtime of the running task (or `block_on`).
    ///
    /// # Panics
    ///
    /// Outside a runtime, as tokio's does.
    #[track_caller]
    pub fn current() -> Handle {
        Handle::try_current().unwrap_or_else(|e| panic!("{e}, at {}", Site::caller()))
    }

    /// The runtime of the running task, if there is one.
    ///
    /// # Errors
    ///
    /// Outside a runtime.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        runtime::current()
            .map(|shared| Handle { shared })
            .ok_or(TryCurrentError(()))
    }

    /// Spawns `future` as a task of this runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(Arc::clone(&self.shared), future, None, Site::caller(), true)
    }

    /// Runs the blocking closure `f` on a thread of its own ([`spawn_blocking`]).
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        spawn_on(
            Arc::clone(&self.shared),
            async move { f() },
            Some("blocking".to_owned()),
            Site::caller(),
            false,
        )
    }

    /// Runs `future` to completion on the current thread, as a member of this runtime. A
    /// `spawn_blocking` closure may call it, as tokio's allows.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or another `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        block_on_shared(&self.shared, future, Site::caller(), true)
    }
}

/// The branch a `select!` polls first, of `branches`: a random value the strategy decides and
/// the schedule records (so a replay polls the same branch first), as tokio picks one at random.
#[doc(hidden)]
pub fn select_start(branches: usize) -> usize {
    if branches <= 1 || !rt::in_execution() {
        return 0;
    }
    (rt::random_u64() % branches as u64) as usize
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if rt::in_execution() && rt::with(|c| c.stop.is_none()).unwrap_or(false) {
            self.shared.shut_down(&self.site);
        }
    }
}

/// Runs `future` to completion on a current-thread runtime (one worker), then cancels the
/// tasks still running: `Runtime::new(1).block_on(future)`, as `#[tokio::main(flavor =
/// "current_thread")]` does.
///
/// # Examples
///
/// ```
/// use interleave::future;
///
/// interleave::check(|| {
///     let answer = future::block_on(async {
///         let task = future::spawn(async { 6 * 7 });
///         task.await.unwrap()
///     });
///     assert_eq!(answer, 42);
/// });
/// ```
///
/// # Panics
///
/// Outside a check, or inside a runtime (a task, or another `block_on`; a `spawn_blocking`
/// closure may call it, as tokio's allows).
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    block_on_checked(future, Site::caller(), true)
}

/// `block_on` for sync code waiting on one async operation (`Mutex::blocking_lock`): the sync
/// locks the caller holds are its own business, not the future's.
pub(crate) fn block_on_checked<F: Future>(future: F, site: Site, check_holds: bool) -> F::Output {
    assert!(
        rt::in_execution(),
        "interleave::future::block_on runs inside a check only (interleave::check, explore or replay), at {site}"
    );
    let runtime = Runtime {
        shared: RuntimeShared::new(1, false, &site),
        site,
    };
    let output = runtime.block_on_at(future, runtime.site.clone(), check_holds);
    drop(runtime);
    output
}

/// Spawns `future` as a task of the current runtime: a thread of the execution that polls it.
///
/// # Panics
///
/// Outside a runtime (as tokio: "must be called from the context of a Tokio runtime").
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_task(future, None, Site::caller())
}

/// Runs the blocking closure `f` on a thread of its own, as tokio's `task::spawn_blocking`
/// does on its blocking pool: it takes no worker of the runtime (so a sync wait inside it
/// blocks no task), and it cannot be aborted once started.
///
/// # Examples
///
/// ```
/// use interleave::future;
///
/// interleave::check(|| {
///     let sum = future::block_on(async {
///         future::spawn_blocking(|| (1..=4).sum::<u32>()).await.unwrap()
///     });
///     assert_eq!(sum, 10);
/// });
/// ```
///
/// # Panics
///
/// Outside a runtime.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let site = Site::caller();
    let runtime = current_runtime(&site);
    spawn_on(
        runtime,
        async move { f() },
        Some("blocking".to_owned()),
        site,
        false,
    )
}

/// Runs the blocking closure `f` on the current thread, as tokio's `task::block_in_place`:
/// inside a task of a multi-thread runtime ([`Runtime::multi_thread`], or [`Runtime::new`]
/// with two workers or more), the task first gives its worker back, so the runtime's other
/// tasks go on while `f` blocks (on a sync lock, a sync channel, `blocking_recv`,
/// [`Handle::block_on`]); the rest of that poll runs without a worker, as on tokio, where the
/// worker moved to another OS thread. Inside a multi-thread runtime's `block_on`, a blocking
/// task, or outside any runtime, `f` just runs (it blocks no worker).
///
/// # Examples
///
/// A task waits on a sync channel for a message that another task sends: on one worker it
/// would hold the worker the sender needs, a deadlock; `block_in_place` gives it back.
///
/// ```
/// use interleave::future::{self, Runtime};
///
/// interleave::check(|| {
///     Runtime::multi_thread(1).block_on(async {
///         let (tx, rx) = interleave::sync::mpsc::channel::<u32>();
///         let waiting = future::spawn(async move {
///             future::block_in_place(|| rx.recv().unwrap())
///         });
///         let sending = future::spawn(async move { tx.send(7).unwrap() });
///         sending.await.unwrap();
///         assert_eq!(waiting.await.unwrap(), 7);
///     });
/// });
/// ```
///
/// # Panics
///
/// On a current-thread runtime ([`block_on`], [`Runtime::new`] with one worker), as tokio's:
/// "can call blocking only when running on the multi-threaded runtime".
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    if !rt::in_execution() {
        return f();
    }
    let me = rt::current_thread();
    let outer = runtime::membership(me);
    let Some(shared) = outer.runtime.as_ref().filter(|_| !outer.blocking) else {
        // Outside any runtime, in a blocking task, or nested: blocking is fine here.
        return f();
    };
    // A `LocalSet` runs on one thread, whatever the runtime: tokio's refuses there.
    assert!(
        !outer.on_set
            && !outer
                .local
                .as_ref()
                .is_some_and(|set| set.driven_by(me)),
        "can call blocking only when running on the multi-threaded runtime (block_in_place at {}, inside a LocalSet)",
        Site::caller()
    );
    assert!(
        shared.is_multi_thread(),
        "can call blocking only when running on the multi-threaded runtime (block_in_place at {}, on a current-thread runtime)",
        Site::caller()
    );
    if outer.holds_worker {
        // A worker's task in its poll: it gives the worker back for the rest of the poll.
        // (Between polls, a cancelled task's future dropped, it holds none to give.)
        shared.release_worker();
    }
    /// Puts the membership back when `f` returns or unwinds.
    struct Restore(ThreadId, runtime::Membership);
    impl Drop for Restore {
        fn drop(&mut self) {
            runtime::set_membership(self.0, self.1.clone());
        }
    }
    let restore = Restore(
        me,
        runtime::Membership {
            holds_worker: false,
            ..outer.clone()
        },
    );
    runtime::set_membership(
        me,
        runtime::Membership {
            blocking: true,
            holds_worker: false,
            ..outer
        },
    );
    let output = f();
    drop(restore);
    output
}

/// As [`spawn`], with a name that reports show for the task.
///
/// # Panics
///
/// Outside a runtime.
#[track_caller]
pub fn spawn_named<F>(future: F, name: &str) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_task(future, Some(name.to_owned()), Site::caller())
}

/// Spawns a future that is not `Send` (one holding a `std` guard across an `.await`, say) as
/// a task of the current runtime: tokio's `task::spawn_local`. Inside a check every task runs
/// on one OS thread, so no `LocalSet` is needed.
///
/// # Panics
///
/// Outside a runtime.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let site = Site::caller();
    if rt::in_execution() {
        if let Some(set) = runtime::membership(rt::current_thread()).local {
            return super::local::spawn_on(&set, future, site);
        }
    }
    spawn_task(future, None, site)
}

/// Spawns `future` as a task of the `LocalSet` `set`: it polls holding the set's worker, and
/// `ended` runs on its thread when it ends (finished or cancelled), before its output is
/// stored.
pub(crate) fn spawn_on_set<F>(
    set: Arc<LocalShared>,
    future: F,
    site: Site,
    ended: impl FnOnce(ThreadId) + 'static,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_thread(Home::Set(set), future, None, site, ended)
}

fn current_runtime(site: &Site) -> Arc<RuntimeShared> {
    if !rt::in_execution() {
        rt::outside_a_check(
            "interleave::future::spawn (`tokio::spawn` through interleave-tokio)",
            Some(site),
        );
    }
    runtime::current().unwrap_or_else(|| {
        panic!(
            "interleave::future::spawn called outside a runtime, at {site}: call it inside block_on or a task"
        )
    })
}

fn spawn_task<F>(future: F, name: Option<String>, site: Site) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let runtime = current_runtime(&site);
    spawn_on(runtime, future, name, site, true)
}

/// Spawns `future` as a task of `runtime`; with `worker`, it holds one of the runtime's
/// workers while it polls (a blocking task does not, and is never cancelled).
pub(crate) fn spawn_on<F>(
    runtime: Arc<RuntimeShared>,
    future: F,
    name: Option<String>,
    site: Site,
    worker: bool,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    if worker {
        runtime.join_workers();
    }
    spawn_thread(
        Home::Runtime { runtime, worker },
        future,
        name,
        site,
        |_| {},
    )
}

/// What a task belongs to, and polls on.
enum Home {
    /// A runtime; `worker`: it holds one of its workers while it polls (a blocking task does
    /// not, and is never cancelled).
    Runtime {
        runtime: Arc<RuntimeShared>,
        worker: bool,
    },
    /// A `LocalSet`: it polls holding the set's worker, and belongs to its driver's runtime.
    Set(Arc<LocalShared>),
}

/// Spawns the thread of a task of `home` that polls `future`; `ended` runs on it when it ends,
/// before its output is stored.
fn spawn_thread<F>(
    home: Home,
    future: F,
    name: Option<String>,
    site: Site,
    ended: impl FnOnce(ThreadId) + 'static,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let cell: Slot<F::Output> = Arc::default();
    let for_body = Arc::clone(&cell);
    let task_site = site.clone();
    let (set, runtime, worker) = match &home {
        Home::Runtime { runtime, worker } => (None, Some(Arc::clone(runtime)), *worker),
        Home::Set(set) => (Some(Arc::clone(set)), None, true),
    };
    let body = Box::new(move || {
        let shared = for_body
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .expect("the task's state is set before it runs");
        runtime::set_membership(
            shared.thread,
            runtime::Membership {
                runtime: match &set {
                    Some(set) => set.runtime(),
                    None => runtime.clone(),
                },
                blocking: !worker,
                task: true,
                holds_worker: false,
                entered: None,
                enter_depth: 0,
                local: set.clone(),
                on_set: set.is_some(),
            },
        );
        let cancelled = || worker && shared.cancel.cancelled();
        let polls_on = match &set {
            Some(set) => Some(&*set.worker),
            None => runtime.as_deref().filter(|_| worker),
        };
        rt::run_thread(
            || {
                drive(
                    future,
                    polls_on,
                    &shared.waker,
                    &task_site,
                    &cancelled,
                    worker,
                )
            },
            |output| {
                ended(shared.thread);
                let id = shared.thread.0;
                shared.finish(output.ok_or(JoinError { id }));
            },
        );
    });
    let thread = rt::spawn(body, name, site, None);
    let (waker, cancel) = (
        new_waker(thread),
        Arc::new(Cancel {
            thread,
            cancelled: AtomicBool::new(false),
            local: std::sync::OnceLock::new(),
        }),
    );
    if let Home::Set(set) = &home {
        let _ = waker.local.set(Arc::clone(set));
        let _ = cancel.local.set(Arc::clone(set));
    }
    let shared = Arc::new(TaskShared {
        thread,
        waker,
        cancel,
        state: StdMutex::new(JoinState {
            output: None,
            finished: false,
            joiners: Vec::new(),
        }),
    });
    *cell
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&shared));
    match &home {
        Home::Runtime { runtime, worker } if *worker => {
            runtime.add_task(Arc::clone(&shared.cancel));
        }
        Home::Runtime { .. } => {}
        Home::Set(set) => set.worker.add_task(Arc::clone(&shared.cancel)),
    }
    JoinHandle {
        shared,
        awaited_at: None,
    }
}

/// An owned permission to await a task's output: a future of `Result<T, JoinError>`.
/// Dropping it detaches the task (it runs on; its runtime cancels it at shutdown).
pub struct JoinHandle<T> {
    shared: Arc<TaskShared<T>>,
    /// Where it is awaited: the join it announced there, until it returns.
    awaited_at: Option<Site>,
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.stop_awaiting();
    }
}

impl<T> JoinHandle<T> {
    /// A future awaiting it was dropped (a `select!` or `timeout` gave up on it): the task
    /// waits for the other task no more, from now on, not from its next wait.
    pub(crate) fn stop_awaiting(&mut self) {
        if let Some(site) = self.awaited_at.take() {
            if rt::in_execution() {
                let child = self.shared.thread;
                rt::emit(EventKind::JoinCancel { child }, site);
            }
        }
    }

    /// The task's output if it has finished, joined in the current step at `site` (no
    /// scheduling point of its own: the caller's step reads the task's end); `None` if not.
    pub(crate) fn try_join(&mut self, site: Site) -> Option<Result<T, JoinError>> {
        let child = self.shared.thread;
        let output = {
            let mut state = self.shared.state();
            if state.finished {
                state.output.take()
            } else {
                None
            }
        };
        // The output is stored just before the task's thread exits, with no scheduling point
        // between (see `poll`): this reads the end whether or not it found it.
        rt::thread_finished(child);
        let output = output?;
        self.awaited_at = None;
        rt::emit(EventKind::JoinRequest { child }, site.clone());
        rt::emit(EventKind::Joined { child }, site);
        Some(output)
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("task", &self.shared.thread.0)
            .finish_non_exhaustive()
    }
}

impl<T> JoinHandle<T> {
    /// Cancels the task: at its next wait it drops its future, and awaiting this handle gives
    /// `Err(JoinError)` (unless it had already finished).
    pub fn abort(&self) {
        rt::switch();
        self.shared.cancel.cancel();
    }

    /// Whether the task has finished (a scheduling point).
    pub fn is_finished(&self) -> bool {
        rt::yield_now();
        rt::thread_finished(self.shared.thread) && self.shared.state().finished
    }

    /// A handle that aborts the task without awaiting it (tokio's `AbortHandle`).
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle {
            cancel: Arc::clone(&self.shared.cancel),
        }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        TaskId::of(self.shared.thread)
    }

    /// The task's thread.
    pub(crate) fn thread(&self) -> ThreadId {
        self.shared.thread
    }
}

/// Aborts a task without owning its [`JoinHandle`]: tokio's `task::AbortHandle`.
#[derive(Debug, Clone)]
pub struct AbortHandle {
    cancel: Arc<Cancel>,
}

impl AbortHandle {
    /// The task's id.
    pub fn id(&self) -> TaskId {
        TaskId::of(self.cancel.thread)
    }

    /// Cancels the task, as [`JoinHandle::abort`] does.
    pub fn abort(&self) {
        rt::switch();
        self.cancel.cancel();
    }

    /// Whether the task has finished (a scheduling point).
    pub fn is_finished(&self) -> bool {
        rt::yield_now();
        rt::thread_finished(self.cancel.thread)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let site = Site::caller();
        let child = self.shared.thread;
        let first = self.awaited_at.is_none();
        if first {
            self.awaited_at = Some(site.clone());
            rt::switch();
            rt::emit(EventKind::JoinRequest { child }, site.clone());
        }
        let output = {
            let mut state = self.shared.state();
            if state.finished {
                state.output.take()
            } else {
                state.joiners.push(cx.waker().clone());
                None
            }
        };
        if output.is_none() {
            pending_at(&site);
        }
        // The output is stored just before the task's thread exits, with no scheduling point
        // between: whoever sees it sees the exit too.
        match output {
            Some(output) => {
                self.awaited_at = None;
                // A poll that finds the task finished may not have waited for its end: polled
                // before it (at the first poll, or woken by a timer), the handle returns
                // `Pending` and the awaiting task goes on (a `timeout`'s timer, a `select!`'s
                // other branch), unlike a thread's blocking join. The join is announced as one
                // of a finished task (it counts as waited for in the task's next step, as
                // such a thread's join does), and this step reads the end: exhaustive
                // exploration may run the poll first where that is possible.
                if !first {
                    rt::emit(EventKind::JoinRequest { child }, site.clone());
                }
                rt::thread_finished(child);
                rt::emit(EventKind::Joined { child }, site);
                Poll::Ready(output)
            }
            None => Poll::Pending,
        }
    }
}

/// Returns `Pending` once, waking the task at once: the other tasks and threads go first.
///
/// # Examples
///
/// ```
/// interleave::check(|| {
///     interleave::future::block_on(async {
///         interleave::future::yield_now().await;
///     });
/// });
/// ```
#[track_caller]
pub fn yield_now() -> YieldNow {
    YieldNow {
        yielded: false,
        site: Site::caller(),
    }
}

/// The future of [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
    site: Site,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        pending_at(&self.site);
        if rt::in_execution() {
            let me = rt::current_thread();
            if runtime::set_of_task(me).is_some_and(|set| set.defers_yield()) {
                defer_yield(me);
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
