//! Engine-free analysis for [interleave](https://docs.rs/interleave): events in, findings out.
//!
//! The harness runs a scenario under many schedules; every instrumented primitive tells this
//! crate what it does, as [`Event`]s. The [`Detector`] turns them into [`Finding`]s:
//!
//! - **potential deadlocks**: a lock-order graph over all executions of a check, so an AB-BA
//!   cycle is reported from the first execution that takes both orders, even when nothing
//!   deadlocked; cycles that cannot deadlock (one thread, a common gate lock, spawn/join order,
//!   read-read without writers) are suppressed;
//! - **realized deadlocks**: a thread re-locking its own lock, a cycle of threads waiting on
//!   each other (even while other threads still run), or every thread blocked;
//! - **data races** on tracked cells, with FastTrack's epoch-optimised vector clocks and
//!   happens-before from locks, condvars, channels, barriers, once, spawn/join and
//!   Release/Acquire atomics;
//! - **livelocks** and **panics** reported by the harness;
//! - the same **lock-order** analysis **online**, for a program on real threads
//!   ([`OnlineLockOrder`]: locks grouped in classes by creation site, as lockdep does), and the
//!   **realized deadlocks** among its threads blocked in lock requests.
//!
//! It depends on no execution engine, so a trace file can be analysed offline.
//!
//! # Tutorial
//!
//! Feed a detector the events of each execution. Here two threads take two locks in opposite
//! orders; the schedule never deadlocks (thread 1 finishes before thread 2 starts), yet the
//! cycle is reported:
//!
//! ```
//! use interleave_detector::{Detail, Detector, Kind, TraceBuilder};
//!
//! let mut trace = TraceBuilder::new();
//! let main = trace.main();
//! let a = trace.mutex(main);
//! let b = trace.mutex(main);
//! let t1 = trace.spawn(main);
//! let t2 = trace.spawn(main);
//! trace.lock(t1, a).lock(t1, b).unlock(t1, b).unlock(t1, a).exit(t1);
//! trace.lock(t2, b).lock(t2, a).unlock(t2, a).unlock(t2, b).exit(t2);
//!
//! let mut detector = Detector::default();
//! detector.begin_execution(1);
//! for event in &trace.events() {
//!     detector.observe(event)?;
//! }
//! let findings = detector.take_findings();
//! assert_eq!(findings.len(), 1);
//! let finding = &findings[0];
//! assert_eq!(finding.kind(), Kind::PotentialDeadlock);
//! let Detail::LockCycle { edges } = &finding.detail else { unreachable!() };
//! assert_eq!(edges.len(), 2);
//! // The text report names each edge's thread and both of its sites:
//! println!("{finding}");
//! # Ok::<(), interleave_detector::EventError>(())
//! ```
//!
//! The same program where both threads first take a common gate lock is clean:
//!
//! ```
//! use interleave_detector::{Detector, TraceBuilder};
//!
//! let mut trace = TraceBuilder::new();
//! let main = trace.main();
//! let (gate, a, b) = (trace.mutex(main), trace.mutex(main), trace.mutex(main));
//! let t1 = trace.spawn(main);
//! let t2 = trace.spawn(main);
//! trace.lock(t1, gate).lock(t1, a).lock(t1, b).unlock(t1, b).unlock(t1, a).unlock(t1, gate);
//! trace.lock(t2, gate).lock(t2, b).lock(t2, a).unlock(t2, a).unlock(t2, b).unlock(t2, gate);
//! let findings = trace.into_trace().analyze(Default::default()).unwrap();
//! assert!(findings.is_empty());
//! ```
//!
//! A finding renders as a text report (`Display`) and serialises with serde; a [`Trace`] reads
//! and writes the events of a whole check as JSON, for offline analysis. `docs/detector.md` in
//! the repository explains each analysis, why each suppression is sound, and the limits.

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![forbid(unsafe_code)]

mod clock;
mod detector;
mod error;
mod event;
mod file;
mod finding;
mod fingerprint;
mod futurelock;
mod identity;
mod lock_order;
mod locks;
mod online;
mod race;
mod realized;
mod report;
mod site;
mod state;
mod sync;
mod timing;
mod trace;
mod validate;
mod wait_for;

pub use clock::{Epoch, VectorClock};

/// How many of an atomic's latest stores a load may read under the weak memory model (the
/// harness offers no older one, and the detector keeps the clocks of as many).
pub const ATOMIC_HISTORY: usize = 8;
pub use detector::{Detector, DetectorConfig, Stats};
pub use error::{EventError, TraceError};
pub use event::{
    AtomicOp, Attempt, Event, EventKind, LockMode, MemoryError, MemoryOrdering, ObjectClass,
    ObjectId, ThreadId,
};
pub use file::{read_text, ReadError};
pub use finding::{
    Access, CycleEdge, Detail, Finding, Hold, Kind, Predicted, Running, StepRange, TimeoutCause,
    Wait, WaitTarget,
};
pub use identity::{labels, ObjectInfo, ThreadInfo};
pub use lock_order::Suppressions;
pub use online::{BlockedThread, HeldLock, OnlineLockOrder};
pub use realized::merge_realized;
pub use report::{printable_line, printable_text, render};
pub use site::{ParseSiteError, Site};
pub use trace::{ExecutionTrace, Trace, TraceBuilder, TRACE_FORMAT_VERSION};
pub use validate::{validate_events, MAX_TRACE_HELD_LOCKS, MAX_TRACE_THREADS};
