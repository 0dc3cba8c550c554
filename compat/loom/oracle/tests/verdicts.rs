//! Every case of the loom-style suite gets the same verdict under real loom 0.7. loom aborts
//! the process on a deadlock, so each case runs in a child process (this binary again, running
//! only [`child`]).

use std::process::Command;

use interleave_loom_oracle::{cases, Verdict};

/// Names the case a child process runs.
const CASE: &str = "INTERLEAVE_LOOM_ORACLE_CASE";

/// In a child process: runs the case named by `INTERLEAVE_LOOM_ORACLE_CASE`. Otherwise nothing.
#[test]
fn child() {
    let Ok(name) = std::env::var(CASE) else {
        return;
    };
    let case = cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case `{name}`"));
    (case.run)();
}

#[test]
fn every_case_gets_the_same_verdict_under_loom() {
    let exe = std::env::current_exe().expect("the test binary");
    let mut wrong = Vec::new();
    for case in cases() {
        let output = Command::new(&exe)
            .args(["child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CASE, case.name)
            .output()
            .expect("run the test binary");
        let verdict = if output.status.success() {
            Verdict::Clean
        } else {
            Verdict::Fails
        };
        if verdict != case.loom {
            wrong.push(format!(
                "{}: expected {:?}, loom gave {verdict:?} ({})\n{}",
                case.name,
                case.loom,
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
