//! Nondeterministic scenarios: a program that takes another path under the same schedule is
//! caught at the first decision that differs, by replay and by exhaustive exploration.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering as StdOrdering};

use interleave::sync::atomic::{AtomicUsize, Ordering};
use interleave::sync::{mpsc, Arc, Mutex};
use interleave::time::{sleep, Duration};
use interleave::{thread, Config, Error, Kind, Report, Strategy};

use crate::check::orders_depend_on_a_race;
use crate::child;

fn kinds(report: &Report) -> Vec<Kind> {
    report.findings.iter().map(|f| f.kind()).collect()
}

fn fingerprints(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect()
}

/// Locks `a` then `b`, or `b` then `a` on odd calls (a counter outside interleave's control),
/// then fails.
fn alternating(calls: &AtomicU64) {
    let odd = calls.fetch_add(1, StdOrdering::SeqCst) % 2 == 1;
    let (a, b) = (Mutex::new(0), Mutex::new(0));
    let t = thread::spawn(|| {});
    let (first, second) = if odd { (&b, &a) } else { (&a, &b) };
    *first.lock().unwrap() += 1;
    *second.lock().unwrap() += 1;
    t.join().unwrap();
    panic!("the scenario always fails");
}

#[test]
fn a_scenario_that_takes_another_path_on_every_other_call_replays_as_divergence() {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let dir = child::temp_dir("alternating");
    let scenario = || alternating(&CALLS);
    let report = Config::random(1)
        .seed(1)
        .artifact_dir(&dir)
        .explore(scenario);
    assert_eq!(kinds(&report), [Kind::Panic]);
    let artifact = report.artifact.clone().expect("an artifact");
    let error = interleave::replay(&artifact, scenario).unwrap_err();
    assert!(matches!(error, Error::Diverged { .. }), "{error:?}");
    let message = error.to_string();
    // Events 1 to 3 create the mutexes and spawn; the fourth, the first lock request, differs,
    // and the third decision (the lock's scheduling point) is the first to see it.
    let expected = "schedule diverged at step 3: the program took another path than when it \
         was recorded (event 4 was thread 0 {\"event\":\"lock_request\",\"lock\":0,\
         \"mode\":\"exclusive\",\"attempt\":\"blocking\"} at tests/tests/e2e/determinism.rs:34:12, \
         but is thread 0 {\"event\":\"lock_request\",\"lock\":1,\"mode\":\"exclusive\",\
         \"attempt\":\"blocking\"} at tests/tests/e2e/determinism.rs:34:12 now); if the program \
         has not changed since it was recorded, it is not deterministic given its schedule";
    assert!(message.contains(expected), "{message}");
    // The next call takes the recorded path again: a clean replay of the same finding.
    let replayed = interleave::replay(&artifact, scenario).unwrap();
    assert_eq!(fingerprints(&replayed), fingerprints(&report));
}

/// Locks eight mutexes in the iteration order of a `HashMap` with std's random hasher, then
/// fails.
fn hash_map_order() {
    let locks: HashMap<u32, Arc<Mutex<u32>>> =
        (0..8).map(|i| (i, Arc::new(Mutex::new(i)))).collect();
    let t = thread::spawn(|| {});
    for lock in locks.values() {
        *lock.lock().unwrap() += 1;
    }
    t.join().unwrap();
    panic!("the scenario always fails");
}

#[test]
fn a_hash_map_order_that_changes_is_a_divergence_never_a_clean_replay() {
    let dir = child::temp_dir("hash-map");
    let report = Config::random(1)
        .seed(1)
        .artifact_dir(&dir)
        .explore(hash_map_order);
    let artifact = report.artifact.clone().expect("an artifact");
    let mut diverged = 0;
    for _ in 0..20 {
        match interleave::replay(&artifact, hash_map_order) {
            Ok(replayed) => assert_eq!(fingerprints(&replayed), fingerprints(&report)),
            Err(error) => {
                let message = error.to_string();
                assert!(
                    message.contains(
                        "the program took another path than when it was recorded (event "
                    ),
                    "{message}"
                );
                diverged += 1;
            }
        }
    }
    // Eight keys come out in the same order by chance once in thousands of replays.
    assert!(diverged >= 19, "{diverged} of 20 replays diverged");
}

/// Every kind of step the path digest covers: threads, locks, a channel, atomics, timers.
fn deterministic() {
    let (tx, rx) = mpsc::channel();
    let counter = Arc::new(AtomicUsize::new(0));
    let lock = Arc::new(Mutex::new(0));
    let (c, l) = (Arc::clone(&counter), Arc::clone(&lock));
    let t = thread::spawn(move || {
        sleep(Duration::from_millis(5));
        c.fetch_add(1, Ordering::AcqRel);
        *l.lock().unwrap() += 1;
        tx.send(7).unwrap();
    });
    *lock.lock().unwrap() += 1;
    let value = rx.recv().unwrap();
    t.join().unwrap();
    assert_eq!(
        value + counter.load(Ordering::Acquire),
        9,
        "fails on purpose"
    );
}

#[test]
fn a_deterministic_scenario_replays_clean_with_the_same_fingerprint() {
    let dir = child::temp_dir("deterministic");
    let report = Config::pct(10, 3)
        .seed(4)
        .artifact_dir(&dir)
        .explore(deterministic);
    assert_eq!(kinds(&report), [Kind::Panic]);
    let artifact = report.artifact.clone().expect("an artifact");
    for _ in 0..3 {
        let replayed = interleave::replay(&artifact, deterministic).unwrap();
        assert_eq!(fingerprints(&replayed), fingerprints(&report));
        assert_eq!(replayed.executions, 1);
    }
}

#[test]
fn exhaustive_exploration_of_a_nondeterministic_scenario_is_an_error_naming_the_step() {
    for strategy in [Strategy::Exhaustive, Strategy::ExhaustiveNaive] {
        static CALLS: AtomicU64 = AtomicU64::new(0);
        CALLS.store(0, StdOrdering::SeqCst);
        let error = Config::exhaustive()
            .strategy(strategy)
            .try_explore(|| {
                // The first execution takes one lock, every later one another; then main and
                // the thread race for `c`, so a second execution re-runs the prefix.
                let first = CALLS.fetch_add(1, StdOrdering::SeqCst) == 0;
                let (a, b) = (Mutex::new(0), Mutex::new(0));
                let c = Arc::new(Mutex::new(0));
                let c2 = Arc::clone(&c);
                let t = thread::spawn(move || *c2.lock().unwrap() += 1);
                *if first { &a } else { &b }.lock().unwrap() += 1;
                *c.lock().unwrap() += 1;
                t.join().unwrap();
            })
            .unwrap_err();
        assert!(matches!(error, Error::Nondeterministic { .. }), "{error:?}");
        // Decisions 1 and 2 start main and follow the spawn; the lock request before decision
        // 3 names another mutex than in the first execution.
        let message = error.to_string();
        assert!(
            message.starts_with(
                "explore: schedule diverged at step 3: the program took another path than the \
                 first time it ran this schedule prefix (its events before this step differ: \
                 threads [0, 1] can run now); the scenario is not deterministic given its \
                 schedule"
            ),
            "{strategy:?}: {message}"
        );
        // It names what the program did this time since the previous decision, where the
        // path still matched: the other mutex's lock request, at the line that chooses it.
        assert!(
            message.ends_with(
                "; this time step 2 ran: thread 0 {\"event\":\"spawn\",\"child\":1} at \
                 tests/tests/e2e/determinism.rs:161:25, thread 0 {\"event\":\"lock_request\",\
                 \"lock\":1,\"mode\":\"exclusive\",\"attempt\":\"blocking\"} at \
                 tests/tests/e2e/determinism.rs:162:46"
            ),
            "{strategy:?}: {message}"
        );
    }
}

#[test]
fn earlier_executions_are_checked_against_their_recorded_digests() {
    let dir = child::temp_dir("prior-digests");
    let (path, artifact) = (0..50)
        .find_map(|seed| {
            let report = Config::random(200)
                .seed(seed)
                .artifact_dir(&dir)
                .explore(orders_depend_on_a_race);
            let path = report.artifact?;
            let artifact = interleave::Artifact::read(&path).unwrap();
            (!artifact.prior.is_empty()).then_some((path, artifact))
        })
        .expect("a seed whose cycle spans executions");
    let prior = &artifact.prior[0];
    let decisions = interleave::Schedule::decode(&prior.schedule)
        .unwrap()
        .decisions
        .len();
    // A digest per decision, and one for the end.
    assert_eq!(prior.digests.len(), 4 * (decisions + 1));
    interleave::replay(&path, orders_depend_on_a_race).unwrap();

    let forge = |digests: String| {
        let mut forged = artifact.clone();
        forged.prior[0].digests = digests;
        let path = dir.join("forged.json");
        std::fs::write(&path, serde_json::to_string(&forged).unwrap()).unwrap();
        interleave::replay(&path, orders_depend_on_a_race)
            .unwrap_err()
            .to_string()
    };
    // The third decision's digest, changed.
    let mut digests = prior.digests.clone();
    let third = u16::from_str_radix(&digests[8..12], 16).unwrap();
    digests.replace_range(8..12, &format!("{:04x}", third ^ 1));
    let message = forge(digests);
    assert!(
        message.contains(
            "schedule diverged at step 3: the program took another path than when it was \
             recorded (its events before this step differ)"
        ),
        "{message}"
    );
    // Checked when the artifact is read, before anything runs.
    let message = forge("12345".to_owned());
    assert!(
        message.ends_with(&format!(
            "prior execution {}: its digests are 5 characters long, but its {decisions} \
             decisions need {}",
            prior.execution,
            4 * (decisions + 1)
        )),
        "{message}"
    );
    let message = forge("x".repeat(4 * (decisions + 1)));
    assert!(
        message.contains(&format!(
            "prior execution {}: digests `xxxx",
            prior.execution
        )),
        "{message}"
    );
}
