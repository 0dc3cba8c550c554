//! What a CI run found: the ledgers of one or more artifact directories (one per shard) and
//! the runs that filled them, against the baseline. Everything is sorted, so that the text,
//! the JSON summary and JUnit are the same for the same run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use interleave::{
    Baseline, BaselineEntry, CheckResult, Kind, LedgerFinding, LedgerMode, LedgerRecord, Rerun,
    TargetKind,
};
use interleave_detector::printable_line;
use serde::{Deserialize, Serialize};

use crate::app::Result;
use crate::exit::CliError;

/// The file a run's facts go to, in its artifact directory.
pub(crate) const RUN_FILE: &str = "run.json";

/// The version of the JSON summary's format.
const SUMMARY_FORMAT_VERSION: u32 = 1;

/// One run of the tests: which runner, which shard, how it ended, which tests failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RunInfo {
    pub(crate) runner: String,
    pub(crate) shard: Option<String>,
    /// The runner's exit code (`None`: it was killed by a signal).
    pub(crate) status: Option<i32>,
    /// The tests the runner reported failed, by name, sorted.
    pub(crate) failed_tests: Vec<String>,
}

/// A check, as the summary lists it.
#[derive(Debug, Serialize)]
pub(crate) struct CheckRow {
    pub(crate) check: String,
    pub(crate) ordinal: u32,
    /// The test binary, as nextest names it (`bank`, `bank::transfers`, `bank::bin/server`).
    pub(crate) target: String,
    pub(crate) result: CheckResult,
    pub(crate) strategy: String,
    pub(crate) seed: Option<u64>,
    pub(crate) budget: u64,
    pub(crate) executions: u64,
    pub(crate) complete: bool,
    pub(crate) new_findings: Vec<String>,
    pub(crate) accepted: Vec<String>,
    pub(crate) artifact: Option<PathBuf>,
    pub(crate) replay: Option<String>,
    /// The report of a failing check, or why it could not run.
    #[serde(skip)]
    pub(crate) message: Option<String>,
}

/// A finding, as the summary lists it.
#[derive(Debug, Serialize)]
pub(crate) struct FindingRow {
    pub(crate) check: String,
    pub(crate) target: String,
    pub(crate) fingerprint: String,
    pub(crate) kind: Kind,
    pub(crate) headline: String,
    /// Why the baseline accepts it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) artifact: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) replay: Option<String>,
}

/// The JSON summary.
#[derive(Debug, Serialize)]
pub(crate) struct Summary<'a> {
    format_version: u32,
    passed: bool,
    checks: &'a [CheckRow],
    new_findings: &'a [FindingRow],
    accepted: &'a [FindingRow],
    fixed: &'a [BaselineEntry],
    errors: Vec<&'a CheckRow>,
    other_failures: &'a [String],
    runs: &'a [RunInfo],
}

/// What the runs found.
#[derive(Debug)]
pub(crate) struct Results {
    pub(crate) checks: Vec<CheckRow>,
    pub(crate) new_findings: Vec<FindingRow>,
    pub(crate) accepted: Vec<FindingRow>,
    /// Baseline entries whose check ran clean without finding them.
    pub(crate) fixed: Vec<BaselineEntry>,
    /// Failed tests that no failing check explains, and runs that failed without a failing
    /// test (a build error).
    pub(crate) other_failures: Vec<String>,
    pub(crate) runs: Vec<RunInfo>,
}

impl Results {
    /// Reads the ledgers and runs of `dirs`.
    pub(crate) fn collect(dirs: &[PathBuf], baseline: &Baseline) -> Result<Results> {
        let mut records = Vec::new();
        let mut runs = Vec::new();
        for dir in dirs {
            for record in LedgerRecord::read_dir(dir)? {
                if record.mode == LedgerMode::Explore {
                    records.push((dir.clone(), record));
                }
            }
            let path = dir.join(RUN_FILE);
            if path.is_file() {
                let text = std::fs::read_to_string(&path).map_err(|source| CliError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                let run: RunInfo =
                    serde_json::from_str(&text).map_err(|e| CliError::NotReadable {
                        path: path.display().to_string(),
                        reason: format!("not a run record: {e}"),
                    })?;
                runs.push(run);
            }
        }
        records.sort_by(|(_, a), (_, b)| {
            (target(&a.rerun), &a.check, a.ordinal).cmp(&(target(&b.rerun), &b.check, b.ordinal))
        });
        let mut results = Results {
            checks: Vec::new(),
            new_findings: Vec::new(),
            accepted: Vec::new(),
            fixed: fixed(baseline, &records),
            other_failures: other_failures(&runs, &records),
            runs,
        };
        for (dir, record) in &records {
            results.add(dir, record, baseline);
        }
        Ok(results)
    }

    fn add(&mut self, dir: &Path, record: &LedgerRecord, baseline: &Baseline) {
        let target = target(&record.rerun);
        let artifact = record.artifact.as_ref().map(|a| dir.join(a));
        let replay = artifact
            .as_ref()
            .map(|a| format!("interleave replay {}", a.display()));
        let row = |finding: &LedgerFinding, reason: Option<String>, artifact: &Option<PathBuf>| {
            FindingRow {
                check: record.check.clone(),
                target: target.clone(),
                fingerprint: finding.fingerprint.clone(),
                kind: finding.kind,
                headline: finding.headline.clone(),
                reason,
                artifact: artifact.clone(),
                replay: artifact
                    .as_ref()
                    .map(|a| format!("interleave replay {}", a.display())),
            }
        };
        for finding in &record.findings {
            self.new_findings.push(row(finding, None, &artifact));
        }
        for finding in &record.accepted {
            let reason = baseline
                .accepts(&record.check, &finding.fingerprint)
                .map(|e| e.reason.clone());
            self.accepted.push(row(finding, reason, &None));
        }
        let prints = |findings: &[LedgerFinding]| {
            findings
                .iter()
                .map(|f| f.fingerprint.clone())
                .collect::<Vec<_>>()
        };
        self.checks.push(CheckRow {
            check: record.check.clone(),
            ordinal: record.ordinal,
            target,
            result: record.result,
            strategy: record.strategy.clone(),
            seed: record.seed,
            budget: record.budget,
            executions: record.executions,
            complete: record.complete,
            new_findings: prints(&record.findings),
            accepted: prints(&record.accepted),
            artifact,
            replay,
            message: record.message.clone(),
        });
    }

    /// The checks that could not run to their end.
    pub(crate) fn errors(&self) -> Vec<&CheckRow> {
        self.checks
            .iter()
            .filter(|c| matches!(c.result, CheckResult::Error | CheckResult::Diverged))
            .collect()
    }

    /// No new finding, no check that failed to run, no other failure.
    pub(crate) fn passed(&self) -> bool {
        self.new_findings.is_empty() && self.errors().is_empty() && self.other_failures.is_empty()
    }

    pub(crate) fn summary(&self) -> Summary<'_> {
        Summary {
            format_version: SUMMARY_FORMAT_VERSION,
            passed: self.passed(),
            checks: &self.checks,
            new_findings: &self.new_findings,
            accepted: &self.accepted,
            fixed: &self.fixed,
            errors: self.errors(),
            other_failures: &self.other_failures,
            runs: &self.runs,
        }
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub(super) fn line(text: &str) -> String {
    printable_line(text).into_owned()
}

pub(crate) fn result_name(result: CheckResult) -> &'static str {
    match result {
        CheckResult::Clean => "clean",
        CheckResult::Findings => "FINDINGS",
        CheckResult::Diverged => "DIVERGED",
        CheckResult::Error => "ERROR",
    }
}

/// The test binary a check ran in, as nextest names it: `bank` (the library), `bank::bin/x`,
/// `bank::transfers` (an integration test), `bank::bench/x`, `bank::example/x`, `bank::doc`.
pub(crate) fn target(rerun: &Rerun) -> String {
    match rerun {
        Rerun::Scenario { .. } => "catalog".to_owned(),
        Rerun::Test(test) => {
            let package = test.package.clone().unwrap_or_else(|| "?".to_owned());
            match &test.target {
                None => package,
                Some(t) => match t.kind {
                    TargetKind::Lib => package,
                    TargetKind::Test => format!("{package}::{}", t.name),
                    TargetKind::Bin => format!("{package}::bin/{}", t.name),
                    TargetKind::Bench => format!("{package}::bench/{}", t.name),
                    TargetKind::Example => format!("{package}::example/{}", t.name),
                    TargetKind::Doc => format!("{package}::doc"),
                },
            }
        }
    }
}

/// Baseline entries whose check ran clean (to the end of its budget, no new finding) in some
/// run, and that no run of it found.
fn fixed(baseline: &Baseline, records: &[(PathBuf, LedgerRecord)]) -> Vec<BaselineEntry> {
    baseline
        .accepted
        .iter()
        .filter(|entry| {
            let of_check = || {
                records
                    .iter()
                    .map(|(_, r)| r)
                    .filter(|r| r.check == entry.check)
            };
            of_check().any(|r| r.result == CheckResult::Clean)
                && !of_check().any(|r| r.fingerprints().any(|f| f == entry.fingerprint))
        })
        .cloned()
        .collect()
}

/// Failed tests that no failing check explains; runs that failed without a failed test.
fn other_failures(runs: &[RunInfo], records: &[(PathBuf, LedgerRecord)]) -> Vec<String> {
    let explained: BTreeSet<&str> = records
        .iter()
        .filter(|(_, r)| r.result != CheckResult::Clean)
        .filter_map(|(_, r)| match &r.rerun {
            Rerun::Test(test) => Some(test.test.as_str()),
            Rerun::Scenario { .. } => None,
        })
        .collect();
    let aborted = records.iter().any(|(_, r)| r.aborted());
    let mut other = BTreeSet::new();
    for run in runs {
        for test in &run.failed_tests {
            if !explained.contains(test.as_str()) {
                other.insert(test.clone());
            }
        }
        let failed = run.status != Some(0);
        if failed && run.failed_tests.is_empty() {
            let why = if aborted {
                ": a check above aborted its test binary, whose tests after it did not run"
            } else {
                " (a build error? see its output)"
            };
            other.insert(format!(
                "{}{} {} without a failed test{why}",
                run.runner,
                run.shard
                    .as_ref()
                    .map_or_else(String::new, |s| format!(" (shard {s})")),
                run.status.map_or_else(
                    || "was killed".to_owned(),
                    |code| format!("exited with {code}")
                ),
            ));
        }
    }
    other.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(result: CheckResult, message: Option<&str>) -> LedgerRecord {
        serde_json::from_value(serde_json::json!({
            "format_version": interleave::LEDGER_FORMAT_VERSION,
            "check": "x",
            "rerun": {"test": {"test": "tests::x"}},
            "ordinal": 1,
            "mode": "explore",
            "result": result,
            "strategy": "random",
            "seed": 1,
            "budget": 10,
            "executions": 0,
            "complete": false,
            "findings": [],
            "accepted": [],
            "artifact": null,
            "message": message,
        }))
        .unwrap()
    }

    #[test]
    fn a_run_that_failed_without_a_failed_test_says_why_when_a_check_aborted_it() {
        let runs = [RunInfo {
            runner: "cargo test".to_owned(),
            shard: None,
            status: Some(101),
            failed_tests: Vec::new(),
        }];
        let with = |records: Vec<LedgerRecord>| {
            let records: Vec<(PathBuf, LedgerRecord)> = records
                .into_iter()
                .map(|r| (PathBuf::from("r.json"), r))
                .collect();
            other_failures(&runs, &records)
        };
        assert_eq!(
            with(vec![record(CheckResult::Clean, None)]),
            ["cargo test exited with 101 without a failed test (a build error? see its output)"]
        );
        // An error of another kind does not explain it either.
        assert_eq!(
            with(vec![record(
                CheckResult::Error,
                Some("check `x` reached no scheduling point for 10s")
            )]),
            ["cargo test exited with 101 without a failed test (a build error? see its output)"]
        );
        assert_eq!(
            with(vec![record(
                CheckResult::Error,
                Some("Rust aborted the test process in this check: thread `main` panicked while unwinding from another panic (…)")
            )]),
            ["cargo test exited with 101 without a failed test: a check above aborted its test \
              binary, whose tests after it did not run"]
        );
    }
}
