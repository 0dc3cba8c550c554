//! The detector's picture of one execution: threads, objects, who holds and waits for what.

use std::collections::VecDeque;

use crate::clock::VectorClock;
use crate::event::{Attempt, LockMode, ObjectClass, ObjectId, ThreadId};
use crate::race::CellState;
use crate::site::Site;

#[derive(Debug)]
pub(crate) struct ThreadState {
    /// Stable identity (see `identity`).
    pub(crate) stable: u32,
    pub(crate) alive: bool,
    /// Happens-before clock for race detection, indexed by execution-local thread id.
    pub(crate) clock: VectorClock,
    /// Spawn/join-only clock for lock-order suppression, indexed by stable thread id.
    pub(crate) fork_join: VectorClock,
    /// Interned (thread, fork/join clock): the root of this thread's lock contexts; 0 until
    /// first needed (see `Detector::root_context`). Never 0 while the thread holds a lock.
    pub(crate) root_context: u32,
    /// Locks held, in acquisition order.
    pub(crate) held: Vec<Held>,
    /// The blocking operation announced and not completed yet.
    pub(crate) pending: Option<Pending>,
    /// Clock at the last release fence (published by later relaxed stores).
    pub(crate) release_fence: Option<VectorClock>,
    /// Clocks observed by relaxed loads (acquired by a later acquire fence).
    pub(crate) fence_acquirable: VectorClock,
    /// Clocks of `unpark` calls aimed at this thread.
    pub(crate) park_token: VectorClock,
    pub(crate) events: u64,
    pub(crate) last_site: Site,
    pub(crate) last_step: u64,
    /// Virtual time at which the thread blocked (cleared by its next event).
    pub(crate) blocked_since: Option<u64>,
    /// A condvar wait that timed out and has not yet got its mutex back.
    pub(crate) timed_out: Option<TimedOut>,
    /// Deadline blocks the thread is in, innermost last.
    pub(crate) deadlines: Vec<Deadline>,
    /// `max_block` was already reported for this thread's current wait.
    pub(crate) max_block_reported: bool,
    /// The thread's armed timer.
    pub(crate) timer: Option<ArmedTimer>,
    /// A task's wait for an async lock or semaphore that another of its futures holds
    /// (`FutureHolds`), until that wait ends.
    pub(crate) future_hold: Option<FutureHold>,
    /// The wait a woken task was in when it began waiting for a worker of its runtime: its
    /// wait again if the poll the worker allows does not end it.
    pub(crate) before_worker: Option<Pending>,
}

/// What a `FutureHolds` event said: a future of the task holds (or was handed) `object`.
#[derive(Clone, Debug)]
pub(crate) struct FutureHold {
    pub(crate) object: ObjectId,
    pub(crate) held_at: Site,
    pub(crate) granted: bool,
}

/// A timer a thread armed and that has neither fired nor been cancelled.
#[derive(Clone, Debug)]
pub(crate) struct ArmedTimer {
    pub(crate) object: ObjectId,
    pub(crate) deadline_ns: u64,
    pub(crate) armed_ns: u64,
    pub(crate) site: Site,
    pub(crate) step: u64,
}

/// A timed wait that timed out.
#[derive(Clone, Debug)]
pub(crate) struct TimedOut {
    pub(crate) condvar: ObjectId,
    pub(crate) waited_since_ns: u64,
    pub(crate) at_ns: u64,
    pub(crate) site: Site,
}

/// A declared deadline.
#[derive(Clone, Debug)]
pub(crate) struct Deadline {
    /// The deadline as declared.
    pub(crate) declared_ns: u64,
    /// The deadline moved by the scheduling delays (early timer firings) since it was entered.
    pub(crate) deadline_ns: u64,
    pub(crate) entered_ns: u64,
    pub(crate) site: Site,
    pub(crate) step: u64,
    pub(crate) reported: bool,
}

impl ThreadState {
    pub(crate) fn new(stable: u32, clock: VectorClock, fork_join: VectorClock) -> Self {
        ThreadState {
            stable,
            alive: true,
            clock,
            fork_join,
            root_context: 0,
            held: Vec::new(),
            pending: None,
            release_fence: None,
            fence_acquirable: VectorClock::new(),
            park_token: VectorClock::new(),
            events: 0,
            last_site: Site::unknown(),
            last_step: 0,
            blocked_since: None,
            timed_out: None,
            deadlines: Vec::new(),
            max_block_reported: false,
            timer: None,
            future_hold: None,
            before_worker: None,
        }
    }

    /// Makes this state what [`ThreadState::new`] builds for a thread of identity `stable`
    /// with zero clocks, keeping its allocations (a detector reuses the states of one
    /// execution's threads in the next).
    pub(crate) fn reset(&mut self, stable: u32) {
        // Every field named: a field added later must be reset here too.
        let ThreadState {
            stable: own_stable,
            alive,
            clock,
            fork_join,
            root_context,
            held,
            pending,
            release_fence,
            fence_acquirable,
            park_token,
            events,
            last_site,
            last_step,
            blocked_since,
            timed_out,
            deadlines,
            max_block_reported,
            timer,
            future_hold,
            before_worker,
        } = self;
        *own_stable = stable;
        *alive = true;
        clock.clear();
        fork_join.clear();
        *root_context = 0;
        held.clear();
        *pending = None;
        *release_fence = None;
        fence_acquirable.clear();
        park_token.clear();
        *events = 0;
        *last_site = Site::unknown();
        *last_step = 0;
        *blocked_since = None;
        *timed_out = None;
        deadlines.clear();
        *max_block_reported = false;
        *timer = None;
        *future_hold = None;
        *before_worker = None;
    }

    pub(crate) fn holds(&self, lock: ObjectId) -> Option<&Held> {
        self.held.iter().find(|h| h.lock == lock)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Held {
    pub(crate) lock: ObjectId,
    pub(crate) stable: u32,
    pub(crate) mode: LockMode,
    pub(crate) site: Site,
    /// The context after acquiring this lock (the thread's held stack up to here).
    pub(crate) context: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub(crate) op: PendingOp,
    pub(crate) site: Site,
    pub(crate) step: u64,
    /// Virtual time when the wait began.
    pub(crate) since_ns: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PendingOp {
    Lock {
        lock: ObjectId,
        mode: LockMode,
        attempt: Attempt,
    },
    Join {
        child: ThreadId,
    },
    Condvar {
        condvar: ObjectId,
        timed: bool,
    },
    Recv {
        channel: ObjectId,
        bounded: bool,
    },
    Send {
        channel: ObjectId,
    },
    Barrier {
        barrier: ObjectId,
    },
    Once {
        once: ObjectId,
    },
    Park {
        timed: bool,
    },
    /// A task's future waits on a semaphore, notify or runtime.
    Async {
        object: ObjectId,
    },
    /// A task whose future can never be woken.
    LostWaker,
}

#[derive(Debug)]
pub(crate) struct ObjectState {
    pub(crate) stable: u32,
    pub(crate) class: ObjectClass,
    /// Release clock: what an acquirer of this object learns.
    pub(crate) sync: VectorClock,
    /// For an RwLock: what its readers published at release. Only a writer learns it: readers
    /// do not order each other.
    pub(crate) read_sync: VectorClock,
    /// Current holders of a lock.
    pub(crate) holders: Vec<(ThreadId, LockMode)>,
    /// An atomic's latest stores, oldest first: each one's place in the modification order
    /// and what an acquiring load of it learns (at most [`ATOMIC_HISTORY`](crate::ATOMIC_HISTORY)).
    pub(crate) stores: VecDeque<(u64, VectorClock)>,
    /// Per-message clocks of a channel, oldest first.
    pub(crate) messages: VecDeque<VectorClock>,
    /// Arrival clocks of a barrier per generation.
    pub(crate) generations: Vec<(u64, VectorClock)>,
    /// A condvar notification that found no waiter.
    pub(crate) unheard_notify: Option<Site>,
    /// The last notification of a condvar that woke a waiter: where, at which step, and the
    /// thread it woke (stable id).
    pub(crate) last_woke: Option<(Site, u64, u32)>,
    /// The site and step of the last notification of a condvar.
    pub(crate) last_notify: Option<(Site, u64)>,
    /// The thread running a `Once`'s initialiser.
    pub(crate) runner: Option<ThreadId>,
    pub(crate) cell: Option<Box<CellState>>,
}

impl ObjectState {
    pub(crate) fn new(stable: u32, class: ObjectClass) -> Self {
        ObjectState {
            stable,
            class,
            sync: VectorClock::new(),
            read_sync: VectorClock::new(),
            holders: Vec::new(),
            stores: VecDeque::new(),
            messages: VecDeque::new(),
            generations: Vec::new(),
            unheard_notify: None,
            last_woke: None,
            last_notify: None,
            runner: None,
            cell: None,
        }
    }

    /// Makes this state what [`ObjectState::new`] builds, keeping its allocations (a detector
    /// reuses the states of one execution's objects in the next).
    pub(crate) fn reset(&mut self, stable: u32, class: ObjectClass) {
        // Every field named: a field added later must be reset here too.
        let ObjectState {
            stable: own_stable,
            class: own_class,
            sync,
            read_sync,
            holders,
            stores,
            messages,
            generations,
            unheard_notify,
            last_woke,
            last_notify,
            runner,
            cell,
        } = self;
        *own_stable = stable;
        *own_class = class;
        sync.clear();
        read_sync.clear();
        holders.clear();
        stores.clear();
        messages.clear();
        generations.clear();
        *unheard_notify = None;
        *last_woke = None;
        *last_notify = None;
        *runner = None;
        *cell = None;
    }
}
