//! Weak memory: orderings too weak for the protocol, which only a load reading an older store
//! than the latest shows. These scenarios run under the weak memory model (`Scenario::config`
//! sets it for the category): under the sequentially consistent one every bug here but the
//! reference count stays hidden. Each twin has the orderings (or fences) the protocol needs.

use interleave::cell::UnsafeCell;
use interleave::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use interleave::sync::{Arc, Mutex};
use interleave::Kind;

use super::spawn;
use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "weak-memory/seqlock-no-release-fence",
            category: Category::WeakMemory,
            description: "a seqlock writer marks the sequence odd but has no Release fence before writing the data, so a reader sees new data with the old sequence",
            source: "the seqlock of Boehm, \"Can seqlocks get along with programming language memory models?\" (MSPC 2012); the Linux kernel's `write_seqcount_begin` has `smp_wmb()` there",
            expected: Expected::Finds(Kind::Panic),
            budget: 100,
            twin: Some("weak-memory/seqlock-no-release-fence-fixed"),
            body: seqlock::<false>,
        },
        Scenario {
            name: "weak-memory/seqlock-no-release-fence-fixed",
            category: Category::WeakMemory,
            description: "the writer has `fence(Release)` between the odd sequence and the data",
            source: "the fix: the writer's Release fence pairs with the reader's Acquire fence",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("weak-memory/seqlock-no-release-fence"),
            body: seqlock::<true>,
        },
        Scenario {
            name: "weak-memory/relaxed-message-passing",
            category: Category::WeakMemory,
            description: "a producer fills an atomic slot and raises a flag with a Relaxed store; the consumer sees the flag and reads the empty slot",
            source: "message passing (the MP litmus test) with a Relaxed store: the ordering bugs of Qin et al. (PLDI 2020), crossbeam and tokio fixes of the same shape",
            expected: Expected::Finds(Kind::Panic),
            budget: 50,
            twin: Some("weak-memory/relaxed-message-passing-fixed"),
            body: message_passing::<false>,
        },
        Scenario {
            name: "weak-memory/relaxed-message-passing-fixed",
            category: Category::WeakMemory,
            description: "the flag is stored with `Release` (and loaded with `Acquire`)",
            source: "the fix: a Release store read by an Acquire load publishes what came before it",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("weak-memory/relaxed-message-passing"),
            body: message_passing::<true>,
        },
        Scenario {
            name: "weak-memory/dekker-acquire-release",
            category: Category::WeakMemory,
            description: "two threads raise their flag and enter if the other's is down, with Release stores and Acquire loads: both miss the other's flag and both enter",
            source: "Dekker's mutual exclusion needs store-load ordering (the SB litmus test): SeqCst or a SeqCst fence, not Release/Acquire",
            expected: Expected::Finds(Kind::DataRace),
            budget: 50,
            twin: Some("weak-memory/dekker-acquire-release-fixed"),
            body: dekker::<false>,
        },
        Scenario {
            name: "weak-memory/dekker-acquire-release-fixed",
            category: Category::WeakMemory,
            description: "the flags are stored and loaded with `SeqCst`",
            source: "the fix: SeqCst accesses are totally ordered, so one thread sees the other's flag",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("weak-memory/dekker-acquire-release"),
            body: dekker::<true>,
        },
        Scenario {
            name: "weak-memory/relaxed-lazy-init",
            category: Category::WeakMemory,
            description: "double-checked lazy initialisation whose fast path loads the `ready` flag with Relaxed, and then reads a value not yet there",
            source: "double-checked locking (Meyers and Alexandrescu, \"C++ and the Perils of Double-Checked Locking\", 2004) with Relaxed accesses",
            expected: Expected::Finds(Kind::Panic),
            budget: 100,
            twin: Some("weak-memory/relaxed-lazy-init-fixed"),
            body: lazy_init::<false>,
        },
        Scenario {
            name: "weak-memory/relaxed-lazy-init-fixed",
            category: Category::WeakMemory,
            description: "the flag is stored with `Release` and the fast path loads it with `Acquire`",
            source: "the fix: as `std::sync::OnceLock` does",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("weak-memory/relaxed-lazy-init"),
            body: lazy_init::<true>,
        },
        Scenario {
            name: "weak-memory/relaxed-refcount-drop",
            category: Category::WeakMemory,
            description: "two owners of a reference-counted buffer drop it with a Relaxed decrement; the last one frees it while the other's read is unordered with the free",
            source: "`Arc`'s drop: `fetch_sub(1, Release)`, then `fence(Acquire)` before freeing (Boost's and std's reference counts)",
            expected: Expected::Finds(Kind::DataRace),
            budget: 20,
            twin: Some("weak-memory/relaxed-refcount-drop-fixed"),
            body: refcount::<false>,
        },
        Scenario {
            name: "weak-memory/relaxed-refcount-drop-fixed",
            category: Category::WeakMemory,
            description: "the decrement is `Release` and the last owner has `fence(Acquire)` before freeing",
            source: "the fix: as `Arc::drop`",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("weak-memory/relaxed-refcount-drop"),
            body: refcount::<true>,
        },
    ]
}

/// A sequence number and two words of data, written together.
struct SeqLock {
    seq: AtomicUsize,
    data: [AtomicUsize; 2],
}

fn seqlock<const FIXED: bool>() {
    let lock = Arc::new(SeqLock {
        seq: AtomicUsize::new(0),
        data: [AtomicUsize::new(0), AtomicUsize::new(0)],
    });
    let l = Arc::clone(&lock);
    let writer = spawn("writer", move || {
        let seq = l.seq.load(Ordering::Relaxed);
        l.seq.store(seq + 1, Ordering::Relaxed);
        if FIXED {
            fence(Ordering::Release);
        }
        l.data[0].store(1, Ordering::Relaxed);
        l.data[1].store(1, Ordering::Relaxed);
        l.seq.store(seq + 2, Ordering::Release);
    });
    let l = Arc::clone(&lock);
    let reader = spawn("reader", move || {
        // A few attempts; a reader that never sees a stable even sequence gives up.
        for _ in 0..2 {
            let before = l.seq.load(Ordering::Acquire);
            let first = l.data[0].load(Ordering::Relaxed);
            let second = l.data[1].load(Ordering::Relaxed);
            fence(Ordering::Acquire);
            let after = l.seq.load(Ordering::Relaxed);
            if before == after && before % 2 == 0 {
                assert_eq!(first, second, "torn read at sequence {before}");
                return;
            }
        }
    });
    writer.join().unwrap();
    reader.join().unwrap();
}

fn message_passing<const FIXED: bool>() {
    let (store, load) = if FIXED {
        (Ordering::Release, Ordering::Acquire)
    } else {
        (Ordering::Relaxed, Ordering::Acquire)
    };
    let slot = Arc::new(AtomicUsize::new(0));
    let full = Arc::new(AtomicBool::new(false));
    let (s, f) = (Arc::clone(&slot), Arc::clone(&full));
    let producer = spawn("producer", move || {
        s.store(42, Ordering::Relaxed);
        f.store(true, store);
    });
    let consumer = spawn("consumer", move || {
        if full.load(load) {
            assert_eq!(
                slot.load(Ordering::Relaxed),
                42,
                "the flag is up but the slot is empty"
            );
        }
    });
    producer.join().unwrap();
    consumer.join().unwrap();
}

/// Two flags and the critical section they guard (a cell, so that two threads in it at once
/// is a data race).
struct Dekker {
    flags: [AtomicBool; 2],
    critical: UnsafeCell<u64>,
}

// SAFETY: the flags keep the threads out of the critical section at once (the fixed twin's
// do; the bug's do not, which is the data race the scenario shows).
#[expect(
    unsafe_code,
    reason = "a user type whose Sync rests on the flags, as real code does"
)]
unsafe impl Sync for Dekker {}

#[expect(
    unsafe_code,
    reason = "the user code writes the cell through its raw pointer"
)]
fn dekker<const FIXED: bool>() {
    let (store, load) = if FIXED {
        (Ordering::SeqCst, Ordering::SeqCst)
    } else {
        (Ordering::Release, Ordering::Acquire)
    };
    let shared = Arc::new(Dekker {
        flags: [AtomicBool::new(false), AtomicBool::new(false)],
        critical: UnsafeCell::new(0),
    });
    let threads: Vec<_> = (0..2)
        .map(|me| {
            let s = Arc::clone(&shared);
            spawn(if me == 0 { "left" } else { "right" }, move || {
                s.flags[me].store(true, store);
                if !s.flags[1 - me].load(load) {
                    // SAFETY: the other thread's flag was down after ours went up, so it
                    // stays out (what the orderings must guarantee).
                    s.critical.with_mut(|c| unsafe { *c += 1 });
                }
                s.flags[me].store(false, Ordering::Release);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// A value initialised on first use, behind a flag and a lock.
struct Lazy {
    ready: AtomicBool,
    value: AtomicUsize,
    init: Mutex<()>,
}

impl Lazy {
    fn get<const FIXED: bool>(&self) -> usize {
        let (store, load) = if FIXED {
            (Ordering::Release, Ordering::Acquire)
        } else {
            (Ordering::Relaxed, Ordering::Relaxed)
        };
        if self.ready.load(load) {
            return self.value.load(Ordering::Relaxed);
        }
        let _guard = self.init.lock().unwrap();
        if !self.ready.load(Ordering::Relaxed) {
            self.value.store(42, Ordering::Relaxed);
            self.ready.store(true, store);
        }
        self.value.load(Ordering::Relaxed)
    }
}

fn lazy_init<const FIXED: bool>() {
    let lazy = Arc::new(Lazy {
        ready: AtomicBool::new(false),
        value: AtomicUsize::new(0),
        init: Mutex::new(()),
    });
    let threads: Vec<_> = ["first", "second"]
        .into_iter()
        .map(|name| {
            let l = Arc::clone(&lazy);
            spawn(name, move || {
                assert_eq!(
                    l.get::<FIXED>(),
                    42,
                    "the value was read before it was initialised"
                )
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// A buffer with a count of its owners, freed by the last one.
struct Shared {
    owners: AtomicUsize,
    buffer: UnsafeCell<Vec<u8>>,
}

// SAFETY: owners only read the buffer, and the last one frees it once the others are done
// (the fixed twin's count orders that; the bug's does not).
#[expect(
    unsafe_code,
    reason = "a user type whose Sync rests on the count, as `Arc`'s does"
)]
unsafe impl Sync for Shared {}

impl Shared {
    #[expect(
        unsafe_code,
        reason = "the user code frees the buffer through its raw pointer"
    )]
    fn release<const FIXED: bool>(&self) {
        let order = if FIXED {
            Ordering::Release
        } else {
            Ordering::Relaxed
        };
        if self.owners.fetch_sub(1, order) == 1 {
            if FIXED {
                fence(Ordering::Acquire);
            }
            // SAFETY: the last owner frees the buffer; no one else uses it any more.
            self.buffer.with_mut(|b| unsafe { (*b).clear() });
        }
    }
}

#[expect(
    unsafe_code,
    reason = "the user code reads the buffer through its raw pointer"
)]
fn refcount<const FIXED: bool>() {
    let shared = Arc::new(Shared {
        owners: AtomicUsize::new(2),
        buffer: UnsafeCell::new(b"frame".to_vec()),
    });
    let threads: Vec<_> = ["encoder", "sender"]
        .into_iter()
        .map(|name| {
            let s = Arc::clone(&shared);
            spawn(name, move || {
                // SAFETY: an owner reads the buffer before giving up its share.
                let len = s.buffer.with(|b| unsafe { (*b).len() });
                assert!(len <= 5);
                s.release::<FIXED>();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
