//! Progress and spinning: whether the threads of an execution are getting anywhere.
//!
//! **Progress** is what the step bound waits for: it counts contested scheduling decisions
//! since the last progress, so a long but finite run is not a livelock. Progress is a thread
//! spawned, finished or joined, a message sent or received, a barrier passed, a `Once`
//! completed, a tracked cell written, or an atomic write that changed the atomic's value.
//! Taking and releasing locks, waiting, notifying, yielding, reading, and timers are not: a
//! retry loop does all of those forever.
//!
//! **Spinning** is the spin rule: an atomic access that observes the same value the thread saw
//! at its previous access to that atomic, with no write changing it in between, and does not
//! change it itself (a load, a failed compare-exchange, a `swap` of the value already there)
//! is a re-read. A thread that re-reads waits for another thread, as if it had called
//! `yield_now`, so the strategies let another thread run (loom treats its spin hint the same
//! way). Without it, PCT would keep running a top-priority spinner and starve the thread it
//! waits for.

use interleave_detector::{EventKind, ObjectId};
use shuttle_engine::runtime::execution::ExecutionState;

use super::context::{with, Context};

/// How many atomics a thread remembers its last observation of: enough for the loops that
/// spin on a few atomics (a seqlock reader reads three).
const REMEMBERED: usize = 8;

/// A thread's last observation of the atomics it touched most recently: (object, version),
/// where an atomic's version counts the writes that changed its value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Observed {
    entries: [Option<(ObjectId, u32)>; REMEMBERED],
    /// The entry to replace next.
    next: usize,
}

impl Observed {
    /// Records that the thread observed `version` of `object`; returns whether it had observed
    /// the same version at its previous access.
    fn observe(&mut self, object: ObjectId, version: u32) -> bool {
        for entry in self.entries.iter_mut().flatten() {
            if entry.0 == object {
                let again = entry.1 == version;
                entry.1 = version;
                return again;
            }
        }
        self.entries[self.next] = Some((object, version));
        self.next = (self.next + 1) % REMEMBERED;
        false
    }
}

/// Whether an event is progress (the atomic writes that change a value are counted by
/// [`atomic_accessed`], which knows the values).
pub(crate) fn is_progress(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Spawn { .. }
            | EventKind::Exit
            | EventKind::Joined { .. }
            | EventKind::Sent { ok: true, .. }
            | EventKind::Received { ok: true, .. }
            | EventKind::BarrierLeave { .. }
            | EventKind::OnceComplete { .. }
            | EventKind::CellWrite { .. }
    )
}

impl Context {
    /// After an atomic access of the current thread (`changed`: it changed the value): counts
    /// the progress, and returns whether the access is a re-read under the spin rule.
    fn atomic_accessed(&mut self, object: ObjectId, changed: bool) -> bool {
        let index = object.0 as usize;
        if self.atomic_versions.len() <= index {
            self.atomic_versions.resize(index + 1, 0);
        }
        let version = &mut self.atomic_versions[index];
        if changed {
            *version = version.wrapping_add(1);
            self.progressed += 1;
        }
        let version = *version;
        let current = self.current;
        let again = self.thread_mut(current).observed.observe(object, version);
        again && !changed
    }
}

/// After an atomic access of the current thread: counts progress, and applies the spin rule
/// (a re-read makes the thread's next scheduling point a yield).
pub(crate) fn atomic_accessed(object: ObjectId, changed: bool) {
    if with(|c| c.atomic_accessed(object, changed)).unwrap_or(false) {
        ExecutionState::request_yield();
        super::steps::note_yield();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_re_read_is_the_same_version_at_the_next_access_to_the_same_atomic() {
        let mut observed = Observed::default();
        let (a, b) = (ObjectId(3), ObjectId(4));
        assert!(!observed.observe(a, 0), "a first access");
        assert!(!observed.observe(b, 0), "another atomic");
        assert!(observed.observe(a, 0), "the same value again");
        assert!(!observed.observe(a, 1), "a write changed it in between");
        assert!(observed.observe(a, 1));
        assert!(observed.observe(b, 0));
    }

    #[test]
    fn it_remembers_the_most_recent_atomics() {
        let mut observed = Observed::default();
        for i in 0..=REMEMBERED as u32 {
            observed.observe(ObjectId(i), 0);
        }
        // The first was forgotten for the last; the others are remembered.
        assert!(!observed.observe(ObjectId(0), 0));
        assert!(observed.observe(ObjectId(REMEMBERED as u32), 0));
    }
}
