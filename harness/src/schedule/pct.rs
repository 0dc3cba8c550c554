//! Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010).
//!
//! Each thread gets a random priority and the highest-priority runnable thread always runs;
//! at `depth - 1` random steps the running thread drops to the lowest priority. A bug that
//! needs `d` ordering constraints is found by one execution with probability at least
//! `1 / (n · k^(d-1))` for `n` threads and `k` steps. A thread that yields also drops to the
//! lowest priority, so spin loops make progress instead of starving the thread they wait for.

use rand::seq::{index::sample, SliceRandom};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Strategy;

#[derive(Debug)]
pub(crate) struct PctStrategy {
    depth: usize,
    rng: ChaCha8Rng,
    /// Priority of each task: lower runs first.
    priorities: Vec<usize>,
    next_priority: usize,
    change_points: Vec<usize>,
    /// Steps with a real choice in this execution, and the most seen in any execution.
    steps: usize,
    max_steps_seen: usize,
    executions: u64,
    /// Chance of firing the next timer early at a scheduling point where one is armed.
    early_timers: f64,
}

impl PctStrategy {
    pub(crate) fn new(seed: u64, depth: usize, early_timers: f64) -> Self {
        PctStrategy {
            depth: depth.max(1),
            rng: ChaCha8Rng::seed_from_u64(seed),
            priorities: Vec::new(),
            next_priority: 0,
            change_points: Vec::new(),
            steps: 0,
            max_steps_seen: 0,
            executions: 0,
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

impl Strategy for PctStrategy {
    fn next_execution(&mut self) -> bool {
        self.executions += 1;
        self.steps = 0;
        let mut ranks: Vec<usize> = (0..self.priorities.len()).collect();
        ranks.shuffle(&mut self.rng);
        self.priorities = ranks;
        self.next_priority = self.priorities.len();
        let k = self.max_steps_seen.max(1);
        let points = (self.depth - 1).min(k.saturating_sub(1));
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
            self.max_steps_seen = self.max_steps_seen.max(self.steps);
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
