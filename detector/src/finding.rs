//! Findings: what the detector reports, as data.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::event::{LockMode, MemoryError};
use crate::identity::{ObjectInfo, ThreadInfo};
use crate::site::Site;

/// The kind of a [`Finding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Threads are blocked forever: all of them, or a cycle of them waiting on each other, or
    /// one thread re-locking a lock it holds.
    Deadlock,
    /// A lock-order cycle: some schedule can deadlock, even if none has yet.
    PotentialDeadlock,
    /// Two accesses to a tracked cell, at least one a write, not ordered by happens-before.
    DataRace,
    /// A timed wait or declared deadline that was not honoured in virtual time.
    MissedTimeout,
    /// The execution ran past its step bound: threads kept running without finishing.
    Livelock,
    /// A thread of the scenario panicked.
    Panic,
    /// A block allocated through interleave's `alloc` was used after it was freed, freed
    /// twice, or leaked.
    MemoryError,
    /// A task waits for an async lock or semaphore that a future it owns, and no longer
    /// polls, holds (or was handed): neither can ever go on.
    Futurelock,
}

impl Kind {
    /// The lowercase name used in reports (`potential deadlock`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Deadlock => "deadlock",
            Kind::PotentialDeadlock => "potential deadlock",
            Kind::DataRace => "data race",
            Kind::MissedTimeout => "missed timeout",
            Kind::Livelock => "livelock",
            Kind::Panic => "panic",
            Kind::MemoryError => "memory error",
            Kind::Futurelock => "futurelock",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The steps of one execution that a finding spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRange {
    /// The execution (1-based) in which the finding was made.
    pub execution: u64,
    /// The first step involved.
    pub first: u64,
    /// The last step involved (the step at which the finding was made).
    pub last: u64,
}

/// One problem found, with everything needed to understand it.
///
/// `threads` and `objects` hold what the finding involves; the indices in [`Detail`] point into
/// them, so a finding stands on its own (in an artifact, in JSON, in a report).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What kind of problem.
    pub kind: Kind,
    /// One line saying what happened.
    pub headline: String,
    /// The threads involved.
    pub threads: Vec<ThreadInfo>,
    /// The objects involved.
    pub objects: Vec<ObjectInfo>,
    /// Every source location the finding mentions, sorted, without repeats.
    pub sites: Vec<Site>,
    /// Where in which execution.
    pub steps: StepRange,
    /// Identifies the problem across runs, seeds and edits elsewhere in the code: built from
    /// object identities, files, columns and the relative order of the sites involved, never
    /// from ids or absolute line numbers.
    pub fingerprint: String,
    /// The kind-specific facts.
    pub detail: Detail,
}

impl Finding {
    /// The kind of problem.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Checks what a finding read from a file may get wrong: that its kind agrees with its
    /// detail, that its step range is in order, that a lock-order cycle is one, and that every
    /// thread and object index in the detail points into `threads` and `objects`, so that
    /// rendering it cannot fail.
    ///
    /// # Errors
    ///
    /// The first inconsistency, as a sentence.
    pub fn validate(&self) -> Result<(), String> {
        if self.detail.kind() != self.kind {
            return Err(format!(
                "its kind is {} but its detail is a {}",
                self.kind.name(),
                self.detail.kind().name()
            ));
        }
        if self.steps.first > self.steps.last {
            return Err(format!(
                "its steps {}..={} are out of order",
                self.steps.first, self.steps.last
            ));
        }
        if let Detail::LockCycle { edges } = &self.detail {
            if edges.is_empty() {
                return Err("its lock-order cycle has no edges".to_owned());
            }
            for (i, edge) in edges.iter().enumerate() {
                let next = &edges[(i + 1) % edges.len()];
                if edge.requested != next.held {
                    return Err(format!(
                        "its lock-order cycle is broken: edge {i} requests object {}, edge {} holds object {}",
                        edge.requested,
                        (i + 1) % edges.len(),
                        next.held
                    ));
                }
            }
        }
        let (threads, objects) = (self.threads.len(), self.objects.len());
        let thread = |i: usize| {
            (i < threads)
                .then_some(())
                .ok_or_else(|| format!("thread index {i} is out of range ({threads} threads)"))
        };
        let object = |i: usize| {
            (i < objects)
                .then_some(())
                .ok_or_else(|| format!("object index {i} is out of range ({objects} objects)"))
        };
        let waits = |waits: &[Wait]| -> Result<(), String> {
            for w in waits {
                thread(w.thread)?;
                match w.target {
                    WaitTarget::Lock { lock: o, .. }
                    | WaitTarget::Condvar { condvar: o }
                    | WaitTarget::Recv { channel: o }
                    | WaitTarget::Send { channel: o }
                    | WaitTarget::Barrier { barrier: o }
                    | WaitTarget::Once { once: o }
                    | WaitTarget::Async { object: o } => object(o)?,
                    WaitTarget::Join { thread: t } => thread(t)?,
                    WaitTarget::Timer { .. } | WaitTarget::Park | WaitTarget::LostWaker => {}
                }
                for h in w.holding.iter().chain(&w.held_by) {
                    thread(h.thread)?;
                    object(h.lock)?;
                }
            }
            Ok(())
        };
        match &self.detail {
            Detail::LockCycle { edges } => {
                for e in edges {
                    thread(e.thread)?;
                    object(e.held)?;
                    object(e.requested)?;
                }
            }
            Detail::SelfDeadlock {
                thread: t, lock, ..
            }
            | Detail::AwaitHolding {
                thread: t, lock, ..
            } => {
                thread(*t)?;
                object(*lock)?;
            }
            Detail::Futurelock {
                thread: t,
                object: o,
                waits: w,
                ..
            } => {
                thread(*t)?;
                object(*o)?;
                waits(w)?;
            }
            Detail::Deadlock {
                waits: w, running, ..
            } => {
                waits(w)?;
                for &r in running {
                    thread(r)?;
                }
            }
            Detail::DataRace {
                cell,
                first,
                second,
            } => {
                object(*cell)?;
                thread(first.thread)?;
                thread(second.thread)?;
            }
            Detail::MissedTimeout {
                thread: t,
                cause,
                waits: w,
                ..
            } => {
                thread(*t)?;
                if let TimeoutCause::CannotReturn { condvar, .. } = cause {
                    object(*condvar)?;
                }
                waits(w)?;
            }
            Detail::Livelock { running, .. } => {
                for r in running {
                    thread(r.thread)?;
                }
            }
            Detail::Panic { thread: t, .. } | Detail::MemoryError { thread: t, .. } => thread(*t)?,
        }
        Ok(())
    }
}

/// The kind-specific part of a [`Finding`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Detail {
    /// A lock-order cycle (potential deadlock). `edges[i]` goes from `edges[i].held` to
    /// `edges[i].requested`, which is `edges[i + 1].held`.
    LockCycle {
        /// The edges of the cycle, each with the thread and sites that witnessed it.
        edges: Vec<CycleEdge>,
    },
    /// A task's future returned `Pending` while the task held a sync lock.
    AwaitHolding {
        /// The task (index into `threads`).
        thread: usize,
        /// The sync lock (index into `objects`).
        lock: usize,
        /// Where it acquired the lock.
        held_at: Site,
        /// Where the future it polls returned `Pending`.
        awaited_at: Site,
    },
    /// A thread requested a lock it already holds, in a mode that can never be granted.
    SelfDeadlock {
        /// The thread (index into `threads`).
        thread: usize,
        /// The lock (index into `objects`).
        lock: usize,
        /// How it holds the lock.
        held_mode: LockMode,
        /// Where it acquired it.
        held_at: Site,
        /// How it requested it again.
        requested_mode: LockMode,
        /// Where it requested it again.
        requested_at: Site,
    },
    /// A task waits for an async lock or semaphore held by (or handed to) a future that the
    /// task owns but no longer polls.
    Futurelock {
        /// The task (index into `threads`).
        thread: usize,
        /// The async lock or semaphore (index into `objects`).
        object: usize,
        /// Where the holding future acquired it, or, when `granted`, queued for it.
        held_at: Site,
        /// The future had queued, and a release handed it the permits while it was not polled.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        granted: bool,
        /// Where the task waits for it now.
        waited_at: Site,
        /// The step at which that wait began.
        since_step: u64,
        /// What the other blocked threads wait for.
        waits: Vec<Wait>,
    },
    /// Threads blocked forever.
    Deadlock {
        /// What each blocked thread waits for.
        waits: Vec<Wait>,
        /// `true` when only a cycle of threads is stuck while others can still run.
        partial: bool,
        /// Threads (indices into `threads`) still able to run, for a partial deadlock.
        running: Vec<usize>,
        /// The lock-order cycle this deadlock realized, when it was reported as a potential
        /// deadlock first (see [`merge_realized`](crate::merge_realized)).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        predicted: Option<Predicted>,
    },
    /// Two unordered accesses to one cell.
    DataRace {
        /// The cell (index into `objects`).
        cell: usize,
        /// The earlier access.
        first: Access,
        /// The later access, at which the race was detected.
        second: Access,
    },
    /// Threads that kept running until the step bound.
    Livelock {
        /// The step bound.
        max_steps: u64,
        /// Each thread that still ran, with where it last was.
        running: Vec<Running>,
    },
    /// A timed wait or declared deadline that was not honoured in virtual time.
    MissedTimeout {
        /// The thread whose timeout was missed (index into `threads`).
        thread: usize,
        /// What was missed.
        cause: TimeoutCause,
        /// Virtual time when it was found, in nanoseconds.
        now_ns: u64,
        /// Where the threads involved are: what each waits for, since when, who holds it.
        waits: Vec<Wait>,
    },
    /// A panic in the scenario.
    Panic {
        /// The thread (index into `threads`).
        thread: usize,
        /// The panic message.
        message: String,
        /// Where it panicked.
        site: Site,
        /// The thread's backtrace, when backtraces were asked for (`RUST_BACKTRACE`). Not part
        /// of the fingerprint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backtrace: Option<String>,
    },
    /// A memory error on a block allocated through interleave's `alloc`.
    MemoryError {
        /// The thread that made it (index into `threads`): the one that used or freed the block
        /// again, or, for a leak, the one that allocated it.
        thread: usize,
        /// What went wrong.
        error: MemoryError,
        /// How many bytes the block holds.
        size: u64,
        /// Where: the use, the second free, or, for a leak, the allocation.
        site: Site,
        /// Where the block was freed first; `None` for a leak.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        freed_at: Option<Site>,
    },
}

impl Detail {
    /// The kind of finding this detail belongs to.
    pub fn kind(&self) -> Kind {
        match self {
            Detail::LockCycle { .. } | Detail::AwaitHolding { .. } => Kind::PotentialDeadlock,
            Detail::SelfDeadlock { .. } | Detail::Deadlock { .. } => Kind::Deadlock,
            Detail::DataRace { .. } => Kind::DataRace,
            Detail::Livelock { .. } => Kind::Livelock,
            Detail::MissedTimeout { .. } => Kind::MissedTimeout,
            Detail::Panic { .. } => Kind::Panic,
            Detail::MemoryError { .. } => Kind::MemoryError,
            Detail::Futurelock { .. } => Kind::Futurelock,
        }
    }
}

/// What a missed timeout missed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum TimeoutCause {
    /// A timed condvar wait timed out but cannot return: it cannot get its mutex back.
    CannotReturn {
        /// The condvar (index into `objects`).
        condvar: usize,
        /// Where the timed wait is.
        site: Site,
        /// Virtual time when the wait began.
        waited_since_ns: u64,
        /// Virtual time when it timed out.
        timed_out_at_ns: u64,
    },
    /// A declared deadline passed before its block finished.
    Deadline {
        /// The deadline.
        deadline_ns: u64,
        /// Virtual time when the block was entered.
        entered_ns: u64,
        /// Where the deadline was declared.
        site: Site,
    },
    /// A thread waited without a timeout for longer than the configured bound.
    BlockedTooLong {
        /// Virtual time when it blocked.
        since_ns: u64,
        /// The bound (`Config::max_block`).
        max_block_ns: u64,
    },
}

/// One edge of a lock-order cycle: a thread held `held` when it requested `requested`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleEdge {
    /// The lock held (index into `objects`).
    pub held: usize,
    /// How it was held.
    pub held_mode: LockMode,
    /// Where it was acquired.
    pub held_at: Site,
    /// The lock requested (index into `objects`).
    pub requested: usize,
    /// How it was requested.
    pub requested_mode: LockMode,
    /// Where it was requested.
    pub requested_at: Site,
    /// The thread (index into `threads`).
    pub thread: usize,
    /// The execution in which this edge was first seen.
    pub execution: u64,
    /// The step of that request.
    pub step: u64,
}

/// A lock-order cycle that was reported as a potential deadlock before the execution deadlocked
/// on it: its evidence, carried by the realized deadlock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predicted {
    /// The potential deadlock's fingerprint.
    pub fingerprint: String,
    /// The cycle, by object labels (`mutex@a.rs:3 → mutex@a.rs:4 → mutex@a.rs:3`).
    pub cycle: String,
    /// Each edge: who held what, where, and requested what, where, in which execution and step.
    pub edges: Vec<String>,
}

/// What a blocked thread waits for, in a deadlock report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wait {
    /// The blocked thread (index into `threads`).
    pub thread: usize,
    /// What it waits for.
    pub target: WaitTarget,
    /// Where it started waiting.
    pub site: Site,
    /// The step at which it started waiting.
    pub since_step: u64,
    /// The virtual time at which it started waiting, in nanoseconds.
    #[serde(default)]
    pub since_ns: u64,
    /// Locks it holds meanwhile, with where it acquired them.
    pub holding: Vec<Hold>,
    /// Who holds what it waits for (for a lock), with where they acquired it.
    pub held_by: Vec<Hold>,
    /// An extra fact, for example a notification that came before anyone waited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A lock held by a thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The holder (index into `threads`).
    pub thread: usize,
    /// The lock (index into `objects`).
    pub lock: usize,
    /// How it is held.
    pub mode: LockMode,
    /// Where it was acquired.
    pub acquired_at: Site,
}

/// What a thread waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum WaitTarget {
    /// A lock (index into `objects`).
    Lock {
        /// The lock.
        lock: usize,
        /// The mode requested.
        mode: LockMode,
    },
    /// Another thread to finish (index into `threads`).
    Join {
        /// The thread joined.
        thread: usize,
    },
    /// A notification on a condvar.
    Condvar {
        /// The condvar.
        condvar: usize,
    },
    /// A message on a channel.
    Recv {
        /// The channel.
        channel: usize,
    },
    /// Room on a full (or rendezvous) channel.
    Send {
        /// The channel.
        channel: usize,
    },
    /// The other parties of a barrier.
    Barrier {
        /// The barrier.
        barrier: usize,
    },
    /// Its own timer: it sleeps (or waits only for time to pass) until `until_ns`.
    Timer {
        /// When the timer fires, in virtual nanoseconds.
        until_ns: u64,
    },
    /// Another thread's running `Once` initialiser.
    Once {
        /// The once.
        once: usize,
    },
    /// An `unpark`.
    Park,
    /// A task's wake through a semaphore's permit, a notification or a worker of its runtime.
    Async {
        /// The semaphore, notify or runtime.
        object: usize,
    },
    /// A wake that cannot come: the task's future returned `Pending` and no clone of its waker
    /// remains.
    LostWaker,
}

/// One access to a tracked cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// The thread (index into `threads`).
    pub thread: usize,
    /// Whether it wrote.
    pub write: bool,
    /// Where.
    pub site: Site,
    /// At which step.
    pub step: u64,
}

/// A thread that was still running when an execution hit its step bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Running {
    /// The thread (index into `threads`).
    pub thread: usize,
    /// How many events it produced in the execution.
    pub events: u64,
    /// Where it last was.
    pub last_site: Site,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceBuilder;

    /// The AB-BA cycle of two threads.
    fn cycle() -> Finding {
        let mut trace = TraceBuilder::new();
        let main = trace.main();
        let (a, b) = (trace.mutex(main), trace.mutex(main));
        let (t1, t2) = (trace.spawn(main), trace.spawn(main));
        trace.lock(t1, a).lock(t1, b).unlock(t1, b).unlock(t1, a);
        trace.lock(t2, b).lock(t2, a).unlock(t2, a).unlock(t2, b);
        let mut findings = trace.into_trace().analyze(Default::default()).unwrap();
        assert_eq!(findings.len(), 1);
        findings.remove(0)
    }

    #[test]
    fn a_finding_read_from_a_file_must_fit_together() {
        assert_eq!(cycle().validate(), Ok(()));
        let mut kind = cycle();
        kind.kind = Kind::DataRace;
        assert_eq!(
            kind.validate().unwrap_err(),
            "its kind is data race but its detail is a potential deadlock"
        );
        let mut steps = cycle();
        steps.steps.first = steps.steps.last + 1;
        assert!(steps.validate().unwrap_err().contains("out of order"));
        let mut broken = cycle();
        let Detail::LockCycle { edges } = &mut broken.detail else {
            unreachable!()
        };
        edges[0].requested = edges[0].held;
        assert_eq!(
            broken.validate().unwrap_err(),
            "its lock-order cycle is broken: edge 0 requests object 0, edge 1 holds object 1"
        );
        let mut empty = cycle();
        empty.detail = Detail::LockCycle { edges: Vec::new() };
        assert_eq!(
            empty.validate().unwrap_err(),
            "its lock-order cycle has no edges"
        );
        let mut index = cycle();
        index.threads.truncate(1);
        assert_eq!(
            index.validate().unwrap_err(),
            "thread index 1 is out of range (1 threads)"
        );
    }
}
