//! `interleave analyze`: the findings of a detector trace file, offline.

use std::fmt::Write as _;
use std::path::PathBuf;

use interleave_detector::DetectorConfig;

use crate::app::Result;
use crate::exit::{CliError, FINDINGS, OK};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The trace file: JSON with a `format_version` and the events of each execution.
    path: PathBuf,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let path = args.path.display().to_string();
    let trace = crate::load::trace(&args.path)?;
    let findings = trace
        .analyze(DetectorConfig::default())
        .map_err(|source| CliError::Trace { path, source })?;
    let mut out = String::new();
    if args.json {
        out = crate::output::json(&findings);
    } else if findings.is_empty() {
        let events: usize = trace.executions.iter().map(|e| e.events.len()).sum();
        let _ = writeln!(
            out,
            "clean: {} executions, {events} events, no findings",
            trace.executions.len()
        );
    } else {
        for (i, finding) in findings.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let _ = write!(out, "{finding}");
        }
    }
    crate::output::print(&out)?;
    Ok(if findings.is_empty() { OK } else { FINDINGS })
}
