//! The async `RwLock`: tokio's, on the shared waiter queue.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use interleave_detector::{Attempt, EventKind, LockMode, ObjectClass, ObjectId, Site, ThreadId};

use super::mutex::{release, try_lock, LockRequest, TryLockError};
use super::queue::{emit_as, take_arc, touch, WaitQueue};
use crate::rt;

/// As many readers as tokio's `RwLock` allows at once.
const MAX_READS: usize = (u32::MAX >> 3) as usize;

/// tokio's `RwLock`: fair (first come first served, so a waiting writer holds off new
/// readers), no poisoning; its holds are events of the lock-order graph with their modes.
///
/// # Examples
///
/// ```
/// use interleave::future::{self, sync::RwLock};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let lock = RwLock::new(1);
///         assert_eq!(*lock.read().await, 1);
///         *lock.write().await += 1;
///         assert_eq!(*lock.read().await, 2);
///     });
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    queue: WaitQueue,
    data: UnsafeCell<T>,
}

// SAFETY: readers share `&T` (hence `T: Sync`), a writer alone gets `&mut T` (hence `T: Send`):
// tokio's bounds.
#[expect(
    unsafe_code,
    reason = "the data is shared under the lock protocol, as in tokio"
)]
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above.
#[expect(
    unsafe_code,
    reason = "the data is shared under the lock protocol, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T: ?Sized> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock").finish_non_exhaustive()
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

impl<T> RwLock<T> {
    /// A new unlocked lock (created at the caller's site).
    #[track_caller]
    pub fn new(value: T) -> Self {
        RwLock::with_name(value, None, &Site::caller())
    }

    /// A new lock that reports call `name`.
    #[track_caller]
    pub fn named(value: T, name: &str) -> Self {
        RwLock::with_name(value, Some(name), &Site::caller())
    }

    /// A new unlocked lock that registers at its first use in each execution (with that
    /// use's site): usable in a `static`, as tokio's `const_new`.
    pub const fn const_new(value: T) -> Self {
        RwLock {
            queue: WaitQueue::const_new(ObjectClass::RwLock, MAX_READS),
            data: UnsafeCell::new(value),
        }
    }

    fn with_name(value: T, name: Option<&str>, site: &Site) -> Self {
        let queue = WaitQueue::new(ObjectClass::RwLock, MAX_READS, name);
        if rt::in_execution() {
            queue.object(site);
        }
        RwLock {
            queue,
            data: UnsafeCell::new(value),
        }
    }

    /// The data, consuming the lock.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access.
    #[track_caller]
    pub fn read(&self) -> impl Future<Output = RwLockReadGuard<'_, T>> + '_ {
        let request = LockRequest::new(&self.queue, 1, LockMode::Shared, Site::caller());
        async move {
            let (lock, holder) = request.await;
            RwLockReadGuard {
                queue: &self.queue,
                data: self.data.get(),
                marker: std::marker::PhantomData,
                lock,
                holder,
            }
        }
    }

    /// Waits for shared access from sync code (a thread outside any runtime, a
    /// `spawn_blocking` closure), as tokio's `blocking_read`.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`).
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        let site = Site::caller();
        crate::future::task::block_on_checked(self.read(), site, false)
    }

    /// Waits for exclusive access from sync code, as tokio's `blocking_write`.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`).
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        let site = Site::caller();
        crate::future::task::block_on_checked(self.write(), site, false)
    }

    /// Waits for exclusive access.
    #[track_caller]
    pub fn write(&self) -> impl Future<Output = RwLockWriteGuard<'_, T>> + '_ {
        let request = LockRequest::new(&self.queue, MAX_READS, LockMode::Exclusive, Site::caller());
        async move {
            let (lock, holder) = request.await;
            RwLockWriteGuard {
                rwlock: self,
                lock,
                holder,
            }
        }
    }

    /// Shared access if available now.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if a writer holds or waits for it.
    #[track_caller]
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        let (lock, holder) = try_lock(&self.queue, 1, LockMode::Shared, &Site::caller())?;
        Ok(RwLockReadGuard {
            queue: &self.queue,
            data: self.data.get(),
            marker: std::marker::PhantomData,
            lock,
            holder,
        })
    }

    /// Exclusive access if available now.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if it is held or waited for.
    #[track_caller]
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        let (lock, holder) =
            try_lock(&self.queue, MAX_READS, LockMode::Exclusive, &Site::caller())?;
        Ok(RwLockWriteGuard {
            rwlock: self,
            lock,
            holder,
        })
    }

    /// The data, through `&mut` (no lock needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// As [`RwLock::read`] on a shared lock: the guard keeps it alive. The same request as
    /// `read`'s, seen by the detector as one.
    #[track_caller]
    pub fn read_owned(self: Arc<Self>) -> impl Future<Output = OwnedRwLockReadGuard<T>> {
        let site = Site::caller();
        async move {
            let (lock, holder) = LockRequest::new(&self.queue, 1, LockMode::Shared, site).await;
            OwnedRwLockReadGuard {
                data: self.data.get(),
                rwlock: self,
                lock,
                holder,
            }
        }
    }

    /// As [`RwLock::write`] on a shared lock: the guard keeps it alive.
    #[track_caller]
    pub fn write_owned(self: Arc<Self>) -> impl Future<Output = OwnedRwLockWriteGuard<T>> {
        let site = Site::caller();
        async move {
            let (lock, holder) =
                LockRequest::new(&self.queue, MAX_READS, LockMode::Exclusive, site).await;
            OwnedRwLockWriteGuard {
                rwlock: self,
                lock,
                holder,
            }
        }
    }

    /// As [`RwLock::try_read`] on a shared lock.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if a writer holds or waits for it.
    #[track_caller]
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        let (lock, holder) = try_lock(&self.queue, 1, LockMode::Shared, &Site::caller())?;
        Ok(OwnedRwLockReadGuard {
            data: self.data.get(),
            rwlock: self,
            lock,
            holder,
        })
    }

    /// As [`RwLock::try_write`] on a shared lock.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if it is held or waited for.
    #[track_caller]
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        let (lock, holder) =
            try_lock(&self.queue, MAX_READS, LockMode::Exclusive, &Site::caller())?;
        Ok(OwnedRwLockWriteGuard {
            rwlock: self,
            lock,
            holder,
        })
    }
}

/// Shared access to a shared [`RwLock`]'s data ([`RwLock::read_owned`]), or to a part `U` of
/// it ([`OwnedRwLockReadGuard::map`]).
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    rwlock: Arc<RwLock<T>>,
    /// Into the lock's data, which the read permit keeps from every writer.
    data: *const U,
    lock: ObjectId,
    holder: ThreadId,
}

// SAFETY: tokio's bounds: the guard may drop the last `Arc` (hence `T: Send`), and shares `&U`.
#[expect(
    unsafe_code,
    reason = "an owned read guard is a `&U` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as above.
#[expect(
    unsafe_code,
    reason = "an owned read guard is a `&U` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockReadGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// A read guard of a part of the data, as tokio's `OwnedRwLockReadGuard::map`: the read
    /// permit stays held until the new guard is dropped.
    pub fn map<V: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        let data: *const V = f(&*this);
        let (lock, holder) = (this.lock, this.holder);
        OwnedRwLockReadGuard {
            rwlock: take_arc(this, |g| &g.rwlock),
            data,
            lock,
            holder,
        }
    }

    /// As [`OwnedRwLockReadGuard::map`] where `f` may decline (the guard is given back).
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    pub fn try_map<V: ?Sized, F>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        let Some(data) = f(&*this).map(|data| data as *const V) else {
            return Err(this);
        };
        let (lock, holder) = (this.lock, this.holder);
        Ok(OwnedRwLockReadGuard {
            rwlock: take_arc(this, |g| &g.rwlock),
            data,
            lock,
            holder,
        })
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.rwlock
    }
}

/// Exclusive access to a part `U` of a shared [`RwLock`]'s data
/// ([`OwnedRwLockWriteGuard::map`]); dropping it releases the lock.
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    rwlock: Arc<RwLock<T>>,
    /// Into the lock's data, which the held lock gives this guard alone.
    data: *mut U,
    lock: ObjectId,
    holder: ThreadId,
}

// SAFETY: tokio's bounds: a `&mut U` under the held lock, and the last `Arc` maybe.
#[expect(
    unsafe_code,
    reason = "a mapped guard is a `&mut U` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send
    for OwnedRwLockMappedWriteGuard<T, U>
{
}
// SAFETY: as above.
#[expect(
    unsafe_code,
    reason = "a mapped guard is a `&mut U` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync
    for OwnedRwLockMappedWriteGuard<T, U>
{
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// A guard of a part of this part, as tokio's `OwnedRwLockMappedWriteGuard::map`.
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let data: *mut V = f(&mut *this);
        let (lock, holder) = (this.lock, this.holder);
        OwnedRwLockMappedWriteGuard {
            rwlock: take_arc(this, |g| &g.rwlock),
            data,
            lock,
            holder,
        }
    }

    /// As [`OwnedRwLockMappedWriteGuard::map`] where `f` may decline (the guard is given
    /// back).
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    pub fn try_map<V: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let Some(data) = f(&mut *this).map(|data| data as *mut V) else {
            return Err(this);
        };
        let (lock, holder) = (this.lock, this.holder);
        Ok(OwnedRwLockMappedWriteGuard {
            rwlock: take_arc(this, |g| &g.rwlock),
            data,
            lock,
            holder,
        })
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.rwlock
    }
}

impl<T: ?Sized, U: ?Sized> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedRwLockMappedWriteGuard")
            .finish_non_exhaustive()
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        #[expect(unsafe_code, reason = "the guard holds every permit")]
        // SAFETY: `data` points into the locked data, which this guard alone reaches.
        unsafe {
            &*self.data
        }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        #[expect(unsafe_code, reason = "the guard holds every permit")]
        // SAFETY: `data` points into the locked data, which this guard alone reaches.
        unsafe {
            &mut *self.data
        }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        release(&self.rwlock.queue, MAX_READS, self.lock, self.holder);
    }
}

/// Exclusive access to a shared [`RwLock`]'s data ([`RwLock::write_owned`]).
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    rwlock: Arc<RwLock<T>>,
    lock: ObjectId,
    holder: ThreadId,
}

impl<T: ?Sized, U: ?Sized> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedRwLockReadGuard")
            .finish_non_exhaustive()
    }
}

impl<T: ?Sized> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedRwLockWriteGuard")
            .finish_non_exhaustive()
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        #[expect(unsafe_code, reason = "the guard holds a read permit")]
        // SAFETY: a read permit excludes every writer: only shared references exist.
        unsafe {
            &*self.data
        }
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        #[expect(unsafe_code, reason = "the guard holds every permit")]
        // SAFETY: this guard holds every permit: no other reference to the data.
        unsafe {
            &*self.rwlock.data.get()
        }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        #[expect(unsafe_code, reason = "the guard holds every permit")]
        // SAFETY: this guard holds every permit: no other reference to the data.
        unsafe {
            &mut *self.rwlock.data.get()
        }
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// As [`RwLockWriteGuard::downgrade`], for a shared lock's guard.
    #[track_caller]
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        OwnedRwLockWriteGuard::downgrade_map(self, |data| data)
    }

    /// As [`RwLockWriteGuard::downgrade_map`], for a shared lock's guard.
    #[track_caller]
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let site = Site::caller();
        let data: *const U = f(&*this);
        let holder = downgrade(&this.rwlock.queue, this.lock, this.holder, &site);
        let lock = this.lock;
        let guard = OwnedRwLockReadGuard {
            rwlock: take_arc(this, |g| &g.rwlock),
            data,
            lock,
            holder,
        };
        downgraded();
        guard
    }

    /// As [`RwLockWriteGuard::try_downgrade_map`], for a shared lock's guard.
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    #[track_caller]
    pub fn try_downgrade_map<U: ?Sized, F>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let site = Site::caller();
        let Some(data) = f(&*this).map(|data| data as *const U) else {
            return Err(this);
        };
        let holder = downgrade(&this.rwlock.queue, this.lock, this.holder, &site);
        let lock = this.lock;
        let guard = OwnedRwLockReadGuard {
            rwlock: take_arc(this, |g| &g.rwlock),
            data,
            lock,
            holder,
        };
        downgraded();
        Ok(guard)
    }

    /// A write guard of a part of the data, as tokio's `OwnedRwLockWriteGuard::map`: the lock
    /// stays held (exclusively) until the mapped guard is dropped.
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        OwnedRwLockMappedWriteGuard::map(OwnedRwLockWriteGuard::into_mapped(this), f)
    }

    /// As [`OwnedRwLockWriteGuard::map`] where `f` may decline (the guard is given back).
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|data| data as *mut U) else {
            return Err(this);
        };
        let (lock, holder) = (this.lock, this.holder);
        Ok(OwnedRwLockMappedWriteGuard {
            rwlock: take_arc(this, |g| &g.rwlock),
            data,
            lock,
            holder,
        })
    }

    /// The whole data as a mapped write guard, as tokio's `into_mapped`.
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        let data = this.rwlock.data.get();
        let (lock, holder) = (this.lock, this.holder);
        OwnedRwLockMappedWriteGuard {
            rwlock: take_arc(this, |g| &g.rwlock),
            data,
            lock,
            holder,
        }
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.rwlock
    }
}

/// A write hold of `lock` by `holder` becomes a read hold of the current task (the returned
/// holder), at `site`: after a scheduling point, the write lock's release and a read request
/// that cannot wait and succeeds, in one step, and the permits but one given back to the
/// waiters. The caller then forgets the write guard and calls [`downgraded`]: nothing between
/// the change and the forget may unwind (the write guard's drop would give the permits back
/// again).
fn downgrade(queue: &WaitQueue, lock: ObjectId, holder: ThreadId, site: &Site) -> ThreadId {
    if !rt::in_execution() {
        return holder;
    }
    if !std::thread::panicking() {
        rt::switch();
    }
    touch(lock);
    emit_as(holder, EventKind::LockReleased { lock }, site.clone());
    rt::emit(
        EventKind::LockRequest {
            lock,
            mode: LockMode::Shared,
            attempt: Attempt::Try,
        },
        site.clone(),
    );
    rt::emit(
        EventKind::LockAcquired {
            lock,
            mode: LockMode::Shared,
        },
        site.clone(),
    );
    queue.downgrade_held(holder, MAX_READS, 1, site);
    rt::current_thread()
}

/// The scheduling point after a [`downgrade`], once the write guard is forgotten (as after a
/// release: the readers it let in may go first; none while unwinding, as a release's).
fn downgraded() {
    if rt::in_execution() && !std::thread::panicking() {
        rt::switch();
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        release(&self.rwlock.queue, 1, self.lock, self.holder);
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        release(&self.rwlock.queue, MAX_READS, self.lock, self.holder);
    }
}

/// Shared access to an [`RwLock`]'s data (or a part of it: [`RwLockReadGuard::map`]).
pub struct RwLockReadGuard<'a, T: ?Sized> {
    queue: &'a WaitQueue,
    /// Into the lock's data, which the read permit keeps from every writer.
    data: *const T,
    lock: ObjectId,
    holder: ThreadId,
    marker: std::marker::PhantomData<&'a T>,
}

// SAFETY: as tokio's: a read guard is a `&T` under the lock.
#[expect(
    unsafe_code,
    reason = "a read guard is a `&T` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
#[expect(
    unsafe_code,
    reason = "a read guard is a `&T` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// A read guard of a part of the data, as tokio's `RwLockReadGuard::map`: the read
    /// permit stays held until the new guard is dropped.
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&*this);
        let guard = RwLockReadGuard {
            queue: this.queue,
            data,
            lock: this.lock,
            holder: this.holder,
            marker: std::marker::PhantomData,
        };
        std::mem::forget(this);
        guard
    }

    /// As [`RwLockReadGuard::map`] where `f` may decline (the guard is given back).
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let Some(data) = f(&*this).map(|data| data as *const U) else {
            return Err(this);
        };
        let guard = RwLockReadGuard {
            queue: this.queue,
            data,
            lock: this.lock,
            holder: this.holder,
            marker: std::marker::PhantomData,
        };
        std::mem::forget(this);
        Ok(guard)
    }
}

/// Exclusive access to an [`RwLock`]'s data.
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    rwlock: &'a RwLock<T>,
    lock: ObjectId,
    holder: ThreadId,
}

impl<T: ?Sized> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockReadGuard").finish_non_exhaustive()
    }
}

impl<T: ?Sized> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockWriteGuard").finish_non_exhaustive()
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        #[expect(unsafe_code, reason = "the guard holds a read permit")]
        // SAFETY: a read permit excludes every writer: only shared references exist.
        unsafe {
            &*self.data
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        #[expect(unsafe_code, reason = "the guard holds every permit")]
        // SAFETY: this guard holds every permit: no other reference to the data.
        unsafe {
            &*self.rwlock.data.get()
        }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        #[expect(unsafe_code, reason = "the guard holds every permit")]
        // SAFETY: this guard holds every permit: no other reference to the data.
        unsafe {
            &mut *self.rwlock.data.get()
        }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        release(self.queue, 1, self.lock, self.holder);
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        release(&self.rwlock.queue, MAX_READS, self.lock, self.holder);
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// A write guard of a part of the data, as tokio's `RwLockWriteGuard::map`: the lock
    /// stays held (exclusively) until the mapped guard is dropped.
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        RwLockMappedWriteGuard::map(RwLockWriteGuard::into_mapped(this), f)
    }

    /// As [`RwLockWriteGuard::map`] where `f` may decline (the guard is given back).
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|data| data as *mut U) else {
            return Err(this);
        };
        let guard = RwLockMappedWriteGuard {
            queue: &this.rwlock.queue,
            data,
            lock: this.lock,
            holder: this.holder,
            marker: std::marker::PhantomData,
        };
        std::mem::forget(this);
        Ok(guard)
    }

    /// Turns the write hold into a read hold, atomically (no writer gets in between): the
    /// readers waiting behind it may get in, as tokio's `downgrade`. For the detector the
    /// write hold ends and a read hold begins at the call, a request that cannot wait (it adds
    /// no lock-order edge from the locks taken since the write lock).
    #[track_caller]
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        RwLockWriteGuard::downgrade_map(self, |data| data)
    }

    /// [`RwLockWriteGuard::downgrade`] to a part of the data, as tokio's `downgrade_map`.
    #[track_caller]
    pub fn downgrade_map<F, U: ?Sized>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let site = Site::caller();
        let data: *const U = f(&*this);
        let guard = RwLockReadGuard {
            queue: &this.rwlock.queue,
            data,
            lock: this.lock,
            holder: downgrade(&this.rwlock.queue, this.lock, this.holder, &site),
            marker: std::marker::PhantomData,
        };
        std::mem::forget(this);
        downgraded();
        guard
    }

    /// As [`RwLockWriteGuard::downgrade_map`] where `f` may decline: the write guard is given
    /// back, still writing.
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    #[track_caller]
    pub fn try_downgrade_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let site = Site::caller();
        let Some(data) = f(&*this).map(|data| data as *const U) else {
            return Err(this);
        };
        let guard = RwLockReadGuard {
            queue: &this.rwlock.queue,
            data,
            lock: this.lock,
            holder: downgrade(&this.rwlock.queue, this.lock, this.holder, &site),
            marker: std::marker::PhantomData,
        };
        std::mem::forget(this);
        downgraded();
        Ok(guard)
    }

    /// The whole data as a mapped write guard, as tokio's `into_mapped`.
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        let guard = RwLockMappedWriteGuard {
            queue: &this.rwlock.queue,
            data: this.rwlock.data.get(),
            lock: this.lock,
            holder: this.holder,
            marker: std::marker::PhantomData,
        };
        std::mem::forget(this);
        guard
    }
}

/// Exclusive access to a part of an [`RwLock`]'s data ([`RwLockWriteGuard::map`]); dropping
/// it releases the lock.
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    queue: &'a WaitQueue,
    /// Into the lock's data, which the held lock gives this guard alone.
    data: *mut T,
    lock: ObjectId,
    holder: ThreadId,
    marker: std::marker::PhantomData<&'a mut T>,
}

// SAFETY: as tokio's `RwLockMappedWriteGuard`: a `&mut T` under the held lock.
#[expect(
    unsafe_code,
    reason = "a mapped guard is a `&mut T` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: as above.
#[expect(
    unsafe_code,
    reason = "a mapped guard is a `&mut T` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}

impl<T: ?Sized> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockMappedWriteGuard")
            .finish_non_exhaustive()
    }
}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// A guard of a part of this part, as [`RwLockWriteGuard::map`].
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        let guard = RwLockMappedWriteGuard {
            queue: this.queue,
            data,
            lock: this.lock,
            holder: this.holder,
            marker: std::marker::PhantomData,
        };
        std::mem::forget(this);
        guard
    }

    /// As [`RwLockMappedWriteGuard::map`] where `f` may decline (the guard is given back).
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|data| data as *mut U) else {
            return Err(this);
        };
        let guard = RwLockMappedWriteGuard {
            queue: this.queue,
            data,
            lock: this.lock,
            holder: this.holder,
            marker: std::marker::PhantomData,
        };
        std::mem::forget(this);
        Ok(guard)
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        #[expect(unsafe_code, reason = "the guard holds the lock")]
        // SAFETY: `data` points into the locked data, which this guard alone reaches.
        unsafe {
            &*self.data
        }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        #[expect(unsafe_code, reason = "the guard holds the lock")]
        // SAFETY: `data` points into the locked data, which this guard alone reaches.
        unsafe {
            &mut *self.data
        }
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        release(self.queue, MAX_READS, self.lock, self.holder);
    }
}
