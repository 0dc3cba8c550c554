//! Every case of the loom-style suite gets its verdict under interleave-loom, and the runs are
//! as long as the budget logic says (`interleave-loom-oracle` checks loom's verdicts).

use std::panic;
use std::sync::atomic::Ordering::Relaxed;

use interleave_loom_suite::{cases, Verdict, EXECUTIONS};

/// One test, so that the execution counter counts one case at a time.
#[test]
fn every_case_gets_its_verdict_and_its_budget() {
    let mut wrong = Vec::new();
    let mut executions = Vec::new();
    for case in cases() {
        let before = EXECUTIONS.load(Relaxed);
        let verdict = match panic::catch_unwind(case.run) {
            Ok(()) => Verdict::Clean,
            Err(_) => Verdict::Fails,
        };
        executions.push((case.name, EXECUTIONS.load(Relaxed) - before));
        if verdict != case.verdict {
            wrong.push(format!(
                "{}: expected {:?}, got {verdict:?}",
                case.name, case.verdict
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let count = |name: &str| {
        executions
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, count)| count)
            .expect("a case of the suite")
    };
    // No contested decision: one execution, and the check says it is complete.
    assert_eq!(count("single_threaded"), 1);
    // Two threads, one atomic each way: the coverage tree has few leaves, so the mix stops
    // well before its 1,000 executions, once every schedule has run.
    assert!(count("fetch_add_counter") < 100, "{executions:?}");
    // A preemption bound makes the Builder run interleave's bounded DPOR, as
    // `Config::exhaustive().max_preemptions(2)` does on this program: 26 executions (the
    // bounded reduction backtracks conservatively; without the bound the same program has
    // exactly 6 classes, the orders of the four critical sections, 4!/(2!·2!)).
    assert_eq!(count("bounded_preemptions"), 26);
    eprintln!("{executions:?}");
}
