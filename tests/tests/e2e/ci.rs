//! `interleave ci` end to end, on the sample workspace `tests/ci-sample` (a library with two
//! checks, one of them buggy), copied to a scratch directory and edited as a user would:
//! a run with an empty baseline fails and writes JUnit; accepting the finding makes it pass;
//! a second bug in the same check fails it again, naming only the new finding; fixing the first
//! bug lists it as fixed. Replays of the first bug's artifact reproduce it, then diverge once it
//! is fixed, and `--recheck` says it is gone.
//!
//! The sample builds with `--locked` (its `Cargo.lock` is committed) into this workspace's
//! target directory, so that its dependencies are the ones already built.

mod junit;

use std::path::{Path, PathBuf};
use std::process::Command;

use interleave::{Baseline, Kind};
use serde_json::Value;

/// What one `interleave` invocation gave.
#[derive(Debug)]
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The sample, copied, and the `interleave` binary to run in it.
struct Sample {
    dir: PathBuf,
    interleave: PathBuf,
    target: PathBuf,
}

impl Sample {
    fn new() -> Sample {
        let dir = copy_sample(
            "ci-sample",
            "ci-sample",
            &["Cargo.lock", "src/lib.rs"],
            "harness",
        );
        let (target, profile) = target_and_profile();
        Sample {
            dir,
            interleave: build_cli(&target, &profile),
            target,
        }
    }

    /// Runs `interleave args…` in the sample, with no `INTERLEAVE_*` variable of ours.
    fn interleave(&self, args: &[&str]) -> Output {
        let mut command = Command::new(&self.interleave);
        command
            .args(args)
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env("CARGO", cargo());
        for (name, _) in std::env::vars() {
            if name.starts_with("INTERLEAVE_") || name.starts_with("NEXTEST") {
                command.env_remove(name);
            }
        }
        let output = command.output().expect("interleave runs");
        Output {
            code: output.status.code().expect("exited normally"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// `interleave ci` into `ci/`, with JUnit.
    fn ci(&self, extra: &[&str]) -> Output {
        let mut args = vec!["ci", "--artifact-dir", "ci", "--junit", "junit.xml"];
        args.extend(extra);
        self.interleave(&args)
    }

    fn summary(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.join("ci/summary.json")).unwrap())
            .unwrap()
    }

    fn junit(&self) -> String {
        std::fs::read_to_string(self.dir.join("junit.xml")).unwrap()
    }

    /// Replaces `from` by `to` in the sample's library, as a user's edit.
    fn edit(&self, from: &str, to: &str) {
        let path = self.dir.join("src/lib.rs");
        let source = std::fs::read_to_string(&path).unwrap();
        assert!(source.contains(from), "{from}");
        std::fs::write(&path, source.replace(from, to)).unwrap();
    }

    /// `text` without what changes between machines and runs.
    fn redact(&self, text: &str) -> String {
        text.replace(self.dir.to_str().unwrap(), "[sample]")
    }
}

/// Copies `files` of the user workspace `tests/<sample>` and its manifest to `name` in this
/// test binary's scratch directory, the manifest's `path = "../../<dependency>"` made absolute.
/// One fixed place per name: cargo remembers the sources of a build by their path, so a copy
/// elsewhere could be taken for the last one built and not be rebuilt.
pub(crate) fn copy_sample(sample: &str, name: &str, files: &[&str], dependency: &str) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(sample);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for file in files {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(source.join(file), to).unwrap();
    }
    let absolute = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dependency)
        .canonicalize()
        .unwrap();
    let manifest = std::fs::read_to_string(source.join("Cargo.toml"))
        .unwrap()
        .replace(
            &format!("path = \"../../{dependency}\""),
            &format!("path = {absolute:?}"),
        );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    dir
}

/// Builds `command` (a cargo build or test) in `profile`, as this test binary was built.
pub(crate) fn with_profile(command: &mut Command, profile: &str) {
    match profile {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
}

pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// This test binary's target directory and profile directory (`target/debug/deps/e2e-…`).
pub(crate) fn target_and_profile() -> (PathBuf, String) {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let profile = profile_dir
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    (profile_dir.parent().unwrap().to_owned(), profile)
}

/// Builds the `interleave` binary as this test was built (a no-op under `cargo test
/// --workspace`, which built it already) and returns its path.
fn build_cli(target: &Path, profile: &str) -> PathBuf {
    let mut command = Command::new(cargo());
    command
        .args([
            "build",
            "--locked",
            "-p",
            "interleave-cli",
            "--bin",
            "interleave",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", target);
    with_profile(&mut command, profile);
    let status = command.status().unwrap();
    assert!(status.success(), "cargo build -p interleave-cli");
    target.join(profile).join("interleave")
}

/// The fingerprints of the summary's `list` (`new_findings`, `accepted`, `fixed`).
fn fingerprints(summary: &Value, list: &str) -> Vec<String> {
    summary[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
        .collect()
}

fn nextest_installed() -> bool {
    Command::new(cargo())
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

const BUG_1: &str = "        let done = self.transfers.load(Ordering::SeqCst);\n        \
                     self.transfers.store(done + 1, Ordering::SeqCst);";
const FIX_1: &str = "        self.transfers.fetch_add(1, Ordering::SeqCst);";
const GOOD_DEPOSIT: &str = "        *self.accounts[account].lock().unwrap() += amount;";
const BUG_2: &str = "        let balance = *self.accounts[account].lock().unwrap();\n        \
                     *self.accounts[account].lock().unwrap() = balance + amount;";

#[test]
fn the_ci_gate_fails_on_new_findings_only_and_lists_fixed_ones() {
    let sample = Sample::new();
    let mut seen = String::new();
    let mut record = |step: &str, out: &Output| {
        seen.push_str(&format!(
            "── {step}: exit {}\n{}",
            out.code,
            sample.redact(&out.stdout)
        ));
    };

    // 1. No baseline: the lost transfer count is a new finding.
    let out = sample.ci(&[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    record("no baseline", &out);
    let summary = sample.summary();
    let first = fingerprints(&summary, "new_findings");
    assert_eq!(first.len(), 1, "{summary}");
    assert_eq!(summary["new_findings"][0]["kind"], "panic");
    assert_eq!(
        summary["new_findings"][0]["headline"],
        "panic in thread `main`: a transfer was not counted"
    );
    assert_eq!(summary["checks"].as_array().unwrap().len(), 2);
    assert_eq!(summary["passed"], false);
    let cases = junit::validate(&sample.junit()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cases,
        [
            junit::Case {
                suite: "ci-sample".to_owned(),
                name: "tests::the_total_is_read_while_money_moves".to_owned(),
                failure: None,
                fingerprints: vec![],
            },
            junit::Case {
                suite: "ci-sample".to_owned(),
                name: "tests::transfers_and_deposits".to_owned(),
                failure: Some("panic".to_owned()),
                fingerprints: first.clone(),
            },
        ]
    );
    let junit = sample.junit();
    assert!(junit.contains("interleave replay "), "{junit}");
    // Its artifact, kept for later: the next run empties the directory.
    let artifact = sample.dir.join("bug-1.json");
    std::fs::copy(
        summary["new_findings"][0]["artifact"].as_str().unwrap(),
        &artifact,
    )
    .unwrap();
    let artifact = artifact.to_str().unwrap();
    let replay = sample.interleave(&["replay", artifact]);
    assert_eq!(replay.code, 1, "{}", replay.stderr);
    assert!(replay
        .stderr
        .ends_with("interleave: reproduced: the same finding as recorded\n"));

    // The same run sharded in two and merged, and under nextest, finds the same.
    for shard in ["1/2", "2/2"] {
        let out = sample.interleave(&[
            "ci",
            "--shard",
            shard,
            "--artifact-dir",
            &format!("shard-{}", &shard[..1]),
        ]);
        assert!(out.code <= 1, "{}", out.stderr);
    }
    let merged = sample.interleave(&["ci", "merge", "shard-1", "shard-2"]);
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    assert_eq!(
        merged.stdout.lines().next(),
        out.stdout.lines().next(),
        "{}",
        merged.stdout
    );
    if nextest_installed() {
        let nextest = sample.interleave(&["ci", "--runner", "nextest", "--artifact-dir", "nx"]);
        assert_eq!(nextest.code, 1, "{}", nextest.stderr);
        assert!(nextest.stdout.contains(&first[0]), "{}", nextest.stdout);
    }

    // 2. Accept it: the run passes, the finding listed as accepted.
    let out = sample.interleave(&["ci", "baseline", "--from", "ci"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    record("ci baseline", &out);
    let baseline = Baseline::read(&sample.dir.join("interleave-baseline.json")).unwrap();
    assert_eq!(baseline.accepted.len(), 1);
    assert_eq!(
        (
            baseline.accepted[0].check.as_str(),
            &baseline.accepted[0].fingerprint,
            baseline.accepted[0].kind
        ),
        ("tests::transfers_and_deposits", &first[0], Kind::Panic)
    );
    let out = sample.ci(&[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    record("accepted", &out);
    let summary = sample.summary();
    assert_eq!(fingerprints(&summary, "accepted"), first);
    assert!(fingerprints(&summary, "new_findings").is_empty());
    // The check explored its whole budget past the accepted finding.
    assert_eq!(summary["checks"][1]["executions"], 1000);

    // 3. A second bug in the same check: only it is new.
    sample.edit(GOOD_DEPOSIT, BUG_2);
    let out = sample.ci(&[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    record("a second bug", &out);
    let summary = sample.summary();
    let second = fingerprints(&summary, "new_findings");
    assert_eq!(second.len(), 1, "{summary}");
    assert_ne!(second, first);
    assert_eq!(
        summary["new_findings"][0]["headline"],
        "panic in thread `main`: money was lost"
    );
    // The check (seeded by its name) meets bug 2 in execution 11, before any execution meets
    // bug 1, and stops there: bug 1 was not seen, so it is neither listed as accepted nor as
    // fixed.
    assert_eq!(summary["checks"][1]["executions"], 11);
    assert!(fingerprints(&summary, "accepted").is_empty(), "{summary}");
    assert!(fingerprints(&summary, "fixed").is_empty(), "{summary}");

    // 4. Accept it too, then fix the first bug: the first entry is listed as fixed.
    let out = sample.interleave(&[
        "ci",
        "baseline",
        "--from",
        "ci",
        "--reason",
        "tracked in #7",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    sample.edit(BUG_1, FIX_1);
    let out = sample.ci(&[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    record("the first bug fixed", &out);
    let summary = sample.summary();
    assert_eq!(fingerprints(&summary, "fixed"), first);
    assert_eq!(fingerprints(&summary, "accepted"), second);
    assert_eq!(summary["accepted"][0]["reason"], "tracked in #7");
    let cases = junit::validate(&sample.junit()).unwrap_or_else(|e| panic!("{e}"));
    assert!(cases.iter().all(|c| c.failure.is_none()), "{cases:?}");

    // The fix changed the path: the bug's replay diverges (exit 2), and the recheck no longer
    // finds it (exit 0).
    let replay = sample.interleave(&["replay", artifact]);
    assert_eq!(replay.code, 2, "{}", replay.stderr);
    let last = replay.stderr.lines().last().unwrap();
    assert!(last.contains("schedule diverged at step"), "{last}");
    assert!(last.contains("interleave replay --recheck"), "{last}");
    let recheck = sample.interleave(&["replay", "--recheck", artifact]);
    assert_eq!(recheck.code, 0, "{}", recheck.stderr);
    let last = recheck.stderr.lines().last().unwrap();
    assert_eq!(
        last,
        format!(
            "interleave: not found: {} did not show in 1000 executions, pct:3, seed \
             15334284727426098130, a bounded sample of the schedules",
            first[0]
        )
    );

    // 5. The baseline drops the fixed entry.
    let out = sample.interleave(&["ci", "baseline", "--from", "ci"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    record("ci baseline after the fix", &out);
    let baseline = Baseline::read(&sample.dir.join("interleave-baseline.json")).unwrap();
    let kept: Vec<&str> = baseline
        .accepted
        .iter()
        .map(|e| e.fingerprint.as_str())
        .collect();
    assert_eq!(kept, [second[0].as_str()]);

    insta::assert_snapshot!(seen);
    let _ = std::fs::remove_dir_all(&sample.dir);
}
