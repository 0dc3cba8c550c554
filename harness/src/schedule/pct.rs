//! Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010).
//!
//! Each thread gets a random priority and the highest-priority runnable thread always runs;
//! each execution draws a depth `d'` in `1..=depth` and at `d' - 1` random steps the running
//! thread drops to the lowest priority. A bug that needs `d <= depth` ordering constraints is
//! found by one execution with probability at least `1 / (depth · n · k^(d-1))` for `n`
//! threads and `k` steps: the paper's bound for the executions that drew `d' = d`, which place
//! no change point the bug does not need. A thread that yields also drops to the lowest
//! priority, so spin loops make progress instead of starving the thread they wait for.
//!
//! Execution `k` draws from stream `k` of the seed's generator, and takes `k` (the number of
//! steps) from the executions numbered up to the largest power of two below `k`
//! ([`learned_from`]): what it does depends on its number and on those executions alone, never
//! on which ran before it on the same OS thread, so executions can run on several at once.

use rand::seq::index::sample;
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;

use super::Strategy;

#[derive(Debug)]
pub(crate) struct PctStrategy {
    seed: u64,
    depth: usize,
    rng: ChaCha8Rng,
    /// Priority of each task: lower runs first.
    priorities: Vec<usize>,
    next_priority: usize,
    change_points: Vec<usize>,
    /// Steps with a real choice in this execution, and the most seen in the executions this
    /// one learns from.
    steps: usize,
    max_steps_seen: usize,
    /// Chance of firing the next timer early at a scheduling point where one is armed.
    early_timers: f64,
}

impl PctStrategy {
    pub(crate) fn new(seed: u64, depth: usize, early_timers: f64) -> Self {
        PctStrategy {
            seed,
            depth: depth.max(1),
            rng: super::execution_rng(seed, 1),
            priorities: Vec::new(),
            next_priority: 0,
            change_points: Vec::new(),
            steps: 0,
            max_steps_seen: 0,
            early_timers,
        }
    }

    /// Gives tasks up to `task` a priority: each new one is placed at a random rank.
    fn know(&mut self, task: usize) {
        while self.priorities.len() <= task {
            let new = self.priorities.len();
            self.priorities.push(self.next_priority);
            // Swap with a random known task (or itself) so its rank is uniform.
            let other = self.rng.random_range(0..=new);
            self.priorities.swap(new, other);
            self.next_priority += 1;
        }
    }
}

/// The executions whose lengths execution `execution` learns its number of steps from:
/// `1..=learned_from(execution)`, the largest power of two below `execution` (none for the
/// first). Threads running executions in parallel wait for those only at powers of two.
pub(crate) fn learned_from(execution: u64) -> u64 {
    if execution <= 1 {
        0
    } else {
        1 << (63 - (execution - 1).leading_zeros())
    }
}

impl Strategy for PctStrategy {
    fn next_execution(&mut self) -> bool {
        self.steps = 0;
        // Threads get their ranks as they first run (`know`).
        self.priorities.clear();
        self.next_priority = 0;
        let k = self.max_steps_seen.max(1);
        // This execution looks for a bug of depth `1..=depth`, drawn uniformly: it places
        // exactly the change points such a bug needs. With all `depth - 1` in every execution,
        // a program of few contested steps has one at nearly every step, and the thread that
        // runs first is demoted at once: a bug that needs one thread to run two steps in a
        // row (most shallow bugs) was then found in 1 execution of 200 instead of 1 in 2.
        let depth = self.rng.random_range(1..=self.depth);
        let points = (depth - 1).min(k.saturating_sub(1));
        self.change_points = if points == 0 {
            Vec::new()
        } else {
            sample(&mut self.rng, k - 1, points)
                .into_iter()
                .map(|v| v + 1)
                .collect()
        };
        true
    }

    fn samples(&self) -> bool {
        true
    }

    fn learns_lengths(&self) -> bool {
        true
    }

    fn seek(&mut self, execution: u64, steps: usize) {
        self.rng = super::execution_rng(self.seed, execution);
        self.max_steps_seen = steps;
    }

    fn contested_steps(&self) -> usize {
        self.steps
    }

    fn choose(
        &mut self,
        runnable: &[u32],
        current: Option<u32>,
        yielding: bool,
    ) -> Result<usize, String> {
        let highest = runnable.iter().copied().max().unwrap_or(0) as usize;
        self.know(highest);
        if runnable.len() > 1 {
            if let Some(current) = current {
                if yielding || self.change_points.contains(&self.steps) {
                    self.know(current as usize);
                    self.priorities[current as usize] = self.next_priority;
                    self.next_priority += 1;
                }
            }
            self.steps += 1;
        }
        let best = (0..runnable.len())
            .min_by_key(|&i| self.priorities[runnable[i] as usize])
            .unwrap_or(0);
        Ok(best)
    }

    fn random(&mut self) -> Result<u64, String> {
        Ok(self.rng.next_u64())
    }

    fn read_from(&mut self, options: usize) -> Result<usize, String> {
        Ok(self.rng.random_range(0..options))
    }

    fn fires_early(&self) -> bool {
        self.early_timers > 0.0
    }

    fn fire_early(&mut self) -> Result<bool, String> {
        Ok(self.rng.random_bool(self.early_timers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executions_learn_from_the_powers_of_two_before_them() {
        let learned: Vec<u64> = (1..=10).map(learned_from).collect();
        assert_eq!(learned, [0, 1, 2, 2, 4, 4, 4, 4, 8, 8]);
        assert_eq!(learned_from(1 << 40), 1 << 39);
        assert_eq!(learned_from((1 << 40) + 1), 1 << 40);
    }
}
