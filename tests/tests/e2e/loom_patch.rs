//! `compat/loom-patch` end to end: the sample workspace `tests/loom-patch-sample` (a crate whose
//! loom tests exercise a dependency that uses loom itself) patches `loom` with one line, as
//! `docs/loom.md` tells a user to, and its tests run under interleave — the dependency's atomics
//! too, or the lost update in it would be a loom error, not interleave's finding.
//!
//! The sample builds with `--locked` (its `Cargo.lock`, committed, has the patched loom
//! 0.7.99) into this workspace's target directory, so that its dependencies are the ones
//! already built. Its test gated on `--cfg sample_loom` is built with that flag, in a target
//! directory of its own (other flags rebuild everything), and the replay command its failure
//! prints is run as printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ci::{cargo, target_and_profile, with_profile};

/// The sample, copied to `name` in this test binary's scratch directory, its patch pointing
/// at `compat/loom-patch`.
fn copy_sample(name: &str) -> PathBuf {
    let files = [
        "Cargo.lock",
        "src/lib.rs",
        "tests/counter.rs",
        "tests/gated.rs",
        "counter/Cargo.toml",
        "counter/src/lib.rs",
    ];
    crate::ci::copy_sample("loom-patch-sample", name, &files, "compat/loom-patch")
}

/// `cargo test --locked <args>` in the sample, into `target`, built as this test was
/// (`profile`), with no `INTERLEAVE_*`, `LOOM_*` or `RUSTFLAGS` variable of ours.
fn sample_command(dir: &Path, target: &Path, profile: &str, args: &[&str]) -> Command {
    let mut command = Command::new(cargo());
    command
        .args(["test", "--locked"])
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS");
    for (name, _) in std::env::vars() {
        if name.starts_with("INTERLEAVE_") || name.starts_with("LOOM_") {
            command.env_remove(name);
        }
    }
    with_profile(&mut command, profile);
    command
}

#[test]
fn one_patch_line_puts_a_crate_s_loom_tests_and_its_dependencies_under_interleave() {
    let dir = copy_sample("loom-patch-sample");
    let artifacts = dir.join("artifacts");
    let (target, profile) = target_and_profile();
    let output = sample_command(&dir, &target, &profile, &["--test", "counter"])
        .env("INTERLEAVE_ARTIFACT_DIR", &artifacts)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(101), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("was not used in the crate graph"),
        "the patch is used: {stderr}"
    );
    assert!(
        stdout.contains("test fetch_add_counts_both ... ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test load_then_store_loses_one ... FAILED"),
        "{stdout}"
    );
    // interleave's report, from the scenario's two `add_racy` calls in the dependency: the
    // first schedule runs each thread's load and store in turn; the second, which DPOR derives
    // from the race of one thread's load with the other's store, loses one.
    assert!(
        stdout.contains(
            "interleave: `load_then_store_loses_one` found 1 problem in execution 2 \
             (exhaustive, seed 12749274544821282441): panic in thread `main`: assertion \
             `left == right` failed"
        ),
        "{stdout}"
    );
    let records = interleave::LedgerRecord::read_dir(&artifacts).unwrap();
    let checks: Vec<(&str, interleave::CheckResult)> = records
        .iter()
        .map(|r| (r.check.as_str(), r.result))
        .collect();
    // `fetch_add_counts_both` twice: loom's `model` explores, then samples (docs/loom.md).
    assert_eq!(
        checks,
        [
            ("fetch_add_counts_both", interleave::CheckResult::Clean),
            ("fetch_add_counts_both", interleave::CheckResult::Clean),
            (
                "load_then_store_loses_one",
                interleave::CheckResult::Findings
            ),
        ],
        "{records:#?}"
    );
}

#[test]
fn a_failure_of_a_test_gated_on_a_cfg_of_its_own_replays_with_the_command_it_prints() {
    // Before: the replay command named no cfg but `loom`, so for a suite gated on a name of
    // its own (`oneshot`'s `--cfg oneshot_loom`) it built the tests without it and ran none.
    let dir = copy_sample("loom-patch-sample-cfg");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("loom-patch-cfg-target");
    let (_, profile) = target_and_profile();
    let artifacts = dir.join("artifacts");
    let output = sample_command(&dir, &target, &profile, &["--test", "gated"])
        .env("RUSTFLAGS", "--cfg sample_loom")
        .env("INTERLEAVE_ARTIFACT_DIR", &artifacts)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(101), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("test gated_load_then_store_loses_one ... FAILED"),
        "{stdout}"
    );
    let replay = stdout
        .lines()
        .find_map(|l| l.strip_prefix("replay: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let artifact = std::fs::read_dir(&artifacts)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let expected = format!(
        "RUSTFLAGS=\"--cfg sample_loom\" INTERLEAVE_REPLAY={} cargo test -p loom-patch-sample \
         --test gated -- gated_load_then_store_loses_one --exact",
        artifact.display()
    );
    assert_eq!(replay, expected);
    // As printed, in a shell (with this test's target directory; the command names the
    // profile when it is not `dev`).
    let mut command = Command::new("sh");
    command
        .args(["-c", replay])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS");
    for (name, _) in std::env::vars() {
        if name.starts_with("INTERLEAVE_") || name.starts_with("LOOM_") {
            command.env_remove(name);
        }
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(101), "{stdout}");
    assert!(
        stdout.contains("test gated_load_then_store_loses_one ... FAILED"),
        "the replay ran the test: {stdout}"
    );
}
