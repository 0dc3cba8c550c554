//! `interleave ci`: what it refuses before running anything, and `ci merge` and `ci baseline` on
//! artifact directories made here (records as checks write them), so that every verdict is
//! exact. `tests/tests/e2e/ci.rs` runs the whole gate on a real workspace.

use std::path::{Path, PathBuf};

use interleave::{
    Baseline, BaselineEntry, CheckResult, Kind, LedgerFinding, LedgerMode, LedgerRecord, Rerun,
    Target, TargetKind, TestRerun,
};

use crate::{fake_cargo, interleave_with, redact, scratch};

fn finding(fingerprint: &str, kind: Kind, headline: &str) -> LedgerFinding {
    LedgerFinding {
        fingerprint: fingerprint.to_owned(),
        kind,
        headline: headline.to_owned(),
        execution: 3,
        predicted: None,
    }
}

fn record(
    check: &str,
    target: Option<(TargetKind, &str)>,
    result: CheckResult,
    findings: Vec<LedgerFinding>,
    accepted: Vec<LedgerFinding>,
) -> LedgerRecord {
    let artifact = findings
        .last()
        .map(|f| format!("{}-{}.json", check.replace(':', "_"), f.fingerprint));
    LedgerRecord {
        format_version: interleave::LEDGER_FORMAT_VERSION,
        check: check.to_owned(),
        rerun: Rerun::Test(TestRerun {
            package: Some("bank".to_owned()),
            target: target.map(|(kind, name)| Target {
                kind,
                name: name.to_owned(),
            }),
            test: check.to_owned(),
            ..TestRerun::default()
        }),
        ordinal: 1,
        mode: LedgerMode::Explore,
        result,
        strategy: "pct:3".to_owned(),
        max_preemptions: None,
        seed: Some(7),
        budget: 1000,
        executions: if findings.is_empty() { 1000 } else { 3 },
        complete: false,
        message: match result {
            CheckResult::Findings => Some("interleave: the report".to_owned()),
            CheckResult::Error => Some("check `x` reached no scheduling point".to_owned()),
            _ => None,
        },
        replay_command: artifact
            .as_ref()
            .map(|a| format!("INTERLEAVE_REPLAY={a} cargo test")),
        artifact,
        findings,
        accepted,
        step: None,
    }
}

/// An artifact directory as `interleave ci` leaves it: the marker, the records, the run.
fn shard(name: &str, records: &[LedgerRecord], failed_tests: &[&str], status: i32) -> PathBuf {
    let dir = scratch().join(name);
    std::fs::create_dir_all(dir.join("ledger")).unwrap();
    std::fs::write(dir.join(".interleave-ci"), "").unwrap();
    for (i, record) in records.iter().enumerate() {
        let text = serde_json::to_string_pretty(record).unwrap();
        std::fs::write(dir.join("ledger").join(format!("{i}.json")), text).unwrap();
    }
    let run = serde_json::json!({
        "runner": "cargo test",
        "shard": name,
        "status": status,
        "failed_tests": failed_tests,
    });
    std::fs::write(dir.join("run.json"), run.to_string()).unwrap();
    dir
}

fn entry(check: &str, fingerprint: &str, kind: Kind, headline: &str) -> BaselineEntry {
    BaselineEntry {
        check: check.to_owned(),
        fingerprint: fingerprint.to_owned(),
        kind,
        headline: headline.to_owned(),
        reason: "known since #3".to_owned(),
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[cfg(unix)]
#[test]
fn merge_and_baseline_of_two_shards() {
    let cycle = finding(
        "aaaa000000000001",
        Kind::PotentialDeadlock,
        "lock-order cycle between 2 threads",
    );
    let race = finding(
        "bbbb000000000002",
        Kind::DataRace,
        "data race on cell@bank.rs:9:5",
    );
    let old = finding(
        "cccc000000000003",
        Kind::Panic,
        "panic in thread `main`: lost",
    );
    let one = shard(
        "1",
        &[
            record(
                "tests::transfer",
                None,
                CheckResult::Findings,
                vec![race.clone()],
                vec![cycle.clone()],
            ),
            record(
                "audit",
                Some((TargetKind::Test, "audits")),
                CheckResult::Clean,
                vec![],
                vec![],
            ),
        ],
        &["tests::transfer", "tests::plain_assert"],
        101,
    );
    let two = shard(
        "2",
        &[
            record(
                "stalls",
                Some((TargetKind::Bin, "server")),
                CheckResult::Error,
                vec![],
                vec![],
            ),
            record(
                "tests::deposit",
                Some((TargetKind::Lib, "bank")),
                CheckResult::Clean,
                vec![],
                vec![],
            ),
        ],
        &["stalls"],
        101,
    );
    let baseline = scratch().join("ci-baseline.json");
    Baseline {
        accepted: vec![
            entry(
                "tests::transfer",
                &cycle.fingerprint,
                cycle.kind,
                &cycle.headline,
            ),
            // Its check ran clean without it: fixed.
            entry("tests::deposit", &old.fingerprint, old.kind, &old.headline),
            // Its check did not run: kept.
            entry("elsewhere", "dddd000000000004", Kind::Deadlock, "deadlock"),
        ],
        ..Baseline::default()
    }
    .write(&baseline)
    .unwrap();
    let junit = scratch().join("ci-junit.xml");
    let summary = scratch().join("ci-summary.json");
    let merged = interleave_with(
        &[
            "ci",
            "merge",
            path(&one),
            path(&two),
            "--baseline",
            path(&baseline),
            "--junit",
            path(&junit),
            "--summary",
            path(&summary),
        ],
        &[],
    );
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    assert_eq!(merged.stderr, "");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(summary["passed"], false);
    assert_eq!(summary["fixed"][0]["fingerprint"], old.fingerprint);
    assert_eq!(summary["fixed"].as_array().unwrap().len(), 1);
    assert_eq!(
        summary["other_failures"],
        serde_json::json!(["tests::plain_assert"])
    );
    let out = interleave_with(
        &[
            "ci",
            "baseline",
            "--from",
            path(&one),
            "--from",
            path(&two),
            "--baseline",
            path(&baseline),
            "--reason",
            "the race is benign: #9",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let written = Baseline::read(&baseline).unwrap();
    let kept: Vec<(&str, &str, &str)> = written
        .accepted
        .iter()
        .map(|e| (e.check.as_str(), e.fingerprint.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        kept,
        [
            ("elsewhere", "dddd000000000004", "known since #3"),
            ("tests::transfer", "aaaa000000000001", "known since #3"),
            (
                "tests::transfer",
                "bbbb000000000002",
                "the race is benign: #9"
            ),
        ]
    );
    // Sorted and one field a line: a reviewable diff.
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert_eq!(text.lines().filter(|l| l.contains("\"check\"")).count(), 3);
    insta::assert_snapshot!(redact::redact(
        &format!(
            "── merge: exit {}\n{}── junit\n{}\n── ci baseline\n{}── {}\n{text}",
            merged.code,
            merged.stdout,
            std::fs::read_to_string(&junit).unwrap(),
            out.stdout,
            "interleave-baseline.json"
        ),
        &[]
    ));
}

#[cfg(unix)]
#[test]
fn what_ci_refuses_before_running_anything() {
    let ran = scratch().join("ci-cargo-ran");
    let cargo = fake_cargo(
        "ci-cargo",
        &format!(
            "echo \"$*\" >> '{}'\n[ \"$1\" = nextest ] && exit 101\nexit 0\n",
            ran.display()
        ),
    );
    let cargo = path(&cargo);
    let not_ci = scratch().join("ci-not-mine");
    std::fs::create_dir_all(&not_ci).unwrap();
    std::fs::write(not_ci.join("precious.txt"), "keep me").unwrap();
    let fresh = scratch().join("ci-fresh");
    let mut lines = String::new();
    for (case, args) in [
        (
            "a directory it did not make",
            vec!["ci", "--artifact-dir", path(&not_ci)],
        ),
        (
            "a missing baseline",
            vec!["ci", "--baseline", "missing.json"],
        ),
        (
            "merge of a directory it did not make",
            vec!["ci", "merge", path(&not_ci)],
        ),
        (
            "nextest not installed",
            vec!["ci", "--runner", "nextest", "--artifact-dir", path(&fresh)],
        ),
    ] {
        let out = interleave_with(&args, &[("CARGO", cargo)]);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (2, ""),
            "{case}: {}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{case}: {}", out.stderr);
        lines.push_str(&format!("{case}: {}", out.stderr));
    }
    assert_eq!(
        std::fs::read_to_string(not_ci.join("precious.txt")).unwrap(),
        "keep me"
    );
    // Only the probe for nextest ran.
    assert_eq!(
        std::fs::read_to_string(&ran).unwrap(),
        "nextest --version\n"
    );
    insta::assert_snapshot!(redact::redact(&lines, &[]));
}
