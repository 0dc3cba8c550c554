//! Data races: accesses that no synchronisation orders.

use interleave_detector::{
    AtomicOp, EventKind, Kind, MemoryOrdering, ObjectClass, Trace, TraceBuilder,
};

use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    let bug = Expected::Finds(Kind::DataRace);
    vec![
        Scenario {
            name: "race/relaxed-publication",
            category: Category::Race,
            description: "data published through a Relaxed flag: the reader's load orders nothing",
            expected: bug,
            twin: Some("race/release-acquire-publication"),
            trace: publication::<false>,
        },
        Scenario {
            name: "race/release-acquire-publication",
            category: Category::Race,
            description: "the flag is stored with Release and loaded with Acquire",
            expected: Expected::Clean,
            twin: Some("race/relaxed-publication"),
            trace: publication::<true>,
        },
        Scenario {
            name: "race/unlocked-counter",
            category: Category::Race,
            description: "two threads increment a shared counter without a lock",
            expected: bug,
            twin: Some("race/locked-counter"),
            trace: counter::<false>,
        },
        Scenario {
            name: "race/locked-counter",
            category: Category::Race,
            description: "both increments happen under one mutex",
            expected: Expected::Clean,
            twin: Some("race/unlocked-counter"),
            trace: counter::<true>,
        },
        Scenario {
            name: "race/write-after-send",
            category: Category::Race,
            description: "the sender keeps writing a buffer it already handed over a channel",
            expected: bug,
            twin: Some("race/channel-handoff"),
            trace: handoff::<false>,
        },
        Scenario {
            name: "race/channel-handoff",
            category: Category::Race,
            description: "the sender finishes writing before it sends",
            expected: Expected::Clean,
            twin: Some("race/write-after-send"),
            trace: handoff::<true>,
        },
    ]
}

fn publication<const FIXED: bool>() -> Trace {
    let (store, load) = if FIXED {
        (MemoryOrdering::Release, MemoryOrdering::Acquire)
    } else {
        (MemoryOrdering::Relaxed, MemoryOrdering::Relaxed)
    };
    let mut t = TraceBuilder::new();
    let main = t.main();
    let data = t.named(main, ObjectClass::Cell, "data");
    let ready = t.named(main, ObjectClass::Atomic, "ready");
    let producer = t.spawn_named(main, "producer");
    let consumer = t.spawn_named(main, "consumer");
    t.cell_write(producer, data);
    t.atomic(producer, ready, AtomicOp::Store, store)
        .exit(producer);
    t.atomic(consumer, ready, AtomicOp::Load, load);
    t.cell_read(consumer, data).exit(consumer);
    t.into_trace()
}

fn counter<const FIXED: bool>() -> Trace {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let lock = t.named(main, ObjectClass::Mutex, "lock");
    let count = t.named(main, ObjectClass::Cell, "count");
    let workers = [t.spawn(main), t.spawn(main)];
    for w in workers {
        if FIXED {
            t.lock(w, lock);
        }
        t.cell_read(w, count).cell_write(w, count);
        if FIXED {
            t.unlock(w, lock);
        }
        t.exit(w);
    }
    for w in workers {
        t.join(main, w);
    }
    t.cell_read(main, count);
    t.into_trace()
}

fn handoff<const FIXED: bool>() -> Trace {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let buffer = t.named(main, ObjectClass::Cell, "buffer");
    let channel = t.named(main, ObjectClass::Channel, "jobs");
    let consumer = t.spawn_named(main, "consumer");
    t.cell_write(main, buffer);
    t.event(main, EventKind::SendRequest { channel });
    t.event(main, EventKind::Sent { channel, ok: true });
    if !FIXED {
        t.cell_write(main, buffer);
    }
    t.event(
        consumer,
        EventKind::RecvRequest {
            channel,
            bounded: false,
        },
    );
    t.event(consumer, EventKind::Received { channel, ok: true });
    t.cell_read(consumer, buffer).exit(consumer);
    t.join(main, consumer);
    t.into_trace()
}
