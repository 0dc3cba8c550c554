//! What a check found.

use std::fmt;
use std::path::PathBuf;

use interleave_detector::Finding;

/// The result of [`Config::explore`](crate::Config::explore) (and what
/// [`check`](crate::check) panics with when it is not clean).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Report {
    /// The check's name (the test's name by default).
    pub name: String,
    /// Every finding the baseline does not accept: potential deadlocks seen along the way, then
    /// those of the failing execution. Each has a [`kind()`](Finding::kind).
    pub findings: Vec<Finding>,
    /// The findings the baseline ([`Config::baseline`](crate::Config::baseline)) accepts, each
    /// once, in the order they were first found: recorded, and exploration went on.
    pub accepted: Vec<Finding>,
    /// How many executions ran.
    pub executions: u64,
    /// The execution that failed (1-based), if one did.
    pub failing_execution: Option<u64>,
    /// The artifact written for the failing execution.
    pub artifact: Option<PathBuf>,
    /// The strategy, as `INTERLEAVE_STRATEGY` names it (`pct:3`, `random`, `exhaustive`).
    pub strategy: String,
    /// An exhaustive strategy's preemption bound
    /// ([`Config::max_preemptions`](crate::Config::max_preemptions)), if it had one.
    pub max_preemptions: Option<u32>,
    /// The seed the strategy ran from.
    pub seed: u64,
    /// The failing execution's schedule, in its text form.
    pub schedule: Option<String>,
    /// The command that replays the failure.
    pub replay_command: Option<String>,
    /// No findings, and every schedule of the scenario was explored: the executions ran out of
    /// schedules before the budget ran out (any strategy stops then). `false` for a sample, a
    /// check with findings, and a replay.
    pub complete: bool,
    /// Under the weak memory model, the failing execution's loads that read an older store
    /// than the newest, each as "the load at X read the value stored at Y; a newer store at Z
    /// existed".
    pub stale_reads: Vec<String>,
}

impl Report {
    /// No findings.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// `; 1 finding accepted by the baseline (eee14c4c78512d06)`, or nothing.
    fn accepted_note(&self) -> String {
        if self.accepted.is_empty() {
            return String::new();
        }
        let prints: Vec<&str> = self
            .accepted
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        format!(
            "; {} finding{} accepted by the baseline ({})",
            prints.len(),
            if prints.len() == 1 { "" } else { "s" },
            prints.join(", ")
        )
    }
}

impl Report {
    /// The strategy, and its preemption bound if it had one: `exhaustive, at most 2
    /// preemptions`.
    pub fn strategy_and_bound(&self) -> String {
        strategy_and_bound(&self.strategy, self.max_preemptions)
    }
}

/// `strategy`, and `bound` if there is one, as reports and the CLI say them.
pub(crate) fn strategy_and_bound(strategy: &str, bound: Option<u32>) -> String {
    match bound {
        Some(1) => format!("{strategy}, at most 1 preemption"),
        Some(k) => format!("{strategy}, at most {k} preemptions"),
        None => strategy.to_owned(),
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.findings.is_empty() {
            let coverage = if self.complete {
                "every schedule explored"
            } else {
                "a bounded sample of the schedules"
            };
            return writeln!(
                f,
                "interleave: `{}` is clean after {} execution{}, {coverage} ({}, seed {}){}",
                self.name,
                self.executions,
                if self.executions == 1 { "" } else { "s" },
                self.strategy_and_bound(),
                self.seed,
                self.accepted_note()
            );
        }
        // The first line names the problems too: it is all that a test summary (cargo's,
        // nextest's JUnit message) shows of a failure.
        let headlines: Vec<&str> = self
            .findings
            .iter()
            .map(|finding| finding.headline.lines().next().unwrap_or_default())
            .collect();
        writeln!(
            f,
            "interleave: `{}` found {} problem{} in execution {} ({}, seed {}): {}",
            self.name,
            self.findings.len(),
            if self.findings.len() == 1 { "" } else { "s" },
            self.failing_execution.unwrap_or(self.executions),
            self.strategy_and_bound(),
            self.seed,
            headlines.join("; ")
        )?;
        if !self.accepted.is_empty() {
            writeln!(f, "(and {})", &self.accepted_note()[2..])?;
        }
        for finding in &self.findings {
            writeln!(f)?;
            write!(f, "{finding}")?;
        }
        if !self.stale_reads.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "weak memory: loads that read an older store than the newest"
            )?;
            for line in &self.stale_reads {
                writeln!(f, "  {line}")?;
            }
        }
        if let Some(path) = &self.artifact {
            writeln!(f)?;
            writeln!(f, "artifact: {}", path.display())?;
        }
        if let Some(command) = &self.replay_command {
            writeln!(f, "replay: {command}")?;
        }
        Ok(())
    }
}
