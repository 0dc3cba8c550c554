//! The benchmark's settings, from `COMPARISON_*` environment variables, validated.

use std::fmt;
use std::time::Duration;

/// What to measure and how far.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// Seeds per strategy (0, 1, …): the median is taken over them.
    pub(crate) seeds: u64,
    /// Executions after which a seed counts as "not found".
    pub(crate) cap: u64,
    /// Wall-clock bound of one loom model.
    pub(crate) loom_timeout: Duration,
    /// Executions per throughput measurement.
    pub(crate) throughput_executions: u64,
    /// Only scenarios whose name contains this.
    pub(crate) filter: String,
}

/// A variable that did not parse.
#[derive(Debug)]
pub(crate) struct SettingsError {
    variable: &'static str,
    value: String,
    expected: &'static str,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read environment variable {}={:?}: expected {}",
            self.variable, self.value, self.expected
        )
    }
}

/// The variables, their defaults and ranges, for the usage text.
pub(crate) const VARIABLES: &[(&str, &str)] = &[
    (
        "COMPARISON_SEEDS",
        "seeds per strategy, 1 to 1000 (default 20)",
    ),
    (
        "COMPARISON_CAP",
        "executions before a seed counts as not found, at least 1 (default 100000)",
    ),
    (
        "COMPARISON_LOOM_TIMEOUT",
        "seconds one loom model may run, at least 1 (default 300)",
    ),
    (
        "COMPARISON_THROUGHPUT",
        "executions per throughput measurement, at least 100 (default 20000)",
    ),
    (
        "COMPARISON_FILTER",
        "only scenarios whose name contains this (default: all)",
    ),
];

impl Settings {
    pub(crate) fn from_env() -> Result<Settings, SettingsError> {
        Ok(Settings {
            seeds: number(
                "COMPARISON_SEEDS",
                20,
                1..=1000,
                "a number of seeds from 1 to 1000",
            )?,
            cap: number(
                "COMPARISON_CAP",
                100_000,
                1..=u64::MAX,
                "a number of executions, at least 1",
            )?,
            loom_timeout: Duration::from_secs(number(
                "COMPARISON_LOOM_TIMEOUT",
                300,
                1..=u64::MAX,
                "a number of seconds, at least 1",
            )?),
            throughput_executions: number(
                "COMPARISON_THROUGHPUT",
                20_000,
                100..=u64::MAX,
                "a number of executions, at least 100",
            )?,
            filter: std::env::var("COMPARISON_FILTER").unwrap_or_default(),
        })
    }

    /// The variables that differ from their defaults, as a shell prefix.
    pub(crate) fn env_prefix(&self) -> String {
        let mut set = Vec::new();
        for (variable, _) in VARIABLES {
            if let Ok(value) = std::env::var(variable) {
                if !value.trim().is_empty() {
                    set.push(format!("{variable}={value}"));
                }
            }
        }
        set.iter().map(|s| format!("{s} ")).collect()
    }
}

fn number(
    variable: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    expected: &'static str,
) -> Result<u64, SettingsError> {
    let Ok(value) = std::env::var(variable) else {
        return Ok(default);
    };
    if value.trim().is_empty() {
        return Ok(default);
    }
    value
        .trim()
        .replace('_', "")
        .parse()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or(SettingsError {
            variable,
            value,
            expected,
        })
}
