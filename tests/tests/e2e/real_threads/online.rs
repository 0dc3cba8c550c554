//! Online lock-order detection on real threads: an inversion seen by threads that never
//! deadlocked is reported with both paths, thread names and sites, and the fingerprint a check
//! gives the same code; the suppressions of a check but happens-before; the modes; realized
//! deadlocks reported instead of hung.

use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use interleave::online::{self, Mode};
use interleave::sync::{Arc, Barrier, Mutex, RwLock};
use interleave::{thread, Artifact, Config, Kind};
use interleave_detector::Detail;

use super::{message, reported_for};
use crate::child;

/// Two locks made here, taken `a` then `b` by a thread named `first` and `b` then `a` by one
/// named `second`: one after the other (never a deadlock, always an inversion), or at once.
fn ab_then_ba(first: &str, second: &str, one_after_the_other: bool) {
    let a = Arc::new(Mutex::new(0));
    let b = Arc::new(Mutex::new(0));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let take_ab = move || {
        let _a = a2.lock().unwrap(); // ab: a
        let _b = b2.lock().unwrap(); // ab: b
    };
    let take_ba = move || {
        let _b = b.lock().unwrap(); // ba: b
        let _a = a.lock().unwrap(); // ba: a
    };
    let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(f)
            .unwrap()
    };
    let t1 = spawn(first, Box::new(take_ab));
    if one_after_the_other {
        t1.join().unwrap();
        spawn(second, Box::new(take_ba)).join().unwrap();
    } else {
        let t2 = spawn(second, Box::new(take_ba));
        t1.join().unwrap();
        t2.join().unwrap();
    }
}

/// The line of this file that ends with `marker`.
fn line_of(marker: &str) -> u32 {
    let source = include_str!("online.rs");
    let index = source
        .lines()
        .position(|l| l.ends_with(marker))
        .expect("the marker is in this file");
    index as u32 + 1
}

#[test]
fn an_inversion_that_never_deadlocked_is_reported_as_a_check_reports_it() {
    let _warn = online::scoped(Mode::Warn);
    ab_then_ba("online-first", "online-second", true);
    let findings = reported_for("online-second");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = &findings[0];
    assert_eq!(finding.kind, Kind::PotentialDeadlock);
    assert_eq!(
        finding.headline,
        "potential deadlock: lock-order cycle between 2 threads"
    );
    let Detail::LockCycle { edges } = &finding.detail else {
        panic!("{finding}")
    };
    let paths: Vec<(String, u32, u32)> = edges
        .iter()
        .map(|e| {
            (
                finding.threads[e.thread].name.clone(),
                e.held_at.line,
                e.requested_at.line,
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            (
                "online-first".to_owned(),
                line_of("// ab: a"),
                line_of("// ab: b")
            ),
            (
                "online-second".to_owned(),
                line_of("// ba: b"),
                line_of("// ba: a")
            ),
        ]
    );
    let text = finding.to_string();
    assert!(text.contains("(on real threads)"), "{text}");
    assert!(text.contains("on real threads; fingerprint"), "{text}");
    // The same code explored by a check, the threads at once (one after the other, the join
    // orders them): the same finding, by fingerprint.
    let report = Config::pct(200, 3)
        .write_artifact(false)
        .explore(|| ab_then_ba("check-first", "check-second", false));
    let checked = report
        .findings
        .iter()
        .find(|f| f.kind == Kind::PotentialDeadlock)
        .expect("the check finds it too");
    assert_eq!(checked.fingerprint, finding.fingerprint);
}

#[test]
fn one_thread_a_gate_and_reads_without_a_writer_are_not_reported() {
    let _warn = online::scoped(Mode::Warn);
    // One thread, both orders.
    let (a, b) = (Mutex::new(()), Mutex::new(()));
    thread::Builder::new()
        .name("online-alone".to_owned())
        .spawn(move || {
            drop((a.lock().unwrap(), b.lock().unwrap()));
            drop((b.lock().unwrap(), a.lock().unwrap()));
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(reported_for("online-alone").is_empty());
    // Both orders, each under the gate.
    let gate = Arc::new(Mutex::new(()));
    let (c, d) = (Arc::new(Mutex::new(())), Arc::new(Mutex::new(())));
    for (name, flip) in [("online-gated-1", false), ("online-gated-2", true)] {
        let (gate, c, d) = (Arc::clone(&gate), Arc::clone(&c), Arc::clone(&d));
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _gate = gate.lock().unwrap();
                let (first, second) = if flip { (&d, &c) } else { (&c, &d) };
                drop((first.lock().unwrap(), second.lock().unwrap()));
            })
            .unwrap()
            .join()
            .unwrap();
    }
    assert!(reported_for("online-gated-2").is_empty());
    // Read/read in both orders with no writer: cannot deadlock.
    let (e, f) = (Arc::new(RwLock::new(())), Arc::new(RwLock::new(())));
    for (name, flip) in [("online-reader-1", false), ("online-reader-2", true)] {
        let (e, f) = (Arc::clone(&e), Arc::clone(&f));
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let (first, second) = if flip { (&f, &e) } else { (&e, &f) };
                drop((first.read().unwrap(), second.read().unwrap()));
            })
            .unwrap()
            .join()
            .unwrap();
    }
    assert!(reported_for("online-reader-2").is_empty());
}

#[test]
fn mode_off_records_nothing_and_a_scope_ends_with_its_guard() {
    {
        let _off = online::scoped(Mode::Off);
        assert_eq!(online::mode(), Mode::Off);
        ab_then_ba("online-off-first", "online-off-second", true);
    }
    assert_ne!(online::mode(), Mode::Off);
    assert!(reported_for("online-off-second").is_empty());
}

#[test]
fn relocking_a_held_lock_is_a_deadlock_report_not_a_hang() {
    let m = Mutex::new(());
    let _held = m.lock().unwrap();
    let relocked = panic::catch_unwind(AssertUnwindSafe(|| drop(m.lock())));
    let text = message(relocked.expect_err("a thread waiting for itself panics"));
    assert!(
        text.contains("deadlock: thread `real_threads::online::relocking_a_held_lock_is_a_deadlock_report_not_a_hang` locks a lock it already holds"),
        "{text}"
    );
    assert!(text.contains("artifact: "), "{text}");
}

#[test]
fn a_deadlock_of_real_threads_panics_in_one_of_them_and_the_other_goes_on() {
    // Off: the inversion would be reported (and panic) before it could deadlock.
    let _off = online::scoped(Mode::Off);
    let a = Arc::new(Mutex::new(()));
    let b = Arc::new(Mutex::new(()));
    let both_hold = Arc::new(Barrier::new(2));
    let side = |name: &str, first: &Arc<Mutex<()>>, second: &Arc<Mutex<()>>| {
        let (first, second, both_hold) = (
            Arc::clone(first),
            Arc::clone(second),
            Arc::clone(&both_hold),
        );
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _first = first.lock().unwrap();
                both_hold.wait();
                // The victim's panic poisons what it held: the survivor gets it poisoned.
                let _second = second.lock();
            })
            .unwrap()
    };
    let start = std::time::Instant::now();
    let left = side("deadlock-left", &a, &b);
    let right = side("deadlock-right", &b, &a);
    let results = [left.join(), right.join()];
    assert!(start.elapsed() < Duration::from_secs(10));
    let failed: Vec<String> = results
        .into_iter()
        .filter_map(|r| r.err().map(message))
        .collect();
    assert_eq!(failed.len(), 1, "exactly one thread of the cycle panics");
    let text = &failed[0];
    assert!(
        text.contains("deadlock: 2 threads wait for each other"),
        "{text}"
    );
    for name in [
        "`deadlock-left` waits for mutex@",
        "`deadlock-right` waits for mutex@",
    ] {
        assert!(text.contains(name), "{text}");
    }
    assert!(text.contains("held by `deadlock-"), "{text}");
}

// The default mode, in child processes: two ordinary tests, run one after the other, take two
// locks in opposite orders. Neither deadlocks; the second fails with the report.

/// The locks of the pair below: each test makes its own, at the same sites.
struct Accounts {
    savings: Mutex<u64>,
    checking: Mutex<u64>,
}

impl Accounts {
    fn new() -> Self {
        Accounts {
            savings: Mutex::new(100),
            checking: Mutex::new(0),
        }
    }

    fn to_checking(&self, amount: u64) {
        let mut savings = self.savings.lock().unwrap();
        let mut checking = self.checking.lock().unwrap();
        *savings -= amount;
        *checking += amount;
    }

    fn to_savings(&self, amount: u64) {
        let mut checking = self.checking.lock().unwrap();
        let mut savings = self.savings.lock().unwrap();
        *checking -= amount;
        *savings += amount;
    }
}

#[test]
#[ignore = "run by online_detection_fails_the_second_of_two_tests in a child process"]
fn pair_a_moves_to_checking() {
    if !child::in_child() {
        return;
    }
    let accounts = Accounts::new();
    accounts.to_checking(10);
    assert_eq!(*accounts.checking.lock().unwrap(), 10);
}

#[test]
#[ignore = "run by online_detection_fails_the_second_of_two_tests in a child process"]
fn pair_b_moves_to_savings() {
    if !child::in_child() {
        return;
    }
    let accounts = Accounts::new();
    accounts.to_checking(10);
    accounts.to_savings(5);
    assert_eq!(*accounts.savings.lock().unwrap(), 95);
}

const PAIR: &str = "real_threads::online::pair_";

#[test]
fn online_detection_fails_the_second_of_two_tests() {
    let dir = child::temp_dir("online-pair");
    let run = child::run_filtered(PAIR, &[("INTERLEAVE_ARTIFACT_DIR", dir.as_os_str())]);
    assert!(!run.success, "{}{}", run.stdout, run.stderr);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(
        out.contains(&format!("test {PAIR}a_moves_to_checking ... ok")),
        "{out}"
    );
    assert!(
        out.contains(&format!("test {PAIR}b_moves_to_savings ... FAILED")),
        "{out}"
    );
    for expected in [
        "potential deadlock: lock-order cycle between 2 threads",
        &format!("`{PAIR}a_moves_to_checking` holds mutex@online.rs:"),
        &format!("`{PAIR}b_moves_to_savings` holds mutex@online.rs:"),
        "explain: interleave explain ",
    ] {
        assert!(out.contains(expected), "{expected:?} in {out}");
    }
    let artifacts: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(artifacts.len(), 1, "{artifacts:?}");
    let artifact = Artifact::read(&artifacts[0]).unwrap();
    assert_eq!(artifact.engine, "real-threads");
    assert_eq!(artifact.check, format!("{PAIR}b_moves_to_savings"));
    assert!(artifact.schedule.is_empty() && artifact.trace.is_empty());
    assert_eq!(artifact.findings.len(), 1);
    assert_eq!(artifact.findings[0].kind, Kind::PotentialDeadlock);
    // Real threads have no schedule: a replay says so instead of running anything.
    let error = interleave::replay(&artifacts[0], || {})
        .unwrap_err()
        .to_string();
    assert!(
        error.ends_with(
            "it was recorded on real threads (online lock-order detection), which have no \
             schedule to replay: run the tests again to see it"
        ),
        "{error}"
    );
}

#[test]
fn interleave_online_says_what_a_finding_does() {
    let warn = child::run_filtered(PAIR, &[("INTERLEAVE_ONLINE", "warn")]);
    assert!(warn.success, "{}{}", warn.stdout, warn.stderr);
    assert!(
        warn.stderr
            .contains("potential deadlock: lock-order cycle between 2 threads"),
        "{}",
        warn.stderr
    );
    let off = child::run_filtered(PAIR, &[("INTERLEAVE_ONLINE", "off")]);
    assert!(off.success, "{}{}", off.stdout, off.stderr);
    assert!(!off.stderr.contains("potential deadlock"), "{}", off.stderr);
    let bad = child::run_filtered(PAIR, &[("INTERLEAVE_ONLINE", "loud")]);
    assert!(!bad.success);
    let out = format!("{}{}", bad.stdout, bad.stderr);
    assert!(
        out.contains(
            "interleave: read environment variable INTERLEAVE_ONLINE=\"loud\": expected `panic`, `warn` or `off`"
        ),
        "{out}"
    );
}

#[test]
fn named_locks_are_shown_by_their_names_on_real_threads() {
    let _warn = online::scoped(Mode::Warn);
    let (from, to) = (
        Arc::new(Mutex::named("online-from", 0)),
        Arc::new(Mutex::named("online-to", 0)),
    );
    let (from2, to2) = (Arc::clone(&from), Arc::clone(&to));
    thread::Builder::new()
        .name("online-named-first".to_owned())
        .spawn(move || {
            let _from = from2.lock().unwrap();
            let _to = to2.lock().unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
    thread::Builder::new()
        .name("online-named-second".to_owned())
        .spawn(move || {
            let _to = to.lock().unwrap();
            let _from = from.lock().unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
    let findings = reported_for("online-named-second");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let names: Vec<Option<&str>> = findings[0]
        .objects
        .iter()
        .map(|o| o.name.as_deref())
        .collect();
    assert_eq!(names, [Some("online-from"), Some("online-to")]);
    let report = findings[0].to_string();
    assert!(
        report.contains("cycle: online-from → online-to → online-from"),
        "{report}"
    );
}
