//! What reports show a person: a panic's backtrace when backtraces are asked for.

use interleave::{thread, Config};

use crate::child;

#[inline(never)]
fn withdraw(balance: u32, amount: u32) -> u32 {
    assert!(amount <= balance, "overdrawn: {amount} > {balance}");
    balance - amount
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_panicking_check() {
    if !child::in_child() {
        return;
    }
    Config::random(1).name("overdraft").check(|| {
        let t = thread::spawn(|| withdraw(5, 10));
        let _ = t.join();
    });
}

#[test]
fn a_panic_report_carries_the_scenario_thread_s_backtrace_when_asked_for() {
    let run = child::run("reports::child_panicking_check", &[("RUST_BACKTRACE", "1")]);
    assert!(!run.success, "{run:?}");
    let output = format!("{}{}", run.stdout, run.stderr);
    let report: Vec<&str> = output
        .lines()
        .skip_while(|l| !l.starts_with("  backtrace of the panicking thread:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    // The scenario's frames, innermost first, and none of the panic machinery's or interleave's.
    let frames: Vec<&str> = report
        .iter()
        .map(|l| l.trim_start())
        .filter(|l| !l.starts_with("at "))
        .collect();
    assert_eq!(
        frames,
        [
            "0: e2e::reports::withdraw",
            "1: e2e::reports::child_panicking_check::{{closure}}::{{closure}}"
        ],
        "{output}"
    );
    assert!(
        report
            .iter()
            .all(|l| !l.contains("interleave::rt::") && !l.contains("begin_unwind")),
        "{output}"
    );
    // Without RUST_BACKTRACE, the report has none.
    let run = child::run("reports::child_panicking_check", &[("RUST_BACKTRACE", "0")]);
    assert!(!run.success, "{run:?}");
    assert!(
        format!("{}{}", run.stdout, run.stderr).contains("panic in thread `t1`: overdrawn: 10 > 5"),
        "{run:?}"
    );
    assert!(
        !run.stderr.contains("backtrace of the panicking thread"),
        "{run:?}"
    );
}
