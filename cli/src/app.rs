//! The command line, as clap types, and the dispatch to one file per subcommand.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory as _, Parser, Subcommand};
use interleave_detector::printable_line;

use crate::exit::{self, CliError};

/// Deterministic concurrency testing and deadlock detection for Rust.
#[derive(Debug, Parser)]
#[command(
    name = "interleave",
    version,
    about,
    after_help = "Exit codes: 0 clean (for `run`: every scenario as expected; for `replay`: \
                  the finding did not reproduce; for `ci`: nothing new), 1 findings (for `run`: \
                  something unexpected; for `replay`: the finding reproduced; for `ci`: new \
                  findings or other failing tests), 2 usage or input error (for `replay`: also \
                  a schedule that diverged, or a test that did not run)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour the output: `auto` on a terminal unless NO_COLOR is set, `always`, `never`.
    #[arg(long, global = true, value_enum, default_value_t = crate::color::Choice::Auto)]
    color: crate::color::Choice,
    /// Write what would go to standard output to FILE instead (created, or emptied first).
    #[arg(long, short = 'o', global = true, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
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
    /// The index of an artifact directory: each artifact's check, findings and replay command.
    Artifacts(crate::artifacts::Args),
    /// Remove the artifacts, ledger records and temporary files of an artifact directory.
    Clean(crate::clean::Args),
    /// The CI gate: run the workspace's tests, read every check's record, and fail only on
    /// findings the baseline does not accept (JUnit and a JSON summary on request).
    Ci(crate::ci::Args),
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
        eprintln!(
            "error: interleave internal error (please report it): {}{at}",
            printable_line(&message)
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage(&error),
    };
    if let Some(path) = &cli.output {
        if let Err(error) = crate::output::to_file(path) {
            eprintln!("error: {}", printable_line(&error.to_string()));
            return exit::code(exit::INPUT);
        }
    }
    crate::color::init(cli.color, cli.output.is_some());
    let result = match cli.command {
        Command::List(args) => crate::list::run(&args),
        Command::Run(args) => crate::run::run(&args),
        Command::Replay(args) => crate::replay::run(&args),
        Command::Explain(args) => crate::explain::run(&args),
        Command::Graph(args) => crate::graph::run(&args),
        Command::Analyze(args) => crate::analyze::run(&args),
        Command::Artifacts(args) => crate::artifacts::run(&args),
        Command::Clean(args) => crate::clean::run(&args),
        Command::Ci(args) => crate::ci::run(&args),
    };
    match result {
        Ok(code) => exit::code(code),
        Err(error) if error.is_closed_pipe() => exit::code(exit::INPUT),
        Err(error) => {
            let line = format!("error: {}", printable_line(&error.to_string()));
            eprintln!("{}", crate::color::error(&line));
            exit::code(exit::INPUT)
        }
    }
}

/// `--help` and `--version` print as clap prints them; anything else is a usage error, on one
/// line as every error is: clap's message without its usage block and tips, and where to look.
fn usage(error: &clap::Error) -> ExitCode {
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return exit::code(exit::OK);
    }
    let command = Cli::command();
    // The subcommand the arguments name, for the `--help` to read.
    let subcommand = std::env::args_os()
        .skip(1)
        .filter_map(|arg| arg.into_string().ok())
        .find(|arg| !arg.starts_with('-'))
        .filter(|arg| command.find_subcommand(arg).is_some())
        .map_or_else(String::new, |name| format!(" {name}"));
    let message = if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let names: Vec<&str> = command
            .get_subcommands()
            .map(clap::Command::get_name)
            .filter(|&name| name != "help")
            .collect();
        format!("name a subcommand: {}", names.join(", "))
    } else {
        // clap's message is its first paragraph: `error: …` and, for some errors, indented
        // lines that complete it (the missing arguments, the possible values).
        let rendered = error.render().to_string();
        let paragraph: Vec<&str> = rendered
            .lines()
            .take_while(|line| !line.trim().is_empty())
            .map(str::trim)
            .collect();
        let message = paragraph.join(" ");
        message
            .strip_prefix("error: ")
            .unwrap_or(&message)
            .to_owned()
    };
    eprintln!(
        "error: {} (see `interleave{subcommand} --help`)",
        printable_line(&message)
    );
    exit::code(exit::INPUT)
}

pub(crate) type Result<T> = std::result::Result<T, CliError>;
