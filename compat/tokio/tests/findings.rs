//! What the detector reports for the reservations and owned guards: a task waiting forever on
//! `reserve` is reported as one waiting on `send` is, and owned guards are the same holds of
//! the same locks as borrowed ones.

use interleave_tokio as tokio;

use std::sync::Arc;

use interleave::{Config, Kind, Report};
use tokio::sync::{mpsc, Mutex};

fn explore(name: &str, f: fn()) -> Report {
    Config::random(100)
        .seed(7)
        .name(name)
        .write_artifact(false)
        .explore(f)
}

/// Main holds the channel's only slot (a message, or a permit) and awaits a task that waits
/// for room: a deadlock on every schedule.
fn room_deadlock<const RESERVE: bool>() {
    interleave::future::block_on(async {
        let (tx, _rx) = mpsc::channel::<u8>(1);
        let _slot = if RESERVE {
            Some(tx.reserve().await.unwrap())
        } else {
            tx.send(0).await.unwrap();
            None
        };
        let waiter = {
            let tx = tx.clone();
            tokio::spawn(async move {
                if RESERVE {
                    tx.reserve().await.unwrap().send(1);
                } else {
                    tx.send(1).await.unwrap();
                }
            })
        };
        waiter.await.unwrap();
    });
}

#[test]
fn a_task_waiting_forever_on_reserve_is_reported_as_one_waiting_on_send() {
    let reserve = explore("reserve_deadlock", room_deadlock::<true>);
    let send = explore("send_deadlock", room_deadlock::<false>);
    for report in [&reserve, &send] {
        let kinds: Vec<Kind> = report.findings.iter().map(|f| f.kind()).collect();
        assert_eq!(kinds, [Kind::Deadlock], "{report}");
        // Every schedule deadlocks: the first execution finds it.
        assert_eq!(report.failing_execution, Some(1));
    }
    assert_eq!(reserve.findings[0].headline, send.findings[0].headline);
    insta::assert_snapshot!(reserve.findings[0].to_string());
}

/// Two tasks take two mutexes in opposite orders; `OWNED`: through `lock_owned` (one task
/// mixes both kinds).
fn ab_ba<const OWNED: bool, const FIXED: bool>() {
    interleave::future::block_on(async {
        let a = Arc::new(Mutex::new(0));
        let b = Arc::new(Mutex::new(0));
        let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
        let first = tokio::spawn(async move {
            if OWNED {
                let _a = a2.lock_owned().await;
                let _b = b2.lock().await;
            } else {
                let _a = a2.lock().await;
                let _b = b2.lock().await;
            }
        });
        let second = tokio::spawn(async move {
            let (x, y) = if FIXED { (a, b) } else { (b, a) };
            if OWNED {
                let _x = x.lock_owned().await;
                let _y = y.lock_owned().await;
            } else {
                let _x = x.lock().await;
                let _y = y.lock().await;
            }
        });
        first.await.unwrap();
        second.await.unwrap();
    });
}

#[test]
fn owned_guards_are_seen_as_borrowed_ones() {
    let owned = explore("owned_ab_ba", ab_ba::<true, false>);
    let borrowed = explore("borrowed_ab_ba", ab_ba::<false, false>);
    for report in [&owned, &borrowed] {
        let kinds: Vec<Kind> = report.findings.iter().map(|f| f.kind()).collect();
        assert_eq!(kinds, [Kind::PotentialDeadlock], "{report}");
    }
    assert_eq!(owned.findings[0].headline, borrowed.findings[0].headline);
    assert_eq!(owned.failing_execution, borrowed.failing_execution);
    insta::assert_snapshot!(owned.findings[0].to_string());
    // The twins in one order are clean, and exhaustive exploration runs as many executions
    // through owned guards as through borrowed ones: the same requests, the same
    // scheduling points.
    let exhaustive = |f: fn()| Config::exhaustive().write_artifact(false).explore(f);
    let (owned, borrowed) = (
        exhaustive(ab_ba::<true, true>),
        exhaustive(ab_ba::<false, true>),
    );
    assert!(owned.is_clean() && owned.complete, "{owned}");
    assert!(borrowed.is_clean() && borrowed.complete, "{borrowed}");
    assert_eq!(owned.executions, borrowed.executions);
}

/// Main holds an owned guard and awaits a task that waits for the same mutex.
fn owned_guard_deadlock() {
    interleave::future::block_on(async {
        let m = Arc::new(Mutex::new(0));
        let _held = Arc::clone(&m).lock_owned().await;
        let waiter = tokio::spawn(async move { *m.lock().await += 1 });
        waiter.await.unwrap();
    });
}

#[test]
fn a_wait_on_an_owned_guard_names_where_it_was_taken() {
    let report = explore("owned_guard_deadlock", owned_guard_deadlock);
    let kinds: Vec<Kind> = report.findings.iter().map(|f| f.kind()).collect();
    assert_eq!(kinds, [Kind::Deadlock], "{report}");
    // Every schedule deadlocks: the first execution finds it.
    assert_eq!(report.failing_execution, Some(1));
    insta::assert_snapshot!(report.findings[0].to_string());
}

/// The orders in which main received from a task sending through a reservation and a task
/// sending directly, over a channel of one slot, and the executions exhaustive exploration ran.
fn reservation_orders(
    strategy: interleave::Strategy,
) -> (u64, std::collections::BTreeSet<Vec<u8>>) {
    use std::sync::Mutex as StdMutex;
    let seen = Arc::new(StdMutex::new(std::collections::BTreeSet::new()));
    let s = Arc::clone(&seen);
    let report = Config::exhaustive()
        .strategy(strategy)
        .write_artifact(false)
        .explore(move || {
            let s = Arc::clone(&s);
            interleave::future::Runtime::new(2).block_on(async move {
                let (tx, mut rx) = mpsc::channel::<u8>(1);
                let t = tx.clone();
                let reserver = tokio::spawn(async move { t.reserve().await.unwrap().send(1) });
                let sender = tokio::spawn(async move { tx.send(2).await.unwrap() });
                let order = vec![rx.recv().await.unwrap(), rx.recv().await.unwrap()];
                reserver.await.unwrap();
                sender.await.unwrap();
                s.lock().unwrap().insert(order);
            });
        });
    assert!(report.is_clean() && report.complete, "{report}");
    let seen = seen.lock().unwrap().clone();
    (report.executions, seen)
}

/// Partial-order reduction prunes no order a reservation makes possible: both orders, as
/// naive exhaustive exploration finds them, in fewer executions (pinned: 32 against 334 —
/// two tasks on the two workers, main's `block_on` polling beside them as on tokio's
/// multi-thread runtime, so a task never waits for a worker and taking or giving one back
/// commutes with everything; each reservation, send, receive and slot hand-over is a
/// conflicting step on the channel, and a receive that finds its message at its first poll
/// may also run before the send, returning `Pending`. They change with the reduction, not
/// with the outcome: with main on a worker too, three pollers contended for two workers and
/// optimal DPOR ran 116, naive DFS 370; with a first-poll receive taken as waiting for the
/// send, 28).
#[test]
fn exhaustive_exploration_reaches_every_order_through_reservations() {
    let (dpor, reached) = reservation_orders(interleave::Strategy::Exhaustive);
    let (naive, naive_reached) = reservation_orders(interleave::Strategy::ExhaustiveNaive);
    assert_eq!(
        reached,
        std::collections::BTreeSet::from([vec![1, 2], vec![2, 1]])
    );
    assert_eq!(reached, naive_reached);
    assert_eq!((dpor, naive), (32, 334));
}

/// A task checks a flag and, if it is not set, waits with `notified()`; main sets the flag and
/// calls `notify_waiters`, which wakes only futures created before it. The task can check
/// between main's two steps' worth of work, and create its future after `notify_waiters`:
/// it then waits forever (tokio's documented pitfall; `Notified::enable` before the check is
/// the fix). `FIXED`: the task creates and enables its future before checking the flag.
fn missed_notify_waiters<const FIXED: bool>() {
    use interleave::sync::atomic::{AtomicBool, Ordering};
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
        .block_on(async {
            let flag = Arc::new(AtomicBool::new(false));
            let notify = Arc::new(tokio::sync::Notify::new());
            let (f, n) = (Arc::clone(&flag), Arc::clone(&notify));
            let task = tokio::spawn(async move {
                if FIXED {
                    let mut notified = std::pin::pin!(n.notified());
                    notified.as_mut().enable();
                    if !f.load(Ordering::SeqCst) {
                        notified.await;
                    }
                } else if !f.load(Ordering::SeqCst) {
                    n.notified().await;
                }
            });
            flag.store(true, Ordering::SeqCst);
            notify.notify_waiters();
            task.await.unwrap();
        });
}

/// Creating a `notified()` future is a scheduling point that reads the notify: exhaustive
/// exploration (DPOR and naive DFS) runs `notify_waiters` between the task's check and its
/// `notified()`, and finds the task waiting forever; with the future enabled before the
/// check, every schedule is clean. (Before, creating the future was part of the task's
/// previous step and read the notify unannounced: both said "clean, every schedule
/// explored".)
#[test]
fn a_notify_waiters_between_a_check_and_notified_is_found_by_exhaustive_exploration() {
    for strategy in [
        interleave::Strategy::Exhaustive,
        interleave::Strategy::ExhaustiveNaive,
    ] {
        let report = Config::exhaustive()
            .strategy(strategy)
            .name("missed_notify_waiters")
            .write_artifact(false)
            .explore(missed_notify_waiters::<false>);
        let kinds: Vec<Kind> = report.findings.iter().map(|f| f.kind()).collect();
        assert_eq!(kinds, [Kind::Deadlock], "{strategy:?}: {report}");
        let fixed = Config::exhaustive()
            .strategy(strategy)
            .write_artifact(false)
            .explore(missed_notify_waiters::<true>);
        assert!(fixed.is_clean() && fixed.complete, "{strategy:?}: {fixed}");
    }
}

/// Two producers each send twice through a channel of capacity 1 that main drains, on a
/// multi-thread runtime of 2 workers; main then joins them through their `JoinHandle`s or a
/// `JoinSet`. Returns the executions of exhaustive exploration.
fn producers(join_set: bool) -> u64 {
    let report = Config::exhaustive()
        .write_artifact(false)
        .env_overrides(false)
        .explore(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap()
                .block_on(async {
                    let (tx, mut rx) = mpsc::channel::<u32>(1);
                    let mut set = tokio::task::JoinSet::new();
                    let mut handles = Vec::new();
                    for p in 0..2u32 {
                        let tx = tx.clone();
                        let producer = async move {
                            for i in 0..2 {
                                tx.send(p * 10 + i).await.unwrap();
                            }
                        };
                        if join_set {
                            set.spawn(producer);
                        } else {
                            handles.push(tokio::spawn(producer));
                        }
                    }
                    drop(tx);
                    let mut received = 0;
                    while rx.recv().await.is_some() {
                        received += 1;
                    }
                    assert_eq!(received, 4);
                    for handle in handles {
                        handle.await.unwrap();
                    }
                    while let Some(output) = set.join_next().await {
                        output.unwrap();
                    }
                });
        });
    assert!(report.is_clean() && report.complete, "{report}");
    report.executions
}

/// `block_on` on a multi-thread runtime polls beside the workers, as tokio's does, not on one
/// of them. When it took one, main and the two producers contended for the 2 workers: a take or
/// give-back of a worker with fewer than two free was a write of the runtime, so every poll's
/// start and end raced with the other pollers', and each extra step multiplied the orders.
/// The `JoinSet`'s steps (each task's end sends on the set's channel, each `join_next`
/// receives, then joins) made it explode: DPOR stopped at the 100,000 budget, against 3,444
/// executions with `JoinHandle`s. Now two tasks on two workers never wait for one (takes and
/// give-backs commute): 1,040 with `JoinHandle`s, and 6,240 with the `JoinSet`, whose end
/// messages conflict with each other and with its receives (their order is what `join_next`
/// returns). Then 1,608 and 19,296: a receive that finds its message at its first poll (main's
/// of the values, `join_next`'s of an end message) is no longer taken as having waited for the
/// send; polled before it, the receive returns `Pending` and its task may go on (a `timeout`,
/// a `select!`), so exhaustive exploration runs that order too.
#[test]
fn a_join_set_on_a_multi_thread_runtime_is_explored_within_the_budget() {
    assert_eq!((producers(false), producers(true)), (1_608, 19_296));
}
