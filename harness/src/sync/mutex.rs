//! `Mutex`: std's API, explored and checked.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{LockResult, TryLockError, TryLockResult};

use interleave_detector::{Attempt, LockMode, ObjectClass, Site};

use super::lock::LockCore;

/// A mutual exclusion lock with std's API (`lock`, `try_lock`, poisoning, `into_inner`,
/// `get_mut`), whose every acquisition is a scheduling point reported to the detector.
///
/// # Examples
///
/// ```
/// use interleave::sync::{Arc, Mutex};
/// use interleave::thread;
///
/// interleave::check(|| {
///     let m = Arc::new(Mutex::new(0));
///     let m2 = Arc::clone(&m);
///     let t = thread::spawn(move || *m2.lock().unwrap() += 1);
///     *m.lock().unwrap() += 1;
///     t.join().unwrap();
///     assert_eq!(*m.lock().unwrap(), 2);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    core: LockCore,
    // The data sits in a std mutex that interleave's protocol keeps uncontended: it gives safe
    // access and std's poisoning for free.
    data: std::sync::Mutex<T>,
}

/// A held [`Mutex`]; the lock is released when it is dropped.
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    data: Option<std::sync::MutexGuard<'a, T>>,
    /// Where the lock was taken (drop glue has no caller location of its own).
    site: Site,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex (created at the caller's site).
    #[track_caller]
    pub fn new(value: T) -> Self {
        Mutex {
            core: LockCore::new(ObjectClass::Mutex, &Site::caller()),
            data: std::sync::Mutex::new(value),
        }
    }

    /// The data, consuming the mutex.
    ///
    /// # Errors
    ///
    /// Poisoned if a thread panicked while holding it (the data is in the error).
    pub fn into_inner(self) -> LockResult<T> {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the mutex, blocking until it is free.
    ///
    /// # Errors
    ///
    /// Poisoned if a thread panicked while holding it (the guard is in the error).
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let site = Site::caller();
        self.core
            .acquire(LockMode::Exclusive, Attempt::Blocking, &site);
        self.guard(site)
    }

    /// Acquires the mutex if it is free right now.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it is held; `Poisoned` as for [`lock`](Self::lock).
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let site = Site::caller();
        if !self.core.acquire(LockMode::Exclusive, Attempt::Try, &site) {
            return Err(TryLockError::WouldBlock);
        }
        self.guard(site).map_err(TryLockError::Poisoned)
    }

    /// Acquires the mutex, waiting at most `timeout` of virtual time (parking_lot's name for
    /// a timed lock). A poisoned mutex is acquired all the same, as parking_lot has no
    /// poisoning; use [`is_poisoned`](Self::is_poisoned) to tell.
    ///
    /// # Examples
    ///
    /// ```
    /// use interleave::sync::{Arc, Mutex};
    /// use interleave::time::Duration;
    ///
    /// interleave::check(|| {
    ///     let m = Arc::new(Mutex::new(0));
    ///     let held = m.lock().unwrap();
    ///     let m2 = Arc::clone(&m);
    ///     let t = interleave::thread::spawn(move || m2.try_lock_for(Duration::from_millis(5)).is_none());
    ///     assert!(t.join().unwrap(), "gave up after 5ms: main held the mutex throughout");
    ///     drop(held);
    /// });
    /// ```
    #[track_caller]
    pub fn try_lock_for(&self, timeout: std::time::Duration) -> Option<MutexGuard<'_, T>> {
        let site = Site::caller();
        if !self
            .core
            .acquire_within(LockMode::Exclusive, timeout, &site)
        {
            return None;
        }
        Some(
            self.guard(site)
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn guard(&self, site: Site) -> LockResult<MutexGuard<'_, T>> {
        super::lock::data_guard(self.data.try_lock(), |data| MutexGuard {
            mutex: self,
            data: Some(data),
            site,
        })
    }

    /// Whether a thread panicked while holding the mutex.
    pub fn is_poisoned(&self) -> bool {
        self.data.is_poisoned()
    }

    /// Clears the poison flag.
    pub fn clear_poison(&self) {
        self.data.clear_poison();
    }

    /// The data, through a unique borrow (no locking needed).
    ///
    /// # Errors
    ///
    /// Poisoned if a thread panicked while holding it.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Gives up the data borrow and hands back the mutex, still held, for `Condvar::wait`
    /// (which releases it with its own site).
    pub(crate) fn into_mutex(mut self) -> &'a Mutex<T> {
        self.data = None;
        let mutex = self.mutex;
        std::mem::forget(self);
        mutex
    }
}

impl<'a, T: ?Sized> Mutex<T> {
    pub(crate) fn core(&self) -> &LockCore {
        &self.core
    }

    /// A guard for a lock the caller has just reacquired through `core()` at `site`.
    pub(crate) fn reacquired(&'a self, site: Site) -> LockResult<MutexGuard<'a, T>> {
        self.guard(site)
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.data.as_deref().expect("a live guard holds the data")
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data
            .as_deref_mut()
            .expect("a live guard holds the data")
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // Drop the data borrow first: it poisons the data if this thread is panicking.
        self.data = None;
        self.mutex.core.release(&self.site);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
