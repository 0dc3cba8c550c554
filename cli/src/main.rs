//! The `interleave` command: run the scenario catalog; replay, explain and draw artifacts.
//!
//! See `docs/cli.md` for every subcommand and the exit codes.

#![forbid(unsafe_code)]

mod analyze;
mod app;
mod artifacts;
mod cargo;
mod ci;
mod clean;
mod color;
mod exit;
mod explain;
#[cfg(test)]
mod fuzz;
mod graph;
mod html;
mod list;
mod load;
mod lock_graph;
mod output;
mod progress;
mod replay;
mod run;
mod svg;
mod timeline;

fn main() -> std::process::ExitCode {
    app::main()
}
