//! What the detector sees of each operation, and exactly how many schedules exhaustive
//! exploration finds.

use interleave::cell::UnsafeCell;
use interleave::sync::atomic::{fence, AtomicI32, AtomicPtr, AtomicUsize, Ordering};
use interleave::sync::mpsc::{
    channel, sync_channel, IntoIter, Receiver, Sender, SyncSender, TryRecvError, TrySendError,
};
use interleave::sync::Arc;
use interleave::{thread, Artifact, Config};
use interleave_detector::{AtomicOp, EventKind, MemoryOrdering, ObjectClass, ObjectId};

use super::exhaustive;

// ---------------------------------------------------------------------------------------------
// The events the detector sees
// ---------------------------------------------------------------------------------------------

#[test]
fn operations_report_the_events_the_detector_expects() {
    // One thread, one schedule; the panic at the end makes the execution's trace an artifact.
    let dir = std::env::temp_dir().join(format!(
        "interleave-e2e-{}-channel-events",
        std::process::id()
    ));
    let report = Config::random(1).artifact_dir(&dir).explore(|| {
        let a = AtomicUsize::new(1);
        assert_eq!(
            a.compare_exchange(0, 5, Ordering::AcqRel, Ordering::Acquire),
            Err(1)
        );
        assert_eq!(
            a.compare_exchange(1, 5, Ordering::AcqRel, Ordering::Relaxed),
            Ok(1)
        );
        a.fetch_add(1, Ordering::Release);
        a.load(Ordering::SeqCst);
        a.store(0, Ordering::Relaxed);
        fence(Ordering::Acquire);
        let cell = UnsafeCell::new(0);
        cell.with(|_| ());
        cell.with_mut(|_| ());
        let (tx, rx) = sync_channel(1);
        assert_eq!(tx.try_send(1), Ok(()));
        assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        panic!("the end");
    });
    let path = report.artifact.clone().expect("an artifact");
    let artifact = Artifact::read(&path).expect("the artifact reads back");
    let _ = std::fs::remove_dir_all(&dir);

    let atomic = |op, ordering| EventKind::Atomic {
        object: ObjectId(0),
        op,
        ordering,
    };
    let channel = ObjectId(2);
    let events: Vec<EventKind> = artifact
        .trace
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| !matches!(k, EventKind::Panic { .. }))
        .collect();
    assert_eq!(
        events,
        [
            EventKind::Create {
                object: ObjectId(0),
                class: ObjectClass::Atomic,
                name: None
            },
            atomic(AtomicOp::Load, MemoryOrdering::Acquire),
            atomic(AtomicOp::Rmw, MemoryOrdering::AcqRel),
            atomic(AtomicOp::Rmw, MemoryOrdering::Release),
            atomic(AtomicOp::Load, MemoryOrdering::SeqCst),
            atomic(AtomicOp::Store, MemoryOrdering::Relaxed),
            EventKind::Fence {
                ordering: MemoryOrdering::Acquire
            },
            EventKind::Create {
                object: ObjectId(1),
                class: ObjectClass::Cell,
                name: None
            },
            EventKind::CellRead { cell: ObjectId(1) },
            EventKind::CellWrite { cell: ObjectId(1) },
            EventKind::Create {
                object: channel,
                class: ObjectClass::Channel,
                name: None
            },
            EventKind::SendRequest { channel },
            EventKind::Sent { channel, ok: true },
            EventKind::SendRequest { channel },
            EventKind::Sent { channel, ok: false },
            EventKind::RecvRequest {
                channel,
                bounded: false
            },
            EventKind::Received { channel, ok: true },
            EventKind::RecvRequest {
                channel,
                bounded: true
            },
            EventKind::Received { channel, ok: false },
        ]
    );
}

#[test]
fn the_types_are_send_and_sync_where_stds_are() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Sender<u8>>();
    send_sync::<SyncSender<u8>>();
    send::<Receiver<u8>>();
    send::<IntoIter<u8>>();
    send_sync::<AtomicI32>();
    send_sync::<AtomicPtr<u8>>();
    send::<UnsafeCell<u8>>();
}

// ---------------------------------------------------------------------------------------------
// Exact exploration counts
// ---------------------------------------------------------------------------------------------

#[test]
fn exhaustive_explores_6_schedules_of_two_threads_storing_once_each() {
    // Scheduling points: main's spawn (only main exists: no choice), main's store, main's join
    // request; t's store, t's exit. Main's steps: A (its store and join request), J (the join,
    // which blocks until t has exited); t's: T (its start, up to its store), S (the store and
    // its exit). Every interleaving of (A, J) with (T, S) is one schedule:
    //   A J T S   A T J S   A T S J   T A J S   T A S J   T S A J
    // 6 = C(4, 2). A join that blocked adds no choice: it resumes when t exits, and only main
    // is left.
    let report = exhaustive().explore(|| {
        let a = Arc::new(AtomicUsize::new(0));
        let a2 = Arc::clone(&a);
        let t = thread::spawn(move || a2.store(1, Ordering::Relaxed));
        a.store(2, Ordering::Relaxed);
        t.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 6);
}

#[test]
fn exhaustive_explores_30_schedules_of_two_messages() {
    // Thread t sends 1 and 2 and drops the last sender; main receives twice, then joins.
    // Steps of t, each ending at a scheduling point: T0 its start, T1 the first send, T2 the
    // second send, T3 the drop of the last sender (a scheduling point: the receiver is alive)
    // and the exit. Main's spawn offers no choice (t does not exist yet); then main has three
    // steps: R1 (first recv), R2 (second recv), J (join), which need T1, T2 and T3 done. A
    // schedule is an interleaving of main's steps with t's; a step of main taken before the
    // step of t it needs blocks, and is taken again once that step has run (then main and t
    // are both runnable again, unless t has exited). Counting by which of main's steps block:
    //   none 5, R1 only 10, R2 only 2, J only 2, R1+R2 4, R1+J 4, R2+J 1, all three 2 = 30.
    // (None: R1 after T1, R2 after T2, J last: (R1, R2) in the gaps after T1, after T2 and
    // after T3, R2 not before R1 and not before T2: 5 ways.)
    let report = exhaustive().explore(|| {
        let (tx, rx) = channel();
        let t = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        t.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 30);
}
