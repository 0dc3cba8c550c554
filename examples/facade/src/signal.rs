//! A one-shot signal — with a seeded bug, kept for the example: `set` notifies without holding
//! the lock the waiters check the flag under, so a waiter that has just found the flag unset can
//! miss the notification and wait forever. Real threads almost never hit the window; a check
//! finds it in a few executions.

use crate::sync::{AtomicBool, Condvar, Mutex, Ordering};

/// Lets threads wait until some thread calls [`set`](Signal::set).
#[derive(Debug)]
pub struct Signal {
    set: AtomicBool,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl Default for Signal {
    fn default() -> Self {
        Signal::new()
    }
}

impl Signal {
    /// An unset signal.
    pub fn new() -> Self {
        Signal {
            set: AtomicBool::new(false),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Sets the signal and wakes every waiter.
    pub fn set(&self) {
        self.set.store(true, Ordering::Release);
        // BUG: without the lock, this can fall between a waiter's check and its wait.
        self.condvar.notify_all();
    }

    /// Waits until the signal is set.
    pub fn wait(&self) {
        let mut guard = self.lock.lock().unwrap();
        while !self.set.load(Ordering::Acquire) {
            guard = self.condvar.wait(guard).unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interleave::sync::Arc;
    use interleave::thread;

    #[test]
    fn a_set_signal_lets_waiters_through() {
        let signal = Arc::new(Signal::new());
        signal.set();
        let s2 = Arc::clone(&signal);
        thread::spawn(move || s2.wait()).join().unwrap();
        signal.wait();
    }

    #[test]
    fn a_check_finds_the_missed_notification() {
        let report = interleave::Config::pct(1_000, 3)
            .write_artifact(false)
            .explore(|| {
                let signal = Arc::new(Signal::new());
                let s2 = Arc::clone(&signal);
                let setter = thread::spawn(move || s2.set());
                signal.wait();
                setter.join().unwrap();
            });
        assert_eq!(report.findings.len(), 1, "{report}");
        assert_eq!(report.findings[0].kind(), interleave::Kind::Deadlock);
    }
}
