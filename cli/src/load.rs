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

/// Reads and checks the trace file at `path`.
pub(crate) fn trace(path: &Path) -> Result<Trace> {
    let shown = path.display().to_string();
    let text = text(path, MAX_TRACE_BYTES)?;
    Trace::from_json(&text).map_err(|source| CliError::Trace {
        path: shown,
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
