//! Bad artifacts and traces: one line on stderr, exit 2, never a backtrace.

use interleave::Rerun;
use interleave_detector::{EventKind, ThreadId};

use crate::artifacts::edited;
use crate::{ab_ba, interleave, scratch, scratch_file};

/// Runs `args` and checks it failed as an input error should; gives the stderr line.
fn input_error(args: &[&str]) -> String {
    let out = interleave(args);
    assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "", "{args:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    assert!(
        out.stderr.starts_with("error: "),
        "{args:?}: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
    out.stderr
}

#[test]
fn bad_artifacts_are_one_line_and_exit_two() {
    let real = std::fs::read_to_string(&ab_ba().artifact).unwrap();
    let as_file = |name: &str, text: &str| scratch_file(name, text).to_str().unwrap().to_owned();
    let version = real.replacen("\"format_version\": 1", "\"format_version\": 99", 1);
    assert_ne!(version, real);
    let missing = scratch().join("missing.json");
    // (case, file, refused by replay, by explain and graph)
    let cases = [
        (
            "truncated",
            as_file("truncated.json", &real[..200]),
            true,
            true,
        ),
        ("not JSON", as_file("not-json.json", "garbage"), true, true),
        ("empty", as_file("empty.json", ""), true, true),
        (
            "unknown format_version",
            as_file("version.json", &version),
            true,
            true,
        ),
        ("missing", missing.to_str().unwrap().to_owned(), true, true),
        (
            "a directory",
            scratch().to_str().unwrap().to_owned(),
            true,
            true,
        ),
        (
            // explain and graph need only the artifact, whatever the catalog holds today.
            "unknown scenario",
            edited("unknown-scenario.json", |a| {
                a.rerun = Rerun::Scenario {
                    name: "lock-order/no-such".to_owned(),
                };
            }),
            true,
            false,
        ),
        (
            // A schedule recorded for another program: it starts with a thread that does not
            // exist yet.
            "schedule of another program",
            edited("other-schedule.json", |a| {
                a.schedule = "2x3.0x40".to_owned()
            }),
            true,
            false,
        ),
        (
            "schedule too short",
            edited("short-schedule.json", |a| a.schedule = "0x2".to_owned()),
            true,
            false,
        ),
        (
            "schedule that does not parse",
            edited("bad-schedule.json", |a| a.schedule = "0x2.zz".to_owned()),
            true,
            true,
        ),
        (
            "finding pointing past its threads",
            edited("bad-index.json", |a| {
                a.findings[0].threads.truncate(1);
            }),
            true,
            true,
        ),
        (
            "trace with an unknown thread",
            edited("bad-trace.json", |a| {
                let last = a.trace.len() - 1;
                a.trace[last].thread = ThreadId(9);
                assert!(!matches!(a.trace[last].kind, EventKind::Spawn { .. }));
            }),
            true,
            true,
        ),
    ];
    let mut lines = Vec::new();
    for (case, path, replay, explain) in &cases {
        for (command, refused) in [("replay", replay), ("explain", explain), ("graph", explain)] {
            if *refused {
                let line = input_error(&[command, path]);
                lines.push(format!("{case}: {command}: {line}"));
            } else {
                let out = interleave(&[command, path]);
                assert!(out.code < 2, "{case}: {command}: {}", out.stderr);
            }
        }
    }
    let text = lines
        .concat()
        .replace(missing.to_str().unwrap(), "[missing]");
    insta::assert_snapshot!(ab_ba().redact(&text));
}

#[test]
fn bad_traces_are_one_line_and_exit_two() {
    let cases = [
        (
            "truncated",
            r#"{"format_version": 1, "executions": [{"execution": 1, "ev"#,
        ),
        ("not JSON", "garbage"),
        ("version", r#"{"format_version": 7, "executions": []}"#),
        (
            "unknown thread",
            r#"{"format_version":1,"executions":[{"execution":1,"events":[{"step":1,"thread":4,"site":"a.rs:1:1","kind":{"event":"exit"}}]}]}"#,
        ),
        (
            "bad site",
            r#"{"format_version":1,"executions":[{"execution":1,"events":[{"step":1,"thread":0,"site":"a.rs","kind":{"event":"exit"}}]}]}"#,
        ),
    ];
    let mut lines = Vec::new();
    for (case, contents) in cases {
        let path = scratch_file(&format!("trace-{}.json", case.replace(' ', "-")), contents);
        let line = input_error(&["analyze", path.to_str().unwrap()]);
        lines.push(format!("{case}: {line}"));
    }
    insta::assert_snapshot!(crate::redact::redact(&lines.concat(), &[]));
}
