//! Pointers into an [`UnsafeCell`](super::UnsafeCell) whose access lasts as long as they do
//! (loom's `ConstPtr` and `MutPtr`).
#![expect(unsafe_code, reason = "the pointers dereference as raw pointers do")]

use std::fmt;

use interleave_detector::{EventKind, ObjectId, Site};

use crate::rt;

/// The end of an access: the same access reported again when the pointer is dropped, if it is
/// still in the execution that began it.
#[derive(Debug)]
struct Span {
    cell: Option<(ObjectId, u64)>,
    site: Site,
}

impl Span {
    fn end(&self, write: bool) {
        let Some((cell, generation)) = self.cell else {
            return;
        };
        if !rt::in_execution() || std::thread::panicking() {
            return;
        }
        rt::with(|c| {
            if c.generation == generation {
                let kind = if write {
                    EventKind::CellWrite { cell }
                } else {
                    EventKind::CellRead { cell }
                };
                c.emit(kind, self.site.clone());
            }
        });
    }
}

/// A read of an [`UnsafeCell`](super::UnsafeCell) that lasts until this pointer is dropped
/// (from [`UnsafeCell::ptr`](super::UnsafeCell::ptr)).
pub struct ConstPtr<T: ?Sized> {
    ptr: *const T,
    span: Span,
}

impl<T: ?Sized> ConstPtr<T> {
    pub(super) fn new(ptr: *const T, cell: Option<(ObjectId, u64)>, site: Site) -> Self {
        ConstPtr {
            ptr,
            span: Span { cell, site },
        }
    }

    /// The value, as dereferencing a `*const T` gives it.
    ///
    /// # Safety
    ///
    /// As dereferencing a `*const T`: the cell is alive and nothing writes it meanwhile.
    pub unsafe fn deref(&self) -> &T {
        // SAFETY: the caller's promise.
        unsafe { &*self.ptr }
    }

    /// Runs `f` with the raw pointer (which must not be written through).
    pub fn with<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*const T) -> R,
    {
        f(self.ptr)
    }
}

impl<T: ?Sized> Drop for ConstPtr<T> {
    fn drop(&mut self) {
        self.span.end(false);
    }
}

impl<T: ?Sized> fmt::Debug for ConstPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConstPtr").finish_non_exhaustive()
    }
}

/// A write of an [`UnsafeCell`](super::UnsafeCell) that lasts until this pointer is dropped
/// (from [`UnsafeCell::ptr_mut`](super::UnsafeCell::ptr_mut)).
pub struct MutPtr<T: ?Sized> {
    ptr: *mut T,
    span: Span,
}

impl<T: ?Sized> MutPtr<T> {
    pub(super) fn new(ptr: *mut T, cell: Option<(ObjectId, u64)>, site: Site) -> Self {
        MutPtr {
            ptr,
            span: Span { cell, site },
        }
    }

    /// The value, as dereferencing a `*mut T` gives it.
    ///
    /// # Safety
    ///
    /// As dereferencing a `*mut T`: the cell is alive and nothing else accesses it meanwhile.
    #[expect(clippy::mut_from_ref, reason = "it stands for a raw pointer")]
    pub unsafe fn deref(&self) -> &mut T {
        // SAFETY: the caller's promise.
        unsafe { &mut *self.ptr }
    }

    /// Runs `f` with the raw pointer.
    pub fn with<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*mut T) -> R,
    {
        f(self.ptr)
    }
}

impl<T: ?Sized> Drop for MutPtr<T> {
    fn drop(&mut self) {
        self.span.end(true);
    }
}

impl<T: ?Sized> fmt::Debug for MutPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutPtr").finish_non_exhaustive()
    }
}
