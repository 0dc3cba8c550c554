//! tokio's async `OnceCell`: initialised once, by the first caller of `get_or_init` whose
//! initialiser completes; the others wait on a one-permit [`Semaphore`] (as tokio's does).

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use super::Semaphore;

/// A value set at most once, asynchronously.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use interleave::future::{self, sync::OnceCell};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let cell = Arc::new(OnceCell::new());
///         let c = Arc::clone(&cell);
///         let task = future::spawn(async move { *c.get_or_init(|| async { 1 }).await });
///         let mine = *cell.get_or_init(|| async { 2 }).await;
///         assert_eq!(mine, task.await.unwrap());
///     });
/// });
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    init: Semaphore,
}

/// [`OnceCell::set`] on a cell already set (or being set): the value is given back. Printed as
/// tokio's.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetError<T> {
    /// The cell has a value.
    #[error("AlreadyInitializedError")]
    AlreadyInitializedError(T),
    /// Another task is initialising it.
    #[error("InitializingError")]
    InitializingError(T),
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.value.get())
            .finish()
    }
}

impl<T> Default for OnceCell<T> {
    #[track_caller]
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T> OnceCell<T> {
    /// An empty cell.
    #[track_caller]
    pub fn new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: Semaphore::new(1),
        }
    }

    /// An empty cell that registers its objects at their first use in each execution:
    /// usable in a `static`, as tokio's `const_new`. (tokio's `const_new_with` is not
    /// provided: the value lives in a `std::sync::OnceLock`, which a `const fn` cannot fill.)
    pub const fn const_new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: Semaphore::const_new(1),
        }
    }

    /// A cell holding `value`.
    #[track_caller]
    pub fn new_with(value: Option<T>) -> Self {
        let cell = OnceCell::new();
        if let Some(value) = value {
            let _ = cell.value.set(value);
        }
        cell
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        crate::rt::switch();
        self.value.get()
    }

    /// Whether the value is set.
    pub fn initialized(&self) -> bool {
        self.get().is_some()
    }

    /// The value, or the output of `init` run by this caller if it is the first to get the
    /// permit while the cell is empty; an initialiser cancelled midway lets the next one try.
    pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(init().await) })
            .await
        {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// As [`OnceCell::get_or_init`] with a fallible initialiser.
    ///
    /// # Errors
    ///
    /// The initialiser's error (the cell stays empty).
    pub async fn get_or_try_init<E, F, Fut>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        let _permit = self
            .init
            .acquire()
            .await
            .expect("the init semaphore is never closed");
        if let Some(value) = self.value.get() {
            return Ok(value);
        }
        let value = init().await?;
        let _ = self.value.set(value);
        Ok(self.value.get().expect("just set"))
    }

    /// Sets the value if the cell is empty and nobody is initialising it.
    ///
    /// # Errors
    ///
    /// The cell is set or being set; the value is given back.
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        crate::rt::switch();
        if self.value.get().is_some() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        let Ok(_permit) = self.init.try_acquire() else {
            return Err(SetError::InitializingError(value));
        };
        self.value
            .set(value)
            .map_err(SetError::AlreadyInitializedError)
    }

    /// The value, taking it out of the cell.
    pub fn take(&mut self) -> Option<T> {
        self.value.take()
    }

    /// The value, if set.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }
}
