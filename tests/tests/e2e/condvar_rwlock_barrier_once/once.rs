//! `Once` and `OnceLock`: the initialiser runs once, latecomers wait for it, and completion
//! happens before every observation.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use interleave::cell::UnsafeCell;
use interleave::sync::{Arc, Once, OnceLock};
use interleave::{thread, Config, Kind};

use super::{message, named, only, thread_names};

#[test]
fn once_lock_initialiser_runs_exactly_once() {
    let winners = Arc::new([
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ]);
    let winners2 = Arc::clone(&winners);
    let report = Config::random(300).write_artifact(false).explore(move || {
        let cell = Arc::new(OnceLock::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let init = move |cell: Arc<OnceLock<usize>>, runs: Arc<AtomicUsize>, me: usize| {
            *cell.get_or_init(|| {
                runs.fetch_add(1, Ordering::Relaxed);
                me
            })
        };
        let handles: Vec<_> = (1..3)
            .map(|me| {
                let (cell, runs) = (Arc::clone(&cell), Arc::clone(&runs));
                thread::spawn(move || init(cell, runs, me))
            })
            .collect();
        let winner = init(Arc::clone(&cell), Arc::clone(&runs), 0);
        for h in handles {
            assert_eq!(h.join().unwrap(), winner, "everyone sees the one value");
        }
        assert_eq!(runs.load(Ordering::Relaxed), 1, "the initialiser ran once");
        assert_eq!(cell.get(), Some(&winner));
        winners2[winner].fetch_add(1, Ordering::Relaxed);
    });
    assert!(report.is_clean(), "{report}");
    // Each thread won the race in some execution.
    assert!(winners.iter().all(|n| n.load(Ordering::Relaxed) > 0));
}

#[test]
fn callers_wait_for_the_running_initialiser() {
    // The initialiser yields half-way; a caller that arrives meanwhile must not return before
    // it finishes.
    let overlapped = Arc::new(AtomicUsize::new(0));
    let overlapped2 = Arc::clone(&overlapped);
    let report = Config::random(300).write_artifact(false).explore(move || {
        let once = Arc::new(Once::new());
        let (started, done) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let call = {
            let overlapped = Arc::clone(&overlapped2);
            move |once: Arc<Once>, started: Arc<AtomicBool>, done: Arc<AtomicBool>| {
                if started.load(Ordering::Relaxed) && !done.load(Ordering::Relaxed) {
                    overlapped.fetch_add(1, Ordering::Relaxed);
                }
                once.call_once(|| {
                    started.store(true, Ordering::Relaxed);
                    thread::yield_now();
                    done.store(true, Ordering::Relaxed);
                });
                assert!(
                    done.load(Ordering::Relaxed),
                    "returned before the initialiser finished"
                );
                assert!(once.is_completed());
            }
        };
        let (o, s, d, c) = (once.clone(), started.clone(), done.clone(), call.clone());
        let t = thread::spawn(move || c(o, s, d));
        call(once, started, done);
        t.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
    assert!(
        overlapped.load(Ordering::Relaxed) > 0,
        "a caller arrived mid-initialisation"
    );
}

/// A cell shared by threads whose accesses the test orders (or not): the race detector judges.
struct Shared {
    cell: OnceLock<()>,
    data: UnsafeCell<u32>,
}

// SAFETY: the accesses to `data` never dereference its pointer: they only report the access to
// the race detector.
#[expect(unsafe_code, reason = "a shared tracked cell for the race detector")]
unsafe impl Sync for Shared {}

#[test]
fn once_lock_orders_readers_after_the_initialiser() {
    // Whoever wins writes `data` in the initialiser; everyone reads it after `get_or_init`.
    // Without the completion → observation edge the losers' reads would race with the write.
    let report = Config::random(300).write_artifact(false).explore(|| {
        let shared = Arc::new(Shared {
            cell: OnceLock::new(),
            data: UnsafeCell::new(0),
        });
        let use_it = |shared: &Shared| {
            shared.cell.get_or_init(|| shared.data.with_mut(|_| ()));
            shared.data.with(|_| ());
        };
        let s2 = Arc::clone(&shared);
        let t = thread::spawn(move || use_it(&s2));
        use_it(&shared);
        t.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn reading_before_the_once_is_a_data_race() {
    // The bug twin: one thread reads `data` before going through the once.
    let report = Config::random(300).write_artifact(false).explore(|| {
        let shared = Arc::new(Shared {
            cell: OnceLock::new(),
            data: UnsafeCell::new(0),
        });
        let s2 = Arc::clone(&shared);
        let t = named("writer", move || {
            s2.cell.get_or_init(|| s2.data.with_mut(|_| ()));
        });
        shared.data.with(|_| ());
        shared.cell.get_or_init(|| shared.data.with_mut(|_| ()));
        t.join().unwrap();
    });
    let finding = only(&report, Kind::DataRace);
    assert_eq!(thread_names(finding), ["main", "writer"]);
    assert_eq!(finding.objects[0].class.name(), "cell");
}

#[test]
fn reentrant_call_is_a_panic_finding() {
    let report = Config::random(5).write_artifact(false).explore(|| {
        let once = Once::new();
        once.call_once(|| once.call_once(|| ()));
    });
    assert_eq!(report.failing_execution, Some(1));
    let finding = only(&report, Kind::Panic);
    assert_eq!(
        finding.headline,
        "panic in thread `main`: interleave: the initialiser of a Once (or OnceLock) calls it again; std deadlocks or panics here"
    );
}

#[test]
fn poisoning_follows_std() {
    let report = Config::random(10).write_artifact(false).explore(|| {
        let once = Arc::new(Once::new());
        let o2 = Arc::clone(&once);
        let t = thread::spawn(move || {
            let failed = panic::catch_unwind(AssertUnwindSafe(|| o2.call_once(|| panic!("init"))));
            assert!(failed.is_err());
        });
        t.join().unwrap();
        assert!(!once.is_completed());
        let again = panic::catch_unwind(AssertUnwindSafe(|| once.call_once(|| ())));
        assert_eq!(
            message(again.expect_err("a poisoned Once panics")),
            "Once instance has previously been poisoned"
        );
        let mut saw_poison = false;
        once.call_once_force(|state| saw_poison = state.is_poisoned());
        assert!(saw_poison && once.is_completed());
        once.call_once_force(|_| unreachable!("complete"));

        // A OnceLock is never poisoned: a failed initialiser leaves it empty.
        let cell = OnceLock::new();
        let failed = panic::catch_unwind(AssertUnwindSafe(|| cell.get_or_init(|| panic!("init"))));
        assert!(failed.is_err() && cell.get().is_none());
        assert_eq!(*cell.get_or_init(|| 7), 7);
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn made_outside_the_scenario_stays_complete_across_executions() {
    let once = Arc::new(Once::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let (once2, runs2) = (Arc::clone(&once), Arc::clone(&runs));
    let report = Config::random(20).write_artifact(false).explore(move || {
        once2.call_once(|| {
            runs2.fetch_add(1, Ordering::Relaxed);
        });
        assert!(once2.is_completed());
    });
    assert!(report.is_clean(), "{report}");
    assert_eq!(runs.load(Ordering::Relaxed), 1);
    assert!(once.is_completed());
}

#[test]
fn once_lock_api_matches_std() {
    let mut cell = OnceLock::default();
    assert_eq!(format!("{cell:?}"), "OnceLock(<uninit>)");
    assert_eq!(cell.get(), None);
    assert_eq!(cell.set(1), Ok(()));
    assert_eq!(cell.set(2), Err(2));
    assert_eq!(cell.get(), Some(&1));
    *cell.get_mut().unwrap() += 1;
    assert_eq!(format!("{cell:?}"), "OnceLock(2)");
    assert_eq!(cell.take(), Some(2));
    assert_eq!(cell.get(), None);
    assert_eq!(*cell.get_or_init(|| 3), 3);
    assert_eq!(cell.into_inner(), Some(3));
    let ready = OnceLock::from("ready");
    assert_eq!(ready.get(), Some(&"ready"));
    assert_eq!(ready.get_or_init(|| unreachable!()), &"ready");

    let once = Once::new();
    assert!(!once.is_completed());
    once.call_once(|| ());
    assert!(once.is_completed());
    assert_eq!(format!("{once:?}"), "Once { .. }");
}

#[test]
fn waiting_for_an_initialiser_that_waits_for_you_is_a_deadlock_naming_both() {
    // The initialiser (in `init`) needs the mutex that main holds while it waits for the
    // initialiser: main waits on the once, `init` on the mutex.
    let report = Config::random(200)
        .seed(5)
        .write_artifact(false)
        .explore(|| {
            let once = Arc::new(Once::new());
            let lock = Arc::new(interleave::sync::Mutex::new(0));
            let (once2, lock2) = (Arc::clone(&once), Arc::clone(&lock));
            let init = thread::Builder::new()
                .name("init".into())
                .spawn(move || once2.call_once(|| *lock2.lock().unwrap() += 1))
                .unwrap();
            {
                let _guard = lock.lock().unwrap();
                once.call_once(|| {});
            }
            init.join().unwrap();
        });
    let deadlock = report
        .findings
        .iter()
        .find(|f| f.kind() == Kind::Deadlock)
        .unwrap_or_else(|| panic!("no deadlock in {report}"));
    let interleave_detector::Detail::Deadlock { waits, .. } = &deadlock.detail else {
        panic!("{deadlock}")
    };
    let mut who: Vec<(&str, &str)> = waits
        .iter()
        .map(|w| {
            let target = match w.target {
                interleave_detector::WaitTarget::Once { .. } => "once",
                interleave_detector::WaitTarget::Lock { .. } => "lock",
                _ => "other",
            };
            (deadlock.threads[w.thread].name.as_str(), target)
        })
        .collect();
    who.sort_unstable();
    assert_eq!(who, [("init", "lock"), ("main", "once")], "{deadlock}");
    assert!(
        deadlock
            .to_string()
            .contains("note: its initialiser is running in `init`"),
        "{deadlock}"
    );
}

#[test]
fn a_lazy_lock_runs_its_initialiser_once_whichever_thread_gets_there_first() {
    use interleave::sync::LazyLock;
    static INITS: AtomicUsize = AtomicUsize::new(0);
    let report = Config::exhaustive().write_artifact(false).explore(|| {
        let lazy = Arc::new(LazyLock::new(|| {
            INITS.fetch_add(1, Ordering::SeqCst);
            42
        }));
        let l = Arc::clone(&lazy);
        let t = thread::spawn(move || **l);
        assert_eq!(**lazy, 42);
        assert_eq!(t.join().unwrap(), 42);
    });
    assert!(report.is_clean() && report.complete, "{report}");
    // Once per execution, in every one of them.
    assert_eq!(INITS.load(Ordering::SeqCst) as u64, report.executions);
}
