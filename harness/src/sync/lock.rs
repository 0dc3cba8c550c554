//! The lock protocol shared by `Mutex`, `RwLock` and `Condvar`'s reacquisition.
//!
//! Exclusive requests wait for no holder; shared requests wait for no exclusive holder and no
//! queued writer (writer-preferring, as std's futex RwLock on Linux and as the detector's
//! read/write rule assume). Every release wakes every waiter and the strategy decides who gets
//! the lock next, so each possible winner is explored.

use std::sync::Mutex as StdMutex;
use std::time::Duration;

use interleave_detector::{Attempt, EventKind, LockMode, ObjectClass, ObjectId, Site, ThreadId};

use super::object::Registration;
use crate::rt;

#[derive(Debug, Default)]
struct LockState {
    registration: Registration,
    holders: Vec<(ThreadId, LockMode)>,
    /// Threads blocked in a request, woken at every release.
    waiters: Vec<ThreadId>,
    /// Threads waiting for exclusive access: new readers queue behind them.
    queued_writers: Vec<ThreadId>,
    /// Outside an execution: held by the (only) OS thread.
    plain: Option<LockMode>,
    plain_readers: usize,
}

/// The synchronisation part of a lock (the data lives beside it).
#[derive(Debug)]
pub(crate) struct LockCore {
    class: ObjectClass,
    name: Option<String>,
    state: StdMutex<LockState>,
}

impl LockCore {
    /// A new lock, registered with the running execution as created at `site`.
    pub(crate) fn new(class: ObjectClass, site: &Site) -> Self {
        let core = LockCore {
            class,
            name: None,
            state: StdMutex::default(),
        };
        core.object(site);
        core
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LockState> {
        // Nothing panics while holding this internal lock, but stay usable if it ever did.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// This lock's id in the running execution (registering it on first use), or `None`
    /// outside an execution.
    pub(crate) fn object(&self, site: &Site) -> Option<ObjectId> {
        let mut state = self.state();
        let state = &mut *state;
        let fresh = state
            .registration
            .object(self.class, self.name.as_deref(), site)?;
        if fresh.1 {
            state.holders.clear();
            state.waiters.clear();
            state.queued_writers.clear();
        }
        Some(fresh.0)
    }

    fn can_acquire(state: &LockState, me: ThreadId, mode: LockMode) -> bool {
        match mode {
            LockMode::Exclusive => state.holders.is_empty(),
            LockMode::Shared => {
                state.holders.iter().all(|&(_, m)| m == LockMode::Shared)
                    && state.queued_writers.iter().all(|&w| w == me)
            }
        }
    }

    /// Blocks until the lock is held in `mode` (or, for a try, returns `false` if it is not
    /// free). Announces the request before the scheduling point.
    pub(crate) fn acquire(&self, mode: LockMode, attempt: Attempt, site: &Site) -> bool {
        self.acquire_inner(mode, attempt, None, site)
    }

    /// Blocks until the lock is held in `mode` or `timeout` of virtual time has passed
    /// (parking_lot's `try_lock_for`); returns whether it got the lock.
    pub(crate) fn acquire_within(&self, mode: LockMode, timeout: Duration, site: &Site) -> bool {
        self.acquire_inner(mode, Attempt::Timed, Some(timeout), site)
    }

    fn acquire_inner(
        &self,
        mode: LockMode,
        attempt: Attempt,
        timeout: Option<Duration>,
        site: &Site,
    ) -> bool {
        let Some(lock) = self.object(site) else {
            return self.acquire_plain(mode, attempt);
        };
        rt::emit(
            EventKind::LockRequest {
                lock,
                mode,
                attempt,
            },
            site.clone(),
        );
        if let Some(timeout) = timeout {
            rt::arm_timer(timeout, site);
        }
        rt::switch();
        let waits = attempt != Attempt::Try;
        loop {
            let me = rt::current_thread();
            let acquired = {
                let mut state = self.state();
                if Self::can_acquire(&state, me, mode) {
                    state.holders.push((me, mode));
                    state.queued_writers.retain(|&w| w != me);
                    state.waiters.retain(|&w| w != me);
                    true
                } else {
                    if waits {
                        if !state.waiters.contains(&me) {
                            state.waiters.push(me);
                        }
                        if mode == LockMode::Exclusive && !state.queued_writers.contains(&me) {
                            state.queued_writers.push(me);
                        }
                    }
                    false
                }
            };
            if acquired {
                if timeout.is_some() {
                    rt::disarm_timer();
                }
                rt::emit(EventKind::LockAcquired { lock, mode }, site.clone());
                return true;
            }
            if !waits || (timeout.is_some() && rt::take_timeout()) {
                if waits {
                    self.give_up(me);
                }
                rt::emit(EventKind::LockFailed { lock }, site.clone());
                return false;
            }
            rt::block_current(site);
        }
    }

    /// A timed request gave up: it leaves the queues, and readers that queued behind it as a
    /// writer may now get in.
    fn give_up(&self, me: ThreadId) {
        let waiters = {
            let mut state = self.state();
            state.waiters.retain(|&w| w != me);
            let was_writer = state.queued_writers.contains(&me);
            state.queued_writers.retain(|&w| w != me);
            if was_writer {
                std::mem::take(&mut state.waiters)
            } else {
                Vec::new()
            }
        };
        for waiter in waiters {
            rt::unblock(waiter);
        }
    }

    /// Releases the caller's hold and wakes every waiter, then a scheduling point.
    pub(crate) fn release(&self, site: &Site) {
        self.release_quietly(site);
        // No scheduling point outside an execution (there is no engine to switch), nor while
        // unwinding (a panic is being reported).
        if rt::in_execution() && !std::thread::panicking() {
            rt::switch();
        }
    }

    /// Releases the caller's hold and wakes every waiter, with no scheduling point after it
    /// (`Condvar::wait` releases and starts waiting in one step, as std's does).
    pub(crate) fn release_quietly(&self, site: &Site) {
        let waiters = {
            let mut state = self.state();
            if state.registration.current().is_none() {
                drop(state);
                self.release_plain();
                return;
            }
            let me = rt::current_thread();
            if let Some(i) = state.holders.iter().position(|&(h, _)| h == me) {
                state.holders.swap_remove(i);
            }
            std::mem::take(&mut state.waiters)
        };
        let lock = self.object(site);
        if let Some(lock) = lock {
            rt::emit(EventKind::LockReleased { lock }, site.clone());
        }
        for waiter in waiters {
            rt::unblock(waiter);
        }
    }

    /// Outside an execution: a lock for one OS thread, which never waits.
    fn acquire_plain(&self, mode: LockMode, attempt: Attempt) -> bool {
        let mut state = self.state();
        let free = matches!(
            (state.plain, mode),
            (None, _) | (Some(LockMode::Shared), LockMode::Shared)
        );
        if free {
            state.plain = Some(mode);
            if mode == LockMode::Shared {
                state.plain_readers += 1;
            }
            return true;
        }
        if attempt == Attempt::Blocking {
            panic!(
                "interleave: a {} used outside an interleave execution would block forever (it is already locked)",
                self.class.name()
            );
        }
        false
    }

    fn release_plain(&self) {
        let mut state = self.state();
        if state.plain == Some(LockMode::Shared) && state.plain_readers > 1 {
            state.plain_readers -= 1;
        } else {
            state.plain = None;
            state.plain_readers = 0;
        }
    }
}

/// Wraps the std guard of a lock's data (taken once interleave's protocol has granted the lock,
/// so it is never contended) in interleave's guard, poisoned as std's would be.
///
/// The std lock can only still be held by a guard that a stopped execution abandoned (the engine
/// leaks a stopped execution's stacks): a lock shared between executions, kept in a static. That
/// is a clear panic (a finding) rather than waiting forever.
pub(crate) fn data_guard<G, W>(
    data: std::sync::TryLockResult<G>,
    wrap: impl FnOnce(G) -> W,
) -> std::sync::LockResult<W> {
    match data {
        Ok(data) => Ok(wrap(data)),
        Err(std::sync::TryLockError::Poisoned(poison)) => {
            Err(std::sync::PoisonError::new(wrap(poison.into_inner())))
        }
        Err(std::sync::TryLockError::WouldBlock) => panic!(
            "interleave: this lock is still held by an execution that was stopped while holding it (a lock shared between executions, in a static say); create locks inside the scenario"
        ),
    }
}
