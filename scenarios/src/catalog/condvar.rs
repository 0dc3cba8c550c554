//! Condition-variable misuse.

use interleave_detector::{EventKind, Kind, ObjectClass, Trace, TraceBuilder};

use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "condvar/lost-wakeup",
            category: Category::Condvar,
            description: "the notification comes before the wait, which has no predicate to check",
            expected: Expected::Finds(Kind::Deadlock),
            twin: Some("condvar/predicate-loop"),
            trace: lost_wakeup::<false>,
        },
        Scenario {
            name: "condvar/predicate-loop",
            category: Category::Condvar,
            description:
                "the waiter checks a flag under the mutex and only waits while it is unset",
            expected: Expected::Clean,
            twin: Some("condvar/lost-wakeup"),
            trace: lost_wakeup::<true>,
        },
    ]
}

fn lost_wakeup<const FIXED: bool>() -> Trace {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let lock = t.named(main, ObjectClass::Mutex, "ready_lock");
    let ready = t.named(main, ObjectClass::Condvar, "ready");
    let flag = t.named(main, ObjectClass::Cell, "ready_flag");
    let waiter = t.spawn_named(main, "waiter");
    t.lock(main, lock);
    t.cell_write(main, flag);
    t.event(
        main,
        EventKind::CondvarNotify {
            condvar: ready,
            all: false,
        },
    );
    t.unlock(main, lock);
    t.lock(waiter, lock);
    if FIXED {
        // `while !*ready { cv.wait(guard) }`: the flag is already set, no wait.
        t.cell_read(waiter, flag);
        t.unlock(waiter, lock).exit(waiter);
        t.join(main, waiter);
    } else {
        t.unlock(waiter, lock);
        t.event(
            waiter,
            EventKind::CondvarWait {
                condvar: ready,
                lock,
                timed: false,
            },
        );
        t.event(main, EventKind::JoinRequest { child: waiter });
        t.event(main, EventKind::Stuck);
    }
    t.into_trace()
}
