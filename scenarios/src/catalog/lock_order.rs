//! Lock-order cycles: schedules that *can* deadlock, predicted from executions that did not.

use interleave_detector::{Kind, ObjectClass, Trace, TraceBuilder};

use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    let bug = Expected::Finds(Kind::PotentialDeadlock);
    vec![
        Scenario {
            name: "lock-order/ab-ba",
            category: Category::LockOrder,
            description: "two threads take two mutexes in opposite orders, one after the other",
            expected: bug,
            twin: Some("lock-order/ab-ba-fixed"),
            trace: ab_ba::<false>,
        },
        Scenario {
            name: "lock-order/ab-ba-fixed",
            category: Category::LockOrder,
            description: "both threads take the two mutexes in the same order",
            expected: Expected::Clean,
            twin: Some("lock-order/ab-ba"),
            trace: ab_ba::<true>,
        },
        Scenario {
            name: "lock-order/ab-ba-gated",
            category: Category::LockOrder,
            description: "opposite orders, but always under a common gate mutex: cannot deadlock",
            expected: Expected::Clean,
            twin: None,
            trace: ab_ba_gated,
        },
        Scenario {
            name: "lock-order/ab-ba-before-spawn",
            category: Category::LockOrder,
            description:
                "main takes a→b before spawning the thread that takes b→a: ordered by spawn",
            expected: Expected::Clean,
            twin: None,
            trace: ab_ba_before_spawn,
        },
        Scenario {
            name: "lock-order/dining-philosophers",
            category: Category::LockOrder,
            description: "three philosophers each take their left fork, then their right",
            expected: bug,
            twin: Some("lock-order/dining-philosophers-ordered"),
            trace: philosophers::<false>,
        },
        Scenario {
            name: "lock-order/dining-philosophers-ordered",
            category: Category::LockOrder,
            description: "the last philosopher takes the lower-numbered fork first",
            expected: Expected::Clean,
            twin: Some("lock-order/dining-philosophers"),
            trace: philosophers::<true>,
        },
        Scenario {
            name: "lock-order/rwlock-readers-and-writers",
            category: Category::LockOrder,
            description: "readers take two RwLocks in opposite orders while writers queue on both",
            expected: bug,
            twin: Some("lock-order/rwlock-readers-only"),
            trace: rwlocks::<true>,
        },
        Scenario {
            name: "lock-order/rwlock-readers-only",
            category: Category::LockOrder,
            description: "the same read orders with no writer: readers never block each other",
            expected: Expected::Clean,
            twin: Some("lock-order/rwlock-readers-and-writers"),
            trace: rwlocks::<false>,
        },
    ]
}

fn ab_ba<const FIXED: bool>() -> Trace {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let accounts = t.named(main, ObjectClass::Mutex, "accounts");
    let ledger = t.named(main, ObjectClass::Mutex, "ledger");
    let transfer = t.spawn_named(main, "transfer");
    let audit = t.spawn_named(main, "audit");
    t.lock(transfer, accounts).lock(transfer, ledger);
    t.unlock(transfer, ledger)
        .unlock(transfer, accounts)
        .exit(transfer);
    if FIXED {
        t.lock(audit, accounts).lock(audit, ledger);
        t.unlock(audit, ledger).unlock(audit, accounts).exit(audit);
    } else {
        t.lock(audit, ledger).lock(audit, accounts);
        t.unlock(audit, accounts).unlock(audit, ledger).exit(audit);
    }
    t.join(main, transfer).join(main, audit);
    t.into_trace()
}

fn ab_ba_gated() -> Trace {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let gate = t.named(main, ObjectClass::Mutex, "gate");
    let a = t.named(main, ObjectClass::Mutex, "a");
    let b = t.named(main, ObjectClass::Mutex, "b");
    let t1 = t.spawn(main);
    let t2 = t.spawn(main);
    t.lock(t1, gate).lock(t1, a).lock(t1, b);
    t.unlock(t1, b).unlock(t1, a).unlock(t1, gate).exit(t1);
    t.lock(t2, gate).lock(t2, b).lock(t2, a);
    t.unlock(t2, a).unlock(t2, b).unlock(t2, gate).exit(t2);
    t.join(main, t1).join(main, t2);
    t.into_trace()
}

fn ab_ba_before_spawn() -> Trace {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let a = t.named(main, ObjectClass::Mutex, "a");
    let b = t.named(main, ObjectClass::Mutex, "b");
    t.lock(main, a)
        .lock(main, b)
        .unlock(main, b)
        .unlock(main, a);
    let worker = t.spawn(main);
    t.lock(worker, b).lock(worker, a);
    t.unlock(worker, a).unlock(worker, b).exit(worker);
    t.join(main, worker);
    t.into_trace()
}

fn philosophers<const ORDERED: bool>() -> Trace {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let forks = [
        t.named(main, ObjectClass::Mutex, "fork0"),
        t.named(main, ObjectClass::Mutex, "fork1"),
        t.named(main, ObjectClass::Mutex, "fork2"),
    ];
    let philosophers = [t.spawn(main), t.spawn(main), t.spawn(main)];
    for (i, &p) in philosophers.iter().enumerate() {
        let (mut first, mut second) = (i, (i + 1) % 3);
        if ORDERED && first > second {
            std::mem::swap(&mut first, &mut second);
        }
        t.lock(p, forks[first]).lock(p, forks[second]);
        t.unlock(p, forks[second]).unlock(p, forks[first]).exit(p);
    }
    for p in philosophers {
        t.join(main, p);
    }
    t.into_trace()
}

fn rwlocks<const WRITERS: bool>() -> Trace {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let config = t.named(main, ObjectClass::RwLock, "config");
    let routes = t.named(main, ObjectClass::RwLock, "routes");
    let r1 = t.spawn(main);
    let r2 = t.spawn(main);
    t.read(r1, config).read(r1, routes);
    t.unlock(r1, routes).unlock(r1, config).exit(r1);
    t.read(r2, routes).read(r2, config);
    t.unlock(r2, config).unlock(r2, routes).exit(r2);
    if WRITERS {
        let w1 = t.spawn_named(main, "reload-config");
        let w2 = t.spawn_named(main, "reload-routes");
        t.lock(w1, config).unlock(w1, config).exit(w1);
        t.lock(w2, routes).unlock(w2, routes).exit(w2);
    }
    t.into_trace()
}
