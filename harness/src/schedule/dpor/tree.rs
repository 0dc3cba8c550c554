//! The exploration tree: a node per step of the execution being explored, each with who may
//! take the step, who took it, who is still to take it there, and who is asleep there (sleep
//! sets: explored from an earlier node, and independent of every step since, so exploring it
//! again would only repeat an execution).
//!
//! Without a bound, who is still to take a step at a node is a **wakeup tree** (optimal DPOR,
//! Abdulla, Aronis, Jonsson, Sagonas, JACM 2017): not one actor per race, but the whole
//! sequence that reverses it, merged with the sequences already there, so that the execution
//! that follows it runs the reversal and is not sleep-set blocked (as long as what a step
//! touches does not depend on the order of the steps before it). A sequence goes in unless
//! an actor asleep there can start it (the reversal was explored), and it is merged into a
//! branch whose first actor can start it (that branch's executions include it).
//!
//! With a preemption bound, a node keeps a backtrack set, as source-DPOR does, and only takes
//! an actor whose choice keeps the preemptions along the path within the bound; a race also
//! adds its actor at the latest context switch before the race (bounded partial-order
//! reduction, Coons et al., OOPSLA 2013, as loom does), and sleep sets are off (they are not
//! sound with a bound; nor are wakeup trees, which rest on them).

use super::races::Reversal;
use crate::rt::Footprint;
use crate::schedule::{Actor, Node as Point};

/// How races are reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reduction {
    /// Wakeup trees and sleep sets: one execution per Mazurkiewicz trace.
    Optimal,
    /// A backtrack set of one initial per race, with sleep sets (source-DPOR).
    Source,
    /// A backtrack set within a preemption bound, no sleep sets (bounded POR).
    Bounded(u32),
}

/// A branch of a wakeup tree: an actor to run, what its step touched when the sequence was
/// found, and what to run after it.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    actor: Actor,
    footprint: Footprint,
    children: Vec<Branch>,
}

/// A scheduling point of the current path.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Who may take the step here (see [`Point`]).
    pub(crate) enabled: Vec<u32>,
    pub(crate) clock: bool,
    pub(crate) running: Option<u32>,
    pub(crate) waiting: Vec<u32>,
    pub(crate) clock_waits: bool,
    /// The path digest when the node was first reached: a re-run must reach it the same way.
    pub(crate) digest: u64,
    /// Who takes the step here in the current execution.
    pub(crate) chosen: Actor,
    /// Every actor to explore here, explored or not (with a bound, or source-DPOR).
    backtrack: Vec<Actor>,
    /// The branches of the wakeup tree still to explore here (optimal DPOR).
    wakeup: Vec<Branch>,
    /// The actors explored here, in order.
    explored: Vec<Actor>,
    /// The explored actors whose step completed, with what it touched.
    done: Vec<(Actor, Footprint)>,
    sleep: Vec<(Actor, Footprint)>,
    /// Preemptions along the path before this node.
    preemptions: u32,
}

impl Node {
    pub(crate) fn point(&self) -> Point<'_> {
        Point {
            enabled: &self.enabled,
            clock: self.clock,
            fire: None,
            running: self.running,
            waiting: &self.waiting,
            clock_waits: self.clock_waits,
        }
    }

    fn asleep(&self, actor: Actor) -> bool {
        self.sleep.iter().any(|(a, _)| *a == actor)
    }
}

#[derive(Debug)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
    pub(crate) bound: Option<u32>,
    /// The bound kept a choice or a backtrack point from being explored: the exploration is a
    /// bounded sample. While it has not, it explores at least what unbounded source-DPOR
    /// without sleep sets would (more races, more backtrack points), so it is complete.
    pub(crate) pruned: bool,
    reduction: Reduction,
    /// The wakeup tree below the branch the deepest node took: what the next new node runs.
    handed: Vec<Branch>,
}

impl Tree {
    pub(crate) fn new(reduction: Reduction) -> Self {
        let bound = match reduction {
            Reduction::Bounded(bound) => Some(bound),
            Reduction::Optimal | Reduction::Source => None,
        };
        Tree {
            nodes: Vec::new(),
            bound,
            pruned: false,
            reduction,
            handed: Vec::new(),
        }
    }

    fn sleep_sets(&self) -> bool {
        self.bound.is_none()
    }

    /// Whether races go into wakeup trees (as whole sequences) rather than backtrack sets.
    pub(crate) fn optimal(&self) -> bool {
        self.reduction == Reduction::Optimal
    }

    /// Whether a race counts only when nothing else orders it (source-DPOR); bounded POR
    /// takes every conflict its racer's clock does not order.
    pub(crate) fn immediate_races(&self) -> bool {
        self.bound.is_none()
    }

    /// Whether the bound lets node `at` take `actor`.
    fn allowed(&self, at: usize, actor: Actor) -> bool {
        let node = &self.nodes[at];
        self.bound
            .is_none_or(|bound| node.preemptions + u32::from(node.point().preempts(actor)) <= bound)
    }

    /// A point reached for the first time, with `sleep` asleep there: appends its node and
    /// picks who runs (the running thread if it may, else the lowest enabled thread, else the
    /// clock). `None` if every actor that may run is asleep: the execution only repeats
    /// explored ones from here.
    pub(crate) fn push(
        &mut self,
        point: &Point<'_>,
        digest: u64,
        sleep: Vec<(Actor, Footprint)>,
    ) -> Option<Actor> {
        let preemptions = self.nodes.last().map_or(0, |parent| {
            parent.preemptions + u32::from(parent.point().preempts(parent.chosen))
        });
        let mut node = Node {
            enabled: point.enabled.to_vec(),
            clock: point.clock,
            running: point.running,
            waiting: point.waiting.to_vec(),
            clock_waits: point.clock_waits,
            digest,
            chosen: Actor::Clock,
            backtrack: Vec::new(),
            wakeup: Vec::new(),
            explored: Vec::new(),
            done: Vec::new(),
            sleep: if self.sleep_sets() { sleep } else { Vec::new() },
            preemptions,
        };
        // A wakeup tree handed down: its first branch that can run here is taken, the others
        // wait here. (A branch that cannot run here would be a sequence that cannot run, or one
        // that an actor asleep here starts; neither is inserted, but the program may have
        // taken another path since.)
        for branch in std::mem::take(&mut self.handed) {
            if !point.allows(branch.actor) || node.asleep(branch.actor) {
                continue;
            }
            if node.explored.is_empty() {
                node.chosen = branch.actor;
                node.explored.push(branch.actor);
                self.handed = branch.children;
            } else {
                node.wakeup.push(branch);
            }
        }
        if !node.explored.is_empty() {
            let chosen = node.chosen;
            self.nodes.push(node);
            return Some(chosen);
        }
        let candidates = point
            .running
            .map(Actor::Thread)
            .into_iter()
            .chain(point.enabled.iter().map(|&t| Actor::Thread(t)))
            .chain(point.clock.then_some(Actor::Clock));
        let mut chosen = None;
        for actor in candidates {
            let free = self
                .bound
                .is_none_or(|bound| preemptions + u32::from(point.preempts(actor)) <= bound);
            if !node.asleep(actor) && free {
                chosen = Some(actor);
                break;
            }
            self.pruned |= !free;
        }
        if let Some(actor) = chosen {
            node.chosen = actor;
            node.backtrack.push(actor);
            node.explored.push(actor);
        }
        self.nodes.push(node);
        chosen
    }

    /// The step at node `at` completed, having touched `footprint`: records it, and returns
    /// the sleep set of the node after it (what slept here or was explored here before, and is
    /// independent of this step).
    pub(crate) fn done(&mut self, at: usize, footprint: &Footprint) -> Vec<(Actor, Footprint)> {
        let sleep_sets = self.sleep_sets();
        let node = &mut self.nodes[at];
        let actor = node.chosen;
        let sleep = if sleep_sets {
            node.sleep
                .iter()
                .chain(&node.done)
                .filter(|(a, f)| *a != actor && !f.conflicts(footprint))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        // Under the weak memory model the same actor may complete its step here again, having
        // read another store: it sleeps below only where no footprint it had conflicts.
        match node.done.iter_mut().find(|(a, _)| *a == actor) {
            Some((_, known)) => known.union(footprint),
            None => node.done.push((actor, footprint.clone())),
        }
        sleep
    }

    /// The deepest node with an actor still to explore, as [`backtrack`](Self::backtrack)
    /// would take it, without taking it.
    pub(crate) fn deepest_open(&self) -> Option<usize> {
        self.nodes.iter().rposition(|node| {
            !node.wakeup.is_empty()
                || node
                    .backtrack
                    .iter()
                    .any(|a| !node.explored.contains(a) && !node.asleep(*a))
        })
    }

    /// Keeps the first `len` nodes: the next execution re-runs them and goes on from there.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.nodes.truncate(len);
        self.handed.clear();
    }

    /// Whether the step at node `at` made `actor` enabled: it could not run before that step
    /// (and was not waiting for just any step, as after a yield), and could after.
    pub(crate) fn enabled_by(&self, at: usize, actor: Actor) -> bool {
        let before = self.nodes[at].point();
        !before.allows(actor)
            && !before.waits(actor)
            && self
                .nodes
                .get(at + 1)
                .is_some_and(|next| next.point().allows(actor))
    }

    /// A race with the step at node `at` of a thread that step seemed to enable: if a timer
    /// could fire early there, the thread may only have waited for its timer, which fired
    /// naturally once no other thread could run (after that step); fired early, it lets the
    /// thread run before that step. The clock is explored there.
    /// Under a bound, firing there preempts the thread running: also where its block of steps
    /// began, as `add_bounded` does.
    pub(crate) fn add_clock(&mut self, at: usize) {
        let start = self.bound.map(|_| self.block_start(at));
        for node in std::iter::once(at).chain(start) {
            if self.nodes[node].clock {
                self.add_allowed(node, &[Actor::Clock]);
            }
        }
    }

    /// A race whose reversal starts at node `at`, where no actor can start it, one of those
    /// that could waiting there for its own timer (which fired naturally inside its step, once
    /// no other thread could run): fired early at `at`, the timer lets it start the reversal.
    /// The clock is explored there (`add_clock`).
    pub(crate) fn add_clock_for(&mut self, at: usize, reversal: &Reversal) {
        let point = self.nodes[at].point();
        if point.clock && reversal.starts_on_its_timer(|actor| point.allows(actor)) {
            self.add_clock(at);
        }
    }

    /// A race whose reversal starts at node `at`, with the step of `racer`: `initials` are the
    /// actors that can start it (source-DPOR adds one of them, unless one is already to be
    /// explored or asleep there).
    pub(crate) fn add(&mut self, at: usize, racer: Actor, initials: &[Actor]) {
        let point = self.nodes[at].point();
        let valid: Vec<Actor> = initials
            .iter()
            .copied()
            .filter(|&a| point.allows(a))
            .collect();
        // None can run there: the racer waited for that step (a join, a receive, a lock), so
        // the two cannot swap; unless one waits there after a yield (see `add_every`).
        if valid.is_empty() {
            if initials.iter().any(|&a| point.waits(a)) {
                self.add_every(at);
                if self.bound.is_some() {
                    // The bound may forbid every other actor there (the thread running at
                    // `at` could go on): as `add_bounded` does, at the latest context switch
                    // too, where switching may be free.
                    self.add_every(self.block_start(at));
                }
            } else if initials.contains(&Actor::Clock) {
                self.add_clock_earlier(at);
            }
            return;
        }
        if self.bound.is_some() {
            self.add_bounded(at, racer, &valid);
            return;
        }
        let node = &mut self.nodes[at];
        if valid
            .iter()
            .any(|&a| node.backtrack.contains(&a) || node.asleep(a))
        {
            return;
        }
        let pick = if valid.contains(&racer) {
            racer
        } else {
            valid[0]
        };
        node.backtrack.push(pick);
    }

    /// Optimal DPOR: a race whose reversal starts at node `at`. The sequence goes into the
    /// node's wakeup tree unless an actor asleep or explored there can start it (the
    /// reversal was explored), or no actor that can start it may run there (the racer waited
    /// for that step: a join, a receive, a lock).
    pub(crate) fn insert(&mut self, at: usize, reversal: &Reversal) {
        let node = &mut self.nodes[at];
        let events = &reversal.events;
        let mut removed = vec![false; events.len()];
        let point = node.point();
        let Some(first) = (0..events.len())
            .find(|&k| reversal.initial(&removed, k) && point.allows(events[k].actor))
        else {
            if (0..events.len())
                .any(|k| reversal.initial(&removed, k) && point.waits(events[k].actor))
            {
                self.add_every(at);
            }
            return;
        };
        if node
            .sleep
            .iter()
            .chain(&node.done)
            .any(|(actor, footprint)| reversal.weak_initial(&removed, *actor, footprint))
        {
            return;
        }
        let mut branches = &mut node.wakeup;
        let mut first = Some(first);
        loop {
            let found = branches
                .iter()
                .position(|b| reversal.weak_initial(&removed, b.actor, &b.footprint));
            let Some(i) = found else {
                break;
            };
            // The branch's first actor can start the sequence: its executions run it, if it
            // ends here (any execution from there reverses the race, DPOR's guarantee), or if
            // the rest of the sequence goes into its subtree.
            let branch = &mut branches[i];
            if branch.children.is_empty() {
                return;
            }
            if let Some(k) = reversal.first_of(&removed, branch.actor) {
                removed[k] = true;
            }
            if removed.iter().all(|&gone| gone) {
                return;
            }
            branches = &mut branch.children;
            first = None;
        }
        // A new branch: the actor that starts the sequence, then the rest in the order it ran.
        let order = first
            .into_iter()
            .chain((0..events.len()).filter(|&k| !removed[k] && Some(k) != first));
        let mut chain: Vec<&super::races::Event> = order.map(|k| &events[k]).collect();
        let mut branch: Option<Branch> = None;
        while let Some(event) = chain.pop() {
            branch = Some(Branch {
                actor: event.actor,
                footprint: event.footprint.clone(),
                children: branch.into_iter().collect(),
            });
        }
        branches.extend(branch);
    }

    /// Bounded POR: the actors at `at`; and, since the bound may forbid them there, the racer
    /// at every earlier node of the block of steps the same actor took up to `at` (switching
    /// there may cost no more: the racer may then wait, as for a lock that actor holds, and
    /// switching back is free), with every actor at the block's first node (Coons et al.'s
    /// backtrack point at the latest context switch; loom's).
    fn add_bounded(&mut self, at: usize, racer: Actor, valid: &[Actor]) {
        let targets = if valid.contains(&racer) {
            vec![racer]
        } else {
            valid.to_vec()
        };
        self.add_allowed(at, &targets);
        let start = self.block_start(at);
        for node in start..at {
            if self.nodes[node].point().allows(racer) {
                self.add_allowed(node, &[racer]);
            }
        }
        let point = self.nodes[start].point();
        let targets: Vec<Actor> = if point.allows(racer) {
            vec![racer]
        } else {
            (0..point.options()).map(|i| point.actor(i)).collect()
        };
        self.add_allowed(start, &targets);
    }

    /// Bounded POR: a race whose reversal starts with the clock firing before the step at node
    /// `at`, where the clock is not offered (a timer fires early only where the runtime looks
    /// at its timers, not inside every step, such as a spawn's). It could fire at an earlier
    /// node of the same block of steps, where it is offered: the clock is explored at each of
    /// them the bound allows (at the block's first node, switching may cost nothing). Without
    /// this, a fire that conflicts with such a step is ordered after it, and so is everything
    /// the timer's thread does after it wakes: its races with the block's earlier steps (a
    /// lock that thread takes) go unseen.
    pub(crate) fn add_clock_earlier(&mut self, at: usize) {
        if self.bound.is_none() {
            return;
        }
        for node in self.block_start(at)..at {
            if self.nodes[node].clock {
                self.add_allowed(node, &[Actor::Clock]);
            }
        }
    }

    /// An execution cut short while a timer could still fire (see `DporStrategy::cut`): what
    /// its thread would have done once woken is unknown, so the clock is explored at every
    /// node of the path where it is offered (a timer fires early only where the runtime looks
    /// at its timers, so a race with the cutting step alone may find no node to start at).
    pub(crate) fn add_clock_everywhere(&mut self) {
        for node in 0..self.nodes.len() {
            if self.nodes[node].clock && !self.nodes[node].asleep(Actor::Clock) {
                self.add_allowed(node, &[Actor::Clock]);
            }
        }
    }

    /// The first node of the block of steps that the actor at node `at` took up to `at`: the
    /// latest context switch before it.
    fn block_start(&self, at: usize) -> usize {
        let actor = self.nodes[at].chosen;
        let mut start = at;
        while start > 0 && self.nodes[start - 1].chosen == actor {
            start -= 1;
        }
        start
    }

    /// A reversal that starts with an actor waiting after a yield at node `at`: it runs there
    /// once another thread takes a visible step first, and any of them may be that one (no
    /// happens-before edge from one in particular), so every actor there is explored (classic
    /// DPOR's fallback when the racer is not enabled).
    fn add_every(&mut self, at: usize) {
        let point = self.nodes[at].point();
        let actors: Vec<Actor> = (0..point.options()).map(|i| point.actor(i)).collect();
        self.add_allowed(at, &actors);
    }

    /// Adds each of `actors` at node `at` that the bound (if any) allows there.
    fn add_allowed(&mut self, at: usize, actors: &[Actor]) {
        for &actor in actors {
            if self.nodes[at].backtrack.contains(&actor) {
                continue;
            }
            if self.allowed(at, actor) {
                self.nodes[at].backtrack.push(actor);
            } else {
                self.pruned = true;
            }
        }
    }

    /// Moves to the next execution: the deepest node with an actor still to explore takes it,
    /// and the nodes below it go. Returns that node's index, or `None` when nothing is left.
    pub(crate) fn backtrack(&mut self) -> Option<usize> {
        self.handed.clear();
        while let Some(node) = self.nodes.last_mut() {
            if !node.wakeup.is_empty() {
                let branch = node.wakeup.remove(0);
                node.chosen = branch.actor;
                node.explored.push(branch.actor);
                self.handed = branch.children;
                return Some(self.nodes.len() - 1);
            }
            let next = node
                .backtrack
                .iter()
                .copied()
                .filter(|a| !node.explored.contains(a) && !node.asleep(*a))
                .min();
            if let Some(actor) = next {
                node.chosen = actor;
                node.explored.push(actor);
                return Some(self.nodes.len() - 1);
            }
            self.nodes.pop();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rt::{Access, Key};
    use interleave_detector::ObjectId;

    fn point(enabled: &[u32], running: Option<u32>) -> Point<'_> {
        Point {
            enabled,
            clock: false,
            fire: None,
            running,
            waiting: &[],
            clock_waits: false,
        }
    }

    fn write(object: u32) -> Footprint {
        let mut footprint = Footprint::default();
        footprint.touch(Key::object(ObjectId(object)), Access::WRITE);
        footprint
    }

    #[test]
    fn a_new_node_runs_the_running_thread_then_the_lowest_awake_one() {
        let mut tree = Tree::new(Reduction::Source);
        assert_eq!(
            tree.push(&point(&[0, 1, 2], Some(2)), 0, vec![]),
            Some(Actor::Thread(2))
        );
        let sleep = vec![(Actor::Thread(0), write(1))];
        assert_eq!(
            tree.push(&point(&[0, 1], None), 0, sleep.clone()),
            Some(Actor::Thread(1))
        );
        assert_eq!(tree.push(&point(&[0], None), 0, sleep), None, "all asleep");
    }

    #[test]
    fn explored_actors_sleep_below_until_a_conflicting_step() {
        let mut tree = Tree::new(Reduction::Source);
        tree.push(&point(&[0, 1], None), 0, vec![]);
        tree.add(0, Actor::Thread(1), &[Actor::Thread(1)]);
        assert!(tree.done(0, &write(1)).is_empty());
        assert_eq!(tree.backtrack(), Some(0));
        assert_eq!(tree.nodes[0].chosen, Actor::Thread(1));
        // Thread 1's step touches object 2: thread 0 (which wrote 1) sleeps below.
        let sleep = tree.done(0, &write(2));
        assert_eq!(sleep, [(Actor::Thread(0), write(1))]);
        // A step writing 1 wakes it.
        tree.push(&point(&[0, 1], Some(1)), 0, sleep);
        assert!(tree.done(1, &write(1)).is_empty());
        assert_eq!(tree.backtrack(), None);
    }

    #[test]
    fn a_race_adds_one_initial_unless_one_is_already_there() {
        let mut tree = Tree::new(Reduction::Source);
        tree.push(&point(&[0, 1, 2], Some(0)), 0, vec![]);
        tree.add(0, Actor::Thread(2), &[Actor::Thread(1), Actor::Thread(2)]);
        tree.add(0, Actor::Thread(1), &[Actor::Thread(1), Actor::Thread(2)]);
        // A racer that could not run there adds nothing.
        tree.add(0, Actor::Thread(3), &[Actor::Thread(3)]);
        assert_eq!(
            tree.nodes[0].backtrack,
            [Actor::Thread(0), Actor::Thread(2)]
        );
    }

    #[test]
    fn the_preemption_bound_keeps_choices_within_it() {
        let mut tree = Tree::new(Reduction::Bounded(0));
        // Thread 0 runs and may go on: running thread 1 instead would preempt it.
        tree.push(&point(&[0, 1], Some(0)), 0, vec![]);
        tree.add(0, Actor::Thread(1), &[Actor::Thread(1)]);
        assert_eq!(tree.backtrack(), None);
        // Where the running thread cannot go on, switching is free.
        let mut tree = Tree::new(Reduction::Bounded(0));
        tree.push(&point(&[1, 2], None), 0, vec![]);
        tree.add(0, Actor::Thread(2), &[Actor::Thread(2)]);
        assert_eq!(tree.backtrack(), Some(0));
    }
}
