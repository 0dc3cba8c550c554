//! Atomicity violations: each step is synchronised, but a sequence that must be indivisible is
//! not. Qin et al. (PLDI 2020) found them to be the largest group of Rust's non-blocking
//! concurrency bugs; safe Rust rules out the data race, not the race on the program's logic.
//! Each bug here ends in a failed assertion (a panic finding) in the interleaving that splits
//! the sequence.

use std::collections::HashSet;

use interleave::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use interleave::sync::mpsc::channel;
use interleave::sync::{Arc, Mutex, OnceLock};
use interleave::Kind;

use super::spawn;
use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "atomicity/check-then-act",
            category: Category::Atomicity,
            description: "two ATMs check the balance and debit it in two separate critical sections",
            source: "check-then-act split across two critical sections (SCTBench `CS.account_bad`; Qin et al., PLDI 2020)",
            expected: Expected::Finds(Kind::Panic),
            budget: 25,
            twin: Some("atomicity/check-then-act-fixed"),
            body: check_then_act::<false>,
        },
        Scenario {
            name: "atomicity/check-then-act-fixed",
            category: Category::Atomicity,
            description: "the check and the debit happen under one guard",
            source: "the fix: one critical section for the whole decision",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("atomicity/check-then-act"),
            body: check_then_act::<true>,
        },
        Scenario {
            name: "atomicity/lost-update",
            category: Category::Atomicity,
            description: "two request handlers count hits with a load followed by a store",
            source: "a lost update through load-then-store on an atomic (the atomic-misuse bugs of Qin et al., PLDI 2020)",
            expected: Expected::Finds(Kind::Panic),
            budget: 40,
            twin: Some("atomicity/lost-update-fixed"),
            body: lost_update::<false>,
        },
        Scenario {
            name: "atomicity/lost-update-fixed",
            category: Category::Atomicity,
            description: "the handlers count with `fetch_add`",
            source: "the fix: one read-modify-write",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("atomicity/lost-update"),
            body: lost_update::<true>,
        },
        Scenario {
            name: "atomicity/racy-lazy-init",
            category: Category::Atomicity,
            description: "two threads see `initialized == false` and both register the metrics",
            source: "lazy initialisation guarded by a flag check (double-checked locking without the lock)",
            expected: Expected::Finds(Kind::Panic),
            budget: 20,
            twin: Some("atomicity/racy-lazy-init-fixed"),
            body: racy_lazy_init::<false>,
        },
        Scenario {
            name: "atomicity/racy-lazy-init-fixed",
            category: Category::Atomicity,
            description: "the metrics are registered through a `OnceLock`",
            source: "the fix: `OnceLock::get_or_init` (or `Once`), which runs the initialiser exactly once",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("atomicity/racy-lazy-init"),
            body: racy_lazy_init::<true>,
        },
        Scenario {
            name: "atomicity/relaxed-publication",
            category: Category::Atomicity,
            description: "a payload is published through a flag stored and loaded with `Relaxed`",
            source: "publication through a Relaxed flag: a data race on the published cell (ordering bugs in Qin et al., PLDI 2020; loom's canonical example)",
            expected: Expected::Finds(Kind::DataRace),
            budget: 30,
            twin: Some("atomicity/relaxed-publication-fixed"),
            body: relaxed_publication::<false>,
        },
        Scenario {
            name: "atomicity/relaxed-publication-fixed",
            category: Category::Atomicity,
            description: "the flag is stored with `Release` and loaded with `Acquire`",
            source: "the fix: a Release/Acquire pair orders the payload's write before its read",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("atomicity/relaxed-publication"),
            body: relaxed_publication::<true>,
        },
        Scenario {
            name: "atomicity/teardown-before-use",
            category: Category::Atomicity,
            description: "main shuts the logger down while a request handler is still logging",
            source: "teardown before the last use (Go's send-on-closed-channel panics in GoBench; a dropped `Receiver` in Rust)",
            expected: Expected::Finds(Kind::Panic),
            budget: 20,
            twin: Some("atomicity/teardown-before-use-fixed"),
            body: teardown_before_use::<false>,
        },
        Scenario {
            name: "atomicity/teardown-before-use-fixed",
            category: Category::Atomicity,
            description: "main joins the handler before shutting the logger down",
            source: "the fix: stop the users before the resource",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("atomicity/teardown-before-use"),
            body: teardown_before_use::<true>,
        },
    ]
}

/// Check-then-act across two critical sections (SCTBench `CS.account_bad`; atomicity violations,
/// the largest group of non-blocking bugs in Qin et al., PLDI 2020): two ATMs withdraw 60 from 100,
/// each checking the balance under one guard and debiting under another, so both can pass the
/// check. `FIXED`: one guard for check and debit.
fn check_then_act<const FIXED: bool>() {
    let balance = Arc::new(Mutex::new(100u64));
    let atms: Vec<_> = (0..2)
        .map(|i| {
            let balance = Arc::clone(&balance);
            spawn(&format!("atm-{i}"), move || -> bool {
                if FIXED {
                    let mut balance = balance.lock().unwrap();
                    if *balance < 60 {
                        return false;
                    }
                    *balance -= 60;
                    return true;
                }
                let sufficient = *balance.lock().unwrap() >= 60;
                if sufficient {
                    let mut balance = balance.lock().unwrap();
                    *balance = balance
                        .checked_sub(60)
                        .expect("overdraft: the balance was checked, then spent by the other ATM");
                }
                sufficient
            })
        })
        .collect();
    let paid = atms
        .into_iter()
        .map(|atm| atm.join().unwrap())
        .filter(|&paid| paid)
        .count();
    assert_eq!(paid, 1);
    assert_eq!(*balance.lock().unwrap(), 40);
}

/// A lost update through load-then-store (the atomic-misuse bugs of Qin et al., PLDI 2020): two
/// handlers count a hit with `load` followed by `store`, each atomic, the pair not. `FIXED`:
/// `fetch_add`.
fn lost_update<const FIXED: bool>() {
    let hits = Arc::new(AtomicUsize::new(0));
    let handlers: Vec<_> = (0..2)
        .map(|i| {
            let hits = Arc::clone(&hits);
            spawn(&format!("handler-{i}"), move || {
                if FIXED {
                    hits.fetch_add(1, Ordering::SeqCst);
                } else {
                    let seen = hits.load(Ordering::SeqCst);
                    hits.store(seen + 1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for handler in handlers {
        handler.join().unwrap();
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2, "a hit was lost");
}

/// A metrics registry that refuses duplicate names, initialised lazily by whichever thread
/// needs it first.
struct Telemetry {
    initialized: AtomicBool,
    registry: Mutex<HashSet<&'static str>>,
    once: OnceLock<()>,
}

impl Telemetry {
    fn register_metrics(&self) {
        let mut registry = self.registry.lock().unwrap();
        assert!(registry.insert("requests_total"), "metric registered twice");
    }

    fn ensure_init<const FIXED: bool>(&self) {
        if FIXED {
            self.once.get_or_init(|| self.register_metrics());
        } else if !self.initialized.load(Ordering::Acquire) {
            self.register_metrics();
            self.initialized.store(true, Ordering::Release);
        }
    }
}

/// Racy lazy initialisation (double-checked locking without the lock): both servers can see
/// `initialized == false` before either sets it, and both register the metrics. `FIXED`:
/// `OnceLock::get_or_init`, which runs the initialiser once.
fn racy_lazy_init<const FIXED: bool>() {
    let telemetry = Arc::new(Telemetry {
        initialized: AtomicBool::new(false),
        registry: Mutex::new(HashSet::new()),
        once: OnceLock::new(),
    });
    let threads: Vec<_> = ["http", "grpc"]
        .into_iter()
        .map(|server| {
            let telemetry = Arc::clone(&telemetry);
            spawn(server, move || telemetry.ensure_init::<FIXED>())
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(telemetry.registry.lock().unwrap().len(), 1);
}

/// What the logger thread receives.
enum LogMessage {
    Line(String),
    Shutdown,
}

/// Teardown before use (Go's send-on-closed-channel panics in GoBench; in Rust a dropped
/// `Receiver`): main shuts the logger down and joins it while the request handler may still log,
/// whose `send` then fails. `FIXED`: join the handler, then shut the logger down.
fn teardown_before_use<const FIXED: bool>() {
    let (log, inbox) = channel::<LogMessage>();
    let logger = spawn("logger", move || {
        let mut written = 0;
        for message in inbox.iter() {
            match message {
                LogMessage::Line(_line) => written += 1,
                LogMessage::Shutdown => break,
            }
        }
        written
    });
    let l = log.clone();
    let handler = spawn("request-handler", move || {
        for line in ["GET /", "200 OK"] {
            l.send(LogMessage::Line(line.to_owned()))
                .unwrap_or_else(|_| panic!("logged `{line}` after the logger shut down"));
        }
    });
    let handler = if FIXED {
        handler.join().unwrap();
        None
    } else {
        Some(handler)
    };
    log.send(LogMessage::Shutdown).unwrap();
    let written = logger.join().unwrap();
    if let Some(handler) = handler {
        handler.join().unwrap();
    }
    assert!(written <= 2);
}

/// A one-slot mailbox: a payload published through a `ready` flag.
struct Mailbox {
    ready: AtomicBool,
    payload: interleave::cell::UnsafeCell<Vec<u8>>,
}

// SAFETY: `payload` is written once, before `ready` is set, and read only after `ready` was seen
// set: sound only if the flag's store and load order the accesses (Release/Acquire). The bug's
// Relaxed pair does not, which is the data race the scenario shows.
#[expect(
    unsafe_code,
    reason = "a user type whose Sync rests on the flag, as real code does"
)]
unsafe impl Sync for Mailbox {}

/// Publication through a `Relaxed` flag (the ordering bugs of Qin et al., PLDI 2020; loom's
/// canonical example): the producer fills the payload and sets `ready` with `Relaxed`, the
/// consumer sees `ready` with `Relaxed` and reads the payload. Nothing orders the write before
/// the read: a data race on the payload, in whatever order the schedule ran them. `FIXED`:
/// `Release` store, `Acquire` load.
#[expect(
    unsafe_code,
    reason = "the user code reads and writes the cell through its raw pointer"
)]
fn relaxed_publication<const FIXED: bool>() {
    let (store, load) = if FIXED {
        (Ordering::Release, Ordering::Acquire)
    } else {
        (Ordering::Relaxed, Ordering::Relaxed)
    };
    let mailbox = Arc::new(Mailbox {
        ready: AtomicBool::new(false),
        payload: interleave::cell::UnsafeCell::new(Vec::new()),
    });
    let m = Arc::clone(&mailbox);
    let producer = spawn("producer", move || {
        // SAFETY: nobody reads the payload before `ready` is set.
        m.payload
            .with_mut(|p| unsafe { (*p).extend_from_slice(b"config v2") });
        m.ready.store(true, store);
    });
    let m = Arc::clone(&mailbox);
    let consumer = spawn("consumer", move || {
        if m.ready.load(load) {
            // SAFETY: `ready` was seen set, so the producer is done with the payload.
            let len = m.payload.with(|p| unsafe { (*p).len() });
            assert_eq!(len, 9);
        }
    });
    producer.join().unwrap();
    consumer.join().unwrap();
}
