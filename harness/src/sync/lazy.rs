//! `LazyLock`: std's API on interleave's [`OnceLock`], so that the first use is explored like
//! any `Once`: which thread initialises, and who waits for it.

use std::fmt;
use std::ops::Deref;
use std::sync::Mutex as StdMutex;

use super::OnceLock;

/// A value initialised on first access, by `f`: std's `LazyLock`, explored and checked.
///
/// Unlike std's, [`new`](LazyLock::new) is not `const` (the cell registers with the execution
/// it is made in, as every interleave object does), so a `static` keeps std's `LazyLock`; this
/// one is for values made inside the scenario.
///
/// # Examples
///
/// ```
/// use interleave::sync::{Arc, LazyLock};
///
/// interleave::check(|| {
///     let config = Arc::new(LazyLock::new(|| vec![1, 2, 3]));
///     let c = Arc::clone(&config);
///     let t = interleave::thread::spawn(move || c.len());
///     assert_eq!(config[0], 1);
///     assert_eq!(t.join().unwrap(), 3);
/// });
/// ```
pub struct LazyLock<T, F = fn() -> T> {
    cell: OnceLock<T>,
    init: StdMutex<Option<F>>,
}

impl<T, F: FnOnce() -> T> LazyLock<T, F> {
    /// A lazy value initialised by `f` at its first access (created at the caller's site).
    #[track_caller]
    pub fn new(f: F) -> Self {
        LazyLock {
            cell: OnceLock::new(),
            init: StdMutex::new(Some(f)),
        }
    }

    /// [`new`](LazyLock::new), with a name reports show rather than where it was created.
    #[track_caller]
    pub fn named(name: &str, f: F) -> Self {
        LazyLock {
            cell: OnceLock::named(name),
            init: StdMutex::new(Some(f)),
        }
    }

    /// The value, initialising it first if need be.
    ///
    /// # Panics
    ///
    /// If the initialiser panicked in an earlier access.
    #[track_caller]
    pub fn force(this: &LazyLock<T, F>) -> &T {
        this.cell.get_or_init(|| {
            let f = this
                .init
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            match f {
                Some(f) => f(),
                None => panic!("LazyLock instance has previously been poisoned"),
            }
        })
    }
}

impl<T, F: FnOnce() -> T> Deref for LazyLock<T, F> {
    type Target = T;

    #[track_caller]
    fn deref(&self) -> &T {
        LazyLock::force(self)
    }
}

impl<T: fmt::Debug, F> fmt::Debug for LazyLock<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("LazyLock");
        match self.cell.get() {
            Some(value) => d.field(value),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}
