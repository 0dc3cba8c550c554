//! `Config`: which strategy, how many executions, which seed; and the environment overrides.

use std::path::PathBuf;

use interleave_detector::DetectorConfig;

use crate::error::Error;
use crate::report::Report;

/// How a check chooses schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// A runnable thread chosen uniformly at every scheduling point.
    Random,
    /// Probabilistic concurrency testing with bug depth `depth`.
    Pct {
        /// How many ordering constraints a bug may need (3 finds most real bugs).
        depth: usize,
    },
    /// Every schedule, depth-first, up to the execution bound.
    Exhaustive,
}

impl Strategy {
    /// The name `INTERLEAVE_STRATEGY` takes: `random`, `pct:3`, `exhaustive`.
    pub fn name(self) -> String {
        match self {
            Strategy::Random => "random".to_owned(),
            Strategy::Pct { depth } => format!("pct:{depth}"),
            Strategy::Exhaustive => "exhaustive".to_owned(),
        }
    }

    fn parse(text: &str) -> Option<Strategy> {
        match text {
            "random" => Some(Strategy::Random),
            "pct" => Some(Strategy::Pct { depth: 3 }),
            "exhaustive" | "dfs" => Some(Strategy::Exhaustive),
            _ => {
                let depth = text.strip_prefix("pct:")?.parse().ok()?;
                (depth >= 1).then_some(Strategy::Pct { depth })
            }
        }
    }
}

/// The seed of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seed {
    /// Derived from the check's name: the same test explores the same schedules everywhere.
    FromName,
    /// This one.
    Fixed(u64),
    /// Fresh randomness from the OS (`INTERLEAVE_SEED=random`); the report says which.
    Random,
}

/// How to explore a scenario. Start from [`Config::random`], [`Config::pct`] or
/// [`Config::exhaustive`] (or `Config::default()`: PCT depth 3, 1,000 executions), adjust, then
/// [`check`](Config::check) or [`explore`](Config::explore).
///
/// Environment variables override the code, so that a failing check can be re-run with more
/// executions or another seed without editing it:
///
/// | variable | values |
/// | --- | --- |
/// | `INTERLEAVE_SEED` | a number, or `random` |
/// | `INTERLEAVE_ITERATIONS` | the number of executions (for exhaustive: the bound) |
/// | `INTERLEAVE_STRATEGY` | `random`, `pct`, `pct:D`, `exhaustive` |
/// | `INTERLEAVE_REPLAY` | an artifact path: replay it instead of exploring |
/// | `INTERLEAVE_ARTIFACT_DIR` | where artifacts are written |
///
/// # Examples
///
/// ```
/// use interleave::sync::{Arc, Mutex};
///
/// let report = interleave::Config::random(100).seed(7).explore(|| {
///     let counter = Arc::new(Mutex::new(0));
///     let c = Arc::clone(&counter);
///     let t = interleave::thread::spawn(move || *c.lock().unwrap() += 1);
///     *counter.lock().unwrap() += 1;
///     t.join().unwrap();
///     assert_eq!(*counter.lock().unwrap(), 2);
/// });
/// assert!(report.is_clean());
/// assert_eq!(report.executions, 100);
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) strategy: Strategy,
    pub(crate) executions: u64,
    pub(crate) seed: Seed,
    pub(crate) max_steps: u64,
    pub(crate) name: Option<String>,
    pub(crate) artifact_dir: Option<PathBuf>,
    pub(crate) detector: DetectorConfig,
    pub(crate) write_artifact: bool,
    /// Set for a catalog scenario: artifacts say to re-run it with `interleave replay`.
    pub(crate) scenario: Option<String>,
    /// Chance that random and PCT fire the next timer early at a scheduling point.
    pub(crate) early_timers: f64,
    /// Whether `INTERLEAVE_*` variables override this configuration.
    pub(crate) env_overrides: bool,
    /// A deadline for the whole execution, and where it was declared.
    pub(crate) deadline: Option<(std::time::Duration, interleave_detector::Site)>,
}

impl Default for Config {
    /// PCT with depth 3, 1,000 executions, a seed derived from the check's name.
    fn default() -> Self {
        Config::pct(1_000, 3)
    }
}

impl Config {
    fn with(strategy: Strategy, executions: u64) -> Self {
        Config {
            strategy,
            executions,
            seed: Seed::FromName,
            max_steps: 20_000,
            name: None,
            artifact_dir: None,
            detector: DetectorConfig::default(),
            write_artifact: true,
            scenario: None,
            early_timers: 0.05,
            env_overrides: true,
            deadline: None,
        }
    }

    /// `executions` executions, each choosing a runnable thread uniformly at every step.
    pub fn random(executions: u64) -> Self {
        Config::with(Strategy::Random, executions)
    }

    /// `executions` executions of probabilistic concurrency testing with bug depth `depth`.
    pub fn pct(executions: u64, depth: usize) -> Self {
        Config::with(
            Strategy::Pct {
                depth: depth.max(1),
            },
            executions,
        )
    }

    /// Every schedule, depth-first, up to 100,000 executions (change with
    /// [`executions`](Config::executions)). No partial-order reduction yet: see
    /// `docs/guide.md` for what that costs.
    pub fn exhaustive() -> Self {
        Config::with(Strategy::Exhaustive, 100_000)
    }

    /// Another strategy, keeping everything else (executions, seed, bounds, analyses).
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = match strategy {
            Strategy::Pct { depth } => Strategy::Pct {
                depth: depth.max(1),
            },
            other => other,
        };
        self
    }

    /// Whether `INTERLEAVE_*` environment variables override this configuration (default
    /// yes). A tool that takes its own flags, like the `interleave` CLI, turns them off.
    pub fn env_overrides(mut self, on: bool) -> Self {
        self.env_overrides = on;
        self
    }

    /// The seed of the strategy's randomness.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Seed::Fixed(seed);
        self
    }

    /// How many executions (for exhaustive: at most).
    pub fn executions(mut self, executions: u64) -> Self {
        self.executions = executions;
        self
    }

    /// The step bound of one execution: past it the execution is a livelock finding. It counts
    /// scheduling decisions with more than one runnable thread (default 20,000); ten times as
    /// many decisions in all also ends the execution, so a lone thread spinning forever does too.
    pub fn max_steps(mut self, max_steps: u64) -> Self {
        self.max_steps = max_steps.max(1);
        self
    }

    /// The check's name, for the seed, reports and artifact files (default: the test's name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Where artifacts are written (default `target/interleave/`).
    pub fn artifact_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.artifact_dir = Some(dir.into());
        self
    }

    /// Marks the check as the catalog scenario `name`: it is named after it, and its artifacts
    /// are replayed with `interleave replay <artifact>` rather than by re-running a test.
    pub fn catalog_scenario(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.name = Some(name.clone());
        self.scenario = Some(name);
        self
    }

    /// The chance (0 to 1, default 0.05) that the random and PCT strategies fire the next timer
    /// early at a scheduling point where one is armed, ahead of the threads that could still
    /// run: how a timeout racing with the notification it waits for is explored. Exhaustive
    /// exploration tries both at every such point.
    pub fn early_timers(mut self, probability: f64) -> Self {
        self.early_timers = probability.clamp(0.0, 1.0);
        self
    }

    /// Every execution must finish within `deadline` of virtual time: passing it is a missed
    /// timeout naming where each thread is.
    #[track_caller]
    pub fn deadline(mut self, deadline: std::time::Duration) -> Self {
        self.deadline = Some((deadline, interleave_detector::Site::caller()));
        self
    }

    /// A thread blocked without a timeout (on a lock, a join, a condvar, a channel…) for longer
    /// than `bound` of virtual time is a missed timeout: a deterministic version of a lock-wait
    /// watchdog.
    pub fn max_block(mut self, bound: std::time::Duration) -> Self {
        self.detector.max_block_ns = Some(crate::rt::deadline_after(0, bound));
        self
    }

    /// Whether to write an artifact for a failure (default yes).
    pub fn write_artifact(mut self, write: bool) -> Self {
        self.write_artifact = write;
        self
    }

    /// Which analyses the detector runs.
    pub fn detector(mut self, detector: DetectorConfig) -> Self {
        self.detector = detector;
        self
    }

    /// Explores `f` and panics with the report if anything was found.
    ///
    /// # Panics
    ///
    /// On a finding, with the text report and the command that replays it; on an invalid
    /// `INTERLEAVE_*` variable or a replay that cannot run, with the error.
    #[track_caller]
    pub fn check<F>(self, f: F)
    where
        F: Fn() + Send + Sync + 'static,
    {
        match crate::check::run(self, f) {
            Ok(report) if report.is_clean() => {}
            Ok(report) => panic!("{report}"),
            Err(error) => panic!("interleave: {error}"),
        }
    }

    /// Explores `f` and returns what it found; never panics for findings.
    ///
    /// # Panics
    ///
    /// On an invalid `INTERLEAVE_*` variable or a replay that cannot run, with the error (use
    /// [`try_explore`](Config::try_explore) to get it as a value).
    pub fn explore<F>(self, f: F) -> Report
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.try_explore(f)
            .unwrap_or_else(|error| panic!("interleave: {error}"))
    }

    /// Explores `f` and returns what it found.
    ///
    /// # Errors
    ///
    /// An invalid `INTERLEAVE_*` variable, an unreadable artifact or a diverged replay.
    pub fn try_explore<F>(self, f: F) -> Result<Report, Error>
    where
        F: Fn() + Send + Sync + 'static,
    {
        crate::check::run(self, f)
    }

    /// Applies the `INTERLEAVE_*` overrides; returns the replay artifact path if one is set.
    pub(crate) fn apply_env(&mut self) -> Result<Option<PathBuf>, Error> {
        if !self.env_overrides {
            return Ok(None);
        }
        if let Some(value) = env("INTERLEAVE_SEED") {
            self.seed = match value.as_str() {
                "random" => Seed::Random,
                number => Seed::Fixed(number.parse().map_err(|_| Error::Env {
                    variable: "INTERLEAVE_SEED",
                    value: value.clone(),
                    expected: "a number from 0 to 18446744073709551615, or `random`",
                })?),
            };
        }
        if let Some(value) = env("INTERLEAVE_ITERATIONS") {
            self.executions = value
                .parse()
                .ok()
                .filter(|&n: &u64| n > 0)
                .ok_or(Error::Env {
                    variable: "INTERLEAVE_ITERATIONS",
                    value: value.clone(),
                    expected: "a number of executions, at least 1",
                })?;
        }
        if let Some(value) = env("INTERLEAVE_STRATEGY") {
            self.strategy = Strategy::parse(&value).ok_or(Error::Env {
                variable: "INTERLEAVE_STRATEGY",
                value: value.clone(),
                expected: "`random`, `pct`, `pct:D` with a depth D of at least 1, or `exhaustive`",
            })?;
        }
        if let Some(value) = env("INTERLEAVE_ARTIFACT_DIR") {
            self.artifact_dir = Some(PathBuf::from(value));
        }
        Ok(env("INTERLEAVE_REPLAY").map(PathBuf::from))
    }

    /// A fresh seed from the OS, as `INTERLEAVE_SEED=random` gives: each check explores other
    /// schedules, and its report says which seed it used, to replay or pin it.
    pub fn random_seed(mut self) -> Self {
        self.seed = Seed::Random;
        self
    }
}

/// A set, non-empty variable. An empty value counts as unset (`INTERLEAVE_SEED= cargo test`).
fn env(variable: &str) -> Option<String> {
    std::env::var(variable)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_parse_as_documented() {
        assert_eq!(Strategy::parse("random"), Some(Strategy::Random));
        assert_eq!(Strategy::parse("pct"), Some(Strategy::Pct { depth: 3 }));
        assert_eq!(Strategy::parse("pct:5"), Some(Strategy::Pct { depth: 5 }));
        assert_eq!(Strategy::parse("exhaustive"), Some(Strategy::Exhaustive));
        for bad in ["", "PCT", "pct:0", "pct:x", "loom"] {
            assert_eq!(Strategy::parse(bad), None, "{bad}");
        }
        for s in [
            Strategy::Random,
            Strategy::Pct { depth: 2 },
            Strategy::Exhaustive,
        ] {
            assert_eq!(Strategy::parse(&s.name()), Some(s));
        }
    }
}
