//! Exhaustive exploration: depth-first over every choice of runnable thread.
//!
//! Every scheduling point with more than one runnable thread is a branch, and so is every
//! scheduling point with a timer armed (fire it early, or not); the strategy walks
//! the tree of schedules depth-first, one execution per leaf, until it has seen them all or the
//! check's execution bound. There is no partial-order reduction yet: two schedules that differ
//! only in the order of independent steps (two threads touching different locks) are both
//! explored, so the count grows with every scheduling point, not only with conflicting ones.
//!
//! Every execution re-runs the prefix of the one before, so the program must take the same
//! path under the same prefix: each branching point keeps the path digest it was first reached
//! with, and a re-run that reaches it another way stops the check with an error naming the
//! step, instead of exploring a tree that is not there.

use super::{PathSoFar, Strategy};

/// One branching point of the current path.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// The choice made there, and the number of options.
    choice: usize,
    options: usize,
    /// The path digest when it was first reached, and what the branch was over (a hash of the
    /// runnable threads, or [`FIRE`]): a re-run of the prefix must reach it the same way.
    digest: u64,
    over: u64,
}

/// `Node::over` of a branch on firing a timer early.
const FIRE: u64 = u64::MAX;

#[derive(Debug, Default)]
pub(crate) struct DfsStrategy {
    /// The branching points of the current path.
    path: Vec<Node>,
    /// How far into `path` the current execution has gone.
    depth: usize,
    started: bool,
    /// The path digest and decision number at the latest decision (see `check_path`).
    digest: u64,
    decision: usize,
}

impl DfsStrategy {
    pub(crate) fn new() -> Self {
        DfsStrategy::default()
    }
}

/// A hash of a runnable set.
fn runnable_hash(runnable: &[u32]) -> u64 {
    runnable.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &t| {
        (hash ^ u64::from(t)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Strategy for DfsStrategy {
    fn next_execution(&mut self) -> bool {
        self.depth = 0;
        if !self.started {
            self.started = true;
            return true;
        }
        // Backtrack: drop exhausted branching points, advance the deepest open one.
        while let Some(last) = self.path.last_mut() {
            if last.choice + 1 < last.options {
                last.choice += 1;
                return true;
            }
            self.path.pop();
        }
        false
    }

    fn check_path(&mut self, decision: usize, path: &PathSoFar<'_>) -> Result<(), String> {
        self.digest = path.digest;
        self.decision = decision;
        Ok(())
    }

    fn choose(&mut self, runnable: &[u32], _: Option<u32>, _: bool) -> Result<usize, String> {
        if runnable.len() == 1 {
            return Ok(0);
        }
        self.branch(runnable.len(), runnable_hash(runnable))
            .map_err(|what| {
                self.diverged(&format!("{what}: threads [{}] can run now", list(runnable)))
            })
    }

    fn random(&mut self) -> Result<u64, String> {
        // Random values are not explored: the same one every time keeps the tree fixed.
        Ok(0)
    }

    fn fire_early(&mut self) -> Result<bool, String> {
        // Not firing first: the natural order, then the timer racing ahead of it.
        self.branch(2, FIRE)
            .map(|choice| choice == 1)
            .map_err(|what| self.diverged(&format!("{what}: a timer can fire early now")))
    }
}

fn list(runnable: &[u32]) -> String {
    let names: Vec<String> = runnable.iter().map(u32::to_string).collect();
    names.join(", ")
}

impl DfsStrategy {
    /// The choice at the next branching point with `options` options over `over`; on a re-run
    /// of a prefix, says what differs if the program reached that point another way.
    fn branch(&mut self, options: usize, over: u64) -> Result<usize, &'static str> {
        let choice = match self.path.get(self.depth) {
            Some(node) => {
                if node.digest != self.digest {
                    return Err("its events before this step differ");
                }
                if (node.options, node.over) != (options, over) {
                    return Err("it branches another way here");
                }
                node.choice
            }
            None => {
                self.path.push(Node {
                    choice: 0,
                    options,
                    digest: self.digest,
                    over,
                });
                0
            }
        };
        self.depth += 1;
        Ok(choice)
    }

    fn diverged(&self, what: &str) -> String {
        format!(
            "schedule diverged at step {}: the program took another path than the first time it ran this schedule prefix ({what}); the scenario is not deterministic given its schedule (a HashMap's iteration order, OS randomness, the real clock or state kept from an earlier execution?), so it cannot be explored exhaustively",
            self.decision + 1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives the strategy over a fixed tree: `branching[i]` runnable threads at step `i`.
    fn leaves(branching: &[usize]) -> usize {
        let mut dfs = DfsStrategy::new();
        let mut count = 0;
        while dfs.next_execution() {
            count += 1;
            for &n in branching {
                let runnable: Vec<u32> = (0..n as u32).collect();
                dfs.choose(&runnable, None, false).unwrap();
            }
        }
        count
    }

    #[test]
    fn a_prefix_reached_another_way_is_an_error_naming_the_step() {
        // Two branching points, reached with digests 7 and 8; the second execution re-runs the
        // first and reaches the second another way.
        let run = |second: (u64, &[u32])| {
            let mut dfs = DfsStrategy::new();
            let at = |dfs: &mut DfsStrategy, decision, digest, runnable: &[u32]| {
                let path = PathSoFar {
                    digest,
                    events: &[],
                };
                dfs.check_path(decision, &path).unwrap();
                dfs.choose(runnable, None, false)
            };
            assert!(dfs.next_execution());
            at(&mut dfs, 0, 7, &[0, 1]).unwrap();
            at(&mut dfs, 1, 8, &[0, 1]).unwrap();
            assert!(dfs.next_execution());
            at(&mut dfs, 0, 7, &[0, 1]).unwrap();
            at(&mut dfs, 1, second.0, second.1)
        };
        assert_eq!(run((8, &[0, 1])), Ok(1));
        let prefix = "schedule diverged at step 2: the program took another path than the first \
                      time it ran this schedule prefix";
        assert_eq!(
            run((9, &[0, 1])).unwrap_err().split_once(';').unwrap().0,
            format!("{prefix} (its events before this step differ: threads [0, 1] can run now)")
        );
        assert_eq!(
            run((8, &[0, 2])).unwrap_err().split_once(';').unwrap().0,
            format!("{prefix} (it branches another way here: threads [0, 2] can run now)")
        );
    }

    #[test]
    fn explores_every_leaf_once() {
        assert_eq!(leaves(&[]), 1);
        assert_eq!(leaves(&[1, 1]), 1);
        assert_eq!(leaves(&[2]), 2);
        assert_eq!(leaves(&[2, 3, 1, 2]), 12);
    }
}
