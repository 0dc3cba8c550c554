//! Deadlocks that the recorded execution ran into.

use interleave_detector::{EventKind, Kind, LockMode, ObjectClass, Trace, TraceBuilder};

use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    let bug = Expected::Finds(Kind::Deadlock);
    vec![
        Scenario {
            name: "deadlock/relock",
            category: Category::Deadlock,
            description: "a guard kept alive by a match scrutinee while the arm locks again",
            expected: bug,
            twin: Some("deadlock/relock-fixed"),
            trace: relock::<false>,
        },
        Scenario {
            name: "deadlock/relock-fixed",
            category: Category::Deadlock,
            description: "the value is copied out and the guard dropped before locking again",
            expected: Expected::Clean,
            twin: Some("deadlock/relock"),
            trace: relock::<true>,
        },
        Scenario {
            name: "deadlock/join-while-holding",
            category: Category::Deadlock,
            description: "main joins a worker while holding the mutex the worker needs",
            expected: bug,
            twin: Some("deadlock/join-after-release"),
            trace: join_while_holding::<false>,
        },
        Scenario {
            name: "deadlock/join-after-release",
            category: Category::Deadlock,
            description: "main releases the mutex before joining",
            expected: Expected::Clean,
            twin: Some("deadlock/join-while-holding"),
            trace: join_while_holding::<true>,
        },
    ]
}

fn relock<const FIXED: bool>() -> Trace {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let cache = t.named(main, ObjectClass::Mutex, "cache");
    // `match cache.lock().unwrap().get(k) { None => cache.lock().unwrap().insert(..) }`
    t.lock(main, cache);
    if FIXED {
        t.unlock(main, cache);
        t.lock(main, cache).unlock(main, cache);
    } else {
        t.request(main, cache, LockMode::Exclusive);
    }
    t.into_trace()
}

fn join_while_holding<const FIXED: bool>() -> Trace {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let state = t.named(main, ObjectClass::Mutex, "state");
    let worker = t.spawn_named(main, "worker");
    t.lock(main, state);
    if FIXED {
        t.unlock(main, state);
        t.lock(worker, state).unlock(worker, state).exit(worker);
        t.join(main, worker);
    } else {
        t.request(worker, state, LockMode::Exclusive);
        t.event(main, EventKind::JoinRequest { child: worker });
    }
    t.into_trace()
}
