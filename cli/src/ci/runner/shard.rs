//! `--shard k/n` with cargo: build the test binaries, list each one's tests, keep those whose
//! `binary::test` name hashes to shard k, and run them, one `cargo test` per binary with the
//! kept names after `--exact`. Doc tests (which cannot be listed without building them all)
//! run in shard 1.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;

use super::{cargo_test, Plan};
use crate::app::Result;
use crate::ci::Shard;
use crate::exit::CliError;

/// A test binary cargo built.
#[derive(Debug)]
struct Binary {
    package: String,
    /// `lib`, `bin`, `test`, `bench`, `example`.
    kind: String,
    name: String,
    executable: PathBuf,
    /// Its package's directory, where cargo runs it.
    dir: PathBuf,
}

impl Binary {
    /// As nextest names it: `bank`, `bank::bin/x`, `bank::transfers`.
    fn id(&self) -> String {
        match self.kind.as_str() {
            "lib" | "proc-macro" => self.package.clone(),
            "test" => format!("{}::{}", self.package, self.name),
            kind => format!("{}::{kind}/{}", self.package, self.name),
        }
    }

    fn target_args(&self) -> Vec<String> {
        match self.kind.as_str() {
            "lib" | "proc-macro" => vec!["--lib".to_owned()],
            kind => vec![format!("--{kind}"), self.name.clone()],
        }
    }
}

pub(super) fn run(plan: &Plan<'_>, shard: Shard) -> Result<(Option<i32>, Vec<String>)> {
    let (cargo_args, binary_args) = plan.split_args();
    let (binaries, doc_tests) = build(plan)?;
    let mut status = Some(0);
    let mut failed = Vec::new();
    let mut worst = |code: Option<i32>| {
        if code != Some(0) {
            status = code.or(Some(-1));
        }
    };
    for binary in &binaries {
        let tests: Vec<String> = list(binary)?
            .into_iter()
            .filter(|test| in_shard(&format!("{}::{test}", binary.id()), shard))
            .collect();
        if tests.is_empty() {
            continue;
        }
        let mut command = plan.command();
        command
            .args(["test", "--no-fail-fast", "-p", &binary.package])
            .args(binary.target_args())
            .args(without_packages(cargo_args))
            .args(["--", "--exact"])
            .args(&tests)
            .args(binary_args);
        let (code, mut names) = cargo_test(command)?;
        worst(code);
        failed.append(&mut names);
    }
    if shard.index == 1 && doc_tests {
        let mut command = plan.command();
        command.args(["test", "--no-fail-fast", "--doc"]);
        if !plan.selects_packages() {
            command.arg("--workspace");
        }
        command.args(cargo_args).arg("--").args(binary_args);
        let (code, mut names) = cargo_test(command)?;
        worst(code);
        failed.append(&mut names);
    }
    Ok((status, failed))
}

/// Whether `name` falls in `shard`: FNV-1a, the same on every machine.
fn in_shard(name: &str, shard: Shard) -> bool {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    hash % u64::from(shard.count) == u64::from(shard.index - 1)
}

/// The user's cargo arguments without those that choose packages (each binary's run names its
/// own).
fn without_packages(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        match arg.as_str() {
            "--workspace" | "--all" => {}
            "-p" | "--package" | "--exclude" => skip_value = true,
            a if a.starts_with("--package=") || a.starts_with("--exclude=") => {}
            a if a.starts_with("-p") && !a.starts_with("--") => {}
            _ => out.push(arg.clone()),
        }
    }
    out
}

/// Builds the test binaries (`cargo test --no-run`) and says which ones there are, and whether
/// a library of the workspace has doc tests.
fn build(plan: &Plan<'_>) -> Result<(Vec<Binary>, bool)> {
    let (cargo_args, _) = plan.split_args();
    let metadata = crate::cargo::command()
        .current_dir(plan.root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| CliError::Cargo {
            command: "cargo metadata".to_owned(),
            source,
        })?;
    let metadata: serde_json::Value =
        serde_json::from_slice(&metadata.stdout).map_err(|e| CliError::CargoOutput {
            command: "cargo metadata".to_owned(),
            reason: e.to_string(),
        })?;
    let mut packages = BTreeMap::new();
    let mut doc_tests = false;
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let (Some(id), Some(name)) = (package["id"].as_str(), package["name"].as_str()) else {
            continue;
        };
        packages.insert(id.to_owned(), name.to_owned());
        doc_tests |= package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| {
                t["doctest"] == true
                    && t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "lib"))
            });
    }
    let mut command = plan.command();
    command.args([
        "test",
        "--no-run",
        "--message-format",
        "json-render-diagnostics",
    ]);
    if !plan.selects_packages() {
        command.arg("--workspace");
    }
    command.args(cargo_args).stderr(Stdio::inherit());
    let shown = super::shown(&command);
    eprintln!("interleave: {shown}");
    let output = command.output().map_err(|source| CliError::Cargo {
        command: shown.clone(),
        source,
    })?;
    if !output.status.success() {
        return Err(CliError::CargoOutput {
            command: shown,
            reason: "the tests did not build (see cargo's output above)".to_owned(),
        });
    }
    let mut binaries = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let executable = message["executable"].as_str();
        if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
            continue;
        }
        let (Some(executable), Some(package)) = (
            executable,
            message["package_id"]
                .as_str()
                .and_then(|id| packages.get(id)),
        ) else {
            continue;
        };
        let target = &message["target"];
        let kind = target["kind"][0].as_str().unwrap_or("lib").to_owned();
        let dir = PathBuf::from(message["manifest_path"].as_str().unwrap_or_default())
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default();
        binaries.push(Binary {
            package: package.clone(),
            kind,
            name: target["name"].as_str().unwrap_or_default().to_owned(),
            executable: PathBuf::from(executable),
            dir,
        });
    }
    binaries.sort_by_key(Binary::id);
    Ok((binaries, doc_tests))
}

/// The tests of a binary: `<binary> --list --format terse` prints `name: test` lines.
fn list(binary: &Binary) -> Result<Vec<String>> {
    let shown = format!("{} --list --format terse", binary.executable.display());
    let output = std::process::Command::new(&binary.executable)
        .args(["--list", "--format", "terse"])
        .current_dir(&binary.dir)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| CliError::Cargo {
            command: shown.clone(),
            source,
        })?;
    if !output.status.success() {
        return Err(CliError::CargoOutput {
            command: shown,
            reason: "it could not list its tests".to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_is_in_exactly_one_shard_and_shards_are_balanced() {
        let names: Vec<String> = (0..1000).map(|i| format!("bank::tests::t{i}")).collect();
        let mut sizes = [0; 4];
        for name in &names {
            let shards: Vec<u32> = (1..=4)
                .filter(|&index| in_shard(name, Shard { index, count: 4 }))
                .collect();
            assert_eq!(shards.len(), 1, "{name}");
            sizes[shards[0] as usize - 1] += 1;
        }
        assert!(sizes.iter().all(|&n| (200..300).contains(&n)), "{sizes:?}");
        // Fixed values: the same test is in the same shard on every machine and release.
        assert!(in_shard("bank::tests::t0", Shard { index: 1, count: 1 }));
    }

    #[test]
    fn package_choices_are_left_to_each_binary_s_run() {
        let args: Vec<String> = [
            "--workspace",
            "-p",
            "a",
            "--package=b",
            "-pc",
            "--features",
            "x",
            "--release",
            "--exclude",
            "d",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(without_packages(&args), ["--features", "x", "--release"]);
    }
}
