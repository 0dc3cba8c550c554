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
    /// A replayed schedule does not fit the program any more.
    #[error("replay {path}: {message}")]
    Diverged {
        /// The artifact replayed.
        path: PathBuf,
        /// `schedule diverged at step N: …`
        message: String,
    },
}
