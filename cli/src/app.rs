//! The command line, as clap types, and the dispatch to one file per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::{self, CliError};

/// Deterministic concurrency testing and deadlock detection for Rust.
#[derive(Debug, Parser)]
#[command(
    name = "interleave",
    version,
    about,
    after_help = "Exit codes: 0 clean (for `run`: every scenario as expected), 1 findings \
                  (for `run`: something unexpected; for `replay`: the failure reproduced), \
                  2 usage or input error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the scenario catalog: name, category, expected outcome, description.
    List(crate::list::Args),
    /// Run catalog scenarios and check that each behaves as the catalog expects.
    Run(crate::run::Args),
    /// Replay an artifact's schedule exactly: in-process for a catalog scenario, through
    /// `cargo test` for a test.
    Replay(crate::replay::Args),
    /// Explain an artifact: its findings, the lock-order cycle and a per-thread timeline.
    Explain(crate::explain::Args),
    /// Draw an artifact's lock-order graph, the cycle highlighted (DOT or SVG).
    Graph(crate::graph::Args),
    /// Analyse a detector trace file (JSON) offline and print its findings.
    Analyze(crate::analyze::Args),
}

pub(crate) fn main() -> ExitCode {
    // A bug of interleave is one line too, never a backtrace. (The harness keeps this hook for
    // panics outside its executions.)
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        eprintln!("error: interleave internal error (please report it): {message}{at}");
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List(args) => crate::list::run(&args),
        Command::Run(args) => crate::run::run(&args),
        Command::Replay(args) => crate::replay::run(&args),
        Command::Explain(args) => crate::explain::run(&args),
        Command::Graph(args) => crate::graph::run(&args),
        Command::Analyze(args) => crate::analyze::run(&args),
    };
    match result {
        Ok(code) => exit::code(code),
        Err(error) if error.is_closed_pipe() => exit::code(exit::INPUT),
        Err(error) => {
            eprintln!("error: {error}");
            exit::code(exit::INPUT)
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, CliError>;
