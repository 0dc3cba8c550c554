//! `interleave replay`: run an artifact's schedule again, exactly, and say whether its finding
//! reproduced. A catalog scenario replays in-process; a test re-runs through `cargo test` with
//! `INTERLEAVE_REPLAY` set (`replay/test.rs`). `--recheck` runs the check again as it first
//! ran instead, to see whether the finding is still found after a change.

mod test;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use interleave::{Artifact, Config, Finding, Report, Rerun};
use interleave_detector::printable_line;

use crate::app::Result;
use crate::exit::{CliError, FINDINGS, OK};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The artifact: the JSON file a failing check or `interleave run` wrote.
    artifact: PathBuf,
    /// Instead of replaying the schedule, run the check again as it first ran (the same
    /// strategy, seed and budget of executions) and say whether the finding is still found:
    /// how to confirm a fix, after which the schedule no longer fits.
    #[arg(long)]
    recheck: bool,
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let artifact = crate::load::artifact(&args.artifact)?;
    if artifact.execution == 0 {
        return Err(CliError::RealThreads {
            path: args.artifact.clone(),
        });
    }
    match &artifact.rerun {
        Rerun::Scenario { name } if args.recheck => {
            let (out, code) = recheck_scenario(&args.artifact, &artifact, name)?;
            crate::output::print(&out)?;
            Ok(code)
        }
        Rerun::Scenario { name } => scenario(&args.artifact, &artifact, name),
        Rerun::Test(rerun) => test::run(&args.artifact, &artifact, rerun, args.recheck),
    }
}

/// Replays a catalog scenario in this process and prints the report: exit 1 if the replay
/// found something (the failure reproduced), 0 if it is clean.
fn scenario(path: &Path, artifact: &Artifact, name: &str) -> Result<u8> {
    let (out, code) = replay_scenario(path, artifact, name)?;
    crate::output::print(&out)?;
    Ok(code)
}

fn find(path: &Path, name: &str) -> Result<interleave_scenarios::Scenario> {
    interleave_scenarios::find(name).ok_or_else(|| CliError::ArtifactScenario {
        path: path.to_owned(),
        name: name.to_owned(),
    })
}

/// The report of a catalog scenario's replay, then the verdict; and the exit code.
pub(crate) fn replay_scenario(
    path: &Path,
    artifact: &Artifact,
    name: &str,
) -> Result<(String, u8)> {
    let report = find(path, name)?.replay(path)?;
    let mut out = report.to_string();
    let replayed = fingerprints(&report.findings);
    let _ = writeln!(out, "\n{}", verdict(&artifact.findings, &replayed));
    Ok((out, if report.is_clean() { OK } else { FINDINGS }))
}

/// Explores a catalog scenario again with the artifact's strategy, seed and budget.
fn recheck_scenario(path: &Path, artifact: &Artifact, name: &str) -> Result<(String, u8)> {
    let scenario = find(path, name)?;
    let config = recheck_config(scenario.config(), artifact)?
        .env_overrides(false)
        .write_artifact(false);
    let report = config.try_explore(scenario.body)?;
    let mut found = fingerprints(&report.findings);
    found.extend(fingerprints(&report.accepted));
    let new = fingerprints(&report.findings);
    let (line, code) = recheck_verdict(&artifact.findings, &found, &new, &Summary::of(&report));
    Ok((format!("{report}\n{line}\n"), code))
}

/// `config` with the artifact's strategy, seed and (if it records one) budget.
fn recheck_config(config: Config, artifact: &Artifact) -> Result<Config> {
    let strategy =
        crate::run::strategy(&artifact.strategy).map_err(|reason| CliError::NotReadable {
            path: path_string(artifact),
            reason: format!("its strategy {:?}: {reason}", artifact.strategy),
        })?;
    let mut config = config.strategy(strategy).seed(artifact.seed);
    if artifact.budget > 0 {
        config = config.executions(artifact.budget);
    }
    Ok(config)
}

fn path_string(artifact: &Artifact) -> String {
    format!("artifact of `{}`", artifact.check)
}

/// What a check's run says about its extent, for a verdict.
pub(crate) struct Summary {
    pub(crate) executions: u64,
    pub(crate) strategy: String,
    pub(crate) seed: Option<u64>,
    pub(crate) complete: bool,
}

impl Summary {
    fn of(report: &Report) -> Self {
        Summary {
            executions: report.executions,
            strategy: report.strategy_and_bound(),
            seed: Some(report.seed),
            complete: report.complete,
        }
    }
}

/// The fingerprints of `findings`, with their kinds.
fn fingerprints(findings: &[Finding]) -> Vec<(String, &'static str)> {
    findings
        .iter()
        .map(|f| (f.fingerprint.clone(), f.kind.name()))
        .collect()
}

/// Whether the replay found what the artifact recorded, by fingerprint.
pub(crate) fn verdict(recorded: &[Finding], replayed: &[(String, &'static str)]) -> String {
    let before: BTreeSet<String> = recorded
        .iter()
        .map(|f| printable_line(&f.fingerprint).into_owned())
        .collect();
    let now: BTreeSet<String> = replayed
        .iter()
        .map(|(f, _)| printable_line(f).into_owned())
        .collect();
    let kinds =
        |kinds: &mut dyn Iterator<Item = &'static str>| kinds.collect::<Vec<_>>().join(", ");
    let recorded_kinds = || kinds(&mut recorded.iter().map(|f| f.kind.name()));
    if now.is_empty() {
        format!(
            "not reproduced: the replay is clean; the artifact recorded {}",
            recorded_kinds()
        )
    } else if before == now {
        let n = now.len();
        format!(
            "reproduced: the same {} as recorded",
            if n == 1 {
                "finding".to_owned()
            } else {
                format!("{n} findings")
            }
        )
    } else {
        format!(
            "reproduced with differences: recorded {} ({}), replayed {} ({})",
            recorded_kinds(),
            before.into_iter().collect::<Vec<_>>().join(", "),
            kinds(&mut replayed.iter().map(|(_, k)| *k)),
            now.into_iter().collect::<Vec<_>>().join(", ")
        )
    }
}

/// Whether a recheck found the recorded findings again (`found`: every fingerprint it saw,
/// accepted by the baseline or not; `new`: those that failed it); and the exit code: 1 if it
/// did, or if the check failed on another finding; 0 if not.
pub(crate) fn recheck_verdict(
    recorded: &[Finding],
    found: &[(String, &'static str)],
    new: &[(String, &'static str)],
    run: &Summary,
) -> (String, u8) {
    let recorded_prints: Vec<String> = recorded
        .iter()
        .map(|f| printable_line(&f.fingerprint).into_owned())
        .collect();
    let still: Vec<&str> = recorded_prints
        .iter()
        .filter(|r| found.iter().any(|(f, _)| f == *r))
        .map(String::as_str)
        .collect();
    let extent = format!(
        "{} execution{}, {}, {}{}",
        run.executions,
        if run.executions == 1 { "" } else { "s" },
        run.strategy,
        run.seed
            .map_or_else(|| "seed unknown".to_owned(), |s| format!("seed {s}")),
        if run.complete {
            ", every schedule explored"
        } else {
            ", a bounded sample of the schedules"
        }
    );
    if !still.is_empty() {
        return (
            format!("still found: {} ({extent})", still.join(", ")),
            FINDINGS,
        );
    }
    let gone = format!(
        "not found: {} did not show in {extent}",
        recorded_prints.join(", ")
    );
    if new.is_empty() {
        return (gone, OK);
    }
    let others: Vec<String> = new
        .iter()
        .map(|(f, k)| format!("{} ({k})", printable_line(f)))
        .collect();
    (
        format!("{gone}; but the check found {}", others.join(", ")),
        FINDINGS,
    )
}
