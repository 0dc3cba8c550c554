//! Never hang, never abort, never lie: what a code review of the runtime found, pinned.

use interleave::sync::{mpsc, Arc, Mutex};
use interleave::time::{sleep, Duration, Instant};
use interleave::{thread, Config, Kind, Report};

fn kinds(report: &Report) -> Vec<Kind> {
    report.findings.iter().map(|f| f.kind()).collect()
}

fn config(executions: u64) -> Config {
    Config::random(executions).seed(1).write_artifact(false)
}

/// Locks its mutex when dropped.
struct LockOnDrop(Arc<Mutex<u32>>);

impl Drop for LockOnDrop {
    fn drop(&mut self) {
        *self.0.lock().unwrap() += 1;
    }
}

#[test]
fn a_destructor_that_blocks_while_a_stopped_execution_is_torn_down_does_not_hang() {
    // The spawned thread never runs: its closure, which owns a value whose drop locks `m`, is
    // dropped while the stopped execution is torn down, with `m` still held.
    let report = config(1).explore(|| {
        let m = Arc::new(Mutex::new(0));
        let guard = m.lock().unwrap();
        let on_drop = LockOnDrop(Arc::clone(&m));
        let _t = thread::spawn(move || drop(on_drop));
        let _again = m.lock().unwrap();
        drop(guard);
    });
    assert_eq!(kinds(&report), [Kind::Deadlock]);
}

#[test]
fn a_scope_joins_its_threads_before_its_panic_goes_on() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    static SAW_DROPPED: AtomicUsize = AtomicUsize::new(0);
    struct Canary(AtomicBool);
    impl Drop for Canary {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    for seed in 0..50 {
        let report = Config::random(1)
            .seed(seed)
            .write_artifact(false)
            .explore(|| {
                let data = Canary(AtomicBool::new(false));
                thread::scope(|s| {
                    s.spawn(|| {
                        thread::yield_now();
                        if data.0.load(Ordering::SeqCst) {
                            SAW_DROPPED.fetch_add(1, Ordering::SeqCst);
                        }
                    });
                    panic!("the scope's body fails");
                });
            });
        assert_eq!(kinds(&report), [Kind::Panic], "seed {seed}");
    }
    assert_eq!(
        SAW_DROPPED.load(Ordering::SeqCst),
        0,
        "a scoped thread outlived its borrow"
    );
}

static SHARED: std::sync::LazyLock<Mutex<u32>> = std::sync::LazyLock::new(|| Mutex::new(0));

#[test]
fn a_lock_left_held_by_a_stopped_execution_is_a_clear_panic_not_a_hang() {
    // Check 1 deadlocks while a thread holds the static mutex: that thread's stack, and its
    // guard, are abandoned with the execution.
    let first = config(1).explore(|| {
        let other = Arc::new(Mutex::new(()));
        let other2 = Arc::clone(&other);
        let held = other.lock().unwrap();
        let t = thread::spawn(move || {
            let _shared = SHARED.lock().unwrap();
            let _other = other2.lock().unwrap();
        });
        t.join().unwrap();
        drop(held);
    });
    assert_eq!(kinds(&first), [Kind::Deadlock]);
    let second = config(1).explore(|| *SHARED.lock().unwrap() += 1);
    assert_eq!(kinds(&second), [Kind::Panic]);
    let interleave_detector::Detail::Panic { message, .. } = &second.findings[0].detail else {
        panic!("{second}")
    };
    assert!(
        message.contains("still held by an execution that was stopped"),
        "{message}"
    );
}

#[test]
fn polling_is_finished_lets_the_thread_finish() {
    let report = config(100).explore(|| {
        let t = thread::spawn(|| {});
        while !t.is_finished() {
            std::hint::spin_loop();
        }
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn busy_waiting_on_the_virtual_clock_is_a_livelock_not_a_hang() {
    let report = config(1).max_steps(1_000).explore(|| {
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(10) {
            std::hint::spin_loop();
        }
    });
    assert_eq!(kinds(&report), [Kind::Livelock]);
    assert!(report.findings[0]
        .headline
        .starts_with("livelock: `main` kept running"));
}

#[test]
fn a_long_loop_in_one_thread_is_not_a_livelock() {
    let report = config(1).explore(|| {
        let m = Mutex::new(0u64);
        for _ in 0..10_000 {
            *m.lock().unwrap() += 1;
        }
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_value_a_thread_returns_to_nobody_is_dropped_before_it_exits() {
    // The returned `Sender` is the last one: dropping it disconnects the channel, as with std.
    let report = config(50).explore(|| {
        let (tx, rx) = mpsc::channel::<u32>();
        drop(thread::spawn(move || tx));
        assert!(rx.recv().is_err());
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn an_execution_deadline_covers_threads_that_outlive_main() {
    let report = config(1)
        .early_timers(0.0)
        .deadline(Duration::from_millis(50))
        .explore(|| {
            let _detached = thread::spawn(|| sleep(Duration::from_millis(100)));
        });
    assert_eq!(kinds(&report), [Kind::MissedTimeout]);
}

#[test]
fn a_timer_is_not_fired_early_when_nothing_else_could_run() {
    // One thread sleeping past its deadline: there is no one its timer could overtake, so the
    // sleep is waiting, not a scheduling delay, whatever the early-firing probability.
    for early in [0.0, 1.0] {
        let report = config(10).early_timers(early).explore(|| {
            interleave::time::deadline(Duration::from_millis(50), || {
                sleep(Duration::from_millis(80))
            });
        });
        assert_eq!(
            kinds(&report),
            [Kind::MissedTimeout],
            "early_timers({early})"
        );
    }
}
