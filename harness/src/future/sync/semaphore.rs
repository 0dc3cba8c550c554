//! The async `Semaphore`: tokio's, on the shared waiter queue.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site, ThreadId};

use super::queue::{look, touch, Acquire, WaitQueue};
use crate::rt;

/// tokio's `Semaphore`: permits handed out first come first served; `close` fails every
/// waiting and later request. A task waiting for a permit is an `AsyncWait` on it, which a
/// deadlock report shows.
///
/// # Examples
///
/// ```
/// use interleave::future::{self, sync::Semaphore};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let semaphore = Semaphore::new(1);
///         let permit = semaphore.acquire().await.unwrap();
///         assert_eq!(semaphore.available_permits(), 0);
///         drop(permit);
///         assert_eq!(semaphore.available_permits(), 1);
///     });
/// });
/// ```
pub struct Semaphore {
    queue: WaitQueue,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.queue.available())
            .finish()
    }
}

/// The semaphore was closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("semaphore closed")]
pub struct AcquireError(());

/// Why `try_acquire` got no permit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    #[error("semaphore closed")]
    Closed,
    /// Not enough permits (or others wait first).
    #[error("no permits available")]
    NoPermits,
}

impl Semaphore {
    /// A semaphore with `permits` permits (created at the caller's site).
    ///
    /// # Panics
    ///
    /// If `permits` is more than [`Semaphore::MAX_PERMITS`], as tokio's.
    #[track_caller]
    pub fn new(permits: usize) -> Self {
        Semaphore::with_name(permits, None, &Site::caller())
    }

    /// A semaphore that reports call `name`.
    ///
    /// # Panics
    ///
    /// If `permits` is more than [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub fn named(permits: usize, name: &str) -> Self {
        Semaphore::with_name(permits, Some(name), &Site::caller())
    }

    /// A semaphore with `permits` permits that registers at its first use in each execution
    /// (with that use's site): usable in a `static`, as tokio's `const_new`. Each execution
    /// starts with `permits`.
    ///
    /// # Panics
    ///
    /// If `permits` is more than [`Semaphore::MAX_PERMITS`], as tokio's (at compile time in
    /// a `static`).
    pub const fn const_new(permits: usize) -> Self {
        assert!(permits <= Self::MAX_PERMITS);
        Semaphore {
            queue: WaitQueue::const_new(ObjectClass::Semaphore, permits),
        }
    }

    fn with_name(permits: usize, name: Option<&str>, site: &Site) -> Self {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits ({})",
            Self::MAX_PERMITS
        );
        let queue = WaitQueue::new(ObjectClass::Semaphore, permits, name);
        if rt::in_execution() {
            queue.object(site);
        }
        Semaphore { queue }
    }

    /// A look at the permits or the closing: a read of what acquisitions, releases and
    /// `close` write ([`look`]).
    fn look(&self, site: &Site) {
        if rt::in_execution() {
            look(&[rt::Key::object(self.queue.object(site))]);
        }
    }

    /// The most permits a semaphore may have, as tokio's.
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// The permits free now.
    #[track_caller]
    pub fn available_permits(&self) -> usize {
        self.look(&Site::caller());
        self.queue.available()
    }

    /// Adds `n` permits (to the longest waiting requests first).
    ///
    /// # Panics
    ///
    /// As tokio's, if the permits left free would be more than [`Semaphore::MAX_PERMITS`]
    /// (those the waiting requests take do not count); the semaphore is left as it was.
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        let object = self.queue.object(&Site::caller());
        rt::switch();
        touch(object);
        let (before, left) = self.queue.free_after_adding(n);
        assert!(
            left <= Self::MAX_PERMITS,
            "cannot add more than MAX_PERMITS permits ({})",
            Self::MAX_PERMITS
        );
        assert!(
            before + left <= Self::MAX_PERMITS,
            "number of added permits ({left}) would overflow MAX_PERMITS ({})",
            Self::MAX_PERMITS
        );
        rt::emit(EventKind::AsyncRelease { object }, Site::caller());
        self.queue.release(n);
    }

    /// Removes up to `n` of the permits free now (a scheduling point), as tokio's: returns how
    /// many it removed.
    #[track_caller]
    pub fn forget_permits(&self, n: usize) -> usize {
        let object = self.queue.object(&Site::caller());
        rt::switch();
        touch(object);
        self.queue.forget(n)
    }

    /// Closes the semaphore: waiting and later requests fail.
    #[track_caller]
    pub fn close(&self) {
        let object = self.queue.object(&Site::caller());
        rt::switch();
        touch(object);
        self.queue.close();
    }

    /// Whether it was closed.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.look(&Site::caller());
        self.queue.is_closed()
    }

    /// [`Semaphore::acquire`] from sync code (a thread outside any runtime, a
    /// `spawn_blocking` closure), as tokio's `blocking_acquire`.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`).
    #[track_caller]
    pub fn blocking_acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        let site = Site::caller();
        crate::future::task::block_on_checked(self.acquire_many_at(1, site.clone()), site, false)
    }

    /// [`Semaphore::acquire_many`] from sync code, as [`Semaphore::blocking_acquire`].
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`).
    #[track_caller]
    pub fn blocking_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        let site = Site::caller();
        crate::future::task::block_on_checked(
            self.acquire_many_at(n as usize, site.clone()),
            site,
            false,
        )
    }

    /// [`Semaphore::acquire_owned`] from sync code, as [`Semaphore::blocking_acquire`].
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`).
    #[track_caller]
    pub fn blocking_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        let site = Site::caller();
        crate::future::task::block_on_checked(
            self.acquire_many_owned_at(1, site.clone()),
            site,
            false,
        )
    }

    /// [`Semaphore::acquire_many_owned`] from sync code, as [`Semaphore::blocking_acquire`].
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`).
    #[track_caller]
    pub fn blocking_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        let site = Site::caller();
        crate::future::task::block_on_checked(
            self.acquire_many_owned_at(n as usize, site.clone()),
            site,
            false,
        )
    }

    /// Waits for a permit.
    #[track_caller]
    pub fn acquire(&self) -> impl Future<Output = Result<SemaphorePermit<'_>, AcquireError>> + '_ {
        self.acquire_many_at(1, Site::caller())
    }

    /// Waits for `n` permits at once.
    #[track_caller]
    pub fn acquire_many(
        &self,
        n: u32,
    ) -> impl Future<Output = Result<SemaphorePermit<'_>, AcquireError>> + '_ {
        self.acquire_many_at(n as usize, Site::caller())
    }

    fn acquire_many_at(
        &self,
        n: usize,
        site: Site,
    ) -> impl Future<Output = Result<SemaphorePermit<'_>, AcquireError>> + '_ {
        let request = PermitRequest::new(&self.queue, n, site);
        async move {
            request.await?;
            Ok(SemaphorePermit {
                semaphore: self,
                permits: n,
                holder: rt::current_thread(),
            })
        }
    }

    /// Waits for a permit of a shared semaphore; the permit keeps the semaphore alive. The
    /// same request as `acquire`'s, seen by the detector as one.
    #[track_caller]
    pub fn acquire_owned(
        self: Arc<Self>,
    ) -> impl Future<Output = Result<OwnedSemaphorePermit, AcquireError>> {
        self.acquire_many_owned_at(1, Site::caller())
    }

    /// Waits for `n` permits of a shared semaphore at once.
    #[track_caller]
    pub fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> impl Future<Output = Result<OwnedSemaphorePermit, AcquireError>> {
        self.acquire_many_owned_at(n as usize, Site::caller())
    }

    async fn acquire_many_owned_at(
        self: Arc<Self>,
        n: usize,
        site: Site,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        PermitRequest::new(&self.queue, n, site).await?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n,
            holder: rt::current_thread(),
        })
    }

    /// A permit if one is free now and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`]: closed, or no permit.
    #[track_caller]
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_take(1, &Site::caller())?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: 1,
            holder: rt::current_thread(),
        })
    }

    /// `n` permits if they are free now and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`]: closed, or not enough permits.
    #[track_caller]
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_take(n as usize, &Site::caller())?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n as usize,
            holder: rt::current_thread(),
        })
    }

    /// As [`Semaphore::try_acquire`] on a shared semaphore.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`]: closed, or no permit.
    #[track_caller]
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_take(1, &Site::caller())?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: 1,
            holder: rt::current_thread(),
        })
    }

    /// As [`Semaphore::try_acquire_many`] on a shared semaphore.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`]: closed, or not enough permits.
    #[track_caller]
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_take(n as usize, &Site::caller())?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n as usize,
            holder: rt::current_thread(),
        })
    }

    /// A try request: a scheduling point, then `n` permits now or none.
    fn try_take(&self, n: usize, site: &Site) -> Result<(), TryAcquireError> {
        let object = self.queue.object(site);
        rt::switch();
        touch(object);
        match self.queue.try_acquire(n, site) {
            Ok(()) => Ok(()),
            Err(true) => Err(TryAcquireError::Closed),
            Err(false) => Err(TryAcquireError::NoPermits),
        }
    }

    fn give_back(&self, permits: usize, holder: ThreadId) {
        if permits == 0 || !rt::in_execution() {
            return;
        }
        let object = self.queue.object(&Site::unknown());
        touch(object);
        rt::emit(EventKind::AsyncRelease { object }, Site::unknown());
        self.queue.release_held(holder, permits);
    }
}

/// A request for permits: a scheduling point, then queued; a wait shows as `AsyncWait`.
struct PermitRequest<'a> {
    queue: &'a WaitQueue,
    needed: usize,
    site: Site,
    object: Option<ObjectId>,
    ticket: Option<u64>,
    done: bool,
}

impl<'a> PermitRequest<'a> {
    fn new(queue: &'a WaitQueue, needed: usize, site: Site) -> Self {
        PermitRequest {
            queue,
            needed,
            site,
            object: None,
            ticket: None,
            done: false,
        }
    }
}

impl Future for PermitRequest<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let object = match self.object {
            Some(object) => object,
            None => {
                rt::require_check("an async lock or semaphore", &self.site);
                rt::switch();
                let object = self.queue.object(&self.site);
                self.object = Some(object);
                object
            }
        };
        touch(object);
        let result = match self
            .queue
            .poll_acquire(self.needed, self.ticket, cx.waker(), &self.site)
        {
            Acquire::Acquired => Ok(()),
            Acquire::Closed => Err(AcquireError(())),
            Acquire::Queued(ticket) => {
                if self.ticket.is_none() {
                    rt::emit(EventKind::AsyncWait { object }, self.site.clone());
                    if let Some((held_at, granted)) = self.queue.held_by_current() {
                        // It waits behind permits another future of this task holds.
                        let holds = EventKind::FutureHolds {
                            object,
                            held_at,
                            granted,
                        };
                        rt::emit(holds, self.site.clone());
                    }
                }
                self.ticket = Some(ticket);
                crate::future::task::pending_at(&self.site);
                return Poll::Pending;
            }
        };
        self.done = true;
        if self.ticket.is_some() {
            rt::emit(EventKind::AsyncReady { object }, self.site.clone());
        }
        if result.is_ok() {
            rt::emit(EventKind::AsyncAcquire { object }, self.site.clone());
        }
        Poll::Ready(result)
    }
}

impl Drop for PermitRequest<'_> {
    fn drop(&mut self) {
        if let (Some(ticket), Some(object), false) = (self.ticket, self.object, self.done) {
            self.queue.cancel(ticket);
            if rt::in_execution() {
                touch(object);
                rt::emit(EventKind::AsyncReady { object }, self.site.clone());
            }
        }
    }
}

/// Permits of a [`Semaphore`], given back when dropped.
#[derive(Debug)]
#[must_use = "the permit is given back at once if not kept"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
    /// The task that acquired them.
    holder: ThreadId,
}

impl<'a> SemaphorePermit<'a> {
    /// Keeps its permits taken for good: nobody holds them any more.
    pub fn forget(mut self) {
        self.semaphore.queue.forget_held(self.holder, self.permits);
        self.permits = 0;
    }

    /// How many permits it holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore it holds permits of.
    pub fn semaphore(&self) -> &'a Semaphore {
        self.semaphore
    }

    /// Takes `other`'s permits into this one, as tokio's.
    ///
    /// # Panics
    ///
    /// If `other` holds permits of another semaphore.
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            std::ptr::eq(self.semaphore, other.semaphore),
            "merging permits from different semaphore instances"
        );
        self.semaphore
            .queue
            .merge_held((self.holder, self.permits), (other.holder, other.permits));
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Splits `n` of its permits off into a new permit, or `None` if it holds fewer, as
    /// tokio's.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        if n > self.permits {
            return None;
        }
        self.semaphore
            .queue
            .split_held(self.holder, self.permits, n);
        self.permits -= n;
        Some(SemaphorePermit {
            semaphore: self.semaphore,
            permits: n,
            holder: self.holder,
        })
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.give_back(self.permits, self.holder);
    }
}

/// A permit of a shared [`Semaphore`], given back when dropped.
#[derive(Debug)]
#[must_use = "the permit is given back at once if not kept"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: usize,
    /// The task that acquired it.
    holder: ThreadId,
}

impl OwnedSemaphorePermit {
    /// Keeps its permits taken for good: nobody holds them any more.
    pub fn forget(mut self) {
        self.semaphore.queue.forget_held(self.holder, self.permits);
        self.permits = 0;
    }

    /// How many permits it holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore it holds permits of.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }

    /// Takes `other`'s permits into this one, as tokio's.
    ///
    /// # Panics
    ///
    /// If `other` holds permits of another semaphore.
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            Arc::ptr_eq(&self.semaphore, &other.semaphore),
            "merging permits from different semaphore instances"
        );
        self.semaphore
            .queue
            .merge_held((self.holder, self.permits), (other.holder, other.permits));
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Splits `n` of its permits off into a new permit, or `None` if it holds fewer, as
    /// tokio's.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        if n > self.permits {
            return None;
        }
        self.semaphore
            .queue
            .split_held(self.holder, self.permits, n);
        self.permits -= n;
        Some(OwnedSemaphorePermit {
            semaphore: Arc::clone(&self.semaphore),
            permits: n,
            holder: self.holder,
        })
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.give_back(self.permits, self.holder);
    }
}
