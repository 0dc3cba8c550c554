//! `interleave graph`: an artifact's lock-order graph, the cycle highlighted, as Graphviz DOT
//! (plain text) or as SVG drawn by interleave itself.

use std::path::PathBuf;

use crate::app::Result;
use crate::exit::{CliError, OK};
use crate::lock_graph::LockGraph;
use crate::timeline::Timeline;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The artifact: the JSON file a failing check or `interleave run` wrote.
    artifact: PathBuf,
    /// `dot` for Graphviz (`| dot -Tpng`), `svg` for an image that needs nothing else.
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Dot,
    Svg,
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let artifact = crate::load::artifact(&args.artifact)?;
    let graph =
        LockGraph::new(&artifact).map_err(|e| CliError::artifact_trace(&args.artifact, e))?;
    let out = match args.format {
        Format::Dot => graph.dot(&artifact.check),
        Format::Svg => {
            // The locks with the names and colours `explain` gives them.
            let timeline = Timeline::new(&artifact.trace, artifact.execution, &artifact.findings);
            let style = |label: &str| timeline.node_style(label);
            crate::svg::lock_graph(&graph, &style)
        }
    };
    crate::output::print(&out)?;
    Ok(OK)
}
