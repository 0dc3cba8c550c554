//! Checks on several OS threads (`Config::jobs`): the report and the artifact do not depend on
//! how many threads ran the executions.

use interleave::sync::atomic::{AtomicUsize, Ordering};
use interleave::sync::{Arc, Mutex};
use interleave::{thread, Config, Error, Kind, Report};

use crate::check::orders_depend_on_a_race;
use crate::child;
use crate::dpor::increments;

/// Three threads increment a counter without holding the lock across the read and the write;
/// the assertion fails only when all three reads come before any write, in reverse spawning
/// order: rare enough that several executions run before one fails.
fn rare_lost_updates() {
    let state = Arc::new(Mutex::new((0, Vec::new())));
    let handles: Vec<_> = (0..3)
        .map(|i| {
            let state = Arc::clone(&state);
            thread::spawn(move || {
                let read = {
                    let mut state = state.lock().unwrap();
                    state.1.push(i);
                    state.0
                };
                thread::yield_now();
                state.lock().unwrap().0 = read + 1;
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let state = state.lock().unwrap();
    assert!(
        !(state.0 == 1 && state.1 == [2, 1, 0]),
        "every update but one was lost"
    );
}

/// The same two threads, taking the locks in one order: clean.
fn consistent_order() {
    let (a, b) = (Arc::new(Mutex::new(0)), Arc::new(Mutex::new(0)));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let t = thread::spawn(move || {
        let _a = a2.lock().unwrap();
        *b2.lock().unwrap() += 1;
    });
    {
        let _a = a.lock().unwrap();
        *b.lock().unwrap() += 1;
    }
    t.join().unwrap();
}

/// What must not depend on the number of threads: everything in the report but the artifact's
/// directory, and the artifact's bytes.
type Outcome = (String, Option<Vec<u8>>);

fn outcome(report: &Report) -> Outcome {
    let summary = format!(
        "executions {} failing {:?} complete {} schedule {:?} findings {:#?} accepted {:#?}",
        report.executions,
        report.failing_execution,
        report.complete,
        report.schedule,
        report.findings,
        report.accepted,
    );
    let bytes = report
        .artifact
        .as_ref()
        .map(|path| std::fs::read(path).expect("the artifact reads"));
    (summary, bytes)
}

/// Runs `scenario` under `config` with 1, 2 and 3 threads; asserts they agree and returns the
/// report of one, with the directory that holds its artifact (removed when dropped).
fn same_with_any_jobs(
    label: &str,
    config: Config,
    scenario: impl Fn() + Clone + Send + Sync + 'static,
) -> (Report, child::TempDir) {
    let mut first: Option<(Report, Outcome, child::TempDir)> = None;
    for jobs in [1, 2, 3] {
        let dir = child::temp_dir(&format!("jobs-{label}-{jobs}"));
        let report = config
            .clone()
            .name(format!("jobs_{label}"))
            .jobs(jobs)
            .artifact_dir(&dir)
            .explore(scenario.clone());
        let seen = outcome(&report);
        match &first {
            None => first = Some((report, seen, dir)),
            Some((_, expected, _)) => {
                assert_eq!(&seen.0, &expected.0, "{label}: jobs({jobs}) vs jobs(1)");
                assert!(
                    seen.1 == expected.1,
                    "{label}: jobs({jobs}) wrote another artifact"
                );
            }
        }
    }
    let (report, _, dir) = first.expect("three runs");
    (report, dir)
}

fn kinds(report: &Report) -> Vec<Kind> {
    report.findings.iter().map(|f| f.kind()).collect()
}

#[test]
fn a_cycle_seen_across_executions_is_the_same_finding_in_the_same_execution_with_any_jobs() {
    // The executions that find it with these seeds (whatever the number of threads).
    for (label, config, expected) in [
        ("cycle_random", Config::random(500).seed(11), 4),
        ("cycle_pct", Config::pct(500, 2).seed(11), 2),
    ] {
        let (report, _dir) = same_with_any_jobs(label, config, orders_depend_on_a_race);
        assert_eq!(kinds(&report), [Kind::PotentialDeadlock], "{label}");
        // Its edges come from two executions: the artifact replays the earlier one too.
        assert_eq!(report.failing_execution, Some(expected), "{label}");
        assert_eq!(report.executions, expected, "{label}");
        let replayed =
            interleave::replay(report.artifact.as_ref().unwrap(), orders_depend_on_a_race).unwrap();
        assert_eq!(
            replayed.findings[0].fingerprint, report.findings[0].fingerprint,
            "{label}"
        );
    }
}

/// The mix runs PCT's execution k on odd k and random's execution k on even k, each drawn from
/// the seed and k (random's from its own stream, so not random alone's execution k). With seed
/// 5 its first failing execution is 10, one of random's; none of PCT's before it fails.
const MIX_LOST: u64 = 10;

#[test]
fn the_lowest_numbered_failing_execution_is_reported_with_any_jobs() {
    // The first executions that lose the updates in that order with these seeds: with two or
    // three threads, later executions run (and may fail) at the same time, and are dropped.
    for (label, config, expected) in [
        ("lost_random", Config::random(2_000).seed(5), 50),
        ("lost_pct", Config::pct(2_000, 3).seed(5), 21),
        ("lost_mix", Config::mix(2_000, 3).seed(5), MIX_LOST),
    ] {
        let (report, _dir) = same_with_any_jobs(label, config, rare_lost_updates);
        assert_eq!(kinds(&report), [Kind::Panic], "{label}");
        assert_eq!(report.failing_execution, Some(expected), "{label}");
        assert_eq!(report.executions, expected, "{label}");
    }
}

#[test]
fn a_clean_check_runs_its_whole_budget_with_any_jobs() {
    for (label, config) in [
        ("clean_random", Config::random(300).seed(2)),
        ("clean_pct", Config::pct(300, 3).seed(2)),
        ("clean_mix", Config::mix(300, 3).seed(2)),
    ] {
        let (report, _dir) = same_with_any_jobs(label, config, consistent_order);
        assert!(report.is_clean(), "{label}: {report}");
        assert_eq!(report.executions, 300, "{label}");
        assert!(!report.complete, "{label}");
    }
}

#[test]
fn a_small_tree_is_complete_after_the_same_executions_with_any_jobs() {
    // Main and one thread, each taking one lock: the threads' orders at the two contested
    // scheduling points make a tree that random sampling completes before its budget.
    fn two_locks() {
        let m = Arc::new(Mutex::new(0));
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || *m2.lock().unwrap() += 1);
        *m.lock().unwrap() += 1;
        t.join().unwrap();
    }
    let (report, _dir) = same_with_any_jobs("tree", Config::random(1_000).seed(9), two_locks);
    assert!(report.is_clean() && report.complete, "{report}");
    // How many random executions seed 9 takes to have followed every branch of the tree.
    assert_eq!(report.executions, 114, "{report}");
}

#[test]
fn zero_jobs_is_a_configuration_error() {
    let error = Config::random(10).jobs(0).try_explore(|| {}).unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "configure the check: jobs(0): expected from 1 to 1024 threads"
    );
}

/// Two threads adding 40,000 times each to an atomic, then a failing assertion: 80,000 events,
/// more than an execution keeps for its trace on one thread.
fn long_then_fails() {
    let counter = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&counter);
    let t = thread::spawn(move || {
        for _ in 0..40_000 {
            c.fetch_add(1, Ordering::Relaxed);
        }
    });
    for _ in 0..40_000 {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    t.join().unwrap();
    assert_eq!(counter.load(Ordering::Relaxed), 0, "fails on purpose");
}

#[test]
fn a_long_execution_s_trace_is_rebuilt_by_replaying_it_and_is_the_same() {
    // On one thread the failing execution kept no events (too many) and its trace comes from
    // replaying its schedule; on two, the check's detector needed them all and they were kept.
    // The artifacts are byte for byte the same, and replay.
    let (report, _dir) = same_with_any_jobs("long", Config::random(2).seed(1), long_then_fails);
    assert_eq!(kinds(&report), [Kind::Panic]);
    let artifact = report.artifact.as_ref().expect("an artifact");
    let text = std::fs::read_to_string(artifact).unwrap();
    assert!(
        text.matches("\"atomic\"").count() >= 80_000,
        "the whole trace"
    );
    let replayed = interleave::replay(artifact, long_then_fails).unwrap();
    assert_eq!(
        replayed.findings[0].fingerprint,
        report.findings[0].fingerprint
    );
}

/// Main and a thread write a tracked cell, the thread only after a race on an atomic went its
/// way: the data race ends the execution where it is found, on one thread as on several (where
/// the threads' executions run on past it and the check runs it again).
fn racy_write() {
    use crate::channels_atomics_cells::Shared;
    let data = Arc::new(Shared::new(0));
    let flag = Arc::new(AtomicUsize::new(0));
    let (d, f) = (Arc::clone(&data), Arc::clone(&flag));
    let t = thread::spawn(move || {
        if f.load(Ordering::SeqCst) == 0 {
            d.set(1);
        }
    });
    flag.store(1, Ordering::SeqCst);
    data.set(2);
    t.join().unwrap();
}

/// Two threads take two locks in opposite orders, and deadlock when both hold their first.
fn ab_ba_deadlock() {
    let (a, b) = (Arc::new(Mutex::new(0)), Arc::new(Mutex::new(0)));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let t = thread::spawn(move || {
        let _b = b2.lock().unwrap();
        *a2.lock().unwrap() += 1;
    });
    {
        let _a = a.lock().unwrap();
        *b.lock().unwrap() += 1;
    }
    t.join().unwrap();
}

#[test]
fn findings_that_end_an_execution_end_it_at_the_same_event_with_any_jobs() {
    let without_cycles = interleave_detector::DetectorConfig {
        lock_order: false,
        ..interleave_detector::DetectorConfig::default()
    };
    // The executions that find them with these seeds.
    for (label, config, scenario, kind, expected) in [
        (
            "race_random",
            Config::random(500).seed(3),
            racy_write as fn(),
            Kind::DataRace,
            1,
        ),
        (
            "race_pct",
            Config::pct(500, 3).seed(3),
            racy_write,
            Kind::DataRace,
            1,
        ),
        (
            "deadlock_random",
            Config::random(500).seed(3).detector(without_cycles),
            ab_ba_deadlock,
            Kind::Deadlock,
            1,
        ),
        (
            "deadlock_pct",
            Config::pct(500, 3).seed(3).detector(without_cycles),
            ab_ba_deadlock,
            Kind::Deadlock,
            5,
        ),
    ] {
        let (report, _dir) = same_with_any_jobs(label, config, scenario);
        assert_eq!(kinds(&report), [kind], "{label}");
        assert_eq!(report.failing_execution, Some(expected), "{label}");
    }
}

/// Four threads note their order under a lock; thread 1 then always takes `a` then `b`, and
/// thread 0 takes `b` then `a` only when it came last, after 3, 2 and 1 in that order (the
/// reverse of their spawning): a lock-order cycle that only a rare schedule completes, after
/// many executions that teach the threads' detectors everything else about the program.
fn rare_inversion() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = (Arc::new(Mutex::new(0)), Arc::new(Mutex::new(0)));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (order, a, b) = (Arc::clone(&order), Arc::clone(&a), Arc::clone(&b));
            thread::spawn(move || {
                let last = {
                    let mut order = order.lock().unwrap();
                    order.push(i);
                    *order == [3, 2, 1, 0]
                };
                if i == 1 {
                    let _a = a.lock().unwrap();
                    *b.lock().unwrap() += 1;
                } else if last {
                    let _b = b.lock().unwrap();
                    *a.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

#[test]
fn a_cycle_completed_after_many_clean_executions_is_found_in_the_same_execution_with_any_jobs() {
    // Hundreds of executions learn nothing new before the one that takes the second order: on
    // two or three threads the check's detector skips theirs (the threads' detectors found
    // nothing and learnt nothing), and must still have everything the cycle needs.
    for (label, config, expected) in [
        ("rare_cycle_random", Config::random(5_000).seed(1), 274),
        ("rare_cycle_pct", Config::pct(5_000, 3).seed(1), 162),
    ] {
        let (report, _dir) = same_with_any_jobs(label, config, rare_inversion);
        assert_eq!(kinds(&report), [Kind::PotentialDeadlock], "{label}");
        assert_eq!(report.failing_execution, Some(expected), "{label}");
    }
}

#[test]
fn accepted_findings_are_the_same_and_exploration_goes_on_with_any_jobs() {
    // The cycle of `rare_inversion` accepted: the check records it where it completes and
    // explores on to its budget, recording the deadlocks that realize it. The threads'
    // detectors that made a finding are dropped (the check may not have seen all they saw).
    let dir = child::temp_dir("jobs-accepted");
    for (label, config) in [
        ("accepted_random", Config::random(600).seed(1)),
        ("accepted_pct", Config::pct(400, 3).seed(1)),
    ] {
        let name = format!("jobs_{label}");
        let first = config
            .clone()
            .name(&name)
            .write_artifact(false)
            .explore(rare_inversion);
        assert_eq!(kinds(&first), [Kind::PotentialDeadlock], "{label}");
        let path = dir.join(format!("{label}.json"));
        interleave::Baseline {
            accepted: vec![interleave::BaselineEntry::new(
                &name,
                &first.findings[0],
                "known",
            )],
            ..interleave::Baseline::default()
        }
        .write(&path)
        .unwrap();
        let (report, _dir) = same_with_any_jobs(label, config.baseline(&path), rare_inversion);
        assert!(report.is_clean(), "{label}: {report}");
        assert_eq!(
            report.accepted[0].fingerprint,
            first.findings[0].fingerprint
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_object_made_before_the_check_is_shared_by_its_executions_so_one_thread_runs_them() {
    // Every execution's three threads take a lock of their own a few times, then meet at a
    // barrier made outside the check. Each execution registers the barrier afresh at its
    // first use; two executions running at once on two threads would reset it under each
    // other's feet (spurious deadlocks, or a barrier that lets a thread through early).
    // Execution 1 uses it: the check goes on on one thread.
    let barrier = Arc::new(interleave::sync::Barrier::new(3));
    let scenario = move || {
        let m = Arc::new(Mutex::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (b, m) = (Arc::clone(&barrier), Arc::clone(&m));
                thread::spawn(move || {
                    for _ in 0..3 {
                        *m.lock().unwrap() += 1;
                    }
                    b.wait();
                })
            })
            .collect();
        for _ in 0..3 {
            *m.lock().unwrap() += 1;
        }
        barrier.wait();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(*m.lock().unwrap(), 9);
    };
    let (report, _dir) = same_with_any_jobs("barrier", Config::random(500).seed(3), scenario);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 500, "{report}");
}

/// Two threads each take a lock three times and then note their number; when the second
/// noted first, two more threads meet at `barrier` (and `met` is set).
fn meet_when_the_second_comes_first(
    barrier: &Arc<interleave::sync::Barrier>,
    met: &std::sync::atomic::AtomicBool,
) {
    let order = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (1..=2)
        .map(|i| {
            let order = Arc::clone(&order);
            thread::spawn(move || {
                for _ in 0..3 {
                    order.lock().unwrap().push(0);
                }
                order.lock().unwrap().push(i);
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let second_first = order.lock().unwrap().iter().find(|&&i| i > 0) == Some(&2);
    if second_first {
        met.store(true, std::sync::atomic::Ordering::SeqCst);
        let meet: Vec<_> = (0..2)
            .map(|_| {
                let b = Arc::clone(barrier);
                thread::spawn(move || {
                    b.wait();
                })
            })
            .collect();
        for handle in meet {
            handle.join().unwrap();
        }
    }
}

/// A seed whose execution 1 does not meet at the barrier.
const SEED_1_AVOIDS: u64 = 3;

#[test]
fn an_object_made_before_the_check_and_used_by_a_later_execution_runs_the_check_again_on_one_thread(
) {
    // Execution 1 of this seed does not use the barrier made before the check (thread 1 notes
    // its number first); later executions do, while other threads run executions that may
    // use it too: the check runs again on one thread, from execution 1, and reports what
    // jobs(1) reports.
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    let barrier = Arc::new(interleave::sync::Barrier::new(2));
    let met = Arc::new(AtomicBool::new(false));
    let scenario = {
        let (barrier, met) = (Arc::clone(&barrier), Arc::clone(&met));
        move || meet_when_the_second_comes_first(&barrier, &met)
    };
    let first = Config::random(1)
        .seed(SEED_1_AVOIDS)
        .explore(scenario.clone());
    assert!(first.is_clean(), "{first}");
    assert!(!met.load(SeqCst), "execution 1 met at the barrier");
    let (report, _dir) =
        same_with_any_jobs("later", Config::random(500).seed(SEED_1_AVOIDS), scenario);
    assert!(met.load(SeqCst), "no execution met at the barrier");
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 500, "{report}");
}

fn naive() -> Config {
    Config::exhaustive().strategy(interleave::Strategy::ExhaustiveNaive)
}

#[test]
fn naive_dfs_split_among_threads_explores_the_same_tree() {
    // Naive DFS branches at every scheduling point with a choice: 918 executions for 2 threads
    // × 2 locks (DPOR: 6), 18,795 for 3 × 1 (DPOR: 6). Threads that split the tree take the
    // same executions in the same order: the same count, whether the budget cuts the tree
    // (complete only if it ends exactly at the last execution, as on one thread), and the same
    // bounded tree under a preemption bound.
    for (label, config, scenario, executions, complete) in [
        ("dfs_2x2", naive(), increments(2, 2), 918, true),
        ("dfs_3x1", naive(), increments(3, 1), 18_795, true),
        (
            "dfs_cut",
            naive().executions(50),
            increments(2, 2),
            50,
            false,
        ),
        (
            "dfs_exact",
            naive().executions(918),
            increments(2, 2),
            918,
            true,
        ),
        (
            "dfs_short",
            naive().executions(917),
            increments(2, 2),
            917,
            false,
        ),
        (
            "dfs_bound",
            naive().max_preemptions(1),
            increments(2, 2),
            20,
            false,
        ),
    ] {
        let (report, _dir) = same_with_any_jobs(label, config, scenario);
        assert!(report.is_clean(), "{label}: {report}");
        assert_eq!(
            (report.executions, report.complete),
            (executions, complete),
            "{label}"
        );
    }
}

/// Two threads add 1 to a counter, each reading it and writing it back in two critical
/// sections: an update is lost when both read before either writes.
fn lost_update() {
    let m = Arc::new(Mutex::new(0));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                let read = *m.lock().unwrap();
                *m.lock().unwrap() = read + 1;
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(*m.lock().unwrap(), 2, "an update was lost");
}

#[test]
fn naive_dfs_split_among_threads_fails_in_the_same_execution() {
    // The first executions in naive DFS's order that lose the update, and that complete the
    // cycle (its other order seen in an earlier execution): the same artifact, whose prior
    // executions replay.
    for (label, scenario, kind, expected) in [
        ("dfs_lost", lost_update as fn(), Kind::Panic, 37),
        (
            "dfs_cycle",
            orders_depend_on_a_race,
            Kind::PotentialDeadlock,
            67,
        ),
    ] {
        let (report, _dir) = same_with_any_jobs(label, naive(), scenario);
        assert_eq!(kinds(&report), [kind], "{label}");
        assert_eq!(report.failing_execution, Some(expected), "{label}");
        let replayed = interleave::replay(report.artifact.as_ref().unwrap(), scenario).unwrap();
        assert_eq!(
            replayed.findings[0].fingerprint, report.findings[0].fingerprint,
            "{label}"
        );
    }
}
