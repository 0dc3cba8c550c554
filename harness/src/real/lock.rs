//! How a lock is acquired on real threads: the parking_lot lock itself, then the bookkeeping of
//! the online analysis — the thread's held stack, the lock order of a blocking request, a
//! request for a lock the thread holds, and a wait that lasts published for the deadlock
//! watchdog.
//!
//! The uncontended path is a thread-local check, the parking_lot lock and a push on the held
//! stack; a thread holding other locks adds one lookup in its own set of known lock orders.
//! Only an order the thread has never taken before takes the process-wide graph's lock.

use std::time::Duration;

use interleave_detector::ObjectClass;

use super::held::{self, Held};
use super::{deadlock, monitor};

/// How a request may wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// For as long as it takes (`lock`, `read`, `write`).
    Blocking,
    /// Not at all (`try_lock`).
    Try,
    /// At most this long (`try_lock_for`).
    Timed(Duration),
}

/// What a request that waits checks before it waits for long (a lock held inside an execution,
/// say); it panics if the request cannot be served.
pub(crate) trait Contended {
    fn before_waiting(&self);
}

/// Acquires `request` (of a lock of kind `class`) on the calling real thread: `try_now` takes the
/// parking_lot lock if it is free, `wait_for` waits for it for at most a while. `None`: a try or
/// a timed request that did not get it.
///
/// # Panics
///
/// A blocking request that closes a lock-order cycle (mode `panic`), that asks for a lock the
/// thread holds in a conflicting mode, or that deadlocks with other threads: each with the
/// report.
#[inline]
pub(crate) fn acquire<G>(
    request: Held,
    class: ObjectClass,
    wait: Wait,
    contended: &dyn Contended,
    try_now: impl FnOnce() -> Option<G>,
    mut wait_for: impl FnMut(Duration) -> Option<G>,
) -> Option<G> {
    if let Some(guard) = try_now() {
        held::acquired(request, class, wait == Wait::Blocking);
        return Some(guard);
    }
    let guard = match wait {
        Wait::Try => return None,
        Wait::Timed(timeout) => {
            contended.before_waiting();
            wait_for(timeout)?
        }
        Wait::Blocking => {
            if let Some(hold) = held::conflicting_hold(&request) {
                let finding =
                    monitor::self_deadlock(held::thread_id(), &hold.lock(), &request.lock());
                monitor::report_deadlock(finding);
            }
            held::request(&request, class);
            deadlock::wait(&request, contended, wait_for)
        }
    };
    held::push(request);
    Some(guard)
}

/// The calling real thread released the lock `instance`.
#[inline]
pub(crate) fn release(instance: u64) {
    held::release(instance);
}
