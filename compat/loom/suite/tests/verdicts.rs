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
    // No contested decision: the exhaustive search runs it once, says it is complete, and
    // nothing follows.
    assert_eq!(count("single_threaded"), 1);
    // Two threads, one critical section each: the exhaustive search completes after its 2
    // classes (either order), then PCT and random take 16 executions (MIX_AFTER_COMPLETE).
    assert_eq!(count("mutex_counter"), 2 + 16);
    // The bug is found by the exhaustive search, in its second execution (the free first).
    assert_eq!(count("free_after_spin"), 2);
    // A preemption bound makes the Builder run interleave's bounded DPOR, as
    // `Config::exhaustive().max_preemptions(2)` does on this program: 26 executions (the
    // bounded reduction backtracks conservatively; without the bound the same program has
    // exactly 6 classes, the orders of the four critical sections, 4!/(2!·2!)).
    assert_eq!(count("bounded_preemptions"), 26);
    eprintln!("{executions:?}");
}
