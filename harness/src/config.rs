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
    /// PCT with bug depth `depth` and random scheduling, taking turns execution by execution
    /// (PCT first): PCT finds deep orderings, random the bugs where a spinning thread must
    /// keep running (PCT lets the thread it waits for run instead). `interleave-loom`'s
    /// sampling.
    Mix {
        /// PCT's bug depth.
        depth: usize,
    },
    /// Every schedule up to the execution bound, one per class of equivalent schedules:
    /// dynamic partial-order reduction (source-DPOR with sleep sets), optionally with a
    /// preemption bound ([`Config::max_preemptions`]).
    Exhaustive,
    /// Every schedule, depth-first, without reduction: schedules that differ only in the order
    /// of independent steps are all run. The oracle DPOR is tested against; only useful on tiny
    /// programs.
    ExhaustiveNaive,
}

impl Strategy {
    /// The name `INTERLEAVE_STRATEGY` takes: `random`, `pct:3`, `exhaustive`.
    pub fn name(self) -> String {
        match self {
            Strategy::Random => "random".to_owned(),
            Strategy::Pct { depth } => format!("pct:{depth}"),
            Strategy::Mix { depth } => format!("mix:{depth}"),
            Strategy::Exhaustive => "exhaustive".to_owned(),
            Strategy::ExhaustiveNaive => "exhaustive-naive".to_owned(),
        }
    }

    /// Whether it explores every schedule (up to its bound): DPOR or naive DFS.
    pub(crate) fn is_exhaustive(self) -> bool {
        matches!(self, Strategy::Exhaustive | Strategy::ExhaustiveNaive)
    }

    fn parse(text: &str) -> Option<Strategy> {
        match text {
            "random" => Some(Strategy::Random),
            "pct" => Some(Strategy::Pct { depth: 3 }),
            "mix" => Some(Strategy::Mix { depth: 3 }),
            "exhaustive" | "dpor" => Some(Strategy::Exhaustive),
            "exhaustive-naive" | "dfs" => Some(Strategy::ExhaustiveNaive),
            _ => {
                if let Some(depth) = text.strip_prefix("mix:") {
                    let depth = depth.parse().ok()?;
                    return (depth >= 1).then_some(Strategy::Mix { depth });
                }
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
/// | `INTERLEAVE_STRATEGY` | `random`, `pct`, `pct:D`, `mix`, `mix:D`, `exhaustive`, `exhaustive-naive` |
/// | `INTERLEAVE_MAX_PREEMPTIONS` | the preemption bound of exhaustive exploration, or `none` |
/// | `INTERLEAVE_MEMORY_MODEL` | `weak` or `sc` ([`Config::memory_model`]) |
/// | `INTERLEAVE_REPLAY` | an artifact path: replay it instead of exploring |
/// | `INTERLEAVE_ARTIFACT_DIR` | where artifacts and ledger records are written |
/// | `INTERLEAVE_BASELINE` | a baseline file of accepted findings ([`Config::baseline`]) |
/// | `INTERLEAVE_WATCHDOG` | seconds without a scheduling point before giving up (`10`), or `off` |
/// | `INTERLEAVE_STACK_SIZE` | bytes of stack for each scenario thread |
/// | `INTERLEAVE_JOBS` | how many OS threads run executions ([`Config::jobs`]) |
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
/// // Random sampling (seed 7) has seen every schedule of this small program after 97.
/// assert_eq!((report.executions, report.complete), (97, true));
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
    /// The first builder call given a value that means nothing (`early_timers(NaN)`,
    /// `random(0)`): the check reports it as [`Error::Config`] instead of exploring.
    pub(crate) invalid: Option<String>,
    /// How long a check may go without reaching a scheduling point (`None`: forever).
    pub(crate) watchdog: Option<std::time::Duration>,
    /// The stack size of each scenario thread.
    pub(crate) stack_size: usize,
    /// The file of accepted findings (`Config::baseline`, `INTERLEAVE_BASELINE`).
    pub(crate) baseline: Option<PathBuf>,
    /// At most this many preemptions per execution, for exhaustive exploration.
    pub(crate) max_preemptions: Option<u32>,
    /// Explore on after failing executions (the oracle tests compare every finding).
    pub(crate) keep_going: bool,
    /// With `keep_going`: findings still end their executions, as accepted ones do.
    pub(crate) findings_cut: bool,
    /// How many OS threads run the executions of a random or PCT check.
    pub(crate) jobs: usize,
    /// `jobs` was asked for (`Config::jobs`, `INTERLEAVE_JOBS`), not the default: the check
    /// starts its threads after execution 1, however short it is.
    pub(crate) jobs_asked: bool,
    /// `executions` was given by [`Config::executions`], not by the strategy's constructor:
    /// `INTERLEAVE_STRATEGY` keeps it whatever strategy it names.
    pub(crate) executions_asked: bool,
    /// The memory model of interleave's atomics.
    pub(crate) memory_model: crate::MemoryModel,
}

impl Default for Config {
    /// PCT with depth 3, 1,000 executions, a seed derived from the check's name.
    fn default() -> Self {
        Config::pct(SAMPLING_BUDGET, 3)
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
            invalid: None,
            watchdog: Some(crate::rt::DEFAULT_WATCHDOG),
            stack_size: crate::rt::DEFAULT_STACK_SIZE,
            baseline: None,
            max_preemptions: None,
            keep_going: false,
            findings_cut: false,
            jobs: default_jobs(),
            jobs_asked: false,
            executions_asked: false,
            memory_model: crate::MemoryModel::SequentiallyConsistent,
        }
        .require_executions(executions)
    }

    /// Remembers the first invalid setting; the check reports it before exploring.
    fn reject(mut self, setting: String, expected: &str) -> Self {
        self.invalid
            .get_or_insert_with(|| format!("{setting}: expected {expected}"));
        self
    }

    fn require_executions(self, executions: u64) -> Self {
        if executions == 0 {
            return self.reject(
                format!("{executions} executions"),
                "a number of executions, at least 1",
            );
        }
        self
    }

    /// `strategy`'s depth, if it has one, is at least 1.
    fn require_depth(self, strategy: Strategy) -> Self {
        match strategy {
            Strategy::Pct { depth: 0 } => {
                self.reject("PCT depth 0".to_owned(), "a depth of at least 1")
            }
            Strategy::Mix { depth: 0 } => {
                self.reject("mix depth 0".to_owned(), "a depth of at least 1")
            }
            _ => self,
        }
    }

    /// The configuration's first invalid setting, as an error.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        match &self.invalid {
            Some(reason) => Err(Error::Config {
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    /// `executions` executions, each choosing a runnable thread uniformly at every step.
    pub fn random(executions: u64) -> Self {
        Config::with(Strategy::Random, executions)
    }

    /// `executions` executions of probabilistic concurrency testing with bug depth `depth`.
    pub fn pct(executions: u64, depth: usize) -> Self {
        Config::with(Strategy::Pct { depth }, executions).require_depth(Strategy::Pct { depth })
    }

    /// `executions` executions, PCT with bug depth `depth` and random scheduling taking turns
    /// ([`Strategy::Mix`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let report = interleave::Config::mix(100, 3).explore(|| {
    ///     let t = interleave::thread::spawn(|| ());
    ///     t.join().unwrap();
    /// });
    /// assert_eq!(report.strategy, "mix:3");
    /// ```
    pub fn mix(executions: u64, depth: usize) -> Self {
        Config::with(Strategy::Mix { depth }, executions).require_depth(Strategy::Mix { depth })
    }

    /// Every schedule, up to 100,000 executions (change with
    /// [`executions`](Config::executions)), with dynamic partial-order reduction: schedules
    /// that differ only in the order of independent steps (two threads touching different
    /// locks, or only reading the same atomic) are one class, and one execution of each class
    /// is run. Two threads each taking one mutex three times, say, have exactly 20 classes (the
    /// orders of the six critical sections). The report says *complete* once every class has
    /// run. See `docs/guide.md` for what counts as a step and what it explores.
    ///
    /// # Examples
    ///
    /// ```
    /// use interleave::sync::{Arc, Mutex};
    /// use interleave::thread;
    ///
    /// let report = interleave::Config::exhaustive().explore(|| {
    ///     let m = Arc::new(Mutex::new(0));
    ///     let handles: Vec<_> = (0..2)
    ///         .map(|_| {
    ///             let m = Arc::clone(&m);
    ///             thread::spawn(move || {
    ///                 for _ in 0..3 {
    ///                     *m.lock().unwrap() += 1;
    ///                 }
    ///             })
    ///         })
    ///         .collect();
    ///     for handle in handles {
    ///         handle.join().unwrap();
    ///     }
    /// });
    /// assert!(report.is_clean() && report.complete);
    /// assert_eq!(report.executions, 20);
    /// ```
    pub fn exhaustive() -> Self {
        Config::with(Strategy::Exhaustive, EXHAUSTIVE_BUDGET)
    }

    /// Bounds exhaustive exploration to schedules with at most `preemptions` preemptions each
    /// (a thread that could go on is switched out; loom's `LOOM_MAX_PREEMPTIONS`): most bugs need
    /// few, and the number of schedules grows far more slowly with the length of the program.
    /// The reduction stays sound within the bound (bounded partial-order reduction: every
    /// schedule with at most `preemptions` preemptions is covered), and a check whose bound kept
    /// a schedule from being explored says it explored *a bounded sample*, never *every
    /// schedule* (under DPOR a bound that cut nothing leaves it complete; naive DFS with a bound
    /// always says a bounded sample). `INTERLEAVE_MAX_PREEMPTIONS`
    /// overrides it (`none` lifts it). Random and PCT ignore it.
    ///
    /// # Examples
    ///
    /// ```
    /// use interleave::sync::{Arc, Mutex};
    ///
    /// // Two threads each incrementing 3 times: with at most 1 preemption, 12 executions.
    /// let report = interleave::Config::exhaustive()
    ///     .max_preemptions(1)
    ///     .explore(|| {
    ///         let m = Arc::new(Mutex::new(0));
    ///         let threads: Vec<_> = (0..2)
    ///             .map(|_| {
    ///                 let m = Arc::clone(&m);
    ///                 interleave::thread::spawn(move || {
    ///                     for _ in 0..3 {
    ///                         *m.lock().unwrap() += 1;
    ///                     }
    ///                 })
    ///             })
    ///             .collect();
    ///         for t in threads {
    ///             t.join().unwrap();
    ///         }
    ///     });
    /// assert!(report.is_clean() && !report.complete);
    /// assert_eq!(report.executions, 12);
    /// ```
    pub fn max_preemptions(mut self, preemptions: u32) -> Self {
        self.max_preemptions = Some(preemptions);
        self
    }

    /// Another strategy, keeping everything else (executions, seed, bounds, analyses).
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        // A depth of 0 is an error, as from `Config::pct`, not clamped to 1.
        self.require_depth(strategy)
    }

    /// The memory model of interleave's atomics (default
    /// [`SequentiallyConsistent`](crate::MemoryModel::SequentiallyConsistent)): under
    /// [`Weak`](crate::MemoryModel::Weak) a load may read an older store than the latest, as
    /// C11's orderings allow, and which one it reads is a decision of the schedule that every
    /// strategy explores and a replay repeats (docs/memory-model.md).
    /// `INTERLEAVE_MEMORY_MODEL=weak|sc` overrides it.
    ///
    /// # Examples
    ///
    /// ```
    /// use interleave::sync::atomic::{AtomicUsize, Ordering};
    /// use interleave::{thread, MemoryModel};
    /// use interleave::sync::Arc;
    ///
    /// // Two Relaxed stores and a read of each: store buffering reads both old values in one
    /// // of the schedules exhaustive exploration runs.
    /// let outcomes = Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    /// let seen = Arc::clone(&outcomes);
    /// interleave::Config::exhaustive()
    ///     .memory_model(MemoryModel::Weak)
    ///     .check(move || {
    ///         let (x, y) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    ///         let (x2, y2) = (Arc::clone(&x), Arc::clone(&y));
    ///         let t = thread::spawn(move || {
    ///             x2.store(1, Ordering::Relaxed);
    ///             y2.load(Ordering::Relaxed)
    ///         });
    ///         y.store(1, Ordering::Relaxed);
    ///         let a = x.load(Ordering::Relaxed);
    ///         let b = t.join().unwrap();
    ///         seen.lock().unwrap().insert((a, b));
    ///     });
    /// assert!(outcomes.lock().unwrap().contains(&(0, 0)));
    /// ```
    pub fn memory_model(mut self, model: crate::MemoryModel) -> Self {
        self.memory_model = model;
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
        self.executions_asked = true;
        self.require_executions(executions)
    }

    /// The step bound of one execution: past it the execution is a livelock finding. It counts
    /// scheduling decisions with more than one runnable thread made since the execution last
    /// made progress (default 20,000; `docs/guide.md` says what counts as progress), so a long
    /// but finite correct run is not a livelock. Ten times as many decisions in all also ends
    /// the execution, so a lone thread spinning forever does too.
    pub fn max_steps(mut self, max_steps: u64) -> Self {
        self.max_steps = max_steps;
        if max_steps == 0 {
            return self.reject("max_steps(0)".to_owned(), "a step bound of at least 1");
        }
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
        if !(0.0..=1.0).contains(&probability) {
            // NaN is not in the range either.
            return self.reject(
                format!("early_timers({probability})"),
                "a probability from 0 to 1",
            );
        }
        self.early_timers = probability;
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

    /// How long (wall-clock) a check may go without reaching a scheduling point before it gives
    /// up with [`Error::Stalled`] (default 10 s; `None`: never). A scenario thread blocked or
    /// spinning outside interleave's control (a std lock, real I/O, a `loop` with no interleave
    /// call, another runtime) would otherwise hang the test. The thread running the check is
    /// left behind, stuck where it is. Only this decides whether to give up: nothing about the
    /// executions, their findings or artifacts depends on time.
    pub fn watchdog(mut self, limit: Option<std::time::Duration>) -> Self {
        if limit.is_some_and(|limit| limit.is_zero()) {
            return self.reject("watchdog(0 s)".to_owned(), "a positive limit, or `None`");
        }
        self.watchdog = limit;
        self
    }

    /// The stack of each scenario thread, in bytes (default 2 MiB, std's default for spawned
    /// threads; reserved, and only backed by memory where it is used). A thread spawned with
    /// [`thread::Builder::stack_size`](crate::thread::Builder::stack_size) gets the larger of
    /// the two. A thread that overflows its stack ends the process (as in std), after a message
    /// naming the check and the thread.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        if bytes < MIN_STACK_SIZE {
            return self.reject(
                format!("stack_size({bytes})"),
                "at least 65536 bytes (64 KiB)",
            );
        }
        self.stack_size = bytes;
        self
    }

    /// How many OS threads run executions at once: by default the number of cores this process
    /// may use, at most 8 (`INTERLEAVE_JOBS` overrides it). Each thread runs executions with an
    /// engine of its own. Random, PCT and mixed checks use them, and naive DFS
    /// ([`Strategy::ExhaustiveNaive`]), which splits its tree among them; DPOR and replays run on
    /// one thread (DPOR's next schedule depends on every execution before it).
    ///
    /// Nothing in the result depends on it: execution *k*'s schedule comes from the seed and
    /// *k* alone (naive DFS: the subtrees' executions are taken in the order one thread explores
    /// them), the executions' findings are taken in their order, and the check reports the
    /// lowest-numbered failing execution, with the same report and byte-identical artifact
    /// whatever `n` is. Execution 1 runs alone; a check whose scenario uses an interleave object
    /// made outside its execution (before the check, or in a `static`) runs every execution on
    /// one thread, since executions running at once would share it. What interleave cannot
    /// see is the scenario's own state outside interleave's types (a `std` static counter):
    /// executions running at once share it, and executions after a failing one may have run.
    ///
    /// # Examples
    ///
    /// ```
    /// let one = interleave::Config::random(200).seed(3).jobs(1).explore(|| {});
    /// let two = interleave::Config::random(200).seed(3).jobs(2).explore(|| {});
    /// assert_eq!(one.executions, two.executions);
    /// ```
    pub fn jobs(mut self, n: usize) -> Self {
        if !(1..=MAX_JOBS).contains(&n) {
            return self.reject(format!("jobs({n})"), "from 1 to 1024 threads");
        }
        self.jobs = n;
        self.jobs_asked = true;
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
        match crate::check::run(self, f, interleave_detector::Site::caller()) {
            // One line, seen with `--nocapture`: what was explored, and how far.
            Ok(report) if report.is_clean() => print!("{report}"),
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
    #[track_caller]
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
    #[track_caller]
    pub fn try_explore<F>(self, f: F) -> Result<Report, Error>
    where
        F: Fn() + Send + Sync + 'static,
    {
        crate::check::run(self, f, interleave_detector::Site::caller())
    }

    /// Puts `strategy` (from `INTERLEAVE_STRATEGY`) in place of the configured one, with a
    /// budget that fits it. A sampling budget (`check`'s 1,000) would cut an exhaustive search
    /// short, and an exhaustive search's cap (it stops on its own before) would have a sampling
    /// strategy run 100,000 executions. So exhaustive search in place of a sampling strategy
    /// gets its own budget, and a sampling strategy in place of exhaustive search gets 1,000
    /// unless [`Config::executions`] gave the cap; `INTERLEAVE_ITERATIONS` (`iterations_set`)
    /// has the last word.
    fn switch_strategy(&mut self, strategy: Strategy, iterations_set: bool) {
        if !iterations_set {
            if strategy.is_exhaustive() && !self.strategy.is_exhaustive() {
                self.executions = EXHAUSTIVE_BUDGET;
            }
            if !strategy.is_exhaustive() && self.strategy.is_exhaustive() && !self.executions_asked
            {
                self.executions = SAMPLING_BUDGET;
            }
        }
        self.strategy = strategy;
    }

    /// Applies the `INTERLEAVE_*` overrides; returns the replay artifact path if one is set.
    pub(crate) fn apply_env(&mut self) -> Result<Option<PathBuf>, Error> {
        self.validate()?;
        if !self.env_overrides {
            return Ok(None);
        }
        if let Some(value) = setting("INTERLEAVE_SEED")? {
            self.seed = match value.as_str() {
                "random" => Seed::Random,
                number => Seed::Fixed(number.parse().map_err(|_| Error::Env {
                    variable: "INTERLEAVE_SEED",
                    value: value.clone(),
                    expected: "a number from 0 to 18446744073709551615, or `random`",
                })?),
            };
        }
        let iterations = setting("INTERLEAVE_ITERATIONS")?;
        let iterations_set = iterations.is_some();
        if let Some(value) = iterations {
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
        if let Some(value) = setting("INTERLEAVE_STRATEGY")? {
            let strategy = Strategy::parse(&value).ok_or(Error::Env {
                variable: "INTERLEAVE_STRATEGY",
                value: value.clone(),
                expected: "`random`, `pct`, `pct:D` or `mix:D` with a depth D of at least 1, `mix`, `exhaustive` or `exhaustive-naive`",
            })?;
            self.switch_strategy(strategy, iterations_set);
        }
        if let Some(value) = setting("INTERLEAVE_MAX_PREEMPTIONS")? {
            self.max_preemptions = match value.as_str() {
                "none" => None,
                number => Some(number.parse().map_err(|_| Error::Env {
                    variable: "INTERLEAVE_MAX_PREEMPTIONS",
                    value: value.clone(),
                    expected: "a number of preemptions from 0 to 4294967295, or `none`",
                })?),
            };
        }
        if let Some(value) = setting("INTERLEAVE_WATCHDOG")? {
            self.watchdog = crate::rt::parse_watchdog(&value).ok_or(Error::Env {
                variable: "INTERLEAVE_WATCHDOG",
                value: value.clone(),
                expected: "a number of seconds (`10`, `2.5`), or `off`",
            })?;
        }
        if let Some(value) = setting("INTERLEAVE_STACK_SIZE")? {
            self.stack_size = value
                .parse()
                .ok()
                .filter(|&n: &usize| n >= MIN_STACK_SIZE)
                .ok_or(Error::Env {
                    variable: "INTERLEAVE_STACK_SIZE",
                    value: value.clone(),
                    expected: "a number of bytes, at least 65536",
                })?;
        }
        if let Some(value) = setting("INTERLEAVE_JOBS")? {
            self.jobs_asked = true;
            self.jobs = value
                .parse()
                .ok()
                .filter(|&n: &usize| (1..=MAX_JOBS).contains(&n))
                .ok_or(Error::Env {
                    variable: "INTERLEAVE_JOBS",
                    value: value.clone(),
                    expected: "a number of threads from 1 to 1024",
                })?;
        }
        if let Some(value) = setting("INTERLEAVE_MEMORY_MODEL")? {
            self.memory_model = crate::MemoryModel::parse(&value).ok_or(Error::Env {
                variable: "INTERLEAVE_MEMORY_MODEL",
                value: value.clone(),
                expected: "`weak` or `sc`",
            })?;
        }
        if let Some(value) = env("INTERLEAVE_ARTIFACT_DIR")? {
            self.artifact_dir = Some(PathBuf::from(value));
        }
        if let Some(value) = env("INTERLEAVE_BASELINE")? {
            self.baseline = Some(PathBuf::from(value));
        }
        Ok(env("INTERLEAVE_REPLAY")?.map(PathBuf::from))
    }

    /// Explores on after failing executions, collecting every finding of every execution (no
    /// artifact): what the oracle tests compare between strategies.
    #[cfg(test)]
    pub(crate) fn keep_going(mut self) -> Self {
        self.keep_going = true;
        self
    }

    /// [`keep_going`](Self::keep_going), where each finding still ends its execution, as an
    /// accepted one does (a race does not, as an accepted one does not): the oracle tests
    /// compare what strategies reach past such cuts.
    #[cfg(test)]
    pub(crate) fn keep_going_past_cuts(mut self) -> Self {
        self.keep_going = true;
        self.findings_cut = true;
        self
    }

    /// A fresh seed from the OS, as `INTERLEAVE_SEED=random` gives: each check explores other
    /// schedules, and its report says which seed it used, to replay or pin it.
    pub fn random_seed(mut self) -> Self {
        self.seed = Seed::Random;
        self
    }

    /// A baseline of accepted findings ([`Baseline`](crate::Baseline), the file `interleave ci
    /// baseline` writes): a finding it lists for this check (by fingerprint) is recorded in the
    /// report's [`accepted`](Report::accepted) and exploration goes on within the budget; only
    /// a finding it does not list fails the check. A relative path is relative to the test's
    /// working directory (its package's directory). `INTERLEAVE_BASELINE` overrides it.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// interleave::Config::pct(1_000, 3)
    ///     .baseline("../interleave-baseline.json")
    ///     .check(|| { /* … */ });
    /// ```
    pub fn baseline(mut self, path: impl Into<PathBuf>) -> Self {
        self.baseline = Some(path.into());
        self
    }
}

/// The execution bound of exhaustive exploration, unless set.
const EXHAUSTIVE_BUDGET: u64 = 100_000;

/// The executions of a sampling strategy when the code does not say (`Config::default()`,
/// `check`).
const SAMPLING_BUDGET: u64 = 1_000;

/// The smallest stack a scenario thread may be given: the runtime's own frames need some.
const MIN_STACK_SIZE: usize = 64 << 10;

/// The most threads `INTERLEAVE_JOBS` may ask for.
const MAX_JOBS: usize = 1024;

/// The default of [`Config::jobs`]: the cores this process may use, at most 8. Asked once
/// per process (std reads the cgroup's files each time).
fn default_jobs() -> usize {
    static JOBS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *JOBS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// A set, non-empty variable. An empty value counts as unset (`INTERLEAVE_SEED= cargo test`);
/// one that is not UTF-8 is an error naming it, never silently unset.
pub(crate) fn env(variable: &'static str) -> Result<Option<String>, Error> {
    match std::env::var(variable) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(value)) => Err(Error::Env {
            variable,
            value: value.to_string_lossy().into_owned(),
            expected: "a UTF-8 value",
        }),
    }
}

/// A setting's environment variable (not a path), without the spaces around it: ` 2` and
/// `2 ` mean 2 for every setting alike.
fn setting(variable: &'static str) -> Result<Option<String>, Error> {
    Ok(env(variable)?.map(|value| value.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_default_to_the_cores_at_most_8_and_know_when_they_were_asked_for() {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let config = Config::random(10);
        assert_eq!((config.jobs, config.jobs_asked), (cores.min(8), false));
        let asked = Config::random(10).jobs(1);
        assert_eq!((asked.jobs, asked.jobs_asked), (1, true));
    }

    #[test]
    fn interleave_strategy_swaps_a_default_budget_and_keeps_one_given() {
        let switched = |config: Config, to: Strategy, iterations_set: bool| {
            let mut config = config;
            config.switch_strategy(to, iterations_set);
            (config.strategy, config.executions)
        };
        // The default budgets swap: check's 1,000 for exhaustive's 100,000, and back.
        assert_eq!(
            switched(Config::default(), Strategy::Exhaustive, false),
            (Strategy::Exhaustive, EXHAUSTIVE_BUDGET)
        );
        assert_eq!(
            switched(Config::exhaustive(), Strategy::Random, false),
            (Strategy::Random, SAMPLING_BUDGET)
        );
        assert_eq!(
            switched(Config::exhaustive(), Strategy::ExhaustiveNaive, false),
            (Strategy::ExhaustiveNaive, EXHAUSTIVE_BUDGET)
        );
        // An exhaustive cap given with `executions` stays, even one equal to the default.
        for given in [50, SAMPLING_BUDGET, EXHAUSTIVE_BUDGET, 200_000] {
            assert_eq!(
                switched(
                    Config::exhaustive().executions(given),
                    Strategy::Random,
                    false
                ),
                (Strategy::Random, given)
            );
            // A sampling budget means nothing to exhaustive search, which stops on its own.
            assert_eq!(
                switched(
                    Config::default().executions(given),
                    Strategy::Exhaustive,
                    false
                ),
                (Strategy::Exhaustive, EXHAUSTIVE_BUDGET)
            );
        }
        // `INTERLEAVE_ITERATIONS` has set the budget already.
        let mut config = Config::exhaustive();
        config.executions = 10;
        config.switch_strategy(Strategy::Random, true);
        assert_eq!(config.executions, 10);
    }

    #[test]
    fn strategies_parse_as_documented() {
        assert_eq!(Strategy::parse("random"), Some(Strategy::Random));
        assert_eq!(Strategy::parse("pct"), Some(Strategy::Pct { depth: 3 }));
        assert_eq!(Strategy::parse("pct:5"), Some(Strategy::Pct { depth: 5 }));
        assert_eq!(Strategy::parse("exhaustive"), Some(Strategy::Exhaustive));
        assert_eq!(
            Strategy::parse("exhaustive-naive"),
            Some(Strategy::ExhaustiveNaive)
        );
        for bad in ["", "PCT", "pct:0", "pct:x", "loom"] {
            assert_eq!(Strategy::parse(bad), None, "{bad}");
        }
        for s in [
            Strategy::Random,
            Strategy::Pct { depth: 2 },
            Strategy::Exhaustive,
            Strategy::ExhaustiveNaive,
        ] {
            assert_eq!(Strategy::parse(&s.name()), Some(s));
        }
    }
}
