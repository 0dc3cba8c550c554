//! The weak memory model end to end: the store a load reads is a decision every strategy makes
//! and a replay repeats, the detector joins the clock of the store actually read, reports name
//! the stale loads, and the catalog's weak-memory bugs replay from their artifacts.

use interleave::cell::UnsafeCell;
use interleave::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use interleave::sync::Arc;
use interleave::{thread, Artifact, Config, Decision, Kind, MemoryModel, Schedule};

/// Message passing with a Relaxed flag and an atomic slot: the consumer may see the flag and
/// an empty slot only if its second load reads the older store.
fn message_passing() {
    let slot = Arc::new(AtomicUsize::new(0));
    let full = Arc::new(AtomicBool::new(false));
    let (s, f) = (Arc::clone(&slot), Arc::clone(&full));
    let producer = thread::spawn(move || {
        s.store(42, Ordering::Relaxed);
        f.store(true, Ordering::Relaxed);
    });
    if full.load(Ordering::Acquire) {
        assert_eq!(slot.load(Ordering::Relaxed), 42);
    }
    producer.join().unwrap();
}

/// A payload in a cell published through a flag with `store` and `load`.
fn publication(store: Ordering, load: Ordering) -> impl Fn() + Send + Sync + 'static {
    struct Mailbox {
        ready: AtomicBool,
        payload: UnsafeCell<u64>,
    }
    // SAFETY: what the flag's orderings guarantee, which the test checks.
    #[expect(unsafe_code, reason = "a user type whose Sync rests on the flag")]
    unsafe impl Sync for Mailbox {}
    #[expect(
        unsafe_code,
        reason = "the cell is read and written through its pointer"
    )]
    move || {
        let mailbox = Arc::new(Mailbox {
            ready: AtomicBool::new(false),
            payload: UnsafeCell::new(0),
        });
        let m = Arc::clone(&mailbox);
        let producer = thread::spawn(move || {
            // SAFETY: nobody reads the payload before the flag is up.
            m.payload.with_mut(|p| unsafe { *p = 7 });
            m.ready.store(true, store);
        });
        if mailbox.ready.load(load) {
            // SAFETY: the flag is up: the producer is done with the payload.
            assert_eq!(mailbox.payload.with(|p| unsafe { *p }), 7);
        }
        producer.join().unwrap();
    }
}

/// The configuration a report's strategy names (`random`, `pct:3`), 200 executions.
fn config_for(strategy: &str) -> Config {
    match strategy {
        "random" => Config::random(200),
        _ => Config::pct(200, 3),
    }
}

fn weak() -> Config {
    Config::exhaustive()
        .memory_model(MemoryModel::Weak)
        .write_artifact(false)
}

#[test]
fn the_weak_bug_is_found_by_every_strategy_and_never_under_the_default_model() {
    // Exhaustive: DPOR runs the SC outcomes first (each load reads the newest store), then the
    // stale read of the slot.
    let report = weak().explore(message_passing);
    assert_eq!(report.findings[0].kind(), Kind::Panic);
    let naive = weak()
        .strategy(interleave::Strategy::ExhaustiveNaive)
        .explore(message_passing);
    assert_eq!(naive.findings[0].kind(), Kind::Panic);
    for config in [Config::random(200), Config::pct(200, 3)] {
        let report = config
            .memory_model(MemoryModel::Weak)
            .write_artifact(false)
            .explore(message_passing);
        assert_eq!(
            report.findings[0].kind(),
            Kind::Panic,
            "{}",
            report.strategy
        );
        // The failing schedule has the load's choice in it.
        let schedule = Schedule::decode(report.schedule.as_deref().unwrap()).unwrap();
        // The same seed draws the same choices of store: the same failure.
        let again = config_for(&report.strategy)
            .seed(report.seed)
            .memory_model(MemoryModel::Weak)
            .write_artifact(false)
            .explore(message_passing);
        assert_eq!(again.schedule, report.schedule);
        assert_eq!(again.failing_execution, report.failing_execution);
        assert!(
            schedule.decisions.contains(&Decision::Read(1)),
            "{schedule}"
        );
    }
    // Sequentially consistent: every schedule explored, none fails.
    let sc = Config::exhaustive()
        .write_artifact(false)
        .explore(message_passing);
    assert!(sc.is_clean() && sc.complete, "{sc}");
}

#[test]
fn the_report_names_the_store_read_and_the_newer_one() {
    let report = weak().explore(message_passing);
    let text = report.to_string();
    assert_eq!(report.stale_reads.len(), 1, "{text}");
    let line = &report.stale_reads[0];
    // The slot's load (line 21) read the value it was created with (line 13), while the
    // producer's store of 42 (line 17) existed.
    assert!(
        line.starts_with("the load at tests/tests/e2e/weak_memory.rs:21:")
            && line.contains("read the value stored at tests/tests/e2e/weak_memory.rs:13:")
            && line.contains("a newer store at tests/tests/e2e/weak_memory.rs:17:"),
        "{line}"
    );
    assert!(
        text.contains("weak memory: loads that read an older store than the newest"),
        "{text}"
    );
}

#[test]
fn a_relaxed_publication_is_a_data_race_and_a_release_acquire_one_is_clean() {
    // The detector joins the clock of the store the load read: a Relaxed flag publishes
    // nothing, whichever store the load reads, so reading the flag up is already the race.
    let report = weak().explore(publication(Ordering::Relaxed, Ordering::Relaxed));
    assert_eq!(report.findings[0].kind(), Kind::DataRace, "{report}");
    // The race needs no stale read: the load that saw the flag read the newest store.
    assert!(report.stale_reads.is_empty(), "{report}");
    let fixed = weak().explore(publication(Ordering::Release, Ordering::Acquire));
    assert!(fixed.is_clean() && fixed.complete, "{fixed}");
}

#[test]
fn a_weak_artifact_replays_and_a_tampered_choice_of_store_is_a_divergence() {
    let dir = std::env::temp_dir().join(format!("interleave-weak-{}", std::process::id()));
    let report = Config::exhaustive()
        .memory_model(MemoryModel::Weak)
        .artifact_dir(&dir)
        .explore(message_passing);
    let path = report.artifact.clone().expect("an artifact");
    let artifact = Artifact::read(&path).unwrap();
    assert_eq!(artifact.memory_model, MemoryModel::Weak);
    assert!(artifact.schedule.contains(".l1"), "{}", artifact.schedule);
    // Replayed: the same finding, the same stale read.
    let replayed = interleave::replay(&path, message_passing).unwrap();
    assert_eq!(replayed.findings, report.findings);
    assert_eq!(replayed.stale_reads, report.stale_reads);

    // The load told to read the newest store instead: the program takes another path.
    let mut tampered = artifact.clone();
    tampered.schedule = artifact.schedule.replace(".l1", ".l0");
    let error = replay_text(&dir, &tampered);
    assert!(error.contains("schedule diverged at step"), "{error}");
    // A store it could not read.
    tampered.schedule = artifact.schedule.replace(".l1", ".l7");
    let error = replay_text(&dir, &tampered);
    assert!(
        error.contains(
            "the schedule has a load read store 7 there, but it could read only 2 stores"
        ),
        "{error}"
    );
    // The same schedule under the sequentially consistent model is refused before it runs.
    tampered.schedule = artifact.schedule.clone();
    tampered.memory_model = MemoryModel::SequentiallyConsistent;
    let error = replay_text(&dir, &tampered);
    assert!(
        error.contains(
            "its schedule has a load's choice of store (l0), but its memory model is `sc`"
        ),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes `artifact` and replays it: the error's text.
fn replay_text(dir: &std::path::Path, artifact: &Artifact) -> String {
    let path = dir.join("tampered.json");
    std::fs::write(&path, serde_json::to_string(artifact).unwrap()).unwrap();
    match interleave::replay(&path, message_passing) {
        Ok(report) => panic!("the tampered artifact replayed: {report}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn interleave_memory_model_selects_the_model() {
    let weak = crate::child::run(
        "weak_memory::child_message_passing",
        &[("INTERLEAVE_MEMORY_MODEL", "weak")],
    );
    assert!(weak.stdout.contains("findings 1"), "{weak:?}");
    let sc = crate::child::run(
        "weak_memory::child_message_passing",
        &[("INTERLEAVE_MEMORY_MODEL", "sc")],
    );
    assert!(sc.stdout.contains("findings 0"), "{sc:?}");
    let bad = crate::child::run(
        "weak_memory::child_message_passing",
        &[("INTERLEAVE_MEMORY_MODEL", "relaxed")],
    );
    assert!(
        format!("{}{}", bad.stdout, bad.stderr).contains(
            "read environment variable INTERLEAVE_MEMORY_MODEL=\"relaxed\": expected `weak` or `sc`"
        ),
        "{bad:?}"
    );
}

#[test]
#[ignore = "run by other tests in a child process"]
fn child_message_passing() {
    if !crate::child::in_child() {
        return;
    }
    let report = Config::exhaustive()
        .write_artifact(false)
        .try_explore(message_passing);
    match report {
        Ok(report) => println!("findings {}", report.findings.len()),
        Err(error) => println!("{error}"),
    }
}

#[test]
fn a_failed_compare_exchange_reads_the_newest_store_and_later_loads_never_go_back() {
    use std::collections::BTreeSet;
    use std::sync::Mutex as StdMutex;
    let seen = Arc::new(StdMutex::new(BTreeSet::new()));
    let record = Arc::clone(&seen);
    let report = weak().explore(move || {
        let x = Arc::new(AtomicUsize::new(0));
        let x2 = Arc::clone(&x);
        let t = thread::spawn(move || {
            x2.store(1, Ordering::Relaxed);
            x2.store(2, Ordering::Relaxed);
        });
        let found = x
            .compare_exchange(7, 8, Ordering::Relaxed, Ordering::Relaxed)
            .unwrap_err();
        let after = x.load(Ordering::Relaxed);
        record.lock().unwrap().insert((found, after));
        t.join().unwrap();
    });
    assert!(report.is_clean() && report.complete, "{report}");
    // The failed exchange read the newest value; the load reads it or a newer one, never an
    // older (read-read coherence), though it may read a stale value where nothing came before.
    let expected: BTreeSet<(usize, usize)> =
        [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)].into();
    assert_eq!(*seen.lock().unwrap(), expected);
}
