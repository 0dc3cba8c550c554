//! interleave: deterministic concurrency testing and deadlock detection for Rust.
//!
//! Write a **scenario** — a closure that spawns threads and uses locks, condvars, channels and
//! atomics through interleave's std-compatible types — and hand it to [`check`]. interleave
//! runs it many times, each **execution** under a schedule its **strategy** chooses, and its
//! detector watches every operation: realized deadlocks, lock-order cycles that *could*
//! deadlock, data races, livelocks and panics. A problem fails the test with a report naming
//! threads, locks and source lines, and an artifact that replays the failing schedule exactly.
//!
//! ```
//! use interleave::sync::{Arc, Mutex};
//! use interleave::thread;
//!
//! // Two threads increment a counter under a mutex: clean under every schedule tried.
//! interleave::check(|| {
//!     let counter = Arc::new(Mutex::new(0));
//!     let handles: Vec<_> = (0..2)
//!         .map(|_| {
//!             let counter = Arc::clone(&counter);
//!             thread::spawn(move || *counter.lock().unwrap() += 1)
//!         })
//!         .collect();
//!     for handle in handles {
//!         handle.join().unwrap();
//!     }
//!     assert_eq!(*counter.lock().unwrap(), 2);
//! });
//! ```
//!
//! Take two locks in opposite orders and the check fails — from the first execution that takes
//! both orders, even though that execution did not deadlock:
//!
//! ```should_panic(expected = "potential deadlock: lock-order cycle between 2 threads")
//! use interleave::sync::{Arc, Mutex};
//! use interleave::thread;
//!
//! interleave::Config::pct(100, 3).name("ab_ba").write_artifact(false).check(|| {
//!     let a = Arc::new(Mutex::new(()));
//!     let b = Arc::new(Mutex::new(()));
//!     let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
//!     let t = thread::spawn(move || {
//!         let _b = b2.lock().unwrap();
//!         let _a = a2.lock().unwrap();
//!     });
//!     {
//!         let _a = a.lock().unwrap();
//!         let _b = b.lock().unwrap();
//!     }
//!     t.join().unwrap();
//! });
//! ```
//!
//! The panic message is the report (abridged; the doctest checks its headline):
//!
//! ```text
//! interleave: `ab_ba` found 1 problem in execution 1 (pct:3, seed …): potential deadlock: lock-order cycle between 2 threads
//!
//! potential deadlock: lock-order cycle between 2 threads
//!
//!   cycle: mutex@lib.rs:38 → mutex@lib.rs:39 → mutex@lib.rs:38
//!
//!   `t1` holds mutex@lib.rs:39, acquired at src/lib.rs:42:18
//!       and requests mutex@lib.rs:38 at src/lib.rs:43:18  (execution 1, step 9)
//!   `main` holds mutex@lib.rs:38, acquired at src/lib.rs:46:18
//!       and requests mutex@lib.rs:39 at src/lib.rs:47:18  (execution 1, step 14)
//!   …
//! ```
//!
//! # Outside a check: real threads
//!
//! The same types work outside any check — in an ordinary `#[test]` of a crate that swaps std's
//! types for interleave's, or in a program built that way — on real OS threads, with std's
//! behaviour (locks on parking_lot, timeouts in real time). The mode is told at run time, by a
//! thread-local: one test binary runs checks and ordinary tests side by side. There, the
//! [`online`] lock-order analysis watches every nested lock request, process-wide, and reports
//! an inversion from a run that never deadlocked; threads that do deadlock are reported instead
//! of hanging:
//!
//! ```
//! use interleave::sync::{Arc, Mutex};
//! use interleave::thread;
//!
//! // No check: two real threads, std's semantics.
//! let counter = Arc::new(Mutex::new(0));
//! let handles: Vec<_> = (0..2)
//!     .map(|_| {
//!         let counter = Arc::clone(&counter);
//!         thread::spawn(move || *counter.lock().unwrap() += 1)
//!     })
//!     .collect();
//! for handle in handles {
//!     handle.join().unwrap();
//! }
//! assert_eq!(*counter.lock().unwrap(), 2);
//! ```
//!
//! `docs/guide.md` in the repository covers strategies, reading reports, replaying artifacts
//! and swapping std's types for interleave's: the `cfg(test)` and the feature-gated facade, and
//! what happens outside a check.

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

pub mod alloc;
mod artifact;
mod baseline;
pub mod cell;
mod check;
mod config;
mod error;
pub mod future;
mod ledger;
pub mod local;
pub mod online;
mod real;
mod report;
mod rerun;
mod rt;
mod schedule;
pub mod sync;
pub mod thread;
pub mod time;

pub use artifact::{Artifact, PriorExecution, Rerun, ARTIFACT_FORMAT_VERSION, MAX_ARTIFACT_BYTES};
pub use baseline::{Baseline, BaselineEntry, BASELINE_FORMAT_VERSION};
pub use config::{Config, Strategy};
pub use error::Error;
pub use interleave_detector::{Finding, Kind};
pub use ledger::{CheckResult, LedgerFinding, LedgerMode, LedgerRecord, LEDGER_FORMAT_VERSION};
pub use report::Report;
#[doc(hidden)]
pub use rerun::built_with_cfg;
pub use rerun::{Target, TargetKind, TestRerun};
pub use rt::memory::MemoryModel;
pub use schedule::{Decision, ParseScheduleError, Schedule, MAX_DECISIONS};

/// Explores `f` with the default [`Config`] (PCT depth 3, 1,000 executions, a seed derived
/// from the test's name) and panics with the report if anything is found.
///
/// # Panics
///
/// On a finding, with the text report and the command that replays it.
#[track_caller]
pub fn check<F>(f: F)
where
    F: Fn() + Send + Sync + 'static,
{
    Config::default().check(f);
}

/// Runs exactly the schedule recorded in the artifact at `path` against `f`, once, and returns
/// what that execution found.
///
/// # Errors
///
/// The artifact cannot be read or is not one, or its schedule no longer fits `f`
/// (`schedule diverged at step N: …`).
#[track_caller]
pub fn replay<F>(path: impl AsRef<std::path::Path>, f: F) -> Result<Report, Error>
where
    F: Fn() + Send + Sync + 'static,
{
    check::replay(path.as_ref(), f, interleave_detector::Site::caller())
}
