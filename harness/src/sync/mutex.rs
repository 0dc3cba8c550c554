//! `Mutex`: std's API, explored and checked.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::{LockResult, TryLockError, TryLockResult};

use interleave_detector::{Attempt, LockMode, ObjectClass, Site};

use super::lock::LockCore;
use super::poison::{Poison, PoisonGuard};
use crate::{real, rt};

/// A mutual exclusion lock with std's API (`lock`, `try_lock`, poisoning, `into_inner`,
/// `get_mut`), whose every acquisition is a scheduling point reported to the detector.
///
/// Outside an execution it is a lock of real threads (parking_lot's, with std's poisoning),
/// watched by the [online](crate::online) lock-order analysis.
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
// `repr(C)`, data last: the flags read on every acquisition stay off the cache line of the
// lock's state, which contending threads keep taking from each other.
#[repr(C)]
pub struct Mutex<T: ?Sized> {
    poison: Poison,
    core: LockCore,
    // Inside an execution interleave's protocol keeps this lock uncontended: it gives safe
    // access to the data. Outside one it is the lock itself, on real threads.
    data: parking_lot::Mutex<T>,
}

/// A held [`Mutex`]; the lock is released when it is dropped.
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    data: Option<parking_lot::MutexGuard<'a, T>>,
    poison: PoisonGuard,
    /// Where the lock was taken (drop glue has no caller location of its own).
    location: &'static Location<'static>,
    /// Taken on a real thread, outside any execution.
    real: bool,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex (created at the caller's site).
    #[track_caller]
    pub fn new(value: T) -> Self {
        Mutex {
            core: LockCore::new(ObjectClass::Mutex, &Site::caller()),
            poison: Poison::default(),
            data: parking_lot::Mutex::new(value),
        }
    }

    /// A new unlocked mutex that reports call `name` (`accounts`) rather than by where it was
    /// created (`mutex@bank.rs:12`).
    ///
    /// # Examples
    ///
    /// ```
    /// use interleave::sync::Mutex;
    ///
    /// let report = interleave::Config::random(1).write_artifact(false).explore(|| {
    ///     let accounts = Mutex::named("accounts", 0);
    ///     let _held = accounts.lock().unwrap();
    ///     let _again = accounts.lock().unwrap();
    /// });
    /// assert!(report.findings[0].to_string().contains("`main` holds accounts"));
    /// ```
    #[track_caller]
    pub fn named(name: impl Into<String>, value: T) -> Self {
        Mutex {
            core: LockCore::new_named(ObjectClass::Mutex, &Site::caller(), Some(name.into())),
            poison: Poison::default(),
            data: parking_lot::Mutex::new(value),
        }
    }

    /// The data, consuming the mutex.
    ///
    /// # Errors
    ///
    /// Poisoned if a thread panicked while holding it (the data is in the error).
    pub fn into_inner(self) -> LockResult<T> {
        let poison = self.poison;
        poison.result(self.data.into_inner())
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the mutex, blocking until it is free.
    ///
    /// # Errors
    ///
    /// Poisoned if a thread panicked while holding it (the guard is in the error).
    ///
    /// # Panics
    ///
    /// Outside an execution, on real threads: if the request closes a lock-order cycle (in the
    /// default online mode, see [`crate::online`]), or can never be granted (the thread holds
    /// the mutex already, or threads wait for each other in a cycle), with the report.
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let location = Location::caller();
        if !rt::in_execution() {
            let data = self.core.acquire_real(
                LockMode::Exclusive,
                real::Wait::Blocking,
                location,
                || self.data.try_lock(),
                |timeout| self.data.try_lock_for(timeout),
            );
            return self.guard(data.expect("a blocking request waits"), location, true);
        }
        let site = real::site(location);
        self.core
            .acquire(LockMode::Exclusive, Attempt::Blocking, &site);
        self.modelled_guard(location)
    }

    /// Acquires the mutex if it is free right now.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it is held; `Poisoned` as for [`lock`](Self::lock).
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let location = Location::caller();
        if !rt::in_execution() {
            let data = self.core.acquire_real(
                LockMode::Exclusive,
                real::Wait::Try,
                location,
                || self.data.try_lock(),
                |_| None,
            );
            let data = data.ok_or(TryLockError::WouldBlock)?;
            return self
                .guard(data, location, true)
                .map_err(TryLockError::Poisoned);
        }
        let site = real::site(location);
        if !self.core.acquire(LockMode::Exclusive, Attempt::Try, &site) {
            return Err(TryLockError::WouldBlock);
        }
        self.modelled_guard(location)
            .map_err(TryLockError::Poisoned)
    }

    /// Acquires the mutex, waiting at most `timeout` (parking_lot's name for a timed lock): of
    /// virtual time inside an execution, of real time outside one. A poisoned mutex is acquired
    /// all the same, as parking_lot has no poisoning; use [`is_poisoned`](Self::is_poisoned) to
    /// tell.
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
        let location = Location::caller();
        if !rt::in_execution() {
            let data = self.core.acquire_real(
                LockMode::Exclusive,
                real::Wait::Timed(timeout),
                location,
                || self.data.try_lock(),
                |timeout| self.data.try_lock_for(timeout),
            )?;
            return Some(
                self.guard(data, location, true)
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
            self.modelled_guard(location)
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// The guard of a lock interleave's protocol has just granted inside an execution.
    fn modelled_guard(
        &self,
        location: &'static Location<'static>,
    ) -> LockResult<MutexGuard<'_, T>> {
        match self.data.try_lock() {
            Some(data) => self.guard(data, location, false),
            None => self.core.held_outside(),
        }
    }

    fn guard<'a>(
        &'a self,
        data: parking_lot::MutexGuard<'a, T>,
        location: &'static Location<'static>,
        real: bool,
    ) -> LockResult<MutexGuard<'a, T>> {
        self.poison.result(MutexGuard {
            mutex: self,
            data: Some(data),
            poison: self.poison.guard(),
            location,
            real,
        })
    }

    /// Whether a thread panicked while holding the mutex.
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
    /// Poisoned if a thread panicked while holding it.
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
impl<T: ?Sized> std::panic::UnwindSafe for Mutex<T> {}
impl<T: ?Sized> std::panic::RefUnwindSafe for Mutex<T> {}

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
    /// Unlocks the mutex with a fair hand-over (parking_lot's `unlock_fair`): on real threads a
    /// thread waiting for it gets it before this thread could take it again. Inside an
    /// execution every release already lets the strategy pick any waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use interleave::sync::{Mutex, MutexGuard};
    ///
    /// let m = Mutex::new(1);
    /// let mut guard = m.lock().unwrap();
    /// *guard += 1;
    /// MutexGuard::unlock_fair(guard);
    /// assert_eq!(*m.lock().unwrap(), 2);
    /// ```
    pub fn unlock_fair(mut this: Self) {
        if let Some(data) = this.data.take() {
            this.mutex.poison.done(&this.poison);
            if this.real {
                parking_lot::MutexGuard::unlock_fair(data);
            }
        }
        // `Drop` releases interleave's hold.
    }

    /// Whether it was taken on a real thread, outside any execution.
    pub(crate) fn is_real(&self) -> bool {
        self.real
    }

    /// Gives up the data borrow and hands back the mutex, still held, for `Condvar::wait`
    /// (which releases it with its own site).
    pub(crate) fn into_mutex(mut self) -> &'a Mutex<T> {
        self.data = None;
        let mutex = self.mutex;
        std::mem::forget(self);
        mutex
    }

    /// Releases the mutex (a real thread's) for `Condvar::wait`, and hands it back.
    pub(crate) fn unlock_real(self) -> &'a Mutex<T> {
        let mutex = self.mutex;
        drop(self);
        mutex
    }
}

impl<'a, T: ?Sized> Mutex<T> {
    pub(crate) fn core(&self) -> &LockCore {
        &self.core
    }

    /// Locks it again on a real thread, at `location` (`Condvar::wait`'s).
    pub(crate) fn relock_real(
        &'a self,
        location: &'static Location<'static>,
    ) -> LockResult<MutexGuard<'a, T>> {
        let data = self.core.acquire_real(
            LockMode::Exclusive,
            real::Wait::Blocking,
            location,
            || self.data.try_lock(),
            |timeout| self.data.try_lock_for(timeout),
        );
        self.guard(data.expect("a blocking request waits"), location, true)
    }

    /// A guard for a lock the caller has just reacquired through `core()` at `location`.
    pub(crate) fn reacquired(
        &'a self,
        location: &'static Location<'static>,
    ) -> LockResult<MutexGuard<'a, T>> {
        self.modelled_guard(location)
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
    #[inline]
    fn drop(&mut self) {
        // Poison first, as std does, then unlock (`unlock_fair` may have done both).
        if let Some(data) = self.data.take() {
            self.mutex.poison.done(&self.poison);
            drop(data);
        }
        if self.real {
            self.mutex.core.release_real();
        } else {
            self.mutex.core.release(&real::site(self.location));
        }
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
