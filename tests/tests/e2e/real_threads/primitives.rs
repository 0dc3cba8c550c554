//! Outside a check every primitive behaves as std's, on real threads: exact counts under
//! contention, concurrent readers, timed waits that time out in real time, one barrier leader
//! per generation, one initialiser, channels with std's disconnection, scoped threads joined,
//! poisoning.

use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use interleave::cell::UnsafeCell;
use interleave::sync::atomic::{AtomicUsize, Ordering};
use interleave::sync::mpsc::{channel, sync_channel, RecvTimeoutError, TryRecvError};
use interleave::sync::{Arc, Barrier, Mutex, Once, OnceLock, RwLock, TryLockError};
use interleave::thread;
use interleave::time::Instant;

use super::message;

#[test]
fn a_mutex_shared_by_eight_threads_counts_every_increment() {
    // Contended on real threads: this used to panic about 1 run in 20.
    for _ in 0..20 {
        let counter = Arc::new(Mutex::new(0u64));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let counter = Arc::clone(&counter);
                thread::spawn(move || {
                    for _ in 0..1_000 {
                        *counter.lock().unwrap() += 1;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(*counter.lock().unwrap(), 8_000);
    }
}

#[test]
fn readers_hold_a_rwlock_together_and_a_writer_alone() {
    let lock = Arc::new(RwLock::new(0));
    let both_in = Arc::new(Barrier::new(2));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (lock, both_in) = (Arc::clone(&lock), Arc::clone(&both_in));
            thread::spawn(move || {
                let value = lock.read().unwrap();
                // Both readers hold the lock here at once, or this barrier never opens.
                both_in.wait();
                *value
            })
        })
        .collect();
    for reader in readers {
        assert_eq!(reader.join().unwrap(), 0);
    }
    let guard = lock.write().unwrap();
    assert!(matches!(lock.try_read(), Err(TryLockError::WouldBlock)));
    let l2 = Arc::clone(&lock);
    let start = std::time::Instant::now();
    let timed = thread::spawn(move || l2.try_read_for(Duration::from_millis(30)).is_none());
    assert!(timed.join().unwrap(), "the writer held it throughout");
    assert!(start.elapsed() >= Duration::from_millis(30));
    drop(guard);
    *lock.write().unwrap() += 1;
    assert_eq!(*lock.read().unwrap(), 1);
}

#[test]
fn try_lock_for_times_out_in_real_time_and_gets_a_lock_released_meanwhile() {
    let m = Arc::new(Mutex::new(()));
    let held = m.lock().unwrap();
    let m2 = Arc::clone(&m);
    let start = std::time::Instant::now();
    let gave_up = thread::spawn(move || m2.try_lock_for(Duration::from_millis(40)).is_none());
    assert!(gave_up.join().unwrap());
    assert!(start.elapsed() >= Duration::from_millis(40));
    let m3 = Arc::clone(&m);
    let waiter = thread::spawn(move || m3.try_lock_for(Duration::from_secs(60)).is_some());
    thread::sleep(Duration::from_millis(20));
    drop(held);
    assert!(waiter.join().unwrap(), "released while it waited");
}

#[test]
fn a_panic_while_holding_poisons_as_std() {
    let m = Arc::new(Mutex::new(1));
    let m2 = Arc::clone(&m);
    let panicked = thread::spawn(move || {
        let _guard = m2.lock().unwrap();
        panic!("while holding");
    })
    .join();
    assert_eq!(
        message(panicked.expect_err("std's join gives the panic")),
        "while holding"
    );
    assert!(m.is_poisoned());
    assert!(matches!(m.try_lock(), Err(TryLockError::Poisoned(_))));
    assert_eq!(*m.lock().unwrap_err().into_inner(), 1);
    assert_eq!(
        *m.try_lock_for(Duration::ZERO)
            .expect("acquired all the same"),
        1
    );
    m.clear_poison();
    assert_eq!(*m.lock().unwrap(), 1);
    let rw = RwLock::new(2);
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        let _read = rw.read().unwrap();
        panic!("a reader does not poison");
    }));
    assert!(!rw.is_poisoned());
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        let _write = rw.write().unwrap();
        panic!("a writer does");
    }));
    assert!(rw.is_poisoned());
    assert_eq!(rw.into_inner().unwrap_err().into_inner(), 2);
}

#[test]
fn condvar_notify_one_wakes_the_longest_waiting_thread() {
    let state = Arc::new((
        Mutex::new((0u32, Vec::new())),
        interleave::sync::Condvar::new(),
    ));
    let waiters: Vec<_> = (0..3)
        .map(|i| {
            let shared = Arc::clone(&state);
            let handle = thread::spawn(move || {
                let (lock, cvar) = &*shared;
                let mut guard = lock.lock().unwrap();
                guard.0 += 1;
                let mut guard = cvar.wait(guard).unwrap();
                guard.1.push(i);
            });
            // The next waiter arrives once this one waits.
            while state.0.lock().unwrap().0 <= i {
                thread::sleep(Duration::from_millis(1));
            }
            handle
        })
        .collect();
    let (lock, cvar) = &*state;
    for woken in 1..=3 {
        // Under the lock: the previous waiter has woken (it took the lock) before the next
        // notification.
        cvar.notify_one();
        while lock.lock().unwrap().1.len() < woken {
            thread::sleep(Duration::from_millis(1));
        }
    }
    for waiter in waiters {
        waiter.join().unwrap();
    }
    assert_eq!(lock.lock().unwrap().1, [0, 1, 2]);
}

#[test]
fn once_and_oncelock_run_one_initialiser_that_the_others_wait_for() {
    let once = Arc::new(Once::new());
    let cell = Arc::new(OnceLock::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let (once, cell, runs) = (Arc::clone(&once), Arc::clone(&cell), Arc::clone(&runs));
            thread::spawn(move || {
                once.call_once(|| {
                    thread::sleep(Duration::from_millis(20));
                    runs.fetch_add(1, Ordering::SeqCst);
                });
                // Whoever returns from `call_once` sees the initialiser done.
                assert_eq!(runs.load(Ordering::SeqCst), 1);
                *cell.get_or_init(|| {
                    thread::sleep(Duration::from_millis(20));
                    i
                })
            })
        })
        .collect();
    let values: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(values.iter().all(|&v| v == values[0]), "{values:?}");
    assert!(once.is_completed());
    assert_eq!(cell.get(), Some(&values[0]));
    let reentrant = panic::catch_unwind(|| {
        let once = Once::new();
        once.call_once(|| once.call_once(|| {}));
    });
    assert!(message(reentrant.unwrap_err()).contains("calls it again"));
}

#[test]
fn channels_deliver_in_order_and_disconnect_as_std() {
    let (tx, rx) = channel();
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || (0..250).for_each(|i| tx.send((p, i)).unwrap()))
        })
        .collect();
    drop(tx);
    let mut last = [None; 4];
    let mut count = 0;
    for (p, i) in rx.iter() {
        assert!(last[p].is_none_or(|l| l < i), "FIFO per sender");
        last[p] = Some(i);
        count += 1;
    }
    assert_eq!(count, 1_000, "iter ends at the disconnection");
    for producer in producers {
        producer.join().unwrap();
    }
    // A rendezvous: `send` returns once the receiver has the message.
    let (tx, rx) = sync_channel(0);
    let received = Arc::new(AtomicUsize::new(0));
    let r2 = Arc::clone(&received);
    let receiver = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        let value = rx.recv().unwrap();
        r2.store(1, Ordering::SeqCst);
        (value, rx)
    });
    tx.send(7).unwrap();
    let (value, rx) = receiver.join().unwrap();
    assert_eq!((value, received.load(Ordering::SeqCst)), (7, 1));
    // Timeouts in real time, then disconnection.
    let start = std::time::Instant::now();
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(30)),
        Err(RecvTimeoutError::Timeout)
    );
    assert!(start.elapsed() >= Duration::from_millis(30));
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    // A full bounded channel blocks its sender until a receive makes room.
    let (tx, rx) = sync_channel(1);
    tx.send(1).unwrap();
    let sender = thread::spawn(move || tx.send(2).is_ok());
    thread::sleep(Duration::from_millis(20));
    assert_eq!(rx.recv(), Ok(1));
    assert!(sender.join().unwrap());
    assert_eq!(rx.recv(), Ok(2));
    assert!(rx.recv().is_err(), "the sender is gone");
}

#[test]
fn scoped_threads_borrow_and_are_joined_and_threads_have_std_identities() {
    let mut data = vec![1, 2, 3];
    let total = AtomicUsize::new(0);
    let names = thread::scope(|s| {
        let handle = thread::Builder::new()
            .name("scoped-worker".to_owned())
            .spawn_scoped(s, || thread::current().name().map(str::to_owned))
            .unwrap();
        for value in &data {
            let total = &total;
            s.spawn(move || total.fetch_add(*value, Ordering::SeqCst));
        }
        handle.join().unwrap()
    });
    assert_eq!(
        total.load(Ordering::SeqCst),
        6,
        "every scoped thread was joined"
    );
    assert_eq!(names.as_deref(), Some("scoped-worker"));
    data.push(4);
    // A scoped thread's panic, not joined, makes `scope` panic as std's does.
    let unjoined = panic::catch_unwind(|| {
        thread::scope(|s| {
            s.spawn(|| panic!("in a scoped thread"));
        });
    });
    assert!(unjoined.is_err());
    // park / unpark, and ids.
    let parked = thread::spawn(|| {
        thread::park();
        thread::current().id()
    });
    let id = parked.thread().id();
    while !parked.is_finished() {
        parked.thread().unpark();
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(parked.join().unwrap(), id);
    assert_ne!(id, thread::current().id());
}

#[test]
#[expect(
    unsafe_code,
    reason = "a tracked cell's accessors hand out raw pointers"
)]
fn time_is_real_and_atomics_and_cells_are_stds() {
    let start = Instant::now();
    thread::sleep(Duration::from_millis(15));
    assert!(start.elapsed() >= Duration::from_millis(15));
    assert!(Instant::now() > start);
    let counter = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..1_000 {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(counter.load(Ordering::SeqCst), 4_000);
    let cell = UnsafeCell::new(5);
    // SAFETY: no other reference to the cell's value exists.
    cell.with_mut(|p| unsafe { *p += 1 });
    // SAFETY: as above.
    assert_eq!(cell.with(|p| unsafe { *p }), 6);
}
