//! `interleave trace`: a catalog scenario's recorded trace, as JSON.

use crate::app::Result;
use crate::exit::{CliError, OK};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The scenario (see `interleave list`).
    name: String,
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let scenario = interleave_scenarios::find(&args.name)
        .ok_or_else(|| CliError::UnknownScenario(args.name.clone()))?;
    println!("{}", scenario.trace().to_json());
    Ok(OK)
}
