//! The `interleave` command: list and run the scenario catalog, analyse trace files.
//!
//! See `docs/cli.md` for every subcommand and the exit codes.

#![forbid(unsafe_code)]

mod analyze;
mod app;
mod exit;
mod list;
mod run;
mod trace;

fn main() -> std::process::ExitCode {
    app::main()
}
