//! Exhaustive exploration with dynamic partial-order reduction: optimal DPOR, with wakeup trees
//! and sleep sets (Abdulla, Aronis, Jonsson, Sagonas, "Source Sets: A Foundation for Optimal
//! Dynamic Partial Order Reduction", JACM 2017); source-DPOR (their POPL 2014 algorithm)
//! within a preemption bound.
//!
//! Two executions that differ only in the order of independent steps (steps of different
//! threads touching different things, or only reading the same thing) end in the same state:
//! they are one Mazurkiewicz trace, and one execution of it is enough. The strategy runs an
//! execution, finds its **races** (conflicting steps that nothing else orders), and schedules
//! the executions that reverse them; sleep sets keep it from running a reversal twice. Without
//! a bound, each reversal is scheduled as the whole sequence of steps that runs it (a wakeup
//! tree): no trace runs twice, and no execution ends up only repeating explored ones
//! (sleep-set blocked) unless what a step touches depends on the order of the steps before it.
//! The runtime keeps most footprints independent of it (a sender drop is an update of the count
//! whether it is the last or not, `Access::UPDATE`; a timer that fires naturally inside a step is
//! the clock's, not the thread's); what is left is mostly timers (one may fire early only after
//! progress). Source-DPOR schedules only the first actor of the reversal, and the execution that
//! follows may take another way and find every actor asleep; under a preemption bound sleep
//! sets are off (they are unsound with one), so wakeup trees, which rest on them, are too.
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
use crate::rt::{Footprint, Key};
use clock::Trace;
use tree::{Reduction, Tree};

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
    /// What firing the next timer would have touched at the latest node, where it was not
    /// fired: the step taken there may cancel it (see `step`).
    fire_pending: Option<Footprint>,
    /// Under the weak memory model: the choices of store made by loads along the current
    /// path, and how many of them the current execution has reached.
    reads: Vec<ReadPoint>,
    read_depth: usize,
    /// The traces explored, told apart, and the check measured (`stats`).
    #[cfg(test)]
    traces: std::collections::BTreeSet<u64>,
    #[cfg(test)]
    measured: Option<String>,
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
        let reduction = match bound {
            Some(bound) => Reduction::Bounded(bound),
            None if stats::source_only() => Reduction::Source,
            None => Reduction::Optimal,
        };
        Self::with(reduction)
    }

    fn with(reduction: Reduction) -> Self {
        DporStrategy {
            tree: Tree::new(reduction),
            trace: Trace::default(),
            started: false,
            fresh_from: 0,
            next_sleep: Vec::new(),
            redundant: false,
            digest: 0,
            decision: 0,
            fire_checked: None,
            fire_pending: None,
            reads: Vec::new(),
            read_depth: 0,
            #[cfg(test)]
            traces: std::collections::BTreeSet::new(),
            #[cfg(test)]
            measured: stats::check(),
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
    /// Schedules the reversal of each race of `step` (taken, or the clock's pending fire),
    /// which touches `footprint`.
    /// `timer_fired`: a timer fired naturally inside `step` (the thread may have waited for it).
    fn reverse_races(&mut self, step: &clock::Prospect, footprint: &Footprint, timer_fired: bool) {
        for e in races::races(&self.trace, step, self.tree.immediate_races()) {
            // The racer waited for that very step (a join for the exit, a receive for the
            // message, a lock for its release, a timer for its arming): they cannot swap;
            // unless it waited for its timer, which fired inside its step once nobody else
            // could run, and may fire early there (`add_clock`).
            if step.previous.is_none_or(|p| p < e) && self.tree.enabled_by(e, step.actor) {
                if timer_fired {
                    self.tree.add_clock(e);
                } else if step.actor == Actor::Clock {
                    // The clock is not offered inside every step (a spawn's): it may still
                    // fire before this one, earlier in its block.
                    self.tree.add_clock_earlier(e);
                }
                continue;
            }
            // Where a timer may fire early, the reversal may start with a thread waiting for
            // it (`add_clock_for`).
            let optimal = self.tree.optimal();
            let reversal = (optimal || self.tree.nodes[e].clock)
                .then(|| races::Reversal::new(&self.trace, e, step, footprint));
            if let Some(reversal) = &reversal {
                self.tree.add_clock_for(e, reversal);
            }
            if let (true, Some(reversal)) = (optimal, &reversal) {
                self.tree.insert(e, reversal);
            } else {
                let initials = races::initials(&self.trace, e, step);
                self.tree.add(e, step.actor, &initials);
            }
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
        if self.started {
            stats::tally(self);
        }
        self.trace.clear();
        self.next_sleep.clear();
        self.redundant = false;
        self.fire_checked = None;
        self.fire_pending = None;
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
        // A bound that never kept anything from being explored cut no schedule.
        self.tree.pruned
    }

    fn checks_path(&self) -> bool {
        true
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

    fn cut(&mut self, runnable: &[u32], clock: bool) {
        if self.redundant || self.trace.len() == 0 {
            return;
        }
        // The execution ended inside its last step: nothing after it runs, whatever it
        // touched. That step is taken as touching everything (and the cut itself), so nothing
        // commutes past it; the steps the other threads would have taken next are unknown,
        // each taken as touching everything too. Each of those then races with the cutting
        // step only (the last write of every key), and the execution that follows runs that
        // thread instead of it: its real steps are in that trace, and their races move it
        // earlier still, as usual. (Not the cutting step's own races with what it touches
        // now: moved earlier, it cuts earlier, and what it touched is explored by its real
        // races.)
        let mut everything = self.trace.everything();
        everything.write(Key::CUT);
        self.trace.amend_last(&everything, &[]);
        // Its node remembers the step as touching everything too: the threads' steps below do
        // not commute with it there.
        let _ = self.tree.done(self.trace.len() - 1, &everything);
        for &thread in runnable {
            let prospect = self.trace.peek(Actor::Thread(thread), &everything);
            self.reverse_races(&prospect, &everything, false);
        }
        if clock {
            self.tree.add_clock_everywhere();
        }
    }

    fn decide(&mut self, node: &Node<'_>) -> Result<Actor, String> {
        if self.redundant {
            return Ok(node.actor(0));
        }
        let depth = self.trace.len();
        // Only a fresh step is checked against it (`step`): no copy along a re-run prefix.
        self.fire_pending = node.fire.filter(|_| depth >= self.fresh_from).cloned();
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
                        self.reverse_races(&prospect, fire, false);
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
        let fresh = i >= self.fresh_from;
        if fresh {
            // A timer that fired naturally inside the step is not the thread's: its own races
            // leave it out (running first, the thread would not have seen it fire).
            self.reverse_races(&prospect, step.footprint, !step.natural_fires.is_empty());
            // The timer that could fire early at this step's node, taken as firing after the
            // step: its races with the step itself (and with what came before, as at every node
            // where it is pending). The step may have cancelled it (its owner's wait ended
            // another way, a free lock taken), and the next node then never sees it: firing it
            // here, before that step, may still be seen later (a read of the clock).
            let fire_pending = self.fire_pending.take();
            if let Some(fire) = fire_pending.filter(|_| step.actor != Actor::Clock) {
                if step.natural_fires.is_empty() && fire.conflicts(step.footprint) {
                    let prospect = self.trace.peek(Actor::Clock, &fire);
                    self.reverse_races(&prospect, &fire, false);
                    self.fire_checked = Some((fire, self.trace.len()));
                }
            }
            // The fire is a step of the clock: firing it earlier may reverse its races (with a
            // read of the clock, say), the thread's step running first or not (below).
            for fire in step.natural_fires {
                let prospect = self.trace.peek(Actor::Clock, fire);
                self.reverse_races(&prospect, fire, false);
            }
        }
        let mut fired = Footprint::default();
        for fire in step.natural_fires {
            fired.union(fire);
        }
        if !fired.is_empty() {
            let woken: Vec<Actor> = step.woken.iter().map(|&t| Actor::Thread(t)).collect();
            self.trace.amend_last(&fired, &woken);
        }
        if fresh {
            for fire in step.natural_fires {
                let prospect = self.trace.peek(Actor::Clock, fire);
                self.reverse_races(&prospect, fire, false);
            }
        }
        fired.union(step.footprint);
        self.next_sleep = self.tree.done(i, &fired);
    }
}

/// What exploration ran, for the tests that measure redundancy: executions, sleep-set blocked
/// ones, and ones that repeated an explored trace, per check name.
#[cfg(test)]
pub(crate) mod stats {
    use std::collections::BTreeMap;
    use std::hash::{Hash, Hasher};
    use std::sync::{Mutex, PoisonError};

    use super::{clock, DporStrategy};

    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Stats {
        pub(crate) executions: u64,
        pub(crate) blocked: u64,
        pub(crate) repeated: u64,
    }

    impl Stats {
        pub(crate) fn add(&mut self, other: Stats) {
            self.executions += other.executions;
            self.blocked += other.blocked;
            self.repeated += other.repeated;
        }
    }

    /// By check name: whether it uses source-DPOR, and what it ran.
    static MEASURED: Mutex<BTreeMap<String, (bool, Stats)>> = Mutex::new(BTreeMap::new());

    fn measured<T>(f: impl FnOnce(&mut BTreeMap<String, (bool, Stats)>) -> T) -> T {
        f(&mut MEASURED.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Runs `f`, in which the checks named `check` use source-DPOR (`source`) or optimal DPOR;
    /// returns what it returned and what they ran.
    pub(crate) fn measure<T>(check: &str, source: bool, f: impl FnOnce() -> T) -> (T, Stats) {
        measured(|m| m.insert(check.to_owned(), (source, Stats::default())));
        let result = f();
        let stats = measured(|m| m.remove(check)).map_or_else(Stats::default, |(_, s)| s);
        (result, stats)
    }

    /// The check being measured that this thread explores, if any.
    pub(crate) fn check() -> Option<String> {
        let name = crate::rt::check_name()?;
        measured(|m| m.contains_key(&name)).then_some(name)
    }

    pub(crate) fn source_only() -> bool {
        check().is_some_and(|name| measured(|m| m[&name].0))
    }

    /// The execution that just ended: blocked, a trace explored before, or a new one. A trace
    /// is told by each step's actor, number and clock (happens-before), and the stores the
    /// loads read.
    pub(super) fn tally(dpor: &mut DporStrategy) {
        let Some(name) = dpor.measured.clone() else {
            return;
        };
        let mut ran = Stats {
            executions: 1,
            ..Stats::default()
        };
        if dpor.redundant {
            ran.blocked = 1;
        } else {
            let mut steps: Vec<(usize, u32, &clock::VectorClock)> = dpor
                .trace
                .steps
                .iter()
                .map(|s| (clock::slot(s.actor), s.local, &s.clock))
                .collect();
            steps.sort_by_key(|&(slot, local, _)| (slot, local));
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            for (slot, local, clock) in steps {
                (slot, local, clock.trimmed()).hash(&mut hasher);
            }
            for read in &dpor.reads[..dpor.read_depth.min(dpor.reads.len())] {
                (read.node, read.choice).hash(&mut hasher);
            }
            if !dpor.traces.insert(hasher.finish()) {
                ran.repeated = 1;
            }
        }
        measured(|m| {
            if let Some((_, stats)) = m.get_mut(&name) {
                stats.add(ran);
            }
        });
    }
}

#[cfg(not(test))]
mod stats {
    pub(crate) fn source_only() -> bool {
        false
    }

    pub(super) fn tally(_: &mut super::DporStrategy) {}
}

#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;
