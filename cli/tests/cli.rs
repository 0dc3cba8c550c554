//! The real `interleave` binary: outputs as snapshots, exit codes, bad input.

use std::process::Command;

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn interleave(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_interleave"))
        .args(args)
        .output()
        .expect("the binary runs");
    Output {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

fn scratch(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("interleave-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn list_shows_the_catalog() {
    let out = interleave(&["list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn run_all_is_as_expected_and_exits_zero() {
    let out = interleave(&["run", "--all"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn run_of_a_bug_and_its_twin_with_reports() {
    let out = interleave(&["run", "-v", "lock-order/ab-ba", "lock-order/ab-ba-fixed"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn analyze_reports_findings_with_exit_one_and_clean_with_zero() {
    let bug = interleave(&["trace", "deadlock/join-while-holding"]);
    assert_eq!(bug.code, 0);
    let out = interleave(&[
        "analyze",
        scratch("bug.json", &bug.stdout).to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);

    let fixed = interleave(&["trace", "deadlock/join-after-release"]);
    let out = interleave(&[
        "analyze",
        scratch("fixed.json", &fixed.stdout).to_str().unwrap(),
    ]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "clean: 1 executions, 11 events, no findings\n")
    );
}

#[test]
fn bad_input_is_one_line_on_stderr_with_exit_two() {
    let cases = [
        ("truncated", r#"{"format_version": 1, "executions": [{"execution": 1, "ev"#.to_owned()),
        ("not-json", "garbage".to_owned()),
        ("version", r#"{"format_version": 7, "executions": []}"#.to_owned()),
        (
            "unknown-thread",
            r#"{"format_version":1,"executions":[{"execution":1,"events":[{"step":1,"thread":4,"site":"a.rs:1:1","kind":{"event":"exit"}}]}]}"#.to_owned(),
        ),
        (
            "bad-site",
            r#"{"format_version":1,"executions":[{"execution":1,"events":[{"step":1,"thread":0,"site":"a.rs","kind":{"event":"exit"}}]}]}"#.to_owned(),
        ),
    ];
    let mut lines = Vec::new();
    for (name, contents) in cases {
        let path = scratch(&format!("{name}.json"), &contents);
        let out = interleave(&["analyze", path.to_str().unwrap()]);
        assert_eq!(out.code, 2, "{name}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{name}");
        assert_eq!(out.stderr.lines().count(), 1, "{name}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{name}: {}", out.stderr);
        lines.push(format!(
            "{name}: {}",
            out.stderr.replace(&*path.to_string_lossy(), "<path>")
        ));
    }
    for args in [
        &["run", "no/such-scenario"][..],
        &["run"],
        &["list", "--category", "nope"],
    ] {
        let out = interleave(args);
        assert_eq!(out.code, 2, "{args:?}");
        lines.push(format!("{}: {}", args.join(" "), out.stderr));
    }
    insta::assert_snapshot!(lines.concat());
}
