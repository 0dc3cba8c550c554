//! Happens-before for DPOR: vector clocks over the actors, and the trace of the running
//! execution, each step with its clock.
//!
//! A step happens before another when a chain of program order (steps of one actor), conflicts
//! (two steps touching one key, one of them writing, in the order they ran) and wake-ups (a
//! spawn, a notification, a timer firing, a visible step ending a yield: what made the later
//! step's thread runnable) leads from one to the other. Steps that no chain orders could have
//! run in the other order.

use std::collections::HashMap;

use crate::rt::{Access, Footprint, Key};
use crate::schedule::Actor;

/// An actor's index in vector clocks: the clock pseudo-thread, then the engine's tasks.
pub(crate) fn slot(actor: Actor) -> usize {
    match actor {
        Actor::Clock => 0,
        Actor::Thread(task) => task as usize + 1,
    }
}

/// For each actor, how many of its steps happen before (or are) a given step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct VectorClock(Vec<u32>);

impl VectorClock {
    pub(crate) fn get(&self, slot: usize) -> u32 {
        self.0.get(slot).copied().unwrap_or(0)
    }

    pub(crate) fn set(&mut self, slot: usize, value: u32) {
        if self.0.len() <= slot {
            self.0.resize(slot + 1, 0);
        }
        self.0[slot] = value;
    }

    pub(crate) fn join(&mut self, other: &VectorClock) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, &theirs) in self.0.iter_mut().zip(&other.0) {
            *mine = (*mine).max(theirs);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// The counts up to the last non-zero one (equal clocks, equal slices).
    #[cfg(test)]
    pub(crate) fn trimmed(&self) -> &[u32] {
        let len = self.0.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
        &self.0[..len]
    }
}

/// One step of the running execution.
#[derive(Debug, Clone)]
pub(crate) struct TraceStep {
    pub(crate) actor: Actor,
    /// Which steps happen before it (itself included).
    pub(crate) clock: VectorClock,
    /// Its number among its actor's steps, from 1.
    pub(crate) local: u32,
    /// What it touched (a wakeup sequence built from the trace carries it).
    pub(crate) footprint: Footprint,
}

impl TraceStep {
    /// Whether this step happens before (or is) a step whose clock is `clock`.
    pub(crate) fn precedes(&self, clock: &VectorClock) -> bool {
        clock.get(slot(self.actor)) >= self.local
    }
}

/// A step that a new step conflicts with, directly (nothing else between them on that key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Conflict {
    pub(crate) step: usize,
    /// The step whose order with the new one is the race: the conflicting step itself, except
    /// that a lock's release stands for the acquisition of the hold it ended when the new step
    /// acquires the lock waiting for it (it waited for the release: only the acquisitions can
    /// swap; a try, or an `RwLock` writer, that got the lock at its first attempt races with
    /// the release itself, see `Access::TRY`). `None`
    /// when the new step waited for it (`Access::WAITED`): they never swap.
    pub(crate) race: Option<usize>,
    /// The new step's own operation waited for that step (see `Trace::peek`): it can come
    /// before it in no execution.
    pub(crate) waited: bool,
}

/// An earlier access to a key: the step, and what it stands for in a race (see `Conflict`).
#[derive(Clone, Copy, Debug)]
struct Entry {
    step: usize,
    race: usize,
}

/// The accesses to one key that a new access can conflict with directly.
#[derive(Debug, Default)]
struct History {
    last_write: Option<Entry>,
    /// The reads since the last write, the latest of each actor.
    reads: Vec<Entry>,
    /// The updates since the last write (`Access::UPDATE`, which commute with each other), the
    /// latest of each actor.
    updates: Vec<Entry>,
}

/// The steps of the running execution with their clocks, and what the next step of each actor
/// must come after.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    pub(crate) steps: Vec<TraceStep>,
    /// By slot: the clock of the actor's latest step (its step count in its own slot).
    actors: Vec<VectorClock>,
    /// By slot: the steps that made the actor runnable since its latest step.
    wakes: Vec<VectorClock>,
    /// By slot: the index of the actor's latest step.
    latest: Vec<Option<usize>>,
    /// Lookups only (never iterated): the order of a `HashMap` cannot leak into exploration.
    history: HashMap<Key, History>,
    /// The step where each (lock, slot) hold began.
    holds: HashMap<(Key, usize), usize>,
    /// The send whose message holds each channel's one place (`Access::SLOT`): the receive
    /// that takes it gives the place back, whichever thread it is.
    places: HashMap<Key, usize>,
}

fn slot_of<T: Default>(items: &mut Vec<T>, slot: usize) -> &mut T {
    if items.len() <= slot {
        items.resize_with(slot + 1, T::default);
    }
    &mut items[slot]
}

impl Trace {
    /// Forgets the execution.
    pub(crate) fn clear(&mut self) {
        self.steps.clear();
        self.actors.clear();
        self.wakes.clear();
        self.latest.clear();
        self.history.clear();
        self.holds.clear();
        self.places.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.steps.len()
    }

    /// What the trace would say of a step `actor` took now, touching `footprint` (without
    /// appending it): its clock before its conflicts (program order and wake-ups only), the
    /// earlier steps it conflicts with directly (its own actor's included), and its clock.
    pub(crate) fn peek(&self, actor: Actor, footprint: &Footprint) -> Prospect {
        let me = slot(actor);
        let mut base = self.actors.get(me).cloned().unwrap_or_default();
        if let Some(wake) = self.wakes.get(me) {
            base.join(wake);
        }
        // A join is program order, as a wake-up is: the joiner goes on after the exit, and so
        // after everything before it (a join of a finished thread takes no scheduling point,
        // so it may share a step with what came before it).
        for (key, access) in footprint.accesses() {
            if key.is_thread() && access.waited() {
                if let Some(exit) = self.history.get(&key).and_then(|h| h.last_write) {
                    base.join(&self.steps[exit.step].clock);
                }
            }
        }
        let local = base.get(me) + 1;
        let mut conflicts = Vec::new();
        for (key, access) in footprint.accesses() {
            // Only the writes after it conflict with an unordered read (`Access::UNORDERED`).
            let Some(history) = self.history.get(&key).filter(|_| !access.unordered()) else {
                continue;
            };
            // A write conflicts with the reads and updates since the last write (each comes
            // after it), a read with the updates since it, an update with the reads; any of
            // them with the last write when nothing of those came since.
            let reads: &[Entry] = if access.write() { &history.reads } else { &[] };
            let updates: &[Entry] = if access.update() {
                &[]
            } else {
                &history.updates
            };
            let last = history
                .last_write
                .filter(|_| reads.is_empty() && updates.is_empty());
            // What a waiting access waited for: the last write, and every update since (a
            // receive that finds the channel closed waited for every sender to go).
            let waited = |step: usize| {
                history.last_write.is_some_and(|w| w.step == step)
                    || history.updates.iter().any(|u| u.step == step)
            };
            for entry in reads.iter().chain(updates).chain(&last) {
                let race = if access.waited() && waited(entry.step) {
                    None
                } else if access.acquire() && !access.tried() {
                    Some(entry.race)
                } else {
                    Some(entry.step)
                };
                // The step's own operation waited for that one: a lock it acquires that the
                // other released, or a waited access (a join, a receive, a park). Not a timer's
                // fire, which waited for the arming: it is the clock's step (whose next step
                // fires whichever timer is due, another one before that arming).
                let waited = (access.acquire() && !access.tried() && entry.race != entry.step)
                    || (race.is_none() && !key.is_timer());
                let conflict = Conflict {
                    step: entry.step,
                    race,
                    waited,
                };
                if !conflicts.contains(&conflict) {
                    conflicts.push(conflict);
                }
                // A failed send that looked at a channel's one place (`Access::SLOT`) races
                // with the send that took it too, whose message the receive since gave back.
                if access.slot() && !access.write() && entry.race != entry.step {
                    let holder = Conflict {
                        step: entry.step,
                        race: Some(entry.race),
                        waited: false,
                    };
                    if !conflicts.contains(&holder) {
                        conflicts.push(holder);
                    }
                }
            }
        }
        let mut clock = base.clone();
        for conflict in &conflicts {
            clock.join(&self.steps[conflict.step].clock);
        }
        clock.set(me, local);
        Prospect {
            actor,
            base,
            conflicts,
            clock,
            local,
            index: self.steps.len(),
            previous: self.latest.get(me).copied().flatten(),
        }
    }

    /// A write of every key a step of the execution touched: the footprint of a step whose
    /// accesses are unknown, which conflicts with every step it is not ordered after. In
    /// key order (the history is a map: its order must not leak into exploration).
    pub(crate) fn everything(&self) -> Footprint {
        let mut keys: Vec<Key> = self.history.keys().copied().collect();
        keys.sort_unstable();
        let mut footprint = Footprint::default();
        for key in keys {
            footprint.write(key);
        }
        footprint
    }

    /// Whether a step at `index` or later touched a key of `footprint`.
    pub(crate) fn touched_since(&self, footprint: &Footprint, index: usize) -> bool {
        footprint.accesses().any(|(key, _)| {
            self.history.get(&key).is_some_and(|h| {
                h.last_write.is_some_and(|w| w.step >= index)
                    || h.reads.iter().chain(&h.updates).any(|r| r.step >= index)
            })
        })
    }

    /// Appends the step `actor` just took, which touched `footprint` and made `woken` runnable;
    /// returns what [`peek`](Self::peek) says of it.
    #[cfg(test)]
    pub(crate) fn push(&mut self, actor: Actor, footprint: &Footprint, woken: &[u32]) -> Prospect {
        self.push_waking(actor, footprint, woken.iter().map(|&t| Actor::Thread(t)))
    }

    /// [`push`](Self::push), with the actors it made runnable (the clock among them).
    pub(crate) fn push_waking(
        &mut self,
        actor: Actor,
        footprint: &Footprint,
        woken: impl IntoIterator<Item = Actor>,
    ) -> Prospect {
        let prospect = self.peek(actor, footprint);
        let index = prospect.index;
        let me = slot(actor);
        slot_of(&mut self.wakes, me).clear();
        for (key, access) in footprint.accesses() {
            let race = match (access.release(), access.slot()) {
                (true, true) => self.places.remove(&key).unwrap_or(index),
                (true, false) => self.holds.remove(&(key, me)).unwrap_or(index),
                (false, _) => index,
            };
            if access.acquire() && !access.release() {
                if access.slot() {
                    self.places.insert(key, index);
                } else {
                    self.holds.insert((key, me), index);
                }
            }
            let history = self.history.entry(key).or_default();
            record(
                history,
                access,
                Entry { step: index, race },
                &self.steps,
                actor,
            );
        }
        for woken in woken {
            if woken != actor {
                slot_of(&mut self.wakes, slot(woken)).join(&prospect.clock);
            }
        }
        *slot_of(&mut self.actors, me) = prospect.clock.clone();
        *slot_of(&mut self.latest, me) = Some(index);
        self.steps.push(TraceStep {
            actor,
            clock: prospect.clock.clone(),
            local: prospect.local,
            footprint: footprint.clone(),
        });
        prospect
    }
}

impl Trace {
    /// Adds to the latest step what a timer that fired naturally inside it touched, once that
    /// step's races and the fire's are known (each was found from what it touched itself):
    /// from now on the step comes after what the fire conflicts with, and what comes after the
    /// step after the fire. `woken`: the actors the step made runnable.
    pub(crate) fn amend_last(&mut self, footprint: &Footprint, woken: &[Actor]) {
        let Some(index) = self.steps.len().checked_sub(1) else {
            return;
        };
        let actor = self.steps[index].actor;
        let prospect = self.peek(Actor::Clock, footprint);
        let mut clock = self.steps[index].clock.clone();
        for conflict in &prospect.conflicts {
            clock.join(&self.steps[conflict.step].clock);
        }
        for (key, access) in footprint.accesses() {
            let entry = Entry {
                step: index,
                race: index,
            };
            let history = self.history.entry(key).or_default();
            record(history, access, entry, &self.steps, actor);
        }
        for &woken in woken {
            if woken != actor {
                slot_of(&mut self.wakes, slot(woken)).join(&clock);
            }
        }
        *slot_of(&mut self.actors, slot(actor)) = clock.clone();
        let step = &mut self.steps[index];
        step.footprint.union(footprint);
        step.clock = clock;
    }
}

/// A step, taken or only considered, as the trace sees it.
#[derive(Debug, Clone)]
pub(crate) struct Prospect {
    pub(crate) actor: Actor,
    /// Its clock before its conflicts: program order and wake-ups only.
    pub(crate) base: VectorClock,
    /// The earlier steps it conflicts with directly.
    pub(crate) conflicts: Vec<Conflict>,
    pub(crate) clock: VectorClock,
    pub(crate) local: u32,
    /// Its index in the trace (where it is, or would be).
    pub(crate) index: usize,
    /// The index of its actor's previous step.
    pub(crate) previous: Option<usize>,
}

/// Records an access in a key's history: a write replaces everything, a read or an update
/// replaces its actor's earlier one of its kind.
fn record(history: &mut History, access: Access, entry: Entry, steps: &[TraceStep], actor: Actor) {
    if access.update() {
        history.updates.retain(|e| steps[e.step].actor != actor);
        history.updates.push(entry);
    } else if access.write() {
        history.last_write = Some(entry);
        history.reads.clear();
        history.updates.clear();
    } else {
        history.reads.retain(|e| steps[e.step].actor != actor);
        history.reads.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interleave_detector::ObjectId;

    const A: Actor = Actor::Thread(0);
    const B: Actor = Actor::Thread(1);

    fn fp(accesses: &[(u32, Access)]) -> Footprint {
        let mut footprint = Footprint::default();
        for &(object, access) in accesses {
            footprint.touch(Key::object(ObjectId(object)), access);
        }
        footprint
    }

    #[test]
    fn conflicting_steps_are_ordered_and_independent_ones_are_not() {
        let mut trace = Trace::default();
        let c0 = trace.push(A, &fp(&[(1, Access::WRITE)]), &[]).conflicts;
        let c1 = trace.push(B, &fp(&[(2, Access::WRITE)]), &[]).conflicts;
        let third = trace.push(B, &fp(&[(1, Access::READ)]), &[]);
        assert!(c0.is_empty() && c1.is_empty());
        assert_eq!(
            third.conflicts,
            [Conflict {
                step: 0,
                race: Some(0),
                waited: false,
            }]
        );
        assert!(
            !trace.steps[0].precedes(&third.base),
            "B had not seen A's write"
        );
        assert!(trace.steps[0].precedes(&trace.steps[2].clock));
        assert!(!trace.steps[0].precedes(&trace.steps[1].clock));
        assert!(
            trace.steps[1].precedes(&trace.steps[2].clock),
            "program order"
        );
    }

    #[test]
    fn a_write_conflicts_with_the_reads_since_the_last_write_not_with_the_write() {
        let mut trace = Trace::default();
        let c = Actor::Thread(2);
        trace.push(A, &fp(&[(1, Access::WRITE)]), &[]);
        trace.push(B, &fp(&[(1, Access::READ)]), &[]);
        trace.push(B, &fp(&[(1, Access::READ)]), &[]);
        trace.push(c, &fp(&[(1, Access::READ)]), &[]);
        let conflicts = trace.push(A, &fp(&[(1, Access::WRITE)]), &[]).conflicts;
        let steps: Vec<usize> = conflicts.iter().map(|c| c.step).collect();
        assert_eq!(steps, [2, 3], "B's latest read and C's");
    }

    #[test]
    fn updates_conflict_with_reads_and_writes_and_a_waited_read_with_none_of_them() {
        let mut trace = Trace::default();
        let c = Actor::Thread(2);
        trace.push(A, &fp(&[(1, Access::READ)]), &[]);
        let update = trace.push(B, &fp(&[(1, Access::UPDATE)]), &[]);
        assert_eq!(update.conflicts.len(), 1, "with A's read");
        let other = trace.push(c, &fp(&[(1, Access::UPDATE)]), &[]);
        assert_eq!(other.conflicts.len(), 1, "with A's read, not B's update");
        // A read that finds the count at zero (a blocking receive on a closed channel) follows
        // every update since the last write, and waited for each.
        let read = trace.peek(A, &fp(&[(1, Access::READ | Access::WAITED)]));
        let steps: Vec<(usize, Option<usize>, bool)> = read
            .conflicts
            .iter()
            .map(|c| (c.step, c.race, c.waited))
            .collect();
        assert_eq!(steps, [(1, None, true), (2, None, true)]);
        // A write conflicts with the updates since the last write, and the read.
        let write = trace.push(A, &fp(&[(1, Access::WRITE)]), &[]);
        let steps: Vec<usize> = write.conflicts.iter().map(|c| c.step).collect();
        assert_eq!(steps, [0, 1, 2]);
    }

    #[test]
    fn an_acquisition_races_with_the_acquisition_of_the_hold_a_release_ended() {
        let mut trace = Trace::default();
        let hold = Access::WRITE | Access::ACQUIRE;
        let release = Access::WRITE | Access::RELEASE;
        trace.push(A, &fp(&[(1, hold)]), &[]);
        trace.push(A, &fp(&[(2, Access::WRITE)]), &[]);
        trace.push(A, &fp(&[(1, release)]), &[]);
        // A try that got the lock waited for nothing: it races with the release itself.
        let tried = trace.peek(B, &fp(&[(1, hold | Access::TRY | Access::RELEASE)]));
        assert_eq!(
            tried.conflicts,
            [Conflict {
                step: 2,
                race: Some(2),
                waited: false,
            }]
        );
        let conflicts = trace
            .push(B, &fp(&[(1, hold | Access::RELEASE)]), &[])
            .conflicts;
        assert_eq!(
            conflicts,
            [Conflict {
                step: 2,
                race: Some(0),
                waited: true,
            }]
        );
        // A failed try (a read) races with the release itself.
        let conflicts = trace.push(A, &fp(&[(1, Access::READ)]), &[]).conflicts;
        assert_eq!(
            conflicts,
            [Conflict {
                step: 3,
                race: Some(3),
                waited: false,
            }]
        );
        // A join waited for the exit: ordered, never a race.
        let peeked = trace.peek(B, &fp(&[(1, Access::READ | Access::WAITED)]));
        assert_eq!(
            peeked.conflicts,
            [Conflict {
                step: 3,
                race: None,
                waited: true,
            }]
        );
        assert_eq!(trace.len(), 5, "peeking appends nothing");
    }

    #[test]
    fn a_fire_added_to_a_step_orders_what_comes_after_it() {
        // B reads the clock (0); A takes a step touching nothing (1), inside which a timer
        // fires, writing the clock. A's step is independent of B's read by itself; with the
        // fire added, it comes after it, and a later read of the clock after A's step.
        let mut trace = Trace::default();
        trace.push(B, &fp(&[(1, Access::READ)]), &[]);
        trace.push(A, &Footprint::default(), &[]);
        assert!(!trace.steps[0].precedes(&trace.steps[1].clock));
        trace.amend_last(&fp(&[(1, Access::WRITE)]), &[]);
        assert!(trace.steps[0].precedes(&trace.steps[1].clock));
        let read = trace.peek(Actor::Thread(2), &fp(&[(1, Access::READ)]));
        let steps: Vec<usize> = read.conflicts.iter().map(|c| c.step).collect();
        assert_eq!(steps, [1]);
    }

    #[test]
    fn a_wake_up_orders_the_woken_actors_next_step() {
        let mut trace = Trace::default();
        trace.push(A, &fp(&[(1, Access::WRITE)]), &[1]);
        let base = trace.push(B, &Footprint::default(), &[]).base;
        assert!(trace.steps[0].precedes(&base));
        assert_eq!(trace.steps[1].local, 1);
        let base = trace.push(Actor::Clock, &Footprint::default(), &[]).base;
        assert!(!trace.steps[0].precedes(&base));
    }

    #[test]
    fn a_join_orders_the_joiner_after_the_exit_and_what_came_before_it() {
        use interleave_detector::ThreadId;
        let mut trace = Trace::default();
        let mut exit = fp(&[(1, Access::WRITE)]);
        exit.write(Key::thread(ThreadId(1)));
        trace.push(B, &fp(&[(2, Access::WRITE)]), &[]);
        trace.push(B, &exit, &[]);
        // A's step writes what B's first step wrote, and joins B (which had finished).
        let mut join = fp(&[(2, Access::WRITE)]);
        join.touch(Key::thread(ThreadId(1)), Access::READ | Access::WAITED);
        let step = trace.push(A, &join, &[]);
        assert!(trace.steps[0].precedes(&step.base), "before the exit");
        assert!(trace.steps[1].precedes(&step.base), "the exit");
        // Without the join, B's first step is not in program order before it: a race.
        let other = trace.peek(Actor::Clock, &fp(&[(2, Access::WRITE)]));
        assert!(!trace.steps[0].precedes(&other.base));
    }
}
