//! Reading an artifact for `replay`, `explain` and `graph`: one clear error for a file that is
//! not one. `Artifact::read` checks the format, the version and that every finding's indices
//! point at threads and objects it lists (rendering it could not fail otherwise).

use std::path::Path;

use interleave::Artifact;

use crate::app::Result;

/// Reads and checks the artifact at `path`.
pub(crate) fn artifact(path: &Path) -> Result<Artifact> {
    Ok(Artifact::read(path)?)
}
