//! Schedules and strategies.
//!
//! A [`Schedule`] is the list of decisions of one execution: which thread ran at each
//! scheduling point, and each random value drawn. It is engine-independent and has a compact
//! text form (see [`Schedule::encode`]) that artifacts store and replay reads back.
//!
//! A strategy decides: [`random`] picks uniformly, [`pct`] is probabilistic concurrency testing
//! with a bug depth, [`dfs`] enumerates every schedule, [`replay`] follows a recorded one.

pub(crate) mod coverage;
pub(crate) mod dfs;
pub(crate) mod digest;
pub(crate) mod pct;
pub(crate) mod random;
pub(crate) mod replay;
mod scheduler;

use std::fmt;

pub(crate) use digest::PathSoFar;
pub(crate) use scheduler::InterleaveScheduler;

use crate::rt::Stop;

/// One decision of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The thread (engine task index) that ran at a scheduling point.
    Run(u32),
    /// A random value handed to the scenario.
    Random(u64),
    /// The next timer fired early, ahead of the threads that could still run.
    Fire,
}

/// The decisions of one execution, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// The decisions.
    pub decisions: Vec<Decision>,
}

/// A schedule's text that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parse schedule: `{token}` at position {position} is not a decision (expected `T`, `TxN`, `rHEX` or `f`)")]
pub struct ParseScheduleError {
    /// The bad token.
    pub token: String,
    /// Its 0-based position among the tokens.
    pub position: usize,
}

impl Schedule {
    /// The compact text form: decisions separated by `.`, a run of the same thread `T` repeated
    /// `N` times written `TxN`, a random value `r` followed by its hex digits, a timer fired
    /// early `f`. For example `0x3.1.f.0x2.r1f` is thread 0 three times, thread 1, a timer
    /// fired early, thread 0 twice, then the random value 0x1f.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < self.decisions.len() {
            if !out.is_empty() {
                out.push('.');
            }
            match self.decisions[i] {
                Decision::Run(t) => {
                    let run = self.decisions[i..]
                        .iter()
                        .take_while(|&&d| d == Decision::Run(t))
                        .count();
                    if run > 1 {
                        out.push_str(&format!("{t}x{run}"));
                    } else {
                        out.push_str(&t.to_string());
                    }
                    i += run;
                }
                Decision::Random(value) => {
                    out.push_str(&format!("r{value:x}"));
                    i += 1;
                }
                Decision::Fire => {
                    out.push('f');
                    i += 1;
                }
            }
        }
        out
    }

    /// Parses [`encode`](Self::encode)'s text.
    ///
    /// # Errors
    ///
    /// [`ParseScheduleError`] naming the first token that is not a decision.
    pub fn decode(text: &str) -> Result<Schedule, ParseScheduleError> {
        let mut decisions = Vec::new();
        if text.trim().is_empty() {
            return Ok(Schedule { decisions });
        }
        for (position, token) in text.trim().split('.').enumerate() {
            let error = || ParseScheduleError {
                token: token.to_owned(),
                position,
            };
            if token == "f" {
                decisions.push(Decision::Fire);
                continue;
            }
            if let Some(hex) = token.strip_prefix('r') {
                let value = u64::from_str_radix(hex, 16).map_err(|_| error())?;
                decisions.push(Decision::Random(value));
                continue;
            }
            let (thread, count) = match token.split_once('x') {
                Some((t, n)) => (t, n.parse::<usize>().map_err(|_| error())?),
                None => (token, 1),
            };
            let thread: u32 = thread.parse().map_err(|_| error())?;
            if count == 0 || count > 1 << 24 {
                return Err(error());
            }
            decisions.extend(std::iter::repeat_n(Decision::Run(thread), count));
        }
        Ok(Schedule { decisions })
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// A strategy's choice at one scheduling point.
pub(crate) trait Strategy: fmt::Debug {
    /// Prepares the next execution; `false` when there is nothing left to explore.
    fn next_execution(&mut self) -> bool;

    /// Picks one of `runnable` (engine task indices, ascending, never empty): returns its index
    /// in `runnable`. `current` is the thread that ran last; `yielding` says it asked to yield.
    ///
    /// # Errors
    ///
    /// A replay whose recorded decision is not runnable says how the schedule diverged.
    fn choose(
        &mut self,
        runnable: &[u32],
        current: Option<u32>,
        yielding: bool,
    ) -> Result<usize, String>;

    /// A random value for the scenario.
    fn random(&mut self) -> Result<u64, String>;

    /// At a scheduling point with a timer armed: fire the next timer now, ahead of the
    /// threads that could still run?
    ///
    /// # Errors
    ///
    /// Never for exploring strategies; a replay says how it diverged.
    fn fire_early(&mut self) -> Result<bool, String>;

    /// Whether [`fire_early`](Self::fire_early) can ever say yes: if not, firing early is not
    /// a branch of the schedules this strategy explores.
    fn fires_early(&self) -> bool {
        true
    }

    /// Before decision `decision` (0-based): the path the program took so far. A replay
    /// compares it with the recorded one, exhaustive exploration with the first run of the
    /// same prefix.
    ///
    /// # Errors
    ///
    /// The program took another path: where, and what differs.
    fn check_path(&mut self, _decision: usize, _path: &PathSoFar<'_>) -> Result<(), String> {
        Ok(())
    }

    /// Called when an execution ends, with the number of decisions it made and its whole path
    /// (replay checks it consumed its whole schedule and took the recorded path).
    fn end_execution(&mut self, _decisions: usize, _path: &PathSoFar<'_>) -> Result<(), String> {
        Ok(())
    }

    /// How a divergence this strategy reports ends the check: an exploring strategy found a
    /// scenario that is not deterministic given its schedule; a replay overrides this (its
    /// schedule no longer fits the program).
    fn divergence(&self, message: String) -> Stop {
        Stop::Nondeterministic(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_runs_and_random_values() {
        let schedule = Schedule {
            decisions: vec![
                Decision::Run(0),
                Decision::Run(0),
                Decision::Run(0),
                Decision::Run(12),
                Decision::Random(0x1f),
                Decision::Fire,
                Decision::Run(0),
            ],
        };
        assert_eq!(schedule.encode(), "0x3.12.r1f.f.0");
        assert_eq!(Schedule::decode("0x3.12.r1f.f.0").unwrap(), schedule);
        assert_eq!(Schedule::decode("").unwrap(), Schedule::default());
    }

    #[test]
    fn rejects_what_it_did_not_write() {
        for (text, token) in [
            ("0.x2", "x2"),
            ("0x0", "0x0"),
            ("a", "a"),
            ("rzz", "rzz"),
            ("1..2", ""),
        ] {
            let error = Schedule::decode(text).unwrap_err();
            assert_eq!(error.token, token, "{text}");
        }
    }
}
