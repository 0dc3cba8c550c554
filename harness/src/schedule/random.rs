//! The random strategy: at every scheduling point, a runnable thread chosen uniformly.
//!
//! Execution `k` draws from stream `k` of the seed's ChaCha8 generator, so it is the same
//! execution whichever executions run before it, or on other threads at the same time.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Strategy;

/// Uniformly random scheduling from one seed (ChaCha8: the same stream on every platform).
#[derive(Debug)]
pub(crate) struct RandomStrategy {
    /// The seed's generator, never drawn from: execution `k`'s is a copy of it set to stream
    /// `k` (what `execution_rng` makes, without seeding anew for every execution).
    seeded: ChaCha8Rng,
    rng: ChaCha8Rng,
    /// Chance of firing the next timer early at a scheduling point where one is armed.
    early_timers: f64,
}

impl RandomStrategy {
    pub(crate) fn new(seed: u64, early_timers: f64) -> Self {
        RandomStrategy {
            seeded: ChaCha8Rng::seed_from_u64(seed),
            rng: super::execution_rng(seed, 1),
            early_timers,
        }
    }
}

impl Strategy for RandomStrategy {
    fn next_execution(&mut self) -> bool {
        true
    }

    fn samples(&self) -> bool {
        true
    }

    fn seek(&mut self, execution: u64, _steps: usize) {
        self.rng.clone_from(&self.seeded);
        self.rng.set_stream(execution);
    }

    fn choose(&mut self, runnable: &[u32], _: Option<u32>, _: bool) -> Result<usize, String> {
        Ok(if runnable.len() == 1 {
            0
        } else {
            self.rng.random_range(0..runnable.len())
        })
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
    fn execution_k_draws_stream_k_whatever_ran_before() {
        let mut strategy = RandomStrategy::new(7, 0.0);
        for execution in [3, 1, 3, u64::MAX] {
            strategy.seek(execution, 0);
            let mut expected = super::super::execution_rng(7, execution);
            for _ in 0..100 {
                assert_eq!(strategy.random(), Ok(expected.next_u64()));
            }
        }
    }
}
