//! A check stops when no schedule is left, under every strategy, and says whether it explored
//! them all or a bounded sample.

use interleave::sync::Mutex;
use interleave::Config;

use crate::child;
use crate::dpor::increments;

#[test]
fn a_scenario_with_no_choice_runs_once_under_every_strategy() {
    // Before: PCT re-ran a single-threaded scenario 1,000 times.
    for config in [
        Config::default(),
        Config::random(1_000),
        Config::exhaustive(),
    ] {
        let report = config.write_artifact(false).explore(increments(0, 0));
        assert!(report.is_clean(), "{report}");
        assert_eq!((report.executions, report.complete), (1, true), "{report}");
    }
    let report = Config::default().write_artifact(false).explore(|| {
        let m = Mutex::new(0);
        for _ in 0..100 {
            *m.lock().unwrap() += 1;
        }
    });
    assert_eq!((report.executions, report.complete), (1, true), "{report}");
}

#[test]
fn sampling_stops_once_it_has_seen_every_schedule() {
    // One thread incrementing once while main joins it: exhaustive exploration has a single
    // schedule (the join waits for the exit; nothing else is shared).
    let leaves = Config::exhaustive()
        .write_artifact(false)
        .explore(increments(1, 1));
    assert_eq!((leaves.executions, leaves.complete), (1, true));
    // Random sampling walks the tree of every runnable thread at every scheduling point (a
    // join that would wait included: 4 leaves here), and covers it long before its budget
    // (seed 7: its leaves in 7 executions).
    let report = Config::random(1_000)
        .seed(7)
        .write_artifact(false)
        .explore(increments(1, 1));
    assert_eq!((report.executions, report.complete), (7, true), "{report}");
    assert!(
        report.to_string().contains("every schedule explored"),
        "{report}"
    );
    // PCT takes only the branches its priorities and change points allow. Each execution
    // draws the depth it looks for, so some place no change point and some place one at any
    // step: it covers the same 4 leaves, in 14 executions with seed 7. (When every execution
    // placed two change points over these few steps, one leaf was never reached and PCT ran
    // its whole budget of 200.)
    let report = Config::pct(200, 3)
        .seed(7)
        .write_artifact(false)
        .explore(increments(1, 1));
    assert_eq!((report.executions, report.complete), (14, true), "{report}");
}

#[test]
fn a_budget_smaller_than_the_tree_is_a_bounded_sample_and_says_so() {
    // Three threads, two increments each: 90 schedules, more than the budget.
    let report = Config::exhaustive()
        .executions(50)
        .write_artifact(false)
        .explore(increments(3, 2));
    assert_eq!((report.executions, report.complete), (50, false));
    assert_eq!(
        report.to_string(),
        format!(
            "interleave: `{}` is clean after 50 executions, a bounded sample of the schedules \
             (exhaustive, seed {})\n",
            report.name, report.seed
        )
    );
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_default_check_of_increments() {
    if !child::in_child() {
        return;
    }
    // 20 schedules under exhaustive exploration.
    print_extent(
        Config::default()
            .write_artifact(false)
            .explore(increments(2, 3)),
    );
}

/// What a child prints of its check's report, for the parent to read.
fn print_extent(report: interleave::Report) {
    println!(
        "executions {} complete {}",
        report.executions, report.complete
    );
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_exhaustive_check_of_increments() {
    if !child::in_child() {
        return;
    }
    // 3 threads × 3 increments: C(9; 3, 3, 3) = 1,680 orders of the critical sections, far
    // more than any sampling strategy runs before it has seen them all.
    print_extent(
        Config::exhaustive()
            .write_artifact(false)
            .explore(increments(3, 3)),
    );
}

#[test]
fn interleave_strategy_random_on_an_exhaustive_check_gets_the_sampling_budget() {
    // Not exhaustive exploration's cap of 100,000: the 1,000 of a check.
    let run = child::run(
        "coverage::child_exhaustive_check_of_increments",
        &[("INTERLEAVE_STRATEGY", "random")],
    );
    assert!(run.success, "{run:?}");
    assert!(
        run.stdout.contains("executions 1000 complete false"),
        "{run:?}"
    );
}

#[test]
fn interleave_strategy_exhaustive_gets_the_exhaustive_budget() {
    let run = child::run(
        "coverage::child_default_check_of_increments",
        &[("INTERLEAVE_STRATEGY", "exhaustive")],
    );
    assert!(run.success, "{run:?}");
    // Not cut at check's 1,000: the whole tree.
    assert!(
        run.stdout.contains("executions 20 complete true"),
        "{run:?}"
    );
    let run = child::run(
        "coverage::child_default_check_of_increments",
        &[
            ("INTERLEAVE_STRATEGY", "exhaustive"),
            ("INTERLEAVE_ITERATIONS", "10"),
        ],
    );
    assert!(
        run.stdout.contains("executions 10 complete false"),
        "{run:?}"
    );
}
