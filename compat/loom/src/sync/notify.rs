//! loom's `Notify`: park and unpark for one waiter, on interleave's mutex and condvar.

use interleave::sync::atomic::{AtomicBool, Ordering};
use interleave::sync::{Condvar, Mutex};

/// One waiter waits until notified; a notification with no waiter is kept for the next wait.
/// A notification synchronises with the wait it ends (Release/Acquire), as loom's.
///
/// Unlike loom's, a wait never wakes spuriously.
#[derive(Debug)]
pub struct Notify {
    notified: Mutex<bool>,
    condvar: Condvar,
    /// Enforces the single waiter, as loom's.
    waiting: AtomicBool,
}

impl Notify {
    /// A new `Notify`, not notified.
    #[track_caller]
    pub fn new() -> Notify {
        Notify {
            notified: Mutex::new(false),
            condvar: Condvar::new(),
            waiting: AtomicBool::new(false),
        }
    }

    /// Notifies the waiter (or the next one to wait).
    #[track_caller]
    pub fn notify(&self) {
        *self.notified.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.condvar.notify_one();
    }

    /// Waits for a notification, and consumes it.
    ///
    /// # Panics
    ///
    /// If another thread is waiting on it already, as loom's.
    #[track_caller]
    pub fn wait(&self) {
        self.waiting
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .expect("only a single thread may wait on `Notify`");
        let mut notified = self.notified.lock().unwrap_or_else(|e| e.into_inner());
        while !*notified {
            notified = self
                .condvar
                .wait(notified)
                .unwrap_or_else(|e| e.into_inner());
        }
        *notified = false;
        drop(notified);
        self.waiting.store(false, Ordering::SeqCst);
    }
}

impl Default for Notify {
    #[track_caller]
    fn default() -> Self {
        Notify::new()
    }
}
