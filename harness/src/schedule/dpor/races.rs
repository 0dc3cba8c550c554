//! Races: which pairs of steps could have run in the other order, and who could start the
//! execution that runs them so (source-DPOR, Abdulla et al., POPL 2014).
//!
//! Step `e` **races** with a later step `i` of another actor when they conflict and nothing
//! else orders `e` before `i`: no chain of other steps leads from one to the other. Reversing
//! the race means running, from the state before `e`, the steps after `e` that do not depend
//! on it (`notdep(e)`), then `i`'s actor. The actors that can take the first step of that
//! sequence are its **initials**; exploring any one of them from before `e` is enough.
//!
//! Optimal DPOR (Abdulla, Aronis, Jonsson, Sagonas, JACM 2017) keeps the whole sequence, a
//! [`Reversal`], and its **weak initials**: the actors whose next step can come first in it
//! (an initial, or an actor absent from it whose next step conflicts with none of it).

use super::clock::{slot, Prospect, Trace, VectorClock};
use crate::rt::{Access, Footprint, Key};
use crate::schedule::Actor;

/// The steps that race with `step` (taken last, or only considered): among its direct
/// conflicts, those of another actor that nothing else orders before it. With `chains: false`,
/// only `step`'s own clock counts (Flanagan–Godefroid's rule, which bounded POR rests on): a
/// conflict ordered before it only through another of its conflicts races too.
pub(crate) fn races(trace: &Trace, step: &Prospect, chains: bool) -> Vec<usize> {
    let (me, base, conflicts) = (step.actor, &step.base, &step.conflicts);
    let mut races = Vec::new();
    for conflict in conflicts {
        let Some(e) = conflict.race else {
            continue;
        };
        let step = &trace.steps[e];
        if step.actor == me || step.precedes(base) || races.contains(&e) {
            continue;
        }
        // The new step waited for `e` on some key (the release of a lock it acquires, the exit
        // it joins): it cannot come before `e`, whatever else both touch (a lock's race is
        // between the acquisitions). Not the clock's: its next step fires whichever timer is
        // due first, and before `e` (the arming of the timer it fired) it fires another. Under
        // a bound every race counts: its backtrack point at the latest context switch may be
        // the only way to a schedule within the bound.
        if chains && me != Actor::Clock && conflicts.iter().any(|c| c.step == e && c.waited) {
            continue;
        }
        // Through another of the new step's conflicts: `e` before it, it before the new step.
        // When `e` stands for a hold of a lock (it acquired what `conflict.step` released), the
        // holder's steps inside the hold move with it: a chain through them does not count.
        let in_hold = |k: usize| {
            e != conflict.step && e <= k && k <= conflict.step && trace.steps[k].actor == step.actor
        };
        let through_another = chains
            && conflicts.iter().any(|other| {
                other.step != conflict.step
                    && other.step != e
                    && !in_hold(other.step)
                    && step.precedes(&trace.steps[other.step].clock)
            });
        if !through_another {
            races.push(e);
        }
    }
    races
}

/// The initials of `notdep(e).p`, where `p` is the actor of `step` (taken last, or only
/// considered): the actors whose first step in that sequence follows no other step of it.
pub(crate) fn initials(trace: &Trace, e: usize, step: &Prospect) -> Vec<Actor> {
    let steps = &trace.steps;
    let first = &steps[e];
    // Per actor seen in the sequence: its slot and the number of its first step there. An
    // actor's steps in it are consecutive ones of its own, so a step follows one of them iff
    // its clock has reached that first one.
    let mut seen: Vec<(Actor, u32)> = Vec::new();
    let mut initials = Vec::new();
    let mut consider = |actor: Actor, local: u32, clock: &VectorClock| {
        if seen.iter().any(|&(a, _)| a == actor) {
            return;
        }
        let follows = seen
            .iter()
            .any(|&(a, l)| clock.get(super::clock::slot(a)) >= l);
        if !follows {
            initials.push(actor);
        }
        seen.push((actor, local));
    };
    for between in &steps[e + 1..step.index] {
        if !first.precedes(&between.clock) {
            consider(between.actor, between.local, &between.clock);
        }
    }
    consider(step.actor, step.local, &step.clock);
    initials
}

/// What the step that raced with `e` (which touched `racer`) is taken to touch when a
/// reversal runs it before `e`: what it touched (`footprint`), and a yield if it read something
/// `e` wrote. Reading another value, it may end by yielding where it did not: a loop that
/// yields while its flag is unset, a re-read that spins only if nothing changed the value since
/// the thread last read it (`rt::progress`). A yield conflicts with every other thread's
/// visible step (`Key::YIELDS`); without it, an actor asleep where the reversal starts could
/// seem to commute with the whole sequence, which would be taken as explored when it was not.
/// Its other accesses are kept as they ran, though what it does after its announced operation
/// without a scheduling point of its own (a release, an exit, a channel end's drop) may vary
/// with the value too. (The gap the oracle once showed in a spin's reversal was not this but
/// the step that let the spinning thread go on, which now writes `Key::YIELDS`: see
/// `end_step`.)
fn before_its_racer(racer: &Footprint, footprint: &Footprint) -> Footprint {
    let mut footprint = footprint.clone();
    let yields = footprint
        .accesses()
        .any(|(key, access)| key == Key::YIELDS && access.write());
    let reads_its_write = racer.accesses().any(|(key, access)| {
        access.write()
            && key != Key::YIELDS
            && key != Key::PROGRESS
            && footprint.accesses().any(|(k, _)| k == key)
    });
    if reads_its_write && !yields {
        footprint.touch(Key::YIELDS, Access::UPDATE);
    }
    footprint
}

/// One step of a [`Reversal`], as it ran.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) actor: Actor,
    pub(crate) footprint: Footprint,
    /// Its number among its actor's steps, and its clock, in the execution it comes from.
    local: u32,
    clock: VectorClock,
}

/// The execution that reverses a race `(e, step)`, from the state before `e`: `notdep(e)`,
/// the steps after `e` that do not depend on it, in the order they ran, then `step`'s actor.
/// Happens-before among its steps is the trace's.
#[derive(Debug, Clone)]
pub(crate) struct Reversal {
    pub(crate) events: Vec<Event>,
}

impl Reversal {
    /// The reversal of the race between `e` and `step` (taken last, or only considered),
    /// which touches `footprint`.
    pub(crate) fn new(trace: &Trace, e: usize, step: &Prospect, footprint: &Footprint) -> Self {
        let first = &trace.steps[e];
        let mut events: Vec<Event> = trace.steps[e + 1..step.index]
            .iter()
            .filter(|between| !first.precedes(&between.clock))
            .map(|between| Event {
                actor: between.actor,
                footprint: between.footprint.clone(),
                local: between.local,
                clock: between.clock.clone(),
            })
            .collect();
        events.push(Event {
            actor: step.actor,
            footprint: before_its_racer(&first.footprint, footprint),
            local: step.local,
            clock: step.clock.clone(),
        });
        Reversal { events }
    }

    /// Whether event `i` happens before event `j` (`i < j`).
    fn precedes(&self, i: usize, j: usize) -> bool {
        let (before, after) = (&self.events[i], &self.events[j]);
        after.clock.get(slot(before.actor)) >= before.local
    }

    /// The first event of `actor` not `removed`.
    pub(crate) fn first_of(&self, removed: &[bool], actor: Actor) -> Option<usize> {
        (0..self.events.len()).find(|&k| !removed[k] && self.events[k].actor == actor)
    }

    /// Whether an actor that starts the reversal (an initial event's) waited for its own
    /// timer there: the timer fired inside that event, naturally (no other thread could run),
    /// and ended the actor's wait. `allowed`: the actors that can run where the reversal
    /// starts, none of which starts it.
    pub(crate) fn starts_on_its_timer(&self, allowed: impl Fn(Actor) -> bool) -> bool {
        let none = vec![false; self.events.len()];
        let initials: Vec<&Event> = (0..self.events.len())
            .filter(|&k| self.initial(&none, k))
            .map(|k| &self.events[k])
            .collect();
        !initials.iter().any(|event| allowed(event.actor))
            && initials.iter().any(|event| {
                let Actor::Thread(t) = event.actor else {
                    return false;
                };
                let timer = Key::timer(interleave_detector::ThreadId(t));
                event
                    .footprint
                    .accesses()
                    .any(|(key, access)| key == timer && access.waited())
            })
    }

    /// Whether event `k` follows none of the events before it that are not `removed`.
    pub(crate) fn initial(&self, removed: &[bool], k: usize) -> bool {
        !(0..k).any(|i| !removed[i] && self.precedes(i, k))
    }

    /// Whether `actor`, whose next step touches `footprint`, is a weak initial of the events
    /// not `removed`: its first step among them is an initial, or it has none and its next
    /// step conflicts with none of them (it can run first, and the rest runs the same).
    pub(crate) fn weak_initial(
        &self,
        removed: &[bool],
        actor: Actor,
        footprint: &Footprint,
    ) -> bool {
        match self.first_of(removed, actor) {
            Some(k) => self.initial(removed, k),
            None => self
                .events
                .iter()
                .zip(removed)
                .all(|(event, &gone)| gone || !event.footprint.conflicts(footprint)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rt::{Access, Footprint, Key};
    use interleave_detector::ObjectId;

    const A: Actor = Actor::Thread(0);
    const B: Actor = Actor::Thread(1);
    const C: Actor = Actor::Thread(2);

    fn fp(accesses: &[(u32, Access)]) -> Footprint {
        let mut footprint = Footprint::default();
        for &(object, access) in accesses {
            footprint.touch(Key::object(ObjectId(object)), access);
        }
        footprint
    }

    /// Pushes steps; returns the races of each, and the last step.
    fn run(steps: &[(Actor, Footprint)]) -> (Trace, Vec<Vec<usize>>, Prospect) {
        let mut trace = Trace::default();
        let mut all = Vec::new();
        let mut last = None;
        for (actor, footprint) in steps {
            let step = trace.push(*actor, footprint, &[]);
            all.push(races(&trace, &step, true));
            last = Some(step);
        }
        (trace, all, last.expect("steps"))
    }

    #[test]
    fn only_the_immediate_race_counts() {
        // A writes x, B writes x, C writes x: C races with B only (A is ordered before C
        // through B).
        let w = fp(&[(1, Access::WRITE)]);
        let (_, races, _) = run(&[(A, w.clone()), (B, w.clone()), (C, w)]);
        assert_eq!(races, [vec![], vec![0], vec![1]]);
    }

    #[test]
    fn a_hold_races_as_a_whole_with_the_next_acquisition() {
        // A takes lock 1 (0), writes x inside (1), releases (2); B takes lock 1 and reads x in
        // one step (3). B's acquisition races with A's (0), though A's write inside the hold
        // also conflicts with B's step: the hold moves as a block.
        let hold = Access::WRITE | Access::ACQUIRE;
        let (_, all, _) = run(&[
            (A, fp(&[(1, hold)])),
            (A, fp(&[(2, Access::WRITE)])),
            (A, fp(&[(1, Access::WRITE | Access::RELEASE)])),
            (B, fp(&[(1, hold | Access::RELEASE), (2, Access::READ)])),
        ]);
        assert_eq!(all[3], [0]);
    }

    #[test]
    fn a_step_that_waited_for_another_never_races_with_it() {
        // A takes lock 1 (0), releases it and writes x in one step (1); B's step acquires lock 1
        // and reads x (2). B waited for A's release: the race is with A's acquisition, not
        // with the step that released, though both touch x too (B's acquisition cannot come
        // before that release in any execution).
        let hold = Access::WRITE | Access::ACQUIRE;
        let (_, all, _) = run(&[
            (A, fp(&[(1, hold)])),
            (
                A,
                fp(&[(1, Access::WRITE | Access::RELEASE), (2, Access::WRITE)]),
            ),
            (B, fp(&[(1, hold), (2, Access::READ)])),
        ]);
        assert_eq!(all[2], [0]);
    }

    #[test]
    fn reads_race_with_a_write_and_not_with_each_other() {
        let (r, w) = (fp(&[(1, Access::READ)]), fp(&[(1, Access::WRITE)]));
        let (_, races, _) = run(&[(A, r.clone()), (B, r), (C, w)]);
        assert_eq!(races, [vec![], vec![], vec![0, 1]]);
    }

    #[test]
    fn a_race_ordered_through_another_object_is_no_race() {
        // A: write x, write y. B: read y, then read x: x is ordered through y.
        let (_, races, _) = run(&[
            (A, fp(&[(1, Access::WRITE)])),
            (A, fp(&[(2, Access::WRITE)])),
            (B, fp(&[(2, Access::READ)])),
            (B, fp(&[(1, Access::READ)])),
        ]);
        assert_eq!(races, [vec![], vec![], vec![1], vec![]]);
        // Under Flanagan–Godefroid's rule, B's read of x races with A's write too: nothing
        // orders it before B's own clock but the chain through y.
        let mut trace = Trace::default();
        trace.push(A, &fp(&[(1, Access::WRITE)]), &[]);
        trace.push(A, &fp(&[(2, Access::WRITE)]), &[]);
        let both = trace.push(B, &fp(&[(2, Access::READ), (1, Access::READ)]), &[]);
        assert_eq!(super::races(&trace, &both, true), [1]);
        assert_eq!(super::races(&trace, &both, false), [1, 0]);
    }

    #[test]
    fn initials_are_the_actors_that_can_start_the_reversal() {
        // A writes x (0); C takes an independent step (1); B writes y (2); B writes x (3).
        // Reversing (0, 3): notdep(0) = [1, 2], then B: C and B can start it.
        let (trace, all, last) = run(&[
            (A, fp(&[(1, Access::WRITE)])),
            (C, fp(&[(3, Access::WRITE)])),
            (B, fp(&[(2, Access::WRITE)])),
            (B, fp(&[(1, Access::WRITE)])),
        ]);
        assert_eq!(all[3], [0]);
        assert_eq!(initials(&trace, 0, &last), [C, B]);
        // If C's step read y after B wrote it, B starts the sequence and C follows it.
        let (trace, _, last) = run(&[
            (A, fp(&[(1, Access::WRITE)])),
            (B, fp(&[(2, Access::WRITE)])),
            (C, fp(&[(2, Access::READ)])),
            (B, fp(&[(1, Access::WRITE)])),
        ]);
        assert_eq!(initials(&trace, 0, &last), [B]);
        // A step only considered (the clock's pending fire, say) has races too.
        let (trace, _, _) = run(&[
            (A, fp(&[(1, Access::WRITE)])),
            (B, fp(&[(2, Access::WRITE)])),
        ]);
        let fire = trace.peek(Actor::Clock, &fp(&[(1, Access::WRITE)]));
        assert_eq!(races(&trace, &fire, true), [0]);
        assert_eq!(initials(&trace, 0, &fire), [B, Actor::Clock]);
    }
}
