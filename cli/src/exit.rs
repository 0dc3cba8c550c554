//! Exit codes and the errors that lead to them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Clean; for `run`, every scenario behaved as the catalog expects.
pub(crate) const OK: u8 = 0;
/// Findings; for `run`, a scenario did not behave as expected; for `replay`, the failure
/// reproduced.
pub(crate) const FINDINGS: u8 = 1;
/// A usage or input error.
pub(crate) const INPUT: u8 = 2;

/// A user-facing error: printed once, on one line, with exit code 2.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error("no scenario named `{0}` (see `interleave list`)")]
    UnknownScenario(String),
    #[error("no scenario named `{0}`: did you mean `{1}`? (see `interleave list`)")]
    UnknownScenarioLike(String, String),
    #[error("no category named `{0}` (one of: {1})")]
    UnknownCategory(String, String),
    #[error("name scenarios to run, or pass --all or --category")]
    NothingToRun,
    #[error(
        "INTERLEAVE_REPLAY is set, which would replay that artifact instead of running scenarios: \
         unset it, or use `interleave replay <artifact>`"
    )]
    ReplayVariableSet,
    #[error("read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("read {path}: {reason}")]
    NotReadable { path: String, reason: String },
    #[error("{path}: {source}")]
    Trace {
        path: String,
        source: interleave_detector::TraceError,
    },
    /// An artifact that cannot be read, a replay that diverged, a bad `INTERLEAVE_*` variable.
    #[error("{0}")]
    Harness(#[from] interleave::Error),
    #[error(
        "read artifact {path}: it is for the scenario `{name}`, which is not in this catalog \
         (see `interleave list`)"
    )]
    ArtifactScenario { path: PathBuf, name: String },
    #[error("read artifact {path}: its trace does not fit together: {source}")]
    ArtifactTrace {
        path: PathBuf,
        source: interleave_detector::EventError,
    },
    #[error("write artifacts to {path}: {source}")]
    ArtifactDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("run `{command}`: {source}")]
    Cargo {
        command: String,
        source: std::io::Error,
    },
    #[error("run `{command}`: {reason}")]
    CargoOutput { command: String, reason: String },
    #[error(
        "`{command}` did not run the test `{test}`: it failed to build, or the test was renamed \
         or moved (see cargo's output above)"
    )]
    NoSuchTest { command: String, test: String },
    #[error(
        "replay {path}: it was recorded on real threads (online lock-order detection), which \
         have no schedule to replay; `interleave explain` shows it, and running the tests again \
         reports it again"
    )]
    RealThreads { path: PathBuf },
    #[error("write output to {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "`{command}` ran, but no check named `{check}` {did}: the check was renamed, or the test \
         failed before it (see the test's output above)"
    )]
    NoCheckRecord {
        command: String,
        check: String,
        did: &'static str,
    },
    #[error(
        "replay {path}: {message}; if the program changed (a fix), see whether the finding is \
         still found with `interleave replay --recheck {path}`"
    )]
    ReplayDiverged { path: PathBuf, message: String },
    #[error("{what} {path}: the check failed: {message}")]
    CheckFailed {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error(
        "{what} {path}: the check is clean, but the test failed otherwise (see its output above)"
    )]
    FailedOtherwise { what: &'static str, path: PathBuf },
    #[error(
        "replay {path}: the artifact's package directory `{workdir}` is not in the workspace at \
         {root}: run `interleave replay` inside the workspace the test is in"
    )]
    NotInWorkspace {
        path: PathBuf,
        workdir: String,
        root: PathBuf,
    },
    #[error(
        "{path} was not made by `interleave ci` (it has no `.interleave-ci` file): name an empty \
         or new directory"
    )]
    NotCiDir { path: PathBuf },
    #[error("write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cargo-nextest is not installed (`cargo nextest --version` failed): install it, or use `--runner cargo`")]
    NoNextest,
    #[error("read ledger {path}: there are no records: run `interleave ci` first")]
    NoRecords { path: PathBuf },
    #[error("write to standard output: {0}")]
    Stdout(std::io::Error),
}

impl CliError {
    /// Standard output was closed by its reader (`interleave list | head`): nothing to say.
    pub(crate) fn is_closed_pipe(&self) -> bool {
        matches!(self, CliError::Stdout(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub(crate) fn artifact_trace(path: &Path, source: interleave_detector::EventError) -> Self {
        CliError::ArtifactTrace {
            path: path.to_owned(),
            source,
        }
    }
}

pub(crate) fn code(code: u8) -> ExitCode {
    ExitCode::from(code)
}
