//! PCT and random, taking turns: odd executions are PCT's, even ones random's.
//!
//! Each covers the other's blind spot. PCT drops a thread that yields (or spins on an unchanged
//! atomic) to the lowest priority, so the thread it waits for runs on: a bug that needs the
//! spinning thread to go on at once, once the value it waits for changes, while the other
//! thread still has a step to take, needs one of PCT's few change points at exactly that step.
//! Random scheduling makes no difference between spinning and working threads and finds such a
//! bug about once in four executions; PCT finds the deep orderings random rarely hits.

use super::pct::PctStrategy;
use super::random::RandomStrategy;
use super::Strategy;

/// The stream of random's choices, apart from PCT's (both come from the check's seed).
const RANDOM_STREAM: u64 = 0x9e37_79b9_7f4a_7c15;

#[derive(Debug)]
pub(crate) struct MixStrategy {
    pct: PctStrategy,
    random: RandomStrategy,
    executions: u64,
}

impl MixStrategy {
    pub(crate) fn new(seed: u64, depth: usize, early_timers: f64) -> Self {
        MixStrategy {
            pct: PctStrategy::new(seed, depth, early_timers),
            random: RandomStrategy::new(seed ^ RANDOM_STREAM, early_timers),
            executions: 0,
        }
    }

    /// The strategy of the running execution.
    fn current(&mut self) -> &mut dyn Strategy {
        if self.executions % 2 == 1 {
            &mut self.pct
        } else {
            &mut self.random
        }
    }
}

impl Strategy for MixStrategy {
    fn next_execution(&mut self) -> bool {
        self.executions += 1;
        self.current().next_execution()
    }

    fn samples(&self) -> bool {
        true
    }

    fn learns_lengths(&self) -> bool {
        true
    }

    /// Execution `execution` is PCT's when odd, random's when even, each drawn from the seed
    /// and that number alone, as they draw them on their own.
    fn seek(&mut self, execution: u64, steps: usize) {
        self.executions = execution.saturating_sub(1);
        if execution % 2 == 1 {
            self.pct.seek(execution, steps);
        } else {
            self.random.seek(execution, steps);
        }
    }

    fn contested_steps(&self) -> usize {
        if self.executions % 2 == 1 {
            self.pct.contested_steps()
        } else {
            self.random.contested_steps()
        }
    }

    fn choose(
        &mut self,
        runnable: &[u32],
        current: Option<u32>,
        yielding: bool,
    ) -> Result<usize, String> {
        self.current().choose(runnable, current, yielding)
    }

    fn random(&mut self) -> Result<u64, String> {
        self.current().random()
    }

    fn read_from(&mut self, options: usize) -> Result<usize, String> {
        self.current().read_from(options)
    }

    fn fire_early(&mut self) -> Result<bool, String> {
        self.current().fire_early()
    }

    fn fires_early(&self) -> bool {
        self.pct.fires_early()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Executions alternate: PCT's first (it always runs the highest priority), then random's.
    #[test]
    fn odd_executions_are_pcts_and_even_ones_randoms() {
        let mut mix = MixStrategy::new(7, 3, 0.0);
        let mut pct = PctStrategy::new(7, 3, 0.0);
        let mut random = RandomStrategy::new(7 ^ RANDOM_STREAM, 0.0);
        let runnable = [0, 1, 2, 3];
        for _ in 0..4 {
            assert!(mix.next_execution() && pct.next_execution());
            let expected: Vec<usize> = (0..20)
                .map(|_| pct.choose(&runnable, Some(0), false).unwrap())
                .collect();
            let got: Vec<usize> = (0..20)
                .map(|_| mix.choose(&runnable, Some(0), false).unwrap())
                .collect();
            assert_eq!(got, expected);
            assert!(mix.next_execution() && random.next_execution());
            let expected: Vec<usize> = (0..20)
                .map(|_| random.choose(&runnable, Some(0), false).unwrap())
                .collect();
            let got: Vec<usize> = (0..20)
                .map(|_| mix.choose(&runnable, Some(0), false).unwrap())
                .collect();
            assert_eq!(got, expected);
        }
    }
}
