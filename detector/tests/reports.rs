//! The text report of every kind of finding, as insta snapshots, plus the facts each report
//! must carry (threads, objects, sites, fingerprints).

use interleave_detector::{
    Detail, DetectorConfig, EventKind, Finding, Kind, LockMode, MemoryOrdering, ObjectClass,
    ThreadId, Trace, TraceBuilder,
};

fn analyse(trace: TraceBuilder) -> Vec<Finding> {
    trace
        .into_trace()
        .analyze(DetectorConfig::default())
        .expect("well-formed trace")
}

fn only(findings: Vec<Finding>) -> Finding {
    assert_eq!(findings.len(), 1, "expected one finding, got {findings:#?}");
    findings.into_iter().next().unwrap()
}

fn ab_ba() -> TraceBuilder {
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
    t.lock(audit, ledger).lock(audit, accounts);
    t.unlock(audit, accounts).unlock(audit, ledger).exit(audit);
    t.join(main, transfer).join(main, audit);
    t
}

#[test]
fn potential_deadlock_ab_ba() {
    let finding = only(analyse(ab_ba()));
    assert_eq!(finding.kind, Kind::PotentialDeadlock);
    let Detail::LockCycle { edges } = &finding.detail else {
        panic!("not a cycle: {finding:?}")
    };
    // transfer holds accounts → requests ledger; audit holds ledger → requests accounts.
    let names: Vec<(&str, &str, &str)> = edges
        .iter()
        .map(|e| {
            (
                finding.threads[e.thread].name.as_str(),
                finding.objects[e.held].name.as_deref().unwrap(),
                finding.objects[e.requested].name.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("transfer", "accounts", "ledger"),
            ("audit", "ledger", "accounts")
        ]
    );
    // Seen in the first execution, at audit's request of accounts (step 14), although that
    // execution ran the two threads one after the other.
    assert_eq!((finding.steps.execution, finding.steps.last), (1, 14));
    insta::assert_snapshot!(finding.to_string());
}

#[test]
fn potential_deadlock_three_philosophers() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let forks = [t.mutex(main), t.mutex(main), t.mutex(main)];
    let philosophers: Vec<ThreadId> = (0..3).map(|_| t.spawn(main)).collect();
    for (i, &p) in philosophers.iter().enumerate() {
        let (left, right) = (forks[i], forks[(i + 1) % 3]);
        t.lock(p, left)
            .lock(p, right)
            .unlock(p, right)
            .unlock(p, left)
            .exit(p);
    }
    let finding = only(analyse(t));
    let Detail::LockCycle { edges } = &finding.detail else {
        panic!("not a cycle")
    };
    assert_eq!(edges.len(), 3);
    insta::assert_snapshot!(finding.to_string());
}

#[test]
fn potential_deadlock_recursive_read_with_a_writer() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let config = t.named(main, ObjectClass::RwLock, "config");
    let reader = t.spawn_named(main, "reader");
    let writer = t.spawn_named(main, "writer");
    t.lock(writer, config).unlock(writer, config).exit(writer);
    t.read(reader, config).read(reader, config);
    let finding = only(analyse(t));
    assert_eq!(finding.kind, Kind::PotentialDeadlock);
    insta::assert_snapshot!(finding.to_string());
}

#[test]
fn deadlock_relocking_a_held_mutex() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let state = t.named(main, ObjectClass::Mutex, "state");
    t.lock(main, state);
    t.request(main, state, LockMode::Exclusive);
    let finding = only(analyse(t));
    assert_eq!(finding.kind, Kind::Deadlock);
    assert!(matches!(finding.detail, Detail::SelfDeadlock { .. }));
    insta::assert_snapshot!(finding.to_string());
}

#[test]
fn deadlock_partial_cycle_while_another_thread_runs() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let a = t.named(main, ObjectClass::Mutex, "a");
    let b = t.named(main, ObjectClass::Mutex, "b");
    let t1 = t.spawn(main);
    let t2 = t.spawn(main);
    let busy = t.spawn_named(main, "busy");
    t.lock(t1, a).lock(t2, b);
    t.request(t1, b, LockMode::Exclusive);
    t.event(busy, EventKind::Exit);
    t.request(t2, a, LockMode::Exclusive);
    let findings = analyse(t);
    let kinds: Vec<Kind> = findings.iter().map(|f| f.kind).collect();
    // The cycle is predicted at the second request, and realized at the same moment.
    assert_eq!(kinds, [Kind::PotentialDeadlock, Kind::Deadlock]);
    let finding = findings.into_iter().nth(1).unwrap();
    let Detail::Deadlock {
        partial,
        running,
        waits,
        ..
    } = &finding.detail
    else {
        panic!("not a deadlock")
    };
    assert!(*partial);
    assert_eq!(finding.threads[running[0]].name, "main");
    assert_eq!(waits.len(), 2);
    insta::assert_snapshot!(finding.to_string());
}

#[test]
fn deadlock_everyone_blocked_after_a_lost_wakeup() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let m = t.named(main, ObjectClass::Mutex, "ready_lock");
    let cv = t.named(main, ObjectClass::Condvar, "ready");
    let waiter = t.spawn_named(main, "waiter");
    // main notifies before the waiter waits; the waiter then waits forever.
    t.lock(main, m);
    t.event(
        main,
        EventKind::CondvarNotify {
            condvar: cv,
            all: false,
        },
    );
    t.unlock(main, m);
    t.lock(waiter, m);
    t.unlock(waiter, m);
    t.event(
        waiter,
        EventKind::CondvarWait {
            condvar: cv,
            lock: m,
            timed: false,
        },
    );
    t.event(main, EventKind::JoinRequest { child: waiter });
    t.event(main, EventKind::Stuck);
    let finding = only(analyse(t));
    assert_eq!(finding.kind, Kind::Deadlock);
    let text = finding.to_string();
    assert!(text.contains("before anyone waited"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn data_race_through_a_relaxed_flag() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let data = t.named(main, ObjectClass::Cell, "data");
    let ready = t.named(main, ObjectClass::Atomic, "ready");
    let producer = t.spawn_named(main, "producer");
    let consumer = t.spawn_named(main, "consumer");
    t.cell_write(producer, data);
    t.atomic(
        producer,
        ready,
        interleave_detector::AtomicOp::Store,
        MemoryOrdering::Relaxed,
    );
    t.atomic(
        consumer,
        ready,
        interleave_detector::AtomicOp::Load,
        MemoryOrdering::Relaxed,
    );
    t.cell_read(consumer, data);
    let finding = only(analyse(t));
    assert_eq!(finding.kind, Kind::DataRace);
    insta::assert_snapshot!(finding.to_string());
}

#[test]
fn no_data_race_through_release_and_acquire() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let data = t.object(main, ObjectClass::Cell);
    let ready = t.object(main, ObjectClass::Atomic);
    let producer = t.spawn(main);
    let consumer = t.spawn(main);
    t.cell_write(producer, data);
    t.atomic(
        producer,
        ready,
        interleave_detector::AtomicOp::Store,
        MemoryOrdering::Release,
    );
    t.atomic(
        consumer,
        ready,
        interleave_detector::AtomicOp::Load,
        MemoryOrdering::Acquire,
    );
    t.cell_read(consumer, data);
    assert_eq!(analyse(t), []);
}

#[test]
fn livelock_names_the_threads_that_kept_running() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let flag = t.named(main, ObjectClass::Atomic, "turn");
    let left = t.spawn_named(main, "left");
    let right = t.spawn_named(main, "right");
    t.event(main, EventKind::JoinRequest { child: left });
    for _ in 0..3 {
        t.atomic(
            left,
            flag,
            interleave_detector::AtomicOp::Rmw,
            MemoryOrdering::SeqCst,
        );
        t.atomic(
            right,
            flag,
            interleave_detector::AtomicOp::Rmw,
            MemoryOrdering::SeqCst,
        );
    }
    t.event(right, EventKind::StepLimit { max_steps: 8 });
    let finding = only(analyse(t));
    assert_eq!(finding.kind, Kind::Livelock);
    let Detail::Livelock { running, .. } = &finding.detail else {
        panic!("not a livelock")
    };
    let names: Vec<&str> = running
        .iter()
        .map(|r| finding.threads[r.thread].name.as_str())
        .collect();
    assert_eq!(
        names,
        ["left", "right"],
        "main is blocked in join, not running"
    );
    insta::assert_snapshot!(finding.to_string());
}

#[test]
fn panic_names_the_thread_and_site() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let worker = t.spawn_named(main, "worker");
    t.event(
        worker,
        EventKind::Panic {
            message: "assertion `left == right` failed\n  left: 1\n right: 2".to_owned(),
            backtrace: None,
        },
    );
    let finding = only(analyse(t));
    assert_eq!(finding.kind, Kind::Panic);
    insta::assert_snapshot!(finding.to_string());
}

#[test]
fn a_panic_s_backtrace_is_shown_and_left_out_of_the_fingerprint() {
    let panic = |backtrace: Option<&str>| {
        let mut t = TraceBuilder::new();
        let main = t.main();
        t.event(
            main,
            EventKind::Panic {
                message: "overdrawn".to_owned(),
                backtrace: backtrace.map(str::to_owned),
            },
        );
        only(analyse(t))
    };
    let with = panic(Some("  0: bank::withdraw\n         at src/lib.rs:10:9\n"));
    assert_eq!(with.fingerprint, panic(None).fingerprint);
    let report = with.to_string();
    let shown: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.contains("backtrace"))
        .take(3)
        .collect();
    assert_eq!(
        shown,
        [
            "  backtrace of the panicking thread:",
            "      0: bank::withdraw",
            "             at src/lib.rs:10:9"
        ]
    );
}

#[test]
fn findings_serialise_to_json_and_back() {
    let findings = analyse(ab_ba());
    let json = serde_json::to_string_pretty(&findings).unwrap();
    let back: Vec<Finding> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, findings);
    insta::assert_snapshot!(json);
}

#[test]
fn fingerprints_survive_new_seeds_and_lines_added_above() {
    // The same AB-BA program with every site moved down 10 lines and the threads spawned in
    // the other order: a different run of the same bug.
    let original = only(analyse(ab_ba()));
    let moved: Trace = {
        let mut trace = ab_ba().into_trace();
        for event in &mut trace.executions[0].events {
            event.site.line += 10;
        }
        trace
    };
    let moved = only(moved.analyze(DetectorConfig::default()).unwrap());
    assert_eq!(moved.fingerprint, original.fingerprint);

    // A different bug (the gate-less cycle on other locks) has another fingerprint.
    let mut other = TraceBuilder::new();
    let main = other.main();
    let (x, y) = (other.mutex(main), other.mutex(main));
    let (t1, t2) = (other.spawn(main), other.spawn(main));
    other.lock(t1, x).lock(t1, y).unlock(t1, y).unlock(t1, x);
    other.lock(t2, y).lock(t2, x).unlock(t2, x).unlock(t2, y);
    assert_ne!(only(analyse(other)).fingerprint, original.fingerprint);
}

#[test]
fn races_of_the_same_shape_on_two_cells_are_both_reported() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let (a, b) = (
        t.object(main, ObjectClass::Cell),
        t.object(main, ObjectClass::Cell),
    );
    let (t1, t2) = (t.spawn(main), t.spawn(main));
    t.cell_write(t1, a);
    t.cell_write(t2, a);
    t.cell_write(t1, b);
    t.cell_write(t2, b);
    let findings = analyse(t);
    let cells: Vec<u32> = findings
        .iter()
        .map(|f| {
            let Detail::DataRace { cell, .. } = f.detail else {
                panic!("not a race: {f}")
            };
            f.objects[cell].id
        })
        .collect();
    assert_eq!(cells, [0, 1]);
}

#[test]
fn read_locks_do_not_order_readers_but_order_the_next_writer() {
    // Two threads write a cell while holding the same RwLock for reading: a race.
    let mut t = TraceBuilder::new();
    let main = t.main();
    let lock = t.rwlock(main);
    let cell = t.object(main, ObjectClass::Cell);
    let (t1, t2, t3) = (t.spawn(main), t.spawn(main), t.spawn(main));
    t.read(t1, lock).cell_write(t1, cell).unlock(t1, lock);
    t.read(t2, lock).cell_write(t2, cell).unlock(t2, lock);
    // A writer after both readers is ordered after both: no race with either.
    t.lock(t3, lock).cell_write(t3, cell).unlock(t3, lock);
    let findings = analyse(t);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let Detail::DataRace { first, second, .. } = &findings[0].detail else {
        panic!("not a race")
    };
    let names = |a: &interleave_detector::Access| findings[0].threads[a.thread].name.clone();
    assert_eq!(
        (names(first).as_str(), names(second).as_str()),
        ("t1", "t2")
    );
}

/// The findings of two threads that each take one of two mutexes (`locks`, created after
/// mutexes named `before`) and then request the other: the cycle, then the deadlock.
fn ab_ba_deadlock(before: &[&str], locks: [&str; 2]) -> Vec<Finding> {
    let mut t = TraceBuilder::new();
    let main = t.main();
    for name in before {
        t.named(main, ObjectClass::Mutex, name);
    }
    let [a, b] = locks.map(|name| t.named(main, ObjectClass::Mutex, name));
    let t1 = t.spawn(main);
    let t2 = t.spawn(main);
    t.lock(t1, a).lock(t2, b);
    t.request(t1, b, LockMode::Exclusive);
    t.request(t2, a, LockMode::Exclusive);
    analyse(t)
}

#[test]
fn a_cycle_predicted_and_realized_is_one_finding_with_the_prediction() {
    let mut findings = ab_ba_deadlock(&[], ["a", "b"]);
    let potential = findings[0].fingerprint.clone();
    let deadlock = findings[1].fingerprint.clone();
    interleave_detector::merge_realized(&mut findings, &[]);
    let [finding] = &findings[..] else {
        panic!("{findings:?}")
    };
    // The deadlock keeps its own fingerprint and names the cycle's.
    assert_eq!(finding.fingerprint, deadlock);
    let Detail::Deadlock {
        predicted: Some(predicted),
        ..
    } = &finding.detail
    else {
        panic!("{finding}")
    };
    assert_eq!(predicted.fingerprint, potential);
    assert_eq!(predicted.cycle, "a → b → a");
    let report = finding.to_string();
    let section: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.contains("predicted before it happened"))
        .take(3)
        .collect();
    assert_eq!(
        section[0],
        format!(
            "  predicted before it happened, as the lock-order cycle a → b → a (potential deadlock {potential}):"
        )
    );
    assert!(
        section[1].starts_with("    `t1` held a (acquired at detector/tests/reports.rs:")
            && section[1].ends_with("(execution 1, step 9)"),
        "{report}"
    );
    assert!(
        section[2].starts_with("    `t2` held b (acquired at detector/tests/reports.rs:")
            && section[2].ends_with("(execution 1, step 10)"),
        "{report}"
    );
}

#[test]
fn a_cycle_realized_again_takes_its_prediction_from_the_deadlock_it_was_folded_into() {
    // The cycle is reported once per check: if its first report was folded into a deadlock,
    // a later execution that deadlocks on the same locks finds the prediction there (without
    // it, a baseline accepting the cycle would accept the first deadlock and not the second).
    let mut first = ab_ba_deadlock(&[], ["a", "b"]);
    let potential = first[0].fingerprint.clone();
    let mut again = vec![first[1].clone()];
    interleave_detector::merge_realized(&mut first, &[]);
    interleave_detector::merge_realized(&mut again, &first);
    let [deadlock] = &again[..] else {
        panic!("{again:?}")
    };
    let Detail::Deadlock {
        predicted: Some(predicted),
        ..
    } = &deadlock.detail
    else {
        panic!("{deadlock}")
    };
    assert_eq!(predicted.fingerprint, potential);
    // A deadlock on other locks takes nothing from it (created after two others, so that their
    // identities are not those of `a` and `b`).
    let mut other = vec![ab_ba_deadlock(&["a", "b"], ["c", "d"])[1].clone()];
    interleave_detector::merge_realized(&mut other, &first);
    assert!(
        matches!(
            other[0].detail,
            Detail::Deadlock {
                predicted: None,
                ..
            }
        ),
        "{}",
        other[0]
    );
}

#[test]
fn await_holding_a_sync_lock_names_the_lock_and_both_sites() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let cache = t.named(main, ObjectClass::Mutex, "cache");
    let task = t.spawn_named(main, "task");
    t.lock(task, cache);
    t.event(task, EventKind::AwaitHolding { lock: cache });
    t.unlock(task, cache).exit(task);
    t.join(main, task);
    let finding = only(analyse(t));
    assert_eq!(finding.kind, Kind::PotentialDeadlock);
    let Detail::AwaitHolding { thread, lock, .. } = &finding.detail else {
        panic!("not an await holding a lock: {finding:?}")
    };
    assert_eq!(finding.threads[*thread].name, "task");
    assert_eq!(finding.objects[*lock].name.as_deref(), Some("cache"));
    assert!(
        finding
            .headline
            .starts_with("await while holding a lock: `task`"),
        "{}",
        finding.headline
    );
}

#[test]
fn a_lost_waker_is_a_deadlock_of_its_task_alone() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let task = t.spawn_named(main, "poller");
    t.event(task, EventKind::LostWaker);
    let finding = only(analyse(t));
    assert_eq!(finding.kind, Kind::Deadlock);
    assert_eq!(
        finding.headline,
        "deadlock: lost waker: `poller` can never be polled again"
    );
    let Detail::Deadlock { waits, .. } = &finding.detail else {
        panic!("not a deadlock: {finding:?}")
    };
    assert_eq!(waits.len(), 1);
    assert_eq!(waits[0].target, interleave_detector::WaitTarget::LostWaker);
}

#[test]
fn an_async_wait_on_a_lock_is_refused() {
    let mut t = TraceBuilder::new();
    let main = t.main();
    let lock = t.named(main, ObjectClass::Mutex, "m");
    t.event(main, EventKind::AsyncWait { object: lock });
    assert!(t.into_trace().analyze(DetectorConfig::default()).is_err());
}
