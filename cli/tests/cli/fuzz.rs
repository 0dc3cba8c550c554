//! The binary against a sample of mutants of real artifacts and traces (the in-process fuzz
//! test in `src/fuzz.rs` runs thousands): every subcommand exits with 0, 1 or 2, within a time
//! limit and a memory cap, never by a signal; an error is one line; nothing read from the file
//! reaches the terminal raw; a page is well-formed; and cargo, when a test artifact is replayed,
//! is given only a package and a test path.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use interleave::{Artifact, Rerun, TestRerun};

use crate::mutate::Mutator;
use crate::{ab_ba, bounded, html_check, scratch};

/// Fixed: a failure names the mutant, which this seed gives again.
const SEED: u64 = 0xb1_0a7e;
const ARTIFACT_MUTANTS: usize = 48;
const TRACE_MUTANTS: usize = 24;
const TIMEOUT: Duration = Duration::from_secs(30);

/// A stand-in for cargo that records its arguments and fails the test it is given.
fn failing_cargo(log: &Path) -> PathBuf {
    crate::fake_cargo(
        "fuzz-cargo",
        &format!(
            "echo \"$*\" >> '{}'\nwhile [ \"$1\" != -- ]; do shift; done\n\
             echo \"test $2 ... FAILED\"\nexit 101\n",
            log.display()
        ),
    )
}

/// Real artifacts: the AB-BA one, the same as a test's, and a data race with no cycle.
fn seeds() -> Vec<String> {
    let bug = &ab_ba().artifact;
    let mut test = Artifact::read(bug).unwrap();
    test.rerun = Rerun::Test(TestRerun {
        package: Some("bank".to_owned()),
        test: "bank::tests::transfer".to_owned(),
        ..TestRerun::default()
    });
    let scenario = interleave_scenarios::find("atomicity/relaxed-publication").unwrap();
    let config = scenario
        .config()
        .env_overrides(false)
        .artifact_dir(scratch().join("fuzz-seeds"));
    let race = scenario
        .try_run_with(config)
        .unwrap()
        .report
        .artifact
        .unwrap();
    vec![
        std::fs::read_to_string(bug).unwrap(),
        serde_json::to_string_pretty(&test).unwrap(),
        std::fs::read_to_string(race).unwrap(),
    ]
}

/// Whether `text` holds a control character other than a newline, or a bidirectional control.
fn has_raw_controls(text: &str) -> bool {
    text.chars()
        .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c))
}

#[test]
fn the_binary_on_mutants_exits_0_1_or_2_in_bounded_time_and_memory() {
    let log = scratch().join("fuzz-cargo-ran");
    let cargo = failing_cargo(&log);
    let cargo = cargo.to_str().unwrap();
    let mut mutator = Mutator::new(SEED);
    let mut codes = [0; 3];
    for (s, seed) in seeds().iter().enumerate() {
        for i in 0..ARTIFACT_MUTANTS {
            let (bytes, mutations) = mutator.mutant(seed);
            let path = scratch().join(format!("fuzz-{s}-{i}.json"));
            std::fs::write(&path, bytes).unwrap();
            let path = path.to_str().unwrap();
            let what = format!("seed {SEED:#x}, artifact {s}, mutant {i} ({path}): {mutations:?}");
            for args in [
                &["explain", path][..],
                &["explain", "--format", "json", path],
                &["explain", "--format", "html", path],
                &["graph", path],
                &["graph", "--format", "svg", path],
                &["replay", path],
            ] {
                let out = bounded(&what, args, &[("CARGO", cargo)], TIMEOUT);
                let code = usize::try_from(out.code).unwrap();
                codes[code] += 1;
                let ran = format!("{what}: `interleave {}`", args.join(" "));
                assert!(!has_raw_controls(&out.stdout), "{ran}: {:?}", out.stdout);
                assert!(!has_raw_controls(&out.stderr), "{ran}: {:?}", out.stderr);
                if code == 2 {
                    // A test's replay streams the stand-in cargo's output, which leaves no
                    // record of a replayed check: exit 2.
                    let cargo_output = out.stdout.is_empty()
                        || out.stdout == "test bank::tests::transfer ... FAILED\n";
                    assert!(cargo_output, "{ran}: {:?}", out.stdout);
                    let lines: Vec<&str> = out.stderr.lines().collect();
                    // A test's replay prints the cargo command it runs first.
                    let error = lines.last().copied().unwrap_or_default();
                    assert!(error.starts_with("error: "), "{ran}: {}", out.stderr);
                    assert!(lines.len() <= 2, "{ran}: {}", out.stderr);
                } else if args[1..].starts_with(&["--format", "json"]) {
                    serde_json::from_str::<serde_json::Value>(&out.stdout)
                        .unwrap_or_else(|e| panic!("{ran}: {e}"));
                } else if args[1..].starts_with(&["--format"]) {
                    html_check::check(&out.stdout).unwrap_or_else(|e| panic!("{ran}: {e}"));
                }
            }
        }
        let artifact: Artifact = serde_json::from_str(seed).unwrap();
        let trace = interleave_detector::Trace {
            format_version: interleave_detector::TRACE_FORMAT_VERSION,
            executions: vec![interleave_detector::ExecutionTrace {
                execution: artifact.execution,
                events: artifact.trace,
            }],
        };
        for i in 0..TRACE_MUTANTS {
            let (bytes, mutations) = mutator.mutant(&trace.to_json());
            let path = scratch().join(format!("fuzz-trace-{s}-{i}.json"));
            std::fs::write(&path, bytes).unwrap();
            let what = format!("seed {SEED:#x}, trace {s}, mutant {i}: {mutations:?}");
            let out = bounded(&what, &["analyze", path.to_str().unwrap()], &[], TIMEOUT);
            codes[usize::try_from(out.code).unwrap()] += 1;
            assert!(!has_raw_controls(&out.stdout), "{what}: {:?}", out.stdout);
            if out.code == 2 {
                assert_eq!(out.stderr.lines().count(), 1, "{what}: {}", out.stderr);
            }
        }
    }
    println!("exit 0/1/2: {codes:?}");
    assert!(codes.iter().all(|&n| n > 0), "{codes:?}");
    // Cargo, when it ran, got a package name and a test path after `--`, nothing else.
    for line in std::fs::read_to_string(&log).unwrap_or_default().lines() {
        let words: Vec<&str> = line.split(' ').collect();
        let test = match words[..] {
            ["test", "-p", package, "--", test, "--exact", "--include-ignored"] => {
                assert!(
                    package
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
                        && !package.starts_with('-'),
                    "{line}"
                );
                test
            }
            ["test", "--", test, "--exact", "--include-ignored"] => test,
            _ => panic!("cargo was run as `cargo {line}`"),
        };
        assert!(
            test.split("::")
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')),
            "{line}"
        );
    }
}
