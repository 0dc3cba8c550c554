//! Exit codes and the errors that lead to them.

use std::process::ExitCode;

/// Clean, or (for `run`) every scenario behaved as the catalog expects.
pub(crate) const OK: u8 = 0;
/// Findings, or (for `run`) a scenario did not behave as expected.
pub(crate) const FINDINGS: u8 = 1;
/// A usage or input error.
pub(crate) const INPUT: u8 = 2;

/// A user-facing error: printed once, on one line, with exit code 2.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error("no scenario named `{0}` (see `interleave list`)")]
    UnknownScenario(String),
    #[error("no category named `{0}` (one of: {1})")]
    UnknownCategory(String, String),
    #[error("name scenarios to run, or pass --all")]
    NothingToRun,
    #[error("read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Trace {
        path: String,
        source: interleave_detector::TraceError,
    },
}

pub(crate) fn code(code: u8) -> ExitCode {
    ExitCode::from(code)
}
