//! `RwLock`: std's API, explored and checked.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::{LockResult, TryLockError, TryLockResult};

use interleave_detector::{Attempt, LockMode, ObjectClass, Site};

use super::poison::{Poison, PoisonGuard};
use super::LockCore;
use crate::{real, rt};

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
/// Outside an execution it is a lock of real threads (parking_lot's, which queues readers
/// behind a waiting writer too, with std's poisoning), watched by the [online](crate::online)
/// lock-order analysis.
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
// `repr(C)`, data last: the flags read on every acquisition stay off the cache line of the
// lock's state, which contending threads keep taking from each other.
#[repr(C)]
pub struct RwLock<T: ?Sized> {
    poison: Poison,
    core: LockCore,
    // Inside an execution interleave's protocol keeps this lock uncontended: it gives safe
    // access to the data. Outside one it is the lock itself, on real threads.
    data: parking_lot::RwLock<T>,
}

/// Shared access to a [`RwLock`]'s data; the read lock is released when it is dropped.
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    data: Option<parking_lot::RwLockReadGuard<'a, T>>,
    /// Where the lock was taken (drop glue has no caller location of its own).
    location: &'static Location<'static>,
    /// Taken on a real thread, outside any execution.
    real: bool,
}

/// Exclusive access to a [`RwLock`]'s data; the write lock is released when it is dropped.
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    data: Option<parking_lot::RwLockWriteGuard<'a, T>>,
    poison: PoisonGuard,
    location: &'static Location<'static>,
    real: bool,
}

impl<T> RwLock<T> {
    /// A new unlocked lock (created at the caller's site).
    #[track_caller]
    pub fn new(value: T) -> Self {
        RwLock {
            core: LockCore::new(ObjectClass::RwLock, &Site::caller()),
            poison: Poison::default(),
            data: parking_lot::RwLock::new(value),
        }
    }

    /// A new unlocked lock that reports call `name` rather than by where it was created.
    #[track_caller]
    pub fn named(name: impl Into<String>, value: T) -> Self {
        RwLock {
            core: LockCore::new_named(ObjectClass::RwLock, &Site::caller(), Some(name.into())),
            poison: Poison::default(),
            data: parking_lot::RwLock::new(value),
        }
    }

    /// The data, consuming the lock.
    ///
    /// # Errors
    ///
    /// Poisoned if a thread panicked while holding it for writing (the data is in the error).
    pub fn into_inner(self) -> LockResult<T> {
        let poison = self.poison;
        poison.result(self.data.into_inner())
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
    /// Outside an execution, on real threads: if the request closes a lock-order cycle (in the
    /// default online mode, see [`crate::online`]), or can never be granted (the thread holds
    /// the lock in a conflicting mode, or threads wait for each other in a cycle), with the
    /// report.
    #[track_caller]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let location = Location::caller();
        if !rt::in_execution() {
            let data = self.read_real(real::Wait::Blocking, location);
            return self.read_guard(data.expect("a blocking request waits"), location, true);
        }
        let site = real::site(location);
        self.core
            .acquire(LockMode::Shared, Attempt::Blocking, &site);
        self.modelled_read(location)
    }

    /// Acquires shared access if that needs no waiting right now (no writer holds the lock or
    /// waits for it).
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it cannot; `Poisoned` as for [`read`](Self::read).
    #[track_caller]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        let location = Location::caller();
        if !rt::in_execution() {
            let data = self
                .read_real(real::Wait::Try, location)
                .ok_or(TryLockError::WouldBlock)?;
            return self
                .read_guard(data, location, true)
                .map_err(TryLockError::Poisoned);
        }
        let site = real::site(location);
        if !self.core.acquire(LockMode::Shared, Attempt::Try, &site) {
            return Err(TryLockError::WouldBlock);
        }
        self.modelled_read(location).map_err(TryLockError::Poisoned)
    }

    /// Acquires shared access, waiting at most `timeout` (parking_lot's name): of virtual time
    /// inside an execution, of real time outside one. A poisoned lock is acquired all the same,
    /// as parking_lot has no poisoning.
    #[track_caller]
    pub fn try_read_for(&self, timeout: std::time::Duration) -> Option<RwLockReadGuard<'_, T>> {
        let location = Location::caller();
        if !rt::in_execution() {
            let data = self.read_real(real::Wait::Timed(timeout), location)?;
            return Some(
                self.read_guard(data, location, true)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
        }
        let site = real::site(location);
        if !self.core.acquire_within(LockMode::Shared, timeout, &site) {
            return None;
        }
        Some(
            self.modelled_read(location)
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Acquires exclusive access, waiting at most `timeout` (parking_lot's name): of virtual
    /// time inside an execution, of real time outside one. A poisoned lock is acquired all the
    /// same.
    #[track_caller]
    pub fn try_write_for(&self, timeout: std::time::Duration) -> Option<RwLockWriteGuard<'_, T>> {
        let location = Location::caller();
        if !rt::in_execution() {
            let data = self.write_real(real::Wait::Timed(timeout), location)?;
            return Some(
                self.write_guard(data, location, true)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
        }
        let site = real::site(location);
        if !self
            .core
            .acquire_within(LockMode::Exclusive, timeout, &site)
        {
            return None;
        }
        Some(
            self.modelled_write(location)
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
    /// Outside an execution, on real threads: if the request closes a lock-order cycle (in the
    /// default online mode, see [`crate::online`]), or can never be granted (the thread holds
    /// the lock in a conflicting mode, or threads wait for each other in a cycle), with the
    /// report.
    #[track_caller]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let location = Location::caller();
        if !rt::in_execution() {
            let data = self.write_real(real::Wait::Blocking, location);
            return self.write_guard(data.expect("a blocking request waits"), location, true);
        }
        let site = real::site(location);
        self.core
            .acquire(LockMode::Exclusive, Attempt::Blocking, &site);
        self.modelled_write(location)
    }

    /// Acquires exclusive access if no one holds the lock right now.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it is held; `Poisoned` as for [`write`](Self::write).
    #[track_caller]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        let location = Location::caller();
        if !rt::in_execution() {
            let data = self
                .write_real(real::Wait::Try, location)
                .ok_or(TryLockError::WouldBlock)?;
            return self
                .write_guard(data, location, true)
                .map_err(TryLockError::Poisoned);
        }
        let site = real::site(location);
        if !self.core.acquire(LockMode::Exclusive, Attempt::Try, &site) {
            return Err(TryLockError::WouldBlock);
        }
        self.modelled_write(location)
            .map_err(TryLockError::Poisoned)
    }

    fn read_real(
        &self,
        wait: real::Wait,
        location: &'static Location<'static>,
    ) -> Option<parking_lot::RwLockReadGuard<'_, T>> {
        self.core.acquire_real(
            LockMode::Shared,
            wait,
            location,
            || self.data.try_read(),
            |timeout| self.data.try_read_for(timeout),
        )
    }

    fn write_real(
        &self,
        wait: real::Wait,
        location: &'static Location<'static>,
    ) -> Option<parking_lot::RwLockWriteGuard<'_, T>> {
        self.core.acquire_real(
            LockMode::Exclusive,
            wait,
            location,
            || self.data.try_write(),
            |timeout| self.data.try_write_for(timeout),
        )
    }

    /// The guard of a read lock interleave's protocol has just granted inside an execution.
    fn modelled_read(
        &self,
        location: &'static Location<'static>,
    ) -> LockResult<RwLockReadGuard<'_, T>> {
        match self.data.try_read() {
            Some(data) => self.read_guard(data, location, false),
            None => self.core.held_outside(),
        }
    }

    /// The guard of a write lock interleave's protocol has just granted inside an execution.
    fn modelled_write(
        &self,
        location: &'static Location<'static>,
    ) -> LockResult<RwLockWriteGuard<'_, T>> {
        match self.data.try_write() {
            Some(data) => self.write_guard(data, location, false),
            None => self.core.held_outside(),
        }
    }

    fn read_guard<'a>(
        &'a self,
        data: parking_lot::RwLockReadGuard<'a, T>,
        location: &'static Location<'static>,
        real: bool,
    ) -> LockResult<RwLockReadGuard<'a, T>> {
        self.poison.result(RwLockReadGuard {
            lock: self,
            data: Some(data),
            location,
            real,
        })
    }

    fn write_guard<'a>(
        &'a self,
        data: parking_lot::RwLockWriteGuard<'a, T>,
        location: &'static Location<'static>,
        real: bool,
    ) -> LockResult<RwLockWriteGuard<'a, T>> {
        self.poison.result(RwLockWriteGuard {
            lock: self,
            data: Some(data),
            poison: self.poison.guard(),
            location,
            real,
        })
    }

    /// Whether a thread panicked while holding the lock for writing.
    pub fn is_poisoned(&self) -> bool {
        self.poison.get()
    }

    /// Clears the poison flag.
    pub fn clear_poison(&self) {
        self.poison.clear();
    }

    /// The data, through a unique borrow (no locking needed).
    ///
    /// # Errors
    ///
    /// Poisoned if a thread panicked while holding it for writing.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        let poisoned = self.poison.get();
        let data = self.data.get_mut();
        if poisoned {
            Err(std::sync::PoisonError::new(data))
        } else {
            Ok(data)
        }
    }
}

// As std's: a panic while holding the lock poisons it, which is how unwind safety is kept.
impl<T: ?Sized> std::panic::UnwindSafe for RwLock<T> {}
impl<T: ?Sized> std::panic::RefUnwindSafe for RwLock<T> {}

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
        if self.real {
            self.lock.core.release_real();
        } else {
            self.lock.core.release(&real::site(self.location));
        }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        // Poison first, as std does, then unlock.
        self.lock.poison.done(&self.poison);
        self.data = None;
        if self.real {
            self.lock.core.release_real();
        } else {
            self.lock.core.release(&real::site(self.location));
        }
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
