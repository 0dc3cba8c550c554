//! loom's `model` and `model::Builder`, mapped onto an interleave [`Config`].
//!
//! | loom | interleave |
//! | --- | --- |
//! | default (`model`) | [`Strategy::Mix`](interleave::Strategy::Mix) depth 3, 1,000 executions: PCT and random taking turns; stops early, saying *complete*, once every schedule has run |
//! | `preemption_bound` / `LOOM_MAX_PREEMPTIONS` | exhaustive search (DPOR) with that preemption bound, as loom's |
//! | `max_permutations` / `LOOM_MAX_PERMUTATIONS` | the number of executions |
//! | `max_threads`, `max_branches`, `max_duration`, `checkpoint_file`, `checkpoint_interval`, `expect_explicit_explore`, `location`, `log` (and their `LOOM_*` variables) | accepted, no effect (see `docs/loom.md`) |
//!
//! `INTERLEAVE_*` variables override the result, as for any check.

use std::path::PathBuf;
use std::time::Duration;

use interleave::Config;

/// The executions of the default strategy (PCT and random taking turns).
pub const DEFAULT_EXECUTIONS: u64 = 1_000;

/// PCT's bug depth in the default strategy.
const PCT_DEPTH: usize = 3;

/// loom's model configuration. The fields are loom's; how each maps onto interleave is in
/// the [module documentation](self).
#[derive(Debug)]
#[non_exhaustive]
pub struct Builder {
    /// loom's thread cap. Accepted; interleave has none.
    pub max_threads: usize,
    /// loom's bound on branches per execution. Accepted; interleave bounds steps without
    /// progress ([`Config::max_steps`]).
    pub max_branches: usize,
    /// How many executions, at most.
    pub max_permutations: Option<usize>,
    /// loom's wall-clock budget. Accepted; interleave's budget is a number of executions, so
    /// that a run is the same on every machine.
    pub max_duration: Option<Duration>,
    /// A preemption bound: exhaustive search of the schedules with at most this many
    /// preemptions (interleave's DPOR), as loom's.
    pub preemption_bound: Option<usize>,
    /// loom's checkpoint file. Accepted; interleave writes an artifact for a failure, which
    /// `INTERLEAVE_REPLAY` replays.
    pub checkpoint_file: Option<PathBuf>,
    /// loom's checkpoint interval. Accepted, no effect.
    pub checkpoint_interval: usize,
    /// loom's explicit `explore()` mode. Accepted, no effect.
    pub expect_explicit_explore: bool,
    /// loom's location tracking. Accepted; interleave always reports source locations.
    pub location: bool,
    /// loom's log of thread switches. Accepted; interleave's artifact holds the trace
    /// (`interleave explain`).
    pub log: bool,
}

/// A `LOOM_*` variable's value, parsed; a bad one panics naming it, as loom does.
fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = std::env::var(name).ok()?;
    match value.parse() {
        Ok(parsed) => Some(parsed),
        Err(_) => panic!("interleave-loom: invalid value for `{name}`: {value:?}"),
    }
}

impl Builder {
    /// loom's defaults, with loom's `LOOM_*` environment variables applied.
    ///
    /// # Panics
    ///
    /// On a `LOOM_*` variable whose value does not parse, naming it.
    pub fn new() -> Builder {
        Builder {
            max_threads: crate::MAX_THREADS,
            max_branches: env("LOOM_MAX_BRANCHES").unwrap_or(1_000),
            max_permutations: env("LOOM_MAX_PERMUTATIONS"),
            max_duration: env("LOOM_MAX_DURATION").map(Duration::from_secs),
            preemption_bound: env("LOOM_MAX_PREEMPTIONS"),
            checkpoint_file: env("LOOM_CHECKPOINT_FILE"),
            checkpoint_interval: env("LOOM_CHECKPOINT_INTERVAL").unwrap_or(20_000),
            expect_explicit_explore: false,
            location: std::env::var_os("LOOM_LOCATION").is_some(),
            log: std::env::var_os("LOOM_LOG").is_some(),
        }
    }

    /// Sets the checkpoint file (accepted, no effect).
    pub fn checkpoint_file(&mut self, file: &str) -> &mut Self {
        self.checkpoint_file = Some(file.into());
        self
    }

    /// The interleave configuration this builder stands for.
    pub fn config(&self) -> Config {
        let config = match self.preemption_bound {
            Some(bound) => {
                Config::exhaustive().max_preemptions(u32::try_from(bound).unwrap_or(u32::MAX))
            }
            None => Config::mix(DEFAULT_EXECUTIONS, PCT_DEPTH),
        };
        match self.max_permutations {
            Some(n) => config.executions(n as u64),
            None => config,
        }
    }

    /// Explores `f` and panics with interleave's report if anything is found.
    ///
    /// # Panics
    ///
    /// On a finding, with the report and the command that replays it.
    #[track_caller]
    pub fn check<F>(&self, f: F)
    where
        F: Fn() + Sync + Send + 'static,
    {
        self.config().check(f);
    }
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

/// Explores `f` under the default [`Builder`] (with the `LOOM_*` variables applied).
///
/// # Panics
///
/// On a finding, with interleave's report and the command that replays it.
#[track_caller]
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    Builder::new().check(f);
}
