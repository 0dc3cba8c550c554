//! Running cargo: which cargo, the workspace's root and target directory, and scratch
//! directories for the runs `replay` and `ci` start.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::app::Result;
use crate::exit::CliError;

/// The cargo to run: `CARGO` (set when running under cargo, or by the user), else `cargo`.
pub(crate) fn program() -> OsString {
    std::env::var_os("CARGO")
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| OsString::from("cargo"))
}

/// A cargo command.
pub(crate) fn command() -> Command {
    Command::new(program())
}

/// The root directory of the workspace the current directory is in, as cargo finds it.
pub(crate) fn workspace_root() -> Result<PathBuf> {
    let manifest = query(&["locate-project", "--workspace", "--message-format", "plain"])?;
    let manifest = PathBuf::from(manifest.trim());
    Ok(manifest.parent().map_or(manifest.clone(), Path::to_owned))
}

/// The workspace's target directory, as cargo resolves it (`CARGO_TARGET_DIR`, config files).
pub(crate) fn target_dir() -> Result<PathBuf> {
    let metadata = query(&["metadata", "--format-version", "1", "--no-deps"])?;
    let value: serde_json::Value =
        serde_json::from_str(&metadata).map_err(|e| CliError::CargoOutput {
            command: "cargo metadata".to_owned(),
            reason: e.to_string(),
        })?;
    value["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| CliError::CargoOutput {
            command: "cargo metadata".to_owned(),
            reason: "no target_directory".to_owned(),
        })
}

/// The standard output of `cargo args…`, which must succeed.
fn query(args: &[&str]) -> Result<String> {
    let shown = format!("cargo {}", args.join(" "));
    let output = command()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| CliError::Cargo {
            command: shown.clone(),
            source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("it failed")
            .trim()
            .trim_start_matches("error: ")
            .to_owned();
        return Err(CliError::CargoOutput {
            command: shown,
            reason,
        });
    }
    String::from_utf8(output.stdout).map_err(|_| CliError::CargoOutput {
        command: shown,
        reason: "its output is not UTF-8".to_owned(),
    })
}

/// A fresh, empty directory under the system's temporary directory.
pub(crate) fn scratch_dir(what: &str) -> Result<PathBuf> {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir =
        std::env::temp_dir().join(format!("interleave-{what}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| CliError::ArtifactDir {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}
