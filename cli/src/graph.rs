//! `interleave graph`: an artifact's lock-order graph, the cycle highlighted, as Graphviz DOT
//! (plain text) or as SVG drawn by interleave itself.

use std::path::{Path, PathBuf};

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
pub(crate) enum Format {
    Dot,
    Svg,
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    crate::output::print(&render(&args.artifact, args.format)?)?;
    Ok(OK)
}

/// What `graph` prints for the artifact at `path`.
pub(crate) fn render(path: &Path, format: Format) -> Result<String> {
    let artifact = crate::load::artifact(path)?;
    let graph = LockGraph::new(&artifact).map_err(|e| CliError::artifact_trace(path, e))?;
    Ok(match format {
        Format::Dot => graph.dot(&artifact.check),
        Format::Svg => {
            // The locks with the names and colours `explain` gives them.
            let timeline = Timeline::new(&artifact.trace, artifact.execution, &artifact.findings);
            let style = |label: &str| timeline.node_style(label);
            crate::svg::lock_graph(&graph, &style)
        }
    })
}
