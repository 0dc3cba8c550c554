//! The interleave scenario catalog: classic concurrency bugs, each with a fixed twin that must
//! stay clean, and the expected outcome of each.
//!
//! The catalog is three things at once: the README's main job (`interleave run --all` shows
//! every kind of bug interleave finds), the project's own regression suite (every expectation
//! is asserted), and the programs the benchmarks compare.
//!
//! **Today each scenario is a recorded trace**: the events one execution of the bug produces,
//! as the harness's instrumented primitives report them (written with
//! [`TraceBuilder`](interleave_detector::TraceBuilder)). Running a scenario analyses its trace
//! with the detector. When the harness lands, scenario bodies become closures explored under
//! many schedules; names, categories and expectations stay.
//!
//! # Examples
//!
//! ```
//! use interleave_scenarios::{catalog, Expected};
//! use interleave_detector::Kind;
//!
//! let scenario = interleave_scenarios::find("lock-order/ab-ba").unwrap();
//! assert_eq!(scenario.expected, Expected::Finds(Kind::PotentialDeadlock));
//! let outcome = scenario.run();
//! assert!(outcome.as_expected);
//! assert!(catalog().iter().all(|s| s.run().as_expected));
//! ```

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![forbid(unsafe_code)]

mod catalog;
mod scenario;

pub use catalog::catalog;
pub use scenario::{Category, Expected, Outcome, Scenario};

/// The scenario named `name`.
pub fn find(name: &str) -> Option<Scenario> {
    catalog().into_iter().find(|s| s.name == name)
}
