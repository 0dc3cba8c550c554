//! What a scenario is and what running it gives.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use interleave::{Config, Kind, MemoryModel, Report};

/// The family of bugs a scenario belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Lock-order cycles: AB-BA, N-way, hold-and-wait, read-write-read.
    LockOrder,
    /// Rust guard lifetimes: a guard kept alive by a `match`/`if let` scrutinee, and the like.
    GuardLifetime,
    /// Condition-variable misuse: lost wakeups, `if` for `while`, wrong predicate, notify_one.
    Condvar,
    /// Channels: rendezvous with no partner, full channels, joins on blocked receivers.
    Channel,
    /// Atomicity and ordering: check-then-act, lost updates, Relaxed publication, teardown.
    Atomicity,
    /// Thread pools and work queues: FIFO and LIFO, shutdown and sentinels.
    Pool,
    /// Threads that keep running without progress.
    Livelock,
    /// Timeouts in virtual time.
    Timeout,
    /// Async tasks, runtimes and async primitives.
    Async,
    /// Orderings too weak for the protocol, run under the weak memory model: a seqlock, message
    /// passing, Dekker's flags, double-checked lazy init, a reference count.
    WeakMemory,
}

impl Category {
    /// Every category, in catalog order.
    pub const ALL: [Category; 10] = [
        Category::LockOrder,
        Category::GuardLifetime,
        Category::Condvar,
        Category::Channel,
        Category::Atomicity,
        Category::Pool,
        Category::Livelock,
        Category::Timeout,
        Category::Async,
        Category::WeakMemory,
    ];

    /// The category's name, as the CLI takes it (`lock-order`).
    pub fn name(self) -> &'static str {
        match self {
            Category::LockOrder => "lock-order",
            Category::GuardLifetime => "guard-lifetime",
            Category::Condvar => "condvar",
            Category::Channel => "channel",
            Category::Atomicity => "atomicity",
            Category::Pool => "pool",
            Category::Livelock => "livelock",
            Category::Timeout => "timeout",
            Category::Async => "async",
            Category::WeakMemory => "weak-memory",
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
    /// No finding at all, over the scenario's whole budget.
    Clean,
    /// A finding of this kind within the scenario's budget.
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

/// One catalog entry: a program written with interleave's primitives, and what exploring it
/// must give.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// Stable name, `category/pattern` (`lock-order/ab-ba`).
    pub name: &'static str,
    /// Its family.
    pub category: Category,
    /// One line saying what it does.
    pub description: &'static str,
    /// The pattern, and the study, benchmark or real bug it comes from.
    pub source: &'static str,
    /// What exploring it must give.
    pub expected: Expected,
    /// A bug is found within this many executions under the default strategy (PCT depth 3,
    /// seeded by the scenario's name); a fixed twin stays clean over this many (at least 1,000).
    pub budget: u64,
    /// The fixed twin of a bug, or the bug a twin fixes.
    pub twin: Option<&'static str>,
    /// The scenario itself.
    pub body: fn(),
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("category", &self.category)
            .field("expected", &self.expected)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

/// What running a scenario gave.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The check's report.
    pub report: Report,
    /// Whether it matches the expectation.
    pub as_expected: bool,
    /// Wall-clock time of the check (for display only: never part of an artifact).
    pub elapsed: Duration,
}

impl Outcome {
    /// The kind that sums up the outcome: the expected kind if it was found, else the first
    /// finding's kind; `None` when clean.
    pub fn found(&self, expected: Expected) -> Option<Kind> {
        let kinds = || self.report.findings.iter().map(|f| f.kind());
        if let Expected::Finds(kind) = expected {
            if let Some(finding) = self.report.findings.iter().find(|f| shows(f, kind)) {
                return Some(finding.kind());
            }
        }
        kinds().next()
    }
}

impl Scenario {
    /// The default configuration for this scenario: PCT depth 3 over its budget, named after
    /// it (so its seed is derived from its name), artifacts marked for `interleave replay`;
    /// the weak memory model for the [`WeakMemory`](Category::WeakMemory) category.
    pub fn config(&self) -> Config {
        let config = Config::default()
            .executions(self.budget)
            .catalog_scenario(self.name);
        match self.category {
            Category::WeakMemory => config.memory_model(MemoryModel::Weak),
            _ => config,
        }
    }

    /// Explores the scenario with [`config`](Self::config).
    pub fn run(&self) -> Outcome {
        self.run_with(self.config())
    }

    /// Explores the scenario with another configuration (the CLI's `--strategy`, `--seed`, …).
    ///
    /// # Panics
    ///
    /// If the harness cannot explore at all (an invalid `INTERLEAVE_*` variable, say); see
    /// [`try_run_with`](Self::try_run_with).
    pub fn run_with(&self, config: Config) -> Outcome {
        self.try_run_with(config)
            .unwrap_or_else(|error| panic!("interleave: {error}"))
    }

    /// Explores the scenario with another configuration.
    ///
    /// # Errors
    ///
    /// What keeps the harness from exploring: an invalid `INTERLEAVE_*` variable, an internal
    /// error.
    pub fn try_run_with(&self, config: Config) -> Result<Outcome, interleave::Error> {
        let start = Instant::now();
        let report = config.try_explore(self.body)?;
        let elapsed = start.elapsed();
        let as_expected = match self.expected {
            Expected::Clean => report.is_clean(),
            Expected::Finds(kind) => report.findings.iter().any(|f| shows(f, kind)),
        };
        Ok(Outcome {
            report,
            as_expected,
            elapsed,
        })
    }

    /// Replays an artifact of this scenario.
    ///
    /// # Errors
    ///
    /// The artifact cannot be read, or its schedule no longer fits the scenario.
    pub fn replay(&self, artifact: &Path) -> Result<Report, interleave::Error> {
        interleave::replay(artifact, self.body)
    }
}

/// Whether `finding` shows a problem of `kind`: a deadlock that realized a lock-order cycle
/// reported first as a potential deadlock shows that potential deadlock too (one inversion, one
/// finding).
fn shows(finding: &interleave::Finding, kind: Kind) -> bool {
    finding.kind() == kind
        || (kind == Kind::PotentialDeadlock
            && matches!(
                finding.detail,
                interleave_detector::Detail::Deadlock {
                    predicted: Some(_),
                    ..
                }
            ))
}
