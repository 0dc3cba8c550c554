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
        reads: None,
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
fn exhaustive_explores_2_schedules_of_two_threads_storing_once_each() {
    // The two stores write one atomic: their two orders are the two schedules DPOR runs.
    // Nothing else conflicts: t's start and exit touch nothing main does, and main's join waits
    // for t's exit (it is not offered before), so it never races with it.
    let stores = || {
        let a = Arc::new(AtomicUsize::new(0));
        let a2 = Arc::clone(&a);
        let t = thread::spawn(move || a2.store(1, Ordering::Relaxed));
        a.store(2, Ordering::Relaxed);
        t.join().unwrap();
    };
    let report = exhaustive().explore(stores);
    assert!(report.is_clean(), "{report}");
    assert_eq!((report.executions, report.complete), (2, true));
    // Naive DFS branches wherever two threads can run: at main's store, main goes on (and t
    // then runs alone: main's join waits for it), or t takes its first step (up to its
    // store); then either store comes first. 1 + 2 = 3.
    let naive = exhaustive()
        .strategy(interleave::Strategy::ExhaustiveNaive)
        .explore(stores);
    assert!(naive.is_clean(), "{naive}");
    assert_eq!((naive.executions, naive.complete), (3, true));
}

#[test]
fn exhaustive_explores_2_schedules_of_two_messages() {
    // Thread t sends 1 (S1), sends 2 (S2) and drops the last sender (X, which closes the
    // channel); main receives twice (R1, R2), then joins. Sends and successful receives write
    // the channel's queue; the close matters only to a receive that finds no message, and
    // none does. A receive from an empty channel is not offered (it could only wait): R1 after
    // S1, R2 after S2 and R1. DPOR: R1 before S2 or after it, 2. Naive DFS also orders the
    // close against the receives:
    //   S1 R1 S2 R2 X   S1 R1 S2 X R2   S1 S2 R1 R2 X   S1 S2 R1 X R2   S1 S2 X R1 R2
    // 5. The join waits for t's exit.
    let messages = || {
        let (tx, rx) = channel();
        let t = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        t.join().unwrap();
    };
    for (config, schedules) in [
        (exhaustive(), 2),
        (
            exhaustive().strategy(interleave::Strategy::ExhaustiveNaive),
            5,
        ),
    ] {
        let report = config.explore(messages);
        assert!(report.is_clean(), "{report}");
        assert_eq!((report.executions, report.complete), (schedules, true));
    }
}
