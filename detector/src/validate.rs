//! Checks of events read from a file, before the detector sees them: what the detector cannot
//! check one event at a time, or only after allocating for an id.

use rustc_hash::FxHashMap;

use crate::error::EventError;
use crate::event::{Event, EventKind, ThreadId};

/// The most threads a trace read from a file may have: every thread's vector clock has an entry
/// per thread, so the detector's memory grows as their square (4,096 threads: 128 MiB).
pub const MAX_TRACE_THREADS: usize = 4_096;

/// The most locks a thread of a trace read from a file may hold at once: each request adds an
/// edge from every lock held, so a thread holding `d` locks adds `d²/2` edges (lockdep's bound
/// is 48).
pub const MAX_TRACE_HELD_LOCKS: usize = 256;

/// Checks that steps strictly increase and that every object id the events create is below the
/// number of objects they create (the harness numbers them 0, 1, 2, … in creation order), so
/// that the detector's tables stay as small as the trace; and that the trace stays within
/// [`MAX_TRACE_THREADS`] and [`MAX_TRACE_HELD_LOCKS`], beyond which the detector's memory
/// would grow faster than the trace. Unknown threads and objects, and events that contradict
/// each other, are for [`Detector::observe`](crate::Detector::observe) to find.
///
/// # Errors
///
/// The first event out of order or beyond those bounds.
///
/// # Examples
///
/// ```
/// use interleave_detector::{validate_events, TraceBuilder};
///
/// let mut trace = TraceBuilder::new();
/// let main = trace.main();
/// let m = trace.mutex(main);
/// trace.lock(main, m).unlock(main, m);
/// assert!(validate_events(&trace.events()).is_ok());
///
/// let mut events = trace.events();
/// events.swap(1, 2);
/// let error = validate_events(&events).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "event at step 2: steps must increase, and the event before it is at step 3"
/// );
/// ```
pub fn validate_events(events: &[Event]) -> Result<(), EventError> {
    let objects = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Create { .. }))
        .count();
    let mut previous = None;
    let mut threads = 1;
    // Locks held per thread, as far as acquisitions and releases tell.
    let mut held: FxHashMap<ThreadId, usize> = FxHashMap::default();
    for event in events {
        if let Some(previous) = previous.filter(|&p| p >= event.step) {
            return Err(EventError::StepOrder {
                step: event.step,
                previous,
            });
        }
        previous = Some(event.step);
        let step = event.step;
        match event.kind {
            EventKind::Create { object, .. } if object.index() >= objects => {
                return Err(EventError::ObjectOutOfRange {
                    step,
                    object,
                    objects,
                });
            }
            EventKind::Spawn { .. } => {
                threads += 1;
                if threads > MAX_TRACE_THREADS {
                    let limit = MAX_TRACE_THREADS;
                    return Err(EventError::TooManyThreads { step, limit });
                }
            }
            EventKind::LockAcquired { .. } => {
                let held = held.entry(event.thread).or_default();
                *held += 1;
                if *held > MAX_TRACE_HELD_LOCKS {
                    let (thread, limit) = (event.thread, MAX_TRACE_HELD_LOCKS);
                    return Err(EventError::TooManyHeld {
                        step,
                        thread,
                        limit,
                    });
                }
            }
            EventKind::LockReleased { .. } => {
                let held = held.entry(event.thread).or_default();
                *held = held.saturating_sub(1);
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ObjectClass, ObjectId, ThreadId};
    use crate::trace::TraceBuilder;

    #[test]
    fn an_object_id_beyond_the_objects_created_is_refused() {
        let mut trace = TraceBuilder::new();
        trace.mutex(ThreadId::MAIN);
        let create = |object| EventKind::Create {
            object: ObjectId(object),
            class: ObjectClass::Mutex,
            name: None,
        };
        trace.event(ThreadId::MAIN, create(1));
        assert_eq!(validate_events(&trace.events()), Ok(()));
        trace.event(ThreadId::MAIN, create(4_000_000_000));
        assert_eq!(
            validate_events(&trace.events()).unwrap_err().to_string(),
            "event at step 3: object 4000000000 is out of range: the events create 3 objects"
        );
    }

    #[test]
    fn threads_and_held_locks_are_bounded() {
        let mut trace = TraceBuilder::new();
        let main = trace.main();
        for _ in 1..MAX_TRACE_THREADS {
            let t = trace.spawn(main);
            trace.exit(t);
        }
        assert_eq!(validate_events(&trace.events()), Ok(()));
        trace.spawn(main);
        assert_eq!(
            validate_events(&trace.events()).unwrap_err().to_string(),
            "event at step 8191: the trace spawns more than 4096 threads"
        );
        let mut trace = TraceBuilder::new();
        let locks: Vec<ObjectId> = (0..=MAX_TRACE_HELD_LOCKS)
            .map(|_| trace.mutex(main))
            .collect();
        for &lock in &locks[..MAX_TRACE_HELD_LOCKS] {
            trace.lock(main, lock);
        }
        // Released and taken again: still 256 at most.
        trace.unlock(main, locks[0]).lock(main, locks[0]);
        assert_eq!(validate_events(&trace.events()), Ok(()));
        trace.lock(main, locks[MAX_TRACE_HELD_LOCKS]);
        assert_eq!(
            validate_events(&trace.events()).unwrap_err().to_string(),
            "event at step 774: thread 0 holds more than 256 locks at once"
        );
    }

    #[test]
    fn steps_must_increase() {
        let mut trace = TraceBuilder::new();
        trace.exit(ThreadId::MAIN);
        let mut events = trace.events();
        events.push(events[0].clone());
        assert_eq!(
            validate_events(&events),
            Err(EventError::StepOrder {
                step: 1,
                previous: 1
            })
        );
    }
}
