//! Online lock-order detection on real threads: interleave's locks used outside a check (an
//! ordinary `#[test]`, a program built with the facade) report a lock-order inversion from a
//! run that never deadlocked, as lockdep and tracing-mutex do.
//!
//! Every blocking request (`lock`, `read`, `write`) made while the thread holds other
//! interleave locks adds edges "held → requested" to one process-wide graph of lock
//! **classes** — a class is the creation site of the locks, so two tests that create their own
//! locks at the same sites share them. A request that closes a cycle is reported with both
//! acquisition paths, thread names and sites, in the format of a check's report, and written
//! as an artifact (`engine: "real-threads"`, no schedule) that `interleave explain` reads.
//! The check's suppressions apply — a cycle of one thread's edges, a common gate lock, a
//! read/read junction without a writer are not reported — but not happens-before: an
//! inversion exercised by two tests that ran one after the other is what this is for.
//!
//! What happens then is the [`Mode`]: `INTERLEAVE_ONLINE=panic|warn|off` (default `panic`, in
//! the thread whose request closes the cycle), [`set_mode`] for the process, [`scoped`] for
//! one thread (one test) and the threads it spawns through `interleave::thread`.
//!
//! Whatever the mode, a request that can never be granted — the thread holds the lock already,
//! or threads blocked in interleave locks wait for each other in a cycle — panics with a
//! deadlock report in one of the threads involved instead of hanging (a watchdog finds such a
//! cycle once it has lasted about 150 ms); unwinding releases that thread's locks, so the
//! others go on.
//!
//! # Examples
//!
//! Two threads take two locks in opposite orders, one after the other — nothing deadlocks, yet
//! the second request is reported (here as a warning, and read back with [`reported`]):
//!
//! ```
//! use interleave::online::{self, Mode};
//! use interleave::sync::{Arc, Mutex};
//! use interleave::thread;
//!
//! let _warn = online::scoped(Mode::Warn);
//! let a = Arc::new(Mutex::new(0));
//! let b = Arc::new(Mutex::new(0));
//! let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
//! thread::spawn(move || {
//!     let _a = a2.lock().unwrap();
//!     let _b = b2.lock().unwrap();
//! })
//! .join()
//! .unwrap();
//! thread::spawn(move || {
//!     let _b = b.lock().unwrap();
//!     let _a = a.lock().unwrap(); // closes the cycle: reported
//! })
//! .join()
//! .unwrap();
//! let found = online::reported();
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].headline, "potential deadlock: lock-order cycle between 2 threads");
//! ```
//!
//! With the default mode the second thread panics with the report:
//!
//! ```should_panic(expected = "potential deadlock: lock-order cycle between 2 threads")
//! use interleave::sync::Mutex;
//!
//! let (a, b) = (Mutex::new(()), Mutex::new(()));
//! std::thread::scope(|s| s.spawn(|| drop((a.lock(), b.lock()))).join().unwrap());
//! let _b = b.lock().unwrap();
//! let _a = a.lock().unwrap(); // closes the cycle: panics
//! ```

pub use crate::real::{mode, reported, scoped, set_mode, Mode, ModeGuard};
