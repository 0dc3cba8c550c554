//! Threads of a scenario: std's `thread` API on the engine's coroutines.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use interleave_detector::{EventKind, Site, ThreadId as RawThreadId};

use crate::rt;

/// Identifies a thread of the running execution (0 is the scenario's main thread).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThreadId(u32);

impl ThreadId {
    /// The number: 0 for the scenario's main thread, then in spawn order.
    pub fn as_u32(self) -> u32 {
        self.0
    }
}

/// A handle to a thread: its id and name, and `unpark`.
#[derive(Clone, Debug)]
pub struct Thread {
    id: RawThreadId,
    name: Option<String>,
}

impl Thread {
    /// Its id.
    pub fn id(&self) -> ThreadId {
        ThreadId(self.id.0)
    }

    /// Its name, if it was spawned with one (`"main"` for the scenario's main thread).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Makes the thread's token available: a blocked `park` returns, or the next one does
    /// not block.
    #[track_caller]
    pub fn unpark(&self) {
        let site = Site::caller();
        let target = self.id;
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

/// The thread that calls it.
///
/// # Panics
///
/// Outside an interleave execution.
pub fn current() -> Thread {
    rt::with(|c| {
        let id = c.current;
        let name = if id == RawThreadId::MAIN {
            Some("main".to_owned())
        } else {
            c.thread(id).name.clone()
        };
        Thread { id, name }
    })
    .expect("interleave::thread::current() is only available inside an interleave execution")
}

/// A scheduling point where the strategy prefers to run another thread.
pub fn yield_now() {
    rt::yield_now();
}

/// Blocks until the thread's token is available (see [`Thread::unpark`]), and consumes it.
#[track_caller]
pub fn park() {
    park_until(None, Site::caller());
}

/// As [`park`], but returns after `timeout` of virtual time at the latest.
#[track_caller]
pub fn park_timeout(timeout: Duration) {
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
    result: Arc<StdMutex<Option<T>>>,
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
    /// Never, in practice: a panicking thread is a finding that ends the execution before
    /// anyone can join it. The `Result` keeps std's signature.
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        join_thread(self.thread.id, &Site::caller());
        let value = self
            .result
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        value.ok_or_else(|| Box::new("the thread panicked") as Box<dyn std::any::Any + Send>)
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }

    /// Whether the thread has finished. A scheduling point (the strategy prefers another
    /// thread), so a loop polling it lets the thread it waits for run.
    pub fn is_finished(&self) -> bool {
        rt::yield_now();
        rt::thread_finished(self.thread.id)
    }
}

fn join_thread(child: RawThreadId, site: &Site) {
    rt::emit(EventKind::JoinRequest { child }, site.clone());
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

/// Spawns a thread of the scenario.
///
/// # Panics
///
/// Outside an interleave execution.
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_boxed(f, None, Site::caller(), None)
}

#[track_caller]
fn spawn_boxed<F, T>(
    f: F,
    name: Option<String>,
    site: Site,
    stack_size: Option<usize>,
) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    assert!(
        rt::in_execution(),
        "interleave::thread::spawn is only available inside an interleave execution"
    );
    let result = Arc::new(StdMutex::new(None));
    let slot = Arc::clone(&result);
    let body = Box::new(move || rt::run_thread(f, move |value| keep(&slot, value)));
    let id = rt::spawn(body, name.clone(), site, stack_size);
    JoinHandle {
        thread: Thread { id, name },
        result,
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
    /// Never; the `Result` keeps std's signature.
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> std::io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Ok(spawn_boxed(f, self.name, Site::caller(), self.stack_size))
    }

    /// Spawns a scoped thread.
    ///
    /// # Errors
    ///
    /// Never; the `Result` keeps std's signature.
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
        Ok(scope.spawn_named(f, self.name, Site::caller(), self.stack_size))
    }
}

/// A scope for spawning threads that borrow from the caller: std's `thread::scope`.
pub struct Scope<'scope, 'env: 'scope> {
    threads: StdMutex<Vec<RawThreadId>>,
    _scope: PhantomData<&'scope mut &'scope ()>,
    _env: PhantomData<&'env mut &'env ()>,
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

/// An owned permission to join a scoped thread.
pub struct ScopedJoinHandle<'scope, T> {
    inner: JoinHandle<T>,
    _scope: PhantomData<&'scope ()>,
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle").finish_non_exhaustive()
    }
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the thread to finish and returns what it returned.
    ///
    /// # Errors
    ///
    /// Never, in practice (see [`JoinHandle::join`]).
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        self.inner.join()
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        self.inner.thread()
    }
}

/// Runs `f` with a scope whose threads may borrow from the caller; returns once every thread
/// spawned in it has finished.
#[track_caller]
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let site = Site::caller();
    let scope = Scope {
        threads: StdMutex::new(Vec::new()),
        _scope: PhantomData,
        _env: PhantomData,
    };
    // As std: whatever the body does, every thread is joined before the borrowed data can go.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&scope)));
    let threads = std::mem::take(
        &mut *scope
            .threads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for thread in threads {
        let finished = rt::thread_finished(thread);
        if !finished {
            join_thread(thread, &site);
        }
    }
    result.unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

impl<'scope> Scope<'scope, '_> {
    /// Spawns a thread that may borrow from outside the scope.
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        self.spawn_named(f, None, Site::caller(), None)
    }

    #[track_caller]
    fn spawn_named<F, T>(
        &'scope self,
        f: F,
        name: Option<String>,
        site: Site,
        stack_size: Option<usize>,
    ) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let result: Arc<StdMutex<Option<T>>> = Arc::new(StdMutex::new(None));
        let slot = Arc::clone(&result);
        let body: Box<dyn FnOnce() + 'scope> =
            Box::new(move || rt::run_thread(f, move |value| keep(&slot, value)));
        // SAFETY: the engine needs a `'static` body. The body only lives as long as the thread
        // runs, and `scope` joins every thread spawned in it before it returns, so nothing the
        // body borrows ends before the body does. If the execution stops early (a finding), the
        // engine never resumes the thread again and leaks its stack without running it, and the
        // stack frames of `scope`'s caller are leaked with their own coroutine, so the
        // borrowed data is never freed while reachable.
        #[allow(unsafe_code)]
        let body: Box<dyn FnOnce() + 'static> = unsafe {
            std::mem::transmute::<Box<dyn FnOnce() + 'scope>, Box<dyn FnOnce() + 'static>>(body)
        };
        assert!(
            rt::in_execution(),
            "interleave::thread::scope is only available inside an interleave execution"
        );
        let id = rt::spawn(body, name.clone(), site, stack_size);
        self.threads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(id);
        // The result slot outlives `'scope` only as an `Arc`; `T` is not touched after the
        // handle is dropped.
        let inner = JoinHandle {
            thread: Thread { id, name },
            result: unscoped(result),
        };
        ScopedJoinHandle {
            inner,
            _scope: PhantomData,
        }
    }
}

/// `JoinHandle` wants `T: 'static`-free storage; `Arc<StdMutex<Option<T>>>` already is.
fn unscoped<T>(result: Arc<StdMutex<Option<T>>>) -> Arc<StdMutex<Option<T>>> {
    result
}
