//! The event vocabulary: what an instrumented primitive tells the detector.

use serde::{Deserialize, Serialize};

use crate::site::Site;

/// An execution-local thread (or async task) id: `0` is the scenario's main thread, then one
/// per spawn, in spawn order.
///
/// It is only meaningful inside one execution; the detector maps it to a stable identity (the
/// spawn path) to compare threads across executions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ThreadId(pub u32);

impl ThreadId {
    /// The scenario's main thread.
    pub const MAIN: ThreadId = ThreadId(0);

    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// An execution-local object id (a lock, condvar, channel, cell, …), announced by
/// [`EventKind::Create`]. The detector maps it to a stable identity: creation site, creating
/// thread and the ordinal of that creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectId(pub u32);

impl ObjectId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// What kind of object an [`ObjectId`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectClass {
    /// `sync::Mutex`.
    Mutex,
    /// `sync::RwLock`.
    RwLock,
    /// `sync::Condvar`.
    Condvar,
    /// `sync::mpsc` channel (both ends are one object).
    Channel,
    /// `sync::Barrier`.
    Barrier,
    /// `sync::Once` / `OnceLock`.
    Once,
    /// An atomic variable.
    Atomic,
    /// `cell::UnsafeCell`, race-checked.
    Cell,
    /// A virtual-time timer.
    Timer,
    /// An async `Semaphore` (`future::sync`).
    Semaphore,
    /// An async `Notify` (`future::sync`).
    Notify,
    /// An async runtime: its workers (`future::block_on`, `future::Runtime`).
    Runtime,
}

impl ObjectClass {
    /// The lowercase name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            ObjectClass::Mutex => "mutex",
            ObjectClass::RwLock => "rwlock",
            ObjectClass::Condvar => "condvar",
            ObjectClass::Channel => "channel",
            ObjectClass::Barrier => "barrier",
            ObjectClass::Once => "once",
            ObjectClass::Atomic => "atomic",
            ObjectClass::Cell => "cell",
            ObjectClass::Timer => "timer",
            ObjectClass::Semaphore => "semaphore",
            ObjectClass::Notify => "notify",
            ObjectClass::Runtime => "runtime",
        }
    }
}

/// How a lock is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockMode {
    /// `Mutex::lock`, `RwLock::write`.
    Exclusive,
    /// `RwLock::read`.
    Shared,
}

impl LockMode {
    /// Whether a holder in `self` mode blocks a request in `other` mode.
    pub fn conflicts_with(self, other: LockMode) -> bool {
        self == LockMode::Exclusive || other == LockMode::Exclusive
    }
}

/// Whether a lock request can block, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attempt {
    /// Waits until the lock is free (`lock`, `read`, `write`).
    Blocking,
    /// Never waits (`try_lock`, `try_read`, `try_write`).
    Try,
    /// Waits until a deadline (`try_lock_for`).
    Timed,
}

/// A memory ordering, as `std::sync::atomic::Ordering`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryOrdering {
    /// `Ordering::Relaxed`: synchronises nothing.
    Relaxed,
    /// `Ordering::Release`.
    Release,
    /// `Ordering::Acquire`.
    Acquire,
    /// `Ordering::AcqRel`.
    AcqRel,
    /// `Ordering::SeqCst`.
    SeqCst,
}

impl MemoryOrdering {
    /// Whether a store (or the store half of a read-modify-write) with this ordering releases.
    pub fn releases(self) -> bool {
        matches!(
            self,
            MemoryOrdering::Release | MemoryOrdering::AcqRel | MemoryOrdering::SeqCst
        )
    }

    /// Whether a load (or the load half of a read-modify-write) with this ordering acquires.
    pub fn acquires(self) -> bool {
        matches!(
            self,
            MemoryOrdering::Acquire | MemoryOrdering::AcqRel | MemoryOrdering::SeqCst
        )
    }
}

/// The operation on an atomic variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AtomicOp {
    /// `load`.
    Load,
    /// `store`.
    Store,
    /// A read-modify-write: `swap`, `fetch_*`, a successful `compare_exchange`.
    Rmw,
}

/// One thing a thread did, or is about to do.
///
/// Blocking operations come in pairs: the *request* is announced before the engine's
/// scheduling point (so the detector sees a lock-order cycle before anyone blocks), the
/// *completion* after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Execution-local step number (monotonic within one execution).
    pub step: u64,
    /// The thread that did it.
    pub thread: ThreadId,
    /// The user's source location (`#[track_caller]`).
    pub site: Site,
    /// What happened.
    pub kind: EventKind,
}

/// What an [`Event`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    // --- threads ---
    /// The thread spawned `child` (the next unused thread id).
    Spawn {
        /// The new thread.
        child: ThreadId,
        /// Its name, if the scenario gave one (`thread::Builder::name`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// The thread finished (returned or unwound).
    Exit,
    /// The thread is about to wait for `child` to finish.
    JoinRequest {
        /// The thread joined.
        child: ThreadId,
    },
    /// The thread stopped waiting for `child` without joining it: a task dropped the
    /// `JoinHandle` it was awaiting (a `select!` or `timeout` gave up on it).
    JoinCancel {
        /// The thread it waited for.
        child: ThreadId,
    },
    /// The join returned.
    Joined {
        /// The thread joined.
        child: ThreadId,
    },
    /// `thread::park` is about to wait.
    Park {
        /// Whether it is `park_timeout` (which a timer can end).
        #[serde(default)]
        timed: bool,
    },
    /// `thread::park` returned.
    Unparked,
    /// `Thread::unpark` on `target`.
    Unpark {
        /// The thread unparked.
        target: ThreadId,
    },

    // --- objects ---
    /// A synchronisation object or tracked cell was created.
    Create {
        /// Its execution-local id.
        object: ObjectId,
        /// What it is.
        class: ObjectClass,
        /// A name the user gave it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },

    // --- locks ---
    /// The thread asks for a lock (announced before it may block).
    LockRequest {
        /// The lock.
        lock: ObjectId,
        /// Exclusive or shared.
        mode: LockMode,
        /// Blocking, try or timed.
        attempt: Attempt,
    },
    /// The request succeeded: the thread holds the lock.
    LockAcquired {
        /// The lock.
        lock: ObjectId,
        /// Exclusive or shared.
        mode: LockMode,
    },
    /// A try or timed request gave up without the lock.
    LockFailed {
        /// The lock.
        lock: ObjectId,
    },
    /// The thread released the lock (a guard dropped, or a condvar wait released it).
    LockReleased {
        /// The lock.
        lock: ObjectId,
    },

    // --- condition variables ---
    /// The thread waits on `condvar`; it released `lock` just before (a `LockReleased` event).
    CondvarWait {
        /// The condvar.
        condvar: ObjectId,
        /// The mutex the wait released and will reacquire.
        lock: ObjectId,
        /// Whether the wait has a timeout.
        timed: bool,
    },
    /// The wait ended (the thread will now reacquire its mutex).
    CondvarWoken {
        /// The condvar.
        condvar: ObjectId,
        /// Whether it ended by timing out rather than by a notification.
        timed_out: bool,
    },
    /// `notify_one` / `notify_all`.
    CondvarNotify {
        /// The condvar.
        condvar: ObjectId,
        /// `notify_all`.
        all: bool,
    },

    // --- channels ---
    /// A send is about to happen (it may block on a full or rendezvous channel).
    SendRequest {
        /// The channel.
        channel: ObjectId,
    },
    /// The send completed (`ok == false`: the receiver was gone).
    Sent {
        /// The channel.
        channel: ObjectId,
        /// Whether the message was delivered into the channel.
        ok: bool,
    },
    /// A receive is about to happen (it may block on an empty channel).
    RecvRequest {
        /// The channel.
        channel: ObjectId,
        /// Whether it is `try_recv`/`recv_timeout` (cannot block forever).
        bounded: bool,
    },
    /// The receive completed (`ok == false`: empty, disconnected or timed out).
    Received {
        /// The channel.
        channel: ObjectId,
        /// Whether a message was received.
        ok: bool,
    },

    // --- barriers and once ---
    /// The thread arrived at a barrier (it will wait for the others).
    BarrierWait {
        /// The barrier.
        barrier: ObjectId,
        /// Which use of the barrier (0 for the first time it fills up, then 1, …).
        generation: u64,
    },
    /// The barrier released this thread.
    BarrierLeave {
        /// The barrier.
        barrier: ObjectId,
        /// The generation it left.
        generation: u64,
    },
    /// The thread starts running a `Once` initialiser.
    OnceBegin {
        /// The once.
        once: ObjectId,
    },
    /// The thread waits for another thread's running initialiser (announced before it blocks).
    OnceWait {
        /// The once.
        once: ObjectId,
    },
    /// A `Once` initialiser finished.
    OnceComplete {
        /// The once.
        once: ObjectId,
    },
    /// A `Once` was found already complete (after waiting for it, or straight away).
    OnceObserved {
        /// The once.
        once: ObjectId,
    },

    // --- atomics and cells ---
    /// An atomic operation.
    Atomic {
        /// The atomic variable.
        object: ObjectId,
        /// Load, store or read-modify-write.
        op: AtomicOp,
        /// Its memory ordering (for a read-modify-write, the success ordering).
        ordering: MemoryOrdering,
        /// Under the weak memory model, the store a load read: its place in the atomic's
        /// modification order (0: the value the atomic had when the execution first used it).
        /// Absent when the load read the latest store as a sequentially consistent load does
        /// (every event of the default model), and for stores and read-modify-writes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reads: Option<u64>,
    },
    /// `atomic::fence`.
    Fence {
        /// Its ordering.
        ordering: MemoryOrdering,
    },
    /// A read of a tracked cell (`UnsafeCell::with`).
    CellRead {
        /// The cell.
        cell: ObjectId,
    },
    /// A write of a tracked cell (`UnsafeCell::with_mut`).
    CellWrite {
        /// The cell.
        cell: ObjectId,
    },

    // --- virtual time ---
    /// A timer was armed to fire at `deadline_ns` of virtual time.
    TimerArm {
        /// The timer.
        timer: ObjectId,
        /// Its deadline, in nanoseconds since the execution started.
        deadline_ns: u64,
    },
    /// A timer was disarmed before it fired (its wait ended another way).
    TimerCancel {
        /// The timer.
        timer: ObjectId,
    },
    /// A timer fired.
    TimerFire {
        /// The timer.
        timer: ObjectId,
    },
    /// The thread stops running until another thread (or a timer) wakes it. Any later event
    /// of the thread means it runs again.
    Block,
    /// The thread enters a block that must finish before `deadline_ns` of virtual time
    /// (`time::deadline`, or `Config::deadline` for the whole execution).
    DeadlineEnter {
        /// The deadline, in nanoseconds since the execution started.
        deadline_ns: u64,
    },
    /// The thread leaves its innermost deadline block.
    DeadlineExit,
    /// Virtual time moved forward.
    ClockAdvance {
        /// The new virtual time, in nanoseconds since the execution started.
        now_ns: u64,
        /// A strategy fired a timer early (time moved while threads could still run: a
        /// modelled scheduling delay, not time the program waited for).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        early: bool,
    },

    // --- async tasks ---
    /// A task's future waits on `object` (a semaphore's permit, a notification, a worker of
    /// its runtime): it returned `Pending`, or the task waits to be polled.
    AsyncWait {
        /// The semaphore, notify or runtime.
        object: ObjectId,
    },
    /// The wait announced by `AsyncWait` ended (the permit, notification or worker is the
    /// task's, or its future gave up waiting).
    AsyncReady {
        /// The semaphore, notify or runtime.
        object: ObjectId,
    },
    /// A task made a permit or notification of `object` (a semaphore or notify) available:
    /// `notify_one`, `notify_waiters`, `add_permits`, a permit given back; or a poll gave back
    /// the only worker of a runtime (`object` a runtime). What the task did before it happens
    /// before what a task does after taking one (`AsyncAcquire`).
    AsyncRelease {
        /// The semaphore, notify or one-worker runtime.
        object: ObjectId,
    },
    /// A task took a permit or notification of `object` (a semaphore or notify), at once or
    /// after waiting, or the only worker of a runtime: it acquires what every `AsyncRelease`
    /// of `object` before it released.
    AsyncAcquire {
        /// The semaphore, notify or one-worker runtime.
        object: ObjectId,
    },
    /// A task's future returned `Pending` with no clone of its waker left anywhere and no
    /// timer of its own: nothing can ever poll it again.
    LostWaker,
    /// The task waits (or is about to wait) for `object`, an async lock or semaphore, behind
    /// permits that another future of this same task holds: it acquired them at `held_at`, or,
    /// with `granted`, it queued for them at `held_at` and a release handed them to it, and it
    /// has not taken them since. If the task never polls that future again, it waits forever (a
    /// futurelock).
    FutureHolds {
        /// The async lock or semaphore.
        object: ObjectId,
        /// Where the holding future acquired (or queued for) it.
        held_at: Site,
        /// The permits were handed to the future's queued request, which was not polled since.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        granted: bool,
    },
    /// A task's future returned `Pending` (an `.await` that waits) while the task holds the
    /// sync lock `lock`: no other task can take it until the task is polled again.
    AwaitHolding {
        /// The sync lock held.
        lock: ObjectId,
    },

    // --- how the execution ended ---
    /// No thread can run: every live thread is blocked.
    Stuck,
    /// The execution ran past its step bound.
    StepLimit {
        /// The bound that was hit.
        max_steps: u64,
    },
    /// The thread freed a block allocated through interleave's `alloc`: a write to each
    /// interleave object seen in it (so exploration orders the free against their uses).
    MemoryFree {
        /// How many bytes the block holds.
        size: u64,
        /// The objects used in the block so far in this execution.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        objects: Vec<ObjectId>,
    },
    /// A memory error on a block allocated through interleave's `alloc` (the event's site is
    /// the use, the second free, or, for a leak, the allocation).
    MemoryError {
        /// What went wrong.
        error: MemoryError,
        /// How many bytes the block holds.
        size: u64,
        /// Where the block was freed first (a use after free, a double free); `None` for a leak.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        freed_at: Option<Site>,
    },
    /// The thread panicked (the event's site is where).
    Panic {
        /// The panic message.
        message: String,
        /// The panicking thread's backtrace, when the process asked for backtraces
        /// (`RUST_BACKTRACE`): frames of the scenario only. Not part of any fingerprint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backtrace: Option<String>,
    },
}

/// What a [`EventKind::MemoryError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryError {
    /// A block was accessed (through an interleave object living in it, or a checked pointer)
    /// after it was freed.
    UseAfterFree,
    /// A block was freed twice.
    DoubleFree,
    /// A block (or a `Track`ed value) was still allocated when the execution ended.
    Leak,
}

impl MemoryError {
    /// The lowercase name used in reports (`use after free`).
    pub fn name(self) -> &'static str {
        match self {
            MemoryError::UseAfterFree => "use after free",
            MemoryError::DoubleFree => "double free",
            MemoryError::Leak => "leak",
        }
    }
}
