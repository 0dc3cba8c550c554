//! Traces: the events of one or more executions, as a value and as a file.

use serde::{Deserialize, Serialize};

use crate::detector::{Detector, DetectorConfig};
use crate::error::TraceError;
use crate::event::{
    AtomicOp, Attempt, Event, EventKind, LockMode, MemoryOrdering, ObjectClass, ObjectId, ThreadId,
};
use crate::finding::Finding;
use crate::site::Site;

/// The version of the trace format this build reads and writes.
pub const TRACE_FORMAT_VERSION: u32 = 1;

/// The events of the executions of one check, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// [`TRACE_FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The executions, each with its events.
    pub executions: Vec<ExecutionTrace>,
}

/// The events of one execution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionTrace {
    /// Its number in the check (1-based).
    pub execution: u64,
    /// Its events, in order.
    pub events: Vec<Event>,
}

#[derive(Deserialize)]
struct VersionProbe {
    format_version: u32,
}

impl Trace {
    /// Reads a trace from JSON, checking the format version first so that a file from another
    /// version says so instead of failing on some field.
    ///
    /// # Errors
    ///
    /// [`TraceError::Parse`] for text that is not a trace, [`TraceError::UnsupportedVersion`]
    /// for another format version, [`TraceError::Event`] for events out of step order or
    /// creating an object beyond what the execution creates (see [`validate_events`]).
    ///
    /// [`validate_events`]: crate::validate_events
    pub fn from_json(text: &str) -> Result<Trace, TraceError> {
        let probe: VersionProbe = serde_json::from_str(text)?;
        if probe.format_version != TRACE_FORMAT_VERSION {
            return Err(TraceError::UnsupportedVersion {
                found: probe.format_version,
                supported: TRACE_FORMAT_VERSION,
            });
        }
        let trace: Trace = serde_json::from_str(text)?;
        for execution in &trace.executions {
            crate::validate::validate_events(&execution.events).map_err(|source| {
                TraceError::Event {
                    execution: execution.execution,
                    source,
                }
            })?;
        }
        Ok(trace)
    }

    /// The trace as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("traces always serialise")
    }

    /// Runs a detector over every execution of the trace, in order.
    ///
    /// # Errors
    ///
    /// [`TraceError::Event`] for the first event that contradicts the ones before it.
    pub fn analyze(&self, config: DetectorConfig) -> Result<Vec<Finding>, TraceError> {
        let mut detector = Detector::new(config);
        for execution in &self.executions {
            detector.begin_execution(execution.execution);
            for event in &execution.events {
                detector
                    .observe(event)
                    .map_err(|source| TraceError::Event {
                        execution: execution.execution,
                        source,
                    })?;
            }
        }
        Ok(detector.take_findings())
    }
}

/// Writes traces by hand: for tests, documentation and the trace catalog.
///
/// Each method appends the events one call of the corresponding primitive would produce, with
/// the caller's source location as the site and consecutive step numbers.
///
/// # Examples
///
/// ```
/// use interleave_detector::{DetectorConfig, Kind, TraceBuilder};
///
/// let mut trace = TraceBuilder::new();
/// let main = trace.main();
/// let m = trace.mutex(main);
/// trace.lock(main, m).lock(main, m); // re-locking a held mutex
/// let findings = trace.into_trace().analyze(DetectorConfig::default()).unwrap();
/// assert_eq!(findings[0].kind(), Kind::Deadlock);
/// ```
#[derive(Debug, Default)]
pub struct TraceBuilder {
    executions: Vec<ExecutionTrace>,
    events: Vec<Event>,
    threads: u32,
    objects: u32,
}

impl TraceBuilder {
    /// An empty trace whose first execution has begun.
    pub fn new() -> Self {
        TraceBuilder {
            threads: 1,
            ..TraceBuilder::default()
        }
    }

    /// Ends the current execution and begins the next one (ids start over).
    pub fn next_execution(&mut self) -> &mut Self {
        let events = std::mem::take(&mut self.events);
        self.executions.push(ExecutionTrace {
            execution: self.executions.len() as u64 + 1,
            events,
        });
        self.threads = 1;
        self.objects = 0;
        self
    }

    /// The events of the current execution so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.clone()
    }

    /// The finished trace.
    pub fn into_trace(mut self) -> Trace {
        self.next_execution();
        Trace {
            format_version: TRACE_FORMAT_VERSION,
            executions: self.executions,
        }
    }

    /// The main thread.
    pub fn main(&self) -> ThreadId {
        ThreadId::MAIN
    }

    /// Appends an event of thread `thread` at the caller's site.
    #[track_caller]
    pub fn event(&mut self, thread: ThreadId, kind: EventKind) -> &mut Self {
        self.event_at(thread, kind, Site::caller())
    }

    /// Appends an event at an explicit site.
    pub fn event_at(&mut self, thread: ThreadId, kind: EventKind, site: Site) -> &mut Self {
        let step = self.events.len() as u64 + 1;
        self.events.push(Event {
            step,
            thread,
            site,
            kind,
        });
        self
    }

    /// `parent` spawns a thread.
    #[track_caller]
    pub fn spawn(&mut self, parent: ThreadId) -> ThreadId {
        self.spawn_with(parent, None)
    }

    /// `parent` spawns a thread named `name`.
    #[track_caller]
    pub fn spawn_named(&mut self, parent: ThreadId, name: &str) -> ThreadId {
        self.spawn_with(parent, Some(name.to_owned()))
    }

    #[track_caller]
    fn spawn_with(&mut self, parent: ThreadId, name: Option<String>) -> ThreadId {
        let child = ThreadId(self.threads);
        self.threads += 1;
        self.event(parent, EventKind::Spawn { child, name });
        child
    }

    /// `thread` finishes.
    #[track_caller]
    pub fn exit(&mut self, thread: ThreadId) -> &mut Self {
        self.event(thread, EventKind::Exit)
    }

    /// `parent` joins `child` (which must have exited for the join to return).
    #[track_caller]
    pub fn join(&mut self, parent: ThreadId, child: ThreadId) -> &mut Self {
        self.event(parent, EventKind::JoinRequest { child });
        self.event(parent, EventKind::Joined { child })
    }

    #[track_caller]
    fn create(&mut self, thread: ThreadId, class: ObjectClass, name: Option<&str>) -> ObjectId {
        let object = ObjectId(self.objects);
        self.objects += 1;
        let name = name.map(str::to_owned);
        self.event(
            thread,
            EventKind::Create {
                object,
                class,
                name,
            },
        );
        object
    }

    /// `thread` creates a mutex.
    #[track_caller]
    pub fn mutex(&mut self, thread: ThreadId) -> ObjectId {
        self.create(thread, ObjectClass::Mutex, None)
    }

    /// `thread` creates a mutex named `name`.
    #[track_caller]
    pub fn named(&mut self, thread: ThreadId, class: ObjectClass, name: &str) -> ObjectId {
        self.create(thread, class, Some(name))
    }

    /// `thread` creates an RwLock.
    #[track_caller]
    pub fn rwlock(&mut self, thread: ThreadId) -> ObjectId {
        self.create(thread, ObjectClass::RwLock, None)
    }

    /// `thread` creates an object of any class.
    #[track_caller]
    pub fn object(&mut self, thread: ThreadId, class: ObjectClass) -> ObjectId {
        self.create(thread, class, None)
    }

    /// `thread` requests a lock (announces it; see [`acquired`](Self::acquired)).
    #[track_caller]
    pub fn request(&mut self, thread: ThreadId, lock: ObjectId, mode: LockMode) -> &mut Self {
        let attempt = Attempt::Blocking;
        self.event(
            thread,
            EventKind::LockRequest {
                lock,
                mode,
                attempt,
            },
        )
    }

    /// `thread`'s request is granted.
    #[track_caller]
    pub fn acquired(&mut self, thread: ThreadId, lock: ObjectId, mode: LockMode) -> &mut Self {
        self.event(thread, EventKind::LockAcquired { lock, mode })
    }

    /// `Mutex::lock` or `RwLock::write` that gets the lock.
    #[track_caller]
    pub fn lock(&mut self, thread: ThreadId, lock: ObjectId) -> &mut Self {
        self.request(thread, lock, LockMode::Exclusive);
        self.acquired(thread, lock, LockMode::Exclusive)
    }

    /// `RwLock::read` that gets the lock.
    #[track_caller]
    pub fn read(&mut self, thread: ThreadId, lock: ObjectId) -> &mut Self {
        self.request(thread, lock, LockMode::Shared);
        self.acquired(thread, lock, LockMode::Shared)
    }

    /// A guard is dropped.
    #[track_caller]
    pub fn unlock(&mut self, thread: ThreadId, lock: ObjectId) -> &mut Self {
        self.event(thread, EventKind::LockReleased { lock })
    }

    /// `UnsafeCell::with` (a read).
    #[track_caller]
    pub fn cell_read(&mut self, thread: ThreadId, cell: ObjectId) -> &mut Self {
        self.event(thread, EventKind::CellRead { cell })
    }

    /// `UnsafeCell::with_mut` (a write).
    #[track_caller]
    pub fn cell_write(&mut self, thread: ThreadId, cell: ObjectId) -> &mut Self {
        self.event(thread, EventKind::CellWrite { cell })
    }

    /// An atomic operation.
    #[track_caller]
    pub fn atomic(
        &mut self,
        thread: ThreadId,
        object: ObjectId,
        op: AtomicOp,
        ordering: MemoryOrdering,
    ) -> &mut Self {
        self.event(
            thread,
            EventKind::Atomic {
                object,
                op,
                ordering,
                reads: None,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let mut builder = TraceBuilder::new();
        let m = builder.mutex(ThreadId::MAIN);
        builder.lock(ThreadId::MAIN, m).unlock(ThreadId::MAIN, m);
        let trace = builder.into_trace();
        let back = Trace::from_json(&trace.to_json()).unwrap();
        assert_eq!(back, trace);
    }

    #[test]
    fn another_format_version_is_named() {
        let error =
            Trace::from_json(r#"{"format_version": 99, "executions": "whatever"}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "read trace: format_version 99 is not supported (this build reads 1)"
        );
    }

    #[test]
    fn a_bad_event_names_its_execution_and_step() {
        let mut builder = TraceBuilder::new();
        builder.event(ThreadId(3), EventKind::Exit);
        let error = builder
            .into_trace()
            .analyze(DetectorConfig::default())
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "analyse execution 1: event at step 1: thread 3 was never spawned"
        );
    }
}
