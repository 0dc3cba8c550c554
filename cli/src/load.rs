//! Reading the files the subcommands take: one clear error for a file that is not one.
//! `Artifact::read` checks an artifact (a regular file of at most `MAX_ARTIFACT_BYTES`, its
//! rerun fields, schedules, findings and trace); a trace file gets the same limits here and
//! `Trace::from_json` checks its events.

use std::io::Read as _;
use std::path::Path;

use interleave::{Artifact, MAX_ARTIFACT_BYTES};
use interleave_detector::Trace;

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

/// A regular file of at most `limit` bytes, as text. Anything else (a FIFO, a device, a
/// directory) is refused before it is opened, so that reading it cannot block or run forever.
fn text(path: &Path, limit: u64) -> Result<String> {
    let shown = path.display().to_string();
    let read = |source| CliError::Read {
        path: shown.clone(),
        source,
    };
    let refused = |reason: String| CliError::NotReadable {
        path: shown.clone(),
        reason,
    };
    let metadata = std::fs::metadata(path).map_err(read)?;
    if !metadata.is_file() {
        return Err(refused(format!(
            "it is {}, not a regular file",
            file_kind(&metadata.file_type())
        )));
    }
    let too_large = |size: u64| {
        refused(format!(
            "it is {size} bytes, more than the {} MiB a trace may have",
            limit >> 20
        ))
    };
    if metadata.len() > limit {
        return Err(too_large(metadata.len()));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit + 1).read_to_string(&mut text))
        .map_err(read)?;
    if text.len() as u64 > limit {
        return Err(too_large(text.len() as u64));
    }
    Ok(text)
}

/// `a directory`, `a FIFO`, … for a file that is not a regular one.
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}
