//! `interleave-loom-suite`'s cases compiled against real loom 0.7: the oracle the suite's
//! verdicts are checked against. loom aborts the process on a deadlock, so its tests run each
//! case in a child process.

#[path = "../../suite/src/cases.rs"]
mod cases;

pub use cases::{cases, model, Case, Verdict, EXECUTIONS};
