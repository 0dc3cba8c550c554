//! The command line, as clap types, and the dispatch to one file per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::{self, CliError};

/// Deterministic concurrency testing and deadlock detection for Rust.
#[derive(Debug, Parser)]
#[command(name = "interleave", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the scenario catalog: name, category, expected outcome, description.
    List(crate::list::Args),
    /// Run catalog scenarios and check each behaves as the catalog expects.
    Run(crate::run::Args),
    /// Analyse a trace file (JSON) and print its findings.
    Analyze(crate::analyze::Args),
    /// Print a catalog scenario's recorded trace as JSON (input for `analyze`).
    Trace(crate::trace::Args),
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List(args) => crate::list::run(&args),
        Command::Run(args) => crate::run::run(&args),
        Command::Analyze(args) => crate::analyze::run(&args),
        Command::Trace(args) => crate::trace::run(&args),
    };
    match result {
        Ok(code) => exit::code(code),
        Err(error) => {
            eprintln!("error: {error}");
            exit::code(exit::INPUT)
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, CliError>;
