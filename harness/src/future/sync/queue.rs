//! The waiter queue under `Mutex`, `RwLock` and `Semaphore`: tokio's batch semaphore. Permits
//! go to waiters strictly first come first served: a release hands them to the longest waiting
//! requests that they cover, the first one they do not cover taking a share of what it asked
//! for (so no permit is free while a request waits), and a new request never overtakes a
//! queued one (FIFO fairness, so a `Mutex` or `RwLock` writer is never starved).

use std::collections::VecDeque;
use std::sync::Mutex as StdMutex;
use std::task::Waker;

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site, ThreadId};

use crate::rt;
use crate::sync::Registration;

#[derive(Debug)]
struct Waiter {
    ticket: u64,
    needed: usize,
    /// Permits already handed to it (the first waiting request's share).
    assigned: usize,
    waker: Waker,
    /// The task that queued, and where.
    thread: ThreadId,
    site: Site,
}

/// Permits that a task holds (a guard or permit of it), or that were handed to a queued
/// request of it (`ticket`) that its future has not taken yet.
#[derive(Debug)]
struct Owned {
    thread: ThreadId,
    permits: usize,
    /// Where it acquired them, or queued for them.
    site: Site,
    ticket: Option<u64>,
}

#[derive(Debug)]
struct QueueState {
    registration: Registration,
    /// The permits it was created with: each execution starts with them.
    initial: usize,
    permits: usize,
    closed: bool,
    waiters: VecDeque<Waiter>,
    /// Permits held by tasks, and those handed to queued requests and not yet taken (with
    /// their ticket): who owns them, for futurelock reports.
    owned: Vec<Owned>,
    next_ticket: u64,
}

impl QueueState {
    /// `thread` holds `permits` more, acquired at `site` (a permit of none holds nothing).
    fn hold(&mut self, thread: ThreadId, permits: usize, site: &Site) {
        if permits > 0 {
            self.owned.push(Owned {
                thread,
                permits,
                site: site.clone(),
                ticket: None,
            });
        }
    }

    /// The record of `holder`'s permit of `permits` permits: one of that count, else any of
    /// its (the records of one task are told apart by their counts only).
    fn held(&self, holder: ThreadId, permits: usize) -> Option<usize> {
        let mine = |o: &Owned| o.ticket.is_none() && o.thread == holder;
        self.owned
            .iter()
            .position(|o| mine(o) && o.permits == permits)
            .or_else(|| self.owned.iter().position(mine))
    }
}

/// What a poll of a request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Acquire {
    /// The permits are the caller's.
    Acquired,
    /// Queued under this ticket.
    Queued(u64),
    /// The queue is closed (`Semaphore::close`).
    Closed,
}

/// A FIFO queue of permit requests, registered as an object of the running execution.
#[derive(Debug)]
pub(crate) struct WaitQueue {
    class: ObjectClass,
    state: StdMutex<QueueState>,
}

impl WaitQueue {
    pub(crate) fn new(class: ObjectClass, permits: usize, name: Option<&str>) -> Self {
        let queue = WaitQueue::const_new(class, permits);
        if let Some(name) = name {
            queue.state().registration = Registration::named(name);
        }
        queue
    }

    /// A queue registered at its first use (in each execution): what `const_new` builds.
    pub(crate) const fn const_new(class: ObjectClass, permits: usize) -> Self {
        WaitQueue {
            class,
            state: StdMutex::new(QueueState {
                registration: Registration::new(),
                initial: permits,
                permits,
                closed: false,
                waiters: VecDeque::new(),
                owned: Vec::new(),
                next_ticket: 0,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Its id in the running execution (registered at `site` on first use).
    pub(crate) fn object(&self, site: &Site) -> ObjectId {
        let mut state = self.state();
        let (object, fresh) = state
            .registration
            .object(self.class, None, site)
            .unwrap_or_else(|| rt::outside_a_check("an async lock or semaphore", Some(site)));
        if fresh {
            // First use in this execution (a `static`, or an object left over from an
            // execution stopped midway): it starts afresh.
            state.waiters.clear();
            state.owned.clear();
            state.permits = state.initial;
            state.closed = false;
        }
        object
    }

    /// Asks for `needed` permits, or (with `ticket`) looks whether a queued request got them;
    /// the current task requests at `site`.
    pub(crate) fn poll_acquire(
        &self,
        needed: usize,
        ticket: Option<u64>,
        waker: &Waker,
        site: &Site,
    ) -> Acquire {
        let mut state = self.state();
        if let Some(ticket) = ticket {
            let granted = state.owned.iter().position(|o| o.ticket == Some(ticket));
            if state.closed {
                // Closed before its future took what it was handed: the request fails and
                // gives back the permits handed to it (all it asked for, or its share), as
                // tokio's does when its failed request is dropped.
                if let Some(i) = granted {
                    let owned = state.owned.swap_remove(i);
                    state.permits += owned.permits;
                }
                if let Some(i) = state.waiters.iter().position(|w| w.ticket == ticket) {
                    let share = state.waiters.remove(i).map_or(0, |w| w.assigned);
                    state.permits += share;
                }
                return Acquire::Closed;
            }
            if let Some(i) = granted {
                // Taken: the task holds them now, acquired here.
                let owned = &mut state.owned[i];
                owned.ticket = None;
                owned.site = site.clone();
                return Acquire::Acquired;
            }
            if let Some(waiter) = state.waiters.iter_mut().find(|w| w.ticket == ticket) {
                waiter.waker.clone_from(waker);
            }
            return Acquire::Queued(ticket);
        }
        if state.closed {
            return Acquire::Closed;
        }
        let thread = rt::current_thread();
        // Nothing is always there, as tokio's (which never looks at the queue: no permit is
        // free while a request waits).
        if needed == 0 || (state.waiters.is_empty() && state.permits >= needed) {
            state.permits -= needed;
            state.hold(thread, needed, site);
            return Acquire::Acquired;
        }
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.waiters.push_back(Waiter {
            ticket,
            needed,
            assigned: 0,
            waker: waker.clone(),
            thread,
            site: site.clone(),
        });
        // First in line: it takes a share of the free permits (too few to cover it).
        let (wakers, _) = Self::assign(&mut state);
        debug_assert!(
            wakers.is_empty(),
            "a request the free permits cover does not queue"
        );
        Acquire::Queued(ticket)
    }

    /// Takes `needed` permits now, for the current task at `site`, if free and nobody waits.
    pub(crate) fn try_acquire(&self, needed: usize, site: &Site) -> Result<(), bool> {
        let mut state = self.state();
        if state.closed {
            return Err(true);
        }
        if needed == 0 || (state.waiters.is_empty() && state.permits >= needed) {
            state.permits -= needed;
            state.hold(rt::current_thread(), needed, site);
            Ok(())
        } else {
            Err(false)
        }
    }

    /// Where a future of the current task holds permits (`false`) or was handed them while
    /// queued (`true`): what a request of the task that waits now waits behind.
    pub(crate) fn held_by_current(&self) -> Option<(Site, bool)> {
        let thread = rt::current_thread();
        let state = self.state();
        let owned = state.owned.iter().find(|o| o.thread == thread)?;
        Some((owned.site.clone(), owned.ticket.is_some()))
    }

    /// Gives back `permits` that `holder` held (a guard or permit dropped), handing them to
    /// the waiters they now cover.
    pub(crate) fn release_held(&self, holder: ThreadId, permits: usize) {
        self.forget_held(holder, permits);
        self.release(permits);
    }

    /// `holder`'s permit of `permits` permits keeps `kept` of them, now the current task's
    /// (taken at `site`), and gives the rest back, handing them to the waiters they cover
    /// (`RwLockWriteGuard::downgrade`).
    pub(crate) fn downgrade_held(
        &self,
        holder: ThreadId,
        permits: usize,
        kept: usize,
        site: &Site,
    ) {
        {
            let mut state = self.state();
            if let Some(i) = state.held(holder, permits) {
                state.owned.remove(i);
            }
            state.hold(rt::current_thread(), kept, site);
        }
        self.release(permits - kept);
    }

    /// `holder` no longer holds its permit of `permits` permits, and nobody does: forgotten
    /// (`SemaphorePermit::forget`), or given back ([`WaitQueue::release_held`]).
    pub(crate) fn forget_held(&self, holder: ThreadId, permits: usize) {
        if permits == 0 {
            return;
        }
        let mut state = self.state();
        if let Some(i) = state.held(holder, permits) {
            state.owned.remove(i);
        }
    }

    /// `holder`'s permit of `permits` permits had `n` of them split off into a permit of
    /// their own, acquired where it was (`SemaphorePermit::split`).
    pub(crate) fn split_held(&self, holder: ThreadId, permits: usize, n: usize) {
        if n == 0 {
            return;
        }
        let mut state = self.state();
        let Some(i) = state.held(holder, permits) else {
            return;
        };
        let owned = &mut state.owned[i];
        if n >= owned.permits {
            // All of them: the record is the new permit's, the old one holds none.
            return;
        }
        owned.permits -= n;
        let site = owned.site.clone();
        state.hold(holder, n, &site);
    }

    /// `from`'s permit of `from_permits` permits merged into `into`'s of `into_permits`
    /// (`SemaphorePermit::merge`): one permit, `into`'s, of both counts.
    pub(crate) fn merge_held(
        &self,
        (into, into_permits): (ThreadId, usize),
        (from, from_permits): (ThreadId, usize),
    ) {
        let mut state = self.state();
        if from_permits == 0 {
            return;
        }
        let Some(j) = state.held(from, from_permits) else {
            return;
        };
        let merged = state.owned.remove(j);
        match state.held(into, into_permits).filter(|_| into_permits > 0) {
            Some(i) => state.owned[i].permits += merged.permits,
            // `into` held none: it holds `from`'s now, acquired where they were.
            None => state.hold(into, merged.permits, &merged.site),
        }
    }

    /// What adding `permits` would leave free: the permits free now, and how many of those
    /// added the waiting requests would not take (`Semaphore::add_permits`'s check, as tokio's).
    pub(crate) fn free_after_adding(&self, permits: usize) -> (usize, usize) {
        let state = self.state();
        // Closed: no request is handed any (as `assign`).
        let wanted = if state.closed {
            0
        } else {
            state
                .waiters
                .iter()
                .fold(0usize, |sum, w| sum.saturating_add(w.needed - w.assigned))
        };
        (state.permits, permits - permits.min(wanted))
    }

    /// Gives `permits` back (or adds them), handing them to the waiters they now cover.
    pub(crate) fn release(&self, permits: usize) {
        let (wakers, futurelocks) = {
            let mut state = self.state();
            state.permits += permits;
            Self::assign(&mut state)
        };
        self.wake(wakers, futurelocks);
    }

    /// Hands the free permits to the waiters they cover, first come first served; the first
    /// one they do not cover takes what is left, as tokio's batch semaphore does. Returns the
    /// wakers of those covered, and the futurelocks this makes: a task whose request was
    /// handed permits while another request of the same task still waits behind them (that
    /// task, where the waiting request is, where the handed one queued).
    fn assign(state: &mut QueueState) -> (Vec<Waker>, Vec<(ThreadId, Site, Site)>) {
        let mut wakers = Vec::new();
        let mut futurelocks = Vec::new();
        // Closed: the waiting requests fail, none is handed permits (tokio's close empties
        // its queue).
        if state.closed {
            return (wakers, futurelocks);
        }
        while let Some(front) = state.waiters.front_mut() {
            let share = state.permits.min(front.needed - front.assigned);
            front.assigned += share;
            state.permits -= share;
            if front.assigned < front.needed {
                break;
            }
            let waiter = state.waiters.pop_front().expect("a front");
            if let Some(behind) = state.waiters.iter().find(|w| w.thread == waiter.thread) {
                futurelocks.push((waiter.thread, behind.site.clone(), waiter.site.clone()));
            }
            state.owned.push(Owned {
                thread: waiter.thread,
                permits: waiter.needed,
                site: waiter.site,
                ticket: Some(waiter.ticket),
            });
            wakers.push(waiter.waker);
        }
        (wakers, futurelocks)
    }

    /// Wakes the waiters handed permits, after telling the detector of the futurelocks made.
    fn wake(&self, wakers: Vec<Waker>, futurelocks: Vec<(ThreadId, Site, Site)>) {
        if !futurelocks.is_empty() && rt::in_execution() {
            let object = self.object(&Site::unknown());
            for (thread, waits_at, held_at) in futurelocks {
                let granted = EventKind::FutureHolds {
                    object,
                    held_at,
                    granted: true,
                };
                emit_as(thread, granted, waits_at);
            }
        }
        for waker in wakers {
            waker.wake();
        }
    }

    /// A queued request was dropped: it leaves the queue, and permits handed to it (all it
    /// asked for, or its share) go back.
    pub(crate) fn cancel(&self, ticket: u64) {
        let (wakers, futurelocks) = {
            let mut state = self.state();
            if let Some(i) = state.waiters.iter().position(|w| w.ticket == ticket) {
                let share = state.waiters.remove(i).map_or(0, |w| w.assigned);
                state.permits += share;
            }
            if let Some(i) = state.owned.iter().position(|o| o.ticket == Some(ticket)) {
                let owned = state.owned.swap_remove(i);
                state.permits += owned.permits;
            }
            Self::assign(&mut state)
        };
        self.wake(wakers, futurelocks);
    }

    /// Closes the queue: requests fail from now on, queued ones included.
    pub(crate) fn close(&self) {
        let wakers: Vec<Waker> = {
            let mut state = self.state();
            state.closed = true;
            state.waiters.iter().map(|w| w.waker.clone()).collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// Removes up to `n` of the free permits for good: how many it removed.
    pub(crate) fn forget(&self, n: usize) -> usize {
        let mut state = self.state();
        let forgotten = n.min(state.permits);
        state.permits -= forgotten;
        forgotten
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state().closed
    }

    pub(crate) fn available(&self) -> usize {
        self.state().permits
    }
}

/// Moves the `Arc` that `field` picks out of `guard`, which is forgotten (its `Drop`, which
/// would release the lock, does not run): an owned guard's lock handed on to the guard that
/// replaces it (`map`, `downgrade`). The guard's other fields must own nothing.
pub(crate) fn take_arc<G, A: ?Sized>(
    guard: G,
    field: impl FnOnce(&G) -> &std::sync::Arc<A>,
) -> std::sync::Arc<A> {
    let guard = std::mem::ManuallyDrop::new(guard);
    #[expect(
        unsafe_code,
        reason = "moving the Arc out of a guard that is never dropped"
    )]
    // SAFETY: `guard` is never dropped nor used again, so the `Arc` moves out exactly once.
    unsafe {
        std::ptr::read(field(&guard))
    }
}

/// Every change of an async primitive's state is a write of its object, for exhaustive
/// exploration (no event says so when nobody waits).
pub(crate) fn touch(object: ObjectId) {
    rt::note_write(rt::Key::object(object));
}

/// A look at an async primitive's state (`is_closed`, `len`, `available_permits`; an atomic
/// read in tokio): a scheduling point, then a read of `keys`, what the steps that change it
/// write, so that another task's step may come just before it and exhaustive exploration
/// orders the two. In an execution only (the caller registers the object first).
pub(crate) fn look(keys: &[rt::Key]) {
    rt::switch();
    for &key in keys {
        rt::note_read(key);
    }
}

/// Emits `kind` as `thread`'s event (a guard dropped by another task than the one that took
/// it releases the lock for its holder).
pub(crate) fn emit_as(
    thread: interleave_detector::ThreadId,
    kind: interleave_detector::EventKind,
    site: Site,
) {
    rt::with(|c| {
        let current = std::mem::replace(&mut c.current, thread);
        c.emit(kind, site);
        c.current = current;
    });
}
