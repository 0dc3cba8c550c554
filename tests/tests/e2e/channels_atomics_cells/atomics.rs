//! Atomics: std's results, and the bugs wrong orderings and non-atomic updates make.

use interleave::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use interleave::sync::Arc;
use interleave::{thread, Kind};
use interleave_detector::{Detail, ObjectClass};

use super::{exhaustive, named, only, race, random, source_line, Shared};

#[test]
fn atomic_operations_return_what_std_returns() {
    let report = exhaustive().explore(|| {
        let n = AtomicU64::new(5);
        assert_eq!(
            n.compare_exchange(4, 9, Ordering::AcqRel, Ordering::Acquire),
            Err(5)
        );
        assert_eq!(
            n.compare_exchange_weak(5, 9, Ordering::AcqRel, Ordering::Relaxed),
            Ok(5)
        );
        assert_eq!(n.fetch_sub(2, Ordering::Relaxed), 9);
        assert_eq!(n.fetch_min(3, Ordering::Relaxed), 7);
        assert_eq!(n.fetch_nand(1, Ordering::Relaxed), 3);
        assert_eq!(n.load(Ordering::Relaxed), !1);
        let doubled = n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
            Some(v.wrapping_mul(2))
        });
        assert_eq!(doubled, Ok(!1));
        assert_eq!(
            n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |_| None),
            Err(!3)
        );
        let flag = AtomicBool::default();
        assert!(!flag.fetch_not(Ordering::Relaxed));
        assert!(flag.fetch_and(false, Ordering::Relaxed));
        assert!(!flag.into_inner());
        let mut x = 1;
        let p = AtomicPtr::new(&mut x as *mut i32);
        assert!(!p.load(Ordering::Relaxed).is_null());
        assert_eq!(format!("{:?}", AtomicUsize::from(3)), "3");
        let mut m = AtomicUsize::new(1);
        *m.get_mut() += 1;
        assert_eq!(m.into_inner(), 2);
    });
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 1);
}

#[test]
fn atomics_made_outside_an_execution_work_like_std_and_in_every_execution() {
    let hits = Arc::new(AtomicUsize::new(0));
    assert_eq!(hits.fetch_add(1, Ordering::Relaxed), 0);
    let h = Arc::clone(&hits);
    let report = random(10).explore(move || {
        let h2 = Arc::clone(&h);
        let t = interleave::thread::spawn(move || h2.fetch_add(1, Ordering::Relaxed));
        h.fetch_add(1, Ordering::Relaxed);
        t.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
    // Two increments per execution, on top of the one made outside.
    assert_eq!(report.executions, 10);
    assert_eq!(hits.load(Ordering::Relaxed), 1 + 2 * 10);
}

/// A value published through a flag: the writer fills the slot then sets the flag with
/// `store`; the reader checks the flag with `load` and reads the slot if it is set.
fn publication(store: Ordering, load: Ordering) -> impl Fn() + Send + Sync + 'static {
    move || {
        let slot = Arc::new(Shared::new(0));
        let ready = Arc::new(AtomicBool::new(false));
        let (s, r) = (Arc::clone(&slot), Arc::clone(&ready));
        let t = named("writer", move || {
            s.set(42);
            r.store(true, store);
        });
        if ready.load(load) {
            assert_eq!(slot.get(), 42);
        }
        t.join().unwrap();
    }
}

#[test]
fn publishing_through_a_relaxed_flag_is_a_data_race() {
    let report = random(100).explore(publication(Ordering::Relaxed, Ordering::Relaxed));
    let finding = only(&report, Kind::DataRace);
    let (class, created, accesses) = race(finding);
    assert_eq!(class, ObjectClass::Cell);
    assert_eq!(created, "let slot = Arc::new(Shared::new(0));");
    assert_eq!(
        accesses,
        [
            ("writer", true, "s.set(42);"),
            ("main", false, "assert_eq!(slot.get(), 42);")
        ]
    );
}

#[test]
fn publishing_through_a_release_acquire_flag_is_clean() {
    let report = random(1000).explore(publication(Ordering::Release, Ordering::Acquire));
    assert!(report.is_clean(), "{report}");
    assert!(report.complete);
    assert_eq!(report.executions, 60);
}

/// Two threads add one to a counter: with `load` then `store` (`atomic: false`), or with
/// `fetch_add`.
fn two_increments(atomic: bool) -> impl Fn() + Send + Sync + 'static {
    move || {
        let counter = Arc::new(AtomicUsize::new(0));
        let increment = move |c: &AtomicUsize| {
            if atomic {
                c.fetch_add(1, Ordering::SeqCst);
            } else {
                let seen = c.load(Ordering::SeqCst);
                c.store(seen + 1, Ordering::SeqCst);
            }
        };
        let c = Arc::clone(&counter);
        let t = thread::spawn(move || increment(&c));
        increment(&counter);
        t.join().unwrap();
        assert_eq!(counter.load(Ordering::SeqCst), 2, "an update was lost");
    }
}

#[test]
fn load_then_store_loses_an_update() {
    let report = random(1000).explore(two_increments(false));
    let finding = only(&report, Kind::Panic);
    let Detail::Panic { message, site, .. } = &finding.detail else {
        panic!("{finding:?}");
    };
    assert!(message.contains("an update was lost"), "{message}");
    assert!(message.contains("left: 1"), "{message}");
    assert_eq!(
        source_line(site),
        r#"assert_eq!(counter.load(Ordering::SeqCst), 2, "an update was lost");"#
    );
}

#[test]
fn fetch_add_loses_no_update() {
    let report = random(1000).explore(two_increments(true));
    assert!(report.is_clean(), "{report}");
    // Random sampling stopped once it had seen every schedule (seed 1: after 9 executions).
    assert!(report.complete);
    assert_eq!(report.executions, 9);
}
