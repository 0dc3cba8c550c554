//! Fingerprints tell different bugs apart and keep still when code moves.

use interleave::cell::UnsafeCell;
use interleave::sync::Arc;
use interleave::{thread, Config, Kind, Report};

/// A number in a tracked cell, shared by threads that promise, with `unsafe impl Sync`, to
/// order their accesses: interleave checks the promise.
struct Shared(UnsafeCell<u32>);

// SAFETY: a scenario runs one thread at a time on one OS thread, so no two accesses ever
// overlap in fact; whether the program orders them is what the race detector judges.
#[expect(
    unsafe_code,
    reason = "a tracked cell shared between threads, as users write them"
)]
unsafe impl Sync for Shared {}

#[expect(unsafe_code, reason = "reading and writing a tracked cell")]
impl Shared {
    #[track_caller]
    fn get(&self) -> u32 {
        // SAFETY: the pointer is valid while the cell lives; see `Sync` above for exclusivity.
        self.0.with(|p| unsafe { *p })
    }

    #[track_caller]
    fn set(&self, value: u32) {
        // SAFETY: as for `get`.
        self.0.with_mut(|p| unsafe { *p = value });
    }
}

/// A spawned thread writes the cell at one of two sites (`SECOND`), racing with main's read.
fn two_writers<const SECOND: bool>() {
    let cell = Arc::new(Shared(UnsafeCell::new(0)));
    let c = Arc::clone(&cell);
    let t = thread::spawn(move || {
        if SECOND {
            c.set(2);
        } else {
            c.set(1);
        }
    });
    cell.get();
    t.join().unwrap();
}

fn race_fingerprint(scenario: fn()) -> String {
    let report: Report = Config::random(100)
        .seed(1)
        .write_artifact(false)
        .explore(scenario);
    let kinds: Vec<Kind> = report.findings.iter().map(|f| f.kind()).collect();
    assert_eq!(kinds, [Kind::DataRace], "{report}");
    report.findings[0].fingerprint.clone()
}

#[test]
fn two_write_sites_racing_with_one_read_have_two_fingerprints() {
    // Both writes are at the same column, in the same order among the finding's sites: only
    // their distance to the read tells them apart.
    assert_ne!(
        race_fingerprint(two_writers::<false>),
        race_fingerprint(two_writers::<true>)
    );
}

// Padding: the copy below is `two_writers` moved down, as if lines were inserted above it.
//
//
//
//
//
//

/// `two_writers`, word for word, further down the file.
fn two_writers_moved<const SECOND: bool>() {
    let cell = Arc::new(Shared(UnsafeCell::new(0)));
    let c = Arc::clone(&cell);
    let t = thread::spawn(move || {
        if SECOND {
            c.set(2);
        } else {
            c.set(1);
        }
    });
    cell.get();
    t.join().unwrap();
}

#[test]
fn lines_inserted_above_leave_the_fingerprints_alone() {
    assert_eq!(
        race_fingerprint(two_writers::<false>),
        race_fingerprint(two_writers_moved::<false>)
    );
    assert_eq!(
        race_fingerprint(two_writers::<true>),
        race_fingerprint(two_writers_moved::<true>)
    );
}
