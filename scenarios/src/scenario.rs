//! What a scenario is and what running it gives.

use std::fmt;

use interleave_detector::{DetectorConfig, Finding, Kind, Trace, TraceError};

/// The family of bugs a scenario belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Lock-order cycles that some schedule can deadlock.
    LockOrder,
    /// Deadlocks that happened in the recorded execution.
    Deadlock,
    /// Condition-variable misuse.
    Condvar,
    /// Data races: unsynchronised or wrongly ordered accesses.
    Race,
}

impl Category {
    /// Every category, in catalog order.
    pub const ALL: [Category; 4] = [
        Category::LockOrder,
        Category::Deadlock,
        Category::Condvar,
        Category::Race,
    ];

    /// The category's name, as the CLI takes it (`lock-order`).
    pub fn name(self) -> &'static str {
        match self {
            Category::LockOrder => "lock-order",
            Category::Deadlock => "deadlock",
            Category::Condvar => "condvar",
            Category::Race => "race",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What running a scenario must give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// No finding at all.
    Clean,
    /// At least one finding of this kind.
    Finds(Kind),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Clean => f.write_str("clean"),
            Expected::Finds(kind) => f.write_str(kind.name()),
        }
    }
}

/// One catalog entry.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// Stable name, `category/pattern` (`lock-order/ab-ba`).
    pub name: &'static str,
    /// Its family.
    pub category: Category,
    /// One line saying what it does.
    pub description: &'static str,
    /// What running it must give.
    pub expected: Expected,
    /// The fixed twin of a bug (or the bug of a fix).
    pub twin: Option<&'static str>,
    pub(crate) trace: fn() -> Trace,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("category", &self.category)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

/// What running a scenario gave.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Every finding, in the order they were made.
    pub findings: Vec<Finding>,
    /// Executions analysed.
    pub executions: u64,
    /// Events analysed.
    pub events: u64,
    /// Whether the findings match the expectation.
    pub as_expected: bool,
}

impl Outcome {
    /// The kind that best sums up the outcome: the expected kind if it was found, else the
    /// first finding's kind; `None` when clean.
    pub fn found(&self, expected: Expected) -> Option<Kind> {
        if let Expected::Finds(kind) = expected {
            if self.findings.iter().any(|f| f.kind == kind) {
                return Some(kind);
            }
        }
        self.findings.first().map(|f| f.kind)
    }
}

impl Scenario {
    /// The recorded events of the scenario.
    pub fn trace(&self) -> Trace {
        (self.trace)()
    }

    /// Analyses the scenario's trace with the default detector.
    pub fn run(&self) -> Outcome {
        self.try_run()
            .unwrap_or_else(|e| panic!("catalog scenario {} has a malformed trace: {e}", self.name))
    }

    fn try_run(&self) -> Result<Outcome, TraceError> {
        let trace = self.trace();
        let findings = trace.analyze(DetectorConfig::default())?;
        let as_expected = match self.expected {
            Expected::Clean => findings.is_empty(),
            Expected::Finds(kind) => findings.iter().any(|f| f.kind == kind),
        };
        Ok(Outcome {
            executions: trace.executions.len() as u64,
            events: trace.executions.iter().map(|e| e.events.len() as u64).sum(),
            findings,
            as_expected,
        })
    }
}
