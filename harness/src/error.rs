//! Errors of the harness: bad configuration, unreadable artifacts, diverged replays.

use std::path::PathBuf;

/// What can go wrong before or around exploring (findings are not errors: they are in the
/// [`Report`](crate::Report)).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An `INTERLEAVE_*` environment variable has a value that means nothing.
    #[error("read environment variable {variable}={value:?}: expected {expected}")]
    Env {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What it accepts.
        expected: &'static str,
    },
    /// A `Config` builder was given a value that means nothing (`early_timers(NaN)`,
    /// `random(0)`): the user's mistake, reported before anything runs.
    #[error("configure the check: {reason}")]
    Config {
        /// The setting and what it accepts.
        reason: String,
    },
    /// The artifact file cannot be read.
    #[error("read artifact {path}: {source}")]
    ArtifactRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The artifact file is not an artifact this version can replay.
    #[error("read artifact {path}: {reason}")]
    ArtifactFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The artifact cannot be written.
    #[error("write artifact {path}: {source}")]
    ArtifactWrite {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Exhaustive exploration re-ran a schedule prefix and the scenario took another path: it
    /// is not deterministic given its schedule, so its tree of schedules cannot be walked.
    #[error("explore: {message}")]
    Nondeterministic {
        /// `schedule diverged at step N: …`
        message: String,
    },
    /// interleave itself went wrong: please report it, with the scenario.
    #[error("interleave internal error (please report it): {message}")]
    Internal {
        /// What went wrong.
        message: String,
    },
    /// The check went `limit` of wall-clock time without reaching a scheduling point: one of its
    /// threads is blocked or spinning outside interleave's control. The thread running the check
    /// is left behind (nothing can stop it); it stops at its next scheduling point, if any.
    #[error(
        "check `{check}` reached no scheduling point for {limit:?}: thread `{thread}` of \
         execution {execution} ran last, {last_seen} (step {step}); {cause} Raise the limit with \
         `Config::watchdog` or INTERLEAVE_WATCHDOG=<seconds> (`off` turns it off)"
    )]
    Stalled {
        /// The check.
        check: String,
        /// The watchdog's limit.
        limit: std::time::Duration,
        /// The thread that was running.
        thread: String,
        /// The execution.
        execution: u64,
        /// Its last step.
        step: u64,
        /// Where it was last seen (`last seen at file:line:column`).
        last_seen: String,
        /// The likely cause.
        cause: &'static str,
    },
    /// `check`, `explore` or `replay` was called inside a running check's scenario.
    #[error(
        "run a check inside the scenario of another check: `check`, `explore` and `replay` \
         cannot run inside an execution (called at {site}); call them from the test itself"
    )]
    Nested {
        /// Where the inner check was called.
        site: interleave_detector::Site,
    },
    /// A replayed schedule does not fit the program any more.
    #[error("replay {path}: {message}")]
    Diverged {
        /// The artifact replayed.
        path: PathBuf,
        /// `schedule diverged at step N: …`
        message: String,
    },
    /// The baseline file cannot be read or written, or is not a baseline.
    #[error("{action} baseline {path}: {reason}")]
    Baseline {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A ledger record cannot be read.
    #[error("read ledger {path}: {reason}")]
    Ledger {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}
