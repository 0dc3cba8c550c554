//! The interleave scenario catalog: classic concurrency bugs, each with a fixed twin that must
//! stay clean, and the outcome each must give.
//!
//! The catalog is three things at once: the README's main job (`interleave run --all` shows
//! every kind of bug interleave finds), the project's own regression suite (every expectation
//! is asserted), and the programs the benchmarks compare with raw shuttle and loom.
//!
//! # Examples
//!
//! ```
//! use interleave::Kind;
//! use interleave_scenarios::Expected;
//!
//! let scenario = interleave_scenarios::find("lock-order/ab-ba").unwrap();
//! assert_eq!(scenario.expected, Expected::Finds(Kind::PotentialDeadlock));
//! let outcome = scenario.run_with(scenario.config().write_artifact(false));
//! assert!(outcome.as_expected);
//! assert_eq!(outcome.report.failing_execution, Some(1));
//! ```

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod catalog;
mod scenario;

pub use catalog::catalog;
pub use scenario::{Category, Expected, Outcome, Scenario};

/// The scenario named `name`.
pub fn find(name: &str) -> Option<Scenario> {
    catalog().into_iter().find(|s| s.name == name)
}
