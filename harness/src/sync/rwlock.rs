//! `RwLock`: std's API, explored and checked.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{LockResult, TryLockError, TryLockResult};

use interleave_detector::{Attempt, LockMode, ObjectClass, Site};

use super::LockCore;

/// A reader-writer lock with std's API (`read`, `write`, `try_read`, `try_write`, poisoning,
/// `into_inner`, `get_mut`), whose every acquisition is a scheduling point reported to the
/// detector.
///
/// Any number of readers may hold it at once; a writer holds it alone. It is
/// **writer-preferring**: once a writer waits, new read requests wait behind it (as std's
/// futex-based `RwLock` on Linux does; std leaves the policy open). So a thread that takes a
/// read lock it already holds can deadlock against a queued writer, and the detector reports
/// that as a potential deadlock as soon as another thread is seen writing the lock.
///
/// # Examples
///
/// ```
/// use interleave::sync::{Arc, RwLock};
/// use interleave::thread;
///
/// let report = interleave::Config::random(50).explore(|| {
///     let config = Arc::new(RwLock::new(1));
///     let c2 = Arc::clone(&config);
///     let writer = thread::spawn(move || *c2.write().unwrap() += 1);
///     let seen = *config.read().unwrap();
///     assert!(seen == 1 || seen == 2);
///     writer.join().unwrap();
///     assert_eq!(*config.read().unwrap(), 2);
/// });
/// assert!(report.is_clean());
/// ```
pub struct RwLock<T: ?Sized> {
    core: LockCore,
    // The protocol above never lets this std lock be contended: it gives safe access and
    // std's poisoning (by a panicking writer only) for free.
    data: std::sync::RwLock<T>,
}

/// Shared access to a [`RwLock`]'s data; the read lock is released when it is dropped.
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    data: Option<std::sync::RwLockReadGuard<'a, T>>,
    /// Where the lock was taken (drop glue has no caller location of its own).
    site: Site,
}

/// Exclusive access to a [`RwLock`]'s data; the write lock is released when it is dropped.
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    data: Option<std::sync::RwLockWriteGuard<'a, T>>,
    site: Site,
}

impl<T> RwLock<T> {
    /// A new unlocked lock (created at the caller's site).
    #[track_caller]
    pub fn new(value: T) -> Self {
        RwLock {
            core: LockCore::new(ObjectClass::RwLock, &Site::caller()),
            data: std::sync::RwLock::new(value),
        }
    }

    /// The data, consuming the lock.
    ///
    /// # Errors
    ///
    /// Poisoned if a thread panicked while holding it for writing (the data is in the error).
    pub fn into_inner(self) -> LockResult<T> {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Acquires shared access, blocking while a writer holds the lock or waits for it.
    ///
    /// # Errors
    ///
    /// Poisoned if a thread panicked while holding it for writing (the guard is in the error).
    ///
    /// # Panics
    ///
    /// Outside an interleave execution, if the lock is held for writing (it would block
    /// forever).
    #[track_caller]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let site = Site::caller();
        self.core
            .acquire(LockMode::Shared, Attempt::Blocking, &site);
        self.read_guard(site)
    }

    /// Acquires shared access if that needs no waiting right now (no writer holds the lock or
    /// waits for it).
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it cannot; `Poisoned` as for [`read`](Self::read).
    #[track_caller]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        let site = Site::caller();
        if !self.core.acquire(LockMode::Shared, Attempt::Try, &site) {
            return Err(TryLockError::WouldBlock);
        }
        self.read_guard(site).map_err(TryLockError::Poisoned)
    }

    /// Acquires shared access, waiting at most `timeout` of virtual time (parking_lot's name).
    /// A poisoned lock is acquired all the same, as parking_lot has no poisoning.
    #[track_caller]
    pub fn try_read_for(&self, timeout: std::time::Duration) -> Option<RwLockReadGuard<'_, T>> {
        let site = Site::caller();
        if !self.core.acquire_within(LockMode::Shared, timeout, &site) {
            return None;
        }
        Some(
            self.read_guard(site)
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Acquires exclusive access, waiting at most `timeout` of virtual time (parking_lot's
    /// name). A poisoned lock is acquired all the same.
    #[track_caller]
    pub fn try_write_for(&self, timeout: std::time::Duration) -> Option<RwLockWriteGuard<'_, T>> {
        let site = Site::caller();
        if !self
            .core
            .acquire_within(LockMode::Exclusive, timeout, &site)
        {
            return None;
        }
        Some(
            self.write_guard(site)
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Acquires exclusive access, blocking until no one else holds the lock.
    ///
    /// # Errors
    ///
    /// Poisoned if a thread panicked while holding it for writing (the guard is in the error).
    ///
    /// # Panics
    ///
    /// Outside an interleave execution, if the lock is held (it would block forever).
    #[track_caller]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let site = Site::caller();
        self.core
            .acquire(LockMode::Exclusive, Attempt::Blocking, &site);
        self.write_guard(site)
    }

    /// Acquires exclusive access if no one holds the lock right now.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it is held; `Poisoned` as for [`write`](Self::write).
    #[track_caller]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        let site = Site::caller();
        if !self.core.acquire(LockMode::Exclusive, Attempt::Try, &site) {
            return Err(TryLockError::WouldBlock);
        }
        self.write_guard(site).map_err(TryLockError::Poisoned)
    }

    fn read_guard(&self, site: Site) -> LockResult<RwLockReadGuard<'_, T>> {
        super::lock::data_guard(self.data.try_read(), |data| RwLockReadGuard {
            lock: self,
            data: Some(data),
            site,
        })
    }

    fn write_guard(&self, site: Site) -> LockResult<RwLockWriteGuard<'_, T>> {
        super::lock::data_guard(self.data.try_write(), |data| RwLockWriteGuard {
            lock: self,
            data: Some(data),
            site,
        })
    }

    /// Whether a thread panicked while holding the lock for writing.
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
    /// Poisoned if a thread panicked while holding it for writing.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Reading the data would be a lock operation (and a scheduling point): show none.
        f.debug_struct("RwLock")
            .field("poisoned", &self.is_poisoned())
            .finish_non_exhaustive()
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.data.as_deref().expect("a live guard holds the data")
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.data.as_deref().expect("a live guard holds the data")
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data
            .as_deref_mut()
            .expect("a live guard holds the data")
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.data = None;
        self.lock.core.release(&self.site);
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        // Drop the data borrow first: it poisons the data if this thread is panicking.
        self.data = None;
        self.lock.core.release(&self.site);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
