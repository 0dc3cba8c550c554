//! Scoped threads, std's `thread::scope`: of the scenario inside an execution, real threads
//! (std's own scope) outside one.

use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};

use interleave_detector::{Site, ThreadId as RawThreadId};

use super::{join_thread, keep, real_body, real_builder, JoinHandle, JoinInner, Thread};
use crate::rt;

/// A scope for spawning threads that borrow from the caller: std's `thread::scope`.
pub struct Scope<'scope, 'env> {
    /// The threads of the execution spawned in it (joined when the scope ends).
    threads: StdMutex<Vec<RawThreadId>>,
    /// Outside an execution: std's scope, whose threads are real.
    real: Option<&'scope std::thread::Scope<'scope, 'env>>,
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
    inner: ScopedInner<'scope, T>,
    thread: Thread,
}

enum ScopedInner<'scope, T> {
    Modelled(JoinHandle<T>),
    Real(std::thread::ScopedJoinHandle<'scope, T>),
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
    /// As [`JoinHandle::join`]: a real thread's panic; never inside an execution, in practice.
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        match self.inner {
            ScopedInner::Modelled(handle) => handle.join(),
            ScopedInner::Real(handle) => handle.join(),
        }
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }
}

/// Runs `f` with a scope whose threads may borrow from the caller; returns once every thread
/// spawned in it has finished.
///
/// # Panics
///
/// Outside an execution, as std's: if `f` panics, or a real thread spawned in the scope
/// panicked and was not joined.
#[track_caller]
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    if !rt::in_execution() {
        return real_scope(f);
    }
    let site = Site::caller();
    let scope = Scope {
        threads: StdMutex::new(Vec::new()),
        real: None,
        _scope: PhantomData,
        _env: PhantomData,
    };
    // As std: whatever the body does, every thread is joined before the borrowed data can go.
    let result = panic::catch_unwind(AssertUnwindSafe(|| f(&scope)));
    let threads =
        std::mem::take(&mut *scope.threads.lock().unwrap_or_else(PoisonError::into_inner));
    for thread in threads {
        let finished = rt::thread_finished(thread);
        if !finished {
            join_thread(thread, &site);
        }
    }
    result.unwrap_or_else(|payload| panic::resume_unwind(payload))
}

/// `scope` on real threads: std's, with interleave's `Scope` around it. `f` must get a
/// `&'scope Scope` where `'scope` is std's, which only exists inside std's closure: the scope is
/// allocated there, and freed once std's scope is over.
fn real_scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let mut allocated: *mut () = std::ptr::null_mut();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        std::thread::scope(|real| {
            let scope: &Scope<'_, 'env> = Box::leak(Box::new(Scope {
                threads: StdMutex::new(Vec::new()),
                real: Some(real),
                _scope: PhantomData,
                _env: PhantomData,
            }));
            allocated = std::ptr::from_ref(scope).cast_mut().cast();
            f(scope)
        })
    }));
    if !allocated.is_null() {
        // SAFETY: `allocated` is the `Box<Scope>` leaked above, of that type (lifetimes aside,
        // which do not change its layout). Every reference to it has the lifetime `'scope` of
        // std's scope, which is over: std's `scope` has returned (or unwound), so `f` has
        // returned, every thread spawned in the scope has been joined, and `T` cannot hold a
        // `'scope` borrow. Nothing can reach the scope any more; it is freed once, here.
        #[expect(unsafe_code, reason = "free the scope std's closure had to allocate")]
        unsafe {
            drop(Box::from_raw(allocated.cast::<Scope<'_, 'env>>()));
        }
    }
    result.unwrap_or_else(|payload| panic::resume_unwind(payload))
}

impl<'scope> Scope<'scope, '_> {
    /// Spawns a thread that may borrow from outside the scope.
    ///
    /// # Panics
    ///
    /// Outside an execution, if the OS cannot create a thread, as std's.
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        self.spawn_named(f, None, Site::caller(), None)
            .expect("failed to spawn thread")
    }

    pub(super) fn spawn_named<F, T>(
        &'scope self,
        f: F,
        name: Option<String>,
        site: Site,
        stack_size: Option<usize>,
    ) -> std::io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        if let Some(real) = self.real {
            let handle = real_builder(name, stack_size).spawn_scoped(real, real_body(f, site))?;
            return Ok(ScopedJoinHandle {
                thread: Thread::real(handle.thread().clone()),
                inner: ScopedInner::Real(handle),
            });
        }
        assert!(
            rt::in_execution(),
            "interleave::thread::Scope::spawn: a scope made inside an execution is used outside it"
        );
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
        #[expect(unsafe_code, reason = "the engine's threads take `'static` bodies")]
        let body: Box<dyn FnOnce() + 'static> = unsafe {
            std::mem::transmute::<Box<dyn FnOnce() + 'scope>, Box<dyn FnOnce() + 'static>>(body)
        };
        let id = rt::spawn(body, name.clone(), site, stack_size);
        self.threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(id);
        let thread = Thread::modelled(id, name);
        // The result slot outlives `'scope` only as an `Arc`; `T` is not touched after the
        // handle is dropped.
        let inner = JoinHandle {
            thread: thread.clone(),
            inner: JoinInner::Modelled(result),
        };
        Ok(ScopedJoinHandle {
            inner: ScopedInner::Modelled(inner),
            thread,
        })
    }
}
