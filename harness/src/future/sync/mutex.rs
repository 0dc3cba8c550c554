//! The async `Mutex`, and the lock future it shares with `RwLock`.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use interleave_detector::{Attempt, EventKind, LockMode, ObjectClass, ObjectId, Site, ThreadId};

use super::queue::{emit_as, take_arc, touch, Acquire, WaitQueue};
use crate::rt;

/// tokio's `Mutex`: `lock().await` gives a guard that may be held across `.await`s; waiters
/// get the lock first come first served; no poisoning. Every request, acquisition and release
/// is an event of the lock-order graph and the wait-for analysis, as a `sync::Mutex`'s is, so
/// async lock-order cycles (and cycles mixing sync and async locks) are reported.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use interleave::future::{self, sync::Mutex};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let count = Arc::new(Mutex::new(0));
///         let c = Arc::clone(&count);
///         let task = future::spawn(async move { *c.lock().await += 1 });
///         *count.lock().await += 1;
///         task.await.unwrap();
///         assert_eq!(*count.lock().await, 2);
///     });
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    queue: WaitQueue,
    data: UnsafeCell<T>,
}

// SAFETY: the lock protocol (one permit) gives one guard at a time access to the data, as
// tokio's `Mutex` does; the bounds are tokio's.
#[expect(
    unsafe_code,
    reason = "the data is shared under the lock protocol, as in tokio"
)]
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: `&Mutex` only reaches the data through a guard.
#[expect(
    unsafe_code,
    reason = "the data is shared under the lock protocol, as in tokio"
)]
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T: ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
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

impl<T> Mutex<T> {
    /// A new unlocked mutex (created at the caller's site).
    #[track_caller]
    pub fn new(value: T) -> Self {
        Mutex::with_name(value, None, &Site::caller())
    }

    /// A new mutex that reports call `name`.
    #[track_caller]
    pub fn named(value: T, name: &str) -> Self {
        Mutex::with_name(value, Some(name), &Site::caller())
    }

    /// A new unlocked mutex that registers at its first use in each execution (with that
    /// use's site): usable in a `static`, as tokio's `const_new`. Each execution starts with
    /// it unlocked; the data is not reset (as any `static`'s).
    pub const fn const_new(value: T) -> Self {
        Mutex {
            queue: WaitQueue::const_new(ObjectClass::Mutex, 1),
            data: UnsafeCell::new(value),
        }
    }

    fn with_name(value: T, name: Option<&str>, site: &Site) -> Self {
        let queue = WaitQueue::new(ObjectClass::Mutex, 1, name);
        if rt::in_execution() {
            queue.object(site);
        }
        Mutex {
            queue,
            data: UnsafeCell::new(value),
        }
    }

    /// The data, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock (a scheduling point, then first come first served).
    #[track_caller]
    pub fn lock(&self) -> impl Future<Output = MutexGuard<'_, T>> + '_ {
        let request = LockRequest::new(&self.queue, 1, LockMode::Exclusive, Site::caller());
        async move {
            let (lock, holder) = request.await;
            MutexGuard {
                mutex: self,
                lock,
                holder,
            }
        }
    }

    /// Waits for the lock from sync code (a thread outside any runtime), as tokio's
    /// `blocking_lock`.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`).
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        let site = Site::caller();
        crate::future::task::block_on_checked(self.lock(), site, false)
    }

    /// Takes the lock if it is free and nobody waits for it.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if it is held or waited for.
    #[track_caller]
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        let (lock, holder) = try_lock(&self.queue, 1, LockMode::Exclusive, &Site::caller())?;
        Ok(MutexGuard {
            mutex: self,
            lock,
            holder,
        })
    }

    /// The data, through `&mut` (no lock needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// As [`Mutex::lock`] on a shared mutex: the guard keeps it alive (`'static`, so it can
    /// move into a spawned task). The same request as `lock`'s, seen by the detector as one.
    #[track_caller]
    pub fn lock_owned(self: Arc<Self>) -> impl Future<Output = OwnedMutexGuard<T>> {
        let site = Site::caller();
        async move {
            let (lock, holder) = LockRequest::new(&self.queue, 1, LockMode::Exclusive, site).await;
            OwnedMutexGuard {
                mutex: self,
                lock,
                holder,
            }
        }
    }

    /// As [`Mutex::blocking_lock`] on a shared mutex, as tokio's `blocking_lock_owned`.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`).
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        let site = Site::caller();
        crate::future::task::block_on_checked(self.lock_owned(), site, false)
    }

    /// As [`Mutex::try_lock`] on a shared mutex.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if it is held or waited for.
    #[track_caller]
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        let (lock, holder) = try_lock(&self.queue, 1, LockMode::Exclusive, &Site::caller())?;
        Ok(OwnedMutexGuard {
            mutex: self,
            lock,
            holder,
        })
    }
}

/// The lock was held (or waited for) when `try_lock` asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("operation would block")]
pub struct TryLockError(());

/// A request for `needed` permits of a lock's queue in `mode`: announced, then queued.
pub(crate) struct LockRequest<'a> {
    queue: &'a WaitQueue,
    needed: usize,
    mode: LockMode,
    site: Site,
    lock: Option<ObjectId>,
    ticket: Option<u64>,
    done: bool,
}

impl<'a> LockRequest<'a> {
    pub(crate) fn new(queue: &'a WaitQueue, needed: usize, mode: LockMode, site: Site) -> Self {
        LockRequest {
            queue,
            needed,
            mode,
            site,
            lock: None,
            ticket: None,
            done: false,
        }
    }
}

impl Future for LockRequest<'_> {
    type Output = (ObjectId, ThreadId);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let lock = match self.lock {
            Some(lock) => lock,
            None => {
                rt::require_check("an async lock or semaphore", &self.site);
                rt::switch();
                let lock = self.queue.object(&self.site);
                if let Some((held_at, granted)) = self.queue.held_by_current() {
                    // Another future of this task holds it (or was handed it): a wait that
                    // only that future can end, not a re-lock by the same code.
                    let holds = EventKind::FutureHolds {
                        object: lock,
                        held_at,
                        granted,
                    };
                    rt::emit(holds, self.site.clone());
                }
                rt::emit(
                    EventKind::LockRequest {
                        lock,
                        mode: self.mode,
                        attempt: Attempt::Blocking,
                    },
                    self.site.clone(),
                );
                self.lock = Some(lock);
                lock
            }
        };
        touch(lock);
        match self
            .queue
            .poll_acquire(self.needed, self.ticket, cx.waker(), &self.site)
        {
            Acquire::Acquired => {
                self.done = true;
                rt::emit(
                    EventKind::LockAcquired {
                        lock,
                        mode: self.mode,
                    },
                    self.site.clone(),
                );
                Poll::Ready((lock, rt::current_thread()))
            }
            Acquire::Queued(ticket) => {
                self.ticket = Some(ticket);
                crate::future::task::pending_at(&self.site);
                Poll::Pending
            }
            Acquire::Closed => unreachable!("a lock's queue is never closed"),
        }
    }
}

impl Drop for LockRequest<'_> {
    fn drop(&mut self) {
        // Dropped while waiting (a `select!` or `timeout` gave up on it): it leaves the queue.
        if let (Some(lock), false) = (self.lock, self.done) {
            if let Some(ticket) = self.ticket {
                self.queue.cancel(ticket);
            }
            if rt::in_execution() {
                touch(lock);
                rt::emit(EventKind::LockFailed { lock }, self.site.clone());
            }
        }
    }
}

/// A try request: announced, then granted or refused at once.
pub(crate) fn try_lock(
    queue: &WaitQueue,
    needed: usize,
    mode: LockMode,
    site: &Site,
) -> Result<(ObjectId, ThreadId), TryLockError> {
    rt::require_check("an async lock or semaphore", site);
    rt::switch();
    let lock = queue.object(site);
    rt::emit(
        EventKind::LockRequest {
            lock,
            mode,
            attempt: Attempt::Try,
        },
        site.clone(),
    );
    touch(lock);
    if queue.try_acquire(needed, site).is_ok() {
        rt::emit(EventKind::LockAcquired { lock, mode }, site.clone());
        Ok((lock, rt::current_thread()))
    } else {
        rt::emit(EventKind::LockFailed { lock }, site.clone());
        Err(TryLockError(()))
    }
}

/// Releases a hold taken by `holder` (on whichever task drops the guard), then a scheduling
/// point.
pub(crate) fn release(queue: &WaitQueue, needed: usize, lock: ObjectId, holder: ThreadId) {
    if !rt::in_execution() {
        return;
    }
    let site = Site::unknown();
    touch(lock);
    emit_as(holder, EventKind::LockReleased { lock }, site);
    queue.release_held(holder, needed);
    if !std::thread::panicking() {
        rt::switch();
    }
}

/// A held [`Mutex`]; dropping it releases the lock.
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    lock: ObjectId,
    holder: ThreadId,
}

// SAFETY: a guard only gives access to the data it holds the lock of; as tokio's guard.
#[expect(
    unsafe_code,
    reason = "a guard is shared as the data behind it is, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexGuard").finish_non_exhaustive()
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        #[expect(unsafe_code, reason = "the guard holds the lock")]
        // SAFETY: this guard holds the mutex's only permit: no other reference to the data.
        unsafe {
            &*self.mutex.data.get()
        }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        #[expect(unsafe_code, reason = "the guard holds the lock")]
        // SAFETY: this guard holds the mutex's only permit: no other reference to the data.
        unsafe {
            &mut *self.mutex.data.get()
        }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        release(&self.mutex.queue, 1, self.lock, self.holder);
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// A guard of a part of the data (as tokio's `MutexGuard::map`): the lock stays held
    /// until the mapped guard is dropped.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        let guard = MappedMutexGuard {
            queue: &this.mutex.queue,
            data,
            lock: this.lock,
            holder: this.holder,
            marker: std::marker::PhantomData,
        };
        std::mem::forget(this);
        guard
    }

    /// As [`MutexGuard::map`] where `f` may decline (the guard is given back).
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|data| data as *mut U) else {
            return Err(this);
        };
        let guard = MappedMutexGuard {
            queue: &this.mutex.queue,
            data,
            lock: this.lock,
            holder: this.holder,
            marker: std::marker::PhantomData,
        };
        std::mem::forget(this);
        Ok(guard)
    }

    /// The mutex this guard holds.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }
}

/// A held [`Mutex`] shared by `Arc` ([`Mutex::lock_owned`]); dropping it releases the lock.
/// The detector sees it as a [`MutexGuard`]: the same hold of the same lock.
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
    lock: ObjectId,
    holder: ThreadId,
}

// SAFETY: as `MutexGuard`: sharing the guard shares the data (tokio's bounds).
#[expect(
    unsafe_code,
    reason = "a guard is shared as the data behind it is, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard holds.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.mutex
    }

    /// A guard of a part of the data, as tokio's `OwnedMutexGuard::map`: the lock stays held
    /// until the mapped guard is dropped.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        let (lock, holder) = (this.lock, this.holder);
        OwnedMappedMutexGuard {
            mutex: take_arc(this, |g| &g.mutex),
            data,
            lock,
            holder,
        }
    }

    /// As [`OwnedMutexGuard::map`] where `f` may decline (the guard is given back).
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(data) = f(&mut *this).map(|data| data as *mut U) else {
            return Err(this);
        };
        let (lock, holder) = (this.lock, this.holder);
        Ok(OwnedMappedMutexGuard {
            mutex: take_arc(this, |g| &g.mutex),
            data,
            lock,
            holder,
        })
    }
}

/// A held shared [`Mutex`] giving access to a part of its data ([`OwnedMutexGuard::map`]);
/// dropping it releases the lock.
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    mutex: Arc<Mutex<T>>,
    /// Into the mutex's data, which the held lock gives this guard alone.
    data: *mut U,
    lock: ObjectId,
    holder: ThreadId,
}

// SAFETY: as tokio's `OwnedMappedMutexGuard`: it owns the mutex and is a `&mut U` under it.
#[expect(
    unsafe_code,
    reason = "a mapped guard is a `&mut U` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: as above.
#[expect(
    unsafe_code,
    reason = "a mapped guard is a `&mut U` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// A guard of a part of this part, as tokio's `OwnedMappedMutexGuard::map`.
    pub fn map<S: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, S>
    where
        F: FnOnce(&mut U) -> &mut S,
    {
        let data: *mut S = f(&mut *this);
        let (lock, holder) = (this.lock, this.holder);
        OwnedMappedMutexGuard {
            mutex: take_arc(this, |g| &g.mutex),
            data,
            lock,
            holder,
        }
    }

    /// As [`OwnedMappedMutexGuard::map`] where `f` may decline (the guard is given back).
    ///
    /// # Errors
    ///
    /// The original guard, if `f` returns `None`.
    pub fn try_map<S: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, S>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut S>,
    {
        let Some(data) = f(&mut *this).map(|data| data as *mut S) else {
            return Err(this);
        };
        let (lock, holder) = (this.lock, this.holder);
        Ok(OwnedMappedMutexGuard {
            mutex: take_arc(this, |g| &g.mutex),
            data,
            lock,
            holder,
        })
    }
}

impl<T: ?Sized, U: ?Sized> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedMappedMutexGuard")
            .finish_non_exhaustive()
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        #[expect(unsafe_code, reason = "the guard holds the lock")]
        // SAFETY: `data` points into the locked data, which this guard alone reaches.
        unsafe {
            &*self.data
        }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        #[expect(unsafe_code, reason = "the guard holds the lock")]
        // SAFETY: `data` points into the locked data, which this guard alone reaches.
        unsafe {
            &mut *self.data
        }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        release(&self.mutex.queue, 1, self.lock, self.holder);
    }
}

impl<T: ?Sized> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedMutexGuard").finish_non_exhaustive()
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        #[expect(unsafe_code, reason = "the guard holds the lock")]
        // SAFETY: this guard holds the mutex's only permit: no other reference to the data.
        unsafe {
            &*self.mutex.data.get()
        }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        #[expect(unsafe_code, reason = "the guard holds the lock")]
        // SAFETY: this guard holds the mutex's only permit: no other reference to the data.
        unsafe {
            &mut *self.mutex.data.get()
        }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        release(&self.mutex.queue, 1, self.lock, self.holder);
    }
}

/// A held [`Mutex`] giving access to a part of its data ([`MutexGuard::map`]); dropping it
/// releases the lock.
pub struct MappedMutexGuard<'a, T: ?Sized> {
    queue: &'a WaitQueue,
    /// Into the mutex's data, which the held lock gives this guard alone.
    data: *mut T,
    lock: ObjectId,
    holder: ThreadId,
    marker: std::marker::PhantomData<&'a mut T>,
}

// SAFETY: as tokio's `MappedMutexGuard`: it is a `&mut T` under the held lock.
#[expect(
    unsafe_code,
    reason = "a mapped guard is a `&mut T` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}
// SAFETY: as above.
#[expect(
    unsafe_code,
    reason = "a mapped guard is a `&mut T` under the lock, as in tokio"
)]
unsafe impl<T: ?Sized + Send + Sync> Sync for MappedMutexGuard<'_, T> {}

impl<T: ?Sized> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappedMutexGuard").finish_non_exhaustive()
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        #[expect(unsafe_code, reason = "the guard holds the lock")]
        // SAFETY: `data` points into the locked data, which this guard alone reaches.
        unsafe {
            &*self.data
        }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        #[expect(unsafe_code, reason = "the guard holds the lock")]
        // SAFETY: `data` points into the locked data, which this guard alone reaches.
        unsafe {
            &mut *self.data
        }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        release(self.queue, 1, self.lock, self.holder);
    }
}
