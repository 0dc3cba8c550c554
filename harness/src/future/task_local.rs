//! Task-local values: tokio's `task_local!` and `LocalKey`.
//!
//! Every task of an execution runs on one OS thread, and a task may be switched out in the
//! middle of a poll, so a value set by `scope` is kept per task (the execution's thread id)
//! while the scoped future is polled, not in a plain thread-local.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::rt;

/// The values of one task-local key: (execution generation, task, value), innermost scope
/// last.
#[doc(hidden)]
pub type Slots<T> = RefCell<Vec<(u64, u32, T)>>;

/// A key for task-local values, declared by `task_local!` (tokio's `task::LocalKey`).
pub struct LocalKey<T: 'static> {
    #[doc(hidden)]
    pub inner: std::thread::LocalKey<Slots<T>>,
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

/// Which task the caller is, across executions.
fn whoami() -> (u64, u32) {
    match rt::with(|c| c.generation) {
        Some(generation) => (generation, rt::current_thread().0),
        None => (0, u32::MAX),
    }
}

/// [`LocalKey::try_with`] outside a scope of the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task-local value not set")]
pub struct AccessError(());

impl<T: 'static> LocalKey<T> {
    /// Runs `future` with the key set to `value` in the task that polls it.
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Box::pin(future),
        }
    }

    /// Runs `f` with the key set to `value` on the current task.
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let (value, output) = self.enter(value, f);
        drop(value);
        output
    }

    fn enter<R>(&'static self, value: T, f: impl FnOnce() -> R) -> (T, R) {
        let (generation, task) = whoami();
        self.inner
            .with(|slots| slots.borrow_mut().push((generation, task, value)));
        let output = f();
        let value = self.inner.with(|slots| {
            let mut slots = slots.borrow_mut();
            let at = slots
                .iter()
                .rposition(|&(g, t, _)| g == generation && t == task)
                .expect("a scope's value stays until it ends");
            slots.remove(at).2
        });
        (value, output)
    }

    /// Runs `f` on the value of the current task.
    ///
    /// # Panics
    ///
    /// Outside a scope of the key, as tokio's does.
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        self.try_with(f).expect(
            "cannot access a task-local storage value without setting it first (task_local! key outside its scope)",
        )
    }

    /// Runs `f` on the value of the current task, if a scope set it.
    ///
    /// # Errors
    ///
    /// Outside a scope of the key.
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        let (generation, task) = whoami();
        self.inner.with(|slots| {
            let slots = slots.borrow();
            let value = slots
                .iter()
                .rev()
                .find(|&&(g, t, _)| g == generation && t == task)
                .map(|(_, _, value)| value)
                .ok_or(AccessError(()))?;
            Ok(f(value))
        })
    }

    /// A copy of the value of the current task.
    ///
    /// # Panics
    ///
    /// Outside a scope of the key.
    pub fn get(&'static self) -> T
    where
        T: Clone,
    {
        self.with(T::clone)
    }
}

/// The future of [`LocalKey::scope`].
#[must_use = "futures do nothing unless awaited"]
pub struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    value: Option<T>,
    future: Pin<Box<F>>,
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture").finish_non_exhaustive()
    }
}

impl<T: 'static, F> Unpin for TaskLocalFuture<T, F> {}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let value = this
            .value
            .take()
            .expect("a TaskLocalFuture polled after it completed");
        let future = this.future.as_mut();
        let (value, poll) = this.key.enter(value, || future.poll(cx));
        this.value = Some(value);
        poll
    }
}
