//! The check loop: one check, many executions, stopping at the first with a finding the baseline
//! does not accept.

mod collect;
mod dfs_jobs;
mod jobs;
mod runner;

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use interleave_detector::{Detector, Site};
use shuttle_engine::{FailurePersistence, MaxSteps};

use crate::artifact::{self, Artifact, Rerun, ARTIFACT_FORMAT_VERSION};
use crate::baseline::Baseline;
use crate::config::{Config, Seed, Strategy};
use crate::error::Error;
use crate::ledger;
use crate::report::Report;
use crate::rerun::TestRerun;
use crate::rt::{self, Stop};
use crate::schedule::coverage::Coverage;
use crate::schedule::dfs::DfsStrategy;
use crate::schedule::dpor::DporStrategy;
use crate::schedule::pct::PctStrategy;
use crate::schedule::random::RandomStrategy;
use crate::schedule::replay::{Recorded, RecordedPath, ReplayStrategy};
use crate::schedule::Schedule;
use collect::Collected;
use runner::Runner;

/// The engine's configuration: interleave bounds steps and reports failures itself.
pub(crate) fn engine_config() -> shuttle_engine::Config {
    let mut config = shuttle_engine::Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_steps = MaxSteps::None;
    config.silence_warnings = true;
    config.stack_size = rt::stack_size();
    config
}

/// The check's name: the configured one, else the test's (libtest names each test's thread
/// after the test), else `main`.
fn check_name(config: &Config) -> String {
    config
        .name
        .clone()
        .unwrap_or_else(|| std::thread::current().name().unwrap_or("main").to_owned())
}

/// FNV-1a of the name: a seed that is the same on every machine and toolchain.
pub(crate) fn seed_from_name(name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn random_seed() -> u64 {
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

pub(crate) fn run<F>(mut config: Config, f: F, caller: Site) -> Result<Report, Error>
where
    F: Fn() + Send + Sync + 'static,
{
    refuse_nested(caller)?;
    let replay = config.apply_env()?;
    let f: Arc<dyn Fn() + Send + Sync> = Arc::new(f);
    let (watchdog, stack_size) = (config.watchdog, config.stack_size);
    match replay {
        Some(path) => {
            let artifact = Artifact::read(&path)?;
            // `INTERLEAVE_REPLAY` replays an artifact in the check that wrote it; the test's
            // other checks (and other tests) run nothing.
            if artifact.check != check_name(&config) {
                return Ok(skipped(&config, check_name(&config)));
            }
            let pending = ledger::Pending::replay(&config, &artifact);
            let running = pending.running();
            let name = artifact.check.clone();
            let result = rt::watched(&name, watchdog, stack_size, move || {
                replay_artifact(&path, artifact, f)
            });
            drop(running);
            pending.finish(&result);
            result
        }
        None => {
            let name = check_name(&config);
            // On the test's own thread and process: the test's name, binary and environment.
            let rerun = match &config.scenario {
                Some(scenario) => Rerun::Scenario {
                    name: scenario.clone(),
                },
                None => Rerun::Test(TestRerun::detect(test_path(&name))),
            };
            let pending = ledger::Pending::explore(&config, &name, &rerun);
            let baseline = match config.baseline.as_deref().map(Baseline::read).transpose() {
                Ok(baseline) => baseline,
                Err(error) => {
                    let result = Err(error);
                    pending.finish(&result);
                    return result;
                }
            };
            let running = pending.running();
            let result = rt::watched(&name.clone(), watchdog, stack_size, move || {
                explore(config, name, rerun, baseline, f)
            });
            drop(running);
            pending.finish(&result);
            result
        }
    }
}

/// The report of a check that ran nothing: another check's artifact is being replayed.
fn skipped(config: &Config, name: String) -> Report {
    Report {
        name,
        findings: Vec::new(),
        accepted: Vec::new(),
        executions: 0,
        failing_execution: None,
        artifact: None,
        strategy: config.strategy.name(),
        max_preemptions: None,
        seed: 0,
        schedule: None,
        replay_command: None,
        complete: false,
        stale_reads: Vec::new(),
    }
}

/// `interleave::replay`: the artifact at `path` against `f`, watched as a check is.
pub(crate) fn replay<F>(path: &Path, f: F, caller: Site) -> Result<Report, Error>
where
    F: Fn() + Send + Sync + 'static,
{
    refuse_nested(caller)?;
    // The watchdog and stack size may come from the environment; the rest is the artifact's.
    let mut config = Config::default();
    config.apply_env()?;
    let artifact = Artifact::read(path)?;
    let f: Arc<dyn Fn() + Send + Sync> = Arc::new(f);
    let path = path.to_owned();
    rt::watched(
        &artifact.check.clone(),
        config.watchdog,
        config.stack_size,
        move || replay_artifact(&path, artifact, f),
    )
}

/// A check started inside a scenario: the inner call fails, and so does the check running it,
/// with an error naming the misuse (never a finding of the outer check's).
fn refuse_nested(caller: Site) -> Result<(), Error> {
    if !rt::in_execution() {
        return Ok(());
    }
    rt::with(|c| {
        c.stop.get_or_insert(Stop::Nested(caller.clone()));
    });
    Err(Error::Nested { site: caller })
}

/// Runs the artifact read from `path` against `f`: the earlier executions its findings cite,
/// then the failing one, each with its recorded schedule, step bound and analyses.
fn replay_artifact(
    path: &Path,
    artifact: Artifact,
    f: Arc<dyn Fn() + Send + Sync>,
) -> Result<Report, Error> {
    if artifact.execution == 0 {
        return Err(Error::ArtifactFormat {
            path: path.to_owned(),
            reason: "it was recorded on real threads (online lock-order detection), which have \
                     no schedule to replay: run the tests again to see it"
                .to_owned(),
        });
    }
    let decode = |text: &str| {
        Schedule::decode(text).map_err(|e| Error::ArtifactFormat {
            path: path.to_owned(),
            reason: e.to_string(),
        })
    };
    let mut schedules = Vec::new();
    let mut numbers = Vec::new();
    for prior in &artifact.prior {
        let path =
            RecordedPath::digests(&prior.digests).map_err(|reason| Error::ArtifactFormat {
                path: path.to_owned(),
                reason: format!("prior execution {}: {reason}", prior.execution),
            })?;
        schedules.push(Recorded {
            schedule: decode(&prior.schedule)?,
            path,
        });
        numbers.push(prior.execution);
    }
    schedules.push(Recorded {
        schedule: decode(&artifact.schedule)?,
        path: RecordedPath::trace(artifact.trace.clone()),
    });
    numbers.push(artifact.execution);
    let plan = Plan {
        name: artifact.check.clone(),
        strategy_name: artifact.strategy.clone(),
        max_preemptions: artifact.max_preemptions,
        seed: artifact.seed,
        executions: numbers.len() as u64,
        max_steps: artifact.max_steps as usize,
        numbers: Some(numbers),
        detector: artifact.detector,
        artifact_dir: None,
        rerun: artifact.rerun.clone(),
        // The findings the check's baseline accepted: a replay records them and goes on, as the
        // check did (an earlier execution it replays may have found one).
        accepted: artifact.accepted.iter().cloned().collect(),
        deadline: artifact.deadline.clone(),
        keep_going: false,
        findings_cut: false,
        jobs: 1,
        jobs_asked: true,
        memory_model: artifact.memory_model,
    };
    let mut report = run_plan(&plan, Box::new(ReplayStrategy::new(schedules)), None, f)
        .map_err(|e| e.into_error(path))?;
    report.artifact = Some(path.to_owned());
    report.replay_command = None;
    Ok(report)
}

/// The test that runs a check, as `cargo test` selects it: libtest names each test's thread
/// after the test; failing that, the check's own name; failing that (neither is a test path),
/// the check's name with everything else made `_`, which at least never becomes a flag.
fn test_path(check: &str) -> String {
    let thread = std::thread::current();
    if let Some(test) = thread.name().filter(|t| artifact::is_test_path(t)) {
        return test.to_owned();
    }
    if artifact::is_test_path(check) {
        return check.to_owned();
    }
    let safe: String = check
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if artifact::is_test_path(&safe) {
        safe
    } else {
        "main".to_owned()
    }
}

fn explore(
    config: Config,
    name: String,
    rerun: Rerun,
    baseline: Option<Baseline>,
    f: Arc<dyn Fn() + Send + Sync>,
) -> Result<Report, Error> {
    let seed = match config.seed {
        Seed::FromName => seed_from_name(&name),
        Seed::Fixed(seed) => seed,
        Seed::Random => random_seed(),
    };
    let (kind, early_timers, max_preemptions) =
        (config.strategy, config.early_timers, config.max_preemptions);
    let make = move || -> Box<dyn crate::schedule::Strategy> {
        match kind {
            Strategy::Random => Box::new(RandomStrategy::new(seed, early_timers)),
            Strategy::Pct { depth } => Box::new(PctStrategy::new(seed, depth, early_timers)),
            Strategy::Mix { depth } => Box::new(crate::schedule::mix::MixStrategy::new(
                seed,
                depth,
                early_timers,
            )),
            Strategy::Exhaustive => Box::new(DporStrategy::new(max_preemptions)),
            Strategy::ExhaustiveNaive => Box::new(DfsStrategy::new(max_preemptions)),
        }
    };
    let plan = Plan {
        rerun,
        accepted: baseline.map(|b| b.fingerprints(&name)).unwrap_or_default(),
        name,
        strategy_name: config.strategy.name(),
        // Random and PCT ignore a preemption bound.
        max_preemptions: config
            .max_preemptions
            .filter(|_| config.strategy.is_exhaustive()),
        seed,
        executions: config.executions,
        max_steps: config.max_steps as usize,
        numbers: None,
        // The runtime records when a thread blocks.
        detector: interleave_detector::DetectorConfig {
            blocks_recorded: true,
            ..config.detector
        },
        deadline: config
            .deadline
            .clone()
            .map(|(d, site)| (rt::deadline_after(0, d), site)),
        keep_going: config.keep_going,
        findings_cut: config.findings_cut,
        jobs: config.jobs,
        jobs_asked: config.jobs_asked,
        memory_model: config.memory_model,
        artifact_dir: config.write_artifact.then(|| {
            config
                .artifact_dir
                .clone()
                .unwrap_or_else(artifact::default_dir)
        }),
    };
    run_plan(&plan, make(), Some(&make), f).map_err(|e| e.into_error(Path::new("")))
}

/// Everything a run needs besides the strategy and the scenario.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) name: String,
    pub(crate) strategy_name: String,
    /// The preemption bound of an exhaustive strategy, if any.
    pub(crate) max_preemptions: Option<u32>,
    pub(crate) seed: u64,
    pub(crate) executions: u64,
    pub(crate) max_steps: usize,
    /// The numbers of the executions, when they are not 1, 2, 3… (a replay keeps the recorded
    /// ones).
    pub(crate) numbers: Option<Vec<u64>>,
    pub(crate) detector: interleave_detector::DetectorConfig,
    pub(crate) artifact_dir: Option<PathBuf>,
    pub(crate) rerun: Rerun,
    /// A deadline for each whole execution (virtual nanoseconds), and where it was declared.
    pub(crate) deadline: Option<(u64, interleave_detector::Site)>,
    /// The fingerprints of accepted findings: recorded, and exploration goes on.
    pub(crate) accepted: BTreeSet<String>,
    /// Explore on after a failing execution, collecting every finding (tests comparing
    /// strategies); no artifact is written.
    pub(crate) keep_going: bool,
    /// With `keep_going`: findings still end their executions, as accepted ones do.
    pub(crate) findings_cut: bool,
    /// How many OS threads run executions of a sampling strategy.
    pub(crate) jobs: usize,
    /// `jobs` was asked for, not the default (see `jobs::run`).
    pub(crate) jobs_asked: bool,
    /// The memory model of interleave's atomics.
    pub(crate) memory_model: crate::MemoryModel,
}

/// Why a run could not give a report.
#[derive(Debug)]
pub(crate) enum PlanError {
    /// A replayed schedule stopped fitting the program.
    Diverged(String),
    /// The program took another path under a schedule prefix explored before.
    Nondeterministic(String),
    /// interleave went wrong.
    Internal(String),
    /// A check was started inside the scenario, at this site.
    Nested(Site),
}

impl PlanError {
    fn into_error(self, path: &Path) -> Error {
        match self {
            PlanError::Diverged(message) => Error::Diverged {
                path: path.to_owned(),
                message,
            },
            PlanError::Nondeterministic(message) => Error::Nondeterministic { message },
            PlanError::Internal(message) => Error::Internal { message },
            PlanError::Nested(site) => Error::Nested { site },
        }
    }
}

/// Runs executions until the strategy is done, the bound is reached, or one fails. A sampling
/// strategy with `plan.jobs > 1` runs them on that many OS threads, each with a strategy from
/// `more` (see [`jobs`]), and naive DFS splits its tree among them (see [`dfs_jobs`]);
/// otherwise they run here, one after the other, with `strategy`.
pub(crate) fn run_plan(
    plan: &Plan,
    strategy: Box<dyn crate::schedule::Strategy>,
    more: Option<&jobs::MakeStrategy<'_>>,
    f: Arc<dyn Fn() + Send + Sync>,
) -> Result<Report, PlanError> {
    rt::install_panic_hook();
    let unrecorded = rt::unrecorded_panics();
    let mut collected = collect(plan, strategy, more, &f)?;
    if rt::unrecorded_panics() != unrecorded && lost_a_panic_site(&collected.0) {
        // A panic of this check reached no hook of interleave's (one that replaced it keeps it
        // without calling it): its finding has no site, and so another fingerprint. With
        // interleave's hook in front again, the check runs again from its first execution,
        // once. (A replay has no second strategy to run with.)
        if let Some(make) = more {
            rt::put_back_panic_hook();
            collected = collect(plan, make(), more, &f)?;
        }
    }
    let (collected, complete) = collected;
    finish(plan, collected, complete)
}

/// Whether a panic finding of `collected`, new or accepted, lost its site (see `run_plan`).
fn lost_a_panic_site(collected: &Collected) -> bool {
    collected
        .findings
        .iter()
        .chain(&collected.accepted)
        .any(|f| f.kind == interleave_detector::Kind::Panic && f.sites.contains(&Site::unknown()))
}

/// Runs the executions of [`run_plan`]: returns what was collected and whether no schedule is
/// left.
fn collect(
    plan: &Plan,
    strategy: Box<dyn crate::schedule::Strategy>,
    more: Option<&jobs::MakeStrategy<'_>>,
    f: &Arc<dyn Fn() + Send + Sync>,
) -> Result<(Collected, bool), PlanError> {
    Ok(match more {
        Some(make)
            if plan.jobs > 1
                && plan.executions > 1
                && strategy.samples()
                && plan.numbers.is_none() =>
        {
            match jobs::run(plan, make, f)? {
                Some(done) => done,
                // Its executions share an object made outside them: one thread runs them all,
                // from the first.
                None => run_here(plan, strategy, f)?,
            }
        }
        // Naive DFS splits its tree among the threads.
        Some(make)
            if plan.jobs > 1
                && plan.executions > 1
                && strategy.splits()
                && plan.numbers.is_none()
                && plan.memory_model != crate::MemoryModel::Weak =>
        {
            match dfs_jobs::run(plan, strategy, f)? {
                Some(done) => done,
                // As above: one thread explores the whole tree again.
                None => run_here(plan, make(), f)?,
            }
        }
        _ => run_here(plan, strategy, f)?,
    })
}

/// The executions, one after the other on this OS thread; the check's detector runs inside
/// them. Returns what was collected and whether no schedule is left.
fn run_here(
    plan: &Plan,
    strategy: Box<dyn crate::schedule::Strategy>,
    f: &Arc<dyn Fn() + Send + Sync>,
) -> Result<(Collected, bool), PlanError> {
    let events_cap = if strategy.needs_events() {
        usize::MAX
    } else {
        TRACE_CAP
    };
    let mut runner = Runner::new(plan, strategy, Coverage::default(), events_cap);
    let mut detector = Some(Box::new(Detector::new(plan.detector)));
    let mut collected = Collected::default();
    // The strategy has no schedule left (exhaustive search ran out of branches).
    let mut exhausted = false;
    rt::with_stacks(|| {
        while collected.executions < plan.executions {
            if runner.scheduler().coverage.complete() {
                break;
            }
            let execution = plan
                .numbers
                .as_ref()
                .and_then(|n| n.get(collected.executions as usize).copied())
                .unwrap_or(collected.executions + 1);
            let steps = collected.steps_for(collected.executions + 1);
            let detector_now = detector.take().expect("the detector is back");
            // Read in place, never moved: a `Ran` is large, and this runs every execution.
            let mut result = runner.run(plan, execution, steps, detector_now, f);
            let ran = match result {
                Ok(Some(ref mut ran)) => ran,
                Ok(None) => {
                    exhausted = true;
                    break;
                }
                Err(error) => return Err(error),
            };
            let findings = std::mem::take(&mut ran.outcome.findings);
            let witnesses = ran.outcome.detector().stats().lock_order_witnesses;
            let failed = collected.take(plan, ran, findings, witnesses);
            // The check's detector, and the execution's buffers for the next one.
            detector = runner.reuse(ran);
            if failed {
                break;
            }
            runner
                .scheduler()
                .coverage
                .end_execution(plan.executions - collected.executions);
        }
        if let Some(failure) = &mut collected.failure {
            if let Some(digests) = failure.dropped.take() {
                failure.trace = rebuild_trace(plan, failure, &digests, f)?;
            }
        }
        Ok::<(), PlanError>(())
    })?;
    let scheduler = runner.scheduler();
    // A replay runs what it was given; otherwise a check without findings is complete when no
    // schedule is left, whichever strategy chose them.
    let complete = collected.failure.is_none()
        && plan.numbers.is_none()
        && !scheduler.strategy.bounded()
        && (exhausted || scheduler.coverage.complete());
    drop(scheduler);
    Ok((collected, complete))
}

/// The most events an execution keeps for its trace when the strategy does not read them: an
/// execution with more (a long loop of lock operations) keeps none, and a failing one gets its
/// trace by replaying its schedule. Exploration then holds the decisions of an execution, not
/// its events.
const TRACE_CAP: usize = 1 << 16;

/// The trace of `failure`, which did not keep its events: its schedule replayed, the path
/// checked against its digests at every decision.
fn rebuild_trace(
    plan: &Plan,
    failure: &collect::Failure,
    digests: &[u16],
    f: &Arc<dyn Fn() + Send + Sync>,
) -> Result<Vec<interleave_detector::Event>, PlanError> {
    let path = RecordedPath::digests(&crate::schedule::digest::encode(digests))
        .map_err(PlanError::Internal)?;
    let replay = ReplayStrategy::new(vec![Recorded {
        schedule: failure.schedule.clone(),
        path,
    }]);
    let detector = Detector::new(plan.detector);
    Ok(replay_once(plan, replay, failure.execution, detector, f)?
        .outcome
        .events)
}

/// Replays the one execution `replay` holds, as execution number `execution`, with `detector`
/// inside. It ran this very schedule before: a path that differs now is the scenario's
/// nondeterminism.
pub(super) fn replay_once(
    plan: &Plan,
    replay: ReplayStrategy,
    execution: u64,
    detector: Detector,
    f: &Arc<dyn Fn() + Send + Sync>,
) -> Result<runner::Ran, PlanError> {
    let mut runner = Runner::new(plan, Box::new(replay), Coverage::logging(), usize::MAX);
    match runner.run(plan, execution, 0, Box::new(detector), f) {
        Ok(Some(ran)) => Ok(ran),
        Ok(None) => Err(PlanError::Internal(
            "the replay of an execution ran nothing".to_owned(),
        )),
        Err(PlanError::Diverged(message)) => Err(PlanError::Nondeterministic(message)),
        Err(error) => Err(error),
    }
}

/// The report, and the artifact of the failing execution.
fn finish(plan: &Plan, collected: Collected, complete: bool) -> Result<Report, PlanError> {
    let Collected {
        findings,
        accepted,
        executions,
        failure,
        witness_executions,
        ..
    } = collected;

    let mut report = Report {
        name: plan.name.clone(),
        findings,
        accepted,
        executions,
        failing_execution: failure.as_ref().map(|f| f.execution),
        artifact: None,
        strategy: plan.strategy_name.clone(),
        max_preemptions: plan.max_preemptions,
        seed: plan.seed,
        schedule: failure.as_ref().map(|f| f.schedule.encode()),
        replay_command: None,
        complete,
        stale_reads: failure
            .as_ref()
            .map(|f| rt::memory::stale_reads(&f.trace))
            .unwrap_or_default(),
    };
    if let (Some(failure), Some(dir)) = (failure, &plan.artifact_dir) {
        // Every earlier execution that added to the lock-order graph (an edge's context, or an
        // RwLock's writer): a cycle of the failing execution may rest on any of them.
        let prior = witness_executions
            .iter()
            .filter(|(execution, ..)| *execution != failure.execution)
            .map(
                |(execution, schedule, digests)| crate::artifact::PriorExecution {
                    execution: *execution,
                    schedule: schedule.encode(),
                    digests: digests.clone(),
                },
            )
            .collect();
        let artifact = Artifact {
            prior,
            format_version: ARTIFACT_FORMAT_VERSION,
            check: plan.name.clone(),
            rerun: plan.rerun.clone(),
            engine: artifact::ENGINE.to_owned(),
            strategy: plan.strategy_name.clone(),
            max_preemptions: plan.max_preemptions,
            seed: plan.seed,
            max_steps: plan.max_steps as u64,
            budget: plan.executions,
            detector: plan.detector,
            deadline: plan.deadline.clone(),
            memory_model: plan.memory_model,
            execution: failure.execution,
            schedule: failure.schedule.encode(),
            findings: report.findings.clone(),
            accepted: report
                .accepted
                .iter()
                .map(|f| f.fingerprint.clone())
                .collect(),
            trace: failure.trace,
        };
        match artifact.write(dir) {
            Ok(path) => {
                report.replay_command = Some(replay_command(&plan.rerun, &path));
                report.artifact = Some(path);
            }
            Err(error) => {
                // The findings still stand; say why there is no artifact.
                report.replay_command = Some(format!("(no artifact: {error})"));
            }
        }
    }
    Ok(report)
}

fn replay_command(rerun: &Rerun, path: &Path) -> String {
    match rerun {
        Rerun::Test(test) => test.command_line(path),
        Rerun::Scenario { .. } => format!("interleave replay {}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_from_names_are_fixed_values() {
        // FNV-1a reference values: the seed must not change between releases.
        assert_eq!(seed_from_name(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(seed_from_name("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
