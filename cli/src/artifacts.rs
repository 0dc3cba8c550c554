//! `interleave artifacts`: the index of an artifact directory — one row per artifact, newest
//! run or oldest, with its check, how to re-run it, what it found and the command that replays
//! it. A file that is not a readable artifact gets a row saying why, never an error that hides
//! the others.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use interleave::{Artifact, Rerun};
use interleave_detector::printable_line;
use serde::Serialize;

use crate::app::Result;
use crate::exit::OK;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The artifact directory (default: `INTERLEAVE_ARTIFACT_DIR`, else the one `interleave run`
    /// writes to from here).
    #[arg(long, value_name = "DIR")]
    artifact_dir: Option<PathBuf>,
    /// `text` (a table) or `json`.
    #[arg(long, value_enum, default_value_t = crate::output::TextOrJson::Text)]
    format: crate::output::TextOrJson,
}

/// One row of the index.
#[derive(Debug, Serialize)]
struct Row {
    path: String,
    #[serde(flatten)]
    what: What,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum What {
    Artifact {
        check: String,
        /// `scenario NAME` or `test NAME` (with its package and target).
        from: String,
        /// The kinds of its findings, in order, comma-separated.
        found: String,
        headline: String,
        fingerprint: String,
        execution: u64,
        strategy: String,
        seed: u64,
    },
    Unreadable {
        unreadable: String,
    },
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let dir = crate::clean::artifact_dir(args.artifact_dir.as_deref());
    let rows: Vec<Row> = crate::clean::ours(&dir, &["check", "schedule"])
        .into_iter()
        .map(|path| row(&path))
        .collect();
    let out = match args.format {
        crate::output::TextOrJson::Json => {
            let mut json = serde_json::to_string_pretty(&rows).expect("rows serialize");
            json.push('\n');
            json
        }
        crate::output::TextOrJson::Text => table(&dir, &rows),
    };
    crate::output::print(&out)?;
    Ok(OK)
}

fn row(path: &Path) -> Row {
    let shown = crate::run::display_path(path);
    let what = match Artifact::read(path) {
        Ok(artifact) => what(&artifact),
        Err(error) => What::Unreadable {
            unreadable: printable_line(&error.to_string()).into_owned(),
        },
    };
    Row { path: shown, what }
}

fn what(artifact: &Artifact) -> What {
    let from = match &artifact.rerun {
        Rerun::Scenario { name } => format!("scenario {name}"),
        Rerun::Test(test) => {
            let mut from = format!("test {}", test.test);
            if let Some(package) = &test.package {
                let _ = write!(from, ", package {package}");
            }
            from
        }
    };
    let found: Vec<String> = artifact
        .findings
        .iter()
        .map(|f| f.kind.to_string())
        .collect();
    let first = artifact.findings.first();
    What::Artifact {
        check: printable_line(&artifact.check).into_owned(),
        from: printable_line(&from).into_owned(),
        found: found.join(", "),
        headline: first.map_or_else(String::new, |f| printable_line(&f.headline).into_owned()),
        fingerprint: first.map_or_else(String::new, |f| f.fingerprint.clone()),
        execution: artifact.execution,
        strategy: artifact.strategy.clone(),
        seed: artifact.seed,
    }
}

fn table(dir: &Path, rows: &[Row]) -> String {
    let mut out = String::new();
    let shown = crate::run::display_path(dir);
    if rows.is_empty() {
        let _ = writeln!(out, "no artifacts in {shown}");
        return out;
    }
    let unreadable = rows
        .iter()
        .filter(|r| matches!(r.what, What::Unreadable { .. }))
        .count();
    let _ = writeln!(
        out,
        "{} artifact{} in {shown}{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        match unreadable {
            0 => String::new(),
            n => format!(" ({n} unreadable)"),
        }
    );
    for row in rows {
        let _ = writeln!(out);
        match &row.what {
            What::Artifact {
                check,
                from,
                found,
                headline,
                execution,
                ..
            } => {
                let _ = writeln!(out, "{}", row.path);
                let _ = writeln!(out, "  check      {check} ({from})");
                let _ = writeln!(out, "  found      {found} in execution {execution}");
                let _ = writeln!(out, "  headline   {headline}");
                let _ = writeln!(out, "  replay     interleave replay {}", row.path);
            }
            What::Unreadable { unreadable } => {
                let _ = writeln!(out, "{}", row.path);
                let _ = writeln!(out, "  unreadable {unreadable}");
            }
        }
    }
    out
}
