//! Exhaustive exploration: depth-first over every choice of runnable thread.
//!
//! Every scheduling point with more than one runnable thread is a branch, and so is every
//! scheduling point with a timer armed (fire it early, or not); the strategy walks
//! the tree of schedules depth-first, one execution per leaf, until it has seen them all or the
//! check's execution bound. There is no partial-order reduction yet: two schedules that differ
//! only in the order of independent steps (two threads touching different locks) are both
//! explored, so the count grows with every scheduling point, not only with conflicting ones.

use super::Strategy;

#[derive(Debug, Default)]
pub(crate) struct DfsStrategy {
    /// (choice made, number of options) at each branching point of the current path.
    path: Vec<(usize, usize)>,
    /// How far into `path` the current execution has gone.
    depth: usize,
    started: bool,
}

impl DfsStrategy {
    pub(crate) fn new() -> Self {
        DfsStrategy::default()
    }
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
            if last.0 + 1 < last.1 {
                last.0 += 1;
                return true;
            }
            self.path.pop();
        }
        false
    }

    fn choose(&mut self, runnable: &[u32], _: Option<u32>, _: bool) -> Result<usize, String> {
        if runnable.len() == 1 {
            return Ok(0);
        }
        Ok(self.branch(runnable.len()))
    }

    fn random(&mut self) -> Result<u64, String> {
        // Random values are not explored: the same one every time keeps the tree fixed.
        Ok(0)
    }

    fn fire_early(&mut self) -> Result<bool, String> {
        // Not firing first: the natural order, then the timer racing ahead of it.
        Ok(self.branch(2) == 1)
    }
}

impl DfsStrategy {
    /// The choice at the next branching point with `options` options.
    fn branch(&mut self, options: usize) -> usize {
        let choice = if self.depth < self.path.len() {
            let (choice, recorded) = self.path[self.depth];
            if recorded != options {
                // The program is not deterministic given the schedule (it reads the clock or
                // OS randomness, say): follow the path as far as it still fits.
                self.path.truncate(self.depth);
                self.path.push((0, options));
                0
            } else {
                choice
            }
        } else {
            self.path.push((0, options));
            0
        };
        self.depth += 1;
        choice
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
    fn explores_every_leaf_once() {
        assert_eq!(leaves(&[]), 1);
        assert_eq!(leaves(&[1, 1]), 1);
        assert_eq!(leaves(&[2]), 2);
        assert_eq!(leaves(&[2, 3, 1, 2]), 12);
    }
}
