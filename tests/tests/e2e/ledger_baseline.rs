//! The CI gate's parts in the harness: the record every check leaves in the ledger, the one
//! line a passing check prints, and the baseline — an accepted finding is recorded and the check
//! explores on, so that a known bug hides no other.

use std::path::Path;

use interleave::{
    Baseline, BaselineEntry, CheckResult, Config, Kind, LedgerMode, LedgerRecord, Report, Rerun,
    Strategy, TargetKind,
};

use interleave::sync::{Arc, Mutex};
use interleave::thread;

use crate::check::ab_ba;
use crate::child;

fn kinds(report: &Report) -> Vec<Kind> {
    report.findings.iter().map(|f| f.kind()).collect()
}

fn prints(findings: &[interleave::Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.fingerprint.as_str()).collect()
}

/// A baseline file accepting `findings` of `check`.
fn baseline(dir: &Path, check: &str, findings: &[&interleave::Finding]) -> std::path::PathBuf {
    let path = dir.join(format!("baseline-{}.json", findings.len()));
    Baseline {
        accepted: findings
            .iter()
            .map(|f| BaselineEntry::new(check, f, "known"))
            .collect(),
        ..Baseline::default()
    }
    .write(&path)
    .unwrap();
    path
}

fn exhaustive(name: &str) -> Config {
    Config::exhaustive().name(name).write_artifact(false)
}

#[test]
fn an_accepted_cycle_is_recorded_and_the_check_goes_on_to_the_deadlock_it_predicts() {
    let dir = child::temp_dir("baseline");
    // Without a baseline, the check stops at the cycle, in the first execution.
    let cycle = exhaustive("ab_ba").explore(ab_ba::<false>);
    assert_eq!(kinds(&cycle), [Kind::PotentialDeadlock]);
    assert_eq!(cycle.failing_execution, Some(1));
    // The cycle accepted: recorded, and exploration goes on. The schedules that deadlock on
    // those two locks realize that very cycle (one inversion, one finding): accepted too.
    let one = baseline(&dir, "ab_ba", &[&cycle.findings[0]]);
    let clean = exhaustive("ab_ba").baseline(&one).explore(ab_ba::<false>);
    assert!(clean.is_clean() && clean.complete, "{clean}");
    assert_eq!(prints(&clean.accepted)[0], cycle.findings[0].fingerprint);
    let realized: Vec<&interleave::Finding> = clean.accepted[1..].iter().collect();
    assert!(!realized.is_empty(), "{clean}");
    for deadlock in &realized {
        let interleave_detector::Detail::Deadlock {
            predicted: Some(predicted),
            ..
        } = &deadlock.detail
        else {
            panic!("{deadlock}")
        };
        assert_eq!(predicted.fingerprint, cycle.findings[0].fingerprint);
    }
    // As many executions as the same tree without the lock-order analysis, its deadlocks
    // accepted by their own fingerprints: the accepted cycle changed nothing of what was
    // explored.
    let deadlocks = baseline(&dir, "ab_ba", &realized);
    let without_cycles = exhaustive("ab_ba")
        .detector(interleave_detector::DetectorConfig {
            lock_order: false,
            ..interleave_detector::DetectorConfig::default()
        })
        .baseline(&deadlocks)
        .explore(ab_ba::<false>);
    assert!(
        without_cycles.is_clean() && without_cycles.complete,
        "{without_cycles}"
    );
    assert_eq!(clean.executions, without_cycles.executions);
    let both = one;
    // An entry accepts the finding of its own check only.
    let other = exhaustive("another_check")
        .baseline(&both)
        .explore(ab_ba::<false>);
    assert_eq!(kinds(&other), [Kind::PotentialDeadlock]);
    // A baseline that cannot be read is an error, not an empty baseline.
    let error = exhaustive("ab_ba")
        .baseline(dir.join("missing.json"))
        .try_explore(ab_ba::<false>)
        .unwrap_err();
    assert!(
        matches!(error, interleave::Error::Baseline { .. }),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// AB-BA that deadlocks in every execution: each thread tells the other when it holds its
/// first lock. A third thread runs `third` on an atomic that main gives to `main_first` first
/// (before the handshake, so before the deadlock).
fn ab_ba_with_a_handshake(
    third: fn(&interleave::sync::atomic::AtomicUsize),
    main_first: fn(&interleave::sync::atomic::AtomicUsize),
) {
    use interleave::sync::atomic::AtomicUsize;
    use interleave::sync::mpsc;
    let a = Arc::new(Mutex::new(0));
    let b = Arc::new(Mutex::new(0));
    let data = Arc::new(AtomicUsize::new(0));
    let (holds_a, main_waits) = mpsc::channel();
    let (holds_b, t1_waits) = mpsc::channel();
    let (a1, b1) = (Arc::clone(&a), Arc::clone(&b));
    let t1 = thread::spawn(move || {
        let _a = a1.lock().unwrap();
        holds_a.send(()).unwrap();
        t1_waits.recv().unwrap();
        let _b = b1.lock().unwrap();
    });
    let data2 = Arc::clone(&data);
    let t2 = thread::spawn(move || third(&data2));
    main_first(&data);
    main_waits.recv().unwrap();
    let _b = b.lock().unwrap();
    holds_b.send(()).unwrap();
    let _a = a.lock().unwrap();
    drop((t1, t2));
}

/// The third thread's store races with main's load.
fn ab_ba_every_time() {
    use interleave::sync::atomic::Ordering;
    ab_ba_with_a_handshake(
        |data| data.store(1, Ordering::SeqCst),
        |data| {
            data.load(Ordering::SeqCst);
        },
    );
}

#[test]
fn an_accepted_cycle_accepts_each_deadlock_that_realizes_it_when_the_first_did_too() {
    let dir = child::temp_dir("baseline-realized");
    // The first execution predicts the cycle and deadlocks on it: one finding, the deadlock,
    // carrying the cycle's fingerprint.
    let first = exhaustive("ab_ba_every_time").explore(ab_ba_every_time);
    assert_eq!(kinds(&first), [Kind::Deadlock]);
    assert_eq!(first.failing_execution, Some(1));
    let interleave_detector::Detail::Deadlock {
        predicted: Some(predicted),
        ..
    } = &first.findings[0].detail
    else {
        panic!("{first}")
    };
    // The cycle accepted: every execution deadlocks on it, and each is accepted, the later ones
    // through the first's prediction (the cycle is not reported again in them).
    let path = dir.join("baseline.json");
    Baseline {
        accepted: vec![BaselineEntry {
            check: "ab_ba_every_time".to_owned(),
            fingerprint: predicted.fingerprint.clone(),
            kind: Kind::PotentialDeadlock,
            headline: "lock-order cycle between 2 threads".to_owned(),
            reason: "known".to_owned(),
        }],
        ..Baseline::default()
    }
    .write(&path)
    .unwrap();
    let accepted = Config::exhaustive()
        .name("ab_ba_every_time")
        .artifact_dir(&dir)
        .baseline(&path)
        .explore(ab_ba_every_time);
    assert!(accepted.is_clean() && accepted.complete, "{accepted}");
    // Three executions: the first deadlocks before `t2` ran, which cuts off what `t2` would
    // have done (so it is run earlier too); then `t2`'s store after main's load, and before it.
    assert_eq!(accepted.executions, 3);
    assert_eq!(
        prints(&accepted.accepted),
        [first.findings[0].fingerprint.as_str()]
    );
    // Its ledger record names the cycle too, so `interleave ci` does not call the entry fixed.
    let records = LedgerRecord::read_dir(&dir).unwrap();
    let [record] = &records[..] else {
        panic!("{records:?}")
    };
    assert_eq!(
        record.fingerprints().collect::<Vec<_>>(),
        [
            first.findings[0].fingerprint.as_str(),
            predicted.fingerprint.as_str()
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Main and `t1` deadlock in every execution; `t2` panics if it runs before main's store, which
/// comes before the deadlock.
fn deadlock_and_a_third_thread() {
    use interleave::sync::atomic::Ordering;
    ab_ba_with_a_handshake(
        |data| assert_ne!(data.load(Ordering::SeqCst), 0, "t2 ran before main's store"),
        |data| data.store(1, Ordering::SeqCst),
    );
}

#[test]
fn an_accepted_deadlock_hides_no_bug_of_a_thread_it_cut_off() {
    let dir = child::temp_dir("baseline-cut");
    let deadlock = exhaustive("cut").explore(deadlock_and_a_third_thread);
    assert_eq!(kinds(&deadlock), [Kind::Deadlock]);
    let path = baseline(&dir, "cut", &[&deadlock.findings[0]]);
    // The deadlock ends each execution it happens in, before `t2` runs unless it ran earlier:
    // what `t2` would have done next is explored by running it earlier, and the panic is
    // found, under DPOR as under naive DFS.
    // DPOR: the first execution deadlocks before `t2` ran; the two after it run `t2` earlier,
    // the second of them before main's store. Naive DFS gets there after every order of the
    // steps after the store.
    for (strategy, first) in [(Strategy::Exhaustive, 3), (Strategy::ExhaustiveNaive, 211)] {
        let report = exhaustive("cut")
            .strategy(strategy)
            .baseline(&path)
            .explore(deadlock_and_a_third_thread);
        assert_eq!(kinds(&report), [Kind::Panic], "{strategy:?}: {report}");
        assert_eq!(report.failing_execution, Some(first), "{strategy:?}");
        assert_eq!(
            prints(&report.accepted),
            [deadlock.findings[0].fingerprint.as_str()]
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_check_leaves_one_record_named_by_its_check_and_ordinal() {
    let dir = child::temp_dir("ledger");
    let config = |name: &str, executions| Config::pct(executions, 3).name(name).artifact_dir(&dir);
    let twice: Vec<Report> = (0..2)
        .map(|_| config("ledger_twice", 20).explore(ab_ba::<true>))
        .collect();
    let bug = config("ledger_bug", 10).explore(ab_ba::<false>);
    let records = LedgerRecord::read_dir(&dir).unwrap();
    let keys: Vec<_> = records
        .iter()
        .map(|r| (r.check.as_str(), r.ordinal, r.mode, r.result))
        .collect();
    assert_eq!(
        keys,
        [
            ("ledger_bug", 1, LedgerMode::Explore, CheckResult::Findings),
            ("ledger_twice", 1, LedgerMode::Explore, CheckResult::Clean),
            ("ledger_twice", 2, LedgerMode::Explore, CheckResult::Clean),
        ]
    );
    let record = &records[0];
    assert_eq!(
        (
            record.executions,
            record.budget,
            record.seed,
            record.complete
        ),
        (1, 10, Some(bug.seed), false)
    );
    assert_eq!(
        record
            .findings
            .iter()
            .map(|f| (f.fingerprint.as_str(), f.kind, f.execution))
            .collect::<Vec<_>>(),
        [(
            bug.findings[0].fingerprint.as_str(),
            Kind::PotentialDeadlock,
            1
        )]
    );
    let artifact = bug.artifact.as_ref().unwrap();
    assert_eq!(
        record.artifact.as_deref(),
        artifact.file_name().and_then(|n| n.to_str())
    );
    assert_eq!(record.replay_command, bug.replay_command);
    assert_eq!(record.message.as_deref(), Some(bug.to_string().as_str()));
    let Rerun::Test(rerun) = &record.rerun else {
        panic!("{:?}", record.rerun)
    };
    assert_eq!(rerun.package.as_deref(), Some("interleave-tests"));
    assert_eq!(
        rerun.target.as_ref().map(|t| (t.kind, t.name.as_str())),
        Some((TargetKind::Test, "e2e"))
    );
    assert_eq!(
        rerun.test,
        "ledger_baseline::every_check_leaves_one_record_named_by_its_check_and_ordinal"
    );
    assert_eq!(rerun.workdir.as_deref(), Some("tests"));
    for (record, report) in records[1..].iter().zip(&twice) {
        assert_eq!(
            (record.executions, record.complete, record.findings.len()),
            (report.executions, report.complete, 0)
        );
        assert_eq!(
            (record.artifact.as_ref(), record.message.as_ref()),
            (None, None)
        );
    }
    // One file each, and nothing else in the ledger.
    let files = std::fs::read_dir(dir.join("ledger")).unwrap().count();
    assert_eq!(files, 3);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
#[ignore = "run by the test below, in a child process"]
fn child_passing_check() {
    if !child::in_child() {
        return;
    }
    Config::exhaustive()
        .write_artifact(false)
        .check(ab_ba::<false>);
}

#[test]
fn a_passing_check_prints_one_line_and_the_environment_s_baseline_applies() {
    let dir = child::temp_dir("baseline-env");
    let name = "ledger_baseline::child_passing_check";
    let cycle = exhaustive(name)
        .baseline(dir.join("none"))
        .try_explore(ab_ba::<false>);
    assert!(cycle.is_err());
    let cycle = exhaustive(name).explore(ab_ba::<false>);
    let one = baseline(&dir, name, &[&cycle.findings[0]]);
    let run = child::run(name, &[("INTERLEAVE_BASELINE", one.to_str().unwrap())]);
    assert!(run.success, "{}{}", run.stdout, run.stderr);
    // libtest prints `test <name> ... ` first, on the same line.
    let line = run
        .stdout
        .lines()
        .find_map(|l| l.split_once("interleave: ").map(|(_, line)| line))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    // The accepted cycle, and the deadlocks that realize it.
    let clean = exhaustive(name).baseline(&one).explore(ab_ba::<false>);
    assert!(clean.accepted.len() > 1, "{clean}");
    assert_eq!(
        line,
        format!(
            "`{name}` is clean after {} executions, every schedule explored (exhaustive, seed \
             {}); {} findings accepted by the baseline ({})",
            clean.executions,
            cycle.seed,
            clean.accepted.len(),
            prints(&clean.accepted).join(", ")
        )
    );
    let empty = baseline(&dir, name, &[]);
    let run = child::run(name, &[("INTERLEAVE_BASELINE", empty.to_str().unwrap())]);
    assert!(!run.success);
    let output = format!("{}{}", run.stdout, run.stderr);
    assert!(
        output.contains("potential deadlock: lock-order cycle between 2 threads"),
        "{output}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_finding_after_an_accepted_one_replays_past_it() {
    let dir = child::temp_dir("baseline-replay");
    let name = "ab_ba_replayed";
    let cycle = exhaustive(name).explore(ab_ba_then_lost_update);
    let one = baseline(&dir, name, &[&cycle.findings[0]]);
    let deadlock = Config::exhaustive()
        .name(name)
        .artifact_dir(&dir)
        .baseline(&one)
        .explore(ab_ba_then_lost_update);
    assert_eq!(kinds(&deadlock), [Kind::Panic], "{deadlock}");
    let path = deadlock.artifact.clone().unwrap();
    let artifact = interleave::Artifact::read(&path).unwrap();
    assert_eq!(artifact.accepted, prints(&cycle.findings));
    assert_eq!(artifact.budget, 100_000);
    // The execution that found the cycle added to the lock-order graph: it is replayed first,
    // finds the accepted cycle again, and the replay goes on to the deadlock.
    assert_eq!(artifact.prior[0].execution, 1);
    let replay = interleave::replay(&path, ab_ba_then_lost_update).unwrap();
    assert_eq!(prints(&replay.findings), prints(&deadlock.findings));
    assert_eq!(prints(&replay.accepted), prints(&cycle.findings));
    let _ = std::fs::remove_dir_all(dir);
}

/// The AB-BA cycle (accepted by the test), then an update lost between two threads: a finding
/// of its own, in a later execution.
fn ab_ba_then_lost_update() {
    use interleave::sync::atomic::{AtomicUsize, Ordering};
    use interleave::sync::Arc;
    ab_ba::<false>();
    let counter = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&counter);
    let t = interleave::thread::spawn(move || {
        let v = c.load(Ordering::SeqCst);
        c.store(v + 1, Ordering::SeqCst);
    });
    let v = counter.load(Ordering::SeqCst);
    counter.store(v + 1, Ordering::SeqCst);
    t.join().unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 2, "an update was lost");
}
