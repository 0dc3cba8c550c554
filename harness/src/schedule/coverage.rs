//! Coverage: the tree of branching points the executions of a check have taken, so that any
//! strategy stops once it has seen every schedule, and a result can say whether it is complete.
//!
//! A branching point is a scheduling point where the strategy had a choice: more than one
//! runnable thread, or a timer that could fire early. The program is deterministic given its
//! schedule (divergence is checked), so the same prefix of choices always leads to the same next
//! branching point with the same options: the choices of all executions form a tree, and once
//! every option of every node has been followed to the end, no schedule is left. Random values
//! handed to the scenario have too many options to enumerate: an execution that draws one makes
//! the tree uncountable.
//!
//! The tree is kept while it is small ([`MAX_NODES`]) and the budget left could still complete
//! it (each option no execution has taken yet needs an execution of its own); otherwise it is not
//! tracked, and the check runs its whole budget, as a sample. A random sample of a large tree
//! gives up after a few hundred executions, so that tracking costs it little.

use smallvec::SmallVec;

/// The most nodes tracked; past it, coverage gives up (the result says "bounded").
const MAX_NODES: usize = 1 << 20;

/// The most branching points of one execution: a tree that deep has more leaves than any budget
/// runs (at least two per point), so coverage gives up there rather than hold a long
/// execution's every branch.
const MAX_DEPTH: usize = 1 << 16;

#[derive(Debug, Clone, Default)]
struct Node {
    /// How many options its branching point has; `None` until an execution reaches it (and
    /// for ever, if executions end there).
    options: Option<u32>,
    /// (choice, child node), in the order first taken.
    children: Vec<(u32, usize)>,
    complete: bool,
}

/// The branching points of the executions so far.
#[derive(Debug, Default)]
pub(crate) struct Coverage {
    /// The root is node 0, once an execution has begun.
    nodes: Vec<Node>,
    /// The nodes the running execution has passed, the current one last.
    path: Vec<usize>,
    /// Tracking gave up: too many nodes, a random value was drawn, the tree did not fit, or the
    /// budget left could not complete it.
    uncountable: bool,
    /// Options of the nodes reached that no execution has taken yet.
    untaken: u64,
    /// Set on the threads of a parallel check: only the running execution's branches are
    /// logged, and the check's tree is built from the logs in the executions' order
    /// ([`apply`](Self::apply)).
    log: Option<CoverageLog>,
}

/// The branching points of one execution, as (options, choice), and whether it drew a random
/// value.
#[derive(Debug, Clone, Default)]
pub(crate) struct CoverageLog {
    /// Inline up to 32: a log travels from the thread that ran the execution to the one that
    /// takes it, which would otherwise free, on every execution, memory the first allocated.
    branches: SmallVec<[(u32, u32); 32]>,
    random: bool,
}

impl Coverage {
    /// Coverage that only logs each execution's branches (see `log`).
    pub(crate) fn logging() -> Self {
        Coverage {
            log: Some(CoverageLog::default()),
            ..Coverage::default()
        }
    }

    /// The running execution's log (empty unless [`logging`](Self::logging)).
    pub(crate) fn take_log(&mut self) -> CoverageLog {
        self.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Gives back a log [`take_log`](Self::take_log) took, once read: the next execution fills
    /// it again, without growing a new one.
    pub(crate) fn give_back_log(&mut self, log: &mut CoverageLog) {
        if let Some(current) = &mut self.log {
            if log.branches.capacity() > current.branches.capacity() {
                log.branches.clear();
                log.random = false;
                std::mem::swap(current, log);
            }
        }
    }

    /// Adds an execution logged elsewhere, as if it had run here (then
    /// [`end_execution`](Self::end_execution) if it ended in full).
    pub(crate) fn apply(&mut self, log: &CoverageLog) {
        self.begin_execution();
        for &(options, choice) in &log.branches {
            self.branch(options as usize, choice as usize);
        }
        if log.random {
            self.random();
        }
    }

    /// A new execution starts at the root.
    pub(crate) fn begin_execution(&mut self) {
        if let Some(log) = &mut self.log {
            log.branches.clear();
            log.random = false;
            return;
        }
        if self.nodes.is_empty() {
            self.nodes.push(Node::default());
        }
        self.path.clear();
        self.path.push(0);
    }

    /// The running execution chose `choice` of `options` at a branching point.
    #[inline]
    pub(crate) fn branch(&mut self, options: usize, choice: usize) {
        // Most scheduling points have one option: no call for them.
        if self.uncountable || options < 2 {
            return;
        }
        self.branch_point(options, choice);
    }

    /// [`branch`](Self::branch) at a point with a choice.
    fn branch_point(&mut self, options: usize, choice: usize) {
        if let Some(log) = &mut self.log {
            log.branches.push((options as u32, choice as u32));
            return;
        }
        if self.nodes.len() >= MAX_NODES || self.path.len() > MAX_DEPTH {
            self.give_up();
            return;
        }
        let (options, choice) = (options as u32, choice as u32);
        let Some(&at) = self.path.last() else {
            return;
        };
        match self.nodes[at].options {
            None => {
                self.nodes[at].options = Some(options);
                self.untaken += u64::from(options);
            }
            Some(known) if known == options => {}
            Some(_) => {
                self.give_up();
                return;
            }
        }
        let existing = self.nodes[at]
            .children
            .iter()
            .find(|&&(c, _)| c == choice)
            .map(|&(_, child)| child);
        let child = existing.unwrap_or_else(|| {
            self.untaken -= 1;
            self.nodes.push(Node::default());
            let child = self.nodes.len() - 1;
            self.nodes[at].children.push((choice, child));
            child
        });
        self.path.push(child);
    }

    /// The running execution asked for a random value: too many options to enumerate.
    pub(crate) fn random(&mut self) {
        if let Some(log) = &mut self.log {
            log.random = true;
            return;
        }
        self.give_up();
    }

    /// The running execution ended (in full: an execution stopped by a finding ends the check
    /// anyway), and the budget has `left` executions after it. Marks what it completed, or gives
    /// up when `left` executions could not take every option not taken yet.
    pub(crate) fn end_execution(&mut self, left: u64) {
        if self.uncountable || self.log.is_some() {
            return;
        }
        if self.untaken > left {
            self.give_up();
            return;
        }
        let Some(&leaf) = self.path.last() else {
            return;
        };
        if self.nodes[leaf].options.is_some() {
            // It ended where another execution branched: not the same program.
            self.give_up();
            return;
        }
        self.nodes[leaf].complete = true;
        for &node in self.path.iter().rev().skip(1) {
            let Node {
                options, children, ..
            } = &self.nodes[node];
            let complete = options.is_some_and(|n| children.len() == n as usize)
                && children
                    .iter()
                    .all(|&(_, child)| self.nodes[child].complete);
            if !complete {
                break;
            }
            self.nodes[node].complete = true;
        }
    }

    /// Tracking has given up for good: the tree is never complete.
    pub(crate) fn gave_up(&self) -> bool {
        self.uncountable
    }

    /// Every schedule has been explored.
    pub(crate) fn complete(&self) -> bool {
        !self.uncountable && self.nodes.first().is_some_and(|root| root.complete)
    }

    pub(crate) fn give_up(&mut self) {
        self.uncountable = true;
        self.untaken = 0;
        self.nodes = Vec::new();
        self.path = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs executions with the given branching points: `(options, choice)` each.
    fn run(coverage: &mut Coverage, branches: &[(usize, usize)]) -> bool {
        run_left(coverage, branches, u64::MAX)
    }

    #[test]
    fn an_execution_without_a_branching_point_is_the_whole_tree() {
        let mut coverage = Coverage::default();
        assert!(run(&mut coverage, &[(1, 0), (1, 0)]));
    }

    #[test]
    fn the_tree_is_complete_once_every_option_of_every_node_is_taken() {
        // Two options at the root; under option 0 two more; under option 1 none.
        let mut coverage = Coverage::default();
        assert!(!run(&mut coverage, &[(2, 0), (2, 1)]));
        assert!(
            !run(&mut coverage, &[(2, 0), (2, 1)]),
            "the same schedule again"
        );
        assert!(!run(&mut coverage, &[(2, 1)]));
        assert!(run(&mut coverage, &[(2, 0), (2, 0)]));
    }

    #[test]
    fn logged_executions_applied_in_order_build_the_same_tree() {
        let executions: [&[(usize, usize)]; 4] =
            [&[(2, 0), (2, 1)], &[(2, 1)], &[(2, 0), (2, 0)], &[(3, 0)]];
        let mut direct = Coverage::default();
        let mut applied = Coverage::default();
        let mut logging = Coverage::logging();
        for branches in executions {
            let complete = run(&mut direct, branches);
            run(&mut logging, branches);
            assert!(!logging.complete(), "a logging coverage never completes");
            applied.apply(&logging.take_log());
            applied.end_execution(u64::MAX);
            assert_eq!(applied.complete(), complete);
        }
        // The last execution branches three ways where the first ones branched two ways.
        assert!(direct.uncountable && applied.uncountable);
    }

    #[test]
    fn a_tree_the_budget_left_cannot_complete_is_given_up() {
        // Three options at the root, two under option 0: after the first execution, 2 options
        // of the root and 1 of its child are untaken, and each needs an execution of its own.
        let mut coverage = Coverage::default();
        coverage.begin_execution();
        coverage.branch(3, 0);
        coverage.branch(2, 0);
        assert_eq!(coverage.untaken, 3);
        coverage.end_execution(3);
        assert!(
            !coverage.uncountable,
            "three executions left could take all three"
        );
        // The second execution takes option 1 of the root, a leaf: 2 options untaken, and 1
        // execution left.
        coverage.begin_execution();
        coverage.branch(3, 1);
        assert_eq!(coverage.untaken, 2);
        coverage.end_execution(1);
        assert!(coverage.uncountable && !coverage.complete());
        // With one more execution left it would have completed the tree, as the budget allows.
        let mut coverage = Coverage::default();
        for (branches, left) in [(&[(3, 0), (2, 0)][..], 3), (&[(3, 1)], 2), (&[(3, 2)], 1)] {
            assert!(!run_left(&mut coverage, branches, left));
        }
        assert!(run_left(&mut coverage, &[(3, 0), (2, 1)], 0));
    }

    /// As `run`, with `left` executions of the budget after it.
    fn run_left(coverage: &mut Coverage, branches: &[(usize, usize)], left: u64) -> bool {
        coverage.begin_execution();
        for &(options, choice) in branches {
            coverage.branch(options, choice);
        }
        coverage.end_execution(left);
        coverage.complete()
    }

    #[test]
    fn random_values_and_trees_that_do_not_fit_are_never_complete() {
        let mut coverage = Coverage::default();
        coverage.begin_execution();
        coverage.random();
        coverage.end_execution(u64::MAX);
        assert!(!coverage.complete());
        assert!(!run(&mut coverage, &[]));

        let mut coverage = Coverage::default();
        assert!(!run(&mut coverage, &[(2, 0)]));
        // The root had two options; now three: not the same program.
        assert!(!run(&mut coverage, &[(3, 1)]));
        assert!(!run(&mut coverage, &[(2, 1)]));
    }
}
