//! Poisoning, as std's locks do it: a guard dropped while its thread panics (and that was not
//! taken while panicking already) marks the lock poisoned, and every later acquisition says so.
//!
//! The data of interleave's locks sits in a parking_lot lock, which has no poisoning: this flag
//! beside it gives std's behaviour back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LockResult, PoisonError};

/// A lock's poison flag.
#[derive(Debug, Default)]
pub(crate) struct Poison {
    failed: AtomicBool,
}

/// What a guard remembers: whether its thread was already panicking when it took the lock.
#[derive(Debug)]
pub(crate) struct PoisonGuard {
    panicking: bool,
}

impl Poison {
    /// Starts a guard's watch. (This and the other one-liners are inlined: every lock and
    /// release of every lock passes through them.)
    #[inline]
    pub(crate) fn guard(&self) -> PoisonGuard {
        PoisonGuard {
            panicking: std::thread::panicking(),
        }
    }

    /// A guard is released: poisons the lock if its thread started panicking meanwhile.
    #[inline]
    pub(crate) fn done(&self, guard: &PoisonGuard) {
        if !guard.panicking && std::thread::panicking() {
            self.failed.store(true, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(crate) fn get(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    pub(crate) fn clear(&self) {
        self.failed.store(false, Ordering::Relaxed);
    }

    /// `value`, as an error if the lock is poisoned.
    #[inline]
    pub(crate) fn result<T>(&self, value: T) -> LockResult<T> {
        if self.get() {
            Err(PoisonError::new(value))
        } else {
            Ok(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guard_released_while_panicking_poisons_and_clear_unpoisons() {
        let poison = Poison::default();
        let guard = poison.guard();
        poison.done(&guard);
        assert!(poison.result(()).is_ok());
        let unwound = std::panic::catch_unwind(|| {
            struct Release<'a>(&'a Poison, PoisonGuard);
            impl Drop for Release<'_> {
                fn drop(&mut self) {
                    self.0.done(&self.1);
                }
            }
            let _release = Release(&poison, poison.guard());
            panic!("while holding");
        });
        assert!(unwound.is_err());
        assert!(poison.get());
        assert_eq!(*poison.result(7).unwrap_err().get_ref(), 7);
        poison.clear();
        assert!(!poison.get());
    }
}
