//! Thread-locals and lazy statics per execution (`interleave::local`, loom's `thread_local!`
//! and `lazy_static!`).

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

use interleave::local::{AccessError, Lazy, LocalKey};
use interleave::{thread, Config};

static COUNT: LocalKey<Cell<u32>> = LocalKey {
    init: || Cell::new(0),
    _p: PhantomData,
};

/// Made once per execution: counts how many values were made, across all executions.
static MADE: AtomicUsize = AtomicUsize::new(0);
static PER_EXECUTION: Lazy<usize> = Lazy {
    init: || MADE.fetch_add(1, Ordering::Relaxed),
    _p: PhantomData,
};

#[test]
fn each_thread_and_each_execution_has_its_own_thread_local() {
    let report = Config::random(50).write_artifact(false).explore(|| {
        COUNT.with(|c| c.set(c.get() + 1));
        let t = thread::spawn(|| COUNT.with(|c| c.replace(7)));
        assert_eq!(t.join().unwrap(), 0, "the spawned thread's own value");
        assert_eq!(COUNT.with(Cell::get), 1, "a fresh value in every execution");
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_lazy_is_made_once_per_execution() {
    let before = MADE.load(Ordering::Relaxed);
    // `MADE` is a std static, which executions on other threads would count too (one run past
    // the check's last, when a slow start lets a second thread begin): one thread, as the guide
    // says for state kept outside interleave's types.
    let report = Config::random(20)
        .jobs(1)
        .write_artifact(false)
        .explore(|| {
            let t = thread::spawn(|| *PER_EXECUTION.get());
            let mine = *PER_EXECUTION.get();
            assert_eq!(
                t.join().unwrap(),
                mine,
                "one value for the execution's threads"
            );
        });
    assert!(report.is_clean(), "{report}");
    // Two threads, each getting the lazy once: random sampling (seeded by the test's name) has
    // covered every schedule after 3 executions, and the check stops there.
    assert_eq!((report.executions, report.complete), (3, true));
    assert_eq!(MADE.load(Ordering::Relaxed) - before, 3);
}

/// Its destructor reads the thread-local being destroyed.
struct ReadsItselfOnDrop;

impl Drop for ReadsItselfOnDrop {
    fn drop(&mut self) {
        assert!(SELF_READER
            .try_with(|_| ())
            .is_err_and(|e: AccessError| e.to_string() == "already destroyed"));
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

static SELF_READER: LocalKey<ReadsItselfOnDrop> = LocalKey {
    init: || ReadsItselfOnDrop,
    _p: PhantomData,
};
static DROPPED: AtomicUsize = AtomicUsize::new(0);

#[test]
fn a_thread_local_is_dropped_when_its_thread_ends_and_cannot_be_read_meanwhile() {
    let before = DROPPED.load(Ordering::Relaxed);
    let report = Config::random(10).write_artifact(false).explore(|| {
        let t = thread::spawn(|| SELF_READER.with(|_| ()));
        SELF_READER.with(|_| ());
        t.join().unwrap();
        // The spawned thread's value went when it ended; main's is still here.
        assert_eq!(SELF_READER.try_with(|_| ()), Ok(()));
    });
    assert!(report.is_clean(), "{report}");
    // Two threads' values in each execution (random sampling has covered every schedule after 4).
    assert_eq!(report.executions, 4);
    assert_eq!(DROPPED.load(Ordering::Relaxed) - before, 8);
}
