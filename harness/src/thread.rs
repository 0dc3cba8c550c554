//! Threads of a scenario: std's `thread` API on the engine's coroutines.

use std::fmt;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use interleave_detector::{EventKind, Site, ThreadId as RawThreadId};

use crate::{real, rt};

mod scope;

pub use scope::{scope, Scope, ScopedJoinHandle};

/// Identifies a thread: of the running execution (0 is the scenario's main thread), or, outside
/// any execution, a real thread of the process.
///
/// Not std's `ThreadId`: inside an execution every scenario thread is a coroutine on the same OS
/// thread, so std's would be one id for all of them. Like std's, it is `Copy`, `Eq`, `Hash` and
/// `Debug`, and `thread::current().id()` returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThreadId {
    index: u32,
    real: bool,
}

impl ThreadId {
    /// The number: inside an execution 0 for the scenario's main thread, then in spawn order;
    /// for a real thread, its number in the process, in the order interleave first asked.
    pub fn as_u32(self) -> u32 {
        self.index
    }

    fn modelled(id: RawThreadId) -> Self {
        ThreadId {
            index: id.0,
            real: false,
        }
    }

    /// The number of a real thread, by std's id.
    fn real(id: std::thread::ThreadId) -> Self {
        static NUMBERS: std::sync::LazyLock<
            StdMutex<std::collections::HashMap<std::thread::ThreadId, u32>>,
        > = std::sync::LazyLock::new(Default::default);
        let mut numbers = NUMBERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = numbers.len() as u32;
        ThreadId {
            index: *numbers.entry(id).or_insert(next),
            real: true,
        }
    }
}

/// A handle to a thread: its id and name, and `unpark`.
#[derive(Clone, Debug)]
pub struct Thread {
    inner: ThreadInner,
}

#[derive(Clone, Debug)]
enum ThreadInner {
    /// A thread of the running execution.
    Modelled {
        id: RawThreadId,
        name: Option<String>,
    },
    /// A real thread (outside any execution).
    Real(std::thread::Thread),
}

impl Thread {
    fn modelled(id: RawThreadId, name: Option<String>) -> Self {
        Thread {
            inner: ThreadInner::Modelled { id, name },
        }
    }

    fn real(thread: std::thread::Thread) -> Self {
        Thread {
            inner: ThreadInner::Real(thread),
        }
    }

    /// Its id.
    pub fn id(&self) -> ThreadId {
        match &self.inner {
            ThreadInner::Modelled { id, .. } => ThreadId::modelled(*id),
            ThreadInner::Real(thread) => ThreadId::real(thread.id()),
        }
    }

    /// Its name, if it was spawned with one (`"main"` for the scenario's main thread, and for
    /// the process's main thread).
    pub fn name(&self) -> Option<&str> {
        match &self.inner {
            ThreadInner::Modelled { name, .. } => name.as_deref(),
            ThreadInner::Real(thread) => thread.name(),
        }
    }

    /// Makes the thread's token available: a blocked `park` returns, or the next one does
    /// not block.
    #[track_caller]
    pub fn unpark(&self) {
        let target = match &self.inner {
            ThreadInner::Real(thread) => {
                thread.unpark();
                return;
            }
            ThreadInner::Modelled { id, .. } => *id,
        };
        let site = Site::caller();
        let wake = rt::with(|c| {
            c.emit(EventKind::Unpark { target }, site.clone());
            let slot = c.thread_mut(target);
            slot.park_token = true;
            std::mem::replace(&mut slot.parked, false)
        })
        .unwrap_or(false);
        if wake {
            rt::unblock(target);
        }
        rt::switch();
    }
}

/// The thread that calls it: a thread of the running execution, or outside any execution the
/// real thread.
pub fn current() -> Thread {
    rt::with(|c| {
        let id = c.current;
        let name = if id == RawThreadId::MAIN {
            Some("main".to_owned())
        } else {
            c.thread(id).name.clone()
        };
        Thread::modelled(id, name)
    })
    .unwrap_or_else(|| Thread::real(std::thread::current()))
}

/// A scheduling point where the strategy prefers to run another thread (outside an execution,
/// std's `yield_now`).
pub fn yield_now() {
    if rt::in_execution() {
        rt::yield_now();
    } else {
        std::thread::yield_now();
    }
}

/// Blocks until the thread's token is available (see [`Thread::unpark`]), and consumes it.
#[track_caller]
pub fn park() {
    if !rt::in_execution() {
        std::thread::park();
        return;
    }
    park_until(None, Site::caller());
}

/// As [`park`], but returns after `timeout` at the latest (of virtual time inside an
/// execution, of real time outside one).
#[track_caller]
pub fn park_timeout(timeout: Duration) {
    if !rt::in_execution() {
        std::thread::park_timeout(timeout);
        return;
    }
    park_until(Some(timeout), Site::caller());
}

fn park_until(timeout: Option<Duration>, site: Site) {
    rt::emit(
        EventKind::Park {
            timed: timeout.is_some(),
        },
        site.clone(),
    );
    if let Some(timeout) = timeout {
        rt::arm_timer(timeout, &site);
    }
    rt::switch();
    loop {
        let ready = rt::with(|c| {
            let me = c.current;
            let slot = c.thread_mut(me);
            if std::mem::replace(&mut slot.park_token, false) {
                true
            } else {
                slot.parked = true;
                false
            }
        })
        .unwrap_or(true);
        if ready || (timeout.is_some() && rt::take_timeout()) {
            break;
        }
        rt::block_current(&site);
    }
    rt::with(|c| {
        let me = c.current;
        c.thread_mut(me).parked = false;
    });
    if timeout.is_some() {
        rt::disarm_timer();
    }
    rt::emit(EventKind::Unparked, site);
}

/// Puts the current thread to sleep for `duration` of virtual time (see [`crate::time`]).
#[track_caller]
pub fn sleep(duration: Duration) {
    crate::time::sleep_at(duration, Site::caller());
}

/// An owned permission to join a thread.
pub struct JoinHandle<T> {
    thread: Thread,
    inner: JoinInner<T>,
}

enum JoinInner<T> {
    /// Where the thread of the execution leaves its value.
    Modelled(Arc<StdMutex<Option<T>>>),
    /// A real thread.
    Real(std::thread::JoinHandle<T>),
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("thread", &self.thread)
            .finish_non_exhaustive()
    }
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish and returns what it returned.
    ///
    /// # Errors
    ///
    /// A real thread that panicked gives its panic, as std's. Inside an execution never, in
    /// practice: a panicking thread is a finding that ends the execution before anyone can join
    /// it.
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        let result = match self.inner {
            JoinInner::Real(handle) => return handle.join(),
            JoinInner::Modelled(result) => result,
        };
        let ThreadInner::Modelled { id, .. } = self.thread.inner else {
            unreachable!("a modelled handle has a modelled thread")
        };
        join_thread(id, &Site::caller());
        let value = result
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        value.ok_or_else(|| Box::new("the thread panicked") as Box<dyn std::any::Any + Send>)
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// Whether the thread has finished. Inside an execution a scheduling point (the strategy
    /// prefers another thread), so a loop polling it lets the thread it waits for run.
    pub fn is_finished(&self) -> bool {
        match (&self.inner, &self.thread.inner) {
            (JoinInner::Real(handle), _) => handle.is_finished(),
            (JoinInner::Modelled(_), ThreadInner::Modelled { id, .. }) => {
                rt::yield_now();
                rt::thread_finished(*id)
            }
            (JoinInner::Modelled(_), ThreadInner::Real(_)) => {
                unreachable!("a modelled handle has a modelled thread")
            }
        }
    }
}

/// Waits for `child` to finish. A child that has already finished is joined at once, without a
/// scheduling point: no order of the two threads could change what the join sees (it comes
/// after the exit in every execution). A join of a live child announces itself and yields; it
/// is disabled until the child exits.
pub(crate) fn join_thread(child: RawThreadId, site: &Site) {
    let finished = rt::with(|c| {
        c.emit(EventKind::JoinRequest { child }, site.clone());
        let finished = c.thread(child).finished;
        if finished {
            c.emit(EventKind::Joined { child }, site.clone());
        }
        finished
    })
    .unwrap_or(true);
    if finished {
        return;
    }
    rt::switch();
    loop {
        let finished = rt::with(|c| {
            if c.thread(child).finished {
                return true;
            }
            let me = c.current;
            let joiners = &mut c.thread_mut(child).joiners;
            if !joiners.contains(&me) {
                joiners.push(me);
            }
            false
        })
        .unwrap_or(true);
        if finished {
            break;
        }
        rt::block_current(site);
    }
    rt::emit(EventKind::Joined { child }, site.clone());
}

/// Spawns a thread: of the scenario inside an execution, a real OS thread outside one (as
/// std's, with interleave's online detection following it).
///
/// # Panics
///
/// If the OS cannot create a thread, as std's.
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_boxed(f, None, Site::caller(), None).expect("failed to spawn thread")
}

/// Spawns a thread of the running execution with loom's bounds: `'static` only, no `Send`
/// (every thread of an execution runs on the OS thread of its check, so nothing crosses OS
/// threads). `interleave-loom`'s `thread::spawn` is this.
///
/// # Panics
///
/// Outside an execution: a real thread needs `Send`; use [`spawn`] there.
#[track_caller]
pub fn spawn_modelled<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    assert!(
        rt::in_execution(),
        "interleave: `spawn_modelled` outside a check; a real thread needs `thread::spawn`"
    );
    let result = Arc::new(StdMutex::new(None));
    let slot = Arc::clone(&result);
    let body = Box::new(move || rt::run_thread(f, move |value| keep(&slot, value)));
    let id = rt::spawn(body, None, Site::caller(), None);
    JoinHandle {
        thread: Thread::modelled(id, None),
        inner: JoinInner::Modelled(result),
    }
}

fn spawn_boxed<F, T>(
    f: F,
    name: Option<String>,
    site: Site,
    stack_size: Option<usize>,
) -> std::io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    if !rt::in_execution() {
        let handle = real_builder(name, stack_size).spawn(real_body(f, site))?;
        return Ok(JoinHandle {
            thread: Thread::real(handle.thread().clone()),
            inner: JoinInner::Real(handle),
        });
    }
    let result = Arc::new(StdMutex::new(None));
    let slot = Arc::clone(&result);
    let body = Box::new(move || rt::run_thread(f, move |value| keep(&slot, value)));
    let id = rt::spawn(body, name.clone(), site, stack_size);
    Ok(JoinHandle {
        thread: Thread::modelled(id, name),
        inner: JoinInner::Modelled(result),
    })
}

/// std's builder for a real thread.
fn real_builder(name: Option<String>, stack_size: Option<usize>) -> std::thread::Builder {
    let mut builder = std::thread::Builder::new();
    if let Some(name) = name {
        builder = builder.name(name);
    }
    if let Some(size) = stack_size {
        builder = builder.stack_size(size);
    }
    builder
}

/// A real thread's body: it knows where it was spawned, and inherits its parent's online mode.
fn real_body<F, T>(f: F, site: Site) -> impl FnOnce() -> T + Send
where
    F: FnOnce() -> T + Send,
{
    let mode = real::inherited();
    move || {
        real::spawned_at(site);
        real::inherit(mode);
        f()
    }
}

/// Hands a finished thread's value to its `JoinHandle`, or drops it at once if the handle is
/// gone (as std does, before the thread ends).
fn keep<T>(slot: &Arc<StdMutex<Option<T>>>, value: T) {
    if Arc::strong_count(slot) > 1 {
        *slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(value);
    } else {
        drop(value);
    }
}

/// Configures a thread before spawning it: std's `thread::Builder`.
#[derive(Debug, Default)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    /// A builder with no name.
    pub fn new() -> Self {
        Builder::default()
    }

    /// Names the thread (shown in reports).
    pub fn name(mut self, name: String) -> Self {
        self.name = Some(name);
        self
    }

    /// The thread's stack: at least `size` bytes (every scenario thread gets at least the
    /// check's [`Config::stack_size`](crate::Config::stack_size), 2 MiB by default).
    pub fn stack_size(mut self, size: usize) -> Self {
        self.stack_size = Some(size);
        self
    }

    /// Spawns the thread.
    ///
    /// # Errors
    ///
    /// Outside an execution, if the OS cannot create the thread (std's error). Never inside
    /// one.
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> std::io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        spawn_boxed(f, self.name, Site::caller(), self.stack_size)
    }

    /// Spawns a scoped thread.
    ///
    /// # Errors
    ///
    /// Outside an execution, if the OS cannot create the thread (std's error). Never inside
    /// one.
    #[track_caller]
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> std::io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        scope.spawn_named(f, self.name, Site::caller(), self.stack_size)
    }
}
