//! `interleave analyze`: the findings of a detector trace file, offline.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use interleave_detector::{DetectorConfig, ExecutionTrace, Trace, TRACE_FORMAT_VERSION};

use crate::app::Result;
use crate::exit::{CliError, FINDINGS, OK};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The trace file (JSON with a `format_version` and the events of each execution), or an
    /// artifact, whose failing execution's events are analysed again.
    path: PathBuf,
    /// `text` (the reports) or `json`.
    #[arg(long, value_enum, default_value_t = crate::output::TextOrJson::Text)]
    format: crate::output::TextOrJson,
    /// The same as `--format json`.
    #[arg(long, hide = true)]
    json: bool,
}

impl Args {
    /// `--format json`, or `--json`.
    fn json(&self) -> bool {
        self.json || self.format == crate::output::TextOrJson::Json
    }
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let (out, code) = render(&args.path, args.json())?;
    crate::output::print(&out)?;
    Ok(code)
}

/// What `analyze` prints for the trace file at `path`, and its exit code.
pub(crate) fn render(path: &Path, json: bool) -> Result<(String, u8)> {
    let (trace, config) = match crate::load::artifact_or_trace(path)? {
        crate::load::Input::Trace(trace) => {
            // A trace that records when threads block (one interleave's runtime wrote) has its
            // joins judged when they block, as the check did.
            let blocks_recorded = trace.executions.iter().any(|execution| {
                execution
                    .events
                    .iter()
                    .any(|event| matches!(event.kind, interleave_detector::EventKind::Block))
            });
            let config = DetectorConfig {
                blocks_recorded,
                ..DetectorConfig::default()
            };
            (trace, config)
        }
        // The failing execution's events, with the analyses the check ran (the executions
        // before it, which a cycle may rest on, are not in the artifact: replay runs them).
        crate::load::Input::Artifact(artifact) => (
            Trace {
                format_version: TRACE_FORMAT_VERSION,
                executions: vec![ExecutionTrace {
                    execution: artifact.execution,
                    events: artifact.trace,
                }],
            },
            artifact.detector,
        ),
    };
    let findings = trace.analyze(config).map_err(|source| CliError::Trace {
        path: path.display().to_string(),
        source,
    })?;
    let mut out = String::new();
    if json {
        out = crate::output::json(&findings);
    } else if findings.is_empty() {
        let events: usize = trace.executions.iter().map(|e| e.events.len()).sum();
        let _ = writeln!(
            out,
            "clean: {} execution{}, {events} events, no findings",
            trace.executions.len(),
            if trace.executions.len() == 1 { "" } else { "s" }
        );
    } else {
        for (i, finding) in findings.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let _ = write!(out, "{finding}");
        }
    }
    Ok((out, if findings.is_empty() { OK } else { FINDINGS }))
}
