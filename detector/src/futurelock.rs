//! Futurelock (Oxide RFD 609): a task waits for an async lock or semaphore that a future it
//! owns, and no longer polls, holds — or was handed by tokio's FIFO hand-off while it sat
//! queued. The holding future can only let go when polled, and the task polls only its wait.
//!
//! The harness knows which task holds what, and says so with a `FutureHolds` event when a
//! task's request waits behind its own permits (at the request, or when a release hands the
//! permits to its other, unpolled request). The detector keeps that fact with the task's wait
//! and reports a futurelock when the execution is stuck with the task still in that wait: a
//! re-request that a timeout or another wake ends is not one.

use crate::detector::Detector;
use crate::error::EventError;
use crate::event::{Event, ObjectClass, ObjectId};
use crate::finding::{Detail, Kind, StepRange};
use crate::fingerprint::FindingBuilder;
use crate::site::Site;
use crate::state::{FutureHold, PendingOp};

impl Detector {
    /// A `FutureHolds` event: a future of the task holds (or was handed) `object`.
    pub(crate) fn future_holds(
        &mut self,
        event: &Event,
        object: ObjectId,
        held_at: &Site,
        granted: bool,
    ) -> Result<(), EventError> {
        let class = self
            .objects
            .get(object.index())
            .and_then(Option::as_ref)
            .ok_or(EventError::UnknownObject {
                step: event.step,
                object,
            })?
            .class;
        if !matches!(
            class,
            ObjectClass::Mutex | ObjectClass::RwLock | ObjectClass::Semaphore
        ) {
            return Err(EventError::WrongClass {
                step: event.step,
                object,
                expected: "lock or semaphore",
                found: class,
            });
        }
        self.threads[event.thread.index()].future_hold = Some(FutureHold {
            object,
            held_at: held_at.clone(),
            granted,
        });
        Ok(())
    }

    /// Whether thread `t`'s next request for `lock` is one a future of it holds: not a
    /// self-deadlock of the thread, a wait that may be a futurelock.
    pub(crate) fn held_by_own_future(&self, t: usize, lock: ObjectId) -> bool {
        self.threads[t]
            .future_hold
            .as_ref()
            .is_some_and(|h| h.object == lock)
    }

    /// Thread `t` took `object` or stopped waiting for it: a `FutureHolds` about it is over.
    pub(crate) fn end_future_hold(&mut self, t: usize, object: ObjectId) {
        let thread = &mut self.threads[t];
        if thread
            .future_hold
            .as_ref()
            .is_some_and(|h| h.object == object)
        {
            thread.future_hold = None;
        }
    }

    /// The execution is stuck: a futurelock if one of `blocked` still waits for an object that
    /// a future of its own holds. Reports it (the first such thread) and says whether it did.
    pub(crate) fn report_futurelock(&mut self, event: &Event, blocked: &[usize]) -> bool {
        let Some((t, hold)) = blocked.iter().find_map(|&t| {
            let state = &self.threads[t];
            let hold = state.future_hold.as_ref()?;
            let waits_on = match state.pending.as_ref()?.op {
                PendingOp::Lock { lock, .. } => lock,
                PendingOp::Async { object } => object,
                _ => return None,
            };
            (waits_on == hold.object).then(|| (t, hold.clone()))
        }) else {
            return false;
        };
        let pending = self.threads[t]
            .pending
            .clone()
            .expect("a futurelocked thread waits");
        let mut builder = FindingBuilder::new();
        let stable = self.threads[t].stable;
        let thread = builder.thread(&self.check.identities, stable);
        let object_stable = self.objects[hold.object.index()]
            .as_ref()
            .expect("a known object")
            .stable;
        let object = builder.object(&self.check.identities, object_stable);
        let others: Vec<usize> = blocked.iter().copied().filter(|&o| o != t).collect();
        let mut first = pending.step;
        let waits = self.describe_waits(&mut builder, &others, &mut first);
        let headline = format!(
            "futurelock: `{}` waits for {}, {} a future it owns and no longer polls",
            self.check.identities.thread(stable).name,
            self.check.identities.object(object_stable).label(),
            if hold.granted { "handed to" } else { "held by" }
        );
        let finding = builder.finish(
            Kind::Futurelock,
            headline,
            StepRange {
                execution: self.execution,
                first,
                last: event.step,
            },
            Detail::Futurelock {
                thread,
                object,
                held_at: hold.held_at,
                granted: hold.granted,
                waited_at: pending.site,
                since_step: pending.step,
                waits,
            },
        );
        self.deadlock_reported = true;
        self.findings.push(finding);
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{EventKind, LockMode, ObjectClass};
    use crate::finding::{Detail, Kind};
    use crate::site::Site;
    use crate::trace::TraceBuilder;

    /// `main` holds an async lock through a future it no longer polls (`FutureHolds`), then
    /// requests it; `stuck` ends the execution if `stuck`, else the request times out.
    fn relock(stuck: bool) -> Vec<crate::Finding> {
        let mut trace = TraceBuilder::new();
        let main = trace.main();
        let lock = trace.mutex(main);
        trace.lock(main, lock);
        let held_at = Site::new("a.rs", 3, 9);
        trace.event(
            main,
            EventKind::FutureHolds {
                object: lock,
                held_at,
                granted: false,
            },
        );
        trace.request(main, lock, LockMode::Exclusive);
        if stuck {
            trace.event(main, EventKind::Block);
            trace.event(main, EventKind::Stuck);
        } else {
            trace.event(main, EventKind::LockFailed { lock });
        }
        trace.into_trace().analyze(Default::default()).unwrap()
    }

    #[test]
    fn a_wait_behind_the_tasks_own_future_is_a_futurelock_once_stuck() {
        let findings = relock(true);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].kind, Kind::Futurelock);
        let Detail::Futurelock {
            held_at, granted, ..
        } = &findings[0].detail
        else {
            panic!("{:?}", findings[0].detail)
        };
        assert_eq!((held_at.line, *granted), (3, false));
        assert_eq!(findings[0].validate(), Ok(()));
        // Not a self-deadlock at the request, nor a lock-order edge: the wait may end (a
        // timeout), and then nothing is reported.
        assert!(relock(false).is_empty());
    }

    #[test]
    fn future_holds_names_a_lock_or_a_semaphore() {
        let mut trace = TraceBuilder::new();
        let main = trace.main();
        let notify = trace.object(main, ObjectClass::Notify);
        trace.event(
            main,
            EventKind::FutureHolds {
                object: notify,
                held_at: Site::new("a.rs", 3, 9),
                granted: true,
            },
        );
        let error = trace.into_trace().analyze(Default::default()).unwrap_err();
        assert!(error.to_string().contains("lock or semaphore"), "{error}");
    }
}
