//! `interleave clean`: removes what checks and `interleave run` left in an artifact directory
//! — artifacts, ledger records, temporary files of interrupted writes — and nothing else.

use std::path::{Path, PathBuf};

use crate::app::Result;
use crate::exit::{CliError, OK};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The artifact directory (default: `INTERLEAVE_ARTIFACT_DIR`, else the one `interleave run`
    /// writes to from here).
    #[arg(long, value_name = "DIR")]
    artifact_dir: Option<PathBuf>,
    /// Say what would be removed, and remove nothing.
    #[arg(long)]
    dry_run: bool,
}

/// The directory given, else `INTERLEAVE_ARTIFACT_DIR`, else the one `interleave run` writes to
/// from here.
pub(crate) fn artifact_dir(given: Option<&Path>) -> PathBuf {
    given
        .map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os("INTERLEAVE_ARTIFACT_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(crate::run::default_artifact_dir)
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let dir = artifact_dir(args.artifact_dir.as_deref());
    let artifacts = ours(&dir, &["check", "schedule"]);
    let records = ours(&dir.join("ledger"), &["check", "result"]);
    let leftovers = temporaries(&dir);
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    if !args.dry_run {
        for path in artifacts.iter().chain(&records).chain(&leftovers) {
            std::fs::remove_file(path).map_err(|source| CliError::Write {
                path: path.clone(),
                source,
            })?;
        }
        // The ledger's directory, if it is empty now.
        let _ = std::fs::remove_dir(dir.join("ledger"));
    }
    crate::output::print(&format!(
        "{verb} {} artifact{}, {} ledger record{} and {} temporary file{} from {}\n",
        artifacts.len(),
        plural(artifacts.len()),
        records.len(),
        plural(records.len()),
        leftovers.len(),
        plural(leftovers.len()),
        crate::run::display_path(&dir)
    ))?;
    Ok(OK)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The regular `.json` files directly in `dir` that are interleave's: JSON objects with a
/// `format_version` and each of `fields` (any other file is the user's, and stays).
pub(crate) fn ours(dir: &Path, fields: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter(|path| {
            let Ok(text) = interleave_detector::read_text(path, 256 << 20, "a file") else {
                return false;
            };
            let Ok(serde_json::Value::Object(object)) = serde_json::from_str(&text) else {
                return false;
            };
            object.contains_key("format_version") && fields.iter().all(|f| object.contains_key(*f))
        })
        .collect();
    out.sort();
    out
}

/// Temporary files of writes that were interrupted (`.<name>.<pid>.<n>.tmp`).
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"))
        })
        .collect();
    out.sort();
    out
}
