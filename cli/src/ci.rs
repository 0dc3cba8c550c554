//! `interleave ci`: the CI gate. Runs the workspace's tests (cargo test or nextest, optionally
//! one shard of them) with a fresh artifact directory and the baseline, then reads the ledger
//! every check wrote there and says whether anything new was found: a text summary, a JSON
//! summary, and JUnit. `ci merge` joins the directories of several shards; `ci baseline`
//! writes the baseline from the last run.

mod baseline;
mod junit;
mod results;
mod runner;
mod text;

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use interleave::Baseline;

use crate::app::Result;
use crate::exit::{CliError, FINDINGS, OK};

pub(crate) use results::Results;

/// The baseline `interleave ci` reads and `interleave ci baseline` writes, at the workspace's
/// root.
pub(crate) const DEFAULT_BASELINE: &str = "interleave-baseline.json";

/// The file that marks a directory as one `interleave ci` made, so that it may empty it.
const MARKER: &str = ".interleave-ci";

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Option<CiCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum CiCommand {
    /// Join the artifact directories of several shards: one summary, one JUnit report, one
    /// exit code; baseline entries whose check ran clean are listed as fixed.
    Merge(MergeArgs),
    /// Write the baseline from the last run: its findings are added, entries whose check ran
    /// clean are removed, the others kept; sorted, for reviewable diffs.
    Baseline(baseline::Args),
}

/// Which test runner runs the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Runner {
    /// `cargo test`.
    Cargo,
    /// `cargo nextest run` (cargo-nextest must be installed).
    Nextest,
}

/// `--shard k/n`: the k-th of n parts of the tests, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) index: u32,
    pub(crate) count: u32,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

fn parse_shard(text: &str) -> std::result::Result<Shard, String> {
    let expected = || "expected k/n with 1 <= k <= n (`1/4`)".to_owned();
    let (index, count) = text.split_once('/').ok_or_else(expected)?;
    let (index, count): (u32, u32) = (
        index.parse().map_err(|_| expected())?,
        count.parse().map_err(|_| expected())?,
    );
    if index == 0 || index > count {
        return Err(expected());
    }
    Ok(Shard { index, count })
}

/// Where the results go, for `ci` and `ci merge`.
#[derive(Debug, clap::Args)]
struct OutputArgs {
    /// Write a JUnit XML report here: one test case per check, the report and the replay
    /// command in a failure, fingerprints as properties.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the JSON summary here (`ci`'s default: `summary.json` in the artifact directory).
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// The baseline of accepted findings (default: `interleave-baseline.json` at the
    /// workspace's root, if it exists).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The test runner.
    #[arg(long, value_enum, default_value_t = Runner::Cargo)]
    runner: Runner,
    /// Run only the k-th of n parts of the tests (nextest's `hash:` partition; for cargo, a
    /// stable hash of each `binary::test` name).
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// The artifact directory, emptied first (default: `interleave/ci` in the target
    /// directory).
    #[arg(long, value_name = "DIR")]
    artifact_dir: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    /// Arguments for the runner (`-- --features audit --release`); after a second `--`, for
    /// the test binaries.
    #[arg(last = true, value_name = "RUNNER ARGS")]
    runner_args: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct MergeArgs {
    /// The artifact directories of the shards' runs.
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    match &args.command {
        Some(CiCommand::Merge(merge)) => {
            let root = crate::cargo::workspace_root().ok();
            let baseline = read_baseline(root.as_deref(), merge.output.baseline.as_deref())?;
            let dirs: Vec<PathBuf> = merge.dirs.iter().map(|d| absolute(d)).collect();
            for dir in &dirs {
                if !dir.join(MARKER).is_file() {
                    return Err(CliError::NotCiDir { path: dir.clone() });
                }
            }
            report(
                &dirs,
                &baseline,
                &merge.output,
                merge.output.summary.as_deref(),
            )
        }
        Some(CiCommand::Baseline(baseline)) => baseline::run(baseline),
        None => run_tests(&args.run),
    }
}

fn run_tests(args: &RunArgs) -> Result<u8> {
    let root = crate::cargo::workspace_root()?;
    let baseline = read_baseline(Some(&root), args.output.baseline.as_deref())?;
    let dir = match &args.artifact_dir {
        Some(dir) => absolute(dir),
        None => default_dir()?,
    };
    fresh(&dir)?;
    let baseline_file = baseline_path(Some(&root), args.output.baseline.as_deref())
        .filter(|path| path.is_file())
        .map(|path| absolute(&path));
    let run = runner::run(&runner::Plan {
        runner: args.runner,
        shard: args.shard,
        root: &root,
        dir: &dir,
        baseline: baseline_file.as_deref(),
        args: &args.runner_args,
    })?;
    let text = serde_json::to_string_pretty(&run).expect("runs serialise");
    write(&dir.join(results::RUN_FILE), &format!("{text}\n"))?;
    let summary = args
        .output
        .summary
        .clone()
        .unwrap_or_else(|| dir.join("summary.json"));
    report(&[dir], &baseline, &args.output, Some(&summary))
}

/// Reads the ledgers of `dirs`, writes the summary and JUnit, prints the text summary.
fn report(
    dirs: &[PathBuf],
    baseline: &Baseline,
    output: &OutputArgs,
    summary: Option<&Path>,
) -> Result<u8> {
    let results = Results::collect(dirs, baseline)?;
    if let Some(summary) = summary {
        write(summary, &crate::output::json(&results.summary()))?;
    }
    let mut text = results.text();
    if let Some(junit) = &output.junit {
        write(junit, &junit::render(&results))?;
        text.push_str(&format!("junit: {}\n", junit.display()));
    }
    if let Some(summary) = summary {
        text.push_str(&format!("summary: {}\n", summary.display()));
    }
    crate::output::print(&text)?;
    Ok(if results.passed() { OK } else { FINDINGS })
}

/// The baseline file: the one given, else the default at the workspace's root.
fn baseline_path(root: Option<&Path>, given: Option<&Path>) -> Option<PathBuf> {
    given
        .map(Path::to_owned)
        .or_else(|| root.map(|r| r.join(DEFAULT_BASELINE)))
}

/// The baseline given (which must exist), or the default one if it exists, or none.
fn read_baseline(root: Option<&Path>, given: Option<&Path>) -> Result<Baseline> {
    match baseline_path(root, given) {
        Some(path) if given.is_some() || path.exists() => Ok(Baseline::read(&path)?),
        _ => Ok(Baseline::default()),
    }
}

/// `<target>/interleave/ci`.
fn default_dir() -> Result<PathBuf> {
    Ok(crate::cargo::target_dir()?.join("interleave").join("ci"))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// Empties `dir` (only if `interleave ci` made it: it holds the marker, or nothing) and marks
/// it.
fn fresh(dir: &Path) -> Result<()> {
    let error = |source| CliError::ArtifactDir {
        path: dir.to_owned(),
        source,
    };
    if dir.exists() {
        let empty = std::fs::read_dir(dir).map_err(error)?.next().is_none();
        if !empty && !dir.join(MARKER).is_file() {
            return Err(CliError::NotCiDir {
                path: dir.to_owned(),
            });
        }
        std::fs::remove_dir_all(dir).map_err(error)?;
    }
    std::fs::create_dir_all(dir).map_err(error)?;
    std::fs::write(
        dir.join(MARKER),
        "made by `interleave ci`: emptied by its next run\n",
    )
    .map_err(error)
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| CliError::Write {
            path: path.to_owned(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| CliError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_k_of_n() {
        assert_eq!(parse_shard("1/4"), Ok(Shard { index: 1, count: 4 }));
        assert_eq!(parse_shard("4/4"), Ok(Shard { index: 4, count: 4 }));
        for bad in ["0/4", "5/4", "1", "a/b", "1/0", "-1/4", "1/4/5"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
