#![expect(
    unsafe_code,
    reason = "the ports read and write loom's cells through their pointers, as the catalog's scenarios do"
)]

//! The catalog's weak-memory scenarios (`weak-memory/*`), ported to `super::rt` so that loom runs
//! them too: the same protocols, the same orderings, each bug with its twin (`FIXED`).

use super::rt::{fence, thread, Arc, AtomicBool, AtomicUsize, Mutex, Ordering, UnsafeCell};

pub(crate) fn seqlock<const FIXED: bool>() {
    let seq = Arc::new(AtomicUsize::new(0));
    let data = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let (s, d) = (Arc::clone(&seq), Arc::clone(&data));
    let writer = thread::spawn(move || {
        let n = s.load(Ordering::Relaxed);
        s.store(n + 1, Ordering::Relaxed);
        if FIXED {
            fence(Ordering::Release);
        }
        d[0].store(1, Ordering::Relaxed);
        d[1].store(1, Ordering::Relaxed);
        s.store(n + 2, Ordering::Release);
    });
    for _ in 0..2 {
        let before = seq.load(Ordering::Acquire);
        let first = data[0].load(Ordering::Relaxed);
        let second = data[1].load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        let after = seq.load(Ordering::Relaxed);
        if before == after && before % 2 == 0 {
            assert_eq!(first, second, "torn read");
            break;
        }
    }
    writer.join().unwrap();
}

pub(crate) fn message_passing<const FIXED: bool>() {
    let store = if FIXED {
        Ordering::Release
    } else {
        Ordering::Relaxed
    };
    let slot = Arc::new(AtomicUsize::new(0));
    let full = Arc::new(AtomicBool::new(false));
    let (s, f) = (Arc::clone(&slot), Arc::clone(&full));
    let producer = thread::spawn(move || {
        s.store(42, Ordering::Relaxed);
        f.store(true, store);
    });
    if full.load(Ordering::Acquire) {
        assert_eq!(slot.load(Ordering::Relaxed), 42);
    }
    producer.join().unwrap();
}

pub(crate) fn dekker<const FIXED: bool>() {
    let (store, load) = if FIXED {
        (Ordering::SeqCst, Ordering::SeqCst)
    } else {
        (Ordering::Release, Ordering::Acquire)
    };
    let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
    let critical = Arc::new(UnsafeCell::new(0u64));
    let threads: Vec<_> = (0..2)
        .map(|me| {
            let (flags, critical) = (Arc::clone(&flags), Arc::clone(&critical));
            thread::spawn(move || {
                flags[me].store(true, store);
                if !flags[1 - me].load(load) {
                    critical.with_mut(|c| unsafe { *c += 1 });
                }
                flags[me].store(false, Ordering::Release);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

pub(crate) fn lazy_init<const FIXED: bool>() {
    let (store, load) = if FIXED {
        (Ordering::Release, Ordering::Acquire)
    } else {
        (Ordering::Relaxed, Ordering::Relaxed)
    };
    let ready = Arc::new(AtomicBool::new(false));
    let value = Arc::new(AtomicUsize::new(0));
    let init = Arc::new(Mutex::new(()));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (ready, value, init) = (Arc::clone(&ready), Arc::clone(&value), Arc::clone(&init));
            thread::spawn(move || {
                let got = if ready.load(load) {
                    value.load(Ordering::Relaxed)
                } else {
                    let _guard = init.lock().unwrap();
                    if !ready.load(Ordering::Relaxed) {
                        value.store(42, Ordering::Relaxed);
                        ready.store(true, store);
                    }
                    value.load(Ordering::Relaxed)
                };
                assert_eq!(got, 42);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

pub(crate) fn refcount<const FIXED: bool>() {
    let order = if FIXED {
        Ordering::Release
    } else {
        Ordering::Relaxed
    };
    let owners = Arc::new(AtomicUsize::new(2));
    let buffer = Arc::new(UnsafeCell::new(5usize));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (owners, buffer) = (Arc::clone(&owners), Arc::clone(&buffer));
            thread::spawn(move || {
                let len = buffer.with(|b| unsafe { *b });
                assert!(len <= 5);
                if owners.fetch_sub(1, order) == 1 {
                    if FIXED {
                        fence(Ordering::Acquire);
                    }
                    buffer.with_mut(|b| unsafe { *b = 0 });
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Each port: the catalog scenario it ports, and its body.
pub(crate) const PORTS: &[(&str, fn())] = &[
    ("weak-memory/seqlock-no-release-fence", seqlock::<false>),
    (
        "weak-memory/seqlock-no-release-fence-fixed",
        seqlock::<true>,
    ),
    (
        "weak-memory/relaxed-message-passing",
        message_passing::<false>,
    ),
    (
        "weak-memory/relaxed-message-passing-fixed",
        message_passing::<true>,
    ),
    ("weak-memory/dekker-acquire-release", dekker::<false>),
    ("weak-memory/dekker-acquire-release-fixed", dekker::<true>),
    ("weak-memory/relaxed-lazy-init", lazy_init::<false>),
    ("weak-memory/relaxed-lazy-init-fixed", lazy_init::<true>),
    ("weak-memory/relaxed-refcount-drop", refcount::<false>),
    ("weak-memory/relaxed-refcount-drop-fixed", refcount::<true>),
];
