//! Reading the files the subcommands take: one clear error for a file that is not one.
//! `Artifact::read` checks an artifact (a regular file of at most `MAX_ARTIFACT_BYTES`, its
//! rerun fields, schedules, findings and trace); a trace file gets the same limits here and
//! `Trace::from_json` checks its events.

use std::path::Path;

use interleave::{Artifact, MAX_ARTIFACT_BYTES};
use interleave_detector::{ReadError, Trace};

use crate::app::Result;
use crate::exit::CliError;

/// The largest trace file read, as for artifacts: 256 MiB.
const MAX_TRACE_BYTES: u64 = MAX_ARTIFACT_BYTES;

/// Reads and checks the artifact at `path`.
pub(crate) fn artifact(path: &Path) -> Result<Artifact> {
    Ok(Artifact::read(path)?)
}

/// What a file given to `analyze` turned out to be.
#[derive(Debug)]
pub(crate) enum Input {
    Artifact(Box<Artifact>),
    Trace(Trace),
}

/// Reads the file at `path` as an artifact if it is one (it has a `check`), else as a trace
/// file.
pub(crate) fn artifact_or_trace(path: &Path) -> Result<Input> {
    #[derive(serde::Deserialize)]
    struct Probe {
        check: Option<serde::de::IgnoredAny>,
    }
    let text = text(path, MAX_TRACE_BYTES)?;
    let is_artifact = serde_json::from_str::<Probe>(&text).is_ok_and(|p| p.check.is_some());
    if is_artifact {
        return Ok(Input::Artifact(Box::new(artifact(path)?)));
    }
    Trace::from_json(&text)
        .map(Input::Trace)
        .map_err(|source| CliError::Trace {
            path: path.display().to_string(),
            source,
        })
}

/// A regular file of at most `limit` bytes, as text (see `interleave_detector::read_text`).
fn text(path: &Path, limit: u64) -> Result<String> {
    interleave_detector::read_text(path, limit, "a trace").map_err(|error| match error {
        ReadError::Io(source) => CliError::Read {
            path: path.display().to_string(),
            source,
        },
        ReadError::Refused(reason) => CliError::NotReadable {
            path: path.display().to_string(),
            reason,
        },
    })
}
