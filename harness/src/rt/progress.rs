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
//! is a re-read. A re-read **spins** when it is made from the same place in the code as the
//! previous access and the thread changed no atomic's value since (a loop going round, only
//! looking), when it is the second re-read in a row with no such change (a loop whose
//! iterations read the atomic from two places, as a seqlock reader does), or when it is the
//! fourth in a row whatever the thread did in between (a loop that writes a counter each time
//! round while it waits). A thread that
//! spins waits for another thread, as if it had called `yield_now`, so the strategies let
//! another thread run (loom treats its spin hint the same way). Without it, PCT would keep
//! running a top-priority spinner and starve the thread it waits for, and exhaustive
//! exploration would follow a spin loop forever. A single re-read from another place is not
//! spinning: double-checked initialisation loads a flag, takes a lock and loads it again, and
//! whether another thread runs in between is a choice to explore, not a given. Nor are a few
//! re-reads by a thread that changes something between them: a function that reads a pointer
//! set once (sharded-slab's shard table) is called again after the thread's own updates;
//! taken for a spin, each such call made a yield, and exhaustive exploration ran one execution
//! per place the yield could sit among the other threads' steps (25 where loom runs 7, on one
//! of sharded-slab's tests; 4 now).
//!
//! Reading the virtual clock (`Instant::now`) follows the same rule, the clock standing for an
//! atomic that only timers change: a loop polling the clock until a deadline spins, while a
//! thread that reads the clock once and goes on (to measure a sleep, say) does not wait for
//! anybody.

use interleave_detector::{EventKind, ObjectId, Site};
use shuttle_engine::runtime::execution::ExecutionState;

use super::context::{with, Context};

/// How many atomics a thread remembers its last observation of: enough for the loops that
/// spin on a few atomics (a seqlock reader reads three).
const REMEMBERED: usize = 8;

/// How many re-reads in a row spin when the thread changes something between them: a loop
/// that writes each time round (a counter) while it waits. Fewer would take a function that
/// reads a value set once, called again after the thread's own updates, for such a loop.
const REREADS_WRITING: u32 = 4;

/// A thread's last observation of the atomics it touched most recently.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Observed {
    entries: [Option<Observation>; REMEMBERED],
    /// The entry to replace next.
    next: usize,
    /// The last read of the virtual clock: kept apart, so that a loop polling the clock while
    /// it touches more atomics than the table holds still spins.
    clock: Option<Observation>,
    /// How many times the thread changed an atomic's value: a re-read from the same site after
    /// a change of its own is not a loop only looking.
    changes: u32,
}

/// The last access of a thread to an atomic: the atomic's version there (an atomic's version
/// counts the writes that changed its value), where in the code it was made, and how many
/// re-reads in a row it ended.
#[derive(Debug, Clone, Copy)]
struct Observation {
    object: ObjectId,
    version: u32,
    site: u64,
    rereads: u32,
    /// The thread's count of changes ([`Observed::changes`]) then.
    changes: u32,
}

impl Observed {
    /// Records that the thread observed `version` of `object` from `site` (see [`site_key`]);
    /// returns whether it spins under the rule the module describes (the same version as at
    /// its previous access: from the same site, or again and again in a row).
    fn observe(&mut self, object: ObjectId, version: u32, site: u64) -> bool {
        let changes = self.changes;
        for entry in self.entries.iter_mut().flatten() {
            if entry.object == object {
                return entry.again(version, site, changes);
            }
        }
        self.entries[self.next] = Some(Observation::first(object, version, site, changes));
        self.next = (self.next + 1) % REMEMBERED;
        false
    }

    /// [`observe`](Self::observe) for the virtual clock at `version` (how many times it moved).
    fn observe_clock(&mut self, version: u32, site: u64) -> bool {
        let changes = self.changes;
        match &mut self.clock {
            Some(entry) => entry.again(version, site, changes),
            None => {
                self.clock = Some(Observation::first(CLOCK, version, site, changes));
                false
            }
        }
    }
}

impl Observation {
    fn first(object: ObjectId, version: u32, site: u64, changes: u32) -> Observation {
        Observation {
            object,
            version,
            site,
            rereads: 0,
            changes,
        }
    }

    /// Observes `version` from `site` again, the thread having made `changes` so far: whether
    /// that spins.
    fn again(&mut self, version: u32, site: u64, changes: u32) -> bool {
        let again = self.version == version;
        self.rereads = if again { self.rereads + 1 } else { 0 };
        // Nothing changed by the thread since its previous access: a loop only looking.
        let still = self.changes == changes;
        let spins = again
            && ((still && (self.site == site || self.rereads >= 2))
                || self.rereads >= REREADS_WRITING);
        self.version = version;
        self.site = site;
        self.changes = changes;
        spins
    }
}

/// A site as the spin rule compares them, cheaply: its file name's address (a call site's is
/// the same static string every time), line and column. Only compared for equality, within
/// one execution; two sites that gave the same key would only make a single re-read spin, as
/// one from the same site does.
pub(crate) fn site_key(site: &Site) -> u64 {
    let file = site.file.as_ptr() as u64;
    file.rotate_left(32) ^ (u64::from(site.line) << 16) ^ u64::from(site.column)
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
    /// After an atomic access of the current thread from `site` (`changed`: it changed the
    /// value): counts the progress, and returns whether the access spins under the spin rule.
    fn atomic_accessed(&mut self, object: ObjectId, changed: bool, site: u64) -> bool {
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
        let observed = &mut self.thread_mut(current).observed;
        if changed {
            observed.changes = observed.changes.wrapping_add(1);
        }
        let spins = observed.observe(object, version, site);
        spins && !changed
    }
}

/// The spin rule's key for the virtual clock (no object has it).
const CLOCK: ObjectId = ObjectId(u32::MAX);

/// After the current thread read the virtual clock from the site `site_key` gives: applies
/// the spin rule (the clock re-read from the same place, unmoved, is a poll going round).
pub(crate) fn clock_read(site: u64) {
    let spins = with(|c| {
        let version = c.clock_moves;
        let current = c.current;
        c.thread_mut(current).observed.observe_clock(version, site)
    })
    .unwrap_or(false);
    if spins {
        ExecutionState::request_yield();
        super::steps::note_yield();
    }
}

/// After an atomic access of the current thread from the site `site_key` gives: counts
/// progress, and applies the spin rule (a thread that spins has its next scheduling point a
/// yield).
pub(crate) fn atomic_accessed(object: ObjectId, changed: bool, site: u64) {
    if with(|c| c.atomic_accessed(object, changed, site)).unwrap_or(false) {
        ExecutionState::request_yield();
        super::steps::note_yield();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_re_read_from_the_same_site_spins() {
        let mut observed = Observed::default();
        let (a, b) = (ObjectId(3), ObjectId(4));
        assert!(!observed.observe(a, 0, 1), "a first access");
        assert!(!observed.observe(b, 0, 1), "another atomic");
        assert!(observed.observe(a, 0, 1), "the same value again, same site");
        assert!(!observed.observe(a, 1, 1), "a write changed it in between");
        assert!(observed.observe(a, 1, 1));
        assert!(observed.observe(b, 0, 1));
    }

    #[test]
    fn a_re_read_from_another_site_spins_the_second_time_in_a_row() {
        // Double-checked initialisation: the flag loaded on the fast path (site 1), then under
        // the lock (site 2): not spinning.
        let mut observed = Observed::default();
        let flag = ObjectId(3);
        assert!(!observed.observe(flag, 0, 1));
        assert!(
            !observed.observe(flag, 0, 2),
            "one re-read from another site"
        );
        // A loop reading it from two sites (a seqlock reader's two loads of the sequence):
        // its next re-read spins, wherever it is made.
        assert!(observed.observe(flag, 0, 1), "the second re-read in a row");
        assert!(observed.observe(flag, 0, 2));
        // A change starts over.
        assert!(!observed.observe(flag, 1, 1));
        assert!(!observed.observe(flag, 1, 2));
    }

    #[test]
    fn re_reads_after_changes_of_its_own_spin_from_the_fourth_in_a_row() {
        // A function reading a pointer set once, called again after the thread updated
        // another atomic (sharded-slab's `Ptr::load`): not a loop only looking.
        let mut observed = Observed::default();
        let (table, state) = (ObjectId(3), ObjectId(4));
        assert!(!observed.observe(table, 0, 1));
        let mut spins = Vec::new();
        for round in 1..=5 {
            observed.changes += 1;
            assert!(!observed.observe(state, round, 2), "its own change");
            spins.push(observed.observe(table, 0, 1));
        }
        // A loop that writes each time round and waits for the value to change spins too, from
        // its fourth re-read.
        assert_eq!(spins, [false, false, false, true, true]);
        // With no change in between, a re-read from the same site spins at once.
        assert!(!observed.observe(state, 6, 2));
        assert!(observed.observe(state, 6, 2));
    }

    #[test]
    fn the_clock_polled_among_more_atomics_than_are_remembered_still_spins() {
        // A loop reading the clock and loading 8 other atomics each time round: the atomics
        // take every slot of the table in turn, and the clock keeps its own.
        let mut observed = Observed::default();
        let mut spins = Vec::new();
        for _round in 0..3 {
            spins.push(observed.observe_clock(0, 1));
            for atomic in 0..REMEMBERED as u32 {
                observed.observe(ObjectId(10 + atomic), 0, 2);
            }
        }
        assert_eq!(spins, [false, true, true]);
        // The clock moved: a read of a new time does not spin.
        assert!(!observed.observe_clock(1, 1));
    }

    #[test]
    fn it_remembers_the_most_recent_atomics() {
        let mut observed = Observed::default();
        for i in 0..=REMEMBERED as u32 {
            observed.observe(ObjectId(i), 0, 1);
        }
        // The first was forgotten for the last; the others are remembered.
        assert!(!observed.observe(ObjectId(0), 0, 1));
        assert!(observed.observe(ObjectId(REMEMBERED as u32), 0, 1));
    }
}
