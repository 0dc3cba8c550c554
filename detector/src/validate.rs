//! Checks of events read from a file, before the detector sees them: what the detector cannot
//! check one event at a time, or only after allocating for an id.

use crate::error::EventError;
use crate::event::{Event, EventKind};

/// Checks that steps strictly increase and that every object id the events create is below the
/// number of objects they create (the harness numbers them 0, 1, 2, … in creation order), so
/// that the detector's tables stay as small as the trace. Unknown threads and objects, and
/// events that contradict each other, are for [`Detector::observe`](crate::Detector::observe)
/// to find.
///
/// # Errors
///
/// The first event out of order or creating an object beyond that range.
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
    for event in events {
        if let Some(previous) = previous.filter(|&p| p >= event.step) {
            return Err(EventError::StepOrder {
                step: event.step,
                previous,
            });
        }
        previous = Some(event.step);
        if let EventKind::Create { object, .. } = event.kind {
            if object.index() >= objects {
                return Err(EventError::ObjectOutOfRange {
                    step: event.step,
                    object,
                    objects,
                });
            }
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
