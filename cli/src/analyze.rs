//! `interleave analyze`: findings of a trace file.

use std::path::PathBuf;

use interleave_detector::{DetectorConfig, Trace};

use crate::app::Result;
use crate::exit::{CliError, FINDINGS, OK};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The trace file (JSON, as `interleave trace` prints).
    path: PathBuf,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let path = args.path.display().to_string();
    let text = std::fs::read_to_string(&args.path).map_err(|source| CliError::Read {
        path: path.clone(),
        source,
    })?;
    let trace = Trace::from_json(&text).map_err(|source| CliError::Trace {
        path: path.clone(),
        source,
    })?;
    let findings = trace
        .analyze(DetectorConfig::default())
        .map_err(|source| CliError::Trace { path, source })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&findings).expect("findings serialise")
        );
    } else if findings.is_empty() {
        let events: usize = trace.executions.iter().map(|e| e.events.len()).sum();
        println!(
            "clean: {} executions, {events} events, no findings",
            trace.executions.len()
        );
    } else {
        for (i, finding) in findings.iter().enumerate() {
            if i > 0 {
                println!();
            }
            print!("{finding}");
        }
    }
    Ok(if findings.is_empty() { OK } else { FINDINGS })
}
