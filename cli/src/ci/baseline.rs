//! `interleave ci baseline`: the baseline from the last run. Every finding the run reported
//! (new or already accepted) is in it; an entry whose check ran clean without finding it is
//! removed (fixed); an entry whose check did not run (another shard, a filtered run) is kept.
//! Entries keep their reasons; new ones get `--reason`. Written sorted, one field a line.

use std::fmt::Write as _;
use std::path::PathBuf;

use interleave::{Baseline, BaselineEntry};
use interleave_detector::printable_line;

use super::results::Results;
use crate::app::Result;
use crate::exit::{CliError, OK};

/// The reason new entries get when none is given: a reviewer should replace it.
const DEFAULT_REASON: &str = "accepted by `interleave ci baseline`: say why";

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The baseline file to write (default: `interleave-baseline.json` at the workspace's
    /// root).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// The artifact directories of the run (default: the one `interleave ci` uses); several
    /// for the shards of one run.
    #[arg(long = "from", value_name = "DIR")]
    from: Vec<PathBuf>,
    /// Why the new findings are accepted: recorded in each new entry.
    #[arg(long, value_name = "TEXT", default_value = DEFAULT_REASON)]
    reason: String,
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let root = match &args.baseline {
        Some(_) => None,
        None => Some(crate::cargo::workspace_root()?),
    };
    let path = super::baseline_path(root.as_deref(), args.baseline.as_deref())
        .expect("a baseline given, or the workspace's");
    let dirs: Vec<PathBuf> = if args.from.is_empty() {
        vec![super::default_dir()?]
    } else {
        args.from.iter().map(|d| super::absolute(d)).collect()
    };
    let old = if path.exists() {
        Baseline::read(&path)?
    } else {
        Baseline::default()
    };
    let results = Results::collect(&dirs, &old)?;
    if results.checks.is_empty() {
        return Err(CliError::NoRecords {
            path: dirs[0].join("ledger"),
        });
    }
    let (baseline, added, removed) = update(&old, &results, &args.reason);
    baseline.write(&path)?;
    let mut out = format!(
        "{}: {} added, {} removed (fixed), {} kept\n",
        path.display(),
        added.len(),
        removed.len(),
        baseline.accepted.len() - added.len()
    );
    for (sign, entries) in [("+", &added), ("-", &removed)] {
        for e in entries {
            let _ = writeln!(
                out,
                "{sign} {}  {}  {}  {}",
                printable_line(&e.check),
                e.kind,
                printable_line(&e.fingerprint),
                printable_line(&e.headline)
            );
        }
    }
    crate::output::print(&out)?;
    Ok(OK)
}

/// The new baseline, and the entries added and removed.
fn update(
    old: &Baseline,
    results: &Results,
    reason: &str,
) -> (Baseline, Vec<BaselineEntry>, Vec<BaselineEntry>) {
    let mut baseline = Baseline {
        accepted: old
            .accepted
            .iter()
            .filter(|e| !results.fixed.contains(e))
            .cloned()
            .collect(),
        ..Baseline::default()
    };
    let mut added = Vec::new();
    for finding in &results.new_findings {
        if baseline
            .accepts(&finding.check, &finding.fingerprint)
            .is_none()
        {
            let entry = BaselineEntry {
                check: finding.check.clone(),
                fingerprint: finding.fingerprint.clone(),
                kind: finding.kind,
                headline: finding.headline.clone(),
                reason: reason.to_owned(),
            };
            baseline.accepted.push(entry.clone());
            added.push(entry);
        }
    }
    baseline.sort();
    added.sort();
    let mut removed = results.fixed.clone();
    removed.sort();
    (baseline, added, removed)
}
