//! The random strategy: at every scheduling point, a runnable thread chosen uniformly.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Strategy;

/// Uniformly random scheduling from one seed (ChaCha8: the same stream on every platform).
#[derive(Debug)]
pub(crate) struct RandomStrategy {
    rng: ChaCha8Rng,
    /// Chance of firing the next timer early at a scheduling point where one is armed.
    early_timers: f64,
}

impl RandomStrategy {
    pub(crate) fn new(seed: u64, early_timers: f64) -> Self {
        RandomStrategy {
            rng: ChaCha8Rng::seed_from_u64(seed),
            early_timers,
        }
    }
}

impl Strategy for RandomStrategy {
    fn next_execution(&mut self) -> bool {
        true
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
