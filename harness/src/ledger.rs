//! The ledger: every check, clean or not, leaves a small record in the artifact directory
//! (`<artifact dir>/ledger/`), which `interleave ci` and `interleave replay` read back. A
//! record is written atomically, under a name made of the check's name and a hash of what
//! identifies it (its test, package and target, its name, its ordinal among the checks of that
//! name in the test, and whether it replayed), so that parallel tests and several checks in one
//! test never write the same file, and running a test again replaces its records.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use interleave_detector::{Finding, Kind};
use serde::{Deserialize, Serialize};

use crate::artifact::{self, Artifact, Rerun};
use crate::config::{Config, Seed};
use crate::error::Error;
use crate::report::Report;

/// The version of the ledger record format this build writes and reads.
pub const LEDGER_FORMAT_VERSION: u32 = 1;

/// The largest ledger record read: 64 MiB (a record holds one report).
const MAX_RECORD_BYTES: u64 = 64 << 20;

/// Whether the check explored or replayed an artifact (`INTERLEAVE_REPLAY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerMode {
    /// It explored schedules.
    Explore,
    /// It replayed an artifact.
    Replay,
}

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    /// No finding outside the baseline.
    Clean,
    /// Findings the baseline does not accept: the check failed.
    Findings,
    /// A replayed schedule stopped fitting the program (`step` says where).
    Diverged,
    /// The check could not run to its end: the message says why.
    Error,
}

/// A finding, as the ledger records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerFinding {
    /// Its fingerprint.
    pub fingerprint: String,
    /// Its kind.
    pub kind: Kind,
    /// Its headline.
    pub headline: String,
    /// The execution it was found in.
    pub execution: u64,
    /// A deadlock that realized a lock-order cycle reported before it: that potential deadlock's
    /// fingerprint. A baseline entry for the cycle accepts the deadlock, so a check that saw
    /// only the deadlock still saw the cycle (`interleave ci` does not call the entry fixed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted: Option<String>,
}

impl LedgerFinding {
    fn new(finding: &Finding) -> Self {
        let predicted = match &finding.detail {
            interleave_detector::Detail::Deadlock {
                predicted: Some(predicted),
                ..
            } => Some(predicted.fingerprint.clone()),
            _ => None,
        };
        LedgerFinding {
            fingerprint: finding.fingerprint.clone(),
            kind: finding.kind,
            headline: finding.headline.clone(),
            execution: finding.steps.execution,
            predicted,
        }
    }
}

/// One check's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRecord {
    /// [`LEDGER_FORMAT_VERSION`].
    pub format_version: u32,
    /// The check's name.
    pub check: String,
    /// How to run it again.
    pub rerun: Rerun,
    /// Which check of this name in its test (1 for the first).
    pub ordinal: u32,
    /// Explored or replayed.
    pub mode: LedgerMode,
    /// How it ended.
    pub result: CheckResult,
    /// The strategy (`pct:3`, `random`, `exhaustive`).
    pub strategy: String,
    /// An exhaustive strategy's preemption bound, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_preemptions: Option<u32>,
    /// The seed, when known (a check that failed before choosing a random one has none).
    pub seed: Option<u64>,
    /// The most executions it was to run.
    pub budget: u64,
    /// How many it ran.
    pub executions: u64,
    /// Every schedule was explored (`false`: a bound was hit, or it failed).
    pub complete: bool,
    /// The findings the baseline does not accept.
    pub findings: Vec<LedgerFinding>,
    /// The findings the baseline accepts, each once.
    #[serde(default)]
    pub accepted: Vec<LedgerFinding>,
    /// The artifact's file name, in the artifact directory (the ledger's parent).
    pub artifact: Option<String>,
    /// The command that replays the failure.
    pub replay_command: Option<String>,
    /// For a diverged replay, the step it diverged at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// Why it ended as it did: the report of a failing check, an error's message.
    pub message: Option<String>,
}

impl LedgerRecord {
    /// The strategy, and its preemption bound if it had one, as the check's report said them.
    pub fn strategy_and_bound(&self) -> String {
        crate::report::strategy_and_bound(&self.strategy, self.max_preemptions)
    }

    /// Every record in `dir/ledger/`, sorted by check, ordinal and mode.
    ///
    /// # Errors
    ///
    /// [`Error::Ledger`] if the directory cannot be listed or a record cannot be read.
    pub fn read_dir(dir: &Path) -> Result<Vec<LedgerRecord>, Error> {
        let ledger = dir.join("ledger");
        let error = |path: &Path, reason: String| Error::Ledger {
            path: path.to_owned(),
            reason,
        };
        let entries = match std::fs::read_dir(&ledger) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(error(&ledger, e.to_string())),
        };
        let mut records = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| error(&ledger, e.to_string()))?.path();
            let is_record = path.extension().is_some_and(|e| e == "json")
                && !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !is_record {
                continue;
            }
            let text = artifact::read_text(&path, MAX_RECORD_BYTES).map_err(|e| error(&path, e))?;
            let record: LedgerRecord = serde_json::from_str(&text)
                .map_err(|e| error(&path, format!("not a ledger record: {e}")))?;
            if record.format_version != LEDGER_FORMAT_VERSION {
                return Err(error(
                    &path,
                    format!(
                        "format_version {} is not supported (this build reads \
                         {LEDGER_FORMAT_VERSION})",
                        record.format_version
                    ),
                ));
            }
            records.push(record);
        }
        records.sort_by(|a, b| {
            (&a.check, a.ordinal, a.mode, rerun_key(&a.rerun)).cmp(&(
                &b.check,
                b.ordinal,
                b.mode,
                rerun_key(&b.rerun),
            ))
        });
        Ok(records)
    }

    /// Whether the check was cut short by Rust aborting the test process (a panic while
    /// unwinding from another one), in it or in another check running beside it: the tests
    /// after it in that test binary did not run.
    pub fn aborted(&self) -> bool {
        self.result == CheckResult::Error
            && self
                .message
                .as_deref()
                .is_some_and(|m| m.starts_with(ABORTED))
    }

    /// Every fingerprint it saw: its findings and those the baseline accepted, and the
    /// lock-order cycles their deadlocks realized.
    pub fn fingerprints(&self) -> impl Iterator<Item = &str> {
        self.findings
            .iter()
            .chain(&self.accepted)
            .flat_map(|f| std::iter::once(&f.fingerprint).chain(&f.predicted))
            .map(String::as_str)
    }
}

fn rerun_key(rerun: &Rerun) -> String {
    serde_json::to_string(rerun).expect("reruns serialise")
}

/// A check under way: what its record will say besides how it ended.
#[derive(Debug)]
pub(crate) struct Pending {
    dir: Option<PathBuf>,
    record: LedgerRecord,
}

impl Pending {
    /// A check that explores, configured by `config` (its environment applied). Its record
    /// goes where its artifacts would, if that is known: not beside a doc test outside a target
    /// directory (unless `INTERLEAVE_ARTIFACT_DIR` says where), nor for a check that writes no
    /// artifact (`Config::write_artifact(false)`).
    pub(crate) fn explore(config: &Config, check: &str, rerun: &Rerun) -> Pending {
        let dir = config
            .write_artifact
            .then(|| config.artifact_dir.clone().or_else(artifact::known_dir))
            .flatten();
        let seed = match config.seed {
            Seed::FromName => Some(crate::check::seed_from_name(check)),
            Seed::Fixed(seed) => Some(seed),
            Seed::Random => None,
        };
        Pending::new(
            dir,
            check,
            rerun,
            LedgerMode::Explore,
            config.strategy.name(),
            seed,
        )
        .budget(config.executions)
    }

    /// A check that replays `artifact` (`INTERLEAVE_REPLAY`): its record goes where the
    /// check's artifacts would, for `interleave replay` to read.
    pub(crate) fn replay(config: &Config, artifact: &Artifact) -> Pending {
        let dir = config.artifact_dir.clone().or_else(artifact::known_dir);
        Pending::new(
            dir,
            &artifact.check,
            &artifact.rerun,
            LedgerMode::Replay,
            artifact.strategy.clone(),
            Some(artifact.seed),
        )
        .budget(artifact.prior.len() as u64 + 1)
    }

    fn new(
        dir: Option<PathBuf>,
        check: &str,
        rerun: &Rerun,
        mode: LedgerMode,
        strategy: String,
        seed: Option<u64>,
    ) -> Pending {
        Pending {
            dir,
            record: LedgerRecord {
                format_version: LEDGER_FORMAT_VERSION,
                check: check.to_owned(),
                rerun: rerun.clone(),
                ordinal: ordinal(check, rerun, mode),
                mode,
                result: CheckResult::Error,
                strategy,
                max_preemptions: None,
                seed,
                budget: 0,
                executions: 0,
                complete: false,
                findings: Vec::new(),
                accepted: Vec::new(),
                artifact: None,
                replay_command: None,
                step: None,
                message: None,
            },
        }
    }

    fn budget(mut self, budget: u64) -> Self {
        self.record.budget = budget;
        self
    }

    /// Registers the check as running in this process until the guard is dropped: if Rust
    /// aborts the process meanwhile (a panic while unwinding, which [`aborting`] hears of), its
    /// record says so instead of being missing.
    pub(crate) fn running(&self) -> Running {
        let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
        let id = running.next;
        running.next += 1;
        if self.dir.is_some() {
            running
                .checks
                .push((id, self.dir.clone(), self.record.clone()));
        }
        Running(id)
    }

    /// Records how the check ended. A record that cannot be written is said on standard error
    /// and does not fail the check (as an artifact that cannot be written does not).
    pub(crate) fn finish(self, result: &Result<Report, Error>) {
        let Some(dir) = self.dir else { return };
        write(&dir, &outcome(self.record, result));
    }
}

/// The checks running in this process, with the records they started.
struct RunningChecks {
    next: u64,
    checks: Vec<(u64, Option<PathBuf>, LedgerRecord)>,
}

static RUNNING: Mutex<RunningChecks> = Mutex::new(RunningChecks {
    next: 0,
    checks: Vec::new(),
});

/// A check running in this process ([`Pending::running`]); it ends when this is dropped.
#[derive(Debug)]
pub(crate) struct Running(u64);

impl Drop for Running {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
        running.checks.retain(|(id, _, _)| *id != self.0);
    }
}

/// How the record of a check that the process's abort cut short begins.
const ABORTED: &str = "Rust aborted the test process";

/// Rust is about to abort the process, in check `check`, for the reason `why`: every check
/// running in the process records that it ended there (result `error`), so that `interleave
/// ci` and `interleave replay` can say what happened instead of finding no record.
pub(crate) fn aborting(check: &str, why: &str) {
    // Not `lock`: the thread that aborts may be the one that holds it.
    let Ok(running) = RUNNING.try_lock() else {
        return;
    };
    for (_, dir, record) in &running.checks {
        let Some(dir) = dir else { continue };
        let mut record = record.clone();
        record.result = CheckResult::Error;
        record.message = Some(if record.check == check {
            format!("{ABORTED} in this check: {why}")
        } else {
            format!("{ABORTED} while this check ran: check `{check}` aborted it: {why}")
        });
        write(dir, &record);
    }
}

/// Writes `record` into the ledger of artifact directory `dir`.
fn write(dir: &Path, record: &LedgerRecord) {
    let path = dir.join("ledger").join(format!(
        "{}{}-{:016x}.json",
        if record.mode == LedgerMode::Replay {
            "replay-"
        } else {
            ""
        },
        artifact::file_stem(&record.check),
        fnv1a(&format!(
            "{}\n{}\n{}\n{:?}",
            record.check,
            rerun_key(&record.rerun),
            record.ordinal,
            record.mode
        ))
    ));
    let mut text = serde_json::to_string_pretty(record).expect("ledger records serialise");
    text.push('\n');
    if let Err(error) = artifact::write_atomically(&path, &text) {
        eprintln!(
            "interleave: write ledger record {}: {error}",
            path.display()
        );
    }
}

/// `record` completed with how the check ended.
fn outcome(mut record: LedgerRecord, result: &Result<Report, Error>) -> LedgerRecord {
    match result {
        Ok(report) => {
            record.result = if report.is_clean() {
                CheckResult::Clean
            } else {
                CheckResult::Findings
            };
            record.strategy.clone_from(&report.strategy);
            record.max_preemptions = report.max_preemptions;
            record.seed = Some(report.seed);
            record.executions = report.executions;
            record.complete = report.complete;
            record.findings = report.findings.iter().map(LedgerFinding::new).collect();
            record.accepted = report.accepted.iter().map(LedgerFinding::new).collect();
            record.artifact = report
                .artifact
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned());
            record.replay_command.clone_from(&report.replay_command);
            record.message = (!report.is_clean()).then(|| report.to_string());
        }
        Err(Error::Diverged { message, .. }) => {
            record.result = CheckResult::Diverged;
            record.step = diverged_step(message);
            record.message = Some(message.clone());
        }
        Err(error) => {
            record.result = CheckResult::Error;
            record.message = Some(error.to_string());
        }
    }
    record
}

/// `schedule diverged at step N: …` → N.
fn diverged_step(message: &str) -> Option<u64> {
    let rest = message.split("diverged at step ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Counts the checks of one name in one test: the first is 1.
fn ordinal(check: &str, rerun: &Rerun, mode: LedgerMode) -> u32 {
    static SEEN: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);
    let key = format!("{check}\n{}\n{mode:?}", rerun_key(rerun));
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let count = seen
        .get_or_insert_with(HashMap::new)
        .entry(key)
        .or_insert(0);
    *count += 1;
    *count
}

/// FNV-1a: the same on every machine.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_of_a_divergence_is_read_from_its_message() {
        assert_eq!(
            diverged_step("schedule diverged at step 20: thread 2 is not runnable"),
            Some(20)
        );
        assert_eq!(diverged_step("something else"), None);
    }

    #[test]
    fn ordinals_count_checks_of_one_name_in_one_test() {
        let rerun = Rerun::Scenario {
            name: "ledger/ordinal".to_owned(),
        };
        let other = Rerun::Scenario {
            name: "ledger/other".to_owned(),
        };
        assert_eq!(ordinal("x", &rerun, LedgerMode::Explore), 1);
        assert_eq!(ordinal("x", &rerun, LedgerMode::Explore), 2);
        assert_eq!(ordinal("x", &rerun, LedgerMode::Replay), 1);
        assert_eq!(ordinal("x", &other, LedgerMode::Explore), 1);
        assert_eq!(ordinal("y", &rerun, LedgerMode::Explore), 1);
    }
}
