//! The litmus tests, written once against `super::rt` (interleave's facade in one test binary,
//! loom's in the other): each returns the values its loads read, its outcome.

use super::rt::{fence, thread, Arc, AtomicUsize, Ordering};
use Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};

type Outcome = Vec<usize>;

fn pair() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
    (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)))
}

/// Store buffering: each thread stores one location and loads the other.
fn store_buffering(order: Ordering, load: Ordering) -> Outcome {
    let (x, y) = pair();
    let (x2, y2) = (Arc::clone(&x), Arc::clone(&y));
    let t = thread::spawn(move || {
        x2.store(1, order);
        y2.load(load)
    });
    y.store(1, order);
    let a = x.load(load);
    vec![a, t.join().unwrap()]
}

pub(crate) fn sb_relaxed() -> Outcome {
    store_buffering(Relaxed, Relaxed)
}

pub(crate) fn sb_seq_cst() -> Outcome {
    store_buffering(SeqCst, SeqCst)
}

/// Store buffering with Relaxed accesses and a SeqCst fence between each store and load.
pub(crate) fn sb_fences() -> Outcome {
    let (x, y) = pair();
    let (x2, y2) = (Arc::clone(&x), Arc::clone(&y));
    let t = thread::spawn(move || {
        x2.store(1, Relaxed);
        fence(SeqCst);
        y2.load(Relaxed)
    });
    y.store(1, Relaxed);
    fence(SeqCst);
    let a = x.load(Relaxed);
    vec![a, t.join().unwrap()]
}

/// Message passing: data, then a flag; the reader reads the flag, then the data.
fn message_passing(store: Ordering, load: Ordering, fences: bool) -> Outcome {
    let (data, flag) = pair();
    let (d, f) = (Arc::clone(&data), Arc::clone(&flag));
    let t = thread::spawn(move || {
        d.store(1, Relaxed);
        if fences {
            fence(Release);
        }
        f.store(1, store);
    });
    let seen = flag.load(load);
    if fences {
        fence(Acquire);
    }
    let value = data.load(Relaxed);
    t.join().unwrap();
    vec![seen, value]
}

pub(crate) fn mp_relaxed() -> Outcome {
    message_passing(Relaxed, Relaxed, false)
}

pub(crate) fn mp_release_acquire() -> Outcome {
    message_passing(Release, Acquire, false)
}

pub(crate) fn mp_fences() -> Outcome {
    message_passing(Relaxed, Relaxed, true)
}

/// Load buffering: each thread loads one location, then stores the other.
pub(crate) fn lb_relaxed() -> Outcome {
    let (x, y) = pair();
    let (x2, y2) = (Arc::clone(&x), Arc::clone(&y));
    let t = thread::spawn(move || {
        let r = x2.load(Relaxed);
        y2.store(1, Relaxed);
        r
    });
    let a = y.load(Relaxed);
    x.store(1, Relaxed);
    vec![a, t.join().unwrap()]
}

/// 2+2W: two threads each store both locations, in opposite orders; the final values.
pub(crate) fn two_plus_two_w() -> Outcome {
    let (x, y) = pair();
    let (x2, y2) = (Arc::clone(&x), Arc::clone(&y));
    let t = thread::spawn(move || {
        x2.store(1, Relaxed);
        y2.store(2, Relaxed);
    });
    y.store(1, Relaxed);
    x.store(2, Relaxed);
    t.join().unwrap();
    vec![x.load(Relaxed), y.load(Relaxed)]
}

/// Independent reads of independent writes: two readers read two locations in opposite
/// orders.
fn iriw(store: Ordering, load: Ordering) -> Outcome {
    let (x, y) = pair();
    let writer = |a: &Arc<AtomicUsize>| {
        let a = Arc::clone(a);
        thread::spawn(move || a.store(1, store))
    };
    let (wx, wy) = (writer(&x), writer(&y));
    let (x2, y2) = (Arc::clone(&x), Arc::clone(&y));
    let reader = thread::spawn(move || vec![x2.load(load), y2.load(load)]);
    let mut outcome = vec![y.load(load), x.load(load)];
    outcome.extend(reader.join().unwrap());
    wx.join().unwrap();
    wy.join().unwrap();
    outcome
}

pub(crate) fn iriw_acquire() -> Outcome {
    iriw(Release, Acquire)
}

pub(crate) fn iriw_seq_cst() -> Outcome {
    iriw(SeqCst, SeqCst)
}

/// Read-read coherence: two loads of one location never go back in its modification order.
pub(crate) fn corr() -> Outcome {
    let x = Arc::new(AtomicUsize::new(0));
    let x2 = Arc::clone(&x);
    let t = thread::spawn(move || {
        x2.store(1, Relaxed);
        x2.store(2, Relaxed);
    });
    let outcome = vec![x.load(Relaxed), x.load(Relaxed)];
    t.join().unwrap();
    outcome
}

/// Write-read coherence: a thread reads its own store or a newer one.
pub(crate) fn cowr() -> Outcome {
    let x = Arc::new(AtomicUsize::new(0));
    let x2 = Arc::clone(&x);
    let t = thread::spawn(move || x2.store(1, Relaxed));
    x.store(2, Relaxed);
    let outcome = vec![x.load(Relaxed)];
    t.join().unwrap();
    outcome
}

/// A release sequence continued by another thread's Relaxed read-modify-write: an Acquire
/// load that reads the RMW's value synchronises with the Release store it continued.
pub(crate) fn release_sequence() -> Outcome {
    let (data, flag) = pair();
    let (d, f) = (Arc::clone(&data), Arc::clone(&flag));
    let writer = thread::spawn(move || {
        d.store(1, Relaxed);
        f.store(1, Release);
    });
    let f2 = Arc::clone(&flag);
    let bumper = thread::spawn(move || {
        f2.fetch_add(1, Relaxed);
    });
    let seen = flag.load(Acquire);
    // Only after reading the RMW that continued the writer's release sequence (flag 2) is
    // the data certain; the other outcomes say what else the load may read.
    let value = if seen == 2 { data.load(Relaxed) } else { 9 };
    writer.join().unwrap();
    bumper.join().unwrap();
    vec![seen, value]
}

/// An AcqRel read-modify-write reads the newest store: two increments never lose one.
pub(crate) fn rmw_increments() -> Outcome {
    let x = Arc::new(AtomicUsize::new(0));
    let x2 = Arc::clone(&x);
    let t = thread::spawn(move || x2.fetch_add(1, AcqRel));
    let a = x.fetch_add(1, Relaxed);
    let b = t.join().unwrap();
    vec![a, b, x.load(Relaxed)]
}

/// One litmus test: its name and program.
pub(crate) struct Program {
    pub(crate) name: &'static str,
    pub(crate) run: fn() -> Outcome,
}

pub(crate) const PROGRAMS: &[Program] = &[
    Program {
        name: "sb_relaxed",
        run: sb_relaxed,
    },
    Program {
        name: "sb_seq_cst",
        run: sb_seq_cst,
    },
    Program {
        name: "sb_fences",
        run: sb_fences,
    },
    Program {
        name: "mp_relaxed",
        run: mp_relaxed,
    },
    Program {
        name: "mp_release_acquire",
        run: mp_release_acquire,
    },
    Program {
        name: "mp_fences",
        run: mp_fences,
    },
    Program {
        name: "lb_relaxed",
        run: lb_relaxed,
    },
    Program {
        name: "2+2w",
        run: two_plus_two_w,
    },
    Program {
        name: "iriw_acquire",
        run: iriw_acquire,
    },
    Program {
        name: "iriw_seq_cst",
        run: iriw_seq_cst,
    },
    Program {
        name: "corr",
        run: corr,
    },
    Program {
        name: "cowr",
        run: cowr,
    },
    Program {
        name: "release_sequence",
        run: release_sequence,
    },
    Program {
        name: "rmw_increments",
        run: rmw_increments,
    },
];
