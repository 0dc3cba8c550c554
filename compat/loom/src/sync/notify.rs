//! loom's `Notify`: park and unpark for one waiter, on interleave's mutex and condvar.

use std::time::Duration;

use interleave::sync::atomic::{AtomicBool, Ordering};
use interleave::sync::{Condvar, Mutex};

/// How long a wait may last before it may return spuriously (virtual time).
const SPURIOUS_AFTER: Duration = Duration::from_millis(1);

#[derive(Debug, Default)]
struct State {
    notified: bool,
    /// The last wait returned spuriously: the next one does not.
    spurious: bool,
}

/// One waiter waits until notified; a notification with no waiter is kept for the next wait.
/// A notification synchronises with the wait it ends (Release/Acquire), as loom's.
///
/// As loom's, a wait may also return without a notification (spuriously), though not twice in
/// a row: it is a timed wait, whose timer the strategy may fire early (an explored decision,
/// [`Config::early_timers`](interleave::Config::early_timers)) or that fires when no other
/// thread can run. So a caller that does not re-check its condition in a loop is caught.
#[derive(Debug)]
pub struct Notify {
    notified: Mutex<State>,
    condvar: Condvar,
    /// Enforces the single waiter, as loom's.
    waiting: AtomicBool,
}

impl Notify {
    /// A new `Notify`, not notified.
    #[track_caller]
    pub fn new() -> Notify {
        Notify {
            notified: Mutex::new(State::default()),
            condvar: Condvar::new(),
            waiting: AtomicBool::new(false),
        }
    }

    /// Notifies the waiter (or the next one to wait).
    #[track_caller]
    pub fn notify(&self) {
        self.notified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .notified = true;
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
        let mut state = self.notified.lock().unwrap_or_else(|e| e.into_inner());
        if !state.notified && !state.spurious {
            let (guard, _) = self
                .condvar
                .wait_timeout(state, SPURIOUS_AFTER)
                .unwrap_or_else(|e| e.into_inner());
            state = guard;
            // Timed out: a spurious return, after which the next wait blocks.
            state.spurious = !state.notified;
        } else {
            while !state.notified {
                state = self.condvar.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        }
        if state.notified {
            state.notified = false;
            state.spurious = false;
        }
        drop(state);
        self.waiting.store(false, Ordering::SeqCst);
    }
}

impl Default for Notify {
    #[track_caller]
    fn default() -> Self {
        Notify::new()
    }
}
