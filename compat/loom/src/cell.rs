//! loom's `cell`: race-checked cells.

use std::fmt;

pub use interleave::cell::{Cell, ConstPtr, MutPtr};

/// loom's `UnsafeCell`: interleave's race-checked cell with loom's method names. [`with`]
/// and [`with_mut`] are one access each; [`get`] and [`get_mut`] return pointers whose access
/// lasts until they are dropped.
///
/// [`with`]: UnsafeCell::with
/// [`with_mut`]: UnsafeCell::with_mut
/// [`get`]: UnsafeCell::get
/// [`get_mut`]: UnsafeCell::get_mut
pub struct UnsafeCell<T: ?Sized>(interleave::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    /// A new cell holding `data`.
    #[track_caller]
    pub fn new(data: T) -> UnsafeCell<T> {
        UnsafeCell(interleave::cell::UnsafeCell::new(data))
    }

    /// The value, consuming the cell.
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// A read: `f` with a pointer to the value.
    #[track_caller]
    pub fn with<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*const T) -> R,
    {
        self.0.with(f)
    }

    /// A write: `f` with a mutable pointer to the value.
    #[track_caller]
    pub fn with_mut<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*mut T) -> R,
    {
        self.0.with_mut(f)
    }

    /// A read that lasts as long as the returned pointer.
    #[track_caller]
    pub fn get(&self) -> ConstPtr<T> {
        self.0.ptr()
    }

    /// A write that lasts as long as the returned pointer.
    #[track_caller]
    pub fn get_mut(&self) -> MutPtr<T> {
        self.0.ptr_mut()
    }
}

impl<T: Default> Default for UnsafeCell<T> {
    #[track_caller]
    fn default() -> UnsafeCell<T> {
        UnsafeCell::new(T::default())
    }
}

impl<T> From<T> for UnsafeCell<T> {
    #[track_caller]
    fn from(src: T) -> UnsafeCell<T> {
        UnsafeCell::new(src)
    }
}

impl<T: ?Sized> fmt::Debug for UnsafeCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
