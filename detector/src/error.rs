//! Errors: events that do not fit together, and trace files that cannot be read.

use crate::event::{ObjectClass, ObjectId, ThreadId};

/// An event that contradicts the events before it. The detector rejects it and stays usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The thread id was never spawned in this execution.
    #[error("event at step {step}: thread {} was never spawned", .thread.0)]
    UnknownThread {
        /// The step of the event.
        step: u64,
        /// The thread named.
        thread: ThreadId,
    },
    /// The thread had already exited.
    #[error("event at step {step}: thread {} has already exited", .thread.0)]
    ThreadExited {
        /// The step of the event.
        step: u64,
        /// The thread named.
        thread: ThreadId,
    },
    /// A spawn reused a thread id.
    #[error("event at step {step}: thread {} is spawned twice", .thread.0)]
    DuplicateThread {
        /// The step of the event.
        step: u64,
        /// The thread named.
        thread: ThreadId,
    },
    /// A spawn skipped thread ids: threads are numbered 1, 2, 3, … in spawn order.
    #[error("event at step {step}: thread {} is spawned before thread {}", .thread.0, .next.0)]
    SpawnOrder {
        /// The step of the event.
        step: u64,
        /// The thread named.
        thread: ThreadId,
        /// The next thread id.
        next: ThreadId,
    },
    /// The object id was never created in this execution.
    #[error("event at step {step}: object {} was never created", .object.0)]
    UnknownObject {
        /// The step of the event.
        step: u64,
        /// The object named.
        object: ObjectId,
    },
    /// A create reused an object id.
    #[error("event at step {step}: object {} is created twice", .object.0)]
    DuplicateObject {
        /// The step of the event.
        step: u64,
        /// The object named.
        object: ObjectId,
    },
    /// The object is not of a class the operation applies to.
    #[error("event at step {step}: object {} is a {}, not a {expected}", .object.0, .found.name())]
    WrongClass {
        /// The step of the event.
        step: u64,
        /// The object named.
        object: ObjectId,
        /// What the operation needs.
        expected: &'static str,
        /// What the object is.
        found: ObjectClass,
    },
    /// An event whose step is not after the step of the event before it.
    #[error(
        "event at step {step}: steps must increase, and the event before it is at step {previous}"
    )]
    StepOrder {
        /// The step of the event.
        step: u64,
        /// The step of the event before it.
        previous: u64,
    },
    /// A create with an object id at or beyond the number of objects the events create.
    #[error("event at step {step}: object {} is out of range: the events create {objects} objects", .object.0)]
    ObjectOutOfRange {
        /// The step of the event.
        step: u64,
        /// The object named.
        object: ObjectId,
        /// How many objects the events create.
        objects: usize,
    },
    /// A spawn past [`MAX_TRACE_THREADS`](crate::MAX_TRACE_THREADS), in a trace read from a
    /// file.
    #[error("event at step {step}: the trace spawns more than {limit} threads")]
    TooManyThreads {
        /// The step of the event.
        step: u64,
        /// The limit.
        limit: usize,
    },
    /// An acquisition past [`MAX_TRACE_HELD_LOCKS`](crate::MAX_TRACE_HELD_LOCKS), in a trace
    /// read from a file.
    #[error("event at step {step}: thread {} holds more than {limit} locks at once", .thread.0)]
    TooManyHeld {
        /// The step of the event.
        step: u64,
        /// The thread.
        thread: ThreadId,
        /// The limit.
        limit: usize,
    },
    /// A load that reads a store the atomic never had, or one older than the stores the
    /// detector keeps ([`ATOMIC_HISTORY`](crate::ATOMIC_HISTORY)).
    #[error("event at step {step}: a load of atomic {} reads store {store}, which is not among its latest stores", .object.0)]
    UnknownStore {
        /// The step of the event.
        step: u64,
        /// The atomic.
        object: ObjectId,
        /// The store named.
        store: u64,
    },
    /// A release or acquisition that does not match the lock's state.
    #[error("event at step {step}: thread {} releases lock {} that it does not hold", .thread.0, .lock.0)]
    NotHeld {
        /// The step of the event.
        step: u64,
        /// The thread.
        thread: ThreadId,
        /// The lock.
        lock: ObjectId,
    },
}

/// A trace file that cannot be analysed.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// Not JSON of the trace format.
    #[error("parse trace: {0}")]
    Parse(#[from] serde_json::Error),
    /// Written by another version of the format.
    #[error("read trace: format_version {found} is not supported (this build reads {supported})")]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// An event that contradicts the trace before it.
    #[error("analyse execution {execution}: {source}")]
    Event {
        /// The execution (1-based) it is in.
        execution: u64,
        /// What is wrong.
        source: EventError,
    },
}
