//! A race-checked `Cell` (loom's `cell::Cell`).
#![expect(
    unsafe_code,
    reason = "a Cell is an UnsafeCell whose accesses do not overlap"
)]

use std::fmt;

use super::UnsafeCell;

/// std's `Cell`, with every access reported as [`UnsafeCell`]'s are: `get` a read, `set`,
/// `replace`, `take` and `swap` writes. Like std's it is not `Sync`; a type that shares one
/// between threads behind an `unsafe impl Sync` has its promise checked.
///
/// # Examples
///
/// ```
/// use interleave::cell::Cell;
///
/// interleave::Config::random(5).check(|| {
///     let c = Cell::new(1);
///     c.set(c.get() + 1);
///     assert_eq!(c.replace(7), 2);
///     assert_eq!(c.into_inner(), 7);
/// });
/// ```
pub struct Cell<T> {
    cell: UnsafeCell<T>,
}

impl<T> Cell<T> {
    /// A new cell holding `value`.
    #[track_caller]
    pub fn new(value: T) -> Self {
        Cell {
            cell: UnsafeCell::new(value),
        }
    }

    /// Sets the value (a write).
    #[track_caller]
    pub fn set(&self, value: T) {
        drop(self.replace(value));
    }

    /// Swaps the values of two cells (a write of each).
    #[track_caller]
    pub fn swap(&self, other: &Self) {
        if std::ptr::eq(self, other) {
            return;
        }
        self.cell.with_mut(|a| {
            other.cell.with_mut(|b| {
                // SAFETY: two distinct cells; neither access escapes (a `Cell` hands out no
                // references), and this thread is the only one in either (checked).
                unsafe { std::ptr::swap(a, b) }
            });
        });
    }

    /// Replaces the value, returning the old one (a write).
    #[track_caller]
    pub fn replace(&self, value: T) -> T {
        // SAFETY: no reference into the cell exists outside this call.
        self.cell
            .with_mut(|p| unsafe { std::ptr::replace(p, value) })
    }

    /// The value, consuming the cell.
    pub fn into_inner(self) -> T {
        self.cell.into_inner()
    }
}

impl<T: Copy> Cell<T> {
    /// A copy of the value (a read).
    #[track_caller]
    pub fn get(&self) -> T {
        // SAFETY: no reference into the cell exists outside this call.
        self.cell.with(|p| unsafe { *p })
    }
}

impl<T: Default> Cell<T> {
    /// Takes the value, leaving `T::default()` (a write).
    #[track_caller]
    pub fn take(&self) -> T {
        self.replace(T::default())
    }
}

impl<T: Default> Default for Cell<T> {
    #[track_caller]
    fn default() -> Self {
        Cell::new(T::default())
    }
}

impl<T> fmt::Debug for Cell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cell").finish_non_exhaustive()
    }
}
