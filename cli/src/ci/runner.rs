//! Running the tests: `cargo test` or `cargo nextest run`, every test to the end
//! (`--no-fail-fast`), with the artifact directory and the baseline in the environment; and for
//! `--shard`, only some of them. The runner's own output goes to standard error as it comes;
//! which tests failed is read from it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use super::results::RunInfo;
use super::{Runner, Shard};
use crate::app::Result;
use crate::exit::CliError;

mod shard;

/// What to run.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub(crate) runner: Runner,
    pub(crate) shard: Option<Shard>,
    /// The workspace's root: the runner runs there.
    pub(crate) root: &'a Path,
    /// The artifact directory.
    pub(crate) dir: &'a Path,
    pub(crate) baseline: Option<&'a Path>,
    /// The user's arguments for the runner; after a `--`, for the test binaries.
    pub(crate) args: &'a [String],
}

impl Plan<'_> {
    /// The user's arguments for the runner, and those for the test binaries.
    pub(crate) fn split_args(&self) -> (&[String], &[String]) {
        match self.args.iter().position(|a| a == "--") {
            Some(i) => (&self.args[..i], &self.args[i + 1..]),
            None => (self.args, &[]),
        }
    }

    /// Whether the user's arguments choose packages themselves.
    pub(crate) fn selects_packages(&self) -> bool {
        self.split_args().0.iter().any(|a| {
            matches!(a.as_str(), "-p" | "--package" | "--workspace" | "--all")
                || a.starts_with("--package=")
                || a.starts_with("--manifest-path")
                || (a.starts_with("-p") && a.len() > 2 && !a.starts_with("--"))
        })
    }

    /// A cargo command in the workspace's root, with interleave's environment for the checks.
    pub(crate) fn command(&self) -> Command {
        let mut command = crate::cargo::command();
        command
            .current_dir(self.root)
            .env("INTERLEAVE_ARTIFACT_DIR", self.dir)
            .env_remove("INTERLEAVE_REPLAY")
            .env_remove("INTERLEAVE_BASELINE")
            .stdin(Stdio::null());
        if let Some(baseline) = self.baseline {
            command.env("INTERLEAVE_BASELINE", baseline);
        }
        command
    }
}

/// Runs the tests; what the run was and which tests failed.
pub(crate) fn run(plan: &Plan<'_>) -> Result<RunInfo> {
    let (status, mut failed) = match (plan.runner, plan.shard) {
        (Runner::Cargo, None) => {
            let mut command = plan.command();
            command.args(["test", "--no-fail-fast"]);
            if !plan.selects_packages() {
                command.arg("--workspace");
            }
            command.args(plan.args);
            cargo_test(command)?
        }
        (Runner::Cargo, Some(shard)) => shard::run(plan, shard)?,
        (Runner::Nextest, shard) => nextest(plan, shard)?,
    };
    failed.sort();
    failed.dedup();
    Ok(RunInfo {
        runner: match plan.runner {
            Runner::Cargo => "cargo test",
            Runner::Nextest => "cargo nextest",
        }
        .to_owned(),
        shard: plan.shard.map(|s| s.to_string()),
        status,
        failed_tests: failed,
    })
}

/// Runs a `cargo test` command: its exit code, and the tests libtest said failed
/// (`test <name> ... FAILED`). Its standard output is copied to standard error.
pub(crate) fn cargo_test(mut command: Command) -> Result<(Option<i32>, Vec<String>)> {
    let shown = shown(&command);
    eprintln!("interleave: {shown}");
    let mut failed = Vec::new();
    let status = stream(&mut command, &shown, |line| {
        eprintln!("{line}");
        if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" ... FAILED"))
        {
            failed.push(name.to_owned());
        }
    })?;
    Ok((status, failed))
}

/// `cargo nextest run`, its libtest-like JSON on standard output read for failed tests (its
/// human output stays on standard error).
fn nextest(plan: &Plan<'_>, shard: Option<Shard>) -> Result<(Option<i32>, Vec<String>)> {
    let installed = crate::cargo::command()
        .args(["nextest", "--version"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        return Err(CliError::NoNextest);
    }
    let mut command = plan.command();
    command.args(["nextest", "run", "--no-fail-fast"]);
    if !plan.selects_packages() {
        command.arg("--workspace");
    }
    if let Some(shard) = shard {
        command.args(["--partition", &format!("hash:{shard}")]);
    }
    command
        .args(["--message-format", "libtest-json"])
        .env("NEXTEST_EXPERIMENTAL_LIBTEST_JSON", "1")
        .args(plan.args);
    let shown = shown(&command);
    eprintln!("interleave: {shown}");
    let mut failed = Vec::new();
    let status = stream(&mut command, &shown, |line| {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
            return;
        };
        if event["type"] == "test" && event["event"] == "failed" {
            if let Some(name) = event["name"].as_str() {
                // `<binary id>$<test>`
                let test = name.rsplit_once('$').map_or(name, |(_, test)| test);
                failed.push(test.to_owned());
            }
        }
    })?;
    Ok((status, failed))
}

/// Runs `command`, handing each line of its standard output to `each`; its exit code.
fn stream(command: &mut Command, shown: &str, mut each: impl FnMut(&str)) -> Result<Option<i32>> {
    let error = |source| CliError::Cargo {
        command: shown.to_owned(),
        source,
    };
    let mut child = command.stdout(Stdio::piped()).spawn().map_err(error)?;
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines() {
        match line {
            Ok(line) => each(&line),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(error(e));
            }
        }
    }
    Ok(child.wait().map_err(error)?.code())
}

/// `cargo test --workspace …`, as the user would type it.
pub(crate) fn shown(command: &Command) -> String {
    let args: Vec<String> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    format!("cargo {}", args.join(" "))
}
