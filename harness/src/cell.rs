//! A race-checked `UnsafeCell`, with loom's API.

use std::fmt;
use std::sync::Mutex as StdMutex;

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site};

use crate::rt;
use crate::sync::Registration;

mod ptr;
mod shared;

pub use ptr::{ConstPtr, MutPtr};
pub use shared::Cell;

/// std's `UnsafeCell`, with loom's API: every access goes through [`with`](Self::with) (a
/// read) or [`with_mut`](Self::with_mut) (a write), which is a scheduling point reported to the
/// detector. Two accesses by different threads, at least one a write, that nothing orders
/// (no lock, channel message, join, Release/Acquire pair, …) are a data race finding, in
/// whatever order the schedule ran them.
///
/// The access is the call: the detector cannot see what the closure does with the pointer
/// afterwards, so keep the pointer inside the closure.
///
/// Like std's, it is not `Sync`: wrap it in your own type and promise, with an
/// `unsafe impl Sync`, that your type orders its accesses — exactly what interleave then
/// checks.
///
/// # Examples
///
/// A one-slot mailbox whose `Sync` rests on a flag; with the Release/Acquire pair the read is
/// ordered after the write in every schedule (make the flag Relaxed and the check reports the
/// data race):
///
/// ```
/// use interleave::cell::UnsafeCell;
/// use interleave::sync::atomic::{AtomicBool, Ordering};
/// use interleave::sync::Arc;
/// use interleave::thread;
///
/// struct Mailbox {
///     full: AtomicBool,
///     slot: UnsafeCell<u32>,
/// }
///
/// // SAFETY: `slot` is written once, before `full` is set with Release, and read only after
/// // `full` was seen set with Acquire.
/// unsafe impl Sync for Mailbox {}
///
/// interleave::Config::random(50).check(|| {
///     let mailbox = Arc::new(Mailbox {
///         full: AtomicBool::new(false),
///         slot: UnsafeCell::new(0),
///     });
///     let m = Arc::clone(&mailbox);
///     let t = thread::spawn(move || {
///         // SAFETY: nobody reads the slot before `full` is set.
///         m.slot.with_mut(|p| unsafe { *p = 42 });
///         m.full.store(true, Ordering::Release);
///     });
///     if mailbox.full.load(Ordering::Acquire) {
///         // SAFETY: the writer is done with the slot.
///         assert_eq!(mailbox.slot.with(|p| unsafe { *p }), 42);
///     }
///     t.join().unwrap();
/// });
/// ```
pub struct UnsafeCell<T: ?Sized> {
    registration: StdMutex<Registration>,
    data: std::cell::UnsafeCell<T>,
}

impl<T> UnsafeCell<T> {
    /// A new cell holding `value`, registered with the running execution as created at the
    /// caller's site.
    #[track_caller]
    pub fn new(value: T) -> Self {
        UnsafeCell::new_at(value, &Site::caller())
    }

    /// A new cell that reports call `name` rather than by where it was created.
    #[track_caller]
    pub fn named(name: &str, value: T) -> Self {
        let cell = UnsafeCell {
            registration: StdMutex::new(Registration::named(name)),
            data: std::cell::UnsafeCell::new(value),
        };
        cell.object(&Site::caller());
        cell
    }

    fn new_at(value: T, site: &Site) -> Self {
        let cell = UnsafeCell {
            registration: StdMutex::default(),
            data: std::cell::UnsafeCell::new(value),
        };
        cell.object(site);
        cell
    }

    /// The value, consuming the cell.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// Reads the cell: a scheduling point, then `f` with a pointer to the value. Dereferencing
    /// the pointer is up to the caller's `unsafe`.
    #[track_caller]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        let _ = self.access(false, Site::caller());
        f(self.data.get())
    }

    /// Writes the cell: a scheduling point, then `f` with a mutable pointer to the value.
    /// Dereferencing the pointer is up to the caller's `unsafe`.
    #[track_caller]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        let _ = self.access(true, Site::caller());
        f(self.data.get())
    }

    /// The value, through a unique borrow: no other thread can access it, so this is neither
    /// a scheduling point nor an event.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// A read that lasts as long as the returned pointer (loom's `UnsafeCell::get`): reported
    /// when it begins and again when the pointer is dropped, so a write by another thread that
    /// nothing orders with either end is a data race.
    #[track_caller]
    pub fn ptr(&self) -> ConstPtr<T> {
        let site = Site::caller();
        let cell = self.access(false, site.clone());
        ConstPtr::new(self.data.get(), cell, site)
    }

    /// A write that lasts as long as the returned pointer (loom's `UnsafeCell::get_mut`):
    /// reported when it begins and again when the pointer is dropped.
    #[track_caller]
    pub fn ptr_mut(&self) -> MutPtr<T> {
        let site = Site::caller();
        let cell = self.access(true, site.clone());
        MutPtr::new(self.data.get(), cell, site)
    }

    /// Its id in the running execution (registering it on first use), or `None` outside one.
    fn object(&self, site: &Site) -> Option<ObjectId> {
        let mut registration = self
            .registration
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        registration
            .object(ObjectClass::Cell, None, site)
            .map(|(id, _)| id)
    }

    /// The access: a scheduling point and its event. Returns the cell's id (in the running
    /// execution) for an access that ends later.
    fn access(&self, write: bool, site: Site) -> Option<(ObjectId, u64)> {
        // Outside an execution, std's cell and nothing else.
        if !rt::in_execution() {
            return None;
        }
        let cell = self.object(&site)?;
        // No scheduling point while unwinding: a panic is being reported.
        if !std::thread::panicking() {
            rt::switch();
            // Another thread may have freed the memory the cell is in while this one waited.
            crate::alloc::check_use(std::ptr::from_ref(self).cast::<u8>() as usize, &site);
        }
        let kind = if write {
            EventKind::CellWrite { cell }
        } else {
            EventKind::CellRead { cell }
        };
        rt::emit(kind, site);
        rt::with(|c| (cell, c.generation))
    }
}

impl<T: Default> Default for UnsafeCell<T> {
    #[track_caller]
    fn default() -> Self {
        UnsafeCell::new_at(T::default(), &Site::caller())
    }
}

impl<T> From<T> for UnsafeCell<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        UnsafeCell::new_at(value, &Site::caller())
    }
}

impl<T: ?Sized> fmt::Debug for UnsafeCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsafeCell").finish_non_exhaustive()
    }
}
