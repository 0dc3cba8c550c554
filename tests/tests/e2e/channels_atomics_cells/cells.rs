//! `UnsafeCell`: races between unordered writes, none under a lock, a plain cell outside.

use interleave::cell::UnsafeCell;
use interleave::sync::{Arc, Mutex};
use interleave::Kind;
use interleave_detector::ObjectClass;

use super::{named, only, race, random, Shared};

/// Two threads write a tracked cell, under a mutex or not.
fn two_writers(locked: bool) -> impl Fn() + Send + Sync + 'static {
    move || {
        let data = Arc::new(Shared::new(0));
        let lock = Arc::new(Mutex::new(()));
        let write = move |data: &Shared, lock: &Mutex<()>, value: u32| {
            let _guard = locked.then(|| lock.lock().unwrap());
            data.set(value);
        };
        let (d, l) = (Arc::clone(&data), Arc::clone(&lock));
        let t = named("other", move || write(&d, &l, 1));
        write(&data, &lock, 2);
        t.join().unwrap();
        assert!([1, 2].contains(&data.get()));
    }
}

#[test]
fn two_threads_writing_a_cell_without_a_lock_race() {
    let report = random(100).explore(two_writers(false));
    let finding = only(&report, Kind::DataRace);
    let (class, created, [first, second]) = race(finding);
    assert_eq!(class, ObjectClass::Cell);
    assert_eq!(created, "let data = Arc::new(Shared::new(0));");
    let mut threads = [first.0, second.0];
    threads.sort_unstable();
    assert_eq!(threads, ["main", "other"]);
    assert_eq!((first.1, first.2), (true, "data.set(value);"));
    assert_eq!((second.1, second.2), (true, "data.set(value);"));
}

#[test]
fn two_threads_writing_a_cell_under_a_mutex_are_clean() {
    let report = random(1000).explore(two_writers(true));
    assert!(report.is_clean(), "{report}");
    assert!(report.complete);
    assert_eq!(report.executions, 983);
}

#[test]
fn a_cell_outside_an_execution_is_a_plain_cell() {
    let mut cell = UnsafeCell::new(1);
    *cell.get_mut() += 1;
    assert_eq!(cell.with(|p| p as usize), cell.with_mut(|p| p as usize));
    assert_eq!(format!("{cell:?}"), "UnsafeCell { .. }");
    assert_eq!(cell.into_inner(), 2);
}
