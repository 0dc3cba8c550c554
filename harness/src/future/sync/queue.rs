//! The waiter queue under `Mutex`, `RwLock` and `Semaphore`: tokio's batch semaphore. Permits
//! go to waiters strictly first come first served: a release hands them to the longest waiting
//! request that they cover, and a new request never overtakes a queued one (FIFO fairness, so
//! a `Mutex` or `RwLock` writer is never starved).

use std::collections::VecDeque;
use std::sync::Mutex as StdMutex;
use std::task::Waker;

use interleave_detector::{ObjectClass, ObjectId, Site};

use crate::rt;
use crate::sync::Registration;

#[derive(Debug)]
struct Waiter {
    ticket: u64,
    needed: usize,
    waker: Waker,
}

#[derive(Debug)]
struct QueueState {
    registration: Registration,
    /// The permits it was created with: each execution starts with them.
    initial: usize,
    permits: usize,
    closed: bool,
    waiters: VecDeque<Waiter>,
    /// Tickets whose permits were handed over, not yet taken by their future.
    granted: Vec<(u64, usize)>,
    next_ticket: u64,
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
                granted: Vec::new(),
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
            .expect("async primitives are used inside a check");
        if fresh {
            // First use in this execution (a `static`, or an object left over from an
            // execution stopped midway): it starts afresh.
            state.waiters.clear();
            state.granted.clear();
            state.permits = state.initial;
            state.closed = false;
        }
        object
    }

    /// Asks for `needed` permits, or (with `ticket`) looks whether a queued request got them.
    pub(crate) fn poll_acquire(
        &self,
        needed: usize,
        ticket: Option<u64>,
        waker: &Waker,
    ) -> Acquire {
        let mut state = self.state();
        if let Some(ticket) = ticket {
            if let Some(i) = state.granted.iter().position(|&(t, _)| t == ticket) {
                state.granted.swap_remove(i);
                return Acquire::Acquired;
            }
            if state.closed {
                state.waiters.retain(|w| w.ticket != ticket);
                return Acquire::Closed;
            }
            if let Some(waiter) = state.waiters.iter_mut().find(|w| w.ticket == ticket) {
                waiter.waker.clone_from(waker);
            }
            return Acquire::Queued(ticket);
        }
        if state.closed {
            return Acquire::Closed;
        }
        if state.waiters.is_empty() && state.permits >= needed {
            state.permits -= needed;
            return Acquire::Acquired;
        }
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.waiters.push_back(Waiter {
            ticket,
            needed,
            waker: waker.clone(),
        });
        Acquire::Queued(ticket)
    }

    /// Takes `needed` permits now if free and nobody waits.
    pub(crate) fn try_acquire(&self, needed: usize) -> Result<(), bool> {
        let mut state = self.state();
        if state.closed {
            return Err(true);
        }
        if state.waiters.is_empty() && state.permits >= needed {
            state.permits -= needed;
            Ok(())
        } else {
            Err(false)
        }
    }

    /// Gives `permits` back (or adds them), handing them to the waiters they now cover.
    pub(crate) fn release(&self, permits: usize) {
        let wakers = {
            let mut state = self.state();
            state.permits += permits;
            Self::assign(&mut state)
        };
        for waker in wakers {
            waker.wake();
        }
    }

    fn assign(state: &mut QueueState) -> Vec<Waker> {
        let mut wakers = Vec::new();
        while let Some(front) = state.waiters.front() {
            if front.needed > state.permits {
                break;
            }
            let waiter = state.waiters.pop_front().expect("a front");
            state.permits -= waiter.needed;
            state.granted.push((waiter.ticket, waiter.needed));
            wakers.push(waiter.waker);
        }
        wakers
    }

    /// A queued request was dropped: it leaves the queue, and permits handed to it go back.
    pub(crate) fn cancel(&self, ticket: u64) {
        let wakers = {
            let mut state = self.state();
            state.waiters.retain(|w| w.ticket != ticket);
            if let Some(i) = state.granted.iter().position(|&(t, _)| t == ticket) {
                let (_, needed) = state.granted.swap_remove(i);
                state.permits += needed;
            }
            Self::assign(&mut state)
        };
        for waker in wakers {
            waker.wake();
        }
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

    pub(crate) fn is_closed(&self) -> bool {
        self.state().closed
    }

    pub(crate) fn available(&self) -> usize {
        self.state().permits
    }
}

/// Every change of an async primitive's state is a write of its object, for exhaustive
/// exploration (no event says so when nobody waits).
pub(crate) fn touch(object: ObjectId) {
    rt::note_write(rt::Key::object(object));
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
