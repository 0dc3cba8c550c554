//! `LocalSet`: tasks that run on the thread driving the set, one at a time, only while it is
//! driven (tokio's `task::LocalSet`).
//!
//! The set has one worker of its own (`RuntimeShared::new_local`), a token its tasks hold while
//! they poll, so their polls are ordered as on one OS thread. Whoever drives the set
//! (`run_until`, or awaiting the set) holds that token, except while it lends it: each poll of
//! a `run_until` polls its future, then runs a *tick*, as tokio's: it lends the token to the
//! tasks queued for it, first come first served, and takes it back behind them, until none is
//! queued (or 61 polls have run: tokio's `MAX_TASKS_PER_TICK`, after which it wakes itself and
//! returns `Pending`). The driver stays inside its poll meanwhile, so on a current-thread
//! runtime it keeps the runtime's worker, and no other task of that runtime runs during a tick,
//! as in tokio.
//!
//! A task queues when it is spawned, woken or aborted (tokio's run queue), not when it next
//! runs: its thread stays blocked until the set lends it the worker. A task queued while the
//! set is not driven wakes the driver's waker. A `yield_now` in a task of the set queues it
//! when the tick ends, the last to yield first (tokio's `context::defer`), where a scheduler
//! drives the set; on a multi-thread runtime's `block_on` thread it queues at once. An
//! aborted task drops its future in its turn, holding the worker. When the set is never
//! driven again its tasks never run, as in tokio; dropping the set drops their futures one at
//! a time in spawn order (each task drops its own, after what the dropper did, and the drop
//! waits for it).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Waker};

use interleave_detector::{Site, ThreadId};

use super::runtime::{self, RuntimeShared};
use super::task::{self, JoinHandle};
use crate::rt;

/// tokio's `MAX_TASKS_PER_TICK` for a `LocalSet`.
const MAX_TASKS_PER_TICK: usize = 61;

/// What a `LocalSet` shares with its tasks and their wakers.
pub(crate) struct LocalShared {
    /// The token its tasks poll on.
    pub(crate) worker: Arc<RuntimeShared>,
    state: StdMutex<LocalState>,
}

impl fmt::Debug for LocalShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalShared").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct LocalState {
    /// The waker of its last driver, woken when a task queues while nobody drives the set.
    driver: Option<Waker>,
    /// The runtime of its last driver: `spawn` and `Handle::current` inside its tasks use it.
    runtime: Option<Arc<RuntimeShared>>,
    /// The thread inside a poll that drives it now (it will look at the queue before it
    /// returns: a task queueing meanwhile need not wake it).
    driving: Option<ThreadId>,
    /// Tasks spawned on it and not finished.
    live: usize,
    /// Tasks that yielded in this tick: queued when it ends.
    deferred: Vec<ThreadId>,
    /// The set is being dropped: its tasks drop their futures at once.
    dropping: bool,
}

impl LocalShared {
    fn state(&self) -> std::sync::MutexGuard<'_, LocalState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `thread`, a task of the set, is runnable: it queues for the token, waking the driver
    /// if nobody drives the set now.
    pub(crate) fn queue(&self, thread: ThreadId) {
        if !self.worker.enqueue(thread) {
            return;
        }
        let driver = {
            let state = self.state();
            if state.driving.is_some() {
                None
            } else {
                state.driver.clone()
            }
        };
        if let Some(driver) = driver {
            driver.wake();
        }
    }

    /// `thread` yielded: it queues once the tick ends.
    pub(crate) fn defer(&self, thread: ThreadId) {
        self.state().deferred.push(thread);
    }

    /// The tick ended: the tasks that yielded in it queue, the last to yield first (tokio's
    /// `Defer::wake` pops them); returns whether any did.
    fn flush_deferred(&self) -> bool {
        let deferred = std::mem::take(&mut self.state().deferred);
        for &thread in deferred.iter().rev() {
            self.worker.enqueue(thread);
        }
        !deferred.is_empty()
    }

    /// The set is being dropped.
    pub(crate) fn dropping(&self) -> bool {
        self.state().dropping
    }

    /// Whether a `yield_now` in a task of the set is deferred to the end of the tick: tokio
    /// defers it where a scheduler runs the driver (a task, or a current-thread runtime's
    /// `block_on`), not on a multi-thread runtime's `block_on` thread, where it wakes at once.
    pub(crate) fn defers_yield(&self) -> bool {
        let driver = self.state().driving;
        driver.is_none_or(|driver| runtime::membership(driver).holds_worker)
    }

    /// Whether `thread` is inside a poll that drives the set.
    pub(crate) fn driven_by(&self, thread: ThreadId) -> bool {
        self.state().driving == Some(thread)
    }

    /// The runtime its tasks belong to: its last driver's.
    pub(crate) fn runtime(&self) -> Option<Arc<RuntimeShared>> {
        self.state().runtime.clone()
    }

    /// A task of the set ended (`completed`: its future returned, already counted by
    /// [`completed`](Self::completed)).
    fn ended(&self, thread: ThreadId, counted: bool) {
        // An aborted task dropped its future holding the worker.
        if runtime::set_holds_worker(thread, false) {
            self.worker.release_worker();
        }
        self.worker.forget(thread);
        let driver = {
            let mut state = self.state();
            if !counted {
                state.live -= 1;
            }
            (state.live == 0 && state.driving.is_none())
                .then(|| state.driver.clone())
                .flatten()
        };
        if let Some(driver) = driver {
            driver.wake();
        }
    }

    /// A task's future returned, inside its poll (before it gives the token back, so that
    /// the driver taking the token back sees it).
    fn completed(&self) {
        self.state().live -= 1;
    }

    /// The current thread drives the set, in a poll with waker `waker`: `Some` with whether
    /// it began now (`false`: a nested `run_until` on the same thread, which ticks too, as
    /// tokio's); `None` if another thread drives it.
    fn begin(&self, waker: &Waker) -> Option<bool> {
        let me = rt::current_thread();
        let runtime = runtime::current();
        let mut state = self.state();
        match state.driving {
            Some(driver) if driver == me => return Some(false),
            Some(_) => return None,
            None => {}
        }
        state.driving = Some(me);
        if !state.driver.as_ref().is_some_and(|w| w.will_wake(waker)) {
            state.driver = Some(waker.clone());
        }
        if runtime.is_some() {
            state.runtime = runtime;
        }
        Some(true)
    }

    fn end(&self) {
        self.state().driving = None;
    }

    /// Lends the token to the queued tasks, taking it back behind them, until none is queued
    /// or [`MAX_TASKS_PER_TICK`] polls ran; returns whether tasks are still queued.
    fn tick(&self, site: &Site) -> bool {
        let mut polls = 0;
        loop {
            let waiting = self.worker.waiting();
            if waiting == 0 {
                return false;
            }
            if polls >= MAX_TASKS_PER_TICK {
                return true;
            }
            // The worker comes back after as many polls as the budget has left.
            let batch = waiting.min(MAX_TASKS_PER_TICK - polls);
            polls += batch;
            self.worker.release_worker();
            self.worker.acquire_after(site, batch - 1);
        }
    }

    fn live(&self) -> usize {
        self.state().live
    }
}

/// A set of tasks that run on the thread that drives it: tokio's `task::LocalSet`. Its tasks
/// need not be `Send`; they run only while the set is driven ([`LocalSet::run_until`], or
/// awaiting the set), one at a time, between the polls of the future it runs until.
///
/// Inside a task of the set, or a future it runs, [`spawn_local`](task::spawn_local) spawns on
/// the set. Dropping the set cancels its tasks: each drops its future.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// use interleave::future::{self, LocalSet};
///
/// interleave::check(|| {
///     let local = LocalSet::new();
///     let count = Rc::new(Cell::new(0)); // not `Send`
///     let seen = Rc::clone(&count);
///     local.spawn_local(async move { seen.set(seen.get() + 1) });
///     future::block_on(local.run_until(async move {
///         let bump = Rc::clone(&count);
///         future::spawn_local(async move { bump.set(bump.get() + 1) }).await.unwrap();
///         assert_eq!(count.get(), 2);
///     }));
/// });
/// ```
pub struct LocalSet {
    shared: Arc<LocalShared>,
    site: Site,
    /// Not `Send`, as tokio's.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet").finish_non_exhaustive()
    }
}

impl Default for LocalSet {
    #[track_caller]
    fn default() -> Self {
        LocalSet::at(Site::caller())
    }
}

impl LocalSet {
    /// An empty set.
    ///
    /// # Panics
    ///
    /// Outside a check.
    #[track_caller]
    pub fn new() -> LocalSet {
        LocalSet::at(Site::caller())
    }

    fn at(site: Site) -> LocalSet {
        if !rt::in_execution() {
            rt::outside_a_check("a `LocalSet`", Some(&site));
        }
        LocalSet {
            shared: Arc::new(LocalShared {
                worker: RuntimeShared::new_local(&site),
                state: StdMutex::new(LocalState::default()),
            }),
            site,
            _not_send: std::marker::PhantomData,
        }
    }

    /// Spawns `future` as a task of the set: it runs once the set is driven.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_on(&self.shared, future, Site::caller())
    }

    /// Runs `future` to completion, running the set's tasks while it waits.
    pub fn run_until<F: Future>(&self, future: F) -> RunUntil<'_, F> {
        RunUntil {
            set: self,
            future: Box::pin(future),
        }
    }

    /// Makes [`spawn_local`](task::spawn_local) on the current thread spawn on this set until
    /// the guard is dropped.
    pub fn enter(&self) -> LocalEnterGuard {
        let thread = rt::current_thread();
        let mut membership = runtime::membership(thread);
        let previous = membership.local.replace(Arc::clone(&self.shared));
        runtime::set_membership(thread, membership);
        LocalEnterGuard {
            thread,
            previous,
            _not_send: std::marker::PhantomData,
        }
    }

    /// Runs `future` to completion on `runtime`, running the set's tasks while it waits:
    /// `runtime.block_on(self.run_until(future))`. (`R`: [`Runtime`](task::Runtime), or a
    /// facade's runtime that wraps one, as interleave-tokio's.)
    #[track_caller]
    pub fn block_on<R, F>(&self, runtime: &R, future: F) -> F::Output
    where
        R: AsRef<task::Runtime> + ?Sized,
        F: Future,
    {
        runtime.as_ref().block_on(self.run_until(future))
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        if rt::in_execution() && rt::with(|c| c.stop.is_none()).unwrap_or(false) {
            self.shared.state().dropping = true;
            self.shared.worker.shut_down_in_order(&self.site);
        }
    }
}

/// Awaiting a set runs its tasks until every one has finished.
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let shared = &self.shared;
        let Some(began) = shared.begin(cx.waker()) else {
            return Poll::Pending;
        };
        let _end = began.then(|| End(shared));
        rt::task_waits_on(shared.worker.object, false);
        let queued = shared.tick(&self.site) | shared.flush_deferred();
        if shared.live() == 0 {
            return Poll::Ready(());
        }
        if queued {
            cx.waker().wake_by_ref();
        }
        // A task of the set queued from now on wakes it: exhaustive exploration must not take
        // it for a task that only waits for what its futures announced.
        rt::task_waits_on(shared.worker.object, true);
        Poll::Pending
    }
}

/// Ends the driving of a set when a poll returns or unwinds.
struct End<'a>(&'a LocalShared);

impl Drop for End<'_> {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// The future of [`LocalSet::run_until`].
#[must_use = "futures do nothing unless polled"]
pub struct RunUntil<'a, F> {
    set: &'a LocalSet,
    future: Pin<Box<F>>,
}

impl<F> fmt::Debug for RunUntil<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntil").finish_non_exhaustive()
    }
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let set = self.set;
        let shared = &set.shared;
        let began = shared.begin(cx.waker());
        let driving = began.is_some();
        let _end = (began == Some(true)).then(|| End(shared));
        // `spawn_local` inside the future spawns on the set.
        let thread = rt::current_thread();
        let outer = runtime::membership(thread);
        let _restore = Restore(thread, outer.local.clone());
        let mut membership = outer;
        membership.local = Some(Arc::clone(shared));
        runtime::set_membership(thread, membership);
        if driving {
            rt::task_waits_on(shared.worker.object, false);
        }
        if let Poll::Ready(output) = self.future.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        if driving {
            if shared.tick(&set.site) | shared.flush_deferred() {
                cx.waker().wake_by_ref();
            }
            // A task of the set queued from now on wakes the driver: exhaustive exploration
            // must not take it for a task that only waits for what its future announced.
            rt::task_waits_on(shared.worker.object, true);
        }
        Poll::Pending
    }
}

/// Puts back the set `spawn_local` uses on a thread when a poll returns or unwinds.
struct Restore(ThreadId, Option<Arc<LocalShared>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let mut membership = runtime::membership(self.0);
        membership.local = self.1.take();
        runtime::set_membership(self.0, membership);
    }
}

/// The set entered by [`LocalSet::enter`], until dropped.
#[must_use = "the set is entered only while the guard lives"]
pub struct LocalEnterGuard {
    thread: ThreadId,
    previous: Option<Arc<LocalShared>>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish_non_exhaustive()
    }
}

impl Drop for LocalEnterGuard {
    fn drop(&mut self) {
        if !rt::in_execution() {
            return;
        }
        let mut membership = runtime::membership(self.thread);
        membership.local = self.previous.take();
        runtime::set_membership(self.thread, membership);
    }
}

/// A task's future on a set: while it polls, the task belongs to the driver's runtime; when it
/// returns, the set counts one task less before the token goes back.
struct OnSet<F> {
    future: Pin<Box<F>>,
    set: Arc<LocalShared>,
    completed: Arc<AtomicBool>,
}

impl<F: Future> Future for OnSet<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let thread = rt::current_thread();
        let mut membership = runtime::membership(thread);
        membership.runtime = self.set.runtime();
        runtime::set_membership(thread, membership);
        let poll = self.future.as_mut().poll(cx);
        if poll.is_ready() && !self.completed.swap(true, Ordering::SeqCst) {
            self.set.completed();
        }
        poll
    }
}

/// Spawns `future` on the set `shared`, queued for its token at once.
pub(crate) fn spawn_on<F>(shared: &Arc<LocalShared>, future: F, site: Site) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    shared.worker.join_workers();
    shared.state().live += 1;
    let completed = Arc::new(AtomicBool::new(false));
    let on_set = OnSet {
        future: Box::pin(future),
        set: Arc::clone(shared),
        completed: Arc::clone(&completed),
    };
    let set = Arc::clone(shared);
    let handle = task::spawn_on_set(Arc::clone(shared), on_set, site, move |thread| {
        set.ended(thread, completed.load(Ordering::SeqCst))
    });
    shared.queue(handle.thread());
    handle
}
