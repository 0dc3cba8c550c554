//! loom's `model` and `model::Builder`, mapped onto an interleave [`Config`].
//!
//! | loom | interleave |
//! | --- | --- |
//! | default (`model`) | exhaustive search (DPOR) up to [`EXHAUSTIVE_FIRST`] executions; if it completes, [`MIX_AFTER_COMPLETE`] executions of PCT and random taking turns ([`Strategy::Mix`](interleave::Strategy::Mix)); if not, the mix for the rest of 1,000 executions ([`Builder::check`]) |
//! | `preemption_bound` / `LOOM_MAX_PREEMPTIONS` | exhaustive search (DPOR) with that preemption bound, as loom's |
//! | `max_permutations` / `LOOM_MAX_PERMUTATIONS` | the number of executions |
//! | `max_threads`, `max_branches`, `max_duration`, `checkpoint_file`, `checkpoint_interval`, `expect_explicit_explore`, `location`, `log` (and their `LOOM_*` variables) | accepted, no effect (see `docs/loom.md`) |
//!
//! `INTERLEAVE_*` variables override the result, as for any check.

use std::path::PathBuf;
use std::sync::Arc;
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

    /// The interleave configuration of one check this builder stands for: with a preemption
    /// bound, the bounded exhaustive search; otherwise the sampling phase of
    /// [`check`](Self::check) over the whole budget (PCT and random taking turns).
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
    /// Without a preemption bound, in two phases. First the exhaustive search, up to
    /// [`EXHAUSTIVE_FIRST`] executions: a small tree is explored completely there, and a test
    /// with no contested decision runs once. A complete search is followed by
    /// [`MIX_AFTER_COMPLETE`] executions of PCT and random taking turns (what the search
    /// cannot see: memory touched without interleave's objects, say). A tree too large to
    /// finish is sampled instead, with PCT and random taking turns for the rest of the budget.
    /// An `INTERLEAVE_STRATEGY` or `INTERLEAVE_REPLAY` variable makes it one check of
    /// [`config`](Self::config), overridden as usual.
    ///
    /// # Panics
    ///
    /// On a finding, with the report and the command that replays it.
    #[track_caller]
    pub fn check<F>(&self, f: F)
    where
        F: Fn() + Sync + Send + 'static,
    {
        // loom suites are built with `RUSTFLAGS="--cfg loom"` (or a name of their own), and so
        // is this crate: a replay command must say so, or cargo would build the tests without
        // them (`build.rs` reads them).
        for name in env!("INTERLEAVE_LOOM_BUILT_WITH_CFGS")
            .split(',')
            .filter(|n| !n.is_empty())
        {
            interleave::built_with_cfg(name);
        }
        let overridden = ["INTERLEAVE_STRATEGY", "INTERLEAVE_REPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|value| !value.is_empty()));
        if self.preemption_bound.is_some() || overridden {
            self.config().check(f);
            return;
        }
        let budget = self
            .max_permutations
            .map_or(DEFAULT_EXECUTIONS, |n| n as u64);
        let f = Arc::new(f);
        let first = Arc::clone(&f);
        let search = Config::exhaustive()
            .executions(budget.clamp(1, EXHAUSTIVE_FIRST))
            .try_explore(move || first())
            .unwrap_or_else(|error| panic!("interleave: {error}"));
        if !search.is_clean() {
            panic!("{search}");
        }
        print!("{search}");
        let left = budget.saturating_sub(search.executions);
        let sample = match (search.complete, search.executions) {
            // Not one contested decision: nothing else can happen.
            (true, 1) => return,
            (true, _) => MIX_AFTER_COMPLETE.min(left),
            (false, _) => left,
        };
        if sample > 0 {
            Config::mix(sample, PCT_DEPTH).check(move || f());
        }
    }
}

/// Executions of the exhaustive search before `model` samples instead.
pub const EXHAUSTIVE_FIRST: u64 = 100;

/// Executions of PCT and random after a complete exhaustive search.
pub const MIX_AFTER_COMPLETE: u64 = 16;

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

#[cfg(test)]
mod build_cfgs {
    include!("../build_cfgs.rs");

    #[test]
    fn the_cfg_names_of_the_build_s_flags_are_read_as_cargo_passes_them() {
        let flags = [
            "--cfg",
            "loom",
            "-C",
            "opt-level=1",
            "--cfg=oneshot_loom",
            "--cfg",
            "feature=\"x\"",
            "--cfg",
            "loom",
            "--cfg",
            "2d",
            "--cfg",
        ]
        .join("\u{1f}");
        assert_eq!(cfg_names(&flags), ["loom", "oneshot_loom"]);
        assert_eq!(cfg_names(""), [] as [&str; 0]);
    }
}
