//! `replay`, `explain`, `graph` and `analyze` on the artifact `run` wrote for `lock-order/ab-ba`.

use std::collections::BTreeSet;

use interleave::{
    Artifact, CheckResult, LedgerFinding, LedgerMode, LedgerRecord, Rerun, Target, TargetKind,
    TestRerun,
};
use interleave_detector::Detail;

use crate::{ab_ba, fake_cargo, html_check, interleave, interleave_with, scratch_file};

/// The artifact, edited by `edit`, written to `name`.
pub(crate) fn edited(name: &str, edit: impl FnOnce(&mut Artifact)) -> String {
    let mut artifact = Artifact::read(&ab_ba().artifact).unwrap();
    edit(&mut artifact);
    let text = serde_json::to_string_pretty(&artifact).unwrap();
    scratch_file(name, &text).to_str().unwrap().to_owned()
}

/// Every lock-order cycle edge of the artifact, as (held, requested) labels.
fn cycle_edges(artifact: &Artifact) -> Vec<(String, String)> {
    let mut edges = Vec::new();
    for finding in &artifact.findings {
        if let Detail::LockCycle { edges: cycle, .. } = &finding.detail {
            for edge in cycle {
                edges.push((
                    finding.objects[edge.held].label(),
                    finding.objects[edge.requested].label(),
                ));
            }
        }
    }
    edges
}

#[test]
fn replay_reproduces_the_finding() {
    let ab_ba = ab_ba();
    let out = interleave(&["replay", ab_ba.path()]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    insta::assert_snapshot!(ab_ba.redact(&out.stdout));
}

#[test]
fn replaying_the_bug_on_its_fixed_twin_diverges_where_the_fix_changed_the_path() {
    // The fix takes the locks in the other order: the bug's schedule still fits the threads,
    // but the program does something else at the step where the fix differs. Replay says so
    // (exit 2) rather than calling the bug "not reproduced" on a program that did not run
    // that interleaving.
    let path = edited("on-the-twin.json", |a| {
        a.rerun = Rerun::Scenario {
            name: "lock-order/ab-ba-fixed".to_owned(),
        };
    });
    let out = interleave(&["replay", &path]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(
        lines[0].contains("schedule diverged at step")
            && lines[0].contains("the program took another path than when it was recorded"),
        "{}",
        lines[0]
    );
}

#[test]
fn explain_as_text() {
    let ab_ba = ab_ba();
    let out = interleave(&["explain", ab_ba.path()]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    insta::assert_snapshot!(ab_ba.redact(&out.stdout));
}

#[test]
fn explain_as_json() {
    let ab_ba = ab_ba();
    let out = interleave(&["explain", "--format", "json", ab_ba.path()]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let document: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let artifact = Artifact::read(&ab_ba.artifact).unwrap();
    let rows = document["timeline"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), artifact.trace.len());
    let edges = document["cycles"][0]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    for edge in edges {
        let step = edge["step"].as_u64().unwrap();
        let row = rows.iter().find(|r| r["step"] == step).unwrap();
        assert!(row["marks"][0].as_str().unwrap().starts_with("cycle edge"));
        assert_eq!(row["held"].as_array().unwrap().len(), 1, "{row}");
    }
    insta::assert_snapshot!(ab_ba.redact(&out.stdout));
}

#[test]
fn explain_as_html_is_one_well_formed_page_to_look_at() {
    let ab_ba = ab_ba();
    let out = interleave(&["explain", "--format", "html", ab_ba.path()]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let html = &out.stdout;
    let elements = html_check::check(html).unwrap_or_else(|e| panic!("{e}\n{html}"));
    assert_eq!(elements[0], "html");
    // Self-contained: no script, nothing fetched.
    for outside in ["<script", "src=", "href=", "@import", "url(http"] {
        assert!(!html.contains(outside), "{outside}");
    }
    assert_eq!(html.matches("http").count(), 1, "only the SVG namespace");
    // One lane per thread of the trace.
    let artifact = Artifact::read(&ab_ba.artifact).unwrap();
    let threads: BTreeSet<u32> = artifact.trace.iter().map(|e| e.thread.0).collect();
    assert_eq!(html.matches("<th class=\"lane\"").count(), threads.len());
    for thread in &threads {
        assert!(html.contains(&format!("<th class=\"lane\" data-thread=\"{thread}\">")));
    }
    assert_eq!(
        html.matches("<td class=\"lane\">").count(),
        threads.len() * artifact.trace.len()
    );
    // Every edge of the cycle, highlighted, in the SVG graph; the findings on top.
    let edges = cycle_edges(&artifact);
    assert_eq!(edges.len(), 2);
    for (from, to) in &edges {
        let edge = format!("<g class=\"edge cycle\" data-from=\"{from}\" data-to=\"{to}\">");
        assert!(html.contains(&edge), "{edge}");
    }
    let findings = html.find("id=\"findings\"").unwrap();
    assert!(findings < html.find("<svg").unwrap());
    assert!(findings < html.find("id=\"timeline\"").unwrap());
    assert!(html.contains(&artifact.findings[0].headline));
}

#[test]
fn graph_as_dot_and_svg() {
    let ab_ba = ab_ba();
    let dot = interleave(&["graph", ab_ba.path()]);
    assert_eq!((dot.code, dot.stderr.as_str()), (0, ""));
    insta::assert_snapshot!("graph_dot", ab_ba.redact(&dot.stdout));
    let svg = interleave(&["graph", "--format", "svg", ab_ba.path()]);
    assert_eq!((svg.code, svg.stderr.as_str()), (0, ""));
    let elements = html_check::check(&svg.stdout).unwrap();
    assert_eq!(elements[0], "svg");
    let artifact = Artifact::read(&ab_ba.artifact).unwrap();
    for (from, to) in cycle_edges(&artifact) {
        let edge = format!("<g class=\"edge cycle\" data-from=\"{from}\" data-to=\"{to}\">");
        assert!(svg.stdout.contains(&edge), "{edge}");
    }
    insta::assert_snapshot!("graph_svg", ab_ba.redact(&svg.stdout));
}

/// The record a replayed (or rechecked) check of the AB-BA artifact leaves, written to a file.
fn record(
    name: &str,
    mode: LedgerMode,
    result: CheckResult,
    fingerprints: &[&str],
    step: Option<u64>,
) -> String {
    let artifact = Artifact::read(&ab_ba().artifact).unwrap();
    let finding = |fingerprint: &&str| LedgerFinding {
        fingerprint: (*fingerprint).to_owned(),
        kind: interleave::Kind::PotentialDeadlock,
        headline: "lock-order cycle between 2 threads".to_owned(),
        execution: 1,
        predicted: None,
    };
    let record = LedgerRecord {
        format_version: interleave::LEDGER_FORMAT_VERSION,
        check: artifact.check.clone(),
        rerun: artifact.rerun.clone(),
        ordinal: 1,
        mode,
        result,
        strategy: artifact.strategy.clone(),
        max_preemptions: artifact.max_preemptions,
        seed: Some(artifact.seed),
        budget: 1000,
        executions: if mode == LedgerMode::Replay { 1 } else { 1000 },
        complete: false,
        findings: fingerprints.iter().map(finding).collect(),
        accepted: Vec::new(),
        artifact: None,
        replay_command: None,
        step,
        message: match result {
            CheckResult::Diverged => Some(format!(
                "schedule diverged at step {}: the schedule runs thread 2, but the runnable \
                 threads are [0]",
                step.unwrap()
            )),
            CheckResult::Error => Some("check `x` reached no scheduling point for 10s".to_owned()),
            _ => None,
        },
    };
    let text = serde_json::to_string_pretty(&record).unwrap();
    scratch_file(name, &text).to_str().unwrap().to_owned()
}

#[cfg(unix)]
#[test]
fn a_recheck_that_finds_something_keeps_its_artifact_beside_the_rechecked_one() {
    // A stand-in for cargo that says where it was asked to write, and leaves there the record
    // of a recheck that still finds the cycle and the artifact that record names.
    let cargo = fake_cargo(
        "keeping-cargo",
        "echo \"scratch=$INTERLEAVE_ARTIFACT_DIR\"\necho 'running 1 test'\n\
         echo 'test bank::tests::transfer ... FAILED'\n\
         mkdir -p \"$INTERLEAVE_ARTIFACT_DIR/ledger\" && \
         cp \"$FAKE_RECORD\" \"$INTERLEAVE_ARTIFACT_DIR/ledger/r.json\" && \
         cp \"$FAKE_ARTIFACT\" \"$INTERLEAVE_ARTIFACT_DIR/$FAKE_NAME\"\nexit 101\n",
    );
    let cargo = cargo.to_str().unwrap();
    let dir = crate::scratch().join("recheck-keeps");
    std::fs::create_dir_all(&dir).unwrap();
    let original = dir.join("bank-0123456789abcdef.json");
    let test_rerun = Rerun::Test(TestRerun {
        package: Some("bank".to_owned()),
        test: "bank::tests::transfer".to_owned(),
        workdir: Some(".".to_owned()),
        ..TestRerun::default()
    });
    let edit = |a: &mut Artifact| a.rerun = test_rerun.clone();
    std::fs::copy(edited("keep-original.json", edit), &original).unwrap();
    let original_bytes = std::fs::read(&original).unwrap();
    // What the recheck writes: the same artifact, or one whose trace differs.
    let same = original.to_str().unwrap().to_owned();
    let different = edited("keep-different.json", |a| {
        edit(a);
        a.seed ^= 1;
    });
    let fingerprint = ab_ba().fingerprint.clone();
    let record_naming = |name: &str| {
        let path = record(
            &format!("keep-record-{name}"),
            LedgerMode::Explore,
            CheckResult::Findings,
            &[fingerprint.as_str()],
            None,
        );
        let mut value: LedgerRecord =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        value.artifact = Some(name.to_owned());
        std::fs::write(&path, serde_json::to_string(&value).unwrap()).unwrap();
        path
    };
    let recheck = |written: &str, name: &str| {
        let record = record_naming(name);
        let out = interleave_with(
            &["replay", "--recheck", original.to_str().unwrap()],
            &[
                ("CARGO", cargo),
                ("FAKE_RECORD", &record),
                ("FAKE_ARTIFACT", written),
                ("FAKE_NAME", name),
            ],
        );
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        let scratch = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("scratch="))
            .unwrap()
            .to_owned();
        assert!(
            !std::path::Path::new(&scratch).exists(),
            "the scratch directory {scratch} is removed"
        );
        let kept = out
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("interleave: its artifact: "))
            .unwrap_or_else(|| panic!("{}", out.stderr))
            .to_owned();
        std::path::PathBuf::from(kept)
    };
    // A name no file has: it keeps it.
    let kept = recheck(&different, "bank-fedcba9876543210.json");
    assert_eq!(kept, dir.join("bank-fedcba9876543210.json"));
    assert_eq!(
        std::fs::read(&kept).unwrap(),
        std::fs::read(&different).unwrap()
    );
    // The rechecked artifact's own name and bytes: it is that file.
    let kept = recheck(&same, "bank-0123456789abcdef.json");
    assert_eq!(kept, original);
    // Its name with other bytes: the original stays as it was, the new one is beside it.
    let kept = recheck(&different, "bank-0123456789abcdef.json");
    assert_eq!(kept, dir.join("bank-0123456789abcdef-recheck.json"));
    let again = edited("keep-different-2.json", |a| {
        edit(a);
        a.seed ^= 2;
    });
    let kept = recheck(&again, "bank-0123456789abcdef.json");
    assert_eq!(kept, dir.join("bank-0123456789abcdef-recheck-2.json"));
    assert_eq!(std::fs::read(&original).unwrap(), original_bytes);
}

#[cfg(unix)]
#[test]
fn replay_of_a_test_artifact_reruns_the_test_through_cargo_and_reads_the_check_s_record() {
    // A stand-in for cargo that shows what it was asked, answers as libtest would, and leaves
    // the record the check would leave in the artifact directory it is given.
    let cargo = fake_cargo(
        "verdict-cargo",
        "echo \"cargo $*\"\necho \"INTERLEAVE_REPLAY=$INTERLEAVE_REPLAY\"\necho 'running 1 test'\n\
         [ -n \"$FAKE_RESULT\" ] && echo \"test bank::tests::transfer ... $FAKE_RESULT\"\n\
         if [ -n \"$FAKE_RECORD\" ]; then mkdir -p \"$INTERLEAVE_ARTIFACT_DIR/ledger\" && \
         cp \"$FAKE_RECORD\" \"$INTERLEAVE_ARTIFACT_DIR/ledger/r.json\"; fi\n\
         exit \"$FAKE_STATUS\"\n",
    );
    let path = edited("test-artifact.json", |a| {
        a.rerun = Rerun::Test(TestRerun {
            package: Some("bank".to_owned()),
            target: Some(Target {
                kind: TargetKind::Test,
                name: "transfers".to_owned(),
            }),
            test: "bank::tests::transfer".to_owned(),
            features: vec!["audit".to_owned()],
            ignored: Some(false),
            workdir: Some(".".to_owned()),
            ..TestRerun::default()
        });
    });
    let ab_ba = ab_ba();
    let fingerprint = ab_ba.fingerprint.as_str();
    let (replay, explore) = (LedgerMode::Replay, LedgerMode::Explore);
    let cases = [
        (
            "reproduced",
            &[][..],
            "FAILED",
            "101",
            Some(record(
                "r1.json",
                replay,
                CheckResult::Findings,
                &[fingerprint],
                None,
            )),
            1,
        ),
        (
            "reproduced with differences",
            &[],
            "FAILED",
            "101",
            Some(record(
                "r2.json",
                replay,
                CheckResult::Findings,
                &["0123456789abcdef"],
                None,
            )),
            1,
        ),
        (
            "did not reproduce",
            &[],
            "ok",
            "0",
            Some(record("r3.json", replay, CheckResult::Clean, &[], None)),
            0,
        ),
        (
            "diverged",
            &[],
            "FAILED",
            "101",
            Some(record(
                "r4.json",
                replay,
                CheckResult::Diverged,
                &[],
                Some(20),
            )),
            2,
        ),
        (
            "the check failed",
            &[],
            "FAILED",
            "101",
            Some(record("r5.json", replay, CheckResult::Error, &[], None)),
            2,
        ),
        (
            "clean, but the test failed otherwise",
            &[],
            "FAILED",
            "101",
            Some(record("r6.json", replay, CheckResult::Clean, &[], None)),
            2,
        ),
        // An unrelated failing test of that name (in another target): no record of the check.
        ("no check replayed", &[], "FAILED", "101", None, 2),
        ("the test did not run", &[], "", "101", None, 2),
        (
            "recheck: still found",
            &["--recheck"],
            "FAILED",
            "101",
            Some(record(
                "r7.json",
                explore,
                CheckResult::Findings,
                &[fingerprint],
                None,
            )),
            1,
        ),
        (
            "recheck: fixed",
            &["--recheck"],
            "ok",
            "0",
            Some(record("r8.json", explore, CheckResult::Clean, &[], None)),
            0,
        ),
        (
            "recheck: a replay's record is not a recheck's",
            &["--recheck"],
            "ok",
            "0",
            Some(record("r9.json", replay, CheckResult::Clean, &[], None)),
            2,
        ),
    ];
    let cargo = cargo.to_str().unwrap();
    let mut seen = Vec::new();
    for (case, flags, result, status, record, code) in cases {
        let mut args = vec!["replay"];
        args.extend(flags);
        args.push(&path);
        let record = record.unwrap_or_default();
        let out = interleave_with(
            &args,
            &[
                ("CARGO", cargo),
                ("FAKE_RESULT", result),
                ("FAKE_STATUS", status),
                ("FAKE_RECORD", &record),
            ],
        );
        assert_eq!(out.code, code, "{case}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.lines().count() <= 3,
            "{case}: one line for the command, one for the verdict: {}",
            out.stderr
        );
        seen.push(format!(
            "── {case}: {result:?}, exit {status} → {code}\n{}{}",
            out.stdout, out.stderr
        ));
    }
    insta::assert_snapshot!(ab_ba.redact(&seen.concat()));
}

#[cfg(unix)]
#[test]
fn a_recheck_explores_under_the_preemption_bound_the_check_had() {
    // A check bounded to 2 preemptions found the bug; running it again without the bound could
    // call it fixed when only the bounded search reaches the bug within the budget.
    let cargo = fake_cargo(
        "bound-cargo",
        "echo \"bound=$INTERLEAVE_MAX_PREEMPTIONS strategy=$INTERLEAVE_STRATEGY\"\n\
         echo 'running 1 test'\necho 'test bank::tests::transfer ... ok'\nexit 0\n",
    );
    let artifact = |name: &str, bound: Option<u32>| {
        edited(name, |a| {
            a.rerun = Rerun::Test(TestRerun {
                package: Some("bank".to_owned()),
                test: "bank::tests::transfer".to_owned(),
                workdir: Some(".".to_owned()),
                ..TestRerun::default()
            });
            a.strategy = "exhaustive".to_owned();
            a.max_preemptions = bound;
        })
    };
    let cargo = cargo.to_str().unwrap();
    let bounded = artifact("bounded-artifact.json", Some(2));
    let out = interleave_with(&["replay", "--recheck", &bounded], &[("CARGO", cargo)]);
    assert!(
        out.stdout.contains("bound=2 strategy=exhaustive"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stderr
            .contains("INTERLEAVE_STRATEGY=exhaustive INTERLEAVE_SEED=")
            && out
                .stderr
                .contains(" INTERLEAVE_MAX_PREEMPTIONS=2 cargo test -p bank"),
        "{}",
        out.stderr
    );
    // An artifact with no bound sets none, and a bound in the shell's environment is not the
    // check's: the test runs without it.
    let unbounded = artifact("unbounded-artifact.json", None);
    let out = interleave_with(
        &["replay", "--recheck", &unbounded],
        &[("CARGO", cargo), ("INTERLEAVE_MAX_PREEMPTIONS", "5")],
    );
    assert!(
        out.stdout.contains("bound= strategy=exhaustive"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(!out.stderr.contains("MAX_PREEMPTIONS"), "{}", out.stderr);
}

#[test]
fn analyze_a_trace_file() {
    let artifact = Artifact::read(&ab_ba().artifact).unwrap();
    let trace = |events: &[interleave_detector::Event]| {
        let trace = interleave_detector::Trace {
            format_version: interleave_detector::TRACE_FORMAT_VERSION,
            executions: vec![interleave_detector::ExecutionTrace {
                execution: 1,
                events: events.to_vec(),
            }],
        };
        trace.to_json()
    };
    let bug = scratch_file("ab-ba-trace.json", &trace(&artifact.trace));
    let out = interleave(&["analyze", bug.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{}", artifact.findings[0]));
    // The artifact itself: its failing execution's events, analysed again.
    let out = interleave(&["analyze", ab_ba().path()]);
    assert_eq!((out.code, out.stderr.as_str()), (1, ""));
    assert_eq!(out.stdout, format!("{}", artifact.findings[0]));
    // The events before `audit` is spawned: one lock order only.
    let cut = artifact
        .trace
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.kind, interleave_detector::EventKind::Spawn { .. }))
        .nth(1)
        .map(|(i, _)| i)
        .unwrap();
    let clean = scratch_file("transfer-trace.json", &trace(&artifact.trace[..cut]));
    let out = interleave(&["analyze", clean.to_str().unwrap()]);
    assert_eq!(
        (out.code, out.stdout),
        (
            0,
            format!("clean: 1 execution, {cut} events, no findings\n")
        )
    );
}

#[test]
fn a_livelock_timeline_folds_what_repeats_and_says_where_each_thread_ended_up() {
    // Before: 25,742 lines of text and a 5.9 MB page, almost all of it the same 18 steps.
    let dir = crate::scratch().join("livelock");
    let dir = dir.to_str().unwrap();
    let run = interleave(&["run", "livelock/dueling-proposers", "--artifact-dir", dir]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let artifact = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("the livelock's artifact");
    let artifact = artifact.to_str().unwrap();
    let text = interleave(&["explain", artifact]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.lines().count() < 100, "{}", text.stdout);
    assert!(
        text.stdout.contains(
            "failing   execution 2, 25721 steps, schedule 0x3.2x3.1x7.0.(2x7.1x7)×1427.2x7.1x4\n"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(
            "    ⋮  × 1,426 more: the 18 steps above, again and again (steps 38–25,705)\n"
        ),
        "{}",
        text.stdout
    );
    let endings: Vec<&str> = text
        .stdout
        .lines()
        .skip_while(|l| *l != "where each thread ended up:")
        .collect();
    let endings = endings.join("\n");
    assert!(
        endings.contains("  proposer-1  step limit (20000) reached (step 25,721), last in unlock A at scenarios/src/catalog/livelock.rs:"),
        "{endings}"
    );
    let html = interleave(&["explain", "--format", "html", artifact]);
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(html.stdout.len() < 200_000, "{} bytes", html.stdout.len());
    crate::html_check::check(&html.stdout).expect("well-formed HTML");
}

#[test]
fn one_format_flag_and_an_output_file_everywhere() {
    let ab_ba = ab_ba();
    // `--format json` where `--json` was, and the old flag still works.
    for args in [
        &["list", "--format", "json"][..],
        &["analyze", "--format", "json", ab_ba.path()],
    ] {
        let out = interleave(args);
        serde_json::from_str::<serde_json::Value>(&out.stdout).expect("JSON");
        let mut old: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| *a != "--format" && *a != "json")
            .collect();
        old.push("--json");
        assert_eq!(interleave(&old).stdout, out.stdout, "{old:?}");
    }
    // `-o FILE`: the same bytes, in the file; nothing on standard output.
    let file = crate::scratch().join("explained.txt");
    let out = interleave(&["explain", ab_ba.path(), "-o", file.to_str().unwrap()]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        interleave(&["explain", ab_ba.path()]).stdout
    );
    let out = interleave(&["list", "-o", "/nonexistent/dir/list.txt"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "error: write output to /nonexistent/dir/list.txt: No such file or directory (os error 2)\n"
        )
    );
}

#[test]
fn a_notification_is_linked_to_the_thread_it_woke() {
    let dir = crate::scratch().join("notify");
    let dir = dir.to_str().unwrap();
    let run = interleave(&["run", "condvar/notify-one-not-all", "--artifact-dir", dir]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let artifact = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("the artifact");
    let artifact = artifact.to_str().unwrap();
    let text = interleave(&["explain", artifact]).stdout;
    // `main`'s one notification went to `worker-0`; `worker-1` waits for good.
    assert!(
        text.contains("  notify_one B → woke worker-0 at step 21  "),
        "{text}"
    );
    assert!(
        text.contains("  woken by B (notified at step 18)  "),
        "{text}"
    );
    let html = interleave(&["explain", "--format", "html", artifact]).stdout;
    assert!(
        html.contains(r##" → woke <a class="link" href="#step-21">worker-0 at step 21</a>"##),
        "{html}"
    );
    assert!(html.contains(r#"<tr id="step-21""#));
    assert!(html.contains(r##"<a class="link" href="#step-18">(notified at step 18)</a>"##));
    crate::html_check::check(&html).expect("well-formed HTML");
}

#[test]
fn an_artifact_from_real_threads_is_explained_and_not_replayed() {
    // What online lock-order detection writes: execution 0, no schedule, no trace.
    let path = edited("real-threads.json", |a| {
        a.engine = "real-threads".to_owned();
        a.execution = 0;
        a.schedule.clear();
        a.trace.clear();
        a.prior.clear();
        a.rerun = Rerun::Test(interleave::TestRerun {
            package: Some("bank".to_owned()),
            test: "tests::transfer".to_owned(),
            ..interleave::TestRerun::default()
        });
        for finding in &mut a.findings {
            finding.steps.execution = 0;
            if let interleave_detector::Detail::LockCycle { edges } = &mut finding.detail {
                for edge in edges {
                    edge.execution = 0;
                }
            }
        }
    });
    let out = interleave(&["explain", &path]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert!(
        out.stdout.contains(
            "replay    none: recorded on real threads, which have no schedule (run the tests again)\n"
        ),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("failing   on real threads (online lock-order detection): no schedule\n"));
    assert!(out.stdout.contains("(on real threads)\n"), "{}", out.stdout);
    assert!(!out.stdout.contains("── timeline"), "{}", out.stdout);
    let out = interleave(&["replay", &path]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("error: replay ")
            && out.stderr.contains("it was recorded on real threads"),
        "{}",
        out.stderr
    );
}

#[test]
fn analyze_judges_joins_when_they_block_in_a_trace_that_records_blocks() {
    use interleave_detector::{EventKind, ObjectClass, TraceBuilder};
    // `a` announces its join of `b`; `b` announces its join of `a` and blocks; `a` arms a
    // timer in the same poll (a `timeout` around the join), then blocks. With `Block` events
    // (as interleave's runtime writes them) the timer ends `a`'s wait: clean. Without them (a
    // trace written by hand), the joins are judged when announced: a deadlock.
    let join_cycle = |blocks: bool| {
        let mut trace = TraceBuilder::new();
        let main = trace.main();
        let a = trace.spawn(main);
        let b = trace.spawn(main);
        let timer = trace.object(a, ObjectClass::Timer);
        trace.event(a, EventKind::JoinRequest { child: b });
        trace.event(b, EventKind::JoinRequest { child: a });
        if blocks {
            trace.event(b, EventKind::Block);
        }
        trace.event(
            a,
            EventKind::TimerArm {
                timer,
                deadline_ns: 1_000_000,
            },
        );
        if blocks {
            trace.event(a, EventKind::Block);
        }
        trace.into_trace().to_json()
    };
    let recorded = scratch_file("join-cycle-blocks.json", &join_cycle(true));
    let out = interleave(&["analyze", recorded.to_str().unwrap()]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "clean: 1 execution, 8 events, no findings\n")
    );
    let by_hand = scratch_file("join-cycle-by-hand.json", &join_cycle(false));
    let out = interleave(&["analyze", by_hand.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout
            .starts_with("deadlock: 2 threads wait for each other"),
        "{}",
        out.stdout
    );
}
