//! The spin rule and the step bound: correct spinning code is clean, a real livelock is not.

use interleave::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use interleave::sync::Arc;
use interleave::{thread, Config, Kind, Report};
use interleave_detector::Detail;

fn kinds(report: &Report) -> Vec<Kind> {
    report.findings.iter().map(|f| f.kind()).collect()
}

/// A test-and-set spin lock around a counter that is read and written in two steps (so two
/// threads inside at once would lose an increment).
struct SpinLock {
    locked: AtomicBool,
    count: AtomicUsize,
}

impl SpinLock {
    fn increment(&self) {
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        let count = self.count.load(Ordering::Relaxed);
        self.count.store(count + 1, Ordering::Relaxed);
        self.locked.store(false, Ordering::Release);
    }
}

/// Two threads take a test-and-set spin lock twice each.
fn spin_lock() {
    let lock = Arc::new(SpinLock {
        locked: AtomicBool::new(false),
        count: AtomicUsize::new(0),
    });
    let other = Arc::clone(&lock);
    let t = thread::spawn(move || {
        other.increment();
        other.increment();
    });
    lock.increment();
    lock.increment();
    t.join().unwrap();
    assert_eq!(lock.count.load(Ordering::Relaxed), 4);
}

/// A test-and-set spin lock whose acquire loop is a `swap`.
fn swap_lock() {
    let locked = Arc::new(AtomicBool::new(false));
    let other = Arc::clone(&locked);
    let t = thread::spawn(move || {
        while other.swap(true, Ordering::Acquire) {
            std::hint::spin_loop();
        }
        other.store(false, Ordering::Release);
    });
    while locked.swap(true, Ordering::Acquire) {
        std::hint::spin_loop();
    }
    locked.store(false, Ordering::Release);
    t.join().unwrap();
}

/// A seqlock: one writer updates two values twice, a reader retries until it reads a
/// consistent pair.
fn seqlock() {
    let seq = Arc::new(AtomicUsize::new(0));
    let data = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let (s, d) = (Arc::clone(&seq), Arc::clone(&data));
    let writer = thread::spawn(move || {
        for value in 1..=2 {
            s.fetch_add(1, Ordering::AcqRel);
            d[0].store(value, Ordering::Release);
            d[1].store(value, Ordering::Release);
            s.fetch_add(1, Ordering::AcqRel);
        }
    });
    let (a, b) = loop {
        let before = seq.load(Ordering::Acquire);
        if before % 2 == 1 {
            std::hint::spin_loop();
            continue;
        }
        let a = data[0].load(Ordering::Acquire);
        let b = data[1].load(Ordering::Acquire);
        if seq.load(Ordering::Acquire) == before {
            break (a, b);
        }
    };
    assert_eq!(a, b, "a torn read");
    writer.join().unwrap();
}

fn pct(executions: u64) -> Config {
    Config::pct(executions, 3).seed(1).write_artifact(false)
}

#[test]
fn a_spin_lock_is_clean_under_pct_over_10_000_executions() {
    // Before the spin rule, PCT ran the waiting thread at top priority for ever: a livelock in
    // 47 of 50 seeds for the compare-exchange lock, 50 of 50 for the swap lock.
    for scenario in [spin_lock as fn(), swap_lock] {
        let report = pct(10_000).explore(scenario);
        assert!(report.is_clean(), "{report}");
        assert_eq!(report.executions, 10_000);
    }
}

#[test]
fn a_seqlock_reader_is_clean_under_pct_over_10_000_executions() {
    let report = pct(10_000).explore(seqlock);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 10_000);
}

/// Two threads add to one counter `n` times each.
fn count_to<const N: usize>() {
    let counter = Arc::new(AtomicUsize::new(0));
    let other = Arc::clone(&counter);
    let t = thread::spawn(move || {
        for _ in 0..N {
            other.fetch_add(1, Ordering::Relaxed);
        }
    });
    for _ in 0..N {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    t.join().unwrap();
    assert_eq!(counter.load(Ordering::Relaxed), 2 * N);
}

#[test]
fn a_long_finite_run_is_not_a_livelock_the_bound_counts_steps_without_progress() {
    // 40,000 contested decisions, twice the default bound, each one progress.
    let report = pct(1).explore(count_to::<20_000>);
    assert!(report.is_clean(), "{report}");
    // With a bound of 100: 800 contested decisions, under the hard cap of ten times the bound
    // in all.
    let report = pct(20).max_steps(100).explore(count_to::<400>);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 20);
}

/// Two threads that each wait for the other to raise its flag first: neither ever does.
fn after_you() {
    let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
    let other = Arc::clone(&flags);
    let t = thread::spawn(move || {
        while !other[0].load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        other[1].store(true, Ordering::Release);
    });
    while !flags[1].load(Ordering::Acquire) {
        std::hint::spin_loop();
    }
    flags[0].store(true, Ordering::Release);
    t.join().unwrap();
}

#[test]
fn spinning_on_a_value_nobody_changes_is_still_a_livelock() {
    for config in [pct(10), Config::random(10).seed(1).write_artifact(false)] {
        let report = config.max_steps(500).explore(after_you);
        assert_eq!(kinds(&report), [Kind::Livelock], "{report}");
        assert_eq!(report.executions, 1);
        let Detail::Livelock { max_steps, running } = &report.findings[0].detail else {
            panic!("{report}")
        };
        assert_eq!(*max_steps, 500);
        let names: Vec<&str> = running
            .iter()
            .map(|r| report.findings[0].threads[r.thread].name.as_str())
            .collect();
        assert_eq!(names, ["main", "t1"]);
    }
}

/// A table pointer set once and read through one function, as sharded-slab's `Ptr::load` is:
/// main reads it, updates a state atomic of its own, and reads it again from the same place;
/// meanwhile `t1` stores to `stores` other atomics.
fn read_through_one_function<const STORES: usize>() {
    fn table(pointer: &AtomicUsize) -> usize {
        pointer.load(Ordering::Acquire)
    }
    let pointer = Arc::new(AtomicUsize::new(1));
    let others: Arc<Vec<AtomicUsize>> =
        Arc::new((0..STORES).map(|_| AtomicUsize::new(0)).collect());
    let state = AtomicUsize::new(0);
    let theirs = Arc::clone(&others);
    let t = thread::spawn(move || {
        for other in theirs.iter() {
            other.store(1, Ordering::Relaxed);
        }
    });
    table(&pointer);
    state.store(1, Ordering::Relaxed);
    table(&pointer);
    t.join().unwrap();
}

#[test]
fn a_re_read_after_a_change_of_its_own_is_no_spin_and_costs_no_executions() {
    // Every step of main and t1 touches an atomic of its own: one Mazurkiewicz trace, one
    // execution. Taking main's second read for a spin made it a yield, which waits for a
    // visible step of t1: one execution per place among t1's 5 stores and its exit the yield
    // could sit (6), as in sharded-slab's tests (25 executions where loom ran 7).
    let report = Config::exhaustive().explore(read_through_one_function::<5>);
    assert!(report.is_clean() && report.complete, "{report}");
    assert_eq!(report.executions, 1);
}
