//! Exhaustive exploration with dynamic partial-order reduction: source-DPOR with sleep sets
//! (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014).
//!
//! Two executions that differ only in the order of independent steps (steps of different
//! threads touching different things, or only reading the same thing) end in the same state:
//! they are one Mazurkiewicz trace, and one execution of it is enough. The strategy runs an
//! execution, finds its **races** (conflicting steps that nothing else orders), and schedules
//! the executions that reverse them; sleep sets keep it from running a reversal twice.
//!
//! The model it explores is the runtime's (`rt::model`): a thread whose announced operation
//! cannot go on is not offered, a thread that yielded waits for another thread's visible step,
//! and firing a timer early is a step of a clock pseudo-thread, explored where it conflicts
//! with something (the reads of the clock, the wait the timer ends). Random values handed to
//! the scenario are not explored: each is 0, as under naive DFS. Under the weak memory model,
//! which store a load reads is a choice inside a step: every option is explored, each load's
//! before the choice of actor at its node (`ReadPoint`).
//!
//! The files split as the literature does: [`clock`] keeps the trace with happens-before,
//! [`races`] finds reversible races and their initials, [`tree`] keeps the backtrack and sleep
//! sets.

mod clock;
mod races;
mod tree;

use super::{Actor, Node, PathSoFar, Step, Strategy};
use crate::rt::Footprint;
use clock::Trace;
use tree::Tree;

#[derive(Debug)]
pub(crate) struct DporStrategy {
    tree: Tree,
    trace: Trace,
    started: bool,
    /// Nodes before this index are re-run from earlier executions: their races are known.
    fresh_from: usize,
    /// The sleep set of the next new node.
    next_sleep: Vec<(Actor, Footprint)>,
    /// Every actor that may run is asleep: the rest of this execution repeats explored ones,
    /// and nothing of it is recorded.
    redundant: bool,
    /// The path digest and decision number at the latest decision (see `check_path`).
    digest: u64,
    decision: usize,
    /// The clock's pending fire last checked for races, and the trace's length then: the same
    /// fire, with nothing since touching what it touches, has the same races.
    fire_checked: Option<(Footprint, usize)>,
    /// Under the weak memory model: the choices of store made by loads along the current
    /// path, and how many of them the current execution has reached.
    reads: Vec<ReadPoint>,
    read_depth: usize,
}

/// A load's choice of store, inside the step of node `node`: every store it could read is
/// explored (a load reading another store is another execution, whatever the order of steps),
/// before the node's other actors.
#[derive(Debug, Clone, Copy)]
struct ReadPoint {
    node: usize,
    choice: usize,
    options: usize,
    /// The path digest when the load was first reached.
    digest: u64,
}

impl DporStrategy {
    /// `bound`: at most that many preemptions per execution.
    pub(crate) fn new(bound: Option<u32>) -> Self {
        DporStrategy {
            tree: Tree::new(bound),
            trace: Trace::default(),
            started: false,
            fresh_from: 0,
            next_sleep: Vec::new(),
            redundant: false,
            digest: 0,
            decision: 0,
            fire_checked: None,
            reads: Vec::new(),
            read_depth: 0,
        }
    }

    fn diverged(&self, what: &str) -> String {
        format!(
            "schedule diverged at step {}: the program took another path than the first time it ran this schedule prefix ({what}); the scenario is not deterministic given its schedule (a HashMap's iteration order, OS randomness, the real clock or state kept from an earlier execution?), so it cannot be explored exhaustively",
            self.decision + 1
        )
    }
}

impl DporStrategy {
    /// Schedules the reversal of each race of `step` (taken, or the clock's pending fire).
    fn reverse_races(&mut self, step: &clock::Prospect) {
        for e in races::races(&self.trace, step, self.tree.immediate_races()) {
            // The racer waited for that very step (a join for the exit, a receive for the
            // message, a lock for its release, a timer for its arming): they cannot swap.
            if step.previous.is_none_or(|p| p < e) && self.tree.enabled_by(e, step.actor) {
                continue;
            }
            let initials = races::initials(&self.trace, e, step);
            self.tree.add(e, step.actor, &initials);
        }
    }
}

fn describe(node: &Node<'_>) -> String {
    let threads: Vec<String> = node.enabled.iter().map(u32::to_string).collect();
    let clock = if node.clock {
        ", a timer can fire early"
    } else {
        ""
    };
    format!("threads [{}] can run now{clock}", threads.join(", "))
}

impl Strategy for DporStrategy {
    fn next_execution(&mut self) -> bool {
        self.trace.clear();
        self.next_sleep.clear();
        self.redundant = false;
        self.fire_checked = None;
        if !self.started {
            self.started = true;
            self.fresh_from = 0;
            return true;
        }
        self.read_depth = 0;
        // The deepest open choice first: a load's next store, or a node's next actor (a load
        // inside a node's step is deeper than the node's choice of actor).
        let open_node = self.tree.deepest_open();
        let open_read = self.reads.iter().rposition(|r| r.choice + 1 < r.options);
        if let Some(r) = open_read.filter(|&r| open_node.is_none_or(|n| self.reads[r].node >= n)) {
            self.reads.truncate(r + 1);
            let read = &mut self.reads[r];
            read.choice += 1;
            self.tree.truncate(read.node + 1);
            self.fresh_from = read.node;
            return true;
        }
        match self.tree.backtrack() {
            Some(at) => {
                self.reads.retain(|r| r.node < at);
                self.fresh_from = at;
                true
            }
            None => false,
        }
    }

    fn exhaustive(&self) -> bool {
        true
    }

    fn bounded(&self) -> bool {
        self.tree.bound.is_some()
    }

    fn check_path(&mut self, decision: usize, path: &PathSoFar<'_>) -> Result<(), String> {
        self.digest = path.digest;
        self.decision = decision;
        Ok(())
    }

    fn choose(&mut self, _: &[u32], _: Option<u32>, _: bool) -> Result<usize, String> {
        Err("internal: DPOR decides through the exhaustive model".to_owned())
    }

    fn random(&mut self) -> Result<u64, String> {
        // Random values are not explored: the same one every time keeps the tree fixed.
        Ok(0)
    }

    fn read_from(&mut self, options: usize) -> Result<usize, String> {
        if self.redundant {
            return Ok(0);
        }
        let node = self.trace.len();
        let at = self.read_depth;
        self.read_depth += 1;
        if let Some(known) = self.reads.get(at) {
            if known.node != node || known.digest != self.digest {
                return Err(self.diverged(&format!(
                    "its events before this load differ: it could read one of {options} stores"
                )));
            }
            if known.options != options {
                return Err(self.diverged(&format!(
                    "a load could read one of {options} stores, not {}",
                    known.options
                )));
            }
            return Ok(known.choice);
        }
        self.reads.push(ReadPoint {
            node,
            choice: 0,
            options,
            digest: self.digest,
        });
        Ok(0)
    }

    fn fire_early(&mut self) -> Result<bool, String> {
        Err("internal: DPOR decides through the exhaustive model".to_owned())
    }

    fn decide(&mut self, node: &Node<'_>) -> Result<Actor, String> {
        if self.redundant {
            return Ok(node.actor(0));
        }
        let depth = self.trace.len();
        if let Some(known) = self.tree.nodes.get(depth) {
            if known.digest != self.digest {
                return Err(self.diverged(&format!(
                    "its events before this step differ: {}",
                    describe(node)
                )));
            }
            let point = known.point();
            if (point.enabled, point.clock) != (node.enabled, node.clock) {
                return Err(
                    self.diverged(&format!("it branches another way here: {}", describe(node)))
                );
            }
            return Ok(known.chosen);
        }
        let sleep = std::mem::take(&mut self.next_sleep);
        match self.tree.push(node, self.digest, sleep) {
            Some(actor) => {
                if let (Some(fire), false) = (node.fire, actor == Actor::Clock) {
                    // The timer may never fire early in this execution (its wait may end
                    // another way and cancel it, or no thread be left to preempt): its races
                    // are those of firing here.
                    let unchanged = self.fire_checked.as_ref().is_some_and(|(checked, at)| {
                        checked == fire && !self.trace.touched_since(fire, *at)
                    });
                    if !unchanged {
                        let prospect = self.trace.peek(Actor::Clock, fire);
                        self.reverse_races(&prospect);
                        self.fire_checked = Some((fire.clone(), self.trace.len()));
                    }
                }
                Ok(actor)
            }
            None => {
                // Sleep-set blocked: drop the node, run on without recording.
                self.tree.nodes.pop();
                self.redundant = true;
                Ok(node.actor(0))
            }
        }
    }

    fn step(&mut self, step: &Step<'_>) {
        if self.redundant {
            return;
        }
        if step.actor == Actor::Clock {
            self.fire_checked = None;
        }
        let i = self.trace.len();
        let woken = step.woken.iter().map(|&t| Actor::Thread(t));
        let prospect = self.trace.push_waking(step.actor, step.footprint, woken);
        if i < self.fresh_from {
            return;
        }
        self.reverse_races(&prospect);
        // A timer that fired naturally inside the step is a step of the clock too: firing it
        // earlier may reverse its races (with a read of the clock, say).
        for fire in step.natural_fires {
            let prospect = self.trace.peek(Actor::Clock, fire);
            self.reverse_races(&prospect);
        }
        self.next_sleep = self.tree.done(i, step.footprint);
    }
}

#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;
