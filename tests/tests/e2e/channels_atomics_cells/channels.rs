//! Channels: FIFO, disconnection both ways, rendezvous, happens-before per message, and the
//! hangs channels are known for.

use std::collections::BTreeSet;
use std::sync::Mutex as StdMutex;

use interleave::sync::atomic::{AtomicBool, Ordering};
use interleave::sync::mpsc::{
    channel, sync_channel, RecvError, SendError, TryRecvError, TrySendError,
};
use interleave::sync::Arc;
use interleave::{thread, Kind};
use interleave_detector::{Detail, ObjectClass, WaitTarget};

use super::{exhaustive, named, only, race, random, source_line, Shared};

#[test]
fn messages_arrive_in_the_order_they_were_sent_and_iter_ends_at_disconnection() {
    for bound in [None, Some(0), Some(1)] {
        let report = exhaustive().explore(move || {
            let received: Vec<u32> = match bound {
                None => {
                    let (tx, rx) = channel();
                    let t = thread::spawn(move || (0..3).for_each(|i| tx.send(i).unwrap()));
                    let received = rx.iter().collect();
                    t.join().unwrap();
                    received
                }
                Some(bound) => {
                    let (tx, rx) = sync_channel(bound);
                    let t = thread::spawn(move || (0..3).for_each(|i| tx.send(i).unwrap()));
                    let received = rx.iter().collect();
                    t.join().unwrap();
                    received
                }
            };
            assert_eq!(received, [0, 1, 2]);
        });
        assert!(report.is_clean(), "bound {bound:?}: {report}");
    }
}

#[test]
fn two_senders_interleave_in_every_way_that_keeps_each_ones_order() {
    // Each sender's two messages stay in order; the merge can be any of C(4, 2) = 6 orders,
    // and every one of them shows up among all schedules.
    let seen = Arc::new(StdMutex::new(BTreeSet::new()));
    let record = Arc::clone(&seen);
    let report = exhaustive().explore(move || {
        let (tx, rx) = channel();
        let tx2 = tx.clone();
        let a = thread::spawn(move || ["a1", "a2"].map(|m| tx.send(m).unwrap()));
        let b = thread::spawn(move || ["b1", "b2"].map(|m| tx2.send(m).unwrap()));
        let order: Vec<&str> = rx.iter().collect();
        let position = |m| order.iter().position(|&o| o == m).unwrap();
        assert!(position("a1") < position("a2") && position("b1") < position("b2"));
        a.join().unwrap();
        b.join().unwrap();
        record.lock().unwrap().insert(order);
    });
    assert!(report.is_clean(), "{report}");
    assert_eq!(seen.lock().unwrap().len(), 6);
}

#[test]
fn recv_returns_the_buffered_messages_then_reports_the_disconnection() {
    let report = exhaustive().explore(|| {
        let (tx, rx) = channel();
        let t = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        t.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(rx.try_iter().next(), None);
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_receiver_blocked_in_recv_wakes_when_the_last_sender_is_dropped() {
    // In some schedule the receiver blocks before either sender is dropped; a missed wakeup
    // there would be a deadlock finding.
    let report = exhaustive().explore(|| {
        let (tx, rx) = channel::<u32>();
        let tx2 = tx.clone();
        let t = thread::spawn(move || rx.recv());
        let other = thread::spawn(move || drop(tx2));
        drop(tx);
        assert_eq!(t.join().unwrap(), Err(RecvError));
        other.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn try_recv_sees_empty_before_the_disconnection_in_some_schedule() {
    // Dropping the last sender is a scheduling point: a receiver can find the channel empty
    // but still connected between the last send and the drop.
    let seen = Arc::new(StdMutex::new(BTreeSet::new()));
    let record = Arc::clone(&seen);
    let report = exhaustive().explore(move || {
        let (tx, rx) = channel();
        let t = thread::spawn(move || {
            tx.send(1).unwrap();
            drop(tx);
        });
        let observed: Vec<Result<u32, TryRecvError>> = (0..2).map(|_| rx.try_recv()).collect();
        t.join().unwrap();
        record.lock().unwrap().insert(format!("{observed:?}"));
    });
    assert!(report.is_clean(), "{report}");
    let seen = seen.lock().unwrap();
    assert!(seen.contains("[Ok(1), Err(Empty)]"), "{seen:?}");
    assert!(seen.contains("[Ok(1), Err(Disconnected)]"), "{seen:?}");
    assert!(seen.contains("[Err(Empty), Ok(1)]"), "{seen:?}");
}

#[test]
fn sends_after_the_receiver_is_dropped_fail_and_give_the_value_back() {
    let report = exhaustive().explore(|| {
        let (tx, rx) = channel();
        drop(rx);
        assert_eq!(tx.send(String::from("kept")), Err(SendError("kept".into())));
        let (tx, rx) = sync_channel(1);
        drop(rx);
        assert_eq!(tx.send(1), Err(SendError(1)));
        assert_eq!(tx.try_send(2), Err(TrySendError::Disconnected(2)));
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_sender_blocked_on_a_full_channel_wakes_when_the_receiver_is_dropped() {
    // The channel is full (one buffered message, or a rendezvous with nobody receiving); the
    // thread's send blocks, or comes after the drop, and gets its value back either way. The
    // buffered message is dropped with the receiver.
    for bound in [0, 1] {
        let report = exhaustive().explore(move || {
            let (tx, rx) = sync_channel(bound);
            if bound == 1 {
                tx.send(1).unwrap();
            }
            let t = thread::spawn(move || tx.send(2));
            drop(rx);
            assert_eq!(t.join().unwrap(), Err(SendError(2)));
        });
        assert!(report.is_clean(), "bound {bound}: {report}");
    }
}

#[test]
fn a_channel_made_outside_an_execution_keeps_its_messages_across_executions() {
    // The receiver is not `Sync`: a std mutex lets the scenario closure share it. Each
    // execution receives the message the one before left.
    let (tx, rx) = channel();
    tx.send(0).unwrap();
    assert_eq!(rx.try_recv(), Ok(0));
    tx.send(1).unwrap();
    let ends = Arc::new(StdMutex::new((tx, rx)));
    let shared = Arc::clone(&ends);
    let report = exhaustive().explore(move || {
        let ends = shared.lock().unwrap();
        let (tx, rx) = &*ends;
        let previous = rx.recv().unwrap();
        tx.send(previous + 1).unwrap();
    });
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 1);
    let ends = ends.lock().unwrap();
    assert_eq!(ends.1.try_recv(), Ok(2));
    assert_eq!(ends.1.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn try_send_on_a_full_channel_gives_the_value_back() {
    let report = exhaustive().explore(|| {
        let (tx, rx) = sync_channel(2);
        assert_eq!(tx.try_send(1), Ok(()));
        assert_eq!(tx.try_send(2), Ok(()));
        assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(tx.try_send(3), Ok(()));
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [2, 3]);
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_rendezvous_send_returns_only_once_the_receiver_is_there() {
    // Over every schedule: when `send` returns, the receiver has reached `recv` (its flag,
    // set just before, is visible). With one slot of buffer the same program fails: the send
    // can return before the receiver has even started.
    let program = |bound: usize| {
        move || {
            let (tx, rx) = sync_channel(bound);
            let arrived = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&arrived);
            let t = thread::spawn(move || {
                flag.store(true, Ordering::SeqCst);
                rx.recv().unwrap()
            });
            tx.send(7).unwrap();
            assert!(arrived.load(Ordering::SeqCst), "send returned first");
            assert_eq!(t.join().unwrap(), 7);
        }
    };
    let rendezvous = exhaustive().explore(program(0));
    assert!(rendezvous.is_clean(), "{rendezvous}");

    let buffered = exhaustive().explore(program(1));
    let finding = only(&buffered, Kind::Panic);
    assert!(
        finding.headline.contains("send returned first"),
        "{buffered}"
    );
}

#[test]
fn a_rendezvous_try_send_needs_a_waiting_receiver() {
    // Random, not exhaustive: depth-first would keep choosing the retrying thread.
    let report = random(200).explore(|| {
        let (tx, rx) = sync_channel(0);
        assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
        let t = thread::spawn(move || rx.recv());
        // Retry until the receiver waits in `recv`; then the message goes straight to it.
        let mut value = 2;
        while let Err(TrySendError::Full(v)) = tx.try_send(value) {
            value = v;
            thread::yield_now();
        }
        assert_eq!(t.join().unwrap(), Ok(2));
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_polling_receiver_takes_the_message_of_a_blocked_rendezvous_sender() {
    // `try_recv` takes a waiting sender's message, as std's does: without that this polling
    // loop would spin until the step bound (a livelock finding).
    let report = random(200).explore(|| {
        let (tx, rx) = sync_channel(0);
        let t = thread::spawn(move || tx.send(5));
        let value = loop {
            match rx.try_recv() {
                Ok(value) => break value,
                Err(TryRecvError::Empty) => thread::yield_now(),
                Err(TryRecvError::Disconnected) => panic!("the sender is alive"),
            }
        };
        assert_eq!(value, 5);
        assert_eq!(t.join().unwrap(), Ok(()));
    });
    assert!(report.is_clean(), "{report}");
}

// ---------------------------------------------------------------------------------------------
// Happens-before, message by message
// ---------------------------------------------------------------------------------------------

/// Sends one `()`.
type SendEnd = Box<dyn Fn() + Send>;
/// Receives one `()`.
type RecvEnd = Box<dyn Fn()>;

/// The two ends of a new channel: unbounded (`None`) or with the given bound.
fn ends(bound: Option<usize>) -> (SendEnd, RecvEnd) {
    match bound {
        None => {
            let (tx, rx) = channel();
            (
                Box::new(move || tx.send(()).unwrap()),
                Box::new(move || rx.recv().unwrap()),
            )
        }
        Some(bound) => {
            let (tx, rx) = sync_channel(bound);
            (
                Box::new(move || tx.send(()).unwrap()),
                Box::new(move || rx.recv().unwrap()),
            )
        }
    }
}

#[test]
fn a_message_orders_what_the_sender_did_before_it() {
    // Through an unbounded, a buffered and a rendezvous channel (whose handoff is recorded
    // both when the sender finds the receiver waiting and when the receiver takes a waiting
    // sender's offer).
    for bound in [None, Some(1), Some(0)] {
        let report = exhaustive().explore(move || {
            let data = Arc::new(Shared::new(0));
            let d = Arc::clone(&data);
            let (send, recv) = ends(bound);
            let t = thread::spawn(move || {
                d.set(1);
                send();
            });
            recv();
            assert_eq!(data.get(), 1);
            t.join().unwrap();
        });
        assert!(report.is_clean(), "bound {bound:?}: {report}");
    }
}

#[test]
fn each_message_carries_only_what_came_before_it() {
    // The writer writes between its two messages. Reading after the second is ordered;
    // reading after the first is a race: the first message's clock knows nothing of the write.
    let program = |messages_before_reading: usize| {
        move || {
            let data = Arc::new(Shared::new(0));
            let d = Arc::clone(&data);
            let (tx, rx) = channel();
            let t = named("writer", move || {
                tx.send(()).unwrap();
                d.set(1);
                tx.send(()).unwrap();
            });
            for _ in 0..messages_before_reading {
                rx.recv().unwrap();
            }
            data.get();
            t.join().unwrap();
        }
    };
    let ordered = exhaustive().explore(program(2));
    assert!(ordered.is_clean(), "{ordered}");

    let racy = random(10).explore(program(1));
    let finding = only(&racy, Kind::DataRace);
    let (class, created, accesses) = race(finding);
    assert_eq!(class, ObjectClass::Cell);
    assert_eq!(created, "let data = Arc::new(Shared::new(0));");
    let mut accesses = accesses.to_vec();
    accesses.sort_unstable();
    assert_eq!(
        accesses,
        [
            ("main", false, "data.get();"),
            ("writer", true, "d.set(1);")
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Bugs and their fixed twins
// ---------------------------------------------------------------------------------------------

#[test]
fn a_rendezvous_with_no_partner_is_a_deadlock() {
    let report = random(10).explore(|| {
        let (tx, rx) = sync_channel(0);
        tx.send(1).unwrap();
        drop(rx);
    });
    let finding = only(&report, Kind::Deadlock);
    assert_eq!(finding.steps.execution, 1, "{report}");
    let Detail::Deadlock { waits, .. } = &finding.detail else {
        panic!("{finding:?}");
    };
    assert_eq!(waits.len(), 1, "{report}");
    assert_eq!(finding.threads[waits[0].thread].name, "main");
    assert_eq!(source_line(&waits[0].site), "tx.send(1).unwrap();");
    let WaitTarget::Send { channel } = waits[0].target else {
        panic!("not waiting to send: {:?}", waits[0]);
    };
    assert_eq!(finding.objects[channel].class, ObjectClass::Channel);
    assert_eq!(
        source_line(&finding.objects[channel].created_at),
        "let (tx, rx) = sync_channel(0);"
    );
}

#[test]
fn a_rendezvous_with_a_receiver_is_clean() {
    let report = exhaustive().explore(|| {
        let (tx, rx) = sync_channel(0);
        let t = thread::spawn(move || rx.recv());
        tx.send(1).unwrap();
        assert_eq!(t.join().unwrap(), Ok(1));
    });
    assert!(report.is_clean(), "{report}");
}

/// Main joins a consumer that drains a channel; `close` says whether main drops its sender
/// before joining.
fn consumer(close: bool) -> impl Fn() + Send + Sync + 'static {
    move || {
        let (tx, rx) = channel::<u32>();
        let t = named("consumer", move || {
            let mut received = 0;
            for _ in &rx {
                received += 1;
            }
            received
        });
        tx.send(1).unwrap();
        if close {
            drop(tx);
            assert_eq!(t.join().unwrap(), 1);
        } else {
            t.join().unwrap();
        }
    }
}

#[test]
fn joining_a_thread_that_waits_on_a_channel_nobody_closes_is_a_deadlock() {
    let report = random(10).explore(consumer(false));
    let finding = only(&report, Kind::Deadlock);
    let Detail::Deadlock { waits, .. } = &finding.detail else {
        panic!("{finding:?}");
    };
    let mut waits: Vec<(&str, &str, &str)> = waits
        .iter()
        .map(|w| {
            let target = match w.target {
                WaitTarget::Join { thread } => {
                    assert_eq!(finding.threads[thread].name, "consumer");
                    "join"
                }
                WaitTarget::Recv { channel } => {
                    assert_eq!(finding.objects[channel].class, ObjectClass::Channel);
                    "recv"
                }
                ref other => panic!("unexpected wait {other:?}"),
            };
            (
                finding.threads[w.thread].name.as_str(),
                target,
                source_line(&w.site),
            )
        })
        .collect();
    waits.sort_unstable();
    assert_eq!(
        waits,
        [
            ("consumer", "recv", "for _ in &rx {"),
            ("main", "join", "t.join().unwrap();"),
        ]
    );
}

#[test]
fn closing_the_channel_before_the_join_is_clean() {
    let report = exhaustive().explore(consumer(true));
    assert!(report.is_clean(), "{report}");
}

/// Workers each send one number; main sums what it receives. `forget` keeps main's own
/// sender alive while it receives: the classic channel hang.
fn sum_of_workers(forget: bool) -> impl Fn() + Send + Sync + 'static {
    move || {
        let (tx, rx) = channel();
        let workers: Vec<_> = (1..=2)
            .map(|i| {
                let tx = tx.clone();
                thread::spawn(move || tx.send(i).unwrap())
            })
            .collect();
        if !forget {
            drop(tx);
        }
        let total: u32 = rx.iter().sum();
        assert_eq!(total, 3);
        workers.into_iter().for_each(|w| w.join().unwrap());
    }
}

#[test]
fn receiving_while_holding_a_sender_is_a_deadlock() {
    let report = exhaustive().explore(sum_of_workers(true));
    let finding = only(&report, Kind::Deadlock);
    assert_eq!(
        finding.headline,
        "deadlock: the only live thread is blocked"
    );
    let Detail::Deadlock { waits, .. } = &finding.detail else {
        panic!("{finding:?}");
    };
    assert_eq!(waits.len(), 1, "{report}");
    assert!(
        matches!(waits[0].target, WaitTarget::Recv { .. }),
        "{report}"
    );
    assert_eq!(
        source_line(&waits[0].site),
        "let total: u32 = rx.iter().sum();"
    );
}

#[test]
fn receiving_after_dropping_the_own_sender_is_clean() {
    let report = exhaustive().explore(sum_of_workers(false));
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_receiver_left_waiting_when_the_last_other_thread_exits_is_a_deadlock() {
    // Depth-first runs main first: it blocks in `recv` while `t` can still run, and the
    // deadlock shows when `t` exits, not when a thread blocks.
    let report = exhaustive().explore(|| {
        let (tx, rx) = channel::<u32>();
        let t = thread::spawn(|| ());
        let _ = rx.recv();
        drop(tx);
        t.join().unwrap();
    });
    let finding = only(&report, Kind::Deadlock);
    assert_eq!(finding.steps.execution, 1, "{report}");
    let Detail::Deadlock { waits, .. } = &finding.detail else {
        panic!("{finding:?}");
    };
    assert_eq!(waits.len(), 1, "{report}");
    assert!(
        matches!(waits[0].target, WaitTarget::Recv { .. }),
        "{report}"
    );
}
