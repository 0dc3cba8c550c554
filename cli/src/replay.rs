//! `interleave replay`: run an artifact's schedule again, exactly. A catalog scenario replays
//! in-process; a test re-runs through `cargo test` with `INTERLEAVE_REPLAY` set, its output
//! streamed as it comes.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use interleave::{Artifact, Finding, Report, Rerun};
use interleave_detector::printable_line;

use crate::app::Result;
use crate::exit::{CliError, FINDINGS, OK};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The artifact: the JSON file a failing check or `interleave run` wrote.
    artifact: PathBuf,
}

pub(crate) fn run(args: &Args) -> Result<u8> {
    let artifact = crate::load::artifact(&args.artifact)?;
    if artifact.execution == 0 {
        return Err(CliError::RealThreads {
            path: args.artifact.clone(),
        });
    }
    match &artifact.rerun {
        Rerun::Scenario { name } => scenario(&args.artifact, &artifact, name),
        Rerun::Test { package, test } => cargo_test(&args.artifact, package.as_deref(), test),
    }
}

/// Replays a catalog scenario in this process and prints the report: exit 1 if the replay
/// found something (the failure reproduced), 0 if it is clean.
fn scenario(path: &Path, artifact: &Artifact, name: &str) -> Result<u8> {
    let (out, code) = replay_scenario(path, artifact, name)?;
    crate::output::print(&out)?;
    Ok(code)
}

/// The report of a catalog scenario's replay, then the verdict; and the exit code.
pub(crate) fn replay_scenario(
    path: &Path,
    artifact: &Artifact,
    name: &str,
) -> Result<(String, u8)> {
    let scenario = interleave_scenarios::find(name).ok_or_else(|| CliError::ArtifactScenario {
        path: path.to_owned(),
        name: name.to_owned(),
    })?;
    let report = scenario.replay(path)?;
    let mut out = report.to_string();
    let _ = writeln!(out, "\n{}", verdict(&artifact.findings, &report));
    Ok((out, if report.is_clean() { OK } else { FINDINGS }))
}

/// Whether the replay found what the artifact recorded, by fingerprint.
fn verdict(recorded: &[Finding], report: &Report) -> String {
    let prints = |findings: &[Finding]| -> BTreeSet<String> {
        findings
            .iter()
            .map(|f| printable_line(&f.fingerprint).into_owned())
            .collect()
    };
    let (before, now) = (prints(recorded), prints(&report.findings));
    let kinds = |findings: &[Finding]| {
        findings
            .iter()
            .map(|f| f.kind.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if now.is_empty() {
        format!(
            "not reproduced: the replay is clean; the artifact recorded {}",
            kinds(recorded)
        )
    } else if before == now {
        let n = now.len();
        format!(
            "reproduced: the same {} as recorded",
            if n == 1 {
                "finding".to_owned()
            } else {
                format!("{n} findings")
            }
        )
    } else {
        format!(
            "reproduced with differences: recorded {} ({}), replayed {} ({})",
            kinds(recorded),
            before.into_iter().collect::<Vec<_>>().join(", "),
            kinds(&report.findings),
            now.into_iter().collect::<Vec<_>>().join(", ")
        )
    }
}

/// Re-runs a test with `INTERLEAVE_REPLAY` set: exit 1 if it fails (the failure reproduced),
/// 0 if it passes. Nothing of the artifact but its package and test reaches the command line.
fn cargo_test(path: &Path, package: Option<&str>, test: &str) -> Result<u8> {
    // cargo runs tests in their package's directory: the path must not be relative.
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(&cargo);
    command.arg("test");
    if let Some(package) = package {
        command.args(["-p", package]);
    }
    // `Artifact::read` took only a package name and a test path; after `--` the test name goes
    // to libtest, never to cargo, whatever it is.
    command
        .args(["--", test, "--exact"])
        .env("INTERLEAVE_REPLAY", &absolute)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let shown = format!(
        "INTERLEAVE_REPLAY={} cargo test{} -- {test} --exact",
        absolute.display(),
        package.map_or_else(String::new, |p| format!(" -p {p}"))
    );
    eprintln!("interleave: {shown}");
    let error = |source| CliError::Cargo {
        command: shown.clone(),
        source,
    };
    let mut child = command.spawn().map_err(error)?;
    let stdout = child.stdout.take().expect("stdout is piped");
    // libtest prints `test <name> ... ok` (or `FAILED`) for each test it ran.
    let ran_line = format!("test {test} ... ");
    let mut ran = false;
    let streamed = BufReader::new(stdout).lines().try_for_each(|line| {
        let line = line.map_err(error)?;
        ran |= line.starts_with(&ran_line);
        crate::output::print_verbatim(&format!("{line}\n"))
    });
    if let Err(e) = streamed {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e);
    }
    let status = child.wait().map_err(error)?;
    match (ran, status.success()) {
        (true, true) => {
            eprintln!("interleave: the test passed: the failure did not reproduce");
            Ok(OK)
        }
        (true, false) => {
            eprintln!("interleave: the test failed: the failure reproduced");
            Ok(FINDINGS)
        }
        (false, _) => Err(CliError::NoSuchTest {
            command: shown,
            test: test.to_owned(),
        }),
    }
}
