//! `RwLock`: readers share, writers queue ahead of new readers; read-read cycles and recursive
//! reads are potential deadlocks only when someone can write.

use std::panic::{self, AssertUnwindSafe};

use interleave::sync::{Arc, RwLock, TryLockError};
use interleave::{thread, Config, Kind, Report};
use interleave_detector::{Detail, ObjectClass, WaitTarget};

use super::{message, named, only, thread_names, waiter, waits};

#[test]
fn lets_a_second_reader_in_while_the_first_holds_it() {
    // Main joins a reader while holding the read lock: that only ends because both read locks
    // are held at once. Every schedule is explored.
    let report = Config::exhaustive().write_artifact(false).explore(|| {
        let lock = Arc::new(RwLock::new(5));
        let guard = lock.read().unwrap();
        let l2 = Arc::clone(&lock);
        let reader = thread::spawn(move || *l2.read().unwrap());
        assert_eq!(reader.join().unwrap(), 5);
        drop(guard);
    });
    assert!(report.is_clean(), "{report}");
    // One schedule: two shared holds commute, and the join waits for the reader's exit (a
    // change here means the model of `read`, `spawn` or `join` changed).
    assert_eq!((report.executions, report.complete), (1, true), "{report}");
}

#[test]
fn writer_joined_under_a_read_lock_is_a_deadlock_in_the_first_execution() {
    // The same with a writer: the join waits for the writer, which waits for main's read lock,
    // in every schedule, and the wait-for cycle is seen as soon as both waits are announced.
    let report = Config::exhaustive().write_artifact(false).explore(|| {
        let lock = Arc::new(RwLock::new(5));
        let guard = lock.read().unwrap();
        let l2 = Arc::clone(&lock);
        let writer = named("writer", move || *l2.write().unwrap() += 1);
        writer.join().unwrap();
        drop(guard);
    });
    let finding = only(&report, Kind::Deadlock);
    assert_eq!(report.failing_execution, Some(1));
    assert_eq!(finding.headline, "deadlock: 2 threads wait for each other");
    assert_eq!(thread_names(finding), ["main", "writer"]);
    let writer_wait = waits(finding)
        .iter()
        .find(|w| waiter(finding, w) == "writer")
        .expect("the writer waits");
    assert!(matches!(writer_wait.target, WaitTarget::Lock { .. }));
    assert_eq!(writer_wait.held_by.len(), 1, "main's read lock");
}

#[test]
fn is_writer_preferring() {
    // Main holds a read lock. Once a writer queues (main's `try_read` starts failing), a new
    // reader waits behind the writer, so it always reads the written value.
    let report = Config::random(200).write_artifact(false).explore(|| {
        let lock = Arc::new(RwLock::new(0));
        let guard = lock.read().unwrap();
        let l2 = Arc::clone(&lock);
        let writer = named("writer", move || *l2.write().unwrap() = 1);
        loop {
            match lock.try_read() {
                Ok(_) => thread::yield_now(),
                Err(TryLockError::WouldBlock) => break,
                Err(TryLockError::Poisoned(_)) => unreachable!(),
            }
        }
        let l3 = Arc::clone(&lock);
        let reader = named("late reader", move || *l3.read().unwrap());
        drop(guard);
        assert_eq!(reader.join().unwrap(), 1, "the queued writer goes first");
        writer.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 200);
}

/// Two readers take two RwLocks in opposite orders; with `writers`, two more threads write
/// one lock each.
fn read_read_cycle(writers: bool) -> Report {
    Config::random(1000).write_artifact(false).explore(move || {
        let (a, b) = (Arc::new(RwLock::new(())), Arc::new(RwLock::new(())));
        let (a1, b1, a2, b2) = (a.clone(), b.clone(), a.clone(), b.clone());
        let mut threads = vec![
            named("r1", move || {
                let _a = a1.read().unwrap();
                let _b = b1.read().unwrap();
            }),
            named("r2", move || {
                let _b = b2.read().unwrap();
                let _a = a2.read().unwrap();
            }),
        ];
        if writers {
            threads.push(named("w1", move || drop(a.write().unwrap())));
            threads.push(named("w2", move || drop(b.write().unwrap())));
        }
        for t in threads {
            t.join().unwrap();
        }
    })
}

#[test]
fn read_read_cycle_with_writers_is_a_potential_deadlock() {
    let report = read_read_cycle(true);
    // Predicted from the first execution, whichever schedule it ran.
    assert_eq!(report.failing_execution, Some(1));
    let finding = &report.findings[0];
    assert_eq!(finding.kind, Kind::PotentialDeadlock, "{report}");
    assert_eq!(
        finding.headline,
        "potential deadlock: lock-order cycle between 2 threads"
    );
    assert_eq!(thread_names(finding), ["r1", "r2"]);
    // The cycle's two locks are the two RwLocks main creates on one line of this file.
    let [a, b] = finding.objects.as_slice() else {
        panic!("two locks: {report}");
    };
    for lock in [a, b] {
        assert_eq!(lock.class, ObjectClass::RwLock);
        assert_eq!(lock.created_by, "main");
        assert_eq!(lock.created_at.file, file!());
    }
    assert_eq!(a.created_at.line, b.created_at.line);
    // Alone, each is `rwlock@rwlock.rs:LINE`; shown together, they are numbered left to right.
    let line = a.created_at.line;
    assert_eq!(a.label(), format!("rwlock@rwlock.rs:{line}"));
    let (left, right) = if a.created_at.column < b.created_at.column {
        (0, 1)
    } else {
        (1, 0)
    };
    let labels = interleave_detector::labels(&finding.objects);
    assert_eq!(labels[left], format!("rwlock#1@rwlock.rs:{line}"));
    assert_eq!(labels[right], format!("rwlock#2@rwlock.rs:{line}"));
    let text = report.to_string();
    assert!(
        text.contains(&labels[0]) && text.contains(&labels[1]),
        "{text}"
    );
    assert_ne!(a.created_at.column, b.created_at.column);
}

#[test]
fn read_read_cycle_without_writers_is_clean() {
    let report = read_read_cycle(false);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 1000);
}

/// A thread takes a read lock it already holds; with `writer`, another thread writes it.
fn recursive_read(writer: bool) -> Report {
    Config::random(200).write_artifact(false).explore(move || {
        let lock = Arc::new(RwLock::new(0));
        let l2 = Arc::clone(&lock);
        let reader = named("reader", move || {
            let first = l2.read().unwrap();
            let second = l2.read().unwrap();
            assert_eq!(*first, *second);
        });
        let other = if writer {
            named("writer", move || *lock.write().unwrap() += 1)
        } else {
            named("other reader", move || drop(lock.read().unwrap()))
        };
        reader.join().unwrap();
        other.join().unwrap();
    })
}

#[test]
fn recursive_read_with_a_writer_is_a_potential_deadlock() {
    let report = recursive_read(true);
    assert_eq!(report.failing_execution, Some(1));
    let finding = &report.findings[0];
    assert_eq!(finding.kind, Kind::PotentialDeadlock, "{report}");
    assert_eq!(
        finding.headline,
        "potential deadlock: a thread re-acquires a read lock it holds while another thread may wait to write it"
    );
    assert_eq!(thread_names(finding), ["reader"]);
    let Detail::LockCycle { edges } = &finding.detail else {
        panic!("not a cycle: {report}");
    };
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0].held, edges[0].requested, "a one-lock cycle");
}

#[test]
fn recursive_read_without_a_writer_is_clean() {
    let report = recursive_read(false);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 200);
}

#[test]
fn write_while_reading_is_a_self_deadlock() {
    let report = Config::random(5).write_artifact(false).explore(|| {
        let lock = RwLock::new(0);
        let _read = lock.read().unwrap();
        *lock.write().unwrap() += 1;
    });
    assert_eq!(report.failing_execution, Some(1));
    let finding = only(&report, Kind::Deadlock);
    assert_eq!(
        finding.headline,
        "deadlock: thread `main` requests write access to a lock it holds for reading"
    );
}

#[test]
fn poisoning_follows_std() {
    let report = Config::random(20).write_artifact(false).explore(|| {
        let lock = Arc::new(RwLock::new(1));
        let l2 = Arc::clone(&lock);
        let t = thread::spawn(move || {
            // A panicking reader does not poison; a panicking writer does.
            let reader = panic::catch_unwind(AssertUnwindSafe(|| {
                let _g = l2.read().unwrap();
                panic!("reader fails");
            }));
            assert!(reader.is_err() && !l2.is_poisoned());
            let writer = panic::catch_unwind(AssertUnwindSafe(|| {
                let mut g = l2.write().unwrap();
                *g = 2;
                panic!("writer fails");
            }));
            assert!(writer.is_err());
        });
        t.join().unwrap();
        assert!(lock.is_poisoned());
        assert_eq!(*lock.read().unwrap_err().into_inner(), 2);
        assert!(matches!(lock.try_write(), Err(TryLockError::Poisoned(_))));
        lock.clear_poison();
        assert_eq!(*lock.write().unwrap(), 2);
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn outside_an_execution_is_a_lock_of_real_threads() {
    let mut lock = RwLock::from(String::from("a"));
    {
        let r1 = lock.read().unwrap();
        let r2 = lock.try_read().unwrap();
        assert_eq!(format!("{r1} {r2:?}"), "a \"a\"");
        assert!(matches!(lock.try_write(), Err(TryLockError::WouldBlock)));
        // A thread asking to write a lock it reads would wait for itself: a deadlock report.
        let blocked = panic::catch_unwind(AssertUnwindSafe(|| drop(lock.write())));
        let message = message(blocked.expect_err("write under a read lock panics"));
        assert!(
            message.contains("requests write access to a lock it holds for reading"),
            "{message}"
        );
    }
    lock.write().unwrap().push('b');
    lock.get_mut().unwrap().push('c');
    assert_eq!(format!("{lock:?}"), "RwLock { poisoned: false, .. }");
    assert_eq!(lock.into_inner().unwrap(), "abc");
    assert_eq!(*RwLock::<u8>::default().read().unwrap(), 0);
}
