//! interleave: deterministic concurrency testing and deadlock detection for Rust.
//!
//! This is the crate users add as a dev-dependency. It runs a scenario (a closure that spawns
//! threads and uses locks, condvars, channels and atomics through interleave's std-compatible
//! primitives) under many schedules, feeds every operation to the detector, and turns each
//! finding into a report and a replayable artifact.
//!
//! **Status:** the harness itself (`check`, `Config`, the instrumented `sync` and `thread`
//! modules, replay) is being built on the `shuttle-engine` next; `docs/guide.md` will describe
//! it. Today this crate re-exports the detector's vocabulary, which the harness's API uses:
//! [`Kind`] and [`Finding`].
//!
//! ```
//! use interleave::Kind;
//!
//! assert_eq!(Kind::PotentialDeadlock.name(), "potential deadlock");
//! ```

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

pub use interleave_detector::{Finding, Kind};
