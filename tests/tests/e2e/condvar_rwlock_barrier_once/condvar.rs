//! `Condvar`: lost wakeups and missing `notify_all`s are deadlocks, with the notification that
//! found nobody waiting named; `notify_one` wakes the longest-waiting thread.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use interleave::sync::{Arc, Condvar, Mutex, TryLockError};
use interleave::{thread, Config, Kind, Report};
use interleave_detector::{EventKind, WaitTarget};

use super::{artifact, message, named, only, steps, waiter, waits, ArtifactDir};

/// BUG: the waiter checks the flag and waits in two critical sections, with `if`: the
/// notification can come in between, and then nobody wakes it.
fn lost_wakeup() {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let p2 = Arc::clone(&pair);
    let notifier = named("notifier", move || {
        let (ready, cvar) = &*p2;
        *ready.lock().unwrap() = true;
        cvar.notify_one();
    });
    let (ready, cvar) = &*pair;
    let is_ready = *ready.lock().unwrap();
    if !is_ready {
        let guard = ready.lock().unwrap();
        drop(cvar.wait(guard).unwrap());
    }
    notifier.join().unwrap();
}

/// The fix: check and wait in one critical section, in a loop.
fn predicate_loop() {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let p2 = Arc::clone(&pair);
    let notifier = named("notifier", move || {
        let (ready, cvar) = &*p2;
        *ready.lock().unwrap() = true;
        cvar.notify_one();
    });
    let (ready, cvar) = &*pair;
    let mut guard = ready.lock().unwrap();
    while !*guard {
        guard = cvar.wait(guard).unwrap();
    }
    drop(guard);
    notifier.join().unwrap();
}

#[test]
fn lost_wakeup_is_a_deadlock_notified_before_anyone_waited() {
    let dir = ArtifactDir::new("lost-wakeup");
    let report = Config::random(1000)
        .artifact_dir(&dir.0)
        .explore(lost_wakeup);
    let finding = only(&report, Kind::Deadlock);
    assert_eq!(
        finding.headline,
        "deadlock: the only live thread is blocked"
    );
    let [wait] = waits(finding) else {
        panic!("one wait: {report}");
    };
    assert_eq!(waiter(finding, wait), "main");
    assert!(matches!(wait.target, WaitTarget::Condvar { .. }));
    // The note names the notification that found nobody waiting: the trace's only notify,
    // which came before the wait.
    let artifact = artifact(&report);
    let notify = artifact
        .trace
        .iter()
        .find(|e| matches!(e.kind, EventKind::CondvarNotify { all: false, .. }))
        .expect("the notifier notified");
    assert!(notify.step < wait.since_step);
    assert_eq!(
        wait.note.as_deref(),
        Some(format!("notified at {} before anyone waited", notify.site).as_str())
    );
    assert!(finding.to_string().contains("before anyone waited"));
    // Replaying the artifact finds the same deadlock.
    let path = report.artifact.as_ref().expect("an artifact");
    let replayed = interleave::replay(path, lost_wakeup).expect("the replay runs");
    assert_eq!(replayed.findings, report.findings);
}

#[test]
fn predicate_loop_under_the_mutex_is_clean() {
    let report = Config::random(1000)
        .write_artifact(false)
        .explore(predicate_loop);
    assert!(report.is_clean(), "{report}");
    assert!(report.complete);
    assert_eq!(report.executions, 229);
}

/// Two threads wait for one flag; main sets it and notifies one of them, or all.
fn two_waiters(notify_all: bool, config: Config) -> Report {
    config.explore(move || {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let waiters: Vec<_> = ["waiter1", "waiter2"]
            .into_iter()
            .map(|name| {
                let pair = Arc::clone(&pair);
                named(name, move || {
                    let (ready, cvar) = &*pair;
                    let _ready = cvar.wait_while(ready.lock().unwrap(), |r| !*r).unwrap();
                })
            })
            .collect();
        let (ready, cvar) = &*pair;
        *ready.lock().unwrap() = true;
        if notify_all {
            cvar.notify_all();
        } else {
            cvar.notify_one();
        }
        for waiter in waiters {
            waiter.join().unwrap();
        }
    })
}

#[test]
fn notify_one_for_two_waiters_is_a_deadlock() {
    let dir = ArtifactDir::new("notify-one");
    let report = two_waiters(false, Config::random(1000).artifact_dir(&dir.0));
    let finding = only(&report, Kind::Deadlock);
    assert_eq!(finding.headline, "deadlock: all 2 live threads are blocked");
    let waits = waits(finding);
    let main = waits.iter().find(|w| waiter(finding, w) == "main");
    let stuck = waits
        .iter()
        .find(|w| matches!(w.target, WaitTarget::Condvar { .. }))
        .expect("a waiter waits for a notification");
    let WaitTarget::Join { thread } = main.expect("main waits").target else {
        panic!("main joins: {report}");
    };
    assert_eq!(finding.threads[thread].name, waiter(finding, stuck));
    // notify_one woke the thread that had waited longer: the one left waits since later.
    let artifact = artifact(&report);
    let condvar_waits = steps(&artifact, |k| matches!(k, EventKind::CondvarWait { .. }));
    assert_eq!(
        condvar_waits.len(),
        2,
        "both waited before the notification"
    );
    assert_eq!(stuck.since_step, condvar_waits[1].0);
}

#[test]
fn notify_all_for_two_waiters_is_clean() {
    let report = two_waiters(true, Config::random(1000).write_artifact(false));
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 1000);
}

#[test]
fn notify_one_wakes_the_longest_waiting_thread() {
    // Both threads queue (the arrival order varies); main then hands out one permit at a time
    // with notify_one: they must come through in the order they queued.
    #[derive(Default)]
    struct Gate {
        queued: Vec<&'static str>,
        permits: usize,
        passed: Vec<&'static str>,
    }
    let firsts = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let firsts2 = Arc::clone(&firsts);
    let report = Config::random(300).write_artifact(false).explore(move || {
        let state = Arc::new((Mutex::new(Gate::default()), Condvar::new(), Condvar::new()));
        let threads: Vec<_> = ["first", "second"]
            .into_iter()
            .map(|name| {
                let state = Arc::clone(&state);
                named(name, move || {
                    let (gate, queued, go) = &*state;
                    let mut g = gate.lock().unwrap();
                    g.queued.push(name);
                    queued.notify_one();
                    g = go.wait_while(g, |g| g.permits == 0).unwrap();
                    g.permits -= 1;
                    g.passed.push(name);
                    queued.notify_one();
                })
            })
            .collect();
        let (gate, queued, go) = &*state;
        let mut g = queued
            .wait_while(gate.lock().unwrap(), |g| g.queued.len() < 2)
            .unwrap();
        for _ in 0..2 {
            g.permits += 1;
            go.notify_one();
            g = queued.wait_while(g, |g| g.permits > 0).unwrap();
        }
        drop(g);
        for t in threads {
            t.join().unwrap();
        }
        let g = gate.lock().unwrap();
        assert_eq!(g.passed, g.queued, "FIFO");
        let first = usize::from(g.queued[0] == "second");
        firsts2[first].fetch_add(1, Ordering::Relaxed);
    });
    assert!(report.is_clean(), "{report}");
    // Both arrival orders were explored.
    assert!(firsts.iter().all(|n| n.load(Ordering::Relaxed) > 0));
}

#[test]
fn wait_reports_a_mutex_poisoned_meanwhile() {
    // Main waits; the notifier panics (and catches it) while holding the mutex: the wait
    // returns the guard inside a PoisonError, as std's does.
    let report = Config::random(100).write_artifact(false).explore(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let (ready, cvar) = &*pair;
        // Main holds the mutex until it waits, so the notifier comes after the wait starts.
        let guard = ready.lock().unwrap();
        let p2 = Arc::clone(&pair);
        let notifier = thread::spawn(move || {
            let (ready, cvar) = &*p2;
            let failed = panic::catch_unwind(AssertUnwindSafe(|| {
                let mut ready = ready.lock().unwrap();
                *ready = true;
                cvar.notify_all();
                panic!("notifier fails");
            }));
            assert!(failed.is_err());
        });
        let result = cvar.wait_while(guard, |r| !*r);
        let guard = result.expect_err("the mutex was poisoned during the wait");
        assert!(*guard.into_inner());
        assert!(ready.is_poisoned());
        notifier.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn outside_an_execution_waits_time_out_in_real_time_and_notifications_wake() {
    let mutex = Mutex::new(());
    let cvar = Condvar::default();
    cvar.notify_one();
    cvar.notify_all();
    // Nobody notifies: the wait times out, after the timeout.
    let start = std::time::Instant::now();
    let (guard, result) = cvar
        .wait_timeout(mutex.lock().unwrap(), std::time::Duration::from_millis(30))
        .unwrap();
    assert!(result.timed_out());
    assert!(start.elapsed() >= std::time::Duration::from_millis(30));
    drop(guard);
    // A real thread notifies: the wait returns, not timed out, with the flag set.
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let p2 = Arc::clone(&pair);
    let notifier = thread::spawn(move || {
        *p2.0.lock().unwrap() = true;
        p2.1.notify_one();
    });
    let (flag, cvar2) = &*pair;
    let (guard, result) = cvar2
        .wait_timeout_while(
            flag.lock().unwrap(),
            std::time::Duration::from_secs(60),
            |set| !*set,
        )
        .unwrap();
    assert!(*guard && !result.timed_out());
    drop(guard);
    notifier.join().unwrap();
    // A panic while waiting's guard is held poisons the mutex, as std's.
    let waited = panic::catch_unwind(AssertUnwindSafe(|| {
        let _guard = cvar.wait_timeout(mutex.lock().unwrap(), std::time::Duration::ZERO);
        panic!("after the wait");
    }));
    assert_eq!(message(waited.expect_err("it panicked")), "after the wait");
    assert!(matches!(mutex.try_lock(), Err(TryLockError::Poisoned(_))));
    assert_eq!(format!("{cvar:?}"), "Condvar { .. }");
}

#[test]
fn a_notification_between_a_check_outside_the_mutex_and_the_wait_is_lost() {
    use interleave::sync::atomic::{AtomicBool, Ordering};
    use interleave::sync::{Arc, Condvar, Mutex};
    // The flag is set and notified without the lock and checked under it just before `wait`:
    // the notification can fall between the check and the wait, since the wait is a scheduling
    // point of its own.
    let report = Config::exhaustive().write_artifact(false).explore(|| {
        let ready = Arc::new(AtomicBool::new(false));
        let pair = Arc::new((Mutex::new(()), Condvar::new()));
        let (flag, shared) = (Arc::clone(&ready), Arc::clone(&pair));
        let notifier = interleave::thread::spawn(move || {
            flag.store(true, Ordering::SeqCst);
            shared.1.notify_one();
        });
        let guard = pair.0.lock().unwrap();
        if !ready.load(Ordering::SeqCst) {
            drop(pair.1.wait(guard).unwrap());
        }
        notifier.join().unwrap();
    });
    assert_eq!(
        report.findings.iter().map(|f| f.kind()).collect::<Vec<_>>(),
        [Kind::Deadlock],
        "{report}"
    );
    assert!(report.findings[0]
        .to_string()
        .contains("before anyone waited"));
}
