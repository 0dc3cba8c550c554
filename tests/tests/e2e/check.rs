//! The harness end to end: every finding kind with its fixed twin, AB-BA prediction, exhaustive
//! counts, determinism across processes, replay, bad input.

use interleave::sync::{Arc, Mutex};
use interleave::{thread, Config, Kind};
use interleave_detector::{Detail, DetectorConfig};

use crate::child;

fn kinds(report: &interleave::Report) -> Vec<Kind> {
    report.findings.iter().map(|f| f.kind()).collect()
}

/// Two threads take two mutexes in opposite orders (`FIXED`: in the same order).
pub(crate) fn ab_ba<const FIXED: bool>() {
    let a = Arc::new(Mutex::new(0));
    let b = Arc::new(Mutex::new(0));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let t = thread::spawn(move || {
        if FIXED {
            let _a = a2.lock().unwrap();
            let _b = b2.lock().unwrap();
        } else {
            let _b = b2.lock().unwrap();
            let _a = a2.lock().unwrap();
        }
    });
    {
        let _a = a.lock().unwrap();
        let _b = b.lock().unwrap();
    }
    t.join().unwrap();
}

fn no_lock_order() -> DetectorConfig {
    DetectorConfig {
        lock_order: false,
        ..DetectorConfig::default()
    }
}

#[test]
fn ab_ba_is_predicted_in_the_first_execution_that_did_not_deadlock() {
    // PCT's first execution runs the main thread (highest priority) through both locks before
    // the spawned thread starts: no deadlock happens, both orders are taken, and the cycle is
    // reported right there.
    let report = Config::pct(1_000, 3)
        .write_artifact(false)
        .explore(ab_ba::<false>);
    assert_eq!(kinds(&report), [Kind::PotentialDeadlock]);
    assert_eq!((report.failing_execution, report.executions), (Some(1), 1));
    let Detail::LockCycle { edges } = &report.findings[0].detail else {
        panic!("{}", report.findings[0])
    };
    let threads: Vec<&str> = edges
        .iter()
        .map(|e| report.findings[0].threads[e.thread].name.as_str())
        .collect();
    assert_eq!(threads, ["main", "t1"]);
}

#[test]
fn ab_ba_in_the_same_order_stays_clean() {
    let report = Config::random(1_000)
        .write_artifact(false)
        .explore(ab_ba::<true>);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 1_000);
}

#[test]
fn a_realized_ab_ba_deadlock_names_both_waits() {
    let report = Config::random(1_000)
        .seed(3)
        .detector(no_lock_order())
        .write_artifact(false)
        .explore(ab_ba::<false>);
    assert_eq!(kinds(&report), [Kind::Deadlock], "{report}");
    let Detail::Deadlock { waits, partial, .. } = &report.findings[0].detail else {
        panic!("{report}")
    };
    assert_eq!(waits.len(), 2);
    assert!(!partial);
}

#[test]
fn relocking_a_held_mutex_is_a_deadlock_in_every_execution() {
    let report = Config::random(10).write_artifact(false).explore(|| {
        let m = Mutex::new(0);
        let _first = m.lock().unwrap();
        let _second = m.lock().unwrap();
    });
    assert_eq!(kinds(&report), [Kind::Deadlock]);
    assert_eq!(report.failing_execution, Some(1));
    assert!(matches!(
        report.findings[0].detail,
        Detail::SelfDeadlock { .. }
    ));
}

#[test]
fn a_partial_deadlock_is_reported_while_another_thread_still_runs() {
    let report = Config::random(1_000)
        .seed(1)
        .detector(no_lock_order())
        .write_artifact(false)
        .explore(|| {
            let busy = thread::Builder::new()
                .name("busy".into())
                .spawn(|| {
                    for _ in 0..50 {
                        thread::yield_now();
                    }
                })
                .unwrap();
            ab_ba::<false>();
            busy.join().unwrap();
        });
    let deadlock = report
        .findings
        .iter()
        .find(|f| f.kind() == Kind::Deadlock)
        .unwrap_or_else(|| panic!("{report}"));
    let Detail::Deadlock {
        partial, running, ..
    } = &deadlock.detail
    else {
        panic!("{deadlock}")
    };
    assert!(*partial, "{deadlock}");
    let running: Vec<&str> = running
        .iter()
        .map(|&r| deadlock.threads[r].name.as_str())
        .collect();
    assert_eq!(running, ["busy"], "{deadlock}");
}

#[test]
fn a_panic_names_its_thread_and_its_twin_is_clean() {
    let bug = Config::random(1_000).write_artifact(false).explore(|| {
        let t = thread::Builder::new()
            .name("checker".into())
            .spawn(|| assert_eq!(2 + 2, 5, "arithmetic"))
            .unwrap();
        t.join().unwrap();
    });
    assert_eq!(kinds(&bug), [Kind::Panic]);
    let Detail::Panic {
        thread,
        message,
        site,
        ..
    } = &bug.findings[0].detail
    else {
        panic!("{bug}")
    };
    assert_eq!(bug.findings[0].threads[*thread].name, "checker");
    assert!(
        message.starts_with("assertion `left == right` failed: arithmetic"),
        "{message}"
    );
    assert!(site.file.ends_with("check.rs"), "{site}");

    let fixed = Config::random(1_000).write_artifact(false).explore(|| {
        let t = thread::spawn(|| assert_eq!(2 + 2, 4));
        t.join().unwrap();
    });
    assert!(fixed.is_clean(), "{fixed}");
}

/// Waits for a flag by spinning (`SET`: another thread sets it).
fn spin_on_flag<const SET: bool>() {
    let flag = Arc::new(Mutex::new(false));
    let setter = Arc::clone(&flag);
    let t = thread::spawn(move || {
        if SET {
            *setter.lock().unwrap() = true;
        }
    });
    while !*flag.lock().unwrap() {
        thread::yield_now();
    }
    t.join().unwrap();
}

#[test]
fn a_spin_loop_nobody_ends_is_a_livelock_and_its_twin_is_clean() {
    let bug = Config::random(10)
        .max_steps(500)
        .write_artifact(false)
        .explore(spin_on_flag::<false>);
    assert_eq!(kinds(&bug), [Kind::Livelock]);
    let Detail::Livelock { max_steps, running } = &bug.findings[0].detail else {
        panic!("{bug}")
    };
    assert_eq!(*max_steps, 500);
    let names: Vec<&str> = running
        .iter()
        .map(|r| bug.findings[0].threads[r.thread].name.as_str())
        .collect();
    assert_eq!(names, ["main"], "the spawned thread has finished");

    let fixed = Config::random(1_000)
        .max_steps(500)
        .write_artifact(false)
        .explore(spin_on_flag::<true>);
    assert!(fixed.is_clean(), "{fixed}");
}

#[test]
fn exhaustive_counts_of_tiny_programs() {
    let naive = || Config::exhaustive().strategy(interleave::Strategy::ExhaustiveNaive);
    // No thread: one execution.
    assert_eq!(Config::exhaustive().explore(|| {}).executions, 1);
    // Spawn then join: the join waits for the thread's exit, so it is not offered before;
    // there is never a choice. 1 execution, under naive DFS too.
    let spawn_join = || thread::spawn(|| {}).join().unwrap();
    assert_eq!(Config::exhaustive().explore(spawn_join).executions, 1);
    assert_eq!(naive().explore(spawn_join).executions, 1);
    // A yield before the join: main waits after it until another thread takes a visible step
    // (the thread's exit), then joins. Still 1.
    let with_yield = || {
        let t = thread::spawn(|| {});
        thread::yield_now();
        t.join().unwrap();
    };
    assert_eq!(Config::exhaustive().explore(with_yield).executions, 1);
    assert_eq!(naive().explore(with_yield).executions, 1);
    // Main and one thread each lock and unlock a mutex once, then main joins: the two
    // critical sections in either order, 2 executions. Naive DFS also branches at the steps
    // that touch nothing shared (the thread's start, the requests): 10.
    let one_lock_each = || {
        let m = Arc::new(Mutex::new(0));
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || *m2.lock().unwrap() += 1);
        *m.lock().unwrap() += 1;
        t.join().unwrap();
    };
    let report = Config::exhaustive().explore(one_lock_each);
    assert_eq!((report.executions, report.complete), (2, true));
    assert!(report.is_clean());
    assert_eq!(naive().explore(one_lock_each).executions, 10);
}

#[test]
fn replaying_an_artifact_gives_the_same_finding_and_a_changed_scenario_diverges() {
    let dir = child::temp_dir("replay");
    let report = Config::random(1_000)
        .seed(3)
        .detector(no_lock_order())
        .artifact_dir(&dir)
        .explore(ab_ba::<false>);
    let artifact = report.artifact.clone().expect("an artifact");
    assert!(artifact.starts_with(&dir));
    let replayed = interleave::replay(&artifact, ab_ba::<false>).unwrap();
    let prints = |r: &interleave::Report| -> Vec<String> {
        r.findings.iter().map(|f| f.fingerprint.clone()).collect()
    };
    assert_eq!(prints(&replayed), prints(&report));
    assert_eq!(replayed.executions, 1);

    let error = interleave::replay(&artifact, || {
        let m = Mutex::new(0);
        *m.lock().unwrap() += 1;
    })
    .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("schedule diverged at step "), "{message}");
}

#[test]
fn unreadable_and_corrupt_artifacts_are_clear_errors() {
    let dir = child::temp_dir("corrupt");
    let missing = dir.join("missing.json");
    let error = interleave::replay(&missing, || {}).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("read artifact {}: ", missing.display())),
        "{error}"
    );

    let cases = [
        (
            "garbage.json",
            "not json".to_owned(),
            "not an artifact: expected ident",
        ),
        (
            "version.json",
            r#"{"format_version": 9}"#.to_owned(),
            "format_version 9 is not supported (this build reads 1)",
        ),
        (
            "truncated.json",
            r#"{"format_version": 1, "check": "x""#.to_owned(),
            "not an artifact: EOF while parsing",
        ),
    ];
    for (name, contents, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        let error = interleave::replay(&path, || {}).unwrap_err().to_string();
        assert!(error.contains(expected), "{name}: {error}");
    }

    // A real artifact whose schedule text was damaged.
    let report = Config::random(10)
        .artifact_dir(&dir)
        .explore(|| panic!("boom"));
    let path = report.artifact.expect("an artifact");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut artifact: serde_json::Value = serde_json::from_str(&text).unwrap();
    artifact["schedule"] = "0.zz".into();
    std::fs::write(&path, artifact.to_string()).unwrap();
    let error = interleave::replay(&path, || {}).unwrap_err().to_string();
    assert!(
        error.contains("parse schedule: `zz` at position 1"),
        "{error}"
    );
}

#[test]
fn checks_in_parallel_threads_do_not_disturb_each_other() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let dir = child::temp_dir(&format!("parallel-{i}"));
                let report = if i % 2 == 0 {
                    Config::random(300)
                        .artifact_dir(&dir)
                        .explore(ab_ba::<true>)
                } else {
                    Config::pct(300, 3)
                        .artifact_dir(&dir)
                        .explore(ab_ba::<false>)
                };
                (i, report)
            })
        })
        .collect();
    for handle in handles {
        let (i, report) = handle.join().unwrap();
        if i % 2 == 0 {
            assert!(report.is_clean(), "{report}");
            assert_eq!(report.executions, 300);
        } else {
            assert_eq!(kinds(&report), [Kind::PotentialDeadlock]);
            let artifact = report.artifact.unwrap();
            assert!(artifact
                .to_string_lossy()
                .contains(&format!("parallel-{i}")));
        }
    }
}

// --- Child processes: environment variables, what a failing check prints, determinism.

#[test]
#[ignore = "run by other tests in a child process"]
fn child_failing_check() {
    Config::random(100)
        .seed(11)
        .detector(no_lock_order())
        .check(ab_ba::<false>);
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_clean_check() {
    interleave::check(ab_ba::<true>);
}

#[test]
fn the_same_seed_writes_byte_identical_artifacts_in_two_processes() {
    let (first, second) = (
        child::temp_dir("determinism-1"),
        child::temp_dir("determinism-2"),
    );
    for dir in [&first, &second] {
        let run = child::run(
            "check::child_failing_check",
            &[("INTERLEAVE_ARTIFACT_DIR", dir.to_str().unwrap())],
        );
        assert!(!run.success, "the check must fail: {run:?}");
    }
    let files = |dir: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        // The artifacts; the ledger's records (in `ledger/`) name the directory they are in.
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let (a, b) = (files(&first), files(&second));
    assert_eq!(
        a.len(),
        1,
        "one artifact: {:?}",
        a.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(a, b);
}

#[test]
fn a_failing_check_prints_the_report_and_the_replay_command_and_no_engine_noise() {
    let dir = child::temp_dir("noise");
    let run = child::run(
        "check::child_failing_check",
        &[("INTERLEAVE_ARTIFACT_DIR", dir.to_str().unwrap())],
    );
    assert!(!run.success);
    let output = format!("{}{}", run.stdout, run.stderr);
    assert!(
        output.contains("deadlock: 2 threads wait for each other"),
        "{output}"
    );
    assert!(
        output.contains("replay: INTERLEAVE_REPLAY=")
            && output.contains(
                "cargo test -p interleave-tests --test e2e -- check::child_failing_check --exact \
                 --include-ignored"
            ),
        "{output}"
    );
    for noise in [
        "Task failed",
        "test panicked in task",
        "serializing schedule",
        "shuttle",
    ] {
        assert!(
            !output.contains(noise),
            "engine noise `{noise}` in:\n{output}"
        );
    }
    // The printed command works: the replay fails the same way.
    let artifact = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_file())
        .unwrap();
    let replay = child::run(
        "check::child_failing_check",
        &[("INTERLEAVE_REPLAY", artifact.to_str().unwrap())],
    );
    assert!(!replay.success);
    assert!(
        format!("{}{}", replay.stdout, replay.stderr)
            .contains("deadlock: 2 threads wait for each other"),
        "{replay:?}"
    );
}

#[test]
fn malformed_environment_variables_name_the_variable_and_the_accepted_values() {
    let cases = [
        ("INTERLEAVE_SEED", "abc", "read environment variable INTERLEAVE_SEED=\"abc\": expected a number from 0 to 18446744073709551615, or `random`"),
        ("INTERLEAVE_ITERATIONS", "0", "read environment variable INTERLEAVE_ITERATIONS=\"0\": expected a number of executions, at least 1"),
        ("INTERLEAVE_STRATEGY", "loom", "read environment variable INTERLEAVE_STRATEGY=\"loom\": expected `random`, `pct`, `pct:D` or `mix:D` with a depth D of at least 1, `mix`, `exhaustive` or `exhaustive-naive`"),
        ("INTERLEAVE_MAX_PREEMPTIONS", "-1", "read environment variable INTERLEAVE_MAX_PREEMPTIONS=\"-1\": expected a number of preemptions from 0 to 4294967295, or `none`"),
        ("INTERLEAVE_MAX_PREEMPTIONS", "99999999999", "read environment variable INTERLEAVE_MAX_PREEMPTIONS=\"99999999999\": expected a number of preemptions from 0 to 4294967295, or `none`"),
    ];
    for (variable, value, message) in cases {
        let run = child::run("check::child_clean_check", &[(variable, value)]);
        assert!(!run.success, "{variable}");
        let output = format!("{}{}", run.stdout, run.stderr);
        assert!(output.contains(message), "{variable}: {output}");
    }
    let run = child::run(
        "check::child_clean_check",
        &[("INTERLEAVE_REPLAY", "/nonexistent/artifact.json")],
    );
    assert!(!run.success);
    assert!(
        format!("{}{}", run.stdout, run.stderr)
            .contains("read artifact /nonexistent/artifact.json: No such file or directory"),
        "{run:?}"
    );
    // Valid values work, with spaces around them or not, for every setting alike.
    let run = child::run(
        "check::child_clean_check",
        &[
            ("INTERLEAVE_SEED", "random"),
            ("INTERLEAVE_ITERATIONS", "50 "),
            ("INTERLEAVE_STRATEGY", "pct:2"),
            ("INTERLEAVE_JOBS", " 2"),
            ("INTERLEAVE_MAX_PREEMPTIONS", " 3 "),
        ],
    );
    assert!(run.success, "{run:?}");
}

#[test]
fn a_prediction_does_not_end_the_execution_so_a_later_panic_is_reported_too() {
    let report = Config::pct(10, 3).write_artifact(false).explore(|| {
        ab_ba::<false>();
        panic!("after the locks");
    });
    // The cycle is found first; the execution goes on and then panics: both are reported, in
    // the same execution, and the process is still here to say so.
    assert_eq!(kinds(&report), [Kind::PotentialDeadlock, Kind::Panic]);
    assert_eq!(report.failing_execution, Some(1));
}

/// Which order each thread takes two locks in depends on a race with main's store, so the two
/// edges of the cycle are usually seen in different executions: the cycle needs the lock-order
/// evidence of earlier executions.
pub(crate) fn orders_depend_on_a_race() {
    use interleave::sync::atomic::{AtomicUsize, Ordering};
    let x = Arc::new(AtomicUsize::new(0));
    let (a, b) = (Arc::new(Mutex::new(())), Arc::new(Mutex::new(())));
    let spawn = |first: &Arc<Mutex<()>>, second: &Arc<Mutex<()>>, when: usize| {
        let (x, first, second) = (Arc::clone(&x), Arc::clone(first), Arc::clone(second));
        thread::spawn(move || {
            if x.load(Ordering::SeqCst) == when {
                let _first = first.lock().unwrap();
                let _second = second.lock().unwrap();
            }
        })
    };
    let t2 = spawn(&a, &b, 1);
    let t3 = spawn(&b, &a, 0);
    x.store(1, Ordering::SeqCst);
    t2.join().unwrap();
    t3.join().unwrap();
}

#[test]
fn a_cycle_seen_across_executions_replays_with_the_executions_before_it() {
    let dir = child::temp_dir("prior");
    let mut checked = 0;
    for seed in 0..20 {
        let report = Config::random(200)
            .seed(seed)
            .artifact_dir(&dir)
            .explore(orders_depend_on_a_race);
        // The cycle; if the same execution also deadlocked on it, the deadlock carries it
        // instead (one inversion, one finding), and the cited executions are not structured.
        if kinds(&report) == [Kind::Deadlock] {
            continue;
        }
        assert_eq!(kinds(&report)[0], Kind::PotentialDeadlock, "seed {seed}");
        let path = report.artifact.clone().unwrap();
        let artifact = interleave::Artifact::read(&path).unwrap();
        let Detail::LockCycle { edges } = &report.findings[0].detail else {
            panic!("{report}")
        };
        let mut cited: Vec<u64> = edges.iter().map(|e| e.execution).collect();
        cited.sort_unstable();
        cited.dedup();
        let prior: Vec<u64> = artifact.prior.iter().map(|p| p.execution).collect();
        let earlier: Vec<u64> = cited
            .into_iter()
            .filter(|&e| e != artifact.execution)
            .collect();
        assert!(
            earlier.iter().all(|e| prior.contains(e)),
            "seed {seed}: the artifact carries the cited executions {earlier:?} (prior: {prior:?})"
        );
        assert!(prior.iter().all(|&e| e < artifact.execution), "seed {seed}");
        let replayed = interleave::replay(&path, orders_depend_on_a_race).unwrap();
        assert_eq!(
            replayed.findings[0].fingerprint, report.findings[0].fingerprint,
            "seed {seed}"
        );
        assert_eq!(replayed.executions, 1 + prior.len() as u64);
        if !prior.is_empty() {
            checked += 1;
        }
    }
    assert!(
        checked >= 5,
        "only {checked} seeds had a cycle spanning executions"
    );
}

/// A spawned thread stores a flag that `main` then loads: the child must take its first two
/// steps (its start and its store) before `main`'s load, one ordering constraint over three
/// contested steps.
fn child_sets_the_flag(seen_first: &'static std::sync::atomic::AtomicU32) {
    use interleave::sync::atomic::{AtomicBool, Ordering};
    let flag = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&flag);
    let t = thread::spawn(move || f.store(true, Ordering::Relaxed));
    if flag.load(Ordering::Relaxed) {
        seen_first.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    t.join().unwrap();
}

#[test]
fn pct_places_only_the_change_points_a_shallow_bug_needs() {
    static CHILD_FIRST: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let report = Config::pct(300, 3)
        .seed(7)
        .jobs(1)
        .write_artifact(false)
        .explore(|| child_sets_the_flag(&CHILD_FIRST));
    assert!(report.is_clean(), "{report}");
    // PCT stops once it has seen every schedule of the contested decisions: 20 executions.
    assert_eq!(report.executions, 20, "{report}");
    assert!(report.complete);
    // Each execution draws the depth it looks for, 1, 2 or 3. With depth 1 (no change point)
    // the child runs its two steps first when it has the higher priority, half the time;
    // depth 2 or 3 put a change point on one of the three steps. 7 of the 20 executions run
    // the child's store first. With 2 change points in every execution, over these 3 steps,
    // the child was demoted right after its start in all of them but 1.
    assert_eq!(
        CHILD_FIRST.load(std::sync::atomic::Ordering::Relaxed),
        7,
        "executions where the child's store came first"
    );
}

/// The same order under the weak memory model, as a user writes it: relaxed message passing.
#[test]
fn the_default_check_finds_relaxed_message_passing_in_a_short_program() {
    use interleave::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    let report = Config::default()
        .name("relaxed message passing")
        .memory_model(interleave::MemoryModel::Weak)
        .write_artifact(false)
        .explore(|| {
            let (data, flag) = (
                Arc::new(AtomicU32::new(0)),
                Arc::new(AtomicBool::new(false)),
            );
            let (d, f) = (Arc::clone(&data), Arc::clone(&flag));
            let t = thread::spawn(move || {
                d.store(42, Ordering::Relaxed);
                f.store(true, Ordering::Relaxed);
            });
            if flag.load(Ordering::Relaxed) {
                assert_eq!(data.load(Ordering::Relaxed), 42, "flag up, data stale");
            }
            t.join().unwrap();
        });
    // Found in execution 2. Before PCT drew its depth per execution it was not found in the
    // 1,000 executions of the default budget: a change point fell on one of the child's two
    // stores in every execution but the first, which ran main first.
    assert_eq!(kinds(&report), [Kind::Panic]);
    assert_eq!(report.failing_execution, Some(2));
}
