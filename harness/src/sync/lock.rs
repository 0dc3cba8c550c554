//! The lock protocol shared by `Mutex`, `RwLock` and `Condvar`'s reacquisition.
//!
//! Exclusive requests wait for no holder; shared requests wait for no exclusive holder and no
//! queued writer (writer-preferring, as std's futex RwLock on Linux and as the detector's
//! read/write rule assume). Every release wakes every waiter and the strategy decides who gets
//! the lock next, so each possible winner is explored.
//!
//! Outside an execution the lock is the parking_lot lock that holds the data, on real threads
//! (`crate::real`); this core then only names the lock's class for the online analysis and
//! tells a thread outside the execution that an execution holds the lock.

use std::panic::Location;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex as StdMutex;
use std::time::Duration;

use interleave_detector::{Attempt, EventKind, LockMode, ObjectClass, ObjectId, Site, ThreadId};

use super::object::Registration;
use crate::{real, rt};

#[derive(Debug, Default)]
struct LockState {
    registration: Registration,
    /// Inline: a lock is made anew in every execution, and most have one holder at a time.
    holders: smallvec::SmallVec<[(ThreadId, LockMode); 2]>,
    /// Threads blocked in a request, woken at every release.
    waiters: Vec<ThreadId>,
    /// Threads waiting for exclusive access: new readers queue behind them.
    queued_writers: Vec<ThreadId>,
    /// An execution was stopped while holding the lock: its guard is never dropped.
    abandoned: bool,
}

/// The synchronisation part of a lock (the data lives beside it).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct LockCore {
    /// Its class on real threads, plus one, once known (0: not yet). First: far from the data
    /// lock that follows the core (see `Mutex`).
    real_class: AtomicU32,
    class: ObjectClass,
    name: Option<String>,
    state: StdMutex<LockState>,
    /// Where it was created: its class on real threads.
    created: Site,
}

impl LockCore {
    /// A new lock, registered with the running execution as created at `site`.
    pub(crate) fn new(class: ObjectClass, site: &Site) -> Self {
        LockCore::new_named(class, site, None)
    }

    /// A new lock the user named (`Mutex::named`): reports show the name.
    pub(crate) fn new_named(class: ObjectClass, site: &Site, name: Option<String>) -> Self {
        let core = LockCore {
            class,
            name,
            state: StdMutex::default(),
            created: site.clone(),
            real_class: AtomicU32::new(0),
        };
        if rt::in_execution() {
            core.object(site);
        } else {
            core.real_class(); // the creating thread names the class, cheaply, now
        }
        core
    }

    /// Its class for the online analysis.
    #[inline]
    fn real_class(&self) -> u32 {
        match self.real_class.load(Ordering::Relaxed) {
            0 => {
                let class = real::lock_class(self.class, &self.created, self.name.as_deref());
                self.real_class.store(class + 1, Ordering::Relaxed);
                class
            }
            known => known - 1,
        }
    }

    /// The lock object's identity for the online analysis: its address (it cannot move or go
    /// while held).
    #[inline]
    pub(crate) fn instance(&self) -> u64 {
        std::ptr::from_ref(self) as usize as u64
    }

    /// Acquires the lock on a real thread (outside an execution): `try_now` and `wait_for` take
    /// the parking_lot lock (see `real::acquire`).
    #[inline]
    pub(crate) fn acquire_real<G>(
        &self,
        mode: LockMode,
        wait: real::Wait,
        location: &'static Location<'static>,
        try_now: impl FnOnce() -> Option<G>,
        wait_for: impl FnMut(Duration) -> Option<G>,
    ) -> Option<G> {
        let request = real::Held {
            class: self.real_class(),
            mode,
            instance: self.instance(),
            location,
        };
        real::acquire(request, self.class, wait, self, try_now, wait_for)
    }

    /// A real thread released the lock (its parking_lot guard is gone).
    #[inline]
    pub(crate) fn release_real(&self) {
        real::release(self.instance());
    }

    /// The data lock is taken, though interleave's protocol granted the lock: by a thread
    /// outside the execution, or by an execution stopped while holding it.
    pub(crate) fn held_outside(&self) -> ! {
        let abandoned = self.state().abandoned;
        if abandoned {
            panic!(
                "interleave: this lock is still held by an execution that was stopped while holding it (a lock shared between executions, in a static say); create locks inside the scenario"
            );
        }
        panic!(
            "interleave: the {} created at {} is held by a thread outside this execution (an ordinary thread or test using the same object); an object cannot be shared between a check and real threads: create it inside the scenario",
            self.class.name(),
            self.created
        );
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
            state.abandoned |= !state.holders.is_empty();
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
        let lock = self
            .object(site)
            .expect("locks are acquired through `acquire_real` outside an execution");
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
        // Another thread may have freed the memory the lock is in while this one waited.
        crate::alloc::check_use(std::ptr::from_ref(self) as usize, site);
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
                rt::with(|c| {
                    c.emit(EventKind::LockAcquired { lock, mode }, site.clone());
                    c.thread_mut(me).sync_held.push(lock);
                });
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
    #[inline]
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
        let (lock, waiters) = {
            let mut state = self.state();
            let Some(lock) = state.registration.current() else {
                // A guard of a stopped execution, dropped in its teardown: nothing to tell.
                return;
            };
            let me = rt::current_thread();
            if let Some(i) = state.holders.iter().position(|&(h, _)| h == me) {
                state.holders.swap_remove(i);
            }
            let waiters = std::mem::take(&mut state.waiters);
            // Registered in this execution (see above): the checks of every look-up (what
            // `object` does, without taking the state again nor looking the id up twice).
            state.registration.checked_use(lock, site);
            (lock, waiters)
        };
        rt::with(|c| {
            c.emit(EventKind::LockReleased { lock }, site.clone());
            let held = &mut c.thread_mut(c.current).sync_held;
            if let Some(i) = held.iter().rposition(|&l| l == lock) {
                // Nearly always the latest lock taken: popped, with no shift (a call of its
                // own).
                if i + 1 == held.len() {
                    held.pop();
                } else {
                    held.remove(i);
                }
            }
        });
        for waiter in waiters {
            rt::unblock(waiter);
        }
    }
}

impl real::Contended for LockCore {
    /// A real thread waits for this lock: fine unless an execution holds it (it would never let
    /// go while this thread waits, or not at all if it was stopped).
    fn before_waiting(&self) {
        let state = self.state();
        if !state.holders.is_empty() || state.abandoned {
            drop(state);
            panic!(
                "interleave: the {} created at {} is held inside an interleave execution, and a thread outside any execution waits for it; an object cannot be shared between a check and real threads: create it inside the scenario",
                self.class.name(),
                self.created
            );
        }
    }
}
