//! An object used by real threads while an execution uses it: a clear error, never a hang.

use std::time::Duration;

use interleave::sync::{Arc, Condvar, Mutex};
use interleave::{Config, Kind};
use interleave_detector::Detail;

use super::message;

#[test]
fn a_check_locking_a_mutex_a_real_thread_holds_is_a_clear_panic_finding() {
    let m = Arc::new(Mutex::new(0));
    let held = m.lock().unwrap();
    let m2 = Arc::clone(&m);
    let report = Config::random(1).write_artifact(false).explore(move || {
        *m2.lock().unwrap() += 1;
    });
    drop(held);
    assert_eq!(report.findings.len(), 1, "{report}");
    let finding = &report.findings[0];
    assert_eq!(finding.kind, Kind::Panic);
    let Detail::Panic { message, .. } = &finding.detail else {
        panic!("{finding}")
    };
    assert!(
        message
            .starts_with("interleave: the mutex created at tests/tests/e2e/real_threads/mixed.rs:")
            && message.contains("is held by a thread outside this execution"),
        "{message}"
    );
    assert_eq!(*m.lock().unwrap(), 0, "the scenario never got it");
}

#[test]
fn a_real_thread_waiting_for_a_mutex_an_execution_holds_gets_a_clear_panic() {
    let m = Arc::new(Mutex::new(0));
    let (go, ready) = std::sync::mpsc::channel::<()>();
    let (tell, outcome) = std::sync::mpsc::channel::<String>();
    let m2 = Arc::clone(&m);
    // A real thread, outside the check: it locks once the scenario holds the mutex.
    let real = std::thread::spawn(move || {
        ready.recv().unwrap();
        let result = std::panic::catch_unwind(|| drop(m2.lock()));
        tell.send(result.err().map_or_else(|| "no panic".to_owned(), message))
            .unwrap();
    });
    let m3 = Arc::clone(&m);
    let go = std::sync::Mutex::new(Some(go));
    let outcome = std::sync::Mutex::new(outcome);
    let report = Config::random(1).write_artifact(false).explore(move || {
        let _held = m3.lock().unwrap();
        if let Some(go) = go.lock().unwrap().take() {
            go.send(()).unwrap();
        }
        let told = outcome
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(5))
            .unwrap();
        assert!(
            told.contains("is held inside an interleave execution, and a thread outside any execution waits for it"),
            "{told}"
        );
    });
    real.join().unwrap();
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_check_notifying_a_condvar_a_real_thread_waits_on_is_a_clear_panic_finding() {
    let pair = Arc::new((Mutex::new(()), Condvar::new()));
    let p2 = Arc::clone(&pair);
    let waiting = std::sync::Arc::new(std::sync::Barrier::new(2));
    let w2 = std::sync::Arc::clone(&waiting);
    let real = std::thread::spawn(move || {
        let (lock, cvar) = &*p2;
        let guard = lock.lock().unwrap();
        w2.wait();
        // Waits for real time only: nobody outside the check notifies it.
        let (_guard, result) = cvar
            .wait_timeout(guard, Duration::from_millis(300))
            .unwrap();
        result.timed_out()
    });
    waiting.wait();
    // The waiter holds the mutex until it waits: once the check gets the mutex it waits.
    drop(pair.0.lock().unwrap());
    let p3 = Arc::clone(&pair);
    let report = Config::random(1)
        .write_artifact(false)
        .explore(move || p3.1.notify_one());
    assert!(real.join().unwrap(), "the real waiter timed out");
    let finding = report.findings.first().expect("a finding");
    assert_eq!(finding.kind, Kind::Panic);
    let Detail::Panic { message, .. } = &finding.detail else {
        panic!("{finding}")
    };
    assert!(
        message.contains("a thread outside this execution waits on this condvar"),
        "{message}"
    );
}

#[test]
fn a_check_sending_on_a_channel_a_real_thread_waits_on_is_a_clear_panic_finding() {
    let (tx, rx) = interleave::sync::mpsc::channel::<u8>();
    let started = std::sync::Arc::new(std::sync::Barrier::new(2));
    let s2 = std::sync::Arc::clone(&started);
    let real = std::thread::spawn(move || {
        s2.wait();
        rx.recv_timeout(Duration::from_secs(1))
    });
    // Until the receiver waits, the check would simply deliver: give it far more than the few
    // instructions from the barrier to its wait.
    started.wait();
    std::thread::sleep(Duration::from_millis(100));
    let tx = std::sync::Mutex::new(tx);
    let report = Config::random(1).write_artifact(false).explore(move || {
        let _ = tx.lock().unwrap().send(1);
    });
    let finding = report.findings.first().expect("a finding");
    let Detail::Panic { message, .. } = &finding.detail else {
        panic!("{finding}")
    };
    assert!(
        message.contains("a thread outside this execution waits on this channel"),
        "{message}"
    );
    assert!(real.join().unwrap().is_err(), "the real receiver timed out");
}
